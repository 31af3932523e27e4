"""One error policy for every Slack listener: log the traceback, tell the person, stay up.

Every listener acknowledges first and is wrapped in ``guarded``, so a failure in the slow work
after ``ack()`` is reported here. (Letting it reach Bolt's own error hook is not enough: when a
listener fails right after ``ack()``, Bolt 1.x can overwrite the acknowledgement and answer
Slack 404 "unhandled request" three seconds later.) ``report`` is also Bolt's ``app.error``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.exc import DBAPIError

from bot.errors import KaizenError

log = logging.getLogger("handlers.slack")

SORRY = (
    ":warning: Something went wrong on my side while handling that. It has been logged; "
    "nothing you wrote was lost. Please try again in a minute."
)
DB_DOWN = (
    ":warning: My database is not answering right now, so I could not save or read anything. "
    "Please try again in a minute."
)


def message_for(error: BaseException) -> str:
    if isinstance(error, KaizenError):
        return f":information_source: {error}"
    if isinstance(error, DBAPIError):
        return DB_DOWN
    return SORRY


async def report(
    error: Exception, body: dict[str, Any], client: AsyncWebClient | None = None
) -> None:
    """Log ``error`` (with traceback unless it is the user's input) and tell the user."""
    if not isinstance(error, KaizenError):
        log.error("failure in a Slack listener", exc_info=error)
    message = message_for(error)
    url = body.get("response_url") or next(
        (u.get("response_url") for u in body.get("response_urls") or []), None
    )
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    try:
        if url:
            await AsyncWebhookClient(url).send(
                text=message, response_type="ephemeral", replace_original=False
            )
        elif client is not None and user:
            await client.chat_postMessage(channel=user, text=message)
    except Exception:  # the failure itself is logged; telling the user is best effort
        log.warning("could not tell the user about an error", exc_info=True)


Listener = Callable[..., Awaitable[None]]


def guarded(listener: Listener) -> Listener:
    """Wrap a listener so any failure goes through ``report`` (Bolt still injects by name)."""

    @functools.wraps(listener)
    async def wrapper(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception as error:
            payload = (
                kwargs.get("body")
                or kwargs.get("command")
                or kwargs.get("shortcut")
                or kwargs.get("event")
                or {}
            )
            await report(error, payload, kwargs.get("client"))

    return wrapper
