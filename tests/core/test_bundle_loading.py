"""One bundle-loading path for the CLI and the server: the card is checked, the model file's
sha256 is verified before anything is unpickled, and what is unpickled must be a model."""

from __future__ import annotations

import gzip
import json
import pathlib
import pickle
import shutil
from pathlib import Path

import pytest
from hypemeter.service.state import ModelHolder

from hypemeter.bundles.bundle import CARD_FILE, MODEL_FILE, load_bundle, sha256_file
from hypemeter.cli import main
from hypemeter.errors import ChecksumMismatchError, ModelLoadError


def copy_bundle(bundle_dir: Path, dst: Path) -> Path:
    shutil.copytree(bundle_dir, dst, ignore=shutil.ignore_patterns("report"))
    return dst


def edit_card(bundle: Path, **changes: object) -> None:
    card = json.loads((bundle / CARD_FILE).read_text())
    card.update(changes)
    (bundle / CARD_FILE).write_text(json.dumps(card))


def score_cli(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
              ) -> tuple[int, str]:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "headline": "Council meets"}\n{"id": "b", "body": "x y"}\n')
    code = main(["score", str(src), "--model", str(model), "-q", *extra])
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing scored with a refused bundle
    return code, captured.err


def server_refusal(models: Path) -> str:
    with pytest.raises(ModelLoadError) as info:
        ModelHolder(models).load()
    return info.value.message


@pytest.mark.parametrize("libraries", [["scikit-learn"], "1.5.2", None, {"scikit-learn": 1}])
def test_card_whose_libraries_is_not_an_object_is_refused_by_cli_and_server(
        bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        libraries: object) -> None:
    bundle = copy_bundle(bundle_dir, tmp_path / "models" / "v1")
    edit_card(bundle, libraries=libraries)
    code, err = score_cli(bundle, tmp_path, capsys)
    assert code == 2, err
    assert "Traceback" not in err and "AttributeError" not in err
    assert f"hypemeter score: error: model card {bundle / CARD_FILE} has " in err
    if libraries == {"scikit-learn": 1}:
        assert "a library version that is not a string in 'libraries'" in err
    else:
        assert "it must be an object mapping library names to versions" in err
    (tmp_path / "models" / "current").symlink_to("v1")
    assert server_refusal(tmp_path / "models") in err


@pytest.mark.parametrize("change", [{"version": ""}, {"version": 3},
                                    {"model_sha256": "not-a-digest"}])
def test_other_bad_card_fields_are_refused(bundle_dir: Path, tmp_path: Path,
                                           change: dict[str, object]) -> None:
    bundle = copy_bundle(bundle_dir, tmp_path / "b")
    edit_card(bundle, **change)
    key = next(iter(change))
    with pytest.raises(ModelLoadError, match=f"has '{key}' = .*; it must be"):
        load_bundle(bundle)


def forge(bundle: Path, obj: object) -> None:
    """Replace the model with ``obj``, the card's sha256 updated to match (a consistent,
    hostile or mistaken bundle)."""
    (bundle / MODEL_FILE).write_bytes(gzip.compress(pickle.dumps(obj)))
    edit_card(bundle, model_sha256=sha256_file(bundle / MODEL_FILE))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_checksum_consistent_pickle_that_is_not_a_model_is_refused(
        bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str) -> None:
    bundle = copy_bundle(bundle_dir, tmp_path / "models" / "v1")
    forge(bundle, {"weights": [1, 2, 3]})
    code, err = score_cli(bundle, tmp_path, capsys, "--jobs", jobs)
    assert code == 2, err
    assert f"hypemeter score: error: {bundle / MODEL_FILE} holds a builtins.dict, not a " \
        "hypemeter model (HypeModel): refusing it" in err
    assert "skipped record" not in err  # the bundle is refused, not each record blamed
    (tmp_path / "models" / "current").symlink_to("v1")
    assert "holds a builtins.dict, not a hypemeter model" in server_refusal(tmp_path / "models")


class _Touch:
    """Unpickling this creates ``marker``: it shows whether the pickle was ever run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (pathlib.Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_checksum_is_verified_before_unpickling(bundle_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pickle-ran"
    bundle = copy_bundle(bundle_dir, tmp_path / "b")
    forge(bundle, _Touch(marker))
    with (bundle / MODEL_FILE).open("ab") as fh:  # tampered after the card was written
        fh.write(b"\0")
    with pytest.raises(ChecksumMismatchError, match="refusing to load a modified model file"):
        load_bundle(bundle)
    assert not marker.exists()  # refused before any of the file was unpickled
    # with a matching sha256 the very same pickle is refused too: reading admits the serving
    # form's classes only, so the function it names is never looked up, let alone called
    edit_card(bundle, model_sha256=sha256_file(bundle / MODEL_FILE))
    with pytest.raises(ModelLoadError, match=r"holds pathlib\.Path\.touch, which a hypemeter model "
                       "file never holds"):
        load_bundle(bundle)
    assert not marker.exists()
    # the control: unpickled without that filter, the pickle does run
    pickle.loads(gzip.decompress((bundle / MODEL_FILE).read_bytes()))
    assert marker.exists()


def test_unreadable_pickle_message_names_the_problem(bundle_dir: Path, tmp_path: Path) -> None:
    bundle = copy_bundle(bundle_dir, tmp_path / "b")
    messages = []
    for junk in (gzip.compress(b"\x80\x04K\x00."), gzip.compress(b"not a pickle at all"),
                 b"not gzip", gzip.compress(b"")):
        (bundle / MODEL_FILE).write_bytes(junk)
        edit_card(bundle, model_sha256=sha256_file(bundle / MODEL_FILE))
        with pytest.raises(ModelLoadError) as info:
            load_bundle(bundle)
        messages.append(info.value.message)
    prefix = f"cannot load the model in {bundle / MODEL_FILE}: the file matches its card's " \
        "sha256 but "
    assert messages == [
        f"{bundle / MODEL_FILE} holds a builtins.int, not a hypemeter model (HypeModel): "
        "refusing it",
        prefix + "is not a hypemeter model file (corrupt, or written by something else) "
        "(UnpicklingError: invalid load key, 'n'.)",
        prefix + "is not a gzip-compressed model file (corrupt, or written by something else) "
        "(BadGzipFile: Not a gzipped file (b'no'))",
        prefix + "is empty or cut short (EOFError: Ran out of input)",
    ]
