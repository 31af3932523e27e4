"""Recording replies: idempotent by de-duplication key, committed before any analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from bot.db import Database
from bot.errors import InvalidInput
from bot.models import Reply, ReplySource
from bot.storage import insert_if_absent
from bot.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class RecordedReply:
    """The stored reply, and whether this call stored it (``False`` for a duplicate delivery)."""

    reply: Reply
    created: bool


async def record_reply(
    db: Database,
    *,
    channel_id: int,
    text: str,
    source: ReplySource | str,
    dedup_key: str,
    member_id: int | None = None,
    anonymous: bool = False,
    question_key: str | None = None,
    occurrence_id: int | None = None,
    permalink: str | None = None,
    at: datetime | None = None,
) -> RecordedReply:
    """Store a reply exactly once per ``dedup_key`` (e.g. Slack ``event_id`` or modal view id).

    The text is stored in full, however long: limits are the renderers' business, and a user's
    words are never cut on the way in. Empty text is refused, because it carries nothing to
    analyse and usually means a client bug.
    """
    if not text.strip():
        raise InvalidInput(
            "the reply is empty; write what happened, e.g. 'waited 2 days on review'."
        )
    source = ReplySource(source)
    async with db.session() as s:
        new_id = await insert_if_absent(
            s,
            Reply,
            {
                "channel_id": channel_id,
                "member_id": member_id,
                "anonymous": anonymous,
                "question_key": question_key,
                "text": text,
                "source": source.value,
                "dedup_key": dedup_key,
                "occurrence_id": occurrence_id,
                "permalink": permalink,
                "created_at": at or utcnow(),
            },
            ["dedup_key"],
        )
        await s.commit()
        reply = (await s.exec(select(Reply).where(Reply.dedup_key == dedup_key))).one()
        return RecordedReply(reply=reply, created=new_id is not None)


async def replies_for_channel(
    db: Database, channel_id: int, since: datetime, until: datetime
) -> list[Reply]:
    """Replies in ``[since, until)``, oldest first; served by the (channel, created_at) index."""
    async with db.session() as s:
        rows = await s.exec(
            select(Reply)
            .where(
                Reply.channel_id == channel_id,
                Reply.created_at >= since,  # type: ignore[operator]
                Reply.created_at < until,  # type: ignore[operator]
            )
            .order_by(Reply.created_at, Reply.id)  # type: ignore[arg-type]
        )
        return list(rows)
