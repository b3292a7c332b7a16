"""Model bundles on disk: ``models/<version>/{model.pkl.gz, card.json}`` and ``models/current``.

The model file holds the fitted model in its serving form (:mod:`hypemeter.bundles.model_file`:
NumPy arrays in hypemeter classes, no scikit-learn object). Unpickling runs code, so a bundle is
only read after its sha256 matches the one recorded in its card, its card's bundle format is
this version's and its NumPy major version is not newer than the installed one; reading admits
only the serving form's classes. ``models/current`` is a symlink switched with an atomic
rename, so a crash mid-publish never leaves a broken current model.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hypemeter.bundles import model_file
from hypemeter.bundles.model_file import MODEL_FILE, ForeignObjectError
from hypemeter.errors import (
    ChecksumMismatchError,
    ModelLoadError,
    ModelVersionNotFoundError,
    VersionMismatchError,
    describe,
)

if TYPE_CHECKING:  # imported when a bundle is loaded: the model pulls in the text analysis
    from hypemeter.scoring.model import HypeModel

CARD_FILE = "card.json"
CURRENT = "current"
# Bump when the pickled model's classes change shape: a bundle of another format is refused
# up front instead of failing at its first prediction. 7: the serving form (model.pkl.gz, no
# scikit-learn object; 6 and older pickled scikit-learn estimators in model.joblib).
FORMAT_VERSION = 7


@dataclass(frozen=True)
class Bundle:
    """A verified, loaded model with its card."""

    model: HypeModel
    card: dict[str, Any]
    path: Path

    @property
    def version(self) -> str:
        return str(self.card["version"])

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the model reads (the card's ``languages``; a card without the field
        was trained on English only: ``("en",)``)."""
        return card_languages(self.card)


DEFAULT_CARD_LANGUAGES: tuple[str, ...] = ("en",)


def card_languages(card: dict[str, Any]) -> tuple[str, ...]:
    """The card's ``languages`` (checked by :func:`card_problem`), or ``("en",)``."""
    value = card.get("languages")
    return DEFAULT_CARD_LANGUAGES if value is None else tuple(value)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def resolve_bundle_dir(path: Path, version: str | None = None) -> Path:
    """Find the bundle directory for ``path`` (a bundle dir or a models dir) and ``version``.

    ``path`` may be a bundle directory itself (holds ``card.json``), a models directory (then
    ``version`` or its ``current`` pointer chooses the bundle), or a ``model.pkl.gz`` file.
    """
    path = Path(path)
    if path.is_file() and path.name == MODEL_FILE:
        return path.parent
    if version is not None:
        if not version or "/" in version or "\\" in version or version.startswith("."):
            raise ModelLoadError(f"invalid model version {version!r}", field="version")
        candidate = path / version
        if not (candidate / CARD_FILE).is_file():
            raise ModelVersionNotFoundError(
                f"no model version {version!r} under {path}", field="version"
            )
        return candidate
    if (path / CARD_FILE).is_file():
        return path
    current = path / CURRENT
    if current.is_symlink() or current.is_dir():
        target = follow_link(current)
        if (target / CARD_FILE).is_file():
            return target
        raise ModelLoadError(f"{current} points at {target}, which holds no {CARD_FILE}")
    if current.is_file():  # a pointer file holding the version name (filesystems without links)
        name = current.read_text(encoding="utf-8").strip()
        return resolve_bundle_dir(path, name)
    raise ModelLoadError(f"no model bundle at {path} (expected {CARD_FILE} or {CURRENT})")


def follow_link(link: Path) -> Path:
    """Where ``link`` leads; a symlink loop is a :class:`ModelLoadError` naming it (Python
    raises RuntimeError for a loop before 3.13, OSError ELOOP from 3.13)."""
    try:
        return link.resolve()
    except (RuntimeError, OSError) as exc:
        raise ModelLoadError(
            f"{link} is a symlink loop (or cannot be followed: {exc}); point it at a model "
            "version folder"
        ) from None


_HEX = frozenset("0123456789abcdef")

