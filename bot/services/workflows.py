"""Units of work that every chat adapter performs the same way.

Slack, Teams and the sandbox differ in how they receive a command and render the answer; what
happens in between (which channel, which questions, storing and reading a logged entry, opening
a concern from free text, this week's digest) lives here once.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.analysis.model_names import find_model
from bot.digests.build import build_digest
from bot.digests.model import Digest
from bot.errors import InvalidInput, NotFound
from bot.models import Channel, Concern, Occurrence
from bot.prompts import Question
from bot.runtime import Kaizen
from bot.services import concerns
from bot.services.analysis import ReplyAnalysis
from bot.services.ledger import occurrence_key
from bot.services.replies import record_reply
from bot.timeutil import iso_week

DEFAULT_CONCERN_KIND = "model_quality"


async def load_channel(kaizen: Kaizen, channel_id: int) -> Channel:
    async with kaizen.db.session() as s:
        channel = await s.get(Channel, channel_id)
    if channel is None:
        raise NotFound("that channel is not set up with Kaizen any more.")
    return channel


def local_today(kaizen: Kaizen, tz: str | None) -> date:
    return kaizen.clock().astimezone(ZoneInfo(tz or kaizen.settings.timezone)).date()


def questions_for(kaizen: Kaizen, channel: Channel) -> list[Question]:
    """The channel's questions in set order, each key once (the first set if none match)."""
    names = [n for n in channel.question_sets if n in kaizen.question_sets]
    sets = [kaizen.question_sets[n] for n in names] or list(kaizen.question_sets.values())[:1]
    seen: set[str] = set()
    out: list[Question] = []
    for qset in sets:
        for q in qset.questions:
            if q.key not in seen:
                seen.add(q.key)
                out.append(q)
    return out


async def nudge_occurrence(
    kaizen: Kaizen, channel_id: int, member_id: int, day: date
) -> int | None:
    """The ledger row of the nudge a check-in answers, to link the answer to it."""
    async with kaizen.db.session() as s:
        return (
            await s.exec(
                select(Occurrence.id).where(
                    Occurrence.key == occurrence_key("nudge", channel_id, member_id, day)
                )
            )
        ).first()


async def week_digest(kaizen: Kaizen, channel: Channel, week: str | None = None) -> Digest:
    """This week's digest in the channel's own time zone (or the week given)."""
    assert channel.id is not None
    zone = ZoneInfo(channel.timezone or kaizen.settings.timezone)
    return await build_digest(
        kaizen.db,
        channel.id,
        week or iso_week(kaizen.clock().astimezone(zone).date()),
        fallback_timezone=kaizen.settings.timezone,
        concern_sla_days=kaizen.concern_sla_days,
        clock=kaizen.clock,
    )


async def log_entry(
    kaizen: Kaizen,
    *,
    channel_id: int,
    member_id: int,
    text: str,
    dedup_key: str,
    source: str = "command",
) -> ReplyAnalysis:
    """``/kaizen log``: store the entry (once per delivery), then read it."""
    stored = await record_reply(
        kaizen.db,
        channel_id=channel_id,
        member_id=member_id,
        text=text,
        source=source,
        question_key="free",
        dedup_key=dedup_key,
        at=kaizen.clock(),
    )
    assert stored.reply.id is not None
    return await kaizen.analyser.analyse_reply(stored.reply.id)


async def open_concern_from_text(
    kaizen: Kaizen, *, channel_id: int, member_id: int, text: str, dedup_key: str
) -> Concern:
    """``/kaizen concern [model] <text>``: the first word is the model when it names one; the
    kind is what the text most reads as (model quality when it reads as nothing)."""
    channel = await load_channel(kaizen, channel_id)
    first, _, rest = text.strip().partition(" ")
    model = find_model(first, channel.models) if rest else None
    summary = rest.strip() if model else text.strip()
    if not summary:
        raise InvalidInput("say what the concern is after the model name.")
    scores = kaizen.analyser.base.classify(summary, "health.metrics").concerns
    kind = max(sorted(scores), key=lambda k: scores[k]) if scores else DEFAULT_CONCERN_KIND
    analysis = await log_entry(
        kaizen, channel_id=channel_id, member_id=member_id, text=text, dedup_key=dedup_key
    )
    return await concerns.open_concern(
        kaizen.db,
        channel_id=channel_id,
        kind=kind,
        model=model or find_model(summary, channel.models),
        summary=summary,
        opened_by_id=member_id,
        source_reply_id=analysis.reply_id,
        clock=kaizen.clock,
    )
