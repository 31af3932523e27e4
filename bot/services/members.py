"""Forgetting a member: their replies and findings go, the team's aggregates stay consistent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from bot.db import Database
from bot.models import (
    Concern,
    ConcernEvent,
    Finding,
    Member,
    Occurrence,
    Reply,
    Theme,
)


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
        reply_ids = list(await s.exec(select(Reply.id).where(Reply.member_id == member_id)))
        theme_ids = set(
            t
            for t in await s.exec(
                select(Reply.theme_id).where(
                    Reply.member_id == member_id, col(Reply.theme_id).is_not(None)
                )
            )
        )
        findings = 0
        if reply_ids:
            findings = (
                await s.exec(
                    select(func.count())
                    .select_from(Finding)
                    .where(col(Finding.reply_id).in_(reply_ids))
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
                await s.exec(
                    select(func.count()).select_from(Reply).where(Reply.theme_id == theme_id)
                )
            ).one()
            if remaining == 0:
                await s.delete(theme)
                themes_removed += 1
            else:
                theme.reply_count = remaining
                s.add(theme)

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
            replies=len(reply_ids),
            findings=int(findings),
            themes_removed=themes_removed,
            concerns_unattributed=len(touched),
        )
