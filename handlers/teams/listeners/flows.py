"""Work shared by the Teams listeners: answering, error policy, channels, digests, concerns."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from microsoft_teams.api import (
    AdaptiveCardActionCardResponse,
    AdaptiveCardActionMessageResponse,
    Attachment,
    MessageActivityInput,
)
from sqlalchemy.exc import DBAPIError

from bot.analysis.labels import display_name
from bot.digests.build import concern_item, open_concern_items
from bot.digests.model import Digest
from bot.errors import KaizenError, NotFound
from bot.models import Concern, Member
from bot.runtime import Kaizen
from bot.services import workflows
from bot.services.analysis import ReplyAnalysis
from handlers.teams.cards.common import CARD_CONTENT_TYPE, Element, as_sdk_card, user_text
from handlers.teams.cards.digest import digest_card
from handlers.teams.cards.messages import (
    concern_done_card,
    concern_opened_card,
    concerns_card,
)

log = logging.getLogger("handlers.teams")

SORRY = (
    "⚠️ Something went wrong on my side while handling that. It has been logged; nothing you "
    "wrote was lost. Please try again in a minute."
)
DB_DOWN = (
    "⚠️ My database is not answering right now, so I could not save or read anything. "
    "Please try again in a minute."
)
_AT_RE = re.compile(r"<at>[^<]*</at>")


def message_for(error: BaseException) -> str:
    """What a person is told when a command fails: their mistake in words, ours in general."""
    if isinstance(error, KaizenError):
        return f"ℹ️ {error}"
    if isinstance(error, DBAPIError):
        return DB_DOWN
    log.error("failure in a Teams listener", exc_info=error)
    return SORRY


def card_activity(content: Element, summary: str = "") -> MessageActivityInput:
    """A message carrying one Adaptive Card (validated with the SDK's card models)."""
    as_sdk_card(content)
    activity = MessageActivityInput(
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=content)]
    )
    if summary:
        activity.summary = summary
    return activity


def card_response(content: Element) -> AdaptiveCardActionCardResponse:
    """Answer an ``Action.Execute`` with a card that replaces the clicked one in place."""
    return AdaptiveCardActionCardResponse(value=as_sdk_card(content))


def text_response(text: str) -> AdaptiveCardActionMessageResponse:
    """Answer an ``Action.Execute`` with a short message (the card stays as it was)."""
    return AdaptiveCardActionMessageResponse(value=text)


def command_text(activity: Any) -> str:
    """The typed command: the bot's @mention removed, Teams' HTML entities undone."""
    text = activity.text or ""
    bot_id = getattr(activity.recipient, "id", None)
    for entity in activity.entities or []:
        mentioned = getattr(entity, "mentioned", None)
        mention_text = getattr(entity, "text", None)
        if mentioned is not None and mention_text and mentioned.id == bot_id:
            text = text.replace(mention_text, " ")
    text = _AT_RE.sub(" ", text, count=1) if text.lstrip().startswith("<at>") else text
    return " ".join(text.replace("&nbsp;", " ").split())


def event_key(conversation_id: str, activity_id: str) -> str:
    """De-duplication key of an activity: Teams message ids are only unique per conversation."""
    digest = hashlib.sha1(conversation_id.split(";messageid=", 1)[0].encode()).hexdigest()[:16]
    return f"{digest}:{activity_id}"


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
        phrase += f", a recurring theme: {user_text(reading.theme.label, 80)} ×"
        phrase += str(analysis.theme_replies)
    return phrase


def bot_digest_card(digest: Digest) -> Element:
    """The digest card with its channel and week in every button's data.

    ``digest_card`` is also posted through webhooks, where buttons carry only the concern id;
    when the bot posts it, a click can then rebuild the same week's digest in place.
    """
    content = digest_card(digest)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and isinstance(node.get("data"), dict):
                node["data"] = {
                    **node["data"],
                    "channel": digest.channel_id,
                    "week": digest.iso_week,
                }
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(content)
    return content


async def refreshed_concern_card(
    kaizen: Kaizen, concern_id: int, data: dict[str, Any], note: str
) -> Element:
    """The clicked card, redrawn after a concern changed: the list, the digest, or one line."""
    async with kaizen.db.session() as s:
        concern = await s.get(Concern, concern_id)
        if concern is None:
            raise NotFound(f"there is no concern #{concern_id}.")
        owner = await s.get(Member, concern.owner_id) if concern.owner_id else None
    channel = await workflows.load_channel(kaizen, concern.channel_id)
    assert channel.id is not None
    view = data.get("view")
    if view == "list":
        items = await open_concern_items(
            kaizen.db, channel.id, sla_days=kaizen.concern_sla_days, clock=kaizen.clock
        )
        return concerns_card(items, channel.name or "this channel", channel.id, note=note)
    if view is None:  # a digest card
        week = data.get("week") if isinstance(data.get("week"), str) else None
        return bot_digest_card(await workflows.week_digest(kaizen, channel, week))
    if concern.status == "resolved":
        return concern_done_card(note)
    owners = {owner.id: owner.display_name or owner.platform_user_id} if owner else {}
    item = concern_item(concern, owners, kaizen.clock(), kaizen.concern_sla_days)
    return concern_opened_card(item, channel.id, note=note)
