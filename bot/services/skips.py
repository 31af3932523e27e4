"""Skipping check-ins: a day (``/kaizen skip fri``, *Skip today*) or an away range."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, or_, select

from bot.db import Database
from bot.errors import InvalidInput
from bot.models import Channel, MemberSkip


async def skip(
    db: Database,
    member_id: int,
    first_day: date,
    last_day: date | None = None,
    *,
    channel_id: int | None = None,
    today: date | None = None,
) -> MemberSkip:
    """Record days off; ``channel_id`` None covers every channel. Past days are refused."""
    last_day = last_day or first_day
    if today is not None and last_day < today:
        raise InvalidInput(f"{last_day.isoformat()} is in the past; skip today or a later day.")
    async with db.session() as s:
        row = MemberSkip(
            member_id=member_id, channel_id=channel_id, first_day=first_day, last_day=last_day
        )
        s.add(row)
        await s.commit()
        return row


async def is_skipped(db: Database, member_id: int, channel_id: int, day: date) -> bool:
    """True when the member or the whole channel takes ``day`` off."""
    async with db.session() as s:
        channel = await s.get(Channel, channel_id)
        if channel is not None and day.isoformat() in channel.skip_dates:
            return True
        found = (
            await s.exec(
                select(MemberSkip.id).where(
                    MemberSkip.member_id == member_id,
                    or_(col(MemberSkip.channel_id).is_(None), MemberSkip.channel_id == channel_id),
                    col(MemberSkip.first_day) <= day,
                    col(MemberSkip.last_day) >= day,
                )
            )
        ).first()
        return found is not None
