"""The scoring core: the sub-packages below, the one error hierarchy (``errors``), the one
settings object (``settings``) and the default folders (``paths``); it imports neither the
service nor training.

In a checkout, ``hypemeter.service`` and ``hypemeter.training`` are the ``service/`` and
``training/`` folders beside this one (installed, they are inside it): the finder below maps
them, so ``python -m pytest`` works with the package installed editable or not.
"""

import sys
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypemeter.client import Client

__version__ = "0.1.0"
MODEL_NAME = "hypemeter"


_CHECKOUT = Path(__file__).resolve().parent.parent


class _CheckoutFinder:
    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        mapped = name in ("hypemeter.service", "hypemeter.training")
        return PathFinder.find_spec(name, [str(_CHECKOUT)]) if mapped else None


if (_CHECKOUT / "service" / "__init__.py").is_file():
    sys.meta_path.append(_CheckoutFinder())


def __getattr__(name: str) -> Any:
    """``hypemeter.Client`` (the REST client) without importing httpx for everything else."""
    if name == "Client":
        from hypemeter.client import Client

        return Client
    raise AttributeError(f"module 'hypemeter' has no attribute {name!r}")


__all__ = ["MODEL_NAME", "Client", "__version__"]
