"""hypemeter core: text features, the scoring pipeline, explanations and model bundles.

Both ``service`` (the REST API) and ``training`` import this package; it imports neither.
"""

__version__ = "0.1.0"
MODEL_NAME = "hypemeter"


def __getattr__(name: str) -> object:
    """``hypemeter.Client`` (the REST client) without importing httpx for everything else."""
    if name == "Client":
        from hypemeter.client import Client

        return Client
    raise AttributeError(f"module 'hypemeter' has no attribute {name!r}")
