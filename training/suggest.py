"""``hypemeter suggest``: which unlabelled articles to label first.

The labels that teach the model most are those of articles it is unsure about: a score near
its decision threshold. Uncertainty per score is ``1 - |p - t| / max(t, 1 - t)`` (1 at the
threshold ``t``, 0 at a confident 0 or 1), and an article's uncertainty is the larger of the
scores asked for (``task``). Picking the most uncertain articles alone would spend labels on
copies of one story, so the pick is greedy with a diversity penalty (maximal marginal
relevance): each next article maximises ``uncertainty - diversity * similarity``, where the
similarity is the largest cosine, over hashed word unigrams and bigrams of headline and body,
to an article already picked; an article at ``near_duplicate`` similarity or above to a pick is
never picked. Ties go to the earlier input, so the pick is deterministic.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from hypemeter.errors import DataError
from hypemeter.records.io import BadRecord, InputRecord, close_text, iter_records, open_text
from hypemeter.records.results import Article

TASKS = {"sensationalism": 0, "misinformation": 1}
SUGGEST_OUTPUT_FORMATS = ("jsonl", "csv")
SCORE_KEYS = ("sensationalism", "misinformation_risk")
DEFAULT_THRESHOLDS = (0.5, 0.5)


@dataclass(frozen=True, slots=True)
class Pick:
    """One suggested article: its index in the input, scores and why it was picked."""

    index: int
    rank: int
    scores: tuple[float, float]
    uncertainty: tuple[float, float]
    combined: float
    similarity: float  # largest cosine to an earlier pick (0 for the first)

    def why(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "scores": {k: round(v, 6) for k, v in zip(SCORE_KEYS, self.scores, strict=True)},
            "uncertainty": {
                **{k: round(v, 4) for k, v in zip(SCORE_KEYS, self.uncertainty, strict=True)},
                "combined": round(self.combined, 4),
            },
            "max_similarity_to_earlier_picks": round(self.similarity, 4),
        }


def uncertainty(p: np.ndarray, threshold: float) -> np.ndarray:
    """1 at the threshold, falling linearly to 0 at a confident 0 or 1."""
    return 1.0 - np.abs(p - threshold) / max(threshold, 1.0 - threshold)


def text_vectors(articles: Sequence[Article]) -> sp.csr_matrix:
    """L2-normalised hashed word unigrams and bigrams of headline and body (for similarity)."""
    vec = HashingVectorizer(n_features=2**20, ngram_range=(1, 2), alternate_sign=False,
                            norm="l2", lowercase=True)
    return vec.transform([f"{a.headline}\n{a.body}" for a in articles]).tocsr()


def pick(
    articles: Sequence[Article],
    scores: np.ndarray,
    n: int,
    *,
    task: str = "both",
    thresholds: tuple[float, float] = DEFAULT_THRESHOLDS,
    diversity: float = 0.5,
    near_duplicate: float = 0.8,
) -> list[Pick]:
    """Pick up to ``n`` articles (see the module docstring); ``scores`` is the model's
    ``(len(articles), 2)`` output."""
    if task not in (*TASKS, "both"):
        raise ValueError(f"task must be one of {', '.join([*TASKS, 'both'])}, not {task!r}")
    if not len(articles) or n <= 0:
        return []
    unc = np.column_stack([uncertainty(scores[:, j], thresholds[j]) for j in range(2)])
    combined = unc.max(axis=1) if task == "both" else unc[:, TASKS[task]]
    X = text_vectors(articles)
    best_sim = np.zeros(len(articles))
    open_ = np.ones(len(articles), dtype=bool)
    out: list[Pick] = []
    while len(out) < n and open_.any():
        gain = np.where(open_, combined - diversity * best_sim, -np.inf)
        i = int(np.argmax(gain))  # the first of equals: deterministic
        out.append(Pick(i, len(out) + 1, (float(scores[i, 0]), float(scores[i, 1])),
                        (float(unc[i, 0]), float(unc[i, 1])), float(combined[i]),
                        float(best_sim[i])))
        open_[i] = False
        sim = np.asarray((X @ X[i].T).todense()).ravel()
        best_sim = np.maximum(best_sim, sim)
        open_ &= best_sim < near_duplicate
    return out


def suggest_file(
    path: str,
    model: Any,
    n: int,
    out: IO[str],
    *,
    errors: IO[str] | None = None,
    fmt: str | None = None,
    task: str = "both",
    thresholds: tuple[float, float] = DEFAULT_THRESHOLDS,
    diversity: float = 0.5,
    batch_size: int = 512,
    output_format: str = "jsonl",
) -> tuple[int, int, int]:
    """Read ``path`` (JSONL/CSV, ``-`` for stdin), write the picks to ``out`` as JSONL or CSV
    (``output_format``): each input record's fields plus ``suggestion`` (rank, scores,
    uncertainty, similarity) and ``input`` (file and line), best first; in CSV, one column per
    input field then ``suggestion`` and ``input`` as JSON text (as ``hypemeter score`` writes
    ``spans``). Bad records are reported on ``errors`` with file and line and skipped.
    Returns (read, skipped, picked)."""
    if output_format not in SUGGEST_OUTPUT_FORMATS:
        raise DataError(f"suggest writes {' or '.join(SUGGEST_OUTPUT_FORMATS)}, not "
                        f"{output_format}")
    errors = sys.stderr if errors is None else errors
    records: list[InputRecord] = []
    skipped = 0
    fh = open_text(path)
    try:
        for rec in iter_records(fh, "<stdin>" if path == "-" else path, fmt):
            if isinstance(rec, BadRecord):
                print(f"skipped record {rec}", file=errors)
                skipped += 1
            else:
                records.append(rec)
    finally:
        close_text(fh)
    articles = [r.article for r in records]
    scores = _score(model, articles, batch_size)
    picks = pick(articles, scores, n, task=task, thresholds=thresholds, diversity=diversity)
    rows = []
    for p in picks:
        rec = records[p.index]
        rows.append({**_plain(rec.fields), "suggestion": p.why(),
                     "input": {"file": rec.source, "line": rec.line}})
    if output_format == "csv":
        write_csv(rows, out)
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(records) + skipped, skipped, len(picks)


def write_csv(rows: Sequence[dict[str, Any]], out: IO[str]) -> None:
    """``rows`` as CSV with a header: every field seen, in first-seen order; lists and objects
    as JSON text, null as an empty cell."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _score(model: Any, articles: Sequence[Article], batch_size: int) -> np.ndarray:
    parts = [model.predict_scores(articles[i:i + batch_size])
             for i in range(0, len(articles), batch_size)]
    return np.vstack(parts) if parts else np.zeros((0, 2))


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """The input fields as JSON can write them (CSV rows are all strings already)."""
    return {k: v for k, v in fields.items() if k not in ("suggestion", "input")}


def write_whole(path: str, write: Any) -> Any:
    """Run ``write(fh)`` into a temporary file beside ``path`` and rename it into place only
    when it succeeds: the output is whole or absent. ``-`` writes to stdout."""
    if path == "-":
        return write(sys.stdout)
    target = Path(path)
    if not target.parent.is_dir():
        raise DataError(f"output folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            result = write(fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def thresholds_of(card: dict[str, Any]) -> tuple[float, float]:
    t = card.get("thresholds") or {}
    return (float(t.get("sensationalism", 0.5)), float(t.get("misinformation_risk", 0.5)))


__all__ = ["Pick", "pick", "suggest_file", "thresholds_of", "uncertainty", "write_csv"]
