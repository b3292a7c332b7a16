"""``hypemeter datasets list|fetch`` against a local HTTP server the tests start.

The server (``http.server`` in a thread, with ``Range`` support) serves archives built from
the test fixtures; the catalog the tests write lists the fixtures' sha256. Every fault (a cut
download, a wrong checksum, a server error, a corrupt archive) must leave the data dir exactly
as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypemeter.training.corpora.checksums import measure
from hypemeter.training.corpora.registry import CATALOG_PATH

from hypemeter.cli import main
from hypemeter.paths import default_data_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpora"


# --------------------------------------------------------------------------- the server


class Server:
    """Serves ``files`` (path -> bytes); ``faults[path]`` = ``truncate`` | ``error``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                data = server.files.get(self.path)
                fault = server.faults.get(self.path)
                if fault == "error":
                    self.send_error(500, "broken on purpose")
                    return
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", rng or "")
                if match:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if fault == "truncate":  # announce everything, send half, hang up
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------- archives


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _tree(root: Path, prefix: str) -> dict[str, bytes]:
    return {prefix + p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _files(name: str) -> list[dict[str, Any]]:
    """The catalog's ``files`` for a fixture corpus: what its loader reads, with sha256."""
    (report,) = measure(FIXTURES, [name], {})
    return [{"path": key, "sha256": info["sha256"]} for key, info in report.files.items()]


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def catalog(tmp_path: Path, server: Server) -> Path:
    """A catalog of four fixture corpora served by ``server`` (zip, gzip + file, tar.gz), and
    one that needs a manual step."""
    liar = FIXTURES / "liar"
    server.files["/liar.zip"] = _zip({"train.tsv": (liar / "train.tsv").read_bytes(),
                                      "valid.tsv": (liar / "valid.tsv").read_bytes(),
                                      "README": b"not used\n"})
    stop = FIXTURES / "stop_clickbait_2016"
    for name in ("clickbait_data", "non_clickbait_data"):
        server.files[f"/sc/{name}.gz"] = gzip.compress((stop / name).read_bytes())
    server.files["/sc/LICENSE"] = b"MIT\n"
    server.files["/perez.zip"] = _zip(
        _tree(FIXTURES / "perez_rosas_2018" / "data", "fakeNewsDatasets/")
        | {"__MACOSX/fakeNewsDatasets/._x": b"junk"}
    )
    server.files["/ptc.tar.gz"] = _tar(_tree(FIXTURES / "ptc_semeval2020", "ptc/"))
    url = server.url
    corpora = [
        {"name": "liar", "tasks": ["misinformation"], "licence": "research use",
         "fetch": {"sources": [{"url": f"{url}/liar.zip", "format": "zip",
                                "extract": {"train.tsv": "train.tsv", "valid.tsv": "valid.tsv"}}]},
         "files": _files("liar")},
        {"name": "stop_clickbait_2016", "tasks": ["sensationalism"], "licence": "MIT",
         "fetch": {"sources": [
             {"url": f"{url}/sc/clickbait_data.gz", "format": "gzip", "to": "clickbait_data"},
             {"url": f"{url}/sc/non_clickbait_data.gz", "format": "gzip",
              "to": "non_clickbait_data"},
             {"url": f"{url}/sc/LICENSE", "format": "file", "to": "LICENSE"}]},
         "files": _files("stop_clickbait_2016")},
        {"name": "perez_rosas_2018", "tasks": ["misinformation"], "licence": "research use",
         "fetch": {"sources": [{"url": f"{url}/perez.zip", "format": "zip",
                                "extract": {"fakeNewsDatasets/": "data/"},
                                "exclude": ["__MACOSX/*"]}]},
         "files": _files("perez_rosas_2018")},
        {"name": "ptc_semeval2020", "tasks": ["spans"], "licence": "research use",
         "fetch": {"sources": [{"url": f"{url}/ptc.tar.gz", "format": "tar",
                                "extract": {"ptc/": ""}}]},
         "files": _files("ptc_semeval2020")},
        {"name": "hypo_troiano2018", "tasks": ["sensationalism"], "licence": "CC BY 4.0",
         "fetch": {"manual": "ask the authors for HYPO.tsv",
                   "manual_url": "https://example.org/hypo", "manual_files": ["HYPO.tsv"]},
         "files": [{"path": "hypo_troiano2018/HYPO.tsv", "sha256": "0" * 64}]},
    ]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"corpora": corpora}), encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with the sha256 of each file (the data dir's whole state)."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest()
                                             if p.is_file() else "dir")
            for p in sorted(root.rglob("*"))}


