"""Digest data built from storage: recurrence rules, anonymity, concerns, empty weeks."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.analysis.themes import is_recurring
from bot.db import Database
from bot.digests.build import build_digest, latest_active_channel
from bot.models import Channel, Finding, Occurrence, Reply, Theme
from bot.services import concerns, directory
from tests.conftest import Team

# 2026-W48 runs Monday 23 to Sunday 29 November 2026.
MON_W48 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


async def theme(db: Database, team: Team, key: str, label: str) -> int:
    async with db.session() as s:
        t = Theme(channel_id=team.channel_id, key=key, label=label)
        s.add(t)
        await s.commit()
        assert t.id is not None
        return t.id


async def said(
    db: Database,
    team: Team,
    member_id: int | None,
    text: str,
    at: datetime,
    label: str,
    theme_id: int | None = None,
    hours: float | None = None,
    anonymous: bool = False,
) -> int:
    async with db.session() as s:
        r = Reply(
            channel_id=team.channel_id,
            member_id=member_id,
            anonymous=anonymous,
            text=text,
            source="checkin",
            dedup_key=f"{text}-{at.isoformat()}-{member_id}",
            created_at=at,
            theme_id=theme_id,
        )
        s.add(r)
        await s.flush()
        assert r.id is not None
        s.add(Finding(reply_id=r.id, kind="waste", label=label, hours_lost=hours))
        await s.commit()
        return r.id


async def carol(db: Database, team: Team) -> int:
    m = await directory.ensure_member(db, team.workspace_id, "U_CAROL", "Carol")
    assert m.id is not None
    return m.id


def test_recurrence_rule() -> None:
    assert is_recurring({"2026-W47", "2026-W48"}, {"a"})
    assert is_recurring({"2026-W48"}, {"a", "b", "c"})
    assert not is_recurring({"2026-W48"}, {"a", "b"})


async def test_theme_seen_in_two_weeks_leads_as_recurring(db: Database, team: Team) -> None:
    gpu = await theme(db, team, "gpu-quota", "GPU quota")
    review = await theme(db, team, "slow-review", "Slow code review")
    await said(
        db,
        team,
        team.alice_id,
        "waited on GPU quota",
        MON_W48 - timedelta(days=7),
        "waiting",
        gpu,
        8,
    )
    await said(db, team, team.alice_id, "still no A100s", MON_W48, "waiting", gpu, 16)
    await said(
        db, team, team.bob_id, "quota bump pending", MON_W48 + timedelta(days=1), "waiting", gpu
    )
    await said(db, team, team.bob_id, "PR sat 2 days", MON_W48, "waiting", review, 16)

    digest = await build_digest(db, team.channel_id, "2026-W48", clock=clock)

    assert [t.label for t in digest.recurring] == ["GPU quota"]
    gpu_card = digest.recurring[0]
    assert gpu_card.count == 2 and gpu_card.trend == "up"
    assert gpu_card.weekly[-2:] == (("2026-W47", 1), ("2026-W48", 2))
    assert gpu_card.hours_lost == 16 and gpu_card.people == 2
    assert {q.author for q in gpu_card.quotes} == {"Alice", "Bob"}
    assert [t.label for t in digest.new_wastes] == ["Slow code review"]
    assert digest.new_wastes[0].trend == "new"
    assert digest.totals[0].category == "waiting" and digest.totals[0].mentions == 3
    assert digest.headline.startswith("Waiting rose from 1 to 3")


async def test_three_people_in_one_week_is_recurring(db: Database, team: Team) -> None:
    flaky = await theme(db, team, "flaky-e2e", "Flaky e2e tests")
    c = await carol(db, team)
    for who in (team.alice_id, team.bob_id, c):
        await said(db, team, who, "re-ran the flaky suite", MON_W48, "defects", flaky)
    digest = await build_digest(db, team.channel_id, "2026-W48", clock=clock)
    assert [t.key for t in digest.recurring] == ["flaky-e2e"]
    assert digest.recurring[0].people == 3


async def test_anonymous_replies_never_reveal_their_author(db: Database, team: Team) -> None:
    t = await theme(db, team, "dashboards", "Unused dashboards")
    await said(
        db,
        team,
        team.alice_id,
        "built a dashboard nobody opens",
        MON_W48,
        "overproduction",
        t,
        anonymous=True,
    )
    await said(db, team, team.bob_id, "another unused report", MON_W48, "overproduction", t)
    digest = await build_digest(db, team.channel_id, "2026-W48", clock=clock)
    authors = {q.text: q.author for q in digest.new_wastes[0].quotes}
    assert authors["built a dashboard nobody opens"] is None
    assert authors["another unused report"] == "Bob"
    assert "Alice" not in repr(digest.as_dict())


async def test_anonymous_channel_hides_every_name(db: Database, team: Team) -> None:
    async with db.session() as s:
        ch = await s.get(Channel, team.channel_id)
        assert ch is not None
        ch.anonymous = True
        s.add(ch)
        s.add(
            Occurrence(
                key="n1",
                kind="nudge",
                channel_id=team.channel_id,
                member_id=team.alice_id,
                local_date=MON_W48.date(),
                status="sent",
                sent_at=MON_W48,
            )
        )
        await s.commit()
    t = await theme(db, team, "handoff", "Hand-off to platform")
    await said(db, team, team.alice_id, "ticket ping-pong", MON_W48, "transportation", t)
    c = await concerns.open_concern(
        db,
        channel_id=team.channel_id,
        kind="serving_sla",
        summary="p99 over budget",
        clock=lambda: MON_W48,
    )
    assert c.id
    await concerns.assign(db, c.id, team.bob_id, actor_id=team.alice_id, clock=lambda: MON_W48)
    digest = await build_digest(db, team.channel_id, "2026-W48", clock=clock)
    assert digest.participation.people == () and digest.participation.answered == 1
    assert digest.participation.asked == 1
    text = repr(digest.as_dict())
    assert "Alice" not in text
    # Owners are a team role, not an author: they stay visible so work can be chased.
    assert digest.unresolved[0].owner == "Bob"


async def test_concerns_age_sla_and_resolved_this_week(db: Database, team: Team) -> None:
    old = await concerns.open_concern(
        db,
        channel_id=team.channel_id,
        kind="drift_retraining",
        model="churn-v3",
        summary="tenure drift",
        clock=lambda: NOW - timedelta(days=20),
    )
    fresh = await concerns.open_concern(
        db,
        channel_id=team.channel_id,
        kind="serving_sla",
        summary="timeouts",
        clock=lambda: NOW - timedelta(days=2),
    )
    done = await concerns.open_concern(
        db,
        channel_id=team.channel_id,
        kind="model_quality",
        summary="recall dip",
        clock=lambda: NOW - timedelta(days=9),
    )
    assert old.id and fresh.id and done.id
    await concerns.resolve(db, done.id, actor_id=team.bob_id, clock=lambda: MON_W48)
    digest = await build_digest(db, team.channel_id, "2026-W48", clock=clock, concern_sla_days=14)
    assert [(c.id, c.age_days, c.overdue) for c in digest.unresolved] == [
        (old.id, 20, True),
        (fresh.id, 2, False),
    ]
    assert [(r.id, r.resolved_by) for r in digest.resolved] == [(done.id, "Bob")]
    assert [p.open_concerns for p in digest.history][-3:] == [1, 2, 2]


async def test_an_empty_week_is_a_quiet_digest(db: Database, team: Team) -> None:
    digest = await build_digest(db, team.channel_id, "2026-W48", clock=clock)
    assert digest.is_empty
    assert digest.recurring == () and digest.unresolved == ()
    assert digest.headline.startswith("A quiet week")
    assert len(digest.history) == 6 and digest.history[-1].iso_week == "2026-W48"


async def test_weeks_follow_the_channel_time_zone(db: Database, team: Team) -> None:
    """Sunday 23:30 in Auckland is still Sunday there, but Sunday morning in UTC: it must count
    in the week the team lived it."""
    async with db.session() as s:
        ch = await s.get(Channel, team.channel_id)
        assert ch is not None
        ch.timezone = "Pacific/Auckland"
        s.add(ch)
        await s.commit()
    late_monday_local = datetime(2026, 11, 22, 11, 30, tzinfo=UTC)  # Mon 00:30 NZDT, W48
    await said(db, team, team.alice_id, "waited", late_monday_local, "waiting")
    digest = await build_digest(db, team.channel_id, "2026-W48", clock=clock)
    assert digest.totals and digest.totals[0].mentions == 1


async def test_latest_active_channel(db: Database, team: Team) -> None:
    assert await latest_active_channel(db) is None
    other = await directory.ensure_channel(db, team.workspace_id, "C777", "other")
    await said(db, team, team.alice_id, "x", MON_W48, "waiting")
    async with db.session() as s:
        s.add(Reply(channel_id=other.id, text="y", source="command", dedup_key="y", created_at=NOW))
        await s.commit()
    assert await latest_active_channel(db) == other.id


async def test_unknown_channel_is_a_clear_error(db: Database) -> None:
    from bot.errors import NotFound

    with pytest.raises(NotFound):
        await build_digest(db, 999, "2026-W48", clock=clock)
