"""``kaizen demo``: six weeks in the life of one ML team, so a newcomer sees the product work.

The story (``story.toml``) is written for the demo: a team waiting on GPU quota week after week,
a flaky feature-store test suite, hand-offs to a platform team, a model card filled in by hand,
and three models whose health moves (latency fixed, drift that stays, a question nobody can
answer). Every reply goes through the real path: stored with ``record_reply``, read by the
``Analyser``, concerns tracked from check-in answers and resolved through the concern service.
Nothing is labelled by hand.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from bot.db import Database
from bot.models import Concern, Occurrence, OccurrenceStatus, Platform, Reply
from bot.services import concerns, directory
from bot.services.analysis import Analyser
from bot.services.channels import ChannelChanges, configure_channel
from bot.services.ledger import occurrence_key
from bot.services.replies import record_reply
from bot.timeutil import iso_week
from bot.weekdays import parse_day

STORY_FILE = Path(__file__).with_name("story.toml")
WEEKS = 6

At = Callable[[int, int, int], datetime]  # (week, weekday, hour) -> aware UTC time


class DatabaseNotEmpty(Exception):
    """The demo never writes into a database that already holds replies, unless forced."""


@dataclass(frozen=True, slots=True)
class DemoPlace:
    """Where the demo team lives. The defaults are ``kaizen demo``'s own sandbox workspace; the
    local sandbox passes its emulated Slack workspace instead, so the bot's Slack listeners find
    the seeded channel and people under the ids its requests carry.

    ``user_ids`` and ``timezones`` map story people (keys of ``[people]``) to a platform user id
    and an IANA zone; anyone left out keeps the story's id and the story's zone.
    ``digest_day`` overrides the story's digest day (the sandbox picks one that comes soon).
    """

    platform: str = Platform.SANDBOX
    team_id: str = "T0DEMO"
    team_name: str = "Demo workspace"
    channel_id: str | None = None
    user_ids: Mapping[str, str] = field(default_factory=dict)
    timezones: Mapping[str, str] = field(default_factory=dict)
    digest_day: str | None = None


@dataclass(frozen=True, slots=True)
class DemoResult:
    channel_id: int
    channel_name: str
    last_week: str
    replies: int
    concerns_open: int
    concerns_resolved: int


def load_story(path: Path = STORY_FILE) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


async def has_data(db: Database) -> bool:
    async with db.session() as s:
        return (await s.exec(select(func.count()).select_from(Reply))).one() > 0


async def seed_demo(
    db: Database, *, today: date, force: bool = False, place: DemoPlace | None = None
) -> DemoResult:
    """Write the six complete ISO weeks before ``today``'s week, and analyse every reply.

    Weeks end before today so every timestamp is in the past and the latest digest is a whole
    week, whatever day the demo runs. ``place`` says which workspace, channel and user ids to
    write under (default: ``kaizen demo``'s sandbox workspace ``T0DEMO``).
    """
    place = place or DemoPlace()
    if not force and await has_data(db):
        raise DatabaseNotEmpty()
    story = load_story()
    tz = ZoneInfo(story["timezone"])
    first_monday = today - timedelta(days=today.weekday(), weeks=WEEKS)

    ws = await directory.ensure_workspace(db, place.platform, place.team_id, place.team_name)
    assert ws.id is not None
    channel = await directory.ensure_channel(
        db, ws.id, place.channel_id or story["channel"]["id"], story["channel"]["name"]
    )
    assert channel.id is not None
    await configure_channel(
        db,
        channel.id,
        ChannelChanges(
            timezone=story["timezone"],
            checkin_days="mon-fri",
            checkin_time="09:30",
            question_sets=["standup", "wastes", "model_health"],
            digest_day=place.digest_day or "fri",
            digest_time="16:00",
            models=story["models"],
        ),
    )
    members: dict[str, int] = {}
    for key, person in story["people"].items():
        m = await directory.ensure_member(
            db,
            ws.id,
            place.user_ids.get(key, person["user"]),
            person["name"],
            place.timezones.get(key, story["timezone"]),
        )
        assert m.id is not None
        members[key] = m.id
        await directory.set_channel_membership(db, channel.id, m.id)

    def at(week: int, weekday: int, hour: int, minute: int = 0) -> datetime:
        day = first_monday + timedelta(weeks=week, days=weekday)
        return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)

    lines = [
        (r["week"], parse_day(r["day"]), r["who"], r["question"], r["text"])
        for r in story["replies"]
    ]
    story_days = {(w, d, who) for w, d, who, _, _ in lines}
    rng = random.Random(20261129)
    analyser = Analyser(db, fallback_timezone=story["timezone"])
    replies = 0
    order = list(members)
    for week in range(WEEKS):
        for weekday in range(5):
            day = first_monday + timedelta(weeks=week, days=weekday)
            for who, member_id in members.items():
                await _nudge_sent(db, channel.id, member_id, day, at(week, weekday, 9, 30))
                if (week, weekday, who) in story_days or rng.random() < 0.2:
                    continue  # answers with a story line below, or skipped today
                when = at(week, weekday, 9, rng.randint(35, 59))
                filler = rng.choice(story["filler"])
                await _answer(db, analyser, channel.id, member_id, "standup.blockers", filler, when)
                replies += 1
        for w, weekday, who, question, text in lines:
            if w == week:
                when = at(w, weekday, 10, 15 + 7 * order.index(who))
                await _answer(db, analyser, channel.id, members[who], question, text, when)
                replies += 1
        await _team_actions(db, channel.id, members, week, at)

    async with db.session() as s:
        statuses = list(
            await s.exec(select(Concern.status).where(Concern.channel_id == channel.id))
        )
    return DemoResult(
        channel_id=channel.id,
        channel_name=channel.name,
        last_week=iso_week(first_monday + timedelta(weeks=WEEKS - 1)),
        replies=replies,
        concerns_open=sum(1 for st in statuses if st != "resolved"),
        concerns_resolved=sum(1 for st in statuses if st == "resolved"),
    )


async def _nudge_sent(
    db: Database, channel_id: int, member_id: int, day: date, sent: datetime
) -> None:
    async with db.session() as s:
        s.add(
            Occurrence(
                key=occurrence_key("nudge", channel_id, member_id, day),
                kind="nudge",
                channel_id=channel_id,
                member_id=member_id,
                local_date=day,
                status=OccurrenceStatus.SENT.value,
                claimed_by="demo",
                claimed_at=sent,
                sent_at=sent,
            )
        )
        await s.commit()


async def _answer(
    db: Database,
    analyser: Analyser,
    channel_id: int,
    member_id: int,
    question: str,
    text: str,
    when: datetime,
) -> None:
    stored = await record_reply(
        db,
        channel_id=channel_id,
        member_id=member_id,
        text=text,
        source="checkin",
        question_key=question,
        dedup_key=f"demo:{member_id}:{when.isoformat()}:{question}",
        at=when,
    )
    assert stored.reply.id is not None
    await analyser.analyse_reply(stored.reply.id)


async def _concern(
    db: Database,
    channel_id: int,
    kind: str,
    model: str,
    summary: str,
    when: datetime,
    opened_by: int,
) -> int:
    """The concern of this kind and model tracked from check-ins, or a new one if none was."""
    async with db.session() as s:
        found = (
            await s.exec(
                select(Concern.id)
                .where(
                    Concern.channel_id == channel_id, Concern.kind == kind, Concern.model == model
                )
                .order_by(col(Concern.id))
            )
        ).first()
    if found is not None:
        return found
    opened = await concerns.open_concern(
        db,
        channel_id=channel_id,
        kind=kind,
        model=model,
        summary=summary,
        opened_by_id=opened_by,
        clock=lambda: when,
    )
    assert opened.id is not None
    return opened.id


async def _team_actions(
    db: Database, channel_id: int, members: dict[str, int], week: int, at: At
) -> None:
    """What the team did with their concerns as the weeks went by."""
    if week == 3:
        latency = await _concern(
            db, channel_id, "serving_sla", "fraud-scorer",
            "fraud-scorer p99 over the 150ms SLA at peak", at(0, 4, 11), members["priya"],
        )  # fmt: skip
        await concerns.resolve(
            db, latency, actor_id=members["priya"], note="request batching shipped",
            clock=lambda: at(3, 3, 11),
        )  # fmt: skip
    if week == 4:
        drift = await _concern(
            db, channel_id, "drift_retraining", "churn-v3",
            "churn-v3 tenure drift after the pricing change", at(2, 1, 11), members["mei"],
        )  # fmt: skip
        await concerns.assign(
            db, drift, members["tomas"], actor_id=members["priya"], clock=lambda: at(4, 0, 9)
        )
        residency = await _concern(
            db, channel_id, "security_privacy", "recsys-v2",
            "recsys-v2 in the EU region: where are the click logs stored?", at(3, 4, 11),
            members["mei"],
        )  # fmt: skip
        await concerns.assign(
            db, residency, members["aisha"], actor_id=members["priya"],
            clock=lambda: at(4, 1, 9),
        )  # fmt: skip
