"""Generate synthetic news articles (3-4 KB each) for the benchmarks and the engine tests.

Articles are recombined from sentences written for this file (no corpus is copied), with
random ids, so any number can be made; the same ``--seed`` gives the same bytes.

Each row is ``{id, headline, body, label, misinformation, truth_mean, spans}``: ``label`` is 1
for an article built mostly from sensational sentences, ``truth_mean`` a graded version of it,
and ``spans`` the gold character spans ({field, start, end}) of the loaded phrases inserted.

    python benchmarks/make_articles.py --n 20000 --out /tmp/articles.jsonl
    python benchmarks/make_articles.py --n 5000 --out /tmp/parts --partitions 4 --format csv
    python benchmarks/make_articles.py --mb 200 --out /tmp/big.jsonl --no-labels
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

PLACES = ["Northbridge", "Lake Orma", "Port Calder", "Westmere", "the Valen district",
          "Kessington", "Old Harrow", "the Marrow valley", "Southgate", "Elm Crossing"]
PEOPLE = ["Mayor Ilse Brandt", "councillor Tomas Reyes", "Dr. Amara Okafor",
          "minister Paul Eriksen", "spokeswoman Lena Varga", "professor Hugo Lindqvist",
          "inspector Maya Torres", "chief executive Omar Haddad", "senator Ruth Calloway"]
THINGS = ["the water board", "the regional rail company", "the hospital trust",
          "the school district", "the harbour authority", "the energy cooperative",
          "the housing agency", "the transport ministry", "the county court"]
NUMBERS = ["two", "three", "four", "twelve", "fifteen", "forty", "several hundred",
           "about 3,000", "nearly 12,000", "1.2 million"]

NEUTRAL = [
    "{person} said on Tuesday that {thing} would publish its annual figures next month.",
    "The report, which runs to {number} pages, covers spending in {place} since 2019.",
    "Officials in {place} confirmed that the meeting had been moved to Thursday afternoon.",
    "{thing} employs {number} people and has operated in {place} for decades.",
    "According to the minutes, the committee approved the proposal by a narrow margin.",
    "Residents can comment on the plan until the end of the consultation period.",
    "{person} declined to give a timetable but said talks were continuing.",
    "The budget for the coming year is slightly lower than the previous one.",
    "A spokesperson for {thing} said the service would run as normal over the weekend.",
    "Traffic on the main road through {place} is expected to be lighter after the works.",
    "Figures released this week show a modest rise in visitor numbers.",
    "The council will review the results at its next scheduled session.",
    "{person} thanked volunteers who helped organise the event in {place}.",
    "Engineers inspected the bridge and found no structural problems.",
    "The new timetable adds {number} services on weekday mornings.",
    "Local businesses were consulted before the parking changes were drafted.",
    "The study compared results from {number} schools over five years.",
    "A final decision is expected after the summer recess.",
    "{thing} said the repairs had been completed slightly ahead of schedule.",
    "Weather forecasters expect mild conditions for the rest of the week in {place}.",
    "The library in {place} will extend its opening hours from next month.",
    "Both parties agreed to meet again once the auditors have reported.",
    "The figures were broadly in line with what analysts had expected.",
    "{person} noted that the scheme had been discussed at several public meetings.",
    "Applications for the grant close on the last Friday of the month.",
    "The court adjourned the hearing until a date to be fixed.",
    "Staff at {thing} were briefed on the changes earlier in the day.",
    "The survey found that most respondents were satisfied with the service.",
    "A small number of households in {place} lost power for about an hour.",
    "The museum in {place} has received a loan of {number} historical maps.",
]

# Sensational sentences: {loaded} slots take a phrase from LOADED, which becomes a gold span.
SENSATIONAL = [
    "{person} unleashed a {loaded} attack on {thing} in an extraordinary outburst.",
    "Furious residents of {place} say the {loaded} decision will ruin their lives forever.",
    "This {loaded} scandal is far worse than anyone dared to imagine.",
    "Insiders warn that {thing} is hiding a {loaded} secret from the public.",
    "You won't believe what {person} did next, and it is {loaded}.",
    "The {loaded} plan will destroy {place} unless it is stopped right now.",
    "Experts are terrified that the {loaded} crisis could spiral out of control.",
    "{number} families face total disaster after the {loaded} betrayal.",
    "Shocked onlookers in {place} described the scene as {loaded}.",
    "The {loaded} cover-up at {thing} has sparked outrage across the country.",
    "Critics slammed {person} over the {loaded} blunder that nobody saw coming.",
    "It is the most {loaded} thing to happen in {place} in living memory.",
    "Panic spread as the {loaded} truth about {thing} finally came out.",
    "{person} is now fighting for survival after the {loaded} revelations.",
    "Everything you knew about {thing} is wrong, and the reason is {loaded}.",
    "Act now before the {loaded} changes take away everything you own.",
    "The {loaded} chaos in {place} shows the elite simply do not care about you.",
    "Wake up: the {loaded} agenda behind {thing} is hiding in plain sight.",
    "This {loaded} disgrace must never be allowed to happen again.",
    "Sources say the {loaded} fiasco has left {thing} in total meltdown.",
]
LOADED = ["shocking", "outrageous", "disgraceful", "catastrophic", "horrifying",
          "shameless", "explosive", "unbelievable", "devastating", "sickening",
          "terrifying", "jaw-dropping", "insane", "corrupt", "monstrous"]

HEADLINES_NEUTRAL = [
    "{thing_c} publishes spending plan for {place}",
    "Council in {place} approves revised budget",
    "{person_c} outlines timetable for road repairs",
    "New rail timetable adds {number} morning services",
    "Survey finds most residents of {place} satisfied with services",
    "Hearing on harbour dispute adjourned",
]
HEADLINES_SENSATIONAL = [
    "{loaded_c} betrayal rocks {place} - and it gets worse",
    "You won't believe the {loaded} truth about {thing}",
    "{person_c} in {loaded} meltdown as scandal explodes",
    "{number} reasons the {loaded} plan will destroy {place}",
    "SHOCK: {loaded} secret of {thing} finally exposed",
    "This {loaded} decision will change {place} forever",
]


def _fill(template: str, rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    """Fill a template; return the text and the (start, end) of each inserted loaded phrase."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    i = 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        pos += j - i
        k = template.index("}", j)
        key = template[j + 1:k]
        cap = key.endswith("_c")
        base = key[:-2] if cap else key
        value = {
            "place": lambda: rng.choice(PLACES),
            "person": lambda: rng.choice(PEOPLE),
            "thing": lambda: rng.choice(THINGS),
            "number": lambda: rng.choice(NUMBERS),
            "loaded": lambda: rng.choice(LOADED),
        }[base]()
        if cap:
            value = value[:1].upper() + value[1:]
        if base == "loaded":
            spans.append((pos, pos + len(value)))
        out.append(value)
        pos += len(value)
        i = k + 1
    text = "".join(out)
    return text[:1].upper() + text[1:], spans


