"""Durations as working hours lost."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.analysis.durations import hours_lost


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("lost 3 days to the vendor", 24.0),
        ("45 min in the CI queue", 0.75),
        ("half a day gone", 4.0),
        ("2h waiting on review", 2.0),
        ("a week on hold", 40.0),
        ("two days chasing the approval", 16.0),
        ("2-3 days of back and forth", 20.0),
        ("3 wks and counting, then another 2 days", 120.0),
    ],
)
def test_durations(text: str, hours: float) -> None:
    assert hours_lost(text) == pytest.approx(hours)


def test_since_weekday_uses_injected_today() -> None:
    wednesday = dt.date(2026, 3, 11)
    assert hours_lost("blocked since Monday", today=wednesday) == 16.0
    monday = dt.date(2026, 3, 16)
    # "since Friday" seen on a Monday: only Friday was a working day
    assert hours_lost("stuck since friday", today=monday) == 8.0


@pytest.mark.parametrize(
    "text",
    [
        "p99 at 38ms, fine",
        "moved to v3 of the schema",
        "release on 2026-03-02 at 9:40",
        "labels arrive 60-90d after the purchase",
        "trained on the last 18 months of data",
        "nothing to report",
    ],
)
def test_not_hours_lost(text: str) -> None:
    assert hours_lost(text) is None
