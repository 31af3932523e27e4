"""``/kaizen stats``: participation and top wastes over the last four weeks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot.db import Database
from bot.models import Channel, Finding, FindingKind, Member, Occurrence, Reply, ReplySource, Theme
from bot.timeutil import Clock, utcnow

WINDOW = timedelta(weeks=4)


@dataclass(frozen=True, slots=True)
class Stats:
    since: datetime
    asked: int
    answered: int
    people: tuple[tuple[str, int, int], ...]  # (name, answered, asked); empty when anonymous
    top_wastes: tuple[tuple[str, int, float], ...]  # (waste id, mentions, hours lost)
    top_themes: tuple[tuple[str, int], ...]  # (theme label, mentions)


async def channel_stats(db: Database, channel_id: int, *, clock: Clock = utcnow) -> Stats:
    since = clock() - WINDOW
    async with db.session() as s:
        channel = await s.get(Channel, channel_id)
        anonymous = bool(channel and channel.anonymous)
        asked = dict(
            (mid, n)
            for mid, n in await s.exec(
                select(Occurrence.member_id, func.count())
                .where(
                    Occurrence.channel_id == channel_id,
                    Occurrence.kind == "nudge",
                    col(Occurrence.sent_at) >= since,
                )
                .group_by(col(Occurrence.member_id))
            )
        )
        answered_days: dict[int, set[object]] = {}
        for mid, at, anon in await s.exec(
            select(Reply.member_id, Reply.created_at, Reply.anonymous).where(
                Reply.channel_id == channel_id,
                Reply.source == ReplySource.CHECKIN.value,
                col(Reply.created_at) >= since,
            )
        ):
            if mid is not None and not anon:
                answered_days.setdefault(mid, set()).add(at.date())
        names = {
            m.id: m.display_name or m.platform_user_id
            for m in await s.exec(
                select(Member).where(col(Member.id).in_(set(asked) | set(answered_days)))
            )
        }
        waste_rows = list(
            await s.exec(
                select(Finding.label, Finding.hours_lost, Reply.theme_id)
                .join(Reply, col(Reply.id) == col(Finding.reply_id))
                .where(
                    Reply.channel_id == channel_id,
                    col(Reply.created_at) >= since,
                    Finding.kind == FindingKind.WASTE.value,
                )
            )
        )
        theme_ids = {t for _, _, t in waste_rows if t is not None}
        labels = {
            t.id: t.label for t in await s.exec(select(Theme).where(col(Theme.id).in_(theme_ids)))
        }
    mentions: Counter[str] = Counter(label for label, _, _ in waste_rows)
    hours: Counter[str] = Counter()
    for label, h, _ in waste_rows:
        hours[label] += h or 0.0
    themes: Counter[str] = Counter(labels[t] for _, _, t in waste_rows if t in labels)
    people = ()
    if not anonymous:
        people = tuple(
            sorted(
                (
                    (names.get(mid, "someone"), len(answered_days.get(mid, ())), asked.get(mid, 0))
                    for mid in set(asked) | set(answered_days)
                    if mid is not None
                ),
                key=lambda p: (-p[1], p[0]),
            )
        )
    return Stats(
        since=since,
        asked=sum(asked.values()),
        answered=sum(len(d) for d in answered_days.values()),
        people=people,
        top_wastes=tuple((w, n, round(hours[w], 1)) for w, n in mentions.most_common(5)),
        top_themes=tuple(themes.most_common(5)),
    )
