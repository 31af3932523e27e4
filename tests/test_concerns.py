from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.errors import InvalidInput, InvalidTransition, NotFound
from bot.models import ConcernStatus
from bot.services import concerns, directory
from tests.conftest import Team


class StepClock:
    """A clock that moves one hour each time it is read."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(hours=1)
        return self.now


async def test_concern_life_cycle_records_who_did_what(db: Database, team: Team) -> None:
    clock = StepClock()
    concern = await concerns.open_concern(
        db,
        channel_id=team.channel_id,
        kind="drift_retraining",
        model="churn-v3",
        summary="feature drift on tenure since the pricing change",
        opened_by_id=team.alice_id,
        clock=clock,
    )
    assert concern.id is not None and concern.status == ConcernStatus.OPEN
    await concerns.acknowledge(db, concern.id, actor_id=team.bob_id, clock=clock)
    await concerns.assign(db, concern.id, team.bob_id, actor_id=team.alice_id, clock=clock)
    resolved = await concerns.resolve(
        db, concern.id, actor_id=team.bob_id, note="retrained on Nov data", clock=clock
    )
    assert resolved.status == ConcernStatus.RESOLVED
    assert resolved.resolved_by_id == team.bob_id
    assert resolved.owner_id == team.bob_id
    assert resolved.resolved_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)

    reopened = await concerns.reopen(db, concern.id, actor_id=team.alice_id, clock=clock)
    assert reopened.status == ConcernStatus.OPEN
    assert reopened.resolved_at is None and reopened.resolved_by_id is None

    events = await concerns.history(db, concern.id)
    assert [(e.action, e.actor_id) for e in events] == [
        ("opened", team.alice_id),
        ("acknowledged", team.bob_id),
        ("assigned", team.alice_id),
        ("resolved", team.bob_id),
        ("reopened", team.alice_id),
    ]
    assert events[3].note == "retrained on Nov data"
    assert [e.at for e in events] == sorted(e.at for e in events)


async def test_resolving_twice_is_refused_with_a_reason(db: Database, team: Team) -> None:
    c = await concerns.open_concern(
        db, channel_id=team.channel_id, kind="serving_sla", summary="p99 over 200ms"
    )
    assert c.id is not None
    await concerns.resolve(db, c.id, actor_id=team.alice_id)
    with pytest.raises(InvalidTransition, match="already resolved"):
        await concerns.resolve(db, c.id, actor_id=team.bob_id)
    with pytest.raises(InvalidTransition, match="already resolved"):
        await concerns.assign(db, c.id, team.bob_id, actor_id=team.bob_id)
    open_one = await concerns.open_concern(
        db, channel_id=team.channel_id, kind="serving_sla", summary="timeouts at peak"
    )
    assert open_one.id is not None
    with pytest.raises(InvalidTransition, match="only a resolved concern can be reopened"):
        await concerns.reopen(db, open_one.id, actor_id=None)
    assert len(await concerns.history(db, c.id)) == 2  # refusals leave no trace


async def test_unknown_or_foreign_concern_is_not_found(db: Database, team: Team) -> None:
    other = await directory.ensure_channel(db, team.workspace_id, "C999", "elsewhere")
    assert other.id is not None
    c = await concerns.open_concern(
        db, channel_id=other.id, kind="model_quality", summary="recall fell"
    )
    assert c.id is not None
    with pytest.raises(NotFound, match="no concern #4242"):
        await concerns.resolve(db, 4242, actor_id=None, channel_id=team.channel_id)
    with pytest.raises(NotFound):
        await concerns.resolve(db, c.id, actor_id=None, channel_id=team.channel_id)


async def test_open_concerns_are_listed_by_channel_and_model(db: Database, team: Team) -> None:
    a = await concerns.open_concern(
        db, channel_id=team.channel_id, kind="model_quality", model="churn-v3", summary="a"
    )
    b = await concerns.open_concern(
        db, channel_id=team.channel_id, kind="serving_sla", model="fraud-scorer", summary="b"
    )
    c = await concerns.open_concern(
        db, channel_id=team.channel_id, kind="drift_retraining", model="churn-v3", summary="c"
    )
    assert a.id and b.id and c.id
    await concerns.acknowledge(db, c.id, actor_id=team.alice_id)
    await concerns.resolve(db, a.id, actor_id=team.alice_id)
    assert [x.id for x in await concerns.list_open(db, team.channel_id)] == [b.id, c.id]
    assert [x.id for x in await concerns.list_open(db, team.channel_id, model="churn-v3")] == [c.id]


async def test_bad_kind_and_empty_summary_are_refused(db: Database, team: Team) -> None:
    with pytest.raises(InvalidInput, match="not a concern kind"):
        await concerns.open_concern(db, channel_id=team.channel_id, kind="waiting", summary="x")
    with pytest.raises(InvalidInput, match="describe the concern"):
        await concerns.open_concern(
            db, channel_id=team.channel_id, kind="explainability", summary=" "
        )
