"""The Slack app manifests validate against Slack's schema and match the two run modes.

``deploy/slack/manifest.yml`` is for Socket Mode (no public URL at all) and
``deploy/slack/manifest.http.yml`` for HTTP mode (every entry point at ``/slack/events``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SCHEMA = SHARED / "slack" / "manifest.schema.json"
SOCKET = REPO / "deploy" / "slack" / "manifest.yml"
HTTP = REPO / "deploy" / "slack" / "manifest.http.yml"
EVENTS_URL = "https://kaizen.example.com/slack/events"
SUBCOMMANDS = [
    "help",
    "log",
    "concern",
    "concerns",
    "resolve",
    "digest",
    "checkin",
    "setup",
    "pause",
    "resume",
    "skip",
    "stats",
    "forget-me",
]
BOT_SCOPES = {
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
}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def urls_in(node: Any) -> list[str]:
    """Every string value that looks like a URL, anywhere in the manifest."""
    if isinstance(node, dict):
        return [u for value in node.values() for u in urls_in(value)]
    if isinstance(node, list):
        return [u for value in node for u in urls_in(value)]
    return [node] if isinstance(node, str) and re.match(r"https?://", node) else []


@pytest.mark.parametrize("path", [SOCKET, HTTP], ids=["socket", "http"])
def test_manifest_validates_against_slacks_schema(path: Path) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema is not available at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(load(path), schema)


@pytest.mark.parametrize("path", [SOCKET, HTTP], ids=["socket", "http"])
def test_manifest_declares_the_kaizen_surface(path: Path) -> None:
    manifest = load(path)
    info = manifest["display_information"]
    assert info["name"] == "Kaizen"
    assert len(info["long_description"]) >= 175
    # The schema spells this constraint "regex", which JSON Schema validators ignore.
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])
    features = manifest["features"]
    assert features["bot_user"] == {"display_name": "Kaizen", "always_online": True}
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    [command] = features["slash_commands"]
    assert command["command"] == "/kaizen"
    for subcommand in SUBCOMMANDS:
        assert re.search(rf"(?<![\w-]){re.escape(subcommand)}(?![\w-])", command["usage_hint"])
    [shortcut] = features["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == "log_waste"
    assert shortcut["name"] == "Log as waste"
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "message.im",
        "member_joined_channel",
        "member_left_channel",
    ]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_socket_mode_manifest_has_no_urls() -> None:
    manifest = load(SOCKET)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert urls_in(manifest) == []


def test_http_manifest_points_everything_at_slack_events() -> None:
    manifest = load(HTTP)
    assert manifest["settings"].get("socket_mode_enabled", False) is False
    assert manifest["features"]["slash_commands"][0]["url"] == EVENTS_URL
    assert manifest["settings"]["interactivity"]["request_url"] == EVENTS_URL
    assert manifest["settings"]["event_subscriptions"]["request_url"] == EVENTS_URL
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://kaizen.example.com/slack/oauth_redirect"
    ]


def test_both_manifests_describe_the_same_app() -> None:
    """Apart from URLs and the mode switch, the two files must not drift apart."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: strip(v)
                for k, v in node.items()
                if k not in {"url", "request_url", "redirect_urls", "socket_mode_enabled"}
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    assert strip(load(SOCKET)) == strip(load(HTTP))
