"""``hypemeter feedback export`` names both ids (issue 22, item 7): ``id`` is the article id the
client sent with the correction (null when it sent none), ``feedback_id`` the correction's own
id; its help lists the fields the export writes, not the removed ``source``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hypemeter.cli import main
from hypemeter.storage import FeedbackStore, NewFeedback

pytestmark = pytest.mark.usefixtures("clean_env")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_export_carries_the_article_id_and_the_feedback_id(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    store = FeedbackStore(url)
    store.upgrade()
    sent = store.add(NewFeedback(headline="Council SLAMMED", body="The vote was 5-4.",
                                 sensational=1, article_id="article-42"), now=T0)
    anonymous = store.add(NewFeedback(headline="Quiet day", body="Nothing happened.",
                                      sensational=0), now=T0 + timedelta(hours=1))
    store.close()
    out = tmp_path / "fb.jsonl"
    assert main(["feedback", "export", "--database", url, "--output", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["id"], x["feedback_id"]) for x in lines] == [("article-42", sent.id),
                                                            (None, anonymous.id)]
    assert sent.id != "article-42"
    assert all("source" not in x for x in lines)


def test_export_help_lists_the_fields_it_writes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["feedback", "export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "source" not in text
    assert "feedback_id" in text and "article id" in text
