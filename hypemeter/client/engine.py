"""Batch scoring through a running hypemeter service (``hypemeter score --server URL``).

Each chunk is parsed exactly as the local engines parse it, sent to ``POST /v1/score/batch``
in requests of at most ``batch_items`` articles, and rendered by the same code, so the output
is the same as local scoring with the same model. An item the server rejects (422 or 413
naming ``items.N``) is reported as a bad record with the server's message, like a record the
local model cannot score, and the rest of the request is sent again; an item the server did not
score (a language the model does not read) is reported the same way. Any other error (a wrong
key, no model loaded, no server) stops the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from hypemeter.client import Client
from hypemeter.engines.base import ChunkResult, ScoreOptions, _parse, asserting, not_scored
from hypemeter.engines.output import render_jsonl
from hypemeter.engines.partitions import Chunk
from hypemeter.errors import InvalidInputError
from hypemeter.records.io import BadRecord
from hypemeter.records.results import Article, ScoreResult
from hypemeter.service.errors import PayloadTooLargeError

_ITEM_FIELD = re.compile(r"^items\.(\d+)(?:\.|$)")


class RemoteEngine:
    """Scores chunks on the service at ``base_url`` (one request at a time, in order)."""

    name = "server"
    workers = 1

    def __init__(self, base_url: str, opts: ScoreOptions, *, api_key: str | None = None,
                 batch_items: int = 256, profile: str | None = None) -> None:
        self.opts = opts
        self.batch_items = max(1, batch_items)
        self.client = Client(base_url, api_key=api_key, profile=profile)

    def _score(self, items: list[tuple[int, Article]], source: str,
               bad: list[BadRecord]) -> list[ScoreResult]:
        results: list[ScoreResult] = []
        for start in range(0, len(items), self.batch_items):
            todo = items[start:start + self.batch_items]
            while todo:
                try:
                    answer = self.client.score_batch(
                        [{"id": a.id, "headline": a.headline, "body": a.body,
                          "language": a.language} for _, a in todo],
                        explain=self.opts.explain, max_spans=self.opts.max_spans,
                        sentences=self.opts.sentences,
                    )
                    results += not_scored(answer, [line for line, _ in todo], source, bad)
                    break
                except (InvalidInputError, PayloadTooLargeError) as exc:
                    match = _ITEM_FIELD.match(exc.field or "")
                    if match is None or int(match.group(1)) >= len(todo):
                        raise
                    index = int(match.group(1))
                    line = todo[index][0]
                    bad.append(BadRecord(source, line, f"rejected by the server: {exc.message}"))
                    results += self._score(todo[:index], source, bad)  # before it: all good
                    todo = todo[index + 1:]
        return results

    def map(self, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        for chunk in chunks:
            items, bad = _parse(chunk)
            items = asserting(items, self.opts.language)
            results = self._score(items, chunk.source, bad) if items else []
            bad.sort(key=lambda b: b.line)
            payload: str | list[dict[str, Any]] = (
                render_jsonl(results) if self.opts.render == "jsonl"
                else [r.to_dict() for r in results]
            )
            yield ChunkResult(chunk.part, chunk.seq, payload, len(results), bad, chunk.size)

    def close(self) -> None:
        self.client.close()


__all__ = ["RemoteEngine"]
