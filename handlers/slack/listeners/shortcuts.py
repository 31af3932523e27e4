"""The message shortcut *Log as waste*: any message becomes a logged waste, labels editable."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Kaizen
from handlers.slack import ids
from handlers.slack.errors import guarded
from handlers.slack.render.forms import log_waste_modal

MAX_PREFILL = 3000  # a plain-text input holds at most 3,000 characters


def register(app: AsyncApp, kaizen: Kaizen) -> None:
    @app.shortcut(ids.SHORTCUT_LOG_WASTE)
    @guarded
    async def log_waste(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        message = shortcut.get("message") or {}
        text = (message.get("text") or "")[:MAX_PREFILL]
        suggestion = kaizen.analyser.base.classify(text, "free") if text.strip() else None
        channel = (shortcut.get("channel") or {}).get("id", "")
        ts = shortcut.get("message_ts") or message.get("ts")
        link = None
        if channel and ts:
            try:
                link = (await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"]
            except SlackApiError:
                link = None  # the link is a nicety; the entry is logged without it
        await client.views_open(
            trigger_id=shortcut["trigger_id"],
            view=log_waste_modal(
                text,
                sorted(suggestion.wastes) if suggestion else [],
                sorted(suggestion.concerns) if suggestion else [],
                {"ch": channel, "link": link},
            ),
        )
