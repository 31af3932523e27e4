"""Multi-workspace install: OAuth pages, the installation stored in the bot's database, and the
scheduler reaching that workspace with its own token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx

from bot.config import load_settings
from handlers.sandbox.state import WorkspaceState
from handlers.server import build_server
from tests.slack.conftest import SIGNING_SECRET
from tests.slack.harness import PROMPTS


async def test_install_then_the_workspace_is_served_with_its_own_token(
    database_url: str, slack_api_url: str, slack_state: WorkspaceState
) -> None:
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api_url,
            "KAIZEN_PROMPTS_DIR": str(PROMPTS),
            "KAIZEN_SCHEDULER": "off",
        },
        env_file=None,
    )
    server = build_server(settings)
    routes = {r.path for r in server.web.routes}  # type: ignore[attr-defined]
    assert {"/slack/install", "/slack/oauth_redirect", "/slack/events"} <= routes
    async with server.web.router.lifespan_context(server.web):
        transport = httpx.ASGITransport(server.web)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            page = await http.get("/slack/install")
            assert page.status_code in (200, 302)
            link = page.text.split('href="https://slack.com/oauth/v2/authorize')[1]
            authorize = "https://slack.com/oauth/v2/authorize" + link.split('"')[0]
            query = parse_qs(urlparse(authorize.replace("&amp;", "&")).query)
            assert query["client_id"] == ["111.222"] and "chat:write" in query["scope"][0]
            state_cookie = page.headers["set-cookie"].split(";")[0]  # Secure: sent by hand
            done = await http.get(
                "/slack/oauth_redirect",
                params={"code": "abc", "state": query["state"][0]},
                headers={"cookie": state_cookie},
            )
            assert done.status_code == 200, done.text
        reach = server.scheduler.messenger_for  # how scheduled sends find a workspace
        messenger = await reach("slack", slack_state.team_id)
        assert messenger is not None and messenger.client.token == "xoxb-installed"
        assert await reach("slack", "T0UNKNOWN") is None
    await server.kaizen.db.dispose()
