"""``Messenger`` for Teams: proactive nudges, summaries and digests through the Bot Connector.

Teams cannot message someone out of the blue: the bot needs the service URL and conversation id
it saw when the person (or team) installed it or last wrote to it. Those are stored as
``ConversationRef`` rows by the listeners; a missing one is a ``MessengerError`` that says the
app must be installed first.

Rate limits: the connector answers 429 with ``Retry-After``. One wait is honoured here (it is
usually a second or two); a second 429 is raised as ``RateLimited`` so the scheduler's pacer
backs off for the whole platform instead of every send waiting on its own.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from microsoft_teams.api import (
    Account,
    Attachment,
    ConversationAccount,
    MessageActivityInput,
    SentActivity,
)
from microsoft_teams.apps import App

from bot.db import Database
from bot.digests.model import Digest
from bot.messenger import Message, MessageRef, MessengerError, RateLimited
from bot.schedule.content import CheckinOpened, DailySummary, Nudge
from handlers.teams.cards.checkin import nudge_card
from handlers.teams.cards.common import CARD_CONTENT_TYPE, Element, as_sdk_card
from handlers.teams.cards.digest import digest_card
from handlers.teams.cards.messages import checkin_opened_card, daily_summary_card
from handlers.teams.context import find_ref, find_ref_by_conversation

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0  # seconds; a longer wait is the pacer's business, not one send's
DEFAULT_RETRY_AFTER = 1.0
MAX_INLINE_IMAGE_BYTES = 45_000  # base64 grows by a third; the whole activity must stay < 80 KB

Sleep = Callable[[float], Awaitable[None]]


def card_for(content: Any) -> Element | None:
    """The Adaptive Card for a core content object, or None when text is enough."""
    if isinstance(content, Nudge):
        return nudge_card(content)
    if isinstance(content, Digest):
        return digest_card(content)
    if isinstance(content, DailySummary):
        return daily_summary_card(content)
    if isinstance(content, CheckinOpened):
        return checkin_opened_card(content)
    return None


def activity_for(message: Message) -> MessageActivityInput:
    """Render a platform-free ``Message``: a card when there is one, the text otherwise."""
    activity = MessageActivityInput()
    content = card_for(message.content)
    attachments: list[Attachment] = []
    if content is None:
        activity.text = message.text
    else:
        as_sdk_card(content)  # refuse to send what Teams would not render
        attachments.append(Attachment(content_type=CARD_CONTENT_TYPE, content=content))
        activity.summary = message.text[:200]  # what notifications and the chat list show
    for extra in message.attachments:
        if extra.mime_type.startswith("image/") and len(extra.content) <= MAX_INLINE_IMAGE_BYTES:
            encoded = base64.b64encode(extra.content).decode()
            attachments.append(
                Attachment(
                    content_type=extra.mime_type,
                    content_url=f"data:{extra.mime_type};base64,{encoded}",
                    name=extra.filename,
                )
            )
        else:
            log.info(
                "Teams: attachment %s not sent inline (too large or not an image)", extra.filename
            )
    if attachments:
        activity.attachments = attachments
    return activity


def retry_after_of(response: httpx.Response) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_RETRY_AFTER


class TeamsMessenger:
    """Proactive messages through the Teams SDK App (which must be initialised)."""

    platform = "teams"

    def __init__(self, app: App, db: Database, *, sleep: Sleep = asyncio.sleep) -> None:
        self.app = app
        self.db = db
        self._sleep = sleep

    async def _ref(self, key: str, what: str) -> tuple[str, str]:
        ref = await find_ref(self.db, key)
        if ref is None:
            raise MessengerError(
                f"no Teams conversation is known for {what} {key}: the Kaizen app must be "
                "installed for them (personal app) or in their team before it can message them."
            )
        return ref.conversation_id, ref.service_url

    async def _call(self, send: Callable[[], Awaitable[SentActivity]]) -> SentActivity:
        """Run one connector call, waiting out one 429; a second 429 becomes ``RateLimited``."""
        waited = False
        while True:
            try:
                return await send()
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status == 429:
                    retry_after = retry_after_of(exc.response)
                    if waited or retry_after > MAX_RETRY_AFTER:
                        raise RateLimited(retry_after) from exc
                    waited = True
                    log.info("Teams: 429 from the connector, waiting %.1fs once", retry_after)
                    await self._sleep(retry_after)
                    continue
                raise MessengerError(
                    f"Teams refused the message (HTTP {status}): {exc.response.text[:200]}",
                    retryable=status >= 500,
                ) from exc
            except httpx.TransportError as exc:
                raise MessengerError(f"Teams could not be reached: {exc}", retryable=True) from exc
            except ValueError as exc:  # the SDK refused locally (not initialised, bad ids)
                raise MessengerError(f"could not send to Teams: {exc}") from exc

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        conversation, service_url = await self._ref(user_id, "user")
        sent = await self._call(
            lambda: self.app.send(conversation, activity_for(message), service_url=service_url)
        )
        return MessageRef(conversation=conversation, message_id=sent.id)

    async def post(
        self, channel_id: str, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef:
        conversation, service_url = await self._ref(channel_id, "channel")
        if thread is not None:
            sent = await self._call(
                lambda: self.app.reply(
                    conversation, thread.message_id, activity_for(message), service_url=service_url
                )
            )
        else:
            sent = await self._call(
                lambda: self.app.send(conversation, activity_for(message), service_url=service_url)
            )
        return MessageRef(conversation=conversation, message_id=sent.id)

    async def update(self, ref: MessageRef, message: Message) -> None:
        stored = await find_ref_by_conversation(self.db, ref.conversation)
        if stored is None:
            raise MessengerError(f"no Teams conversation is known for {ref.conversation}.")

        async def put() -> SentActivity:
            api = self.app.api.clone(service_url=stored.service_url)
            activity = activity_for(message)
            activity.id = ref.message_id
            activity.conversation = ConversationAccount(id=ref.conversation)
            if self.app.id:
                activity.from_ = Account(id=self.app.id)
            return await api.conversations.update_activity(
                ref.conversation, ref.message_id, activity
            )

        await self._call(put)
