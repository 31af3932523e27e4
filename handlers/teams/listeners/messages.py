"""Typed commands: the same subcommands as Slack's ``/kaizen``, in personal chat or @mentioned.

In a channel Teams only delivers messages that @mention the bot, so every message is a
command once the mention is stripped. The answer goes to the same conversation (in a channel,
the same thread). Each activity is handled once, even when Teams delivers it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from microsoft_teams.api import MessageActivity, MessageActivityInput
from microsoft_teams.apps import ActivityContext, App

from bot.commands import Command, concern_number, parse, parse_date_range, require_args
from bot.digests.build import concern_item, open_concern_items
from bot.errors import InvalidInput
from bot.models import Member
from bot.runtime import Kaizen
from bot.services import concerns, skips, workflows
from bot.services.channels import ChannelChanges, configure_channel
from bot.services.events import first_delivery
from bot.services.stats import channel_stats
from handlers.teams.cards.checkin import checkin_card
from handlers.teams.cards.common import Element, card, text_block, user_text
from handlers.teams.cards.forms import current_values, setup_card
from handlers.teams.cards.messages import (
    concern_opened_card,
    concerns_card,
    forget_confirm_card,
    help_card,
    logged_card,
    stats_card,
)
from handlers.teams.context import Origin, Where, Who, origin_of, save_ref, where, who
from handlers.teams.listeners import flows

if TYPE_CHECKING:
    from handlers.teams.app import TeamsHost

Context = ActivityContext[MessageActivity]


class Turn:
    """One command being answered: who, where, and how to reply in this conversation."""

    def __init__(self, kaizen: Kaizen, host: TeamsHost, ctx: Context, origin: Origin) -> None:
        self.kaizen = kaizen
        self.host = host
        self.ctx = ctx
        self.origin = origin
        self._who: Who | None = None

    async def who(self) -> Who:
        if self._who is None:
            self._who = await who(self.kaizen, self.origin)
        return self._who

    async def where(self) -> Where:
        return await where(self.kaizen, self.origin, (await self.who()).member_id)

    @property
    def dedup_key(self) -> str:
        return "teams:msg:" + flows.event_key(self.origin.conversation_id, self.ctx.activity.id)

    async def say(self, text: str) -> None:
        await self.ctx.send(MessageActivityInput(text=text))

    async def show(self, content: Element, summary: str = "") -> None:
        await self.ctx.send(flows.card_activity(content, summary))


Handler = Callable[[Turn, Command], Awaitable[None]]


def register(app: App, kaizen: Kaizen, host: TeamsHost) -> None:
    @app.on_message
    async def on_message(ctx: Context) -> None:
        activity = ctx.activity
        if not await first_delivery(
            kaizen.db, "teams", flows.event_key(activity.conversation.id, activity.id)
        ):
            flows.log.info("dropping repeated Teams activity %s", activity.id)
            return
        origin = origin_of(activity)
        turn = Turn(kaizen, host, ctx, origin)
        try:
            await save_ref(kaizen.db, origin)
            if not (activity.text or "").strip():
                return  # a legacy Action.Submit or an attachment-only message: nothing typed
            cmd = parse(flows.command_text(activity))
            if cmd.name == "help":
                await turn.show(help_card(cmd.unknown), "Kaizen commands")
                return
            if cmd.spec.needs_channel and origin.channel_id is None and cmd.name != "skip":
                await turn.say(
                    f"`{cmd.name}` works in a channel: mention me there, e.g. "
                    f"`@Kaizen {cmd.spec.usage}` (add Kaizen to the team first)."
                )
                return
            await HANDLERS[cmd.name](turn, cmd)
        except Exception as exc:  # one policy: log ours, explain theirs, stay up
            try:
                await turn.say(flows.message_for(exc))
            except Exception:
                flows.log.exception("could not tell the person about a failure")


async def _log(turn: Turn, cmd: Command) -> None:
    text = require_args(cmd, "")
    person, place = await turn.who(), await turn.where()
    analysis = await workflows.log_entry(
        turn.kaizen,
        channel_id=place.channel_id,
        member_id=person.member_id,
        text=text,
        dedup_key=turn.dedup_key,
    )
    await turn.show(logged_card(analysis, text), "Logged")


async def _concern(turn: Turn, cmd: Command) -> None:
    kaizen = turn.kaizen
    text = require_args(cmd, "")
    person, place = await turn.who(), await turn.where()
    concern = await workflows.open_concern_from_text(
        kaizen,
        channel_id=place.channel_id,
        member_id=person.member_id,
        text=text,
        dedup_key=turn.dedup_key,
    )
    item = concern_item(concern, {}, kaizen.clock(), kaizen.concern_sla_days)
    await turn.show(concern_opened_card(item, place.channel_id), f"Concern #{concern.id}")


async def _concerns(turn: Turn, cmd: Command) -> None:
    place = await turn.where()
    channel = await workflows.load_channel(turn.kaizen, place.channel_id)
    items = await open_concern_items(
        turn.kaizen.db,
        place.channel_id,
        sla_days=turn.kaizen.concern_sla_days,
        clock=turn.kaizen.clock,
    )
    name = channel.name or turn.origin.channel_name or "this channel"
    await turn.show(concerns_card(items, name, place.channel_id), f"{len(items)} open concern(s)")


async def _resolve(turn: Turn, cmd: Command) -> None:
    number, note = concern_number(cmd, "")
    person, place = await turn.who(), await turn.where()
    concern = await concerns.resolve(
        turn.kaizen.db,
        number,
        actor_id=person.member_id,
        note=note or None,
        channel_id=place.channel_id,
        clock=turn.kaizen.clock,
    )
    extra = f" — {user_text(note, 300)}" if note else ""
    by = user_text(turn.origin.user_name or "Someone", 60)
    text = f"✅ {by} resolved concern #{concern.id}: {user_text(concern.summary, 300)}{extra}"
    await turn.show(card([text_block(text)], fallback=f"Resolved #{concern.id}."))


async def _digest(turn: Turn, cmd: Command) -> None:
    arg = cmd.args.strip().lower()
    if arg not in {"", "post"}:
        raise InvalidInput("`digest` previews this week's digest; `digest post` posts it.")
    place = await turn.where()
    channel = await workflows.load_channel(turn.kaizen, place.channel_id)
    digest = await workflows.week_digest(turn.kaizen, channel)
    content = flows.bot_digest_card(digest)
    if arg == "post":
        app = turn.host.app
        assert app is not None
        await app.send(
            turn.origin.base_conversation_id,
            flows.card_activity(content, f"Kaizen digest {digest.iso_week}"),
            service_url=turn.origin.service_url,
        )
        if turn.origin.base_conversation_id != turn.origin.conversation_id:
            await turn.say("Posted this week's digest to the channel.")
        return
    await turn.show(content, f"Kaizen digest {digest.iso_week}")


async def _checkin(turn: Turn, cmd: Command) -> None:
    place = await turn.where()
    channel = await workflows.load_channel(turn.kaizen, place.channel_id)
    day = workflows.local_today(turn.kaizen, channel.timezone)
    questions = workflows.questions_for(turn.kaizen, channel)
    name = channel.name or turn.origin.channel_name or "this channel"
    await turn.show(checkin_card(questions, name, place.channel_id, day), "Check-in")


async def _setup(turn: Turn, cmd: Command) -> None:
    place = await turn.where()
    channel = await workflows.load_channel(turn.kaizen, place.channel_id)
    values = current_values(channel, turn.kaizen.settings.timezone)
    name = channel.name or turn.origin.channel_name or "this channel"
    await turn.show(
        setup_card(place.channel_id, name, turn.kaizen.question_sets, values), "Kaizen setup"
    )


async def _pause_resume(turn: Turn, cmd: Command) -> None:
    place = await turn.where()
    paused = cmd.name == "pause"
    await configure_channel(
        turn.kaizen.db, place.channel_id, ChannelChanges(paused=paused), clock=turn.kaizen.clock
    )
    await turn.kaizen.channel_changed(place.channel_id)
    name = turn.origin.user_name or "Someone"
    verb = "paused check-ins here. `resume` restarts them." if paused else "resumed check-ins here."
    await turn.say(f"{name} {verb}")


async def _skip(turn: Turn, cmd: Command) -> None:
    person = await turn.who()
    async with turn.kaizen.db.session() as s:
        member = await s.get(Member, person.member_id)
    today = workflows.local_today(turn.kaizen, member.timezone if member else None)
    first, last = parse_date_range(cmd.args, today)
    await skips.skip(turn.kaizen.db, person.member_id, first, last, today=today)
    span = (
        first.strftime("%a %d %b %Y")
        if first == last
        else f"{first:%a %d %b} to {last:%a %d %b %Y}"
    )
    await turn.say(f"🌴 Got it: no check-ins for you on {span}, in any channel.")


async def _stats(turn: Turn, cmd: Command) -> None:
    place = await turn.where()
    channel = await workflows.load_channel(turn.kaizen, place.channel_id)
    stats = await channel_stats(turn.kaizen.db, place.channel_id, clock=turn.kaizen.clock)
    await turn.show(stats_card(stats, channel.name or turn.origin.channel_name or ""), "Stats")


async def _forget_me(turn: Turn, cmd: Command) -> None:
    await turn.show(forget_confirm_card(), "Delete your Kaizen data?")


HANDLERS: dict[str, Handler] = {
    "log": _log,
    "concern": _concern,
    "concerns": _concerns,
    "resolve": _resolve,
    "digest": _digest,
    "checkin": _checkin,
    "setup": _setup,
    "pause": _pause_resume,
    "resume": _pause_resume,
    "skip": _skip,
    "stats": _stats,
    "forget-me": _forget_me,
}
