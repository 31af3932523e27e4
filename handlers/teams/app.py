"""The Teams SDK app, hosted on the shared FastAPI app, with every listener registered.

``mount`` builds ``App(http_server_adapter=FastAPIAdapter(app=web))`` from settings; the
lifespan hook awaits ``app.initialize()``, which is when the SDK adds ``POST /api/messages``
(and validates inbound JWTs against the bot's app id). Proactive sends (nudges, digests) go
through the same App, see ``handlers.teams.messenger``.

Local testing without Azure (Agents Playground, the test suite): set the environment variable
``DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS=true``. Then inbound requests are accepted without
a token *and* outbound calls carry a placeholder token instead of asking Entra ID for one (the
Playground and the tests' fake connector accept anything). It is never on by default, and a
warning is logged at start-up when it is.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from microsoft_teams.api import TokenCredentials
from microsoft_teams.apps import App, FastAPIAdapter

from bot.runtime import Kaizen
from handlers.teams.listeners import register_all
from handlers.teams.messenger import TeamsMessenger

log = logging.getLogger(__name__)

DEV_FLAG = "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS"


def allow_unauthenticated(environ: Mapping[str, str] | None = None) -> bool:
    """The local-testing switch; only an explicit true-ish value turns it on."""
    value = (os.environ if environ is None else environ).get(DEV_FLAG, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def placeholder_token(scope: str | list[str] | None = None, tenant_id: str | None = None) -> str:
    """An unsigned, JWT-shaped token for the local-testing mode (the SDK parses, not verifies).

    Real deployments never see it: without the switch the App uses the client secret.
    """

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {"aud": "kaizen-local", "iss": "kaizen-local", "exp": 4_102_444_800, "tid": tenant_id}
    signature = base64.urlsafe_b64encode(b"unsigned").rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.{signature}"


class KaizenTeamsApp(App):
    """The SDK's App, except that local-testing mode never asks Entra ID for a token.

    The SDK falls back to ``CLIENT_SECRET`` from the environment whenever no secret is passed
    (and loads ``.env`` itself), so the only reliable way to keep the placeholder token in
    local-testing mode is to choose the credentials here.
    """

    def __init__(self, *, local_testing: bool, **options: Any) -> None:
        self._local_testing = local_testing
        super().__init__(**options)

    def _init_credentials(self) -> Any:
        if self._local_testing and self.options.client_id:
            return TokenCredentials(
                client_id=self.options.client_id,
                tenant_id=self.options.tenant_id,
                token=placeholder_token,
            )
        return super()._init_credentials()


class TeamsHost:
    """Owns the Teams App for one server: built at mount, initialised in the lifespan."""

    def __init__(self, kaizen: Kaizen, *, local_testing: bool | None = None) -> None:
        self.kaizen = kaizen
        self.local_testing = allow_unauthenticated() if local_testing is None else local_testing
        self.app: App | None = None
        self._ready = False

    def mount(self, web: FastAPI) -> None:
        settings = self.kaizen.settings
        self.app = KaizenTeamsApp(
            local_testing=self.local_testing,
            client_id=settings.teams_client_id,
            client_secret=None if self.local_testing else settings.teams_client_secret,
            tenant_id=settings.teams_tenant_id,
            http_server_adapter=FastAPIAdapter(app=web),
            dangerously_allow_unauthenticated_requests=self.local_testing,
            state=False,
        )
        register_all(self.app, self.kaizen, self)
        web.state.teams = self

    async def initialize(self) -> None:
        """Register ``POST /api/messages`` and make proactive sends possible (idempotent)."""
        if self._ready:
            return
        assert self.app is not None, "mount() first"
        if self.local_testing:
            log.warning(
                "Teams: %s is on; /api/messages accepts unauthenticated requests. Local testing "
                "only, never in production.",
                DEV_FLAG,
            )
        await self.app.initialize()
        self._ready = True

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        await self.initialize()
        yield

    def messenger(self) -> TeamsMessenger:
        """The proactive side (scheduler, CLI): same App, same conversation references."""
        assert self.app is not None, "mount() first"
        return TeamsMessenger(self.app, self.kaizen.db)


def mount(web: FastAPI, kaizen: Kaizen) -> TeamsHost:
    """Serve Teams on the shared app; enter ``host.lifespan()`` to start answering."""
    host = TeamsHost(kaizen)
    host.mount(web)
    return host
