"""Configuring a channel's check-ins: every value validated before anything is saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.db import Database
from bot.errors import InvalidInput, NotFound
from bot.models import Channel, TimezonePolicy
from bot.timeutil import Clock, utcnow
from bot.weekdays import DAY_NAMES, format_days, parse_day, parse_days, parse_hhmm


@dataclass(frozen=True, slots=True)
class ChannelChanges:
    """What a setup form or command may change; ``None`` means leave as is."""

    timezone: str | None = None
    timezone_policy: str | None = None
    question_sets: list[str] | None = None
    checkin_days: str | None = None
    checkin_time: str | None = None
    reminder_delay_minutes: int | None = None
    reminders_off: bool = False
    answer_window_minutes: int | None = None
    digest_day: str | None = None
    digest_time: str | None = None
    anonymous: bool | None = None
    paused: bool | None = None
    models: list[str] | None = None
    skip_dates: list[str] | None = None


def validate(
    changes: ChannelChanges, known_question_sets: set[str] | None = None
) -> dict[str, object]:
    """The stored values for ``changes``, or ``InvalidInput`` naming every bad field at once."""
    problems: list[str] = []
    values: dict[str, object] = {}

    def attempt(name: str, parse: object) -> None:
        try:
            values[name] = parse()  # type: ignore[operator]
        except InvalidInput as exc:
            problems.append(str(exc))

    if changes.timezone is not None:
        try:
            ZoneInfo(changes.timezone)
            values["timezone"] = changes.timezone
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"'{changes.timezone}' is not a time zone; use an IANA name like Europe/Berlin."
            )
    if changes.timezone_policy is not None:
        if changes.timezone_policy in {p.value for p in TimezonePolicy}:
            values["timezone_policy"] = changes.timezone_policy
        else:
            problems.append("time-zone policy must be 'member' (each at their own) or 'channel'.")
    if changes.question_sets is not None:
        sets = [s.strip() for s in changes.question_sets if s.strip()]
        unknown = [
            s for s in sets if known_question_sets is not None and s not in known_question_sets
        ]
        if not sets:
            problems.append("choose at least one question set.")
        elif unknown:
            problems.append(
                f"unknown question set(s): {', '.join(unknown)}; available: "
                f"{', '.join(sorted(known_question_sets or ()))}."
            )
        else:
            values["question_sets"] = sets
    if changes.checkin_days is not None:
        attempt("checkin_days", lambda: format_days(parse_days(changes.checkin_days or "")))
    if changes.checkin_time is not None:
        attempt("checkin_time", lambda: parse_hhmm(changes.checkin_time or ""))
    if changes.digest_day is not None:
        attempt("digest_day", lambda: DAY_NAMES[parse_day(changes.digest_day or "")])
    if changes.digest_time is not None:
        attempt("digest_time", lambda: parse_hhmm(changes.digest_time or ""))
    if changes.reminders_off:
        values["reminder_delay_minutes"] = None
    elif changes.reminder_delay_minutes is not None:
        if 5 <= changes.reminder_delay_minutes <= 24 * 60:
            values["reminder_delay_minutes"] = changes.reminder_delay_minutes
        else:
            problems.append("the reminder delay must be between 5 minutes and 24 hours, or off.")
    if changes.answer_window_minutes is not None:
        if 15 <= changes.answer_window_minutes <= 24 * 60:
            values["answer_window_minutes"] = changes.answer_window_minutes
        else:
            problems.append("the answer window must be between 15 minutes and 24 hours.")
    for flag in ("anonymous", "paused"):
        if getattr(changes, flag) is not None:
            values[flag] = bool(getattr(changes, flag))
    if changes.models is not None:
        values["models"] = sorted({m.strip() for m in changes.models if m.strip()})
    if changes.skip_dates is not None:
        try:
            values["skip_dates"] = sorted(
                {date.fromisoformat(d.strip()).isoformat() for d in changes.skip_dates}
            )
        except ValueError:
            problems.append("skip dates must be written as YYYY-MM-DD.")
    if problems:
        raise InvalidInput(" ".join(problems))
    return values


async def configure_channel(
    db: Database,
    channel_id: int,
    changes: ChannelChanges,
    *,
    known_question_sets: set[str] | None = None,
    clock: Clock = utcnow,
) -> Channel:
    """Apply validated changes; nothing is saved when any field is invalid."""
    values = validate(changes, known_question_sets)
    async with db.session() as s:
        channel = await s.get(Channel, channel_id)
        if channel is None:
            raise NotFound("this channel is not set up with Kaizen yet.")
        for name, value in values.items():
            setattr(channel, name, value)
        channel.updated_at = clock()
        s.add(channel)
        await s.commit()
        return channel
