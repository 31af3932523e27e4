"""Inbound de-duplication: a platform retrying a delivery must not make us act twice."""

from __future__ import annotations

from bot.db import Database
from bot.models import ProcessedEvent
from bot.storage import insert_if_absent
from bot.timeutil import Clock, utcnow


async def first_delivery(
    db: Database, platform: str, event_id: str, *, clock: Clock = utcnow
) -> bool:
    """True the first time an event id is seen, False for every retry of it."""
    async with db.session() as s:
        new_id = await insert_if_absent(
            s,
            ProcessedEvent,
            {"platform": platform, "event_id": event_id, "received_at": clock()},
            ["platform", "event_id"],
        )
        await s.commit()
        return new_id is not None
