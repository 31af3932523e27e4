"""The Bolt app: built from settings, listeners registered, mounted on the shared ASGI app.

HTTP mode serves ``POST /slack/events`` (plus ``/slack/install`` and ``/slack/oauth_redirect``
for multi-workspace OAuth); Socket Mode connects out to Slack instead, so no public URL is
needed. Either way, every Web API call goes to ``SLACK_API_URL`` with slack_sdk's rate-limit
retry handler installed, so a 429 is waited out rather than lost.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select

from bot.models import Channel, Workspace
from bot.runtime import Kaizen
from bot.services.events import first_delivery
from handlers.slack.errors import report
from handlers.slack.listeners import register_all
from handlers.slack.listeners.flows import sync_members
from handlers.slack.messenger import SlackMessenger

log = logging.getLogger(__name__)

BOT_SCOPES = [
    "chat:write",
    "commands",
    "im:write",
    "im:history",
    "im:read",
    "users:read",
    "channels:read",
    "groups:read",
    "files:write",
    "reactions:read",
]


def web_client(kaizen: Kaizen, token: str | None = None) -> AsyncWebClient:
    """A Web API client aimed at ``SLACK_API_URL`` that waits out 429s instead of failing."""
    return AsyncWebClient(
        token=token,
        base_url=kaizen.settings.slack_api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )


def build_app(kaizen: Kaizen) -> AsyncApp:
    settings = kaizen.settings
    options: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "socket-mode-needs-no-secret",
        "client": web_client(kaizen, settings.slack_bot_token),
        "process_before_response": False,
    }
    if settings.slack_oauth:
        assert settings.slack_client_id and settings.slack_client_secret
        options["oauth_settings"] = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=BOT_SCOPES,
            installation_store=AsyncSQLAlchemyInstallationStore(
                client_id=settings.slack_client_id, engine=kaizen.db.engine
            ),
            state_store=AsyncSQLAlchemyOAuthStateStore(
                expiration_seconds=600, engine=kaizen.db.engine
            ),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
        )
        options["client"] = web_client(kaizen)
    app = AsyncApp(**options)
    app.use(_dedupe(kaizen))
    app.error(_on_error)
    register_all(app, kaizen)
    return app


def _dedupe(kaizen: Kaizen) -> Any:
    """Slack retries an event it thinks we missed (``X-Slack-Retry-Num``); Bolt does not
    de-duplicate, so the event id is claimed in the database and a retry is answered 200 and
    dropped."""

    async def middleware(body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await first_delivery(kaizen.db, "slack", str(event_id)):
            log.info("dropping repeated Slack event %s", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    return middleware


async def _on_error(error: Exception, body: dict[str, Any]) -> None:
    """Failures before a listener acknowledged (rare: listeners ack first)."""
    await report(error, body)


def mount(web: FastAPI, kaizen: Kaizen, app: AsyncApp) -> None:
    """Serve Slack on the shared app: events in HTTP mode, OAuth pages when configured."""
    handler = AsyncSlackRequestHandler(app)

    verifier = SignatureVerifier(kaizen.settings.slack_signing_secret or "")

    @web.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Any:
        try:
            return await handler.handle(request)
        except ValueError:  # Bolt could not parse the body (e.g. a payload that is not JSON)
            body = await request.body()
            if not verifier.is_valid_request(body, dict(request.headers)):
                return JSONResponse({"error": "invalid signature"}, status_code=401)
            log.warning("malformed Slack request refused (%d bytes)", len(body))
            return JSONResponse({"error": "malformed request"}, status_code=400)

    if kaizen.settings.slack_oauth:

        @web.get("/slack/install", include_in_schema=False)
        async def slack_install(request: Request) -> Any:
            return await handler.handle(request)

        @web.get("/slack/oauth_redirect", include_in_schema=False)
        async def slack_oauth_redirect(request: Request) -> Any:
            return await handler.handle(request)


async def prepare(kaizen: Kaizen, app: AsyncApp) -> None:
    """Create slack_sdk's OAuth tables (they are its own schema, not our migrations)."""
    settings = app.oauth_flow.settings if app.oauth_flow else None
    if settings is not None:
        await settings.installation_store.create_tables()  # type: ignore[attr-defined]
        await settings.state_store.create_tables()  # type: ignore[attr-defined]


@asynccontextmanager
async def socket_mode(kaizen: Kaizen, app: AsyncApp) -> AsyncIterator[None]:
    """Keep a Socket Mode connection open for the lifetime of the server."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert kaizen.settings.slack_app_token
    handler = AsyncSocketModeHandler(app, kaizen.settings.slack_app_token)
    await handler.connect_async()
    log.info("Connected to Slack in Socket Mode")
    try:
        yield
    finally:
        await handler.close_async()


async def messenger_for_team(kaizen: Kaizen, app: AsyncApp, team_id: str) -> SlackMessenger | None:
    """How the scheduler reaches one workspace: its installation's token under OAuth, else the
    configured bot token."""
    if app.oauth_flow is None:
        return SlackMessenger(web_client(kaizen, kaizen.settings.slack_bot_token))
    store = app.oauth_flow.settings.installation_store
    bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
    if bot is None:
        log.warning("no Slack installation for workspace %s; skipping its schedule", team_id)
        return None
    return SlackMessenger(web_client(kaizen, bot.bot_token))


async def refresh_profiles(
    kaizen: Kaizen, reach: Callable[[str], Awaitable[SlackMessenger | None]]
) -> int:
    """Daily: re-read every configured channel's members from Slack, so a person who moved
    time zone is nudged at their new local time and people who left stop being nudged."""
    async with kaizen.db.session() as s:
        rows = list(
            await s.exec(
                select(Channel, Workspace.external_id)
                .join(Workspace, col(Workspace.id) == col(Channel.workspace_id))
                .where(Workspace.platform == "slack", col(Channel.paused).is_(False))
            )
        )
    synced = 0
    for channel, team in rows:
        messenger = await reach(team)
        if messenger is None:
            continue
        try:
            synced += await sync_members(kaizen, messenger.client, team, channel)
        except Exception:  # one unreachable channel must not stop the others
            log.warning("could not refresh the members of %s", channel.platform_id, exc_info=True)
    return synced
