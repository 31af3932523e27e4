import asyncio

import pytest
from sqlmodel import func, select

from bot.db import Database
from bot.errors import InvalidInput
from bot.models import Reply
from bot.services.replies import record_reply
from tests.conftest import Team


async def count_replies(db: Database) -> int:
    async with db.session() as s:
        return (await s.exec(select(func.count()).select_from(Reply))).one()


async def test_same_dedup_key_twice_stores_one_reply(db: Database, team: Team) -> None:
    kwargs = dict(
        channel_id=team.channel_id,
        member_id=team.alice_id,
        text="waited two days for the GPU quota bump",
        source="checkin",
        dedup_key="slack:Ev001",
        question_key="wastes.waiting",
    )
    first = await record_reply(db, **kwargs)  # type: ignore[arg-type]
    retry = await record_reply(db, **kwargs)  # type: ignore[arg-type]
    assert first.created and not retry.created
    assert retry.reply.id == first.reply.id
    assert await count_replies(db) == 1


async def test_concurrent_duplicate_deliveries_store_one_reply(db: Database, team: Team) -> None:
    results = await asyncio.gather(
        *(
            record_reply(
                db,
                channel_id=team.channel_id,
                member_id=team.bob_id,
                text="flaky integration test again",
                source="command",
                dedup_key="slack:Ev-race",
            )
            for _ in range(5)
        )
    )
    assert sum(r.created for r in results) == 1
    assert len({r.reply.id for r in results}) == 1
    assert await count_replies(db) == 1


async def test_a_40000_character_reply_is_stored_in_full(db: Database, team: Team) -> None:
    text = ("<!channel> *rework* again " * 2000)[:40_000]
    stored = await record_reply(
        db, channel_id=team.channel_id, text=text, source="command", dedup_key="long"
    )
    async with db.session() as s:
        again = await s.get(Reply, stored.reply.id)
    assert again is not None and again.text == text and len(again.text) == 40_000


async def test_empty_reply_is_refused_with_a_hint(db: Database, team: Team) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        await record_reply(
            db, channel_id=team.channel_id, text="   ", source="command", dedup_key="e"
        )
    assert await count_replies(db) == 0


async def test_unknown_source_is_rejected(db: Database, team: Team) -> None:
    with pytest.raises(ValueError):
        await record_reply(
            db, channel_id=team.channel_id, text="x", source="carrier-pigeon", dedup_key="p"
        )


async def test_anonymous_reply_keeps_the_flag(db: Database, team: Team) -> None:
    stored = await record_reply(
        db,
        channel_id=team.channel_id,
        member_id=team.alice_id,
        anonymous=True,
        text="nobody asked the data team before building the dashboard",
        source="checkin",
        dedup_key="anon-1",
    )
    assert stored.reply.anonymous is True