def make_article(rng: random.Random, index: int, *, min_bytes: int = 3000,
                 max_bytes: int = 4000) -> dict[str, Any]:
    """One article of ``min_bytes``..``max_bytes`` (UTF-8 bytes of headline + body)."""
    sensational = rng.random() < 0.5
    share = rng.uniform(0.45, 0.85) if sensational else rng.uniform(0.0, 0.2)
    target = rng.randint(min_bytes, max_bytes - 200)
    htpl = rng.choice(HEADLINES_SENSATIONAL if sensational else HEADLINES_NEUTRAL)
    headline, hspans = _fill(htpl, rng)
    spans: list[dict[str, Any]] = [{"field": "headline", "start": s, "end": e}
                                   for s, e in hspans]
    parts: list[str] = []
    length = 0
    size = len(headline.encode("utf-8"))
    while size < target:
        sep = ("\n\n" if rng.random() < 0.15 else " ") if parts else ""
        pool = SENSATIONAL if rng.random() < share else NEUTRAL
        sentence, sspans = _fill(rng.choice(pool), rng)
        if size + len(sep) + len(sentence) > max_bytes - 1:
            break
        length += len(sep)
        for s, e in sspans:
            spans.append({"field": "body", "start": length + s, "end": length + e})
        parts.append(sep + sentence)
        length += len(sentence)
        size += len(sep) + len(sentence)
    body = "".join(parts)
    n_loaded = len(spans)
    truth = min(1.0, round(share + 0.02 * n_loaded * (1 if sensational else 0.5), 4))
    return {
        "id": f"{rng.getrandbits(40):010x}-{index:07d}",
        "headline": headline,
        "body": body,
        "label": int(sensational),
        "misinformation": int(sensational and rng.random() < 0.6),
        "truth_mean": truth,
        "spans": spans,
    }


