"""Model bundles for the tests: a copy of the shipped one under another version name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def copy_bundle(src: Path, models_dir: Path, version: str) -> Path:
    """Copy a bundle under a new version name (the model file, hence its sha256, is unchanged)."""
    dst = models_dir / version
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("report"))
    card_path = dst / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["version"] = version
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return dst
