"""From an article to a result: the estimator (``model``; its ``fit`` in ``fit``, the stacked
layout and training data in ``fitting``), the scorer, explanations, and the collector pause
around a batch.
"""
