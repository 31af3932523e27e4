"""Stored replies analysed: findings and themes persisted, re-runnable without loss."""

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.db import Database
from bot.models import Channel, Concern, ConcernEvent, Finding, Reply, Theme
from bot.services.analysis import Analyser
from bot.services.replies import record_reply
from tests.conftest import Team

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def store(
    db: Database,
    team: Team,
    member_id: int,
    text: str,
    question: str,
    at: datetime,
    source: str = "checkin",
) -> int:
    stored = await record_reply(
        db,
        channel_id=team.channel_id,
        member_id=member_id,
        text=text,
        source=source,
        question_key=question,
        dedup_key=f"{member_id}-{at.isoformat()}-{question}",
        at=at,
    )
    assert stored.reply.id is not None
    return stored.reply.id


async def test_analysis_writes_findings_hours_and_a_shared_theme(db: Database, team: Team) -> None:
    analyser = Analyser(db)
    first = await store(
        db,
        team,
        team.alice_id,
        "Blocked two days waiting for infra to raise our GPU quota",
        "wastes.waiting",
        MONDAY,
    )
    later = await store(
        db,
        team,
        team.bob_id,
        "infra still hasn't bumped our GPU limit, so training sits idle",
        "wastes.waiting",
        MONDAY + timedelta(days=7),
    )
    a = await analyser.analyse_reply(first)
    b = await analyser.analyse_reply(later)

    assert a.reading.wastes == ["waiting"]
    assert a.reading.hours_lost == 16  # two working days of eight hours
    assert a.theme_id is not None and b.theme_id == a.theme_id
    assert b.theme_replies == 2
    async with db.session() as s:
        findings = list(await s.exec(select(Finding).where(Finding.reply_id == first)))
        theme = await s.get(Theme, a.theme_id)
    waiting = next(f for f in findings if f.label == "waiting")
    assert waiting.kind == "waste" and waiting.hours_lost == 16
    assert theme is not None and theme.reply_count == 2 and theme.label


async def test_analysing_a_reply_twice_changes_nothing(db: Database, team: Team) -> None:
    analyser = Analyser(db)
    rid = await store(
        db,
        team,
        team.alice_id,
        "had to redo the backfill after the schema change broke it",
        "wastes.rework",
        MONDAY,
    )
    first = await analyser.analyse_reply(rid)
    again = await analyser.analyse_reply(rid)
    assert again.theme_id == first.theme_id
    assert again.reading.wastes == first.reading.wastes == ["defects"]
    async with db.session() as s:
        count = len(list(await s.exec(select(Finding).where(Finding.reply_id == rid))))
    assert count == len(first.reading.wastes) + len(first.reading.concerns)


async def test_a_clear_model_concern_in_a_check_in_is_tracked(db: Database, team: Team) -> None:
    async with db.session() as s:
        channel = await s.get(Channel, team.channel_id)
        assert channel is not None
        channel.models = ["churn-v3"]
        s.add(channel)
        await s.commit()
    analyser = Analyser(db)
    first = await store(
        db,
        team,
        team.alice_id,
        "drift alert on churn-v3: tenure distribution shifted after the pricing change",
        "health.data",
        MONDAY,
    )
    second = await store(
        db,
        team,
        team.bob_id,
        "churn-v3 still drifting on tenure, we need a retrain",
        "health.data",
        MONDAY + timedelta(days=2),
    )
    a = await analyser.analyse_reply(first)
    b = await analyser.analyse_reply(second)
    assert a.reading.model == "churn-v3"
    assert a.concern_ids and b.concern_ids == a.concern_ids  # refreshed, not duplicated
    async with db.session() as s:
        concern = await s.get(Concern, a.concern_ids[0])
        events = list(await s.exec(select(ConcernEvent)))
    assert concern is not None and concern.kind == "drift_retraining"
    assert concern.model == "churn-v3" and concern.opened_by_id == team.alice_id
    assert concern.last_mentioned_at == MONDAY + timedelta(days=2)
    assert [e.action for e in events] == ["opened"]


async def test_logged_replies_do_not_open_concerns_by_themselves(db: Database, team: Team) -> None:
    rid = await store(
        db,
        team,
        team.alice_id,
        "p99 latency on fraud-scorer blew through the 200ms SLA",
        "free",
        MONDAY,
        source="command",
    )
    result = await Analyser(db).analyse_reply(rid)
    assert "serving_sla" in result.reading.concerns
    assert result.concern_ids == ()


async def test_reprocess_rebuilds_without_losing_replies_or_hand_set_labels(
    db: Database, team: Team
) -> None:
    analyser = Analyser(db)
    texts = [
        (team.alice_id, "waiting on security review for the new data source, day three"),
        (team.bob_id, "security review of the data source still pending, no answer"),
        (team.alice_id, "flaky integration tests made us re-run CI four times"),
    ]
    ids = [
        await store(db, team, who, text, "wastes.other", MONDAY + timedelta(hours=i))
        for i, (who, text) in enumerate(texts)
    ]
    for rid in ids:
        await analyser.analyse_reply(rid)
    async with db.session() as s:
        # A person corrected the third reply by hand ("Change category").
        await s.exec(  # type: ignore[call-overload]
            Finding.__table__.delete().where(Finding.__table__.c.reply_id == ids[2])
        )
        s.add(Finding(reply_id=ids[2], kind="waste", label="motion", origin="user"))
        await s.commit()
        before = {t.key for t in await s.exec(select(Theme))}

    report = await analyser.reprocess()

    assert report.replies == 3 and report.channels >= 1
    async with db.session() as s:
        assert len(list(await s.exec(select(Reply)))) == 3
        after = {t.key for t in await s.exec(select(Theme))}
        labels = [
            (f.label, f.origin)
            for f in await s.exec(select(Finding).where(Finding.reply_id == ids[2]))
        ]
        analysed = list(await s.exec(select(Reply).where(col(Reply.analysed_at).is_(None))))
    assert after == before  # theme keys are stable across runs
    assert labels == [("motion", "user")]
    assert analysed == []


async def test_a_correction_teaches_the_workspace_analyser(db: Database, team: Team) -> None:
    analyser = Analyser(db)
    text = "spent the afternoon renaming columns in the legacy export"
    first = await store(db, team, team.alice_id, text, "free", MONDAY)
    before = await analyser.analyse_reply(first)
    assert before.reading.wastes == []
    await analyser.correct(first, ["overprocessing"], [])
    similar = await store(
        db,
        team,
        team.bob_id,
        "another vendor questionnaire ate the afternoon",
        "free",
        MONDAY + timedelta(days=1),
    )
    after = await analyser.analyse_reply(similar)
    assert "overprocessing" in after.reading.wastes
