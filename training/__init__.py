"""Training: the recipe and the fitting of the model, its validation and report, your own data
and corrections, evaluation on a labelled file, and which articles to label first
(``suggest``)."""
