"""The end-of-window summary of one day's check-in in a channel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.db import Database
from bot.models import (
    Channel,
    Concern,
    Finding,
    FindingKind,
    Member,
    Occurrence,
    OccurrenceStatus,
    Reply,
    ReplySource,
)
from bot.schedule.content import DailySummary, SummaryItem

MAX_ITEMS = 5
ITEM_CHARS = 200


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ITEM_CHARS else text[: ITEM_CHARS - 1].rstrip() + "…"


async def daily_summary(
    db: Database, channel: Channel, day: date, tz: ZoneInfo, *, late: bool = False
) -> DailySummary:
    assert channel.id is not None
    start, end = day_bounds(day, tz)
    async with db.session() as s:
        answers = list(
            await s.exec(
                select(Reply).where(
                    Reply.channel_id == channel.id,
                    Reply.source == ReplySource.CHECKIN.value,
                    col(Reply.created_at) >= start,
                    col(Reply.created_at) < end,
                )
            )
        )
        asked = len(
            list(
                await s.exec(
                    select(Occurrence.id).where(
                        Occurrence.channel_id == channel.id,
                        Occurrence.kind == "nudge",
                        Occurrence.local_date == day,
                        Occurrence.status == OccurrenceStatus.SENT.value,
                    )
                )
            )
        )
        labels: dict[int, set[str]] = {}
        ids = [r.id for r in answers if r.id is not None]
        for reply_id, label in await s.exec(
            select(Finding.reply_id, Finding.label).where(
                col(Finding.reply_id).in_(ids), Finding.kind == FindingKind.WASTE.value
            )
        ):
            labels.setdefault(reply_id, set()).add(label)
        members = {
            m.id: m.display_name or m.platform_user_id
            for m in await s.exec(
                select(Member).where(col(Member.id).in_({r.member_id for r in answers}))
            )
        }
        concerns = list(
            await s.exec(
                select(Concern).where(
                    Concern.channel_id == channel.id,
                    col(Concern.opened_at) >= start,
                    col(Concern.opened_at) < end,
                )
            )
        )

    def author(reply: Reply) -> str | None:
        if channel.anonymous or reply.anonymous or reply.member_id is None:
            return None
        return members.get(reply.member_id)

    def items(label: str) -> tuple[SummaryItem, ...]:
        picked = [r for r in answers if label in labels.get(r.id or 0, set())]
        return tuple(SummaryItem(_short(r.text), author(r)) for r in picked[:MAX_ITEMS])

    people = {r.member_id for r in answers if r.member_id is not None}
    names = () if channel.anonymous else tuple(sorted(members[m] for m in people if m in members))
    return DailySummary(
        channel_name=channel.name or channel.platform_id,
        local_date=day,
        answered=names,
        answered_count=len(people),
        asked_count=max(asked, len(people)),
        waits=items("waiting"),
        rework=items("defects"),
        new_concerns=tuple(
            (c.id or 0, c.kind, c.model, _short(c.summary)) for c in concerns[:MAX_ITEMS]
        ),
        late=late,
    )
