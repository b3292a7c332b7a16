"""Sentence boundaries: accuracy on the hand-checked set (tests/fixtures/sentence_boundaries.jsonl)
and speed per article, for the old punctuation rule, nltk's PunktSentenceTokenizer and
hypemeter's splitter (the same Punkt parameters, applied at candidate points only); how often
the two Punkt appliers agree on held-out propaganda-corpus lines; and nltk's word tokenizer
against hypemeter's own tokeniser (speed).

    python benchmarks/bench_sentences.py --data-dir DIR [--n 500] [--model models/current]

With ``--data-dir`` Punkt is trained here on the corpora's article bodies as ``hypemeter train``
does (so nltk and hypemeter apply the same parameters); without it only the bundle's splitter
and the old rule are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_articles import generate

from hypemeter.bundles.bundle import load_bundle
from hypemeter.paths import REPO_ROOT, default_models_dir
from hypemeter.text.sentences import SentenceSplitter
from hypemeter.text.tokens import count_sentences, tokenize

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "sentence_boundaries.jsonl"
OLD_RULE = re.compile(r"(?<=[.!?])[\"'\u201d)]*\s+|\n+")  # what count_sentences counts


def old_rule(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in OLD_RULE.finditer(text):
        if text[start:m.start()].strip():
            out.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text.rstrip())))
    return out


def nltk_lines(tokenizer: object) -> object:
    def spans(text: str) -> list[tuple[int, int]]:
        out, pos = [], 0
        for line in text.split("\n"):
            out += [(pos + a, pos + b) for a, b in tokenizer.span_tokenize(line)]  # type: ignore[attr-defined]
            pos += len(line) + 1
        return out
    return spans


def accuracy(split: object, cases: list[dict]) -> dict:
    exact = 0
    tp = fp = fn = 0
    for c in cases:
        got = [c["text"][a:b] for a, b in split(c["text"])]  # type: ignore[operator]
        exact += got == c["sentences"]
        ends_got, ends_want, pos = set(), set(), 0
        for s in got:
            pos = c["text"].index(s, pos) + len(s)
            ends_got.add(pos)
        pos = 0
        for s in c["sentences"]:
            pos = c["text"].index(s, pos) + len(s)
            ends_want.add(pos)
        tp += len(ends_got & ends_want)
        fp += len(ends_got - ends_want)
        fn += len(ends_want - ends_got)
    return {"passages_exact": round(exact / len(cases), 4), "boundary_precision":
            round(tp / (tp + fp), 4), "boundary_recall": round(tp / (tp + fn), 4)}


def ms_per_article(fn: object, texts: list[str]) -> float:
    t0 = time.process_time()
    for t in texts:
        fn(t)  # type: ignore[operator]
    return round((time.process_time() - t0) / len(texts) * 1000, 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("HYPEMETER_DATA_DIR"))
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    cases = [json.loads(x) for x in FIXTURE.read_text(encoding="utf-8").splitlines()]
    bodies = [r["body"] for r in generate(args.n, seed=1)]
    bundle = load_bundle(args.model or default_models_dir())
    ours = bundle.model.sentences_
    out: dict = {"cases": len(cases), "model": bundle.version, "accuracy": {
        "old_punctuation_rule": accuracy(old_rule, cases),
        "untrained_punkt_rules": accuracy(SentenceSplitter().spans, cases),
        "hypemeter_bundle": accuracy(ours.spans, cases)}}
    out["ms_per_article"] = {
        "old_count_sentences": ms_per_article(count_sentences, bodies),
        "hypemeter_bundle": ms_per_article(ours.spans, bodies),
    }
    if args.data_dir:
        from hypemeter.training.corpora.registry import load_corpora
        from hypemeter.training.corpora.split import group_split
        from hypemeter.training.spans import punkt_texts
        from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

        records, _ = load_corpora(args.data_dir, None, include_sample=True)
        train, valid = group_split(records, valid_fraction=0.2, seed=0)
        trainer = PunktTrainer()
        used = 0
        for text in punkt_texts(train):
            if used >= 3_000_000:
                break
            trainer.train(text, finalize=False)
            used += len(text)
        trainer.finalize_training()
        params = trainer.get_params()
        nk = nltk_lines(PunktSentenceTokenizer(params))
        fast = SentenceSplitter.from_params(params)
        out["accuracy"]["nltk_punkt_same_params"] = accuracy(nk, cases)
        out["accuracy"]["hypemeter_same_params"] = accuracy(fast.spans, cases)
        out["ms_per_article"]["nltk_punkt"] = ms_per_article(nk, bodies)
        out["ms_per_article"]["hypemeter_same_params"] = ms_per_article(fast.spans, bodies)
        lines = [line for r in valid if r.corpus == "ptc_semeval2020" for line in
                 r.body.split("\n") if line.strip()]
        agree = total = 0
        for line in lines:
            a = {e for _, e in nk(line)}
            b = {e for _, e in fast.spans(line)}
            agree += len(a & b)
            total += len(a | b)
        out["agreement_with_nltk_on_held_out_ptc_lines"] = {
            "lines": len(lines), "boundaries": total, "share": round(agree / max(1, total), 4)}
    from nltk.tokenize import NLTKWordTokenizer, WordPunctTokenizer

    treebank, wordpunct = NLTKWordTokenizer(), WordPunctTokenizer()
    out["word_tokenizer_ms_per_article"] = {
        "hypemeter_tokenize": ms_per_article(tokenize, bodies),
        "nltk_wordpunct_span_tokenize": ms_per_article(
            lambda t: list(wordpunct.span_tokenize(t)), bodies),
        "nltk_treebank_span_tokenize": ms_per_article(
            lambda t: list(treebank.span_tokenize(t)), bodies[:100]),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
