"""Time helpers: one clock to inject, UTC everywhere in storage, ISO weeks for digests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The default clock. Services accept a ``Clock`` so tests can move time without sleeping."""
    return datetime.now(UTC)


def iso_week(day: date) -> str:
    """``2026-W48`` for any date in that ISO week (Monday to Sunday)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(value: str) -> date:
    """Monday of an ISO week written as ``2026-W48``; a clear ``ValueError`` otherwise."""
    try:
        year_s, week_s = value.upper().split("-W")
        return date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError as exc:
        raise ValueError(f"expected an ISO week such as 2026-W48, not {value!r}") from exc
