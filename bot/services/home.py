"""What a person sees on their home tab: their concerns, their channels' recurring wastes and
when they will next be asked to check in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import col, select

from bot.analysis.themes import is_recurring
from bot.db import Database
from bot.digests.build import DEFAULT_CONCERN_SLA_DAYS, concern_item
from bot.digests.model import ConcernItem
from bot.models import (
    Channel,
    ChannelMember,
    Concern,
    ConcernStatus,
    Member,
    MemberSkip,
    Reply,
    Theme,
)
from bot.schedule.plan import member_zone
from bot.schedule.times import next_after, parse_time
from bot.timeutil import Clock, iso_week, utcnow
from bot.weekdays import parse_days

MONTH = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ChannelHome:
    channel_id: int
    platform_id: str
    name: str
    paused: bool
    next_checkin: datetime | None
    recurring: tuple[tuple[str, int], ...]  # (theme label, mentions in the last 30 days)


@dataclass(frozen=True, slots=True)
class HomeData:
    my_concerns: tuple[tuple[str, ConcernItem], ...]  # (channel name, concern)
    channels: tuple[ChannelHome, ...]


async def home_data(
    db: Database,
    member_id: int,
    *,
    fallback_timezone: str = "UTC",
    clock: Clock = utcnow,
    sla_days: int = DEFAULT_CONCERN_SLA_DAYS,
) -> HomeData:
    now = clock()
    async with db.session() as s:
        member = await s.get(Member, member_id)
        channel_ids = set(
            await s.exec(
                select(ChannelMember.channel_id).where(
                    ChannelMember.member_id == member_id, col(ChannelMember.active)
                )
            )
        ) | set(await s.exec(select(Reply.channel_id).where(Reply.member_id == member_id)))
        channels = list(await s.exec(select(Channel).where(col(Channel.id).in_(channel_ids))))
        names = {c.id: c.name or c.platform_id for c in channels}
        mine = list(
            await s.exec(
                select(Concern).where(
                    Concern.owner_id == member_id,
                    col(Concern.status) != ConcernStatus.RESOLVED.value,
                )
            )
        )
        skips = list(await s.exec(select(MemberSkip).where(MemberSkip.member_id == member_id)))
        rows = list(
            await s.exec(
                select(
                    Reply.channel_id, Reply.theme_id, Reply.member_id, Reply.id, Reply.created_at
                ).where(
                    col(Reply.channel_id).in_(channel_ids),
                    col(Reply.created_at) >= now - MONTH,
                    col(Reply.theme_id).is_not(None),
                )
            )
        )
        theme_labels = {
            t.id: t.label
            for t in await s.exec(select(Theme).where(col(Theme.id).in_({r[1] for r in rows})))
        }
    seen: dict[tuple[int, int], tuple[set[str], set[str], int]] = defaultdict(
        lambda: (set(), set(), 0)
    )
    for channel_id, theme_id, author, reply_id, at in rows:
        weeks, people, n = seen[(channel_id, theme_id)]
        weeks.add(iso_week(at.date()))
        people.add(str(author) if author is not None else f"reply:{reply_id}")
        seen[(channel_id, theme_id)] = (weeks, people, n + 1)
    out = []
    for channel in sorted(channels, key=lambda c: c.name):
        assert channel.id is not None
        recurring = sorted(
            (
                (theme_labels.get(theme_id, "?"), n)
                for (cid, theme_id), (weeks, people, n) in seen.items()
                if cid == channel.id and is_recurring(weeks, people)
            ),
            key=lambda t: -t[1],
        )[:5]
        out.append(
            ChannelHome(
                channel.id,
                channel.platform_id,
                names[channel.id],
                channel.paused,
                None if channel.paused else _next(channel, member, skips, fallback_timezone, now),
                tuple(recurring),
            )
        )
    return HomeData(
        tuple((names.get(c.channel_id, "?"), concern_item(c, {}, now, sla_days)) for c in mine),
        tuple(out),
    )


def _next(
    channel: Channel, member: Member | None, skips: list[MemberSkip], fallback: str, now: datetime
) -> datetime | None:
    tz = member_zone(channel, member, fallback)
    skip: set[date] = {date.fromisoformat(d) for d in channel.skip_dates}
    horizon = now.astimezone(tz).date()
    for sk in skips:
        if sk.channel_id in (None, channel.id) and sk.last_day >= horizon:
            day = max(sk.first_day, horizon)
            while day <= sk.last_day and day <= horizon + timedelta(days=400):
                skip.add(day)
                day += timedelta(days=1)
    return next_after(
        parse_days(channel.checkin_days), parse_time(channel.checkin_time), tz, now, skip=skip
    )