# What a card must hold for the bundle to be checked and loaded: key -> (type, description).
CARD_FIELDS: dict[str, tuple[type, str]] = {
    "version": (str, "a non-empty string"),
    "model_sha256": (str, f"the 64 hex digits of {MODEL_FILE}'s sha256"),
    "libraries": (dict, "an object mapping library names to versions"),
}


def card_problem(card: Any) -> str | None:
    """Why ``card`` (parsed JSON) cannot describe a loadable bundle, or None."""
    if not isinstance(card, dict):
        return "is not a JSON object"
    for key, (kind, what) in CARD_FIELDS.items():
        if key not in card:
            return f"lacks {key!r}"
        value = card[key]
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            return f"has {key!r} = {_short(value)}; it must be {what}"
    sha = card["model_sha256"]
    if len(sha) != 64 or not set(sha) <= _HEX:
        return f"has 'model_sha256' = {_short(sha)}; it must be {CARD_FIELDS['model_sha256'][1]}"
    if not all(isinstance(v, str) for v in card["libraries"].values()):
        return "has a library version that is not a string in 'libraries'"
    langs = card.get("languages")
    if langs is not None and not (
        isinstance(langs, list) and langs
        and all(isinstance(c, str) and 2 <= len(c) <= 3 and c.isascii() and c.islower()
                for c in langs)
    ):
        return (f"has 'languages' = {_short(langs)}; it must be a non-empty list of language "
                "codes such as [\"en\"]")
    return None


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_card(bundle_dir: Path) -> dict[str, Any]:
    card_path = bundle_dir / CARD_FILE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"missing {card_path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"unreadable model card {card_path}: {describe(exc)}") from exc
    except (RecursionError, ValueError) as exc:  # too deep, an integer too long
        raise ModelLoadError(f"unreadable model card {card_path}: {describe(exc)}") from exc
    problem = card_problem(card)
    if problem is not None:
        raise ModelLoadError(f"model card {card_path} {problem}")
    return card  # type: ignore[no-any-return]


def verify_bundle(bundle_dir: Path, card: dict[str, Any]) -> None:
    """Refuse a tampered model file, one of another bundle format or one whose arrays were
    pickled by a newer NumPy major version than the installed one."""
    model_path = bundle_dir / MODEL_FILE
    if card.get("format_version") != FORMAT_VERSION:  # first: older formats name another file
        raise VersionMismatchError(
            f"{model_path} is in bundle format {card.get('format_version')!r}; this hypemeter "
            f"reads bundle format {FORMAT_VERSION} only: retrain the model with this version "
            "(`hypemeter train --out DIR --version NAME`, with the corpora and data it was "
            "trained on)"
        )
    if not model_path.is_file():
        raise ModelLoadError(f"missing {model_path}")
    actual = sha256_file(model_path)
    if actual != card["model_sha256"]:
        raise ChecksumMismatchError(
            f"{model_path} has sha256 {actual}, the card says {card['model_sha256']}: "
            "refusing to load a modified model file"
        )
    written_with = str(card["libraries"].get("numpy", ""))
    if _major(written_with) > _major(np.__version__):
        raise VersionMismatchError(
            f"{model_path} was written with numpy {written_with}, this environment has "
            f"{np.__version__}, which cannot read its arrays: install numpy>={written_with}"
        )


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def load_bundle(path: Path | str, version: str | None = None) -> Bundle:
    """The one way a bundle is loaded (CLI, engines, service): resolve it, check its card,
    verify the model file's sha256, bundle format and library versions, and only then
    unpickle it (admitting the serving form's classes only), and refuse anything that is not
    a hypemeter model."""
    bundle_dir = resolve_bundle_dir(Path(path), version)
    card = read_card(bundle_dir)
    model_path = bundle_dir / MODEL_FILE
    verify_bundle(bundle_dir, card)  # before unpickling: unpickling runs code
    try:
        model = model_file.loads(model_path.read_bytes())
    except ForeignObjectError as exc:
        raise ModelLoadError(
            f"cannot load the model in {model_path}: the file matches its card's sha256 but "
            f"holds {exc.module}.{exc.name}, which a hypemeter model file never holds: "
            "refusing it"
        ) from None
    except Exception as exc:  # unpickling can fail in many ways; all mean "not loadable"
        raise ModelLoadError(
            f"cannot load the model in {model_path}: the file matches its card's sha256 but "
            f"{_unpickle_problem(exc)} ({describe(exc)})"
        ) from exc
    from hypemeter.scoring.model import HypeModel  # here: the model pulls in the analysis

    if not isinstance(model, HypeModel):
        raise ModelLoadError(
            f"{model_path} holds a {type(model).__module__}.{type(model).__qualname__}, "
            "not a hypemeter model (HypeModel): refusing it"
        )
    return Bundle(model=model, card=card, path=bundle_dir)


