"""The core's ``Messenger`` for Slack: what the scheduler sends, sent with the Web API."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messenger import Message, MessageRef, MessengerError, RateLimited
from handlers.slack.render.schedule import render


class SlackMessenger:
    """Sends DMs, channel posts and updates; a 429 becomes ``RateLimited`` for the pacer.

    The client's own retry handler already waits out short 429s; when it gives up, the pacer
    pauses the whole fan-out for ``Retry-After`` and tries the same message again.
    """

    platform = "slack"
    max_rate = 20.0  # messages per second in a fan-out; Slack's limit is per channel (1/s)

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        # Posting to a user id opens (or reuses) the app's DM with them: no conversations.open,
        # which would cost a Tier 3 call per person.
        return await self._post(user_id, message, None)

    async def post(
        self, channel_id: str, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef:
        ref = await self._post(channel_id, message, thread.message_id if thread else None)
        for attachment in message.attachments:
            await self._call(
                self.client.files_upload_v2(
                    channel=ref.conversation,
                    thread_ts=ref.message_id,
                    content=attachment.content,
                    filename=attachment.filename,
                    title=attachment.title or attachment.filename,
                )
            )
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self._call(
            self.client.chat_update(channel=ref.conversation, ts=ref.message_id, **render(message))
        )

    async def _post(self, channel: str, message: Message, thread_ts: str | None) -> MessageRef:
        response = await self._call(
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **render(message))
        )
        return MessageRef(str(response["channel"]), str(response["ts"]))

    async def _call(self, pending: Awaitable[Any]) -> Any:
        try:
            return await pending
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
                raise RateLimited(retry_after) from exc
            error = exc.response.get("error") if exc.response is not None else None
            raise MessengerError(f"Slack refused: {error}", retryable=status >= 500) from exc
