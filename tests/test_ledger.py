import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlmodel import func, select

from bot.db import Database
from bot.models import Occurrence, OccurrenceStatus
from bot.services import ledger
from bot.services.events import first_delivery
from tests.conftest import Team


async def test_an_occurrence_is_claimed_once(db: Database, team: Team) -> None:
    day = date(2026, 11, 30)
    first = await ledger.claim(
        db,
        kind="nudge",
        channel_id=team.channel_id,
        member_id=team.alice_id,
        local_date=day,
        claimed_by="worker-a",
    )
    again = await ledger.claim(
        db,
        kind="nudge",
        channel_id=team.channel_id,
        member_id=team.alice_id,
        local_date=day,
        claimed_by="worker-b",
    )
    other_kind = await ledger.claim(
        db,
        kind="reminder",
        channel_id=team.channel_id,
        member_id=team.alice_id,
        local_date=day,
        claimed_by="worker-b",
    )
    assert first is not None and first.claimed_by == "worker-a"
    assert again is None
    assert other_kind is not None


async def test_two_processes_racing_for_the_same_keys_each_win_once(
    database_url: str, team: Team
) -> None:
    """Two engines are two connection pools, as two bot processes would have."""
    a, b = Database(database_url), Database(database_url)
    try:
        days = [date(2026, 12, 1) + timedelta(days=i) for i in range(25)]

        async def claim_all(database: Database, name: str) -> list[bool]:
            results = []
            for day in days:
                got = await ledger.claim(
                    database,
                    kind="nudge",
                    channel_id=team.channel_id,
                    member_id=team.bob_id,
                    local_date=day,
                    claimed_by=name,
                )
                results.append(got is not None)
            return results

        wins_a, wins_b = await asyncio.gather(claim_all(a, "a"), claim_all(b, "b"))
        assert all(x != y for x, y in zip(wins_a, wins_b, strict=True))
        async with a.session() as s:
            rows = (await s.exec(select(func.count()).select_from(Occurrence))).one()
        assert rows == len(days)
    finally:
        await a.dispose()
        await b.dispose()


async def test_claims_never_marked_sent_are_found_for_recovery(db: Database, team: Team) -> None:
    t0 = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    sent = await ledger.claim(
        db,
        kind="nudge",
        channel_id=team.channel_id,
        member_id=team.alice_id,
        local_date=date(2026, 11, 30),
        claimed_by="w",
        clock=lambda: t0,
    )
    crashed = await ledger.claim(
        db,
        kind="nudge",
        channel_id=team.channel_id,
        member_id=team.bob_id,
        local_date=date(2026, 11, 30),
        claimed_by="w",
        clock=lambda: t0,
    )
    assert sent and sent.id and crashed
    await ledger.mark(db, sent.id, OccurrenceStatus.SENT, message_ref="C1/171.2")
    pending = await ledger.unsent_claims(db, older_than=t0 + timedelta(minutes=5))
    assert [o.id for o in pending] == [crashed.id]
    assert await ledger.unsent_claims(db, older_than=t0) == []


async def test_a_retried_event_is_processed_once(db: Database) -> None:
    assert await first_delivery(db, "slack", "Ev0ABC")
    assert not await first_delivery(db, "slack", "Ev0ABC")
    assert await first_delivery(db, "teams", "Ev0ABC")
