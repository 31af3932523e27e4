"""Fixtures that run the Slack Web API emulator as a real HTTP server for the real slack_sdk.

The emulator (``handlers.sandbox``) runs under uvicorn on a free port in a background thread, so
every test talks to it over HTTP with the real client code, exactly as the bot does through
``SLACK_API_URL``. Each test gets a fresh emulator app and a fresh demo workspace on a fake clock.
Servers themselves are pooled for the session (stopping uvicorn costs ~0.2 s): a test borrows one,
plugs its own app into it, and hands it back afterwards.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from slack_sdk.web.async_client import AsyncWebClient
from starlette.types import ASGIApp, Receive, Scope, Send

from handlers.sandbox.requests import SlackRequestFactory
from handlers.sandbox.slack_api import create_slack_api
from handlers.sandbox.state import WorkspaceState, demo_workspace

SIGNING_SECRET = "kaizen-test-signing-secret"
BOT_TOKEN = "xoxb-test"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


class FakeClock:
    """A clock the test moves by hand; callable like ``time.time``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SwitchableApp:
    """An ASGI app that forwards to whichever app the current test plugged in."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("no emulator app plugged into this server")
        await self.app(scope, receive, send)


class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 (free port) in a daemon thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start and poll until uvicorn says it is serving (no fixed sleep)."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator's uvicorn thread died during start-up")
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator did not start in time")
            time.sleep(0.005)

    def stop(self) -> None:
        self._server.should_exit = True
        self._server.force_exit = True  # no graceful wait: tests own every connection
        self._thread.join(timeout=5)
        self._socket.close()


@pytest.fixture
def slack_clock() -> FakeClock:
    """The workspace clock: drives message ts, trigger expiry and enforced rate limits."""
    return FakeClock()


@pytest.fixture
def slack_state(slack_clock: FakeClock) -> WorkspaceState:
    """A fresh demo workspace (#ml-team, #platform, #random, five people) on the fake clock."""
    return demo_workspace(clock=slack_clock)


@pytest.fixture(scope="session")
def _slack_server_pool() -> Iterator[list[tuple[ServerThread, SwitchableApp]]]:
    """Idle emulator servers, started on demand and stopped at the end of the session."""
    idle: list[tuple[ServerThread, SwitchableApp]] = []
    yield idle
    for server, _ in idle:
        server.stop()


@pytest.fixture
def start_slack_api(
    _slack_server_pool: list[tuple[ServerThread, SwitchableApp]],
) -> Iterator[Callable[..., str]]:
    """Serve an emulator for a state (``tokens``/``enforce_limits`` as ``create_slack_api``).

    Returns the server's base URL (``http://127.0.0.1:PORT``). A test may start several (say, a
    rate-limited one next to the default one); each is unplugged and pooled after the test.
    """
    borrowed: list[tuple[ServerThread, SwitchableApp]] = []

    def start(
        state: WorkspaceState, *, tokens: set[str] | None = None, enforce_limits: bool = False
    ) -> str:
        if _slack_server_pool:
            server, switch = _slack_server_pool.pop()
        else:
            switch = SwitchableApp()
            server = ServerThread(switch)
            server.start()
        switch.app = create_slack_api(state, tokens=tokens, enforce_limits=enforce_limits)
        borrowed.append((server, switch))
        return server.url

    yield start
    for server, switch in borrowed:
        switch.app = None
        _slack_server_pool.append((server, switch))


@pytest.fixture
def slack_server_url(slack_state: WorkspaceState, start_slack_api: Callable[..., str]) -> str:
    """Base URL of an emulator serving ``slack_state`` (``response_url`` targets live here)."""
    return start_slack_api(slack_state)


@pytest.fixture
def slack_api_url(slack_server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The Web API base URL to give ``WebClient(base_url=...)`` or ``SLACK_API_URL``.

    Proxy variables are cleared: slack_sdk would otherwise send localhost traffic through them.
    """
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return f"{slack_server_url}/api/"


@pytest.fixture
def slack_factory(slack_state: WorkspaceState, slack_server_url: str) -> SlackRequestFactory:
    """Signed requests as Slack would send them to the bot, tied to ``slack_state``."""
    return SlackRequestFactory(SIGNING_SECRET, slack_state, slack_server_url)


@pytest.fixture
def slack_client(slack_api_url: str) -> AsyncWebClient:
    """The real async Web API client pointed at the emulator."""
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url)


@pytest.fixture
async def bot(
    database_url: str,
    slack_api_url: str,
    slack_state: WorkspaceState,
    slack_factory: SlackRequestFactory,
):  # type: ignore[no-untyped-def]
    """The whole bot (real ASGI app, real Bolt, real slack_sdk) against the emulator."""
    import httpx

    from bot.config import load_settings
    from handlers.server import build_server
    from tests.slack.harness import PROMPTS, Bot, Clock

    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api_url,
            "KAIZEN_PROMPTS_DIR": str(PROMPTS),
            "KAIZEN_TIMEZONE": "Europe/Berlin",
        },
        env_file=None,
    )
    clock = Clock()
    server = build_server(settings, clock=clock)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(server.web), base_url="http://bot")
    yield Bot(server, http, slack_state, slack_factory, clock)
    await http.aclose()
    await server.kaizen.db.dispose()
