"""Work shared by several listeners: check-in modal, logging, digests, concern updates."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.analysis.labels import display_name
from bot.digests.build import concern_item
from bot.digests.chart import render_chart
from bot.digests.model import Digest
from bot.errors import NotFound
from bot.models import Channel, ChannelMember, Concern, Finding, Member, Reply
from bot.runtime import Kaizen
from bot.services.analysis import ReplyAnalysis
from bot.services.directory import set_channel_membership
from bot.services.workflows import questions_for
from handlers.slack.identity import who
from handlers.slack.render.checkin import checkin_modal
from handlers.slack.render.digest import concern_blocks, digest_blocks, digest_fallback_text
from handlers.slack.render.messages import replace_concern, resolved_section
from handlers.slack.text import escape


async def open_checkin(
    kaizen: Kaizen,
    client: AsyncWebClient,
    trigger_id: str,
    channel: Channel,
    day: date,
    extra: dict[str, Any] | None = None,
) -> None:
    meta = {"channel": channel.id, "date": day.isoformat(), **(extra or {})}
    view = checkin_modal(questions_for(kaizen, channel), channel.name or channel.platform_id, meta)
    await client.views_open(trigger_id=trigger_id, view=view)


def understood(analysis: ReplyAnalysis) -> str | None:
    """One phrase per answer: what was read from it, for the acknowledgement."""
    reading = analysis.reading
    labels = [display_name(x) for x in reading.wastes + reading.concerns]
    if not labels:
        return None
    phrase = ", ".join(labels)
    if reading.hours_lost:
        phrase += f" ({reading.hours_lost:g} h)"
    if reading.theme is not None and analysis.theme_replies > 1:
        phrase += f", a recurring theme: {escape(reading.theme.label)} ×{analysis.theme_replies}"
    return phrase


async def current_labels(kaizen: Kaizen, reply_id: int) -> tuple[Reply, list[str], list[str]]:
    async with kaizen.db.session() as s:
        reply = await s.get(Reply, reply_id)
        if reply is None:
            raise NotFound("that entry no longer exists (it may have been undone).")
        findings = list(await s.exec(select(Finding).where(Finding.reply_id == reply_id)))
    wastes = sorted(f.label for f in findings if f.kind == "waste")
    concerns = sorted(f.label for f in findings if f.kind == "concern")
    return reply, wastes, concerns


async def post_digest(kaizen: Kaizen, client: AsyncWebClient, digest: Digest) -> str:
    """Post the digest to its channel, the chart in its thread; returns the message ts."""
    posted = await client.chat_postMessage(
        channel=digest.channel_ref, text=digest_fallback_text(digest), blocks=digest_blocks(digest)
    )
    ts = str(posted["ts"])
    if digest.history:
        await client.files_upload_v2(
            channel=digest.channel_ref,
            thread_ts=ts,
            content=render_chart(digest),
            filename=f"kaizen-{digest.iso_week}.png",
            title=f"Wastes per week · #{digest.channel_name} · {digest.iso_week}",
        )
    return ts


async def refreshed_concern_blocks(
    kaizen: Kaizen, concern_id: int, resolved_by: str | None = None, note: str | None = None
) -> list[dict[str, Any]]:
    """How a concern should now look in any message that shows it."""
    async with kaizen.db.session() as s:
        concern = await s.get(Concern, concern_id)
        if concern is None:
            raise NotFound(f"there is no concern #{concern_id}.")
        owner = await s.get(Member, concern.owner_id) if concern.owner_id else None
    if resolved_by is not None:
        return [resolved_section(concern_id, concern.summary, resolved_by, note)]
    names = {owner.id: owner.display_name or owner.platform_user_id} if owner else {}
    return concern_blocks(concern_item(concern, names, kaizen.clock(), kaizen.concern_sla_days))


async def update_concern_message(
    client: AsyncWebClient,
    respond: Any,
    body: dict[str, Any],
    concern_id: int,
    new_blocks: list[dict[str, Any]],
) -> None:
    """Swap a concern's blocks in the message the button was on, in place."""
    message = body.get("message")
    container = body.get("container") or {}
    if not message:
        return
    blocks = replace_concern(message.get("blocks") or [], concern_id, new_blocks)
    text = message.get("text") or "Kaizen"
    if container.get("is_ephemeral"):
        await respond(blocks=blocks, text=text, replace_original=True)
    else:
        await client.chat_update(
            channel=container.get("channel_id") or body["channel"]["id"],
            ts=message["ts"],
            blocks=blocks,
            text=text,
        )


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or "{}"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


async def sync_members(
    kaizen: Kaizen, client: AsyncWebClient, team_id: str, channel: Channel
) -> int:
    """Take the channel's people from Slack: who is in it gets check-ins, who left does not.

    Also refreshes each person's display name and time zone (``users.info``), which is how a
    member's local check-in time follows their profile. Bots (this one included) are skipped.
    """
    assert channel.id is not None
    present: set[int] = set()
    cursor = None
    while True:
        page = await client.conversations_members(
            channel=channel.platform_id, limit=200, cursor=cursor
        )
        for user_id in page.get("members", []):
            info = (await client.users_info(user=user_id)).get("user") or {}
            if info.get("is_bot") or info.get("deleted"):
                continue
            kaizen._user_cache.pop((team_id, user_id), None)  # refresh name and zone
            person = await who(kaizen, client, team_id, user_id)
            await set_channel_membership(kaizen.db, channel.id, person.member_id, active=True)
            present.add(person.member_id)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    async with kaizen.db.session() as s:
        known = list(
            await s.exec(select(ChannelMember).where(ChannelMember.channel_id == channel.id))
        )
    for row in known:
        if row.member_id not in present and row.active:
            await set_channel_membership(kaizen.db, channel.id, row.member_id, active=False)
    return len(present)
