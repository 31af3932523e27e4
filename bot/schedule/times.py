"""Local wall-clock times to instants, correct across daylight-saving changes.

A check-in "at 09:30 on weekdays" means 09:30 on the wall clock of the person (or channel) on
each of those local days. Computing each occurrence from its local date, rather than adding 24 h
to the last one, is what keeps a nudge from shifting by an hour, being skipped or doubled when
the clocks change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant ``at`` happens on ``day`` in ``tz``.

    A time skipped by a spring-forward change (02:30 on that night in Europe) is moved forward
    by the gap (03:30), so the nudge still happens that day; a time that occurs twice in a
    fall-back change takes its first occurrence, so it happens once.
    """
    # With fold=0, zoneinfo reads a skipped time with the offset in force before the change, so
    # the round trip through UTC lands on the same instant moved forward by the gap; an
    # ambiguous time reads as its first occurrence. Both are what a person expects.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz)


def occurrences(
    days: Collection[int],
    at: time,
    tz: ZoneInfo,
    start: date,
    *,
    skip: Collection[date] = (),
) -> Iterator[datetime]:
    """Every local check-in from ``start`` (inclusive) on, as aware datetimes in ``tz``."""
    day = start
    while True:
        if day.weekday() in days and day not in skip:
            yield local_instant(day, at, tz)
        day += timedelta(days=1)


def next_after(
    days: Collection[int], at: time, tz: ZoneInfo, after: datetime, *, skip: Collection[date] = ()
) -> datetime | None:
    """The first check-in strictly after the instant ``after``; None when no day is chosen."""
    if not days:
        return None
    local_day = after.astimezone(tz).date()
    for when in occurrences(days, at, tz, local_day, skip=skip):
        if when > after:
            return when
    return None  # pragma: no cover - occurrences() is infinite when days is non-empty


def parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
