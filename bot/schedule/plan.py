"""Which scheduled things fall due when: pure functions over a channel's settings.

Everything is computed from local calendar days (see ``times.local_instant``), for each member
in their own zone when the channel says so, so daylight-saving changes never move, skip or
double anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.models import Channel, Member
from bot.schedule.times import local_instant, parse_time
from bot.schedule.times import occurrences as local_occurrences
from bot.weekdays import DAY_NAMES, parse_days

NUDGE, REMINDER, OPENING, SUMMARY, DIGEST = "nudge", "reminder", "opening", "summary", "digest"


@dataclass(frozen=True, slots=True)
class Due:
    """One occurrence: what, for whom, for which local day, and the instant it is due."""

    kind: str
    channel_id: int
    member_id: int | None
    local_date: date
    at: datetime


def member_zone(channel: Channel, member: Member | None, fallback: str) -> ZoneInfo:
    """Each member at their own local time when the channel says so; else the channel's."""
    if channel.timezone_policy == "member" and member is not None and member.timezone:
        return ZoneInfo(member.timezone)
    return ZoneInfo(channel.timezone or fallback)


def channel_zone(channel: Channel, fallback: str) -> ZoneInfo:
    return ZoneInfo(channel.timezone or fallback)


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def occurrences(
    channel: Channel,
    members: Iterable[Member],
    start: datetime,
    end: datetime,
    *,
    fallback_tz: str,
) -> list[Due]:
    """Everything of ``channel`` due in ``[start, end)``, in time order.

    Skip dates and pauses are not applied here (they are decided per occurrence, so a skipped
    day is logged rather than silently missing); only the channel's own schedule is.
    """
    assert channel.id is not None
    days = set(parse_days(channel.checkin_days))
    at = parse_time(channel.checkin_time)
    found: list[Due] = []
    # Local days can differ from UTC days by up to 14 hours either way.
    first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
    for member in members:
        tz = member_zone(channel, member, fallback_tz)
        for day in _days(first, last):
            if day.weekday() not in days:
                continue
            when = local_instant(day, at, tz)
            found.append(Due(NUDGE, channel.id, member.id, day, when))
            if channel.reminder_delay_minutes:
                found.append(
                    Due(
                        REMINDER,
                        channel.id,
                        member.id,
                        day,
                        when + timedelta(minutes=channel.reminder_delay_minutes),
                    )
                )
    tz = channel_zone(channel, fallback_tz)
    digest_day = DAY_NAMES.index(channel.digest_day)
    digest_at = parse_time(channel.digest_time)
    for day in _days(first, last):
        if day.weekday() in days:
            opened = local_instant(day, at, tz)
            found.append(Due(OPENING, channel.id, None, day, opened))
            found.append(
                Due(
                    SUMMARY,
                    channel.id,
                    None,
                    day,
                    opened + timedelta(minutes=channel.answer_window_minutes),
                )
            )
        if day.weekday() == digest_day:
            found.append(Due(DIGEST, channel.id, None, day, local_instant(day, digest_at, tz)))
    return sorted(
        (d for d in found if start <= d.at < end),
        key=lambda d: (d.at, d.kind, d.member_id or 0),
    )


def preview(
    days: str, at: str, tz: str, start: date, count: int, skip: Iterable[date] = ()
) -> list[datetime]:
    """The next ``count`` check-ins from local day ``start`` (inclusive): ``kaizen schedule
    preview``."""
    iterator = local_occurrences(
        parse_days(days), parse_time(at), ZoneInfo(tz), start, skip=set(skip)
    )
    return [next(iterator) for _ in range(count)]
