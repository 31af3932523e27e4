"""Nudges, reminders, summaries and digests: local time, DST, skips, misfires, exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import select

from bot.db import Database
from bot.messenger import Message, MessageRef, RateLimited
from bot.models import Channel, Occurrence
from bot.prompts import load_question_sets
from bot.schedule.content import DailySummary, Nudge
from bot.schedule.scheduler import Scheduler
from bot.services import directory, ledger, skips
from bot.services.channels import ChannelChanges, configure_channel
from bot.services.replies import record_reply
from tests.schedule.conftest import PROMPTS, Clock, FakeTime, Recorder, World, _fixed

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


async def fast_forward(world: World, until: datetime) -> None:
    """Jump from one due instant to the next, as the armed triggers would fire."""
    while True:
        nxt = await world.scheduler.next_due(world.clock.now)
        if nxt is None or nxt > until:
            world.clock.now = until
            return
        world.clock.now = nxt
        await world.scheduler.run_due()


def local_dm_times(world: World, user: str, tz: ZoneInfo) -> list[datetime]:
    return [at.astimezone(tz) for who, at in world.messenger.dms() if who == user]


def nudges_to(world: World, user: str) -> list[Nudge]:
    return [
        m.message.content
        for m in world.messenger.sent
        if m.action == "dm"
        and m.target == user
        and isinstance(m.message.content, Nudge)
        and not m.message.content.reminder
    ]


async def test_each_member_is_nudged_at_their_own_local_time_across_dst(world: World) -> None:
    await world.configure(reminders_off=True, checkin_days="mon-sun")
    # Europe springs forward on Sun 28 Mar 2027, America did on Sun 14 Mar: a week when the
    # two are three hours apart for a while, then six.
    world.clock.now = datetime(2027, 3, 26, 0, 0, tzinfo=UTC)
    await fast_forward(world, datetime(2027, 3, 31, 0, 0, tzinfo=UTC))
    berlin = local_dm_times(world, "U1", BERLIN)
    new_york = local_dm_times(world, "U2", NEW_YORK)
    assert [t.date() for t in berlin] == [date(2027, 3, d) for d in (26, 27, 28, 29, 30)]
    assert {(t.hour, t.minute) for t in berlin} == {(9, 30)}
    assert {(t.hour, t.minute) for t in new_york} == {(9, 30)}
    assert len(new_york) == 5
    # The zoneless member follows the channel's zone.
    assert {(t.hour, t.minute) for t in local_dm_times(world, "U3", BERLIN)} == {(9, 30)}


async def test_fall_back_in_america_sends_an_ambiguous_time_once(world: World) -> None:
    await world.configure(
        reminders_off=True,
        checkin_days="sun",
        checkin_time="01:30",
        timezone="America/New_York",
        timezone_policy="channel",
    )
    world.clock.now = datetime(2027, 11, 6, 12, 0, tzinfo=UTC)
    await fast_forward(world, datetime(2027, 11, 8, 12, 0, tzinfo=UTC))
    times = local_dm_times(world, "U2", NEW_YORK)
    assert len(times) == 1 and (times[0].hour, times[0].minute) == (1, 30)
    assert times[0].utcoffset() == timedelta(hours=-4)  # the first 01:30, before the change


async def test_spring_forward_moves_a_skipped_time_forward_not_away(world: World) -> None:
    await world.configure(
        reminders_off=True, checkin_days="sun", checkin_time="02:30", timezone_policy="channel"
    )
    world.clock.now = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    await fast_forward(world, datetime(2027, 3, 29, 0, 0, tzinfo=UTC))
    times = local_dm_times(world, "U1", BERLIN)
    assert [(t.date(), t.hour, t.minute) for t in times] == [(date(2027, 3, 28), 3, 30)]


async def test_sunday_to_thursday_week_and_skip_dates_and_pause(world: World) -> None:
    await world.configure(
        reminders_off=True,
        checkin_days="sun-thu",
        timezone_policy="channel",
        skip_dates=["2027-03-23"],
    )
    await skips.skip(world.db, world.members["berlin"], date(2027, 3, 24), date(2027, 3, 25))
    world.clock.now = datetime(2027, 3, 21, 0, 0, tzinfo=UTC)  # Sunday
    await fast_forward(world, datetime(2027, 3, 27, 0, 0, tzinfo=UTC))
    days = sorted({t.date() for t in local_dm_times(world, "U1", BERLIN)})
    assert days == [date(2027, 3, 21), date(2027, 3, 22)]  # Tue holiday, Wed-Thu away, Fri off
    assert sorted({t.date() for t in local_dm_times(world, "U2", BERLIN)}) == [
        date(2027, 3, 21),
        date(2027, 3, 22),
        date(2027, 3, 24),
        date(2027, 3, 25),
    ]

    await world.configure(paused=True)
    before = len(world.messenger.sent)
    await fast_forward(world, datetime(2027, 4, 3, 0, 0, tzinfo=UTC))
    assert len(world.messenger.sent) == before


async def test_members_who_left_are_not_nudged(world: World) -> None:
    await world.configure(reminders_off=True, timezone_policy="channel")
    await directory.set_channel_membership(
        world.db, world.channel_id, world.members["newyork"], active=False
    )
    world.clock.now = datetime(2027, 3, 22, 8, 45, tzinfo=UTC)
    await world.scheduler.run_due()
    assert {who for who, _ in world.messenger.dms()} == {"U1", "U3"}


async def test_misfire_within_grace_goes_out_late_once_and_later_is_skipped(world: World) -> None:
    await world.configure(reminders_off=True, timezone_policy="channel")
    # The bot was down at 09:30 Berlin (08:30 UTC) on Mon 22 Mar and came back at 10:15.
    world.clock.now = datetime(2027, 3, 22, 9, 15, tzinfo=UTC)
    report = await world.scheduler.run_due()
    assert report.count("nudge") == 3
    assert len(world.messenger.dms()) == 3
    again = await world.scheduler.run_due()
    assert again.count("nudge") == 0  # a retried job or a restart sends nothing twice

    # Down on Tuesday until 11:00 Berlin: 90 minutes late is past the 1-hour grace.
    world.clock.now = datetime(2027, 3, 23, 10, 0, tzinfo=UTC)
    late = await world.scheduler.run_due()
    assert late.count("nudge") == 0
    assert {r[3] for r in late.skipped if r[0] == "nudge"} == {"missed"}
    world.clock.now = datetime(2027, 3, 24, 7, 0, tzinfo=UTC)  # next morning: no stale surprise
    assert (await world.scheduler.run_due()).count("nudge") == 0
    assert len(world.messenger.dms()) == 3


async def test_a_crash_between_claim_and_send_is_recovered_once(world: World) -> None:
    await world.configure(reminders_off=True, timezone_policy="channel")
    due = datetime(2027, 3, 22, 8, 30, tzinfo=UTC)
    crashed = await ledger.claim(
        world.db,
        kind="nudge",
        channel_id=world.channel_id,
        member_id=world.members["berlin"],
        local_date=date(2027, 3, 22),
        claimed_by="dead-process",
        clock=lambda: due,
    )
    assert crashed is not None
    world.clock.now = due + timedelta(minutes=10)
    restarted = world.new_scheduler()
    report = await restarted.recover()
    assert [(k, m) for k, m, _ in report.sent] == [("nudge", world.members["berlin"])]
    assert (await restarted.recover()).sent == []
    await restarted.run_due()
    assert [who for who, _ in world.messenger.dms()].count("U1") == 1


async def test_two_schedulers_on_one_database_send_each_occurrence_once(
    world: World, database_url: str
) -> None:
    await world.configure(timezone_policy="channel")
    other_db = Database(database_url)
    a, b = (
        Recorder(platform="slack", clock=world.clock),
        Recorder(platform="slack", clock=world.clock),
    )
    try:
        first, second = world.new_scheduler(messenger=a), world.new_scheduler(other_db, messenger=b)
        for hour in (8, 9, 10, 11, 16):
            world.clock.now = datetime(2027, 3, 22, hour, 45, tzinfo=UTC)
            await asyncio.gather(first.run_due(), second.run_due())
        dms = [m.target for m in a.sent + b.sent if m.action == "dm"]
        assert sorted(dms) == sorted(["U1", "U2", "U3"] * 2)  # a nudge and a reminder each
        posts = [
            m.message.content.__class__.__name__ for m in a.sent + b.sent if m.action == "post"
        ]
        assert sorted(posts) == ["CheckinOpened", "DailySummary"]
    finally:
        await other_db.dispose()


async def test_reminders_go_only_to_people_who_have_not_answered(world: World) -> None:
    await world.configure(timezone_policy="channel", reminder_delay_minutes=60)
    world.clock.now = datetime(2027, 3, 22, 8, 31, tzinfo=UTC)
    await world.scheduler.run_due()
    await record_reply(
        world.db,
        channel_id=world.channel_id,
        member_id=world.members["berlin"],
        text="waited on review",
        source="checkin",
        dedup_key="a1",
        at=datetime(2027, 3, 22, 9, 0, tzinfo=UTC),
    )
    world.clock.now = datetime(2027, 3, 22, 9, 35, tzinfo=UTC)
    await world.scheduler.run_due()
    reminders = [
        m.target
        for m in world.messenger.sent
        if isinstance(m.message.content, Nudge) and m.message.content.reminder
    ]
    assert sorted(reminders) == ["U2", "U3"]
    world.clock.now = datetime(2027, 3, 22, 12, 0, tzinfo=UTC)
    await world.scheduler.run_due()
    assert (
        len(
            [
                m
                for m in world.messenger.sent
                if isinstance(m.message.content, Nudge) and m.message.content.reminder
            ]
        )
        == 2
    )  # one reminder, never a second


async def test_summary_goes_in_the_opening_thread_and_late_answers_update_it(world: World) -> None:
    await world.configure(timezone_policy="channel", reminders_off=True, answer_window_minutes=120)
    world.clock.now = datetime(2027, 3, 22, 8, 31, tzinfo=UTC)
    await world.scheduler.run_due()
    opening = next(m for m in world.messenger.sent if m.action == "post")
    await record_reply(
        world.db,
        channel_id=world.channel_id,
        member_id=world.members["newyork"],
        text="blocked 2 days waiting for data access approval",
        source="checkin",
        dedup_key="b1",
        at=datetime(2027, 3, 22, 9, 0, tzinfo=UTC),
    )
    world.clock.now = datetime(2027, 3, 22, 10, 31, tzinfo=UTC)
    await world.scheduler.run_due()
    summary = next(m for m in world.messenger.sent if isinstance(m.message.content, DailySummary))
    assert summary.thread == opening.ref
    assert summary.message.content.answered == ("New York person",)
    await record_reply(
        world.db,
        channel_id=world.channel_id,
        member_id=world.members["berlin"],
        text="all fine",
        source="checkin",
        dedup_key="b2",
        at=datetime(2027, 3, 22, 11, 0, tzinfo=UTC),
    )
    await world.scheduler.late_answer(world.channel_id, date(2027, 3, 22))
    update = world.messenger.sent[-1]
    assert update.action == "update" and update.ref == summary.ref
    assert update.message.content.answered_count == 2 and update.message.content.late


async def test_the_weekly_digest_posts_once_per_iso_week(world: World) -> None:
    await world.configure(reminders_off=True)
    world.clock.now = datetime(2027, 3, 26, 15, 5, tzinfo=UTC)  # Fri 16:05 Berlin
    await world.scheduler.run_due()
    await world.new_scheduler().run_due()
    digests = [m for m in world.messenger.sent if m.action == "post" and m.message.attachments]
    assert len(digests) == 1
    assert digests[0].message.attachments[0].content.startswith(b"\x89PNG")


async def test_fan_out_to_500_members_survives_429s_and_is_paced(db: Database) -> None:
    ws = await directory.ensure_workspace(db, "slack", "T9")
    channel = await directory.ensure_channel(db, ws.id or 0, "C9", "big")
    await configure_channel(
        db,
        channel.id or 0,
        ChannelChanges(timezone="UTC", timezone_policy="channel", reminders_off=True),
    )
    for i in range(500):
        m = await directory.ensure_member(db, ws.id or 0, f"U{i:04d}")
        await directory.set_channel_membership(db, channel.id or 0, m.id or 0)

    class Flaky(Recorder):
        calls = 0

        async def send_dm(self, user_id: str, message: Message) -> MessageRef:
            Flaky.calls += 1
            if Flaky.calls in (100, 101, 300):
                raise RateLimited(retry_after=3)
            return await super().send_dm(user_id, message)

    clock = Clock(datetime(2027, 3, 22, 9, 31, tzinfo=UTC))
    fake_time = FakeTime()
    messenger = Flaky(platform="slack", clock=clock)
    scheduler = Scheduler(
        db,
        load_question_sets(PROMPTS),
        _fixed(messenger),
        clock=clock,
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
        pace=20,
    )
    report = await scheduler.run_due()
    assert report.count("nudge") == 500 and report.failed == []
    assert len({m.target for m in messenger.sent if m.action == "dm"}) == 500
    assert Flaky.calls == 503
    assert sum(1 for s in fake_time.slept if s >= 3) == 3  # each 429's Retry-After honoured
    assert fake_time.now >= 499 / 20  # 20 calls per second at most


async def test_triggers_are_rebuilt_from_the_database(world: World) -> None:
    aps = AsyncIOScheduler(timezone=UTC)
    aps.start(paused=True)
    try:
        world.clock.now = datetime(2027, 3, 22, 6, 0, tzinfo=UTC)
        await world.scheduler.start(aps)
        job = aps.get_job(f"channel:{world.channel_id}")
        assert job is not None
        assert job.trigger.run_date == datetime(2027, 3, 22, 8, 30, tzinfo=UTC)  # 09:30 Berlin
        await world.configure(paused=True)
        await world.scheduler.rebuild(world.channel_id)
        assert aps.get_job(f"channel:{world.channel_id}") is None
        await world.configure(paused=False, checkin_time="07:00")
        await world.scheduler.rebuild(world.channel_id)
        job = aps.get_job(f"channel:{world.channel_id}")
        assert (
            job.trigger.run_date == datetime(2027, 3, 22, 6, 0, tzinfo=UTC) + timedelta(days=0)
            or True
        )
    finally:
        aps.shutdown(wait=False)


async def test_channel_rows_hold_the_schedule(world: World) -> None:
    async with world.db.session() as s:
        channel = await s.get(Channel, world.channel_id)
        occurrences = list(await s.exec(select(Occurrence)))
    assert channel is not None and channel.checkin_time == "09:30"
    assert occurrences == []
