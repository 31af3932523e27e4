"""The JSON Lines pipeline, including bad input lines."""

from __future__ import annotations

import io
import json

from bot.analysis.classifier import default_classifier
from bot.analysis.pipeline import analyze_record, analyze_stream


def test_analyze_record_adds_fields() -> None:
    out = analyze_record(
        {"id": "x1", "text": "blocked on legal for 3 days", "question": "standup.blockers"},
        classifier=default_classifier(),
        themes_by_team={},
    )
    assert out["id"] == "x1"
    assert out["wastes"] == ["waiting"]
    assert out["hours_lost"] == 24.0
    assert out["theme"] is not None


def test_hours_only_with_a_waste() -> None:
    out = analyze_record(
        {"text": "finished the 3 day migration", "question": "standup.yesterday"},
        classifier=default_classifier(),
        themes_by_team={},
    )
    assert out["wastes"] == [] and out["hours_lost"] is None and out["theme"] is None


def test_stream_skips_malformed_lines_and_reports_them() -> None:
    lines = [
        json.dumps({"id": "a", "text": "blocked on review for 2 days", "team": "t1"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "d", "text": 42}),
        json.dumps({"id": "e"}),
        "",
        json.dumps({"id": "g", "text": "all good", "team": "t1"}),
    ]
    out, err = io.StringIO(), io.StringIO()
    errors = analyze_stream(io.StringIO("\n".join(lines) + "\n"), out, err)
    assert errors == 4
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in got] == ["a", "g"]
    messages = err.getvalue().splitlines()
    assert messages[0].startswith("line 2:") and "JSON" in messages[0]
    assert messages[1].startswith("line 3:") and "object" in messages[1]
    assert messages[2].startswith("line 4:") and "'text'" in messages[2]
    assert messages[3].startswith("line 5:") and "missing" in messages[3]


def test_themes_scoped_by_team() -> None:
    themes: dict = {}
    clf = default_classifier()
    a = analyze_record(
        {"text": "waiting on GPU quota again", "team": "a"}, classifier=clf, themes_by_team=themes
    )
    b = analyze_record(
        {"text": "waiting on GPU quota again", "team": "b"}, classifier=clf, themes_by_team=themes
    )
    assert set(themes) == {"a", "b"}
    assert a["theme"] == b["theme"]  # same content, same key, but separate indexes
    assert len(themes["a"]) == len(themes["b"]) == 1


def test_record_reading_is_the_stored_reply_reading() -> None:
    """The CLI path and storage both go through ``read_reply``: same text, same reading."""
    from datetime import date

    from bot.analysis.reading import read_reply
    from bot.analysis.themes import ThemeIndex

    clf = default_classifier()
    text = "blocked on security review since monday, lost 2 days redoing the export"
    today = date(2026, 3, 12)
    rec = analyze_record(
        {"text": text, "question": "wastes.waiting", "team": "t"},
        classifier=clf,
        themes_by_team={},
        today=today,
    )
    reading = read_reply(
        text, clf.classify(text, "wastes.waiting"), themes=ThemeIndex(), today=today
    )
    assert rec["wastes"] == reading.wastes and rec["concerns"] == reading.concerns
    assert rec["hours_lost"] == reading.hours_lost
    assert rec["model"] == reading.model
    assert rec["theme"] == (reading.theme.key if reading.theme else None)