def _unpickle_problem(exc: Exception) -> str:
    """What an exception from :func:`hypemeter.bundles.model_file.loads` says about the file,
    in words."""
    if isinstance(exc, EOFError):
        return "is empty or cut short"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return "is not a gzip-compressed model file (corrupt, or written by something else)"
    if isinstance(exc, ImportError | AttributeError):
        return ("needs code this installation does not have (written by another version of "
                "hypemeter or of its libraries?)")
    if isinstance(exc, pickle.UnpicklingError | KeyError | IndexError | ValueError | TypeError):
        return "is not a hypemeter model file (corrupt, or written by something else)"
    return "cannot be unpickled"


def write_bundle(
    model: Any, card: dict[str, Any], models_dir: Path, extras: dict[str, Path] | None = None
) -> Path:
    """Write ``models_dir/<version>/`` (model first, card last) and return the bundle dir.
``model`` is a fitted model in its serving form (:func:`hypemeter.bundles.model_file.dumps`).

    The bundle is assembled in a temporary sibling directory and renamed into place, so a
    half-written bundle is never visible under its version name. ``extras`` maps names inside
    the bundle to files or folders moved into it (e.g. the validation ``report``).
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    version = str(card["version"])
    final = check_new_version(models_dir, version)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.pid{os.getpid()}.", dir=models_dir))
    for name, src in (extras or {}).items():
        shutil.move(str(src), staging / name)
    (staging / MODEL_FILE).write_bytes(model_file.dumps(model))
    card = {**card, "model_sha256": sha256_file(staging / MODEL_FILE)}
    (staging / CARD_FILE).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    staging.chmod(0o755)
    os.replace(staging, final)
    return final


def check_new_version(models_dir: Path, version: str) -> Path:
    """``models_dir/version`` for a new bundle; refuses a bad name or one already taken."""
    if not version.strip() or "/" in version or "\\" in version or version.startswith(".") \
            or version == CURRENT:
        raise ModelLoadError(f"invalid model version {version!r}: it names a folder under "
                             f"{models_dir}, so no slashes, no leading dot, not {CURRENT!r}",
                             field="version")
    final = models_dir / version
    if final.exists() or final.is_symlink():
        raise ModelLoadError(f"model version {version} already exists at {final}; choose "
                             "another --version", field="version")
    return final


def publish_current(models_dir: Path, version: str) -> None:
    """Point ``models_dir/current`` at ``version`` with one atomic rename."""
    if not (models_dir / version / CARD_FILE).is_file():
        raise ModelLoadError(f"cannot publish {version}: no bundle at {models_dir / version}")
    tmp = models_dir / f".{CURRENT}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(version, target_is_directory=True)
    os.replace(tmp, models_dir / CURRENT)


def record_measurement(
    bundle_dir: Path, name: str, command: str, results: dict[str, Any]
) -> None:
    """Add a benchmark's figures to the card under ``measured[name]`` (with the command that
    produced them and when), replacing the card atomically. The model file and its checksum
    are untouched."""
    card = read_card(bundle_dir)
    measured = card.get("measured") if isinstance(card.get("measured"), dict) else {}
    measured[name] = {
        "command": command,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
    card["measured"] = measured
    tmp = bundle_dir / f".{CARD_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, bundle_dir / CARD_FILE)
