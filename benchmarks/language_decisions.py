"""The language gate's decision on every text the project can reach, to compare two rules.

Writes one JSON line per text: its source, id, the decided language and whether it is scored
(``LanguageGate.decide`` for the bundle default, English). Texts:

* ``corpus:<name>``: every record of the labelled corpora in ``--data-dir`` (no dedupe) and
  the sample corpus (English);
* ``generated``: the synthetic articles the speed benchmarks score (``make_articles.py``,
  seeds 1 and 3) (English);
* ``digest``: the texts of ``scoring_digest.py`` (generated articles, their variants with
  accents, curly quotes and odd characters, the test fixtures, edge cases);
* ``fixture:<code>``: the project's own texts in 15 languages (``tests/fixtures/languages.jsonl``);
* ``tests``: every string literal of 20+ characters in ``tests/`` (any language; texts only in
  one of the two runs are counted apart);
* ``folded:<code>``: the other-language fixture texts with accents stripped (ASCII only);
* ``mixed:<code>``: each other-language fixture text mixed with English: English headline and
  foreign body and the reverse, an English lead of 40-260 characters before the foreign text
  and a foreign lead before English text;
* with ``--locale-dir`` (e.g. ``/usr/share/locale``, the system's gettext catalogs in about 100
  languages): ``locale:<code>``, up to 5 texts of 300+ characters of translated messages per
  catalog; ``locale-folded:<code>``, the same with accents stripped; ``locale-mixed:<code>``,
  English messages and their translations alternating.

    python benchmarks/language_decisions.py --data-dir DATASETS --locale-dir /usr/share/locale \
        --out /tmp/old.jsonl                                          # on the old code
    python benchmarks/language_decisions.py --data-dir DATASETS --locale-dir /usr/share/locale \
        --compare /tmp/old.jsonl                                      # on the new code

``--compare`` counts, per source, the texts whose language or scored/refused outcome changed
and shows examples; a change of outcome on a text that is not plainly English is flagged.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import hashlib
import json
import os
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypemeter.training.corpora.registry import load_corpora
from make_articles import generate
from scoring_digest import articles as digest_articles

from hypemeter.language import LanguageGate
from hypemeter.paths import REPO_ROOT
from hypemeter.records.results import Article

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "languages.jsonl"
ENGLISH_SOURCES = ("corpus:", "generated", "fixture:en", "locale:en")
PER_CATALOG = 5
Text = tuple[str, str, str, str]  # source, id, headline, body


def _fold(text: str) -> str:
    """The text with accents stripped and anything else outside ASCII dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _valid(text: str) -> bool:
    """No lone surrogate (the surfaces refuse such text before the gate sees it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _test_strings() -> Iterator[str]:
    for path in sorted((REPO_ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and len(node.value.strip()) >= 20 and _valid(node.value):
                yield node.value


def _catalog(path: Path) -> list[tuple[str, str]]:
    """(English message, translation) of a gettext catalog, translated ones of 20+ characters."""
    try:
        with path.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    except (OSError, ValueError, UnicodeDecodeError, LookupError):
        return []
    return [(k, v) for k, v in catalog.items() if isinstance(k, str) and k and isinstance(v, str)
            and v != k and len(v) >= 20 and _valid(v)]


def _locale_texts(locale_dir: Path) -> Iterator[Text]:
    for path in sorted(locale_dir.glob("*/LC_MESSAGES/*.mo")):
        code = path.parts[-3].split("_")[0].split("@")[0].split(".")[0]
        pairs = _catalog(path)
        name = f"{path.parts[-3]}/{path.stem}"
        for k in range(PER_CATALOG):
            chunk = pairs[k * 12:(k + 1) * 12]
            foreign = " ".join(v for _, v in chunk)
            if len(foreign) < 300:
                break
            yield f"locale:{code}", f"{name}/{k}", "", foreign
            yield f"locale-folded:{code}", f"{name}/{k}", "", _fold(foreign)
            yield f"locale-mixed:{code}", f"{name}/{k}", "", " ".join(f"{e} {v}" for e, v in chunk)


def texts(data_dir: Path | None, locale_dir: Path | None = None) -> Iterator[Text]:
    if data_dir is not None:
        records, _ = load_corpora(data_dir, None, include_sample=True, deduplicate=False)
        for r in records:
            yield f"corpus:{r.corpus}", r.id, r.headline, r.body
    for seed in (1, 3):
        for row in generate(3000, seed=seed):
            yield "generated", f"{seed}-{row['id']}", row["headline"], row["body"]
    for a in digest_articles(5000):
        yield "digest", a.id, a.headline, a.body
    items = [json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines() if line]
    for it in items:
        yield f"fixture:{it['language']}", it["id"], it["headline"], it["body"]
    for s in sorted(set(_test_strings())):
        yield "tests", hashlib.sha1(s.encode()).hexdigest()[:12], s, ""
    english = [it for it in items if it["language"] == "en"]
    english_text = " ".join(f"{it['headline']}. {it['body']}" for it in english)
    for k, it in enumerate(it for it in items if it["language"] != "en"):
        code, head, body = it["language"], it["headline"], it["body"]
        en = english[k % len(english)]
        yield f"folded:{code}", it["id"], _fold(head), _fold(body)
        yield f"mixed:{code}", f"{it['id']}/en-head", en["headline"], body
        yield f"mixed:{code}", f"{it['id']}/en-body", head, en["body"]
        for lead in range(40, 280, 20):
            yield f"mixed:{code}", f"{it['id']}/en-lead-{lead}", english_text[:lead], \
                f"{head} {body}"
            yield f"mixed:{code}", f"{it['id']}/lead-{lead}", f"{head} {body}"[:lead], \
                english_text
            yield f"mixed:{code}", f"{it['id']}/folded-lead-{lead}", \
                _fold(f"{head} {body}")[:lead], english_text
    if locale_dir is not None:
        yield from _locale_texts(locale_dir)


def _shortcut() -> Callable[[str, str], bool] | None:
    """Is an article decided "en" without the model (None on code without the shortcut)?"""
    try:
        from hypemeter.language.english import plainly_english
    except ImportError:
        return None
    from hypemeter.language.detector import _prepare
    return lambda head, body: plainly_english(_prepare(head, body))


def decisions(data_dir: Path | None,
              locale_dir: Path | None) -> tuple[list[dict[str, object]], float]:
    gate = LanguageGate()
    plain = _shortcut()
    rows = []
    seconds = 0.0
    for source, id_, head, body in texts(data_dir, locale_dir):
        article = Article(head, body, id_)
        t0 = time.process_time()
        d = gate.decide(article)
        seconds += time.process_time() - t0
        row = {"source": source, "id": id_, "language": d.language, "scored": d.scored}
        if plain is not None:
            row["plain"] = plain(head, body)
        rows.append(row)
    return rows, seconds


def _english(source: str) -> bool:
    return source.startswith(ENGLISH_SOURCES)


def compare(old: list[dict[str, object]], new: list[dict[str, object]],
            examples: int) -> int:
    """Print the changes per source; 1 when an outcome changed on text not plainly English."""
    per_source: Counter[str] = Counter(str(r["source"]) for r in new)
    plain: Counter[str] = Counter(str(r["source"]) for r in new if r.get("plain"))
    changed: dict[str, Counter[str]] = {}
    shown: Counter[str] = Counter()
    bad = 0
    before = {(r["source"], r["id"]): r for r in old}
    after = {(r["source"], r["id"]) for r in new}
    assert len(before) == len(old) and len(after) == len(new), "keys repeat"
    print(f"texts only in the new run: {len(after - set(before))}, only in the old: "
          f"{len(set(before) - after)}")
    for b in new:
        a = before.get((b["source"], b["id"]))
        if a is None or (a["language"], a["scored"]) == (b["language"], b["scored"]):
            continue
        source = str(b["source"])
        kind = f"{a['language']}->{b['language']}"
        if a["scored"] != b["scored"]:
            kind += f" scored {a['scored']}->{b['scored']}"
            bad += not _english(source)
        changed.setdefault(source, Counter())[kind] += 1
        group = source.split(":")[0]
        if shown[group] < examples:
            shown[group] += 1
            print(f"   {source} {b['id']}: {kind}")
    print(f"\n{len(new)} texts, {sum(plain.values())} plainly English (decided without the "
          f"model); changed {sum(sum(c.values()) for c in changed.values())}")
    for source, n in sorted(per_source.items()):
        c = changed.get(source, Counter())
        detail = ", ".join(f"{k} {v}" for k, v in c.most_common())
        print(f"  {source:34} {n:7}  plainly English {plain[source]:6}  "
              f"changed {sum(c.values()):5}  {detail}")
    print(f"scored/refused changed on a source that is not English: {bad}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("HYPEMETER_DATA_DIR"),
                    help="the corpora (default $HYPEMETER_DATA_DIR; without: no corpora)")
    ap.add_argument("--locale-dir", type=Path, help="gettext catalogs (/usr/share/locale)")
    ap.add_argument("--out", type=Path, help="write the decisions here")
    ap.add_argument("--compare", type=Path, help="decisions of the old rule to compare with")
    ap.add_argument("--examples", type=int, default=12, help="changes shown per source group")
    args = ap.parse_args(argv)
    rows, seconds = decisions(args.data_dir, args.locale_dir)
    print(f"{len(rows)} texts, LanguageGate.decide {seconds / len(rows) * 1e6:.1f} us per text "
          f"(CPU, this process)")
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if args.compare:
        old = [json.loads(line) for line in args.compare.read_text("utf-8").splitlines()]
        return compare(old, rows, args.examples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
