"""The client loops of ``benchmarks/soak.py``: scoring clients, hostile requests (bad JSON,
wrong content type, empty fields, an oversized body, a bad ``Content-Length``) and slow clients
on raw sockets, each counting what it sent and got in a :class:`Tally`."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

JSON_CT = {"Content-Type": "application/json"}


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)  # "<kind> -> <status> <code>"
    unexpected: Counter[str] = field(default_factory=Counter)
    transport: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, what
    versions: list[tuple[float, str]] = field(default_factory=list)  # request start, version

    def add(self, counter: str, key: str) -> None:
        with self.lock:
            getattr(self, counter)[key] += 1


def request(tally: Tally, http: httpx.Client, kind: str, method: str, path: str,
            expect: int = 200, **kwargs: Any) -> httpx.Response | None:
    tally.add("sent", kind)
    t0 = time.monotonic()
    try:
        r = http.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        with tally.lock:
            tally.transport.append((t0, time.monotonic(), f"{kind}: {type(exc).__name__}"))
        return None
    if r.status_code == expect and expect == 200:
        tally.add("ok", kind)
    else:
        try:
            code = r.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = r.headers.get("content-type", "?")
        counter = "expected" if r.status_code == expect else "unexpected"
        tally.add(counter, f"{kind} -> {r.status_code} {code}")
    return r


def scorer(url: str, tally: Tally, stop: threading.Event, articles: list[dict[str, str]],
           batch: bool) -> None:
    i = 0
    with httpx.Client(base_url=url, timeout=60) as http:
        while not stop.is_set():
            i += 1
            began = time.monotonic()
            if batch:
                items = [articles[(i + k) % len(articles)] for k in range(16)]
                r = request(tally, http, "batch", "POST", "/v1/score/batch", json={"items": items})
            else:
                r = request(tally, http, "score", "POST", "/v1/score",
                            json=articles[i % len(articles)])
            if r is not None and r.status_code == 200:
                data = r.json()
                version = (data["results"][0] if batch else data)["model"]["version"]
                with tally.lock:
                    tally.versions.append((began, version))


def raw_exchange(url: str, data: bytes, timeout: float) -> int:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        if data:
            sock.sendall(data)
        reply = b""
        while b"\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return int(reply.split()[1]) if reply.startswith(b"HTTP/") else 0


def hostile(url: str, tally: Tally, stop: threading.Event, timeout: float) -> None:
    big = b'{"body": "' + b"x" * 1_100_000 + b'"}'
    cases: list[tuple[str, int, dict[str, Any]]] = [
        ("bad-json", 422, {"content": b'{"body": ', "headers": JSON_CT}),
        ("wrong-type", 415, {"content": b"body=x", "headers": {"Content-Type": "text/plain"}}),
        ("empty-fields", 422, {"json": {"headline": "", "body": ""}}),
        ("oversized", 413, {"content": big, "headers": JSON_CT}),
    ]
    with httpx.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            for kind, status, kwargs in cases:
                request(tally, http, kind, "POST", "/v1/score", expect=status, **kwargs)
            tally.add("sent", "bad-content-length")
            head = b"POST /v1/score HTTP/1.1\r\nHost: s\r\nContent-Length: abc\r\n\r\n"
            began = time.monotonic()
            try:
                status = raw_exchange(url, head, 10)
            except OSError as exc:
                status = 0
                what = type(exc).__name__
            else:
                what = "closed without a reply"
            if status == 0:
                with tally.lock:
                    tally.transport.append((began, time.monotonic(), f"bad-content-length: {what}"))
                continue
            tally.add("expected" if status == 400 else "unexpected",
                      f"bad-content-length -> {status}")
            stop.wait(0.2)


def slow_clients(url: str, tally: Tally, stop: threading.Event, timeout: float) -> None:
    cases = [
        ("idle-connection", b""),
        ("slow-headers", b"GET /healthz HTTP/1.1\r\nHost: s\r\n"),
        ("slow-body", b"POST /v1/score HTTP/1.1\r\nHost: s\r\nContent-Type: application/json"
                      b"\r\nContent-Length: 100\r\n\r\n{\"body\": "),
    ]
    while not stop.is_set():
        threads = []
        for kind, data in cases:
            def run(kind: str = kind, data: bytes = data) -> None:
                tally.add("sent", kind)
                began = time.monotonic()
                try:
                    status = raw_exchange(url, data, timeout + 10)
                except OSError as exc:
                    status, what = 0, type(exc).__name__
                else:
                    what = "closed without a reply"
                if status == 0:  # a transport error: the kill window decides whose it was
                    with tally.lock:
                        tally.transport.append((began, time.monotonic(), f"{kind}: {what}"))
                    return
                tally.add("expected" if status == 408 else "unexpected", f"{kind} -> {status}")
            threads.append(threading.Thread(target=run))
            threads[-1].start()
        for t in threads:
            t.join()


