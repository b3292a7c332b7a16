"""From an article to a result: the estimator (``model``), the scorer, explanations, and the
collector pause around a batch.
"""
