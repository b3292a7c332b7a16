"""One write per response: what the protocol writes in one turn of the event loop reaches the
socket in one piece, in order, and nothing is lost on close; over a real server, responses
(keep-alive, pipelined, errors written by the protocol itself) arrive whole."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from hypemeter.service.protocol import COALESCE_BYTES, CoalescingTransport
from support.servers import start_server


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.extra = {"peername": ("127.0.0.1", 1)}

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)


def test_writes_of_one_turn_go_out_in_one_piece_in_order() -> None:
    async def run() -> Recorder:
        raw = Recorder()
        t = CoalescingTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b'{"a":1}')
        assert raw.writes == []  # not yet: the turn is not over
        await asyncio.sleep(0)
        assert raw.writes == [b'HTTP/1.1 200 OK\r\n\r\n{"a":1}']
        t.write(b"next")
        await asyncio.sleep(0)
        assert t.get_extra_info("peername") == ("127.0.0.1", 1)  # the rest is the transport's
        return raw

    raw = asyncio.run(run())
    assert raw.writes[1:] == [b"next"]


def test_close_writes_what_is_pending_first() -> None:
    async def run() -> Recorder:
        raw = Recorder()
        t = CoalescingTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write(b"408 ...")
        t.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left to write
        return raw

    raw = asyncio.run(run())
    assert raw.writes == [b"408 ..."] and raw.closed


def test_a_long_stream_is_not_held_back() -> None:
    async def run() -> Recorder:
        raw = Recorder()
        t = CoalescingTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        chunk = b"x" * 1000
        for _ in range(COALESCE_BYTES // 1000 + 1):
            t.write(chunk)
        assert len(raw.writes) == 1  # written once the bound was reached, in the same turn
        assert len(raw.writes[0]) == (COALESCE_BYTES // 1000 + 1) * 1000
        await asyncio.sleep(0)
        return raw

    assert len(asyncio.run(run()).writes) == 1


def read_responses(sock: socket.socket, count: int) -> list[tuple[bytes, bytes]]:
    """``count`` HTTP/1.1 responses (head, body) with Content-Length bodies."""
    buf = b""
    out: list[tuple[bytes, bytes]] = []
    while len(out) < count:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            assert chunk, "connection closed early"
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        while len(rest) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed early"
            rest += chunk
        out.append((head, rest[:length]))
        buf = rest[length:]
    return out


@pytest.mark.slow
def test_keep_alive_and_pipelined_responses_arrive_whole(bundle_dir: Path,
                                                         tmp_path: Path) -> None:
    server = start_server(bundle_dir, tmp_path)
    try:
        host, port = server.url.removeprefix("http://").split(":")
        body = json.dumps({"headline": "Shocking news", "body": "You will not believe it."})
        score = (f"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
        health = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(score + health + score)  # pipelined on one connection
            answers = read_responses(sock, 3)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n")
            sock.settimeout(30)
            rest = b""
            while chunk := sock.recv(65536):
                rest += chunk
        heads = [head.split(b"\r\n", 1)[0] for head, _ in answers]
        assert heads == [b"HTTP/1.1 200 OK"] * 3
        assert json.loads(answers[0][1]) == json.loads(answers[2][1])
        assert "scores" in json.loads(answers[0][1])
        assert json.loads(answers[1][1]) == {"status": "ok"}
        assert rest.startswith(b"HTTP/1.1 400")  # the protocol's own answer, then close
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"]["code"] == "bad_request"
    finally:
        server.stop()
