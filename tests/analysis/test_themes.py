"""Theme grouping, key stability and persistence."""

from __future__ import annotations

import json

from bot.analysis.themes import ThemeIndex, ThemeProfile, is_recurring

GPU_REPLIES = [
    ("waiting on GPU quota for the forecast retrain", ["waiting"]),
    ("still no A100s approved for our team", ["waiting"]),
    ("infra hasn't bumped our GPU limit yet", ["waiting"]),
]
OTHER = ("the weekly KPI dashboards get zero views", ["overproduction"])


def _run(index: ThemeIndex) -> list[str | None]:
    keys = []
    for text, labels in [*GPU_REPLIES, OTHER]:
        m = index.assign(text, labels, None)
        keys.append(m.key if m else None)
    return keys


def test_differently_worded_replies_share_a_theme() -> None:
    keys = _run(ThemeIndex())
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]


def test_theme_label_is_readable() -> None:
    index = ThemeIndex()
    m = index.assign(*GPU_REPLIES[0], None)
    assert m is not None and m.is_new
    assert "GPU" in m.label
    assert m.key == m.key.lower() and " " not in m.key


def test_unlabelled_reply_gets_no_theme() -> None:
    assert ThemeIndex().assign("shipped the new onboarding flow", [], None) is None


def test_keys_stable_across_runs() -> None:
    assert _run(ThemeIndex()) == _run(ThemeIndex())


def test_profiles_round_trip_through_json() -> None:
    first = ThemeIndex()
    for text, labels in GPU_REPLIES[:2]:
        first.assign(text, labels, None)
    stored = json.dumps([p.as_dict() for p in first.profiles()])
    restored = ThemeIndex.from_profiles([ThemeProfile.from_dict(d) for d in json.loads(stored)])
    assert restored.profiles() == first.profiles()
    a = first.assign(*GPU_REPLIES[2], None)
    b = restored.assign(*GPU_REPLIES[2], None)
    assert a == b
    assert a is not None and not a.is_new
    assert first.assign(*OTHER, None) == restored.assign(*OTHER, None)


def test_colliding_keys_are_disambiguated() -> None:
    index = ThemeIndex(threshold=1.01)  # never join, so both found new themes
    a = index.assign("GPU quota again", ["waiting"], None)
    b = index.assign("GPU quota again", ["waiting"], None)
    assert a is not None and b is not None
    assert a.key != b.key and b.key.startswith(a.key)


def test_is_recurring() -> None:
    assert is_recurring({"2026-W10", "2026-W11"}, {"U1"})
    assert is_recurring({"2026-W10"}, {"U1", "U2", "U3"})
    assert not is_recurring({"2026-W10"}, {"U1", "U2"})
