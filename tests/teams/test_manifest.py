"""The Teams manifest declares exactly the commands the bot handles, within Teams' limits, and
``kaizen teams package`` builds an uploadable zip."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bot.cli import app as cli
from bot.cli.teams import BOT_ID_PLACEHOLDER, png_size
from bot.commands import SUBCOMMANDS
from handlers.teams.listeners.messages import HANDLERS

REPO = Path(__file__).resolve().parents[2]
TEAMS = REPO / "deploy" / "teams"
BOT_ID = "11111111-2222-3333-4444-555555555555"
GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")


def manifest() -> dict[str, Any]:
    return json.loads((TEAMS / "manifest.json").read_text(encoding="utf-8"))


def test_required_fields() -> None:
    m = manifest()
    for key in ("manifestVersion", "version", "id", "developer", "name", "description",
                "icons", "accentColor", "bots", "validDomains"):  # fmt: skip
        assert key in m, key
    assert GUID.match(m["id"])
    assert set(m["developer"]) >= {"name", "websiteUrl", "privacyUrl", "termsOfUseUrl"}
    assert all(m["developer"][k].startswith("https://") for k in m["developer"] if k != "name")
    assert m["name"]["short"] and len(m["name"]["short"]) <= 30
    assert len(m["description"]["short"]) <= 80 and len(m["description"]["full"]) <= 4000
    assert m["icons"] == {"outline": "outline.png", "color": "color.png"}
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", m["accentColor"])
    (bot,) = m["bots"]
    assert bot["botId"] == BOT_ID_PLACEHOLDER
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["isNotificationOnly"] is False


def test_command_lists_within_limits_and_match_the_code() -> None:
    (bot,) = manifest()["bots"]
    declared: list[str] = []
    for command_list in bot["commandLists"]:
        assert 1 <= len(command_list["commands"]) <= 10
        assert set(command_list["scopes"]) <= set(bot["scopes"])
        for command in command_list["commands"]:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128
            declared.append(command["title"])
    assert len(declared) == len(set(declared))
    handled = set(HANDLERS) | {"help"}
    assert set(declared) == handled == {s.name for s in SUBCOMMANDS}


def test_icons_have_the_sizes_teams_requires() -> None:
    assert png_size((TEAMS / "color.png").read_bytes()) == (192, 192)
    assert png_size((TEAMS / "outline.png").read_bytes()) == (32, 32)


def test_package_command_builds_the_zip(tmp_path: Path) -> None:
    out = tmp_path / "kaizen-teams.zip"
    result = CliRunner().invoke(cli, ["teams", "package", "--out", str(out), "--bot-id", BOT_ID])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(zf.read("manifest.json"))
        assert png_size(zf.read("color.png")) == (192, 192)
        assert png_size(zf.read("outline.png")) == (32, 32)
    assert packaged["bots"][0]["botId"] == BOT_ID
    assert BOT_ID_PLACEHOLDER not in json.dumps(packaged)


def test_package_refuses_a_bad_bot_id(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("CLIENT_ID", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    result = CliRunner().invoke(cli, ["teams", "package", "--bot-id", "not-a-guid"])
    assert result.exit_code != 0
    assert not (tmp_path / "kaizen-teams.zip").exists()
    result = CliRunner().invoke(cli, ["teams", "package"])
    assert result.exit_code != 0 and "bot id" in result.output.lower()
