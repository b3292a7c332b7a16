"""hypemeter core: text features, the scoring pipeline, explanations and model bundles.

Both ``service`` (the REST API) and ``training`` import this package; it imports neither.
"""

__version__ = "0.1.0"
MODEL_NAME = "hypemeter"
