"""A channel with members in several zones, a fake platform and a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db import Database
from bot.messenger import FakeMessenger, Message, MessageRef
from bot.prompts import load_question_sets
from bot.schedule.scheduler import Scheduler
from bot.services import directory
from bot.services.channels import ChannelChanges, configure_channel

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeTime:
    """Injected sleep: advances a fake monotonic clock instead of waiting."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@dataclass
class Recorder(FakeMessenger):
    """FakeMessenger that also notes the scheduler's clock at each send."""

    clock: Clock | None = None
    sent_at: list[tuple[str, str, datetime]] = field(default_factory=list)

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        ref = await super().send_dm(user_id, message)
        assert self.clock is not None
        self.sent_at.append(("dm", user_id, self.clock()))
        return ref

    async def post(
        self, channel_id: str, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef:
        ref = await super().post(channel_id, message, thread=thread)
        assert self.clock is not None
        self.sent_at.append(("post", channel_id, self.clock()))
        return ref

    def dms(self) -> list[tuple[str, datetime]]:
        return [(who, at) for kind, who, at in self.sent_at if kind == "dm"]


@dataclass
class World:
    db: Database
    channel_id: int
    members: dict[str, int]
    clock: Clock
    time: FakeTime
    messenger: Recorder
    scheduler: Scheduler

    async def configure(self, **changes: object) -> None:
        await configure_channel(self.db, self.channel_id, ChannelChanges(**changes))  # type: ignore[arg-type]

    def new_scheduler(
        self, db: Database | None = None, messenger: Recorder | None = None
    ) -> Scheduler:
        m = messenger or self.messenger
        return Scheduler(
            db or self.db,
            load_question_sets(PROMPTS),
            _fixed(m),
            fallback_tz="UTC",
            clock=self.clock,
            sleep=self.time.sleep,
            monotonic=self.time.monotonic,
            instance=f"test-{id(m)}",
        )


def _fixed(messenger: Recorder):  # type: ignore[no-untyped-def]
    """Every workspace is reached through the same fake platform."""

    async def messenger_for(_platform: str, _workspace: str) -> Recorder:
        return messenger

    return messenger_for


PEOPLE = {
    "berlin": ("U1", "Berlin person", "Europe/Berlin"),
    "newyork": ("U2", "New York person", "America/New_York"),
    "nozone": ("U3", "Zoneless person", None),
}


@pytest.fixture
async def world(db: Database) -> World:
    ws = await directory.ensure_workspace(db, "slack", "T1", "Acme")
    assert ws.id is not None
    channel = await directory.ensure_channel(db, ws.id, "C1", "ml-team")
    assert channel.id is not None
    members = {}
    for key, (uid, name, tz) in PEOPLE.items():
        m = await directory.ensure_member(db, ws.id, uid, name, tz)
        assert m.id is not None
        await directory.set_channel_membership(db, channel.id, m.id)
        members[key] = m.id
    await configure_channel(
        db,
        channel.id,
        ChannelChanges(
            timezone="Europe/Berlin",
            timezone_policy="member",
            checkin_days="mon-fri",
            checkin_time="09:30",
            reminder_delay_minutes=120,
            answer_window_minutes=480,
            digest_day="fri",
            digest_time="16:00",
        ),
    )
    clock = Clock(datetime(2027, 3, 22, 0, 0, tzinfo=UTC))
    time = FakeTime()
    messenger = Recorder(platform="slack", clock=clock)
    w = World(db, channel.id, members, clock, time, messenger, None)  # type: ignore[arg-type]
    w.scheduler = w.new_scheduler()
    return w
