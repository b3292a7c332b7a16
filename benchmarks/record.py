"""``--record``: put a benchmark's figures into the model card (``measured.<name>``), so the
card carries the goal figures with the command that produced them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypemeter.bundles.bundle import CARD_FILE, record_measurement, resolve_bundle_dir
from hypemeter.paths import default_models_dir


def record(model: Path | None, name: str, results: dict[str, Any]) -> None:
    bundle_dir = resolve_bundle_dir(model or default_models_dir())
    args = [a for a in sys.argv[1:] if a != "--record"]
    command = " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *args])
    record_measurement(bundle_dir, name, command, results)
    print(f"recorded in {bundle_dir.resolve() / CARD_FILE} under measured.{name}",
          file=sys.stderr)
