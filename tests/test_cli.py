import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from bot.cli import app
from bot.config import load_settings
from bot.db import Database
from bot.web import create_app


def test_help_lists_the_commands_with_descriptions() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "run" in result.output and "Start the bot" in result.output
    assert "db" in result.output


PROMPTS = str(Path(__file__).resolve().parent.parent / "prompts")


def test_run_without_a_platform_starts_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda web, **options: served.update(web=web, **options))
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "KAIZEN_PROMPTS_DIR": PROMPTS,
        "PORT": "3456",
    }
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:3456/sandbox" in result.output
    assert "SLACK_BOT_TOKEN" in result.output and "CLIENT_ID" in result.output
    assert (tmp_path / "k.db").exists()
    assert served["port"] == 3456 and served["host"] == "127.0.0.1"
    paths = {getattr(route, "path", "") for route in served["web"].routes}
    assert {"/slack/events", "/sandbox/slack"} <= paths
    page = asyncio.run(_get(served["web"], "/sandbox"))  # no lifespan: just the page
    assert page.status_code == 200 and "Run next scheduled event" in page.text


async def _get(web: Any, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://t") as c:
        return await c.get(path)


def test_a_broken_question_file_stops_the_start(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "standup.toml").write_text("[[questions]]\nkey = 'standup.today'\n")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "KAIZEN_PROMPTS_DIR": str(prompts)}
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 2
    assert "standup.toml" in result.output and "text is missing" in result.output


def test_bad_configuration_stops_with_every_problem(tmp_path: Path) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s", "PORT": "x"}
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 2
    assert "xoxb-" in result.output and "PORT" in result.output


async def test_healthz_reports_database_reachability(database_url: str) -> None:
    settings = load_settings({"DATABASE_URL": database_url}, env_file=None)
    web = create_app(settings, Database(database_url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://t") as c:
        response = await c.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


async def test_healthz_is_503_when_the_database_is_down() -> None:
    url = "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=1"
    settings = load_settings({"DATABASE_URL": url}, env_file=None)
    web = create_app(settings, Database(url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://t") as c:
        response = await c.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


async def test_metrics_count_replies_and_concerns(database_url: str) -> None:
    from bot.services import concerns, directory
    from bot.services.replies import record_reply

    db = Database(database_url)
    ws = await directory.ensure_workspace(db, "slack", "T1")
    ch = await directory.ensure_channel(db, ws.id or 0, "C1")
    await record_reply(db, channel_id=ch.id or 0, text="waited", source="command", dedup_key="m1")
    await concerns.open_concern(db, channel_id=ch.id or 0, kind="serving_sla", summary="p99")
    settings = load_settings({"DATABASE_URL": database_url}, env_file=None)
    web = create_app(settings, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://t") as c:
        body = (await c.get("/metrics")).text
    assert "kaizen_up 1" in body
    assert "kaizen_replies_total 1" in body and "kaizen_open_concerns 1" in body
    await db.dispose()
