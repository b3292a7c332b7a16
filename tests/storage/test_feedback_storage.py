"""Feedback storage (hypemeter.storage) and its CLI, against SQLite and a real PostgreSQL server
(the ``database_url`` fixture runs every test on both)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.texts import BODY, HEADLINE

from hypemeter.cli import main
from hypemeter.errors import InvalidInputError, StorageUnavailableError
from hypemeter.storage import FeedbackStore, NewFeedback, SpanVerdict
from hypemeter.storage.export import export_feedback
from hypemeter.storage.migrate import current_revision, head_revision

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> FeedbackStore:
    s = FeedbackStore(database_url)
    s.upgrade()
    yield s  # type: ignore[misc]
    s.close()


def fb(**kw: object) -> NewFeedback:
    base: dict[str, object] = {"headline": HEADLINE, "body": BODY, "sensational": 1}
    base.update(kw)
    return NewFeedback(**base)  # type: ignore[arg-type]


def test_migrations_reach_head_and_are_idempotent(database_url: str) -> None:
    s = FeedbackStore(database_url)
    assert current_revision(s.engine()) is None
    assert s.upgrade() == head_revision()
    assert s.upgrade() == head_revision()  # second run: a no-op
    assert current_revision(s.engine()) == head_revision()
    s.close()


def test_concurrent_upgrades_in_one_process(database_url: str) -> None:
    """Several stores (threads) migrating at once: the schema is created once, no error."""
    errors: list[BaseException] = []
    stores = [FeedbackStore(database_url) for _ in range(4)]

    def run(s: FeedbackStore) -> None:
        try:
            s.upgrade()
            s.add(fb())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert stores[0].count() == 4
    for s in stores:
        s.close()


def test_concurrent_upgrades_from_several_processes(database_url: str) -> None:
    """Workers starting at once each migrate: one creates the schema, the others wait."""
    code = ("import sys; from hypemeter.storage import FeedbackStore, NewFeedback; "
            "s = FeedbackStore(sys.argv[1]); s.upgrade(); "
            "s.add(NewFeedback(headline='a', body='b', sensational=1))")
    procs = [subprocess.Popen([sys.executable, "-c", code, database_url],
                              stderr=subprocess.PIPE) for _ in range(3)]
    errs = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errs
    s = FeedbackStore(database_url)
    assert s.count() == 3
    assert current_revision(s.engine()) == head_revision()
    s.close()


def test_add_get_delete_round_trip(store: FeedbackStore) -> None:
    spans = (SpanVerdict("headline", 0, 14, "loaded", "loaded_language"),
             SpanVerdict("body", 4, 11, "not_loaded"))
    stored = store.add(fb(misinformation=0, spans=spans, article_id="a-1",
                          model_version="v9", note="quote"))
    got = store.get(stored.id)
    assert got is not None
    assert got == stored
    assert got.created_at.tzinfo is not None
    assert got.to_item()["labels"] == {"sensational": 1, "misinformation": 0}
    assert [s.to_dict() for s in got.spans] == [
        {"field": "headline", "start": 0, "end": 14, "verdict": "loaded",
         "category": "loaded_language"},
        {"field": "body", "start": 4, "end": 11, "verdict": "not_loaded"},
    ]
    assert store.delete(stored.id) is True
    assert store.get(stored.id) is None
    assert store.delete(stored.id) is False


@pytest.mark.parametrize(("item", "field"), [
    (fb(sensational=None), "labels"),
    (fb(sensational=2), "labels.sensational"),
    (fb(sensational=True), "labels.sensational"),
    (fb(headline="", body=" "), "body"),
    (fb(spans=(SpanVerdict("headline", 60, 90, "loaded"),)), "spans.0.end"),  # past its end
    (fb(spans=(SpanVerdict("body", 500, 501, "loaded"),)), "spans.0.start"),
    (fb(spans=(SpanVerdict("body", 3, 3, "loaded"),)), "spans.0.end"),
    (fb(spans=(SpanVerdict("body", 3, 4, "loaded"),)), "spans.0.end"),  # a lone space
    (fb(spans=(SpanVerdict("body", 0, 3, "loaded", text="Thx"),)), "spans.0.text"),
])
def test_bad_records_are_refused_and_nothing_is_written(
    store: FeedbackStore, item: NewFeedback, field: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        store.add(item)
    assert info.value.field == field
    assert store.count() == 0


def test_one_label_alone_or_spans_alone_are_fine(store: FeedbackStore) -> None:
    store.add(fb(sensational=None, misinformation=1))
    store.add(fb(sensational=None, spans=(SpanVerdict("headline", 0, 7, "loaded"),)))
    assert store.count() == 2


def test_list_is_newest_first_with_a_cursor_that_walks_every_row_once(
    store: FeedbackStore,
) -> None:
    ids = []
    for i in range(7):  # pairs share a timestamp: the cursor must break ties by id
        ids.append(store.add(fb(note=str(i)), now=T0 + timedelta(seconds=i // 2)).id)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        items, cursor = store.list(limit=3, cursor=cursor)
        pages += 1
        seen += [i.id for i in items]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    times = [store.get(i).created_at for i in seen]  # type: ignore[union-attr]
    assert times == sorted(times, reverse=True)


def test_filters(store: FeedbackStore) -> None:
    store.add(fb(model_version="v1"), now=T0)
    store.add(fb(sensational=None, misinformation=1, model_version="v2"),
              now=T0 + timedelta(hours=1))
    store.add(fb(sensational=0, model_version="v2"), now=T0 + timedelta(hours=2))

    def notes(**kw: object) -> list[str | None]:
        return [i.model_version for i in store.list(**kw)[0]]  # type: ignore[arg-type]

    assert len(notes(since=T0 + timedelta(hours=1))) == 2
    assert len(notes(since="2026-03-01T13:00:00Z", until="2026-03-01T14:00:00+00:00")) == 1
    assert notes(model_version="v1") == ["v1"]
    assert len(store.list(label="sensational")[0]) == 2
    assert len(store.list(label="sensational:0")[0]) == 1
    assert len(store.list(label="misinformation:1")[0]) == 1
    for bad, field in (({"label": "spicy"}, "label"), ({"since": "soon"}, "since"),
                       ({"cursor": "!!"}, "cursor"), ({"limit": 0}, "limit"),
                       ({"limit": 1001}, "limit")):
        with pytest.raises(InvalidInputError) as info:
            store.list(**bad)  # type: ignore[arg-type]
        assert info.value.field == field


def test_export_is_oldest_first_in_the_own_data_format(store: FeedbackStore,
                                                       tmp_path: Path) -> None:
    a = store.add(fb(misinformation=0, model_version="v1"), now=T0 + timedelta(hours=1))
    b = store.add(fb(sensational=None, misinformation=1,
                     spans=(SpanVerdict("headline", 0, 14, "loaded"),)), now=T0)
    out = tmp_path / "fb.jsonl"
    assert export_feedback(store, out) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"id": None, "feedback_id": b.id, "headline": HEADLINE, "body": BODY,
         "misinformation": 1,
         "spans": [{"field": "headline", "start": 0, "end": 14, "verdict": "loaded"}],
         "created_at": "2026-03-01T12:00:00.000000Z"},
        {"id": None, "feedback_id": a.id, "headline": HEADLINE, "body": BODY,
         "sensational": 1, "misinformation": 0,
         "created_at": "2026-03-01T13:00:00.000000Z", "model_version": "v1"},
    ]
    assert export_feedback(store, out, since="2026-03-01T12:30:00Z") == 1


def test_export_spans_many_chunks(store: FeedbackStore, tmp_path: Path) -> None:
    from hypemeter.storage import store as store_module

    for i in range(store_module.EXPORT_CHUNK + 3):
        store.add(fb(note=str(i)), now=T0 + timedelta(microseconds=i))
    out = tmp_path / "fb.jsonl"
    assert export_feedback(store, out) == store_module.EXPORT_CHUNK + 3
    ids = [json.loads(line)["feedback_id"] for line in out.read_text().splitlines()]
    assert len(set(ids)) == len(ids)


def unreachable_urls(tmp_path: Path) -> list[str]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return [f"sqlite:///{blocker}/sub/feedback.db",
            "postgresql+psycopg://nobody@127.0.0.1:1/none"]


def test_unreachable_database_is_a_clear_error_and_export_writes_nothing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "fb.jsonl"
    out.write_text("previous export\n")
    for url in unreachable_urls(tmp_path):
        s = FeedbackStore(url)
        with pytest.raises(StorageUnavailableError) as info:
            s.add(fb())
        assert info.value.status == 503 and info.value.reason
        with pytest.raises(StorageUnavailableError):
            export_feedback(s, out)
        assert out.read_text() == "previous export\n"  # whole or absent: the old file stays
        assert list(tmp_path.glob(".fb.jsonl.*")) == []


# --------------------------------------------------------------------------- CLI


def test_cli_db_upgrade_then_export(database_url: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--database", database_url]) == 0
    assert head_revision() in capsys.readouterr().err
    s = FeedbackStore(database_url)
    s.add(fb())
    s.close()
    out = tmp_path / "export.jsonl"
    assert main(["feedback", "export", "--database", database_url, "--output", str(out)]) == 0
    (line,) = out.read_text().splitlines()
    assert "source" not in json.loads(line)  # each correction its own group in training
    assert "1 correction" in capsys.readouterr().err
    assert main(["feedback", "export", "--database", database_url,
                 "--since", "2999-01-01T00:00:00Z", "--output", str(out)]) == 0
    assert out.read_text() == ""


def test_cli_reads_the_environment_and_reports_bad_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "deep" / "folder" / "fb.db"
    monkeypatch.setenv("HYPEMETER_DATABASE_URL", f"sqlite:///{db}")
    assert main(["db", "upgrade"]) == 0
    assert db.exists()  # the folder is created on first use
    assert main(["db", "upgrade", "--database", "not a url"]) == 2
    assert "not a database URL" in capsys.readouterr().err
    assert main(["feedback", "export", "--database", unreachable_urls(tmp_path)[1]]) == 2
    err = capsys.readouterr().err
    assert "database is unavailable" in err and "127.0.0.1" in err  # the driver's reason too
    assert main(["feedback", "export", "--since", "last tuesday"]) == 2
    assert "ISO-8601" in capsys.readouterr().err
    assert main(["train", "--corpora", "sample", "--out", str(tmp_path / "m"),
                 "--feedback", unreachable_urls(tmp_path)[1]]) == 2
    err = capsys.readouterr().err
    assert "hypemeter train: error:" in err and "127.0.0.1" in err
    assert not (tmp_path / "m").exists()  # nothing trained, nothing written


@pytest.mark.slow
def test_train_feedback_hands_the_database_to_own_data_training(tmp_path: Path) -> None:
    """`train --feedback URL`: the corrections reach training as the corpus own:feedback
    (records carrying both labels; single-label records are training's own business)."""
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    s = FeedbackStore(url)
    texts = [("Council publishes audited accounts for 2025", 0),
             ("Outrageous! Furious locals SLAM shocking bin betrayal", 1),
             ("Library extends weekend opening hours from May", 0),
             ("You won't BELIEVE the disgusting secret they hid", 1)]
    for headline, loud in texts:
        s.add(fb(headline=headline, body="", sensational=loud, misinformation=0))
    s.close()
    out = tmp_path / "models"
    assert main(["train", "--corpora", "sample", "--feedback", url, "--out", str(out),
                 "--no-publish", "--version", "fb-test"]) == 0
    card = json.loads((out / "fb-test" / "card.json").read_text())
    corpora = {c["name"]: c for c in card["corpora"]}
    assert corpora["own:feedback"]["records"] == {"misinformation": 4, "sensationalism": 4}
