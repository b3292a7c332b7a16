"""hypemeter core: text features, the scoring pipeline, explanations and model bundles.

Both ``service`` (the REST API) and ``training`` import this package; it imports neither.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypemeter.client import Client

__version__ = "0.1.0"
MODEL_NAME = "hypemeter"


def __getattr__(name: str) -> Any:
    """``hypemeter.Client`` (the REST client) without importing httpx for everything else."""
    if name == "Client":
        from hypemeter.client import Client

        return Client
    raise AttributeError(f"module 'hypemeter' has no attribute {name!r}")


__all__ = ["MODEL_NAME", "Client", "__version__"]
