"""``/kaizen <subcommand>``: acknowledged at once, answered ephemerally after the work."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Command, concern_number, parse, parse_date_range, require_args
from bot.digests.build import open_concern_items
from bot.errors import InvalidInput
from bot.models import Member
from bot.runtime import Kaizen
from bot.services import concerns, skips, workflows
from bot.services.channels import ChannelChanges, configure_channel
from bot.services.stats import channel_stats
from handlers.slack import ids
from handlers.slack.errors import guarded
from handlers.slack.identity import (
    Where,
    Who,
    is_channel_member,
    is_direct_message,
    where,
    who,
)
from handlers.slack.listeners import flows
from handlers.slack.render.common import section
from handlers.slack.render.digest import digest_blocks, digest_fallback_text
from handlers.slack.render.forms import setup_modal
from handlers.slack.render.messages import (
    concerns_blocks,
    forget_confirm_blocks,
    help_blocks,
    help_text,
    logged_blocks,
    stats_blocks,
)
from handlers.slack.text import quote

log = logging.getLogger(__name__)

Respond = Any
SLASH = "/kaizen "  # how examples in messages are written for Slack users


def register(app: AsyncApp, kaizen: Kaizen) -> None:
    @app.command(ids.COMMAND)
    @guarded
    async def kaizen_command(
        ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Respond
    ) -> None:
        await ack()  # within 3 s, before any slow work; answers follow via response_url
        cmd = parse(command.get("text") or "")
        if cmd.name == "help":
            await respond(
                blocks=help_blocks(cmd.unknown),
                text=help_text(cmd.unknown),
                response_type="ephemeral",
            )
            return
        if cmd.spec.needs_channel and is_direct_message(command["channel_id"]):
            await respond(
                text=f"`/kaizen {cmd.name}` works in a channel, not in a direct message: run it "
                "in your team's channel (invite me with `/invite @Kaizen` first).",
                response_type="ephemeral",
            )
            return
        handler = HANDLERS[cmd.name]
        await handler(kaizen, client, respond, command, cmd)


async def _context(
    kaizen: Kaizen, client: AsyncWebClient, command: dict[str, Any]
) -> tuple[Who, Where]:
    team = command["team_id"]
    person = await who(kaizen, client, team, command["user_id"])
    place = await where(kaizen, team, command["channel_id"], command.get("channel_name", ""))
    return person, place


def _delivery(command: dict[str, Any]) -> str:
    """Slash commands carry no event id; the trigger id is unique per invocation, so a retried
    delivery of the same command stores nothing twice."""
    return f"slack:cmd:{command['team_id']}:{command['trigger_id']}"


async def _log(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    text = require_args(cmd, SLASH)
    person, place = await _context(kaizen, client, command)
    analysis = await workflows.log_entry(
        kaizen,
        channel_id=place.channel_id,
        member_id=person.member_id,
        text=text,
        dedup_key=_delivery(command),
    )
    await respond(
        blocks=logged_blocks(analysis, cmd.args),
        text="Logged: "
        + (", ".join(analysis.reading.wastes + analysis.reading.concerns) or "noted"),
        response_type="ephemeral",
    )


async def _concern(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    text = require_args(cmd, SLASH)
    person, place = await _context(kaizen, client, command)
    concern = await workflows.open_concern_from_text(
        kaizen,
        channel_id=place.channel_id,
        member_id=person.member_id,
        text=text,
        dedup_key=_delivery(command),
    )
    assert concern.id is not None
    blocks = await flows.refreshed_concern_blocks(kaizen, concern.id)
    await respond(
        text=f"Tracking concern #{concern.id}.",
        blocks=[
            section(
                f":eyes: Tracking concern #{concern.id} until someone resolves it. Wrong kind? "
                "Resolve it and open it again in other words."
            ),
            *blocks,
        ],
        response_type="ephemeral",
    )


async def _concerns(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    _, place = await _context(kaizen, client, command)
    channel = await workflows.load_channel(kaizen, place.channel_id)
    items = await open_concern_items(
        kaizen.db, place.channel_id, sla_days=kaizen.concern_sla_days, clock=kaizen.clock
    )
    await respond(
        blocks=concerns_blocks(items, channel.name or command.get("channel_name", "")),
        text=f"{len(items)} open concern(s)",
        response_type="ephemeral",
    )


async def _resolve(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    number, note = concern_number(cmd, SLASH)
    person, place = await _context(kaizen, client, command)
    concern = await concerns.resolve(
        kaizen.db,
        number,
        actor_id=person.member_id,
        note=note or None,
        channel_id=place.channel_id,
        clock=kaizen.clock,
    )
    extra = f" — {quote(note, 300)}" if note else ""
    await client.chat_postMessage(
        channel=command["channel_id"],
        text=f":white_check_mark: <@{person.user_id}> resolved concern #{concern.id}: "
        f"{quote(concern.summary, 300)}{extra}",
    )
    await respond(text=f"Resolved #{concern.id}.", response_type="ephemeral")


async def _digest(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    _, place = await _context(kaizen, client, command)
    channel = await workflows.load_channel(kaizen, place.channel_id)
    digest = await workflows.week_digest(kaizen, channel)
    if cmd.args.strip().lower() == "post":
        await flows.post_digest(kaizen, client, digest)
        await respond(text="Posted this week's digest to the channel.", response_type="ephemeral")
        return
    if cmd.args.strip():
        raise InvalidInput(
            "`/kaizen digest` previews this week's digest; `/kaizen digest post` posts it."
        )
    await respond(
        blocks=digest_blocks(digest),
        text=digest_fallback_text(digest),
        response_type="ephemeral",
    )


async def _checkin(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    _, place = await _context(kaizen, client, command)
    channel = await workflows.load_channel(kaizen, place.channel_id)
    day = workflows.local_today(kaizen, channel.timezone)
    await flows.open_checkin(kaizen, client, command["trigger_id"], channel, day)


async def _may_configure(client: AsyncWebClient, person: Who, channel_id: str) -> bool:
    return person.is_admin or await is_channel_member(client, channel_id, person.user_id)


NOT_ALLOWED = (
    "Only members of this channel (or workspace admins) can change its Kaizen setup. "
    "Join the channel first."
)


async def _setup(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    person, place = await _context(kaizen, client, command)
    if not await _may_configure(client, person, command["channel_id"]):
        await respond(text=NOT_ALLOWED, response_type="ephemeral")
        return
    channel = await workflows.load_channel(kaizen, place.channel_id)
    await client.views_open(
        trigger_id=command["trigger_id"],
        view=setup_modal(channel, kaizen.question_sets, kaizen.settings.timezone),
    )


async def _pause_resume(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    person, place = await _context(kaizen, client, command)
    if not await _may_configure(client, person, command["channel_id"]):
        await respond(text=NOT_ALLOWED, response_type="ephemeral")
        return
    paused = cmd.name == "pause"
    await configure_channel(
        kaizen.db, place.channel_id, ChannelChanges(paused=paused), clock=kaizen.clock
    )
    await kaizen.channel_changed(place.channel_id)
    verb = (
        "paused check-ins here. `/kaizen resume` restarts them."
        if paused
        else "resumed check-ins here."
    )
    await client.chat_postMessage(channel=command["channel_id"], text=f"<@{person.user_id}> {verb}")
    await respond(text="Done.", response_type="ephemeral")


async def _skip(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    person, _ = await _context(kaizen, client, command)
    async with kaizen.db.session() as s:
        member = await s.get(Member, person.member_id)
    today = workflows.local_today(kaizen, member.timezone if member else None)
    first, last = parse_date_range(cmd.args, today)
    await skips.skip(kaizen.db, person.member_id, first, last, today=today)
    span = (
        first.strftime("%a %d %b %Y")
        if first == last
        else (f"{first:%a %d %b} to {last:%a %d %b %Y}")
    )
    await respond(
        text=f":palm_tree: Got it: no check-ins for you on {span}, in any channel.",
        response_type="ephemeral",
    )


async def _stats(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    _, place = await _context(kaizen, client, command)
    channel = await workflows.load_channel(kaizen, place.channel_id)
    stats = await channel_stats(kaizen.db, place.channel_id, clock=kaizen.clock)
    await respond(
        blocks=stats_blocks(stats, channel.name or ""), text="Stats", response_type="ephemeral"
    )


async def _forget_me(
    kaizen: Kaizen, client: AsyncWebClient, respond: Respond, command: dict[str, Any], cmd: Command
) -> None:
    await respond(
        blocks=forget_confirm_blocks(), text="Delete your Kaizen data?", response_type="ephemeral"
    )


HANDLERS = {
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