def generate(n: int | None, seed: int = 0, *, max_total_bytes: int | None = None,
             labels: bool = True) -> Iterator[dict[str, Any]]:
    """Yield ``n`` articles, or as many as fit in ``max_total_bytes`` of JSONL."""
    rng = random.Random(seed)
    total = 0
    i = 0
    while n is None or i < n:
        art = make_article(rng, i)
        if not labels:
            art = {k: art[k] for k in ("id", "headline", "body")}
        if max_total_bytes is not None:
            total += len(json.dumps(art, ensure_ascii=False)) + 1
            if total > max_total_bytes:
                return
        yield art
        i += 1


FIELDS = ["id", "headline", "body", "label", "misinformation", "truth_mean", "spans"]


def write_rows(rows: list[dict[str, Any]] | Iterator[dict[str, Any]], path: Path | None,
               fmt: str) -> int:
    """Write rows as JSONL, CSV (``spans`` as JSON text) or Parquet; ``path`` None = stdout."""
    n = 0
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if path is None:
            raise SystemExit("parquet needs --out")
        writer: Any = None
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            nonlocal writer
            table = pa.Table.from_pylist(batch)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            batch.clear()

        for row in rows:
            batch.append(row)
            n += 1
            if len(batch) >= 2000:
                flush()
        if batch or writer is None:
            flush()
        writer.close()
        return n
    fh: IO[str] = sys.stdout if path is None else path.open("w", encoding="utf-8", newline="")
    try:
        if fmt == "csv":
            w: csv.DictWriter[str] | None = None
            for row in rows:
                if w is None:
                    w = csv.DictWriter(fh, fieldnames=[f for f in FIELDS if f in row])
                    w.writeheader()
                out = dict(row)
                if "spans" in out:
                    out["spans"] = json.dumps(out["spans"])
                w.writerow(out)
                n += 1
        else:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=None, help="number of articles")
    ap.add_argument("--mb", type=float, default=None, help="or: stop at this many MB of JSONL")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="file, or directory with --partitions")
    ap.add_argument("--format", choices=("jsonl", "csv", "parquet"), default=None,
                    help="default: from --out's extension, else jsonl")
    ap.add_argument("--partitions", type=int, default=0,
                    help="write a directory of this many part files")
    ap.add_argument("--no-labels", action="store_true", help="only id, headline, body")
    args = ap.parse_args(argv)
    if args.n is None and args.mb is None:
        ap.error("give --n or --mb")
    fmt = args.format or (args.out.suffix.lstrip(".") if args.out and args.out.suffix else "jsonl")
    if fmt not in ("jsonl", "csv", "parquet"):
        fmt = "jsonl"
    rows = generate(args.n, args.seed,
                    max_total_bytes=int(args.mb * 1e6) if args.mb else None,
                    labels=not args.no_labels)
    if args.partitions:
        if args.out is None:
            ap.error("--partitions needs --out DIR")
        args.out.mkdir(parents=True, exist_ok=True)
        all_rows = list(rows)
        k = args.partitions
        total = 0
        for p in range(k):
            part = all_rows[p * len(all_rows) // k:(p + 1) * len(all_rows) // k]
            total += write_rows(part, args.out / f"part-{p:05d}.{fmt}", fmt)
        print(f"wrote {total} articles in {k} partitions to {args.out}", file=sys.stderr)
        return 0
    n = write_rows(rows, args.out, fmt)
    print(f"wrote {n} articles to {args.out or '<stdout>'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
