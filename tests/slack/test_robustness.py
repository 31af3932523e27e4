"""Signatures, retries, rate limits, a database outage, bad payloads, start-up modes, manifest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from slack_bolt.async_app import AsyncApp
from sqlmodel import select

from bot.config import load_settings
from bot.db import Database
from bot.models import Reply
from handlers.sandbox.requests import SlackRequestFactory
from handlers.sandbox.state import WorkspaceState
from handlers.server import build_server
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack.harness import PROMPTS, Bot, eventually, text_of

ML = "C01MLTEAM"
ANNA = "U01ANNA"
REPO = Path(__file__).resolve().parents[2]


async def test_forged_and_stale_signatures_get_401(bot: Bot, slack_server_url: str) -> None:
    forged = SlackRequestFactory("not-the-secret", bot.slack, slack_server_url)
    assert (await bot.send(forged.slash_command(ANNA, ML, "log forged"))).status_code == 401
    stale = SlackRequestFactory(
        SIGNING_SECRET, bot.slack, slack_server_url, clock=lambda: time.time() - 600
    )
    assert (await bot.send(stale.slash_command(ANNA, ML, "log replayed"))).status_code == 401
    good = bot.factory.slash_command(ANNA, ML, "help")
    tampered = await bot.http.post(
        "/slack/events", content=good.body + b"&text=log+injected", headers=good.headers
    )
    assert tampered.status_code == 401
    async with bot.server.kaizen.db.session() as s:
        assert list(await s.exec(select(Reply))) == []


async def test_rate_limited_web_api_calls_are_retried_not_lost(bot: Bot) -> None:
    bot.slack.inject_rate_limit("views.open", times=1, retry_after=0)
    bot.slack.inject_rate_limit("chat.postMessage", times=2, retry_after=0)
    await bot.command(ANNA, ML, "checkin")
    await eventually(lambda: bot.slack.open_modal(ANNA))
    await bot.command(ANNA, ML, "digest post")
    await eventually(lambda: [m for m in bot.slack.history(ML) if m.blocks and not m.ephemeral_to])
    statuses = [c.status for c in bot.calls("chat.postMessage")]
    assert statuses[:2] == [429, 429] and statuses[-1] == 200


async def test_a_database_outage_gets_a_clear_answer_and_the_bot_stays_up(bot: Bot) -> None:
    broken = Database("postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=1")
    real = bot.server.kaizen.db
    bot.server.kaizen.db = broken
    bot.server.kaizen.analyser.db = broken
    try:
        await bot.command(ANNA, ML, "log waited on review")
        answer = await eventually(lambda: bot.ephemeral(ML, ANNA))
        assert "database is not answering" in text_of(answer[-1])
    finally:
        bot.server.kaizen.db = real
        bot.server.kaizen.analyser.db = real
        await broken.dispose()
    await bot.command(ANNA, ML, "log waited on review again")
    await eventually(lambda: any("Logged" in text_of(m) for m in bot.ephemeral(ML, ANNA)))


async def test_malformed_payloads_are_refused_without_crashing(bot: Bot) -> None:
    garbage = bot.factory.sign(b"payload=%7Bnot+json")
    response = await bot.http.post("/slack/events", content=b"payload=%7Bnot+json", headers=garbage)
    assert response.status_code in {400, 404}
    assert (await bot.command(ANNA, ML, "help")).status_code == 200


async def test_http_mode_serves_events_and_socket_mode_connects_out(
    database_url: str,
    slack_api_url: str,
    slack_state: WorkspaceState,
    slack_factory: SlackRequestFactory,
) -> None:
    base = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack_api_url,
        "KAIZEN_PROMPTS_DIR": str(PROMPTS),
    }
    http = build_server(
        load_settings({**base, "SLACK_SIGNING_SECRET": SIGNING_SECRET}, env_file=None)
    )
    assert "/slack/events" in {r.path for r in http.web.routes}  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(http.web), base_url="http://t") as c:
        assert (await c.get("/healthz")).status_code == 200
    await http.kaizen.db.dispose()

    # Socket Mode: no public endpoint; the bot connects out and receives over the socket.
    socket = build_server(load_settings({**base, "SLACK_APP_TOKEN": "xapp-1-test"}, env_file=None))
    assert "/slack/events" not in {r.path for r in socket.web.routes}  # type: ignore[attr-defined]
    command = slack_factory.slash_command(ANNA, ML, "help")
    slack_state.socket_outbox.append(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": command.form(),
        }
    )
    async with socket.web.router.lifespan_context(socket.web):
        acked = await eventually(
            lambda: [m for m in slack_state.socket_inbox if m.get("envelope_id") == "env-1"]
        )
        assert acked
        help_shown = await eventually(
            lambda: [m for m in slack_state.history(ML, ANNA) if m.ephemeral_to == ANNA]
        )
        assert "/kaizen log" in text_of(help_shown[-1])
    opened = [c for c in slack_state.calls if c.method == "apps.connections.open"]
    assert opened and opened[0].ok


def test_everything_registered_is_declared_in_the_manifests_and_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    registered: dict[str, set[str]] = {"command": set(), "shortcut": set(), "event": set()}
    for kind in registered:
        original = getattr(AsyncApp, kind)

        def recorder(
            self: AsyncApp, name: Any, *a: Any, _k: str = kind, _o: Any = original, **kw: Any
        ) -> Any:
            registered[_k].add(name if isinstance(name, str) else name.get("type"))
            return _o(self, name, *a, **kw)

        monkeypatch.setattr(AsyncApp, kind, recorder)
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
            "KAIZEN_PROMPTS_DIR": str(PROMPTS),
        },
        env_file=None,
    )
    build_server(settings)
    # Message events arrive as "message" and are declared as "message.im" (DMs only).
    code_events = {"message.im" if e == "message" else e for e in registered["event"]}
    for name in ("manifest.yml", "manifest.http.yml"):
        manifest = yaml.safe_load((REPO / "deploy" / "slack" / name).read_text())
        features = manifest["features"]
        assert {c["command"] for c in features["slash_commands"]} == registered["command"]
        assert {s["callback_id"] for s in features["shortcuts"]} == registered["shortcut"]
        declared = set(manifest["settings"]["event_subscriptions"]["bot_events"])
        assert declared == code_events, name
