"""The real app in sandbox mode, served by uvicorn on a free port, and a headless Chromium.

One sandbox serves the whole test session: starting it seeds six weeks of the demo team and
posts last week's digest (a few seconds), which every test here reads. Tests therefore only add
to the workspace and look for what they themselves caused, so their order does not matter.

Browser tests are marked ``browser``. They run whenever ``/usr/bin/chromium`` exists (Debian's
``chromium`` package; Playwright drives that binary and never downloads its own), are skipped
without it on a developer machine, and fail without it on CI (``CI=true``), so they cannot
silently vanish there. Screenshots go to ``test-output/sandbox/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.config import load_settings
from handlers.sandbox.app import Sandbox
from handlers.server import Server, build_sandbox_server

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "prompts"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "sandbox"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the sandbox page in headless Chromium")


@dataclass
class Running:
    """The served sandbox: its base URL, the objects behind it, and an HTTP client for its API."""

    url: str
    server: Server
    sandbox: Sandbox
    http: httpx.Client

    def state(self, user: str) -> dict[str, Any]:
        response = self.http.get("/sandbox/api/state", params={"user": user})
        response.raise_for_status()
        return response.json()

    def conversation(self, user: str, conversation: str) -> dict[str, Any]:
        return next(c for c in self.state(user)["conversations"] if c["id"] == conversation)

    def im(self, user: str) -> dict[str, Any]:
        return next(c for c in self.state(user)["conversations"] if c["is_im"])


def eventually(check: Callable[[], Any], within: float = 15.0) -> Any:
    """Poll until ``check`` returns something truthy: the bot finishes after acknowledging."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        time.sleep(0.05)


class AppThread:
    """The whole ASGI app (lifespan on) under uvicorn on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self._socket = sock
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def start(self, timeout: float = 20.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox's uvicorn thread died during start-up")
            if time.monotonic() > deadline:
                raise TimeoutError("the sandbox did not start in time")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Running]:
    """``kaizen run`` without a platform, on a fresh SQLite database, ready and seeded."""
    saved = {name: os.environ.pop(name) for name in PROXY_VARIABLES if name in os.environ}
    path = tmp_path_factory.mktemp("sandbox") / "kaizen.db"
    shutil.copy(sqlite_template, path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = load_settings(
        {
            "DATABASE_URL": f"sqlite:///{path}",
            "KAIZEN_PROMPTS_DIR": str(PROMPTS),
            "PORT": str(port),
            "KAIZEN_LOG_LEVEL": "WARNING",
        },
        env_file=None,
    )
    server, box = build_sandbox_server(settings)
    thread = AppThread(server.web, sock)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=url, timeout=30.0, trust_env=False)
    try:
        eventually(lambda: box.ready, within=60.0)
        yield Running(url, server, box, http)
    finally:
        http.close()
        thread.stop()
        os.environ.update(saved)


def _chromium_or_skip() -> None:
    missing = not CHROMIUM.exists()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        reason = f"browser tests need {CHROMIUM} (apt-get install chromium) and playwright"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium, headless, with a fresh profile; never a downloaded browser.

    Module-scoped on purpose: sync Playwright keeps its own event loop current in the main
    thread while it runs, which would break every pytest-asyncio test collected after it.
    """
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: Any, sandbox: Running, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab on the sandbox page; ``shot(name)`` saves a screenshot of it."""
    tab = browser.new_page()
    tab.set_default_timeout(15_000)
    tab.add_init_script("localStorage.clear()")
    tab.goto(f"{sandbox.url}/sandbox")
    tab.wait_for_selector("#messages .message")
    try:
        yield tab
    finally:
        tab.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest, page: Any) -> Callable[[str], Path]:
    """Save a screenshot as ``test-output/sandbox/<test>-<n>-<step>.png``; return its path."""
    folder = SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(step: str) -> Path:
        path = folder / f"{request.node.name}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path))
        return path

    return take
