"""Recording replies: idempotent by de-duplication key, committed before any analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.errors import InvalidInput, NotFound
from bot.models import Concern, Finding, Reply, ReplySource, Theme
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


@dataclass(frozen=True, slots=True)
class Removal:
    replies: int
    findings: int
    themes_removed: int


async def remove_replies(s: AsyncSession, reply_ids: list[int]) -> Removal:
    """Delete replies with their findings inside the caller's transaction, keeping the team's
    aggregates true: theme reply counts drop, themes left empty go, concerns that came from a
    deleted reply stay (they are the team's record) but no longer point at it."""
    if not reply_ids:
        return Removal(0, 0, 0)
    theme_ids = set(
        await s.exec(
            select(Reply.theme_id).where(
                col(Reply.id).in_(reply_ids), col(Reply.theme_id).is_not(None)
            )
        )
    )
    findings = (
        await s.exec(
            select(func.count()).select_from(Finding).where(col(Finding.reply_id).in_(reply_ids))
        )
    ).one()
    await s.exec(delete(Finding).where(col(Finding.reply_id).in_(reply_ids)))  # type: ignore[call-overload]
    await s.exec(  # type: ignore[call-overload]
        update(Concern)
        .where(col(Concern.source_reply_id).in_(reply_ids))
        .values(source_reply_id=None)
    )
    await s.exec(delete(Reply).where(col(Reply.id).in_(reply_ids)))  # type: ignore[call-overload]
    themes_removed = 0
    for theme_id in theme_ids:
        theme = await s.get(Theme, theme_id)
        if theme is None:
            continue
        remaining = (
            await s.exec(select(func.count()).select_from(Reply).where(Reply.theme_id == theme_id))
        ).one()
        if remaining == 0:
            await s.delete(theme)
            themes_removed += 1
        else:
            theme.reply_count = remaining
            s.add(theme)
    return Removal(len(reply_ids), int(findings), themes_removed)


async def undo_reply(db: Database, reply_id: int, member_id: int | None) -> Removal:
    """*Undo* on a logged reply: only its author may take it back."""
    async with db.session() as s:
        reply = await s.get(Reply, reply_id)
        if reply is None:
            raise NotFound("that entry is already gone.")
        if reply.member_id != member_id:
            raise InvalidInput("only the person who logged this can undo it.")
        removal = await remove_replies(s, [reply_id])
        await s.commit()
        return removal
