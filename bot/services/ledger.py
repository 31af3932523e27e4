"""The occurrence ledger: claim before sending, so every scheduled send happens once.

A claim is an insert on a unique key. Whoever inserts first owns the occurrence; everyone else
(a retried job, a restarted process, a second replica on the same PostgreSQL) sees ``None`` and
sends nothing. A claim that was never marked sent (the process died in between) is found by
``unsent_claims`` on the next start and sent then, once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select

from bot.db import Database
from bot.models import Occurrence, OccurrenceStatus
from bot.storage import insert_if_absent
from bot.timeutil import Clock, utcnow


def occurrence_key(kind: str, channel_id: int, member_id: int | None, local_date: date) -> str:
    """``nudge:12:34:2026-11-30``; a channel-wide occurrence uses ``-`` for the member."""
    who = "-" if member_id is None else str(member_id)
    return f"{kind}:{channel_id}:{who}:{local_date.isoformat()}"


async def claim(
    db: Database,
    *,
    kind: str,
    channel_id: int,
    member_id: int | None,
    local_date: date,
    claimed_by: str,
    clock: Clock = utcnow,
) -> Occurrence | None:
    """Claim one occurrence; ``None`` when someone already has it."""
    key = occurrence_key(kind, channel_id, member_id, local_date)
    async with db.session() as s:
        new_id = await insert_if_absent(
            s,
            Occurrence,
            {
                "key": key,
                "kind": kind,
                "channel_id": channel_id,
                "member_id": member_id,
                "local_date": local_date,
                "claimed_by": claimed_by,
                "claimed_at": clock(),
            },
            ["key"],
        )
        await s.commit()
        if new_id is None:
            return None
        return await s.get(Occurrence, new_id)


async def mark(
    db: Database,
    occurrence_id: int,
    status: OccurrenceStatus,
    *,
    message_ref: str | None = None,
    at: datetime | None = None,
) -> None:
    """Record the outcome of a claimed occurrence (sent, skipped or failed)."""
    async with db.session() as s:
        occ = await s.get(Occurrence, occurrence_id)
        if occ is None:
            return
        occ.status = status.value
        if status == OccurrenceStatus.SENT:
            occ.sent_at = at or utcnow()
            occ.message_ref = message_ref
        s.add(occ)
        await s.commit()


async def unsent_claims(db: Database, *, older_than: datetime) -> list[Occurrence]:
    """Claims left without an outcome (a crash between claim and send), for recovery."""
    async with db.session() as s:
        rows = await s.exec(
            select(Occurrence)
            .where(
                Occurrence.status == OccurrenceStatus.CLAIMED.value,
                col(Occurrence.claimed_at) < older_than,
            )
            .order_by(col(Occurrence.claimed_at))
        )
        return list(rows)
