"""``hypemeter profiles ...``, ``hypemeter keys ...``, ``score --profile`` (local) and
``feedback export --profile`` on a SQLite database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hypemeter.cli import main
from hypemeter.storage import FeedbackStore, NewFeedback

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from profile_texts import newsroom

pytestmark = pytest.mark.usefixtures("clean_env")


def test_profiles_and_keys_commands(tmp_path: Path, bundle_dir: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'f.db'}"
    assert main(["profiles", "create", "acme", "--description", "a newsroom",
                 "--database", db]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "acme"
    assert main(["profiles", "create", "acme", "--database", db]) == 2
    assert "exists" in capsys.readouterr().err
    store = FeedbackStore(db)
    for art in newsroom(40):
        store.add(NewFeedback(art["headline"], art["body"], sensational=art["label"],
                              profile="acme"))
    store.add(NewFeedback("Not a profile's", "text", sensational=1))
    store.close()
    assert main(["profiles", "fit", "acme", "--model", str(bundle_dir), "--database", db]) == 0
    assert "adapter version 1 (active)" in capsys.readouterr().err
    assert main(["profiles", "show", "acme", "--database", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["adapter"]["heads"]["sensationalism"]["labels"] == 40
    assert shown["adapter"]["active"]
    assert main(["profiles", "list", "--database", db]) == 0
    assert capsys.readouterr().out.startswith("acme\t")

    # score --profile, locally: the adapter from the database
    test = newsroom(6, seed=3)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "headline": a["headline"],
                                       "body": a["body"]}) + "\n" for i, a in enumerate(test)))
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "-o", str(out), "--model", str(bundle_dir), "--profile",
                 "acme", "--database", db, "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["model"]["profile"] == "acme" and r["model"]["adapter_version"] == 1
               for r in rows)
    ranked = [(r["scores"]["sensationalism"], a["label"]) for r, a in zip(rows, test,
                                                                           strict=True)]
    assert min(s for s, y in ranked if y) > max(s for s, y in ranked if not y)

    # suggest --profile: ranked by the adapted scores' uncertainty
    picks = tmp_path / "picks.jsonl"
    assert main(["suggest", str(src), "--n", "3", "-o", str(picks), "--model", str(bundle_dir),
                 "--profile", "acme", "--database", db]) == 0
    assert len(picks.read_text().splitlines()) == 3

    # feedback export --profile
    exported = tmp_path / "acme.jsonl"
    assert main(["feedback", "export", "--profile", "acme", "-o", str(exported),
                 "--database", db]) == 0
    assert len(exported.read_text().splitlines()) == 40

    # keys
    assert main(["keys", "create", "--profile", "acme", "--role", "correct",
                 "--database", db]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["key"].startswith("hmk_")
    assert main(["keys", "list", "--database", db]) == 0
    assert created["key_id"] in capsys.readouterr().out
    assert main(["keys", "revoke", created["key_id"], "--database", db]) == 0
    assert main(["keys", "revoke", created["key_id"], "--database", db]) == 2

    assert main(["profiles", "delete", "acme", "--database", db]) == 0
    assert main(["profiles", "show", "acme", "--database", db]) == 2
    assert "no profile named 'acme'" in capsys.readouterr().err
