"""The whole bot with Teams on, and a loopback fake of the Bot Connector it talks back to.

Activities are POSTed to the real ``/api/messages`` (the Teams SDK's own route, in its
unauthenticated local-testing mode); their ``serviceUrl`` points at a tiny FastAPI app served
by uvicorn in a thread, which records what the bot sends (``POST .../activities``, ``PUT
.../activities/{id}``) and can answer 429. Only that HTTP boundary is fake.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.config import load_settings
from handlers.server import Server, build_server
from handlers.teams.app import DEV_FLAG, TeamsHost
from tests.slack.conftest import PROXY_VARIABLES, ServerThread

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Berlin
TENANT = "tenant-1"
BOT_ID = "28:kaizen-bot"
APP_ID = "00000000-0000-0000-0000-00000000b07d"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Sent:
    """One call the bot made to the connector."""

    method: str
    conversation: str
    activity: dict[str, Any]
    activity_id: str | None = None

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def text(self) -> str:
        """Everything a person reads: the text and every text in the cards."""
        return visible_text(self.activity.get("text") or "", *self.cards)


def visible_text(*parts: Any) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for key in ("text", "title", "value", "label"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for key, value in node.items():
                if key not in {"text", "title", "value", "label"}:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for part in parts:
        walk(part)
    return "\n".join(out).replace("\u2060", "")


@dataclass
class FakeConnector:
    """What the Bot Connector received, and scripted failures (status, Retry-After)."""

    sent: list[Sent] = field(default_factory=list)
    fail_next: list[tuple[int, str]] = field(default_factory=list)
    attempts: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    web: FastAPI = field(init=False)

    def __post_init__(self) -> None:
        self.web = self._app()

    def _app(self) -> FastAPI:
        web = FastAPI()

        @web.post("/v3/conversations/{conversation:path}/activities")
        async def create(conversation: str, request: Request) -> JSONResponse:
            return await self._record("POST", conversation, None, request)

        @web.put("/v3/conversations/{conversation:path}/activities/{activity_id}")
        async def update(conversation: str, activity_id: str, request: Request) -> JSONResponse:
            return await self._record("PUT", conversation, activity_id, request)

        return web

    async def _record(
        self, method: str, conversation: str, activity_id: str | None, request: Request
    ) -> JSONResponse:
        self.attempts += 1
        if self.fail_next:
            status, retry_after = self.fail_next.pop(0)
            return JSONResponse(
                {"error": {"code": "TooManyRequests"}},
                status_code=status,
                headers={"Retry-After": retry_after},
            )
        body = await request.json()
        self.sent.append(Sent(method, conversation, body, activity_id))
        return JSONResponse({"id": activity_id or str(1_700_000_000_000 + next(self._ids))})

    def to(self, conversation: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation == conversation]


@pytest.fixture(scope="session")
def _connector_server() -> Iterator[tuple[ServerThread, dict[str, FakeConnector]]]:
    """One uvicorn thread for the session; each test plugs in a fresh fake."""
    current: dict[str, FakeConnector] = {}

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await current["fake"].web(scope, receive, send)

    server = ServerThread(asgi)
    server.start()
    yield server, current
    server.stop()


@pytest.fixture
def connector(
    _connector_server: tuple[ServerThread, dict[str, FakeConnector]],
    monkeypatch: pytest.MonkeyPatch,
) -> FakeConnector:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    fake = FakeConnector()
    _connector_server[1]["fake"] = fake
    return fake


@pytest.fixture
def service_url(_connector_server: tuple[ServerThread, dict[str, FakeConnector]]) -> str:
    return _connector_server[0].url


class Activities:
    """Bot Framework activities as Teams sends them, numbered so each id is new."""

    def __init__(self, service_url: str) -> None:
        self.service_url = service_url
        self._ids = itertools.count(1000)

    def _base(self, kind: str, user: str, conversation: dict[str, Any], **extra: Any) -> dict:
        activity: dict[str, Any] = {
            "type": kind,
            "id": str(next(self._ids)),
            "timestamp": NOW.isoformat(),
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": user, "name": user.split(":")[-1].title(), "aadObjectId": f"aad-{user}"},
            "conversation": conversation,
            "recipient": {"id": BOT_ID, "name": "Kaizen"},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "en-US",
        }
        activity.update(extra)
        return activity

    @staticmethod
    def personal(user: str) -> dict[str, Any]:
        return {"id": f"a:dm-{user}", "conversationType": "personal", "tenantId": TENANT}

    @staticmethod
    def channel_thread(channel: str, root: str = "1700000000000") -> dict[str, Any]:
        return {
            "id": f"{channel};messageid={root}",
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT,
        }

    def dm(self, user: str, text: str, **extra: Any) -> dict[str, Any]:
        return self._base("message", user, self.personal(user), text=text, **extra)

    def in_channel(self, user: str, channel: str, text: str, **extra: Any) -> dict[str, Any]:
        """An @mention of the bot in a channel thread, as Teams delivers it."""
        activity = self._base(
            "message",
            user,
            self.channel_thread(channel),
            text=f"<at>Kaizen</at> {text}",
            entities=[
                {
                    "type": "mention",
                    "text": "<at>Kaizen</at>",
                    "mentioned": {"id": BOT_ID, "name": "Kaizen"},
                }
            ],
            **extra,
        )
        activity["channelData"] = {
            "tenant": {"id": TENANT},
            "team": {"id": "19:team@thread.tacv2", "name": "ML"},
            "channel": {"id": channel, "name": "ml-team"},
        }
        return activity

    def execute(
        self, user: str, conversation: dict[str, Any], verb: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """A click on an ``Action.Execute`` button (inputs merged into ``data``)."""
        return self._base(
            "invoke",
            user,
            conversation,
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}},
        )

    def install(self, user: str) -> dict[str, Any]:
        return self._base("installationUpdate", user, self.personal(user), action="add")


@dataclass
class TeamsBot:
    server: Server
    http: httpx.AsyncClient
    connector: FakeConnector
    make: Activities
    clock: Clock

    @property
    def host(self) -> TeamsHost:
        return self.server.web.state.teams

    async def post(self, activity: dict[str, Any]) -> httpx.Response:
        response = await self.http.post("/api/messages", json=activity)
        assert response.status_code == 200, response.text
        return response

    async def invoke(self, activity: dict[str, Any]) -> dict[str, Any]:
        """POST an invoke and return its response body (``statusCode``, ``type``, ``value``)."""
        return (await self.post(activity)).json()


@pytest.fixture
async def teams_bot(
    database_url: str,
    connector: FakeConnector,
    service_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[TeamsBot]:
    """The real ASGI app with Teams on (local-testing switch), lifespan started."""
    monkeypatch.setenv(DEV_FLAG, "true")
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "CLIENT_ID": APP_ID,
            "CLIENT_SECRET": "not-used-in-local-testing",
            "TENANT_ID": TENANT,
            "KAIZEN_PROMPTS_DIR": str(PROMPTS),
            "KAIZEN_TIMEZONE": "Europe/Berlin",
            "KAIZEN_SCHEDULER": "off",  # these tests drive sends by hand
        },
        env_file=None,
    )
    clock = Clock()
    server = build_server(settings, clock=clock)
    async with server.web.router.lifespan_context(server.web):
        http = httpx.AsyncClient(transport=httpx.ASGITransport(server.web), base_url="http://bot")
        try:
            yield TeamsBot(server, http, connector, Activities(service_url), clock)
        finally:
            await http.aclose()
