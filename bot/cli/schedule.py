"""``kaizen schedule preview``: see exactly when check-ins will happen, DST included."""

from __future__ import annotations

import asyncio
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from sqlmodel import col, select

from bot.cli.common import fail, open_database, settings_or_exit
from bot.errors import InvalidInput, KaizenError
from bot.models import Channel, ChannelMember, Member
from bot.schedule.plan import member_zone, preview
from bot.weekdays import format_days, parse_days, parse_hhmm

schedule_app = typer.Typer(help="Inspect check-in schedules.", no_args_is_help=True)


@schedule_app.command("preview")
def preview_command(
    days: str = typer.Option("mon-fri", "--days", help="mon-fri, sun-thu or mon,wed,fri"),
    time: str = typer.Option("09:30", "--time", help="Local time of day, HH:MM."),
    tz: str = typer.Option("UTC", "--tz", help="IANA time zone, e.g. Europe/Berlin."),
    start: str | None = typer.Option(
        None, "--from", help="First local date (YYYY-MM-DD, counts itself; default today)."
    ),
    count: int = typer.Option(5, "--count", min=1, max=1000, help="How many occurrences."),
    skip: list[str] = typer.Option([], "--skip", help="A local date to leave out (repeatable)."),
    channel: str | None = typer.Option(
        None, "--channel", help="Preview a configured channel (platform or database id) instead."
    ),
) -> None:
    """Print the next check-ins, one ISO 8601 local date-time with offset per line."""
    try:
        first = date.fromisoformat(start) if start else None
        skipped = [date.fromisoformat(d) for d in skip]
    except ValueError:
        raise fail("dates must be written as YYYY-MM-DD.") from None
    if channel is not None:
        _channel_preview(channel, first, count)
        return
    try:
        ZoneInfo(tz)
        spec_days, spec_time = format_days(parse_days(days)), parse_hhmm(time)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(f"'{tz}' is not a time zone; use an IANA name like Europe/Berlin.") from None
    except InvalidInput as exc:
        raise fail(str(exc)) from None
    for when in preview(spec_days, spec_time, tz, first or date.today(), count, skipped):
        print(when.isoformat())


def _channel_preview(ref: str, first: date | None, count: int) -> None:
    settings = settings_or_exit()

    async def run() -> list[tuple[str, list[str]]]:
        db = open_database(settings)
        try:
            async with db.session() as s:
                found = (await s.exec(select(Channel).where(Channel.platform_id == ref))).first()
                if found is None and ref.isdigit():
                    found = await s.get(Channel, int(ref))
                if found is None:
                    raise KaizenError(f"there is no channel '{ref}'.")
                members = list(
                    await s.exec(
                        select(Member)
                        .join(ChannelMember, col(ChannelMember.member_id) == col(Member.id))
                        .where(ChannelMember.channel_id == found.id, col(ChannelMember.active))
                    )
                )
            skip = [date.fromisoformat(d) for d in found.skip_dates]
            groups: dict[str, list[str]] = {}
            for member in members or [None]:
                zone = member_zone(found, member, settings.timezone).key
                name = member.display_name or member.platform_user_id if member else "everyone"
                groups.setdefault(zone, []).append(name)
            out = []
            for zone, names in sorted(groups.items()):
                times = preview(
                    found.checkin_days, found.checkin_time, zone, first or date.today(), count, skip
                )
                out.append(
                    (f"# {zone}: {', '.join(sorted(names))}", [t.isoformat() for t in times])
                )
            return out
        finally:
            await db.dispose()

    try:
        groups = asyncio.run(run())
    except KaizenError as exc:
        raise fail(str(exc)) from None
    for heading, lines in groups:
        if len(groups) > 1:
            print(heading)
        for line in lines:
            print(line)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
