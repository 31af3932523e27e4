"""MLOps concerns: opened, acknowledged, assigned, resolved and reopened, with who and when.

Every change writes a ``ConcernEvent`` in the same transaction as the change itself, so the
history can never disagree with the current state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.analysis.labels import CONCERNS, display_name
from bot.db import Database
from bot.errors import InvalidInput, InvalidTransition, NotFound
from bot.models import Concern, ConcernAction, ConcernEvent, ConcernStatus
from bot.timeutil import Clock, utcnow

UNRESOLVED = (ConcernStatus.OPEN.value, ConcernStatus.ACKNOWLEDGED.value)


async def open_concern(
    db: Database,
    *,
    channel_id: int,
    kind: str,
    summary: str,
    model: str | None = None,
    opened_by_id: int | None = None,
    source_reply_id: int | None = None,
    clock: Clock = utcnow,
) -> Concern:
    """Start tracking a concern. ``kind`` is one of the taxonomy's concern ids."""
    if kind not in CONCERNS:
        raise InvalidInput(f"'{kind}' is not a concern kind; use one of: {', '.join(CONCERNS)}.")
    if not summary.strip():
        raise InvalidInput("describe the concern, e.g. 'churn-v3 recall fell to 0.61 on EU'.")
    now = clock()
    async with db.session() as s:
        concern = Concern(
            channel_id=channel_id,
            kind=kind,
            model=model,
            summary=summary.strip(),
            opened_by_id=opened_by_id,
            source_reply_id=source_reply_id,
            opened_at=now,
            last_mentioned_at=now,
        )
        s.add(concern)
        await s.flush()
        assert concern.id is not None
        s.add(
            ConcernEvent(
                concern_id=concern.id, action=ConcernAction.OPENED, actor_id=opened_by_id, at=now
            )
        )
        await s.commit()
        return concern


async def _load(s: AsyncSession, concern_id: int, channel_id: int | None) -> Concern:
    concern = await s.get(Concern, concern_id)
    if concern is None or (channel_id is not None and concern.channel_id != channel_id):
        raise NotFound(
            f"there is no concern #{concern_id} in this channel; "
            "list the open ones with `/kaizen concerns`."
        )
    return concern


async def _change(
    db: Database,
    concern_id: int,
    action: ConcernAction,
    *,
    actor_id: int | None,
    note: str | None,
    channel_id: int | None,
    clock: Clock,
    allowed_from: Sequence[str],
    apply: Callable[[Concern, datetime], None],
) -> Concern:
    now = clock()
    async with db.session() as s:
        concern = await _load(s, concern_id, channel_id)
        if concern.status not in allowed_from:
            raise InvalidTransition(_refusal(concern, action))
        apply(concern, now)
        s.add(concern)
        s.add(
            ConcernEvent(concern_id=concern_id, action=action, actor_id=actor_id, note=note, at=now)
        )
        await s.commit()
        return concern


def _set(concern: Concern, **values: object) -> None:
    for name, value in values.items():
        setattr(concern, name, value)


def _refusal(concern: Concern, action: ConcernAction) -> str:
    name = f"concern #{concern.id} ({display_name(concern.kind)})"
    if concern.status == ConcernStatus.RESOLVED:
        return f"{name} is already resolved; reopen it first if the problem is back."
    if action == ConcernAction.REOPENED:
        return f"{name} is still {concern.status}; only a resolved concern can be reopened."
    return f"{name} is {concern.status}; it cannot be {action.value} now."


async def acknowledge(
    db: Database,
    concern_id: int,
    *,
    actor_id: int | None,
    channel_id: int | None = None,
    clock: Clock = utcnow,
) -> Concern:
    """Someone has seen it and is on it; it stays unresolved."""
    return await _change(
        db,
        concern_id,
        ConcernAction.ACKNOWLEDGED,
        actor_id=actor_id,
        note=None,
        channel_id=channel_id,
        clock=clock,
        allowed_from=(ConcernStatus.OPEN,),
        apply=lambda c, _now: setattr(c, "status", ConcernStatus.ACKNOWLEDGED.value),
    )


async def assign(
    db: Database,
    concern_id: int,
    owner_id: int,
    *,
    actor_id: int | None,
    channel_id: int | None = None,
    clock: Clock = utcnow,
) -> Concern:
    """Give the concern an owner; assigning acknowledges it too."""
    return await _change(
        db,
        concern_id,
        ConcernAction.ASSIGNED,
        actor_id=actor_id,
        note=None,
        channel_id=channel_id,
        clock=clock,
        allowed_from=UNRESOLVED,
        apply=lambda c, _now: _set(c, owner_id=owner_id, status=ConcernStatus.ACKNOWLEDGED.value),
    )


async def resolve(
    db: Database,
    concern_id: int,
    *,
    actor_id: int | None,
    note: str | None = None,
    channel_id: int | None = None,
    clock: Clock = utcnow,
) -> Concern:
    return await _change(
        db,
        concern_id,
        ConcernAction.RESOLVED,
        actor_id=actor_id,
        note=note,
        channel_id=channel_id,
        clock=clock,
        allowed_from=UNRESOLVED,
        apply=lambda c, now: _set(
            c, status=ConcernStatus.RESOLVED.value, resolved_at=now, resolved_by_id=actor_id
        ),
    )


async def reopen(
    db: Database,
    concern_id: int,
    *,
    actor_id: int | None,
    note: str | None = None,
    channel_id: int | None = None,
    clock: Clock = utcnow,
) -> Concern:
    return await _change(
        db,
        concern_id,
        ConcernAction.REOPENED,
        actor_id=actor_id,
        note=note,
        channel_id=channel_id,
        clock=clock,
        allowed_from=(ConcernStatus.RESOLVED,),
        apply=lambda c, _now: _set(
            c, status=ConcernStatus.OPEN.value, resolved_at=None, resolved_by_id=None
        ),
    )


async def list_open(db: Database, channel_id: int, *, model: str | None = None) -> list[Concern]:
    """Unresolved concerns of a channel (optionally one model's), oldest first."""
    async with db.session() as s:
        query = select(Concern).where(
            Concern.channel_id == channel_id, col(Concern.status).in_(UNRESOLVED)
        )
        if model is not None:
            query = query.where(Concern.model == model)
        rows = await s.exec(query.order_by(col(Concern.opened_at), col(Concern.id)))
        return list(rows)


async def history(db: Database, concern_id: int) -> list[ConcernEvent]:
    """Every event of a concern, oldest first."""
    async with db.session() as s:
        rows = await s.exec(
            select(ConcernEvent)
            .where(ConcernEvent.concern_id == concern_id)
            .order_by(col(ConcernEvent.at), col(ConcernEvent.id))
        )
        return list(rows)
