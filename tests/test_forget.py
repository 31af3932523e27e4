from sqlmodel import func, select

from bot.db import Database
from bot.models import Concern, ConcernEvent, Finding, Member, Reply, Theme
from bot.services import concerns
from bot.services.ledger import claim
from bot.services.members import forget_member
from bot.services.replies import record_reply
from tests.conftest import Team


async def add_reply(db: Database, team: Team, member_id: int, key: str, theme_id: int) -> int:
    stored = await record_reply(
        db,
        channel_id=team.channel_id,
        member_id=member_id,
        text=f"waited on GPU quota ({key})",
        source="checkin",
        dedup_key=key,
    )
    async with db.session() as s:
        reply = await s.get(Reply, stored.reply.id)
        assert reply is not None and reply.id is not None
        reply.theme_id = theme_id
        s.add(reply)
        s.add(Finding(reply_id=reply.id, kind="waste", label="waiting", hours_lost=8.0))
        await s.commit()
        return reply.id


async def test_forget_me_removes_their_data_and_keeps_the_team_consistent(
    db: Database, team: Team
) -> None:
    async with db.session() as s:
        shared = Theme(channel_id=team.channel_id, key="gpu-quota", label="GPU quota")
        alone = Theme(channel_id=team.channel_id, key="slow-review", label="Slow review")
        s.add_all([shared, alone])
        await s.commit()
        assert shared.id and alone.id
        shared_id, alone_id = shared.id, alone.id

    alice_reply = await add_reply(db, team, team.alice_id, "a1", shared_id)
    await add_reply(db, team, team.alice_id, "a2", alone_id)
    await add_reply(db, team, team.bob_id, "b1", shared_id)
    concern = await concerns.open_concern(
        db,
        channel_id=team.channel_id,
        kind="training_scale",
        summary="training needs more GPUs",
        opened_by_id=team.alice_id,
        source_reply_id=alice_reply,
    )
    assert concern.id is not None
    await concerns.assign(db, concern.id, team.alice_id, actor_id=team.bob_id)
    from datetime import date

    await claim(
        db,
        kind="nudge",
        channel_id=team.channel_id,
        member_id=team.alice_id,
        local_date=date(2026, 11, 30),
        claimed_by="test",
    )

    report = await forget_member(db, team.alice_id)

    assert (report.replies, report.findings, report.themes_removed) == (2, 2, 1)
    assert report.concerns_unattributed == 1
    async with db.session() as s:
        remaining = list(await s.exec(select(Reply)))
        assert [r.dedup_key for r in remaining] == ["b1"]
        assert (await s.exec(select(func.count()).select_from(Finding))).one() == 1
        themes = {t.key: t for t in await s.exec(select(Theme))}
        assert set(themes) == {"gpu-quota"} and themes["gpu-quota"].reply_count == 1
        assert await s.get(Member, team.alice_id) is None
        assert await s.get(Member, team.bob_id) is not None
        kept = await s.get(Concern, concern.id)
        assert kept is not None and kept.status == "acknowledged"
        assert (kept.opened_by_id, kept.owner_id, kept.source_reply_id) == (None, None, None)
        actors = {e.action: e.actor_id for e in await s.exec(select(ConcernEvent))}
        assert actors == {"opened": None, "assigned": team.bob_id}


async def test_forgetting_someone_without_data_is_harmless(db: Database, team: Team) -> None:
    report = await forget_member(db, team.bob_id)
    assert (report.replies, report.findings, report.themes_removed) == (0, 0, 0)
