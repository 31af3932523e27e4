"""Forgetting a member: their replies and findings go, the team's aggregates stay consistent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import select

from bot.db import Database
from bot.models import Concern, ConcernEvent, Member, Occurrence, Reply
from bot.services.replies import remove_replies


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What was removed, to tell the person exactly what happened to their data."""

    replies: int
    findings: int
    themes_removed: int
    concerns_unattributed: int


async def forget_member(db: Database, member_id: int) -> ForgetReport:
    """Delete every reply and finding of a member, and the member record itself.

    In one transaction: theme reply counts are decremented (themes left empty are removed), and
    concerns they opened, own or resolved stay, because they are the team's record of a model
    problem, but no longer point at them or at their deleted reply. The scheduling ledger rows for
    them go too.
    """
    async with db.session() as s:
        reply_ids = [
            r for r in await s.exec(select(Reply.id).where(Reply.member_id == member_id)) if r
        ]
        removal = await remove_replies(s, reply_ids)
        touched = set()
        for column in ("owner_id", "opened_by_id", "resolved_by_id"):
            ids = await s.exec(select(Concern.id).where(getattr(Concern, column) == member_id))
            touched.update(ids)
            await s.exec(  # type: ignore[call-overload]
                update(Concern).where(getattr(Concern, column) == member_id).values({column: None})
            )
        await s.exec(  # type: ignore[call-overload]
            update(ConcernEvent).where(ConcernEvent.actor_id == member_id).values(actor_id=None)
        )
        await s.exec(delete(Occurrence).where(Occurrence.member_id == member_id))  # type: ignore[call-overload]
        member = await s.get(Member, member_id)
        if member is not None:
            await s.delete(member)
        await s.commit()
        return ForgetReport(
            replies=removal.replies,
            findings=removal.findings,
            themes_removed=removal.themes_removed,
            concerns_unattributed=len(touched),
        )
