"""The scoring core: the sub-packages below, the one error hierarchy (``errors``), the one
settings object (``settings``) and the default folders (``paths``); it imports neither the
service nor training.

Installed, ``hypemeter.service`` and ``hypemeter.training`` are inside this package; in a
checkout they are the ``service/`` and ``training/`` folders beside it (pyproject's
``package-dir``). :func:`_map_checkout` maps those names when this is the checkout's copy, so
that ``python -m pytest`` (the checkout first on ``sys.path``) works whether the package is
installed editable or not.
"""

import sys
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypemeter.client import Client

__version__ = "0.1.0"
MODEL_NAME = "hypemeter"


class _CheckoutFinder:
    def __init__(self, root: Path) -> None:
        self.root = [str(root)]

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name in ("hypemeter.service", "hypemeter.training"):
            return PathFinder.find_spec(name, self.root)
        return None


def _map_checkout() -> None:
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "service" / "__init__.py").is_file() \
            and not any(isinstance(f, _CheckoutFinder) for f in sys.meta_path):
        sys.meta_path.append(_CheckoutFinder(root))


_map_checkout()


def __getattr__(name: str) -> Any:
    """``hypemeter.Client`` (the REST client) without importing httpx for everything else."""
    if name == "Client":
        from hypemeter.client import Client

        return Client
    raise AttributeError(f"module 'hypemeter' has no attribute {name!r}")


__all__ = ["MODEL_NAME", "Client", "__version__"]