def fetch(catalog: Path, data: Path, downloads: Path, *names: str) -> int:
    return main(["datasets", "fetch", *names, "--data-dir", str(data), "--download-dir",
                 str(downloads), "--catalog", str(catalog), "--quiet"])


# --------------------------------------------------------------------------- tests


def test_fetch_unpacks_each_corpus_into_the_layout_the_loaders_read(
    tmp_path: Path, catalog: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data, downloads = tmp_path / "data", tmp_path / "dl"
    assert fetch(catalog, data, downloads) == 0
    err = capsys.readouterr().err
    assert "4 corpora in place; needs a manual step: hypo_troiano2018" in err
    for name in ("liar", "stop_clickbait_2016", "perez_rosas_2018", "ptc_semeval2020"):
        assert f"{name}: ok, every file matches the catalog's sha256" in err
        wanted = {k: v for k, v in snapshot(FIXTURES / name).items() if v != "dir"}
        got = snapshot(data / name)
        assert {k: got.get(k) for k in wanted} == wanted, name
    assert (data / "stop_clickbait_2016" / "LICENSE").read_bytes() == b"MIT\n"
    assert not any(p.name.startswith(".") for p in data.iterdir())  # no staging left
    assert not (data / "perez_rosas_2018" / "__MACOSX").exists()
    # The manual corpus: its link and the expected layout, and nothing written for it.
    assert "hypo_troiano2018: needs a manual step: ask the authors for HYPO.tsv" in err
    assert "where: https://example.org/hypo" in err
    assert "    hypo_troiano2018/HYPO.tsv" in err
    assert not (data / "hypo_troiano2018").exists()

    assert main(["datasets", "list", "--data-dir", str(data), "--catalog", str(catalog)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^liar\s+misinformation\s+auto\s+ok\s+research use$", out, re.M)
    assert re.search(r"^hypo_troiano2018\s+sensationalism\s+manual\s+missing\s+CC BY 4.0$",
                     out, re.M)

    # A second run finds everything in place and downloads nothing.
    seen = len(server.requests)
    assert fetch(catalog, data, downloads, "liar", "ptc_semeval2020") == 0
    assert "liar: already present" in capsys.readouterr().err
    assert len(server.requests) == seen


def test_a_cut_download_changes_nothing_and_the_next_run_resumes_it(
    tmp_path: Path, catalog: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data, downloads = tmp_path / "data", tmp_path / "dl"
    data.mkdir()
    (data / "liar").mkdir()
    (data / "liar" / "train.tsv").write_bytes(b"an older copy\n")  # must survive the fault
    before = snapshot(data)
    server.faults["/liar.zip"] = "truncate"
    assert fetch(catalog, data, downloads, "liar") == 1
    err = capsys.readouterr().err
    assert "liar: failed:" in err and "download cut short at" in err and "resume" in err
    assert snapshot(data) == before
    size = len(server.files["/liar.zip"])
    (part,) = (downloads / "liar").glob("*.part")
    assert part.stat().st_size == size // 2

    del server.faults["/liar.zip"]
    assert fetch(catalog, data, downloads, "liar") == 0
    assert server.requests[-1] == ("/liar.zip", f"bytes={size // 2}-")  # resumed, not restarted
    fixture = (FIXTURES / "liar" / "train.tsv").read_bytes()
    assert (data / "liar" / "train.tsv").read_bytes() == fixture


def test_a_wrong_checksum_changes_nothing(
    tmp_path: Path, catalog: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data, downloads = tmp_path / "data", tmp_path / "dl"
    assert fetch(catalog, data, downloads, "stop_clickbait_2016") == 0
    before = snapshot(data)
    # The server now sends other bytes for one file than the catalog's sha256 says.
    server.files["/liar.zip"] = _zip({"train.tsv": b"x\tfalse\tA changed claim.\n",
                                      "valid.tsv": (FIXTURES / "liar" / "valid.tsv").read_bytes()})
    assert fetch(catalog, data, downloads, "liar") == 1
    err = capsys.readouterr().err
    assert "do not match the catalog" in err and "sha256 differs: liar/train.tsv" in err
    assert snapshot(data) == before
    assert not list((downloads / "liar").iterdir())  # a bad download is not kept for reuse


def test_a_server_error_or_a_corrupt_archive_changes_nothing(
    tmp_path: Path, catalog: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data, downloads = tmp_path / "data", tmp_path / "dl"
    (data / "perez_rosas_2018").mkdir(parents=True)
    (data / "perez_rosas_2018" / "notes.txt").write_text("mine\n")
    before = snapshot(data)
    server.faults["/sc/non_clickbait_data.gz"] = "error"
    server.files["/perez.zip"] = b"this is not a zip file"
    assert fetch(catalog, data, downloads, "stop_clickbait_2016", "perez_rosas_2018") == 1
    err = capsys.readouterr().err
    assert "stop_clickbait_2016: failed:" in err and "HTTP 500" in err
    assert "perez_rosas_2018: failed:" in err and "cannot unpack" in err
    assert snapshot(data) == before


def test_unknown_corpus_is_an_error(tmp_path: Path, catalog: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert fetch(catalog, tmp_path / "d", tmp_path / "dl", "nope") == 2
    assert "unknown corpus nope" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_a_failed_first_fetch_leaves_no_data_dir(tmp_path: Path, catalog: Path,
                                                 server: Server) -> None:
    server.faults["/liar.zip"] = "error"
    assert fetch(catalog, tmp_path / "new", tmp_path / "dl", "liar") == 1
    assert not (tmp_path / "new").exists()


def test_default_data_dir_is_the_environment_else_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPEMETER_DATA_DIR", str(tmp_path / "corpora"))
    assert default_data_dir() == tmp_path / "corpora"
    monkeypatch.delenv("HYPEMETER_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "hypemeter" / "datasets"


def test_the_real_catalog_says_how_to_get_every_corpus() -> None:
    catalog = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    for corpus in catalog["corpora"]:
        if corpus.get("location") == "repository":
            continue
        fetch_entry = corpus["fetch"]
        assert fetch_entry.get("sources") or fetch_entry.get("manual"), corpus["name"]
        for source in fetch_entry.get("sources", []):
            assert source["url"].startswith("https://"), source
            assert source["format"] in ("zip", "tar", "gzip", "file")
        if fetch_entry.get("manual"):
            assert fetch_entry["manual_url"].startswith("https://")
        assert all(f["sha256"] for f in corpus["files"]), corpus["name"]
    assert "../shared" not in CATALOG_PATH.read_text(encoding="utf-8")


SHARED = Path(
    os.environ.get("HYPEMETER_DATA_DIR")
    or Path(__file__).resolve().parents[3] / "shared" / "datasets"
)


@pytest.mark.skipif(not (SHARED / "liar").is_dir(), reason=f"no corpora at {SHARED}")
def test_the_real_catalog_matches_the_real_corpora(capsys: pytest.CaptureFixture[str]) -> None:
    """Every corpus of the catalog is ``ok`` in a complete data dir, and fetching it again
    downloads nothing."""
    assert main(["datasets", "list", "--data-dir", str(SHARED)]) == 0
    out = capsys.readouterr().out
    catalog = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    for corpus in catalog["corpora"]:
        state = "in repository" if corpus.get("location") == "repository" else "ok"
        assert re.search(rf"^{corpus['name']}\s.*\s{state}\s", out, re.M), (corpus["name"], out)
    assert main(["datasets", "fetch", "--data-dir", str(SHARED), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "8 corpora in place" in err and "downloading" not in err
