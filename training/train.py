"""``hypemeter train``: load the corpora, validate by source, fit, write and publish a bundle."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from hypemeter.training.calibration_report import calibration_card, write_calibration_report
from hypemeter.training.corpora.base import LoadReport
from hypemeter.training.corpora.own import TRAINING_LANGUAGES
from hypemeter.training.corpora.registry import (
    SAMPLE_NAME,
    check_corpus_names,
    default_data_dir,
    load_corpora,
)
from hypemeter.training.corpora.split import group_split
from hypemeter.training.fairness import fairness_report
from hypemeter.training.loco import LocoPredictions
from hypemeter.training.own_data import own_data_summary
from hypemeter.training.params import card_params
from hypemeter.training.recipe import Recipe
from hypemeter.training.report import write_validation_report
from hypemeter.training.span_report import write_span_report
from hypemeter.training.stacking import fit_calibrated, fit_model
from hypemeter.training.validation import evaluate_records, validation_lines
from hypemeter.training.views import short_views
from joblib import Parallel, delayed

from hypemeter import MODEL_NAME
from hypemeter.bundles.bundle import (
    FORMAT_VERSION,
    check_new_version,
    publish_current,
    write_bundle,
)
from hypemeter.bundles.staging import clean_stale_staging
from hypemeter.errors import DataError, message_of
from hypemeter.paths import REPO_ROOT
from hypemeter.records.results import Record
from hypemeter.scoring.model import HypeModel

LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib", "mmh3", "nltk", "vaderSentiment")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def git_commit() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    # models/ holds training's own output (bundles, the `current` link): not code, so a
    # retrain after a retrain is still "clean"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)models"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    ).stdout
    return res.stdout.strip() + ("-dirty" if dirty.strip() else "")


def corpus_summary(records: list[Record], reports: list[LoadReport]) -> list[dict[str, Any]]:
    per = Counter((r.corpus, r.task) for r in records)
    out = []
    for rep in reports:
        out.append({
            "name": rep.corpus,
            "files": rep.files,
            "issues": rep.count(),
            "records": {task: n for (c, task), n in sorted(per.items()) if c == rep.corpus},
        })
    return out


def print_reports(reports: list[LoadReport], limit: int = 5) -> None:
    for rep in reports:
        if rep.count():
            print(f"{rep.corpus}: {rep.count()} problem(s) in the data", file=sys.stderr)
            for issue in rep.issues[:limit]:
                where = f"{issue.file}:{issue.line}" if issue.line else issue.file
                print(f"  {where}: {issue.reason}", file=sys.stderr)
            if rep.count() > limit:
                print(f"  ... and {rep.count() - limit} more", file=sys.stderr)


def train_bundle(
    data_dir: Path,
    out_dir: Path,
    *,
    seed: int = 0,
    corpora: list[str] | None = None,
    include_sample: bool = True,
    version: str | None = None,
    publish: bool = True,
    log: Any = print,
    own_files: list[Path] | None = None,
) -> Path:
    started = time.perf_counter()
    if corpora is not None:  # a typo stops here, before any work
        check_corpus_names(corpora)
    if version is not None:  # a taken or invalid name fails now, not after the fit
        check_new_version(out_dir, version)
    for gone in clean_stale_staging(out_dir):
        log(f"removed {gone}, left behind by an interrupted run")
    records, reports = load_corpora(data_dir, corpora, include_sample=include_sample,
                                    own_files=own_files or ())
    print_reports(reports)
    if not records:
        raise DataError(f"no usable training records under {data_dir}")
    log(loaded_message(records, len(reports), time.perf_counter() - started))
    train, valid = group_split(records, valid_fraction=0.2, seed=seed)
    t0 = time.perf_counter()
    # The validation model (80% of groups) and the final model (all records) are independent
    # fits: run them side by side, one process each, when there are two cores to use.
    jobs = 2 if (os.cpu_count() or 1) > 1 and len(records) > 5000 else 1
    try:
        (model, _, _), (final, loco, problem) = Parallel(n_jobs=jobs)(
            delayed(_fit)(part, seed, calibrate) for part, calibrate in ((train, False),
                                                                         (records, True))
        )
    except ValueError as exc:  # too little or one-sided data for one of the learners
        raise DataError(f"cannot train on these records: {message_of(exc)}") from exc
    log(f"fitted the validation model ({len(train)} records) and the final model "
        f"({len(records)} records) in {time.perf_counter() - t0:.1f}s")
    # The leave-one-corpus-out refits are made once, for the final model (``loco``: their
    # held-out predictions, for the report); the validation model reads the same calibration
    # maps (a few parameters per score and kind).
    model = model.with_calibration(final.calibration_)
    # the held-out articles, and their short views (hypemeter.training.views) apart
    validation = evaluate_records(model, [*valid, *short_views(valid)])
    created = datetime.now(UTC)
    version = version or created.strftime("%Y%m%d-%H%M%S")
    card: dict[str, Any] = {
        "name": MODEL_NAME,
        "version": version,
        "format_version": FORMAT_VERSION,
        "created_at": created.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "seed": seed,
        "libraries": library_versions(),
        "params": card_params(final, Recipe()),
        "corpora": corpus_summary(records, reports),
        "training_records": len(records),
        "validation": {
            "split": "20% of groups (outlet, domain, speaker, article pair) held out",
            "calibration": "the final model's calibration maps (fitted on leave-one-corpus-"
                           "out predictions over all records, validation groups included)",
            "records": len(valid),
            **validation,
        },
        "own_data": own_data_summary(reports, records, valid, model),
        # what fitting the final span model measured on its held-out folds
        "span_model": dict(final.span_model_.metrics),
        "calibration": calibration_card(final, loco, problem),
        "thresholds": {"sensationalism": 0.5, "misinformation_risk": 0.5},
        # the languages the model reads; text confidently in another one is not scored
        # (docs/languages.md)
        "languages": list(TRAINING_LANGUAGES),
        "training_seconds": None,
        "limits": [
            "Scores measure style (sensational, loaded, clickbait-like language and the "
            "stylistic fingerprints of fabricated stories); they are not a fact-check.",
            "Trained on English news, headlines and claims from 2007-2019; other languages, "
            "genres and eras are out of scope.",
            "Several corpora are labelled by outlet rather than by article, so part of what "
            "is learned is outlet style.",
            "On outlets it never saw, the model tells sensational from plainly written articles "
            "with ROC-AUC of about 0.79-0.83 (benchmarks/bench_heldout.py), and fabricated from "
            "accurate articles with about 0.73: read a single score near the middle as "
            "uncertain.",
            "Span explanations come from a token model trained on propaganda-annotated news "
            "articles; their weights are calibrated on held-out articles of that corpus (see "
            "the span report) and are rougher on other genres. They show wording annotators "
            "would mark, not a complete list of problems.",
            "Words naming a religion, ethnicity, nationality, sexual orientation, gender "
            "identity, disability or political leaning are read as one placeholder word "
            "(hypemeter/analysis/identity.py), so a report scores the same whichever group it "
            "names; a group named by a word outside that list, or by a slur, is read as "
            "written. The per-term figures are in the card's fairness section "
            "(docs/fairness.md).",
            "Both scores are calibrated on corpora held out of the fit (leave-one-corpus-out) "
            "and refer to a reference prevalence (the card's calibration entry): "
            "misinformation_risk to a feed in which 10% of articles are fabricated. In a feed "
            "with another share, move them with a prior shift (docs/calibration.md); on text "
            "unlike any corpus here, compare scores with each other rather than reading them "
            "as probabilities.",
        ],
    }
    with tempfile.TemporaryDirectory(prefix="hypemeter-report-") as tmp:
        report_dir = Path(tmp) / "report"
        card["report"] = write_validation_report(
            report_dir, model, valid, thresholds=card["thresholds"],
            title=f"hypemeter {version}: validation split",
        )
        card["report"]["figures"] += write_calibration_report(
            report_dir, model, valid, loco, card["calibration"])
        if "spans" in validation:
            card["report"]["figures"] += write_span_report(report_dir, validation["spans"])
            with (report_dir / "report.md").open("a", encoding="utf-8") as index:
                index.write("## spans\n\nPhrase spans and sentence scores: weight calibration, "
                            "precision and recall by weight band, categories. "
                            "[Full report](spans/report.md)\n\n"
                            "![spans reliability](spans/reliability.png)\n")
        # identity terms: per-term table (templates, held-out AUCs), see training/fairness.py
        card["fairness"] = fairness_report(report_dir, final, version, model, valid)
        card["training_seconds"] = round(time.perf_counter() - started, 1)
        bundle_dir = write_bundle(final, card, out_dir, extras={"report": report_dir})
    if publish:
        publish_current(out_dir, version)
    log(f"wrote {bundle_dir} ({card['training_seconds']}s)"
        + (f"; {out_dir / 'current'} -> {version}" if publish else ""))
    log(f"validation: the model fitted on 80% of the groups, measured on the held-out 20% "
        f"({len(valid)} records; the full figures are in {bundle_dir / 'card.json'} and "
        f"{bundle_dir / 'report'}):")
    for line in validation_lines(validation):
        log(line)
    return bundle_dir


def loaded_message(records: list[Record], corpora: int, seconds: float) -> str:
    """What "loaded N records" counts: one record per text and task it is labelled for, so a
    text labelled for both sensationalism and misinformation counts twice."""
    texts = len({(r.headline, r.body) for r in records})
    per_task = Counter(r.task for r in records)
    tasks = ", ".join(f"{task} {n}" for task, n in sorted(per_task.items()))
    return (f"loaded {len(records)} training records from {corpora} corpora in {seconds:.1f}s: "
            f"{texts} distinct texts, one record per text and task it is labelled for "
            f"({tasks})")


def _fit(records: list[Record], seed: int, calibrate: bool
         ) -> tuple[HypeModel, LocoPredictions | None, str | None]:
    if calibrate:
        return fit_calibrated(records, seed=seed)
    return fit_model(records, seed=seed), None, None


def resolve_data_dir(data_dir: Path | None, corpora: list[str] | None) -> Path:
    """``--data-dir``, else :func:`default_data_dir`; it must exist unless only the project's
    own sample corpus is asked for. Unknown corpus names are refused first (a typo is not a
    missing data dir)."""
    if corpora is not None:
        check_corpus_names(corpora)
    resolved = data_dir or default_data_dir()
    needs_dir = corpora is None or any(c != SAMPLE_NAME for c in corpora)
    if needs_dir and not resolved.is_dir():
        how = "--data-dir" if data_dir else "the default data dir (HYPEMETER_DATA_DIR, else the " \
            "user data folder)"
        raise DataError(f"data dir {resolved} ({how}) does not exist; run `hypemeter "
                        "datasets fetch` first, pass --data-dir, or --corpora sample to "
                        "train on the project's sample corpus only")
    return resolved
