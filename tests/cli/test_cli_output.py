"""``hypemeter score`` output is whole or absent: a single output file is written beside its
final name and renamed when complete; a full disk is a clear error (exit 2) that leaves no
partial file and keeps the earlier one; a reader that goes away ends the run quietly.

These run the real command in a subprocess (signals, resource limits, pipes, /dev/full).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PREVIOUS = '{"id":"earlier","note":"a whole output from an earlier run"}\n'


def write_input(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"r{i}", "headline": f"Council meets on day {i}",
                                 "body": "The budget vote is on Tuesday. " * 40}) + "\n")
    return path


def hypemeter(*args: str, bundle_dir: Path, **kw: object) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "hypemeter", "score", *args, "--model", str(bundle_dir),
           "--no-explain", "-q"]
    return subprocess.Popen(cmd, stdout=kw.pop("stdout", subprocess.DEVNULL),  # type: ignore[arg-type]
                            stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_killed_run_leaves_the_earlier_file_whole(tmp_path: Path, bundle_dir: Path) -> None:
    src = write_input(tmp_path / "in.jsonl", 20_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "scores.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    proc = hypemeter(str(src), "-o", str(out), bundle_dir=bundle_dir)
    deadline = time.monotonic() + 120
    temp = out_dir / f".scores.jsonl.{proc.pid}.tmp"
    while time.monotonic() < deadline and proc.poll() is None:
        if temp.is_file() and temp.stat().st_size > 0:  # results are being written
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1].decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert out.read_text(encoding="utf-8") == PREVIOUS  # untouched, not half-overwritten
    assert temp.is_file()  # the half-written results are only under the hidden name
    # the next run on that output removes the killed run's temporary file
    small = write_input(tmp_path / "small.jsonl", 3)
    rerun = hypemeter(str(small), "-o", str(out), bundle_dir=bundle_dir)
    assert rerun.wait() == 0, rerun.communicate()[1].decode()
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["r0", "r1", "r2"]
    assert leftovers(out_dir) == []


def test_full_run_renames_into_place(tmp_path: Path, bundle_dir: Path) -> None:
    src = write_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "scores.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    proc = hypemeter(str(src), "-o", str(out), bundle_dir=bundle_dir)
    assert proc.wait() == 0, proc.communicate()[1].decode()
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == \
        [f"r{i}" for i in range(30)]
    assert leftovers(tmp_path) == []


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, 8_000))


@pytest.mark.parametrize("name", ["scores.jsonl", "scores.csv"])
def test_write_error_keeps_the_earlier_file_and_leaves_no_partial_one(
        tmp_path: Path, bundle_dir: Path, name: str) -> None:
    src = write_input(tmp_path / "in.jsonl", 400)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / name
    out.write_text(PREVIOUS, encoding="utf-8")
    # A file-size limit makes writes fail part way (EFBIG), as a full disk does (ENOSPC).
    proc = hypemeter(str(src), "-o", str(out), bundle_dir=bundle_dir,
                     preexec_fn=_limit_file_size)
    err = proc.communicate()[1].decode()
    assert proc.returncode == 2, err
    assert f"hypemeter score: error: cannot write {out}: File too large; {out} was left as " \
        "it was (no partial file)" in err
    assert "Traceback" not in err
    assert out.read_text(encoding="utf-8") == PREVIOUS
    assert leftovers(out_dir) == []


def test_dev_full_is_a_clear_error(tmp_path: Path, bundle_dir: Path) -> None:
    src = write_input(tmp_path / "in.jsonl", 5)
    proc = hypemeter(str(src), "-o", "/dev/full", bundle_dir=bundle_dir)
    err = proc.communicate()[1].decode()
    assert proc.returncode == 2, err
    assert "hypemeter score: error: cannot write /dev/full: No space left on device" in err
    assert "Traceback" not in err
    with open("/dev/full", "wb") as full:
        proc = hypemeter(str(src), bundle_dir=bundle_dir, stdout=full)
        err = proc.communicate()[1].decode()
    assert proc.returncode == 2, err
    assert "hypemeter score: error: cannot write to stdout: No space left on device" in err
    assert "Traceback" not in err


def test_full_disk_leaves_nothing(tmp_path: Path, bundle_dir: Path) -> None:
    """A real full file system: a 64 KiB tmpfs (needs root to mount; skipped otherwise)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
        capture_output=True, check=False).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        src = write_input(tmp_path / "in.jsonl", 3000)
        out = mnt / "scores.jsonl"
        proc = hypemeter(str(src), "-o", str(out), bundle_dir=bundle_dir)
        err = proc.communicate()[1].decode()
        assert proc.returncode == 2, err
        assert f"cannot write {out}: No space left on device" in err
        assert "Traceback" not in err
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_closed_pipe_ends_quietly(tmp_path: Path, bundle_dir: Path) -> None:
    src = write_input(tmp_path / "in.jsonl", 300)
    proc = hypemeter(str(src), bundle_dir=bundle_dir, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # as `| head -c 0` does
    err = proc.communicate()[1].decode()
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "Broken pipe" not in err


def run_on_terminal(args: list[str], bundle_dir: Path, size: tuple[int, int] | None = None
                    ) -> tuple[int, str]:
    """Run ``hypemeter score`` with stderr on a pseudo-terminal (of ``size`` rows x columns,
    or unsized); return (status, what the terminal showed)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    if size is not None:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    cmd = [sys.executable, "-m", "hypemeter", "score", *args, "--model", str(bundle_dir),
           "--no-explain"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(), shown.decode(errors="replace")


@pytest.mark.parametrize("size", [(30, 120), None], ids=["sized", "unsized"])
def test_progress_bar_on_a_terminal_only(tmp_path: Path, bundle_dir: Path,
                                         size: tuple[int, int] | None) -> None:
    src = write_input(tmp_path / "in.jsonl", 600)
    code, shown = run_on_terminal([str(src), "-o", str(tmp_path / "out.jsonl"),
                                   "--batch-size", "100"], bundle_dir, size)
    assert code == 0, shown
    assert "scoring (local x1): " in shown, shown
    # the input's size is known: the total and the percentage (tests/engines/test_progress_total.py)
    assert "scoring (local x1): 100%" in shown and "600/600" in shown, shown
    assert "rec/s]" in shown
    code, shown = run_on_terminal([str(src), "-o", str(tmp_path / "out2.jsonl"), "-q"],
                                  bundle_dir, size)
    assert code == 0, shown
    assert "scoring (" not in shown and "rec/s" not in shown
    assert "scored 600 record(s)" in shown
