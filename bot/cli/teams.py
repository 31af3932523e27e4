"""``kaizen teams package``: the Teams app package (manifest and icons) as a zip to upload.

The manifest and icons live in ``deploy/teams/`` of the source tree, next to the Slack manifest,
and are read from there (``--source`` points elsewhere, e.g. in a container that copies only
``deploy/``). This module reads files only: like all of ``bot/``, it never imports the Teams SDK.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zipfile
from pathlib import Path

import typer
from rich.console import Console

from bot.cli.common import fail
from bot.config import SettingsError, load_settings

teams_app = typer.Typer(help="Microsoft Teams: build the app package.", no_args_is_help=True)

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "deploy" / "teams"
BOT_ID_PLACEHOLDER = "${{BOT_ID}}"
ICON_SIZES = {"color.png": (192, 192), "outline.png": (32, 32)}
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG header (enough to check the icons without Pillow)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def configured_bot_id() -> str | None:
    """``CLIENT_ID`` from the environment or ``.env``, as ``kaizen run`` would read it."""
    try:
        return load_settings().teams_client_id
    except SettingsError:  # an unrelated setting may be wrong; CLIENT_ID alone is enough here
        return (os.environ.get("CLIENT_ID") or "").strip() or None


def build_package(source: Path, out: Path, bot_id: str, app_id: str | None = None) -> Path:
    """Fill the bot id (and optionally the app id) into the manifest and zip it with the icons."""
    if not UUID_RE.match(bot_id):
        raise ValueError(f"the bot id must be the Azure app registration's GUID, not {bot_id!r}.")
    text = (source / "manifest.json").read_text(encoding="utf-8")
    if BOT_ID_PLACEHOLDER not in text:
        raise ValueError(f"{source / 'manifest.json'} has no {BOT_ID_PLACEHOLDER} to fill in.")
    manifest = json.loads(text.replace(BOT_ID_PLACEHOLDER, bot_id))
    if app_id is not None:
        if not UUID_RE.match(app_id):
            raise ValueError(f"the app id must be a GUID, not {app_id!r}.")
        manifest["id"] = app_id
    icons: dict[str, bytes] = {}
    for name, size in ICON_SIZES.items():
        data = (source / name).read_bytes()
        if png_size(data) != size:
            raise ValueError(f"{name} must be {size[0]}x{size[1]} pixels.")
        icons[name] = data
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name, data in icons.items():
            zf.writestr(name, data)
    return out


@teams_app.command("package")
def package(
    out: Path = typer.Option(Path("kaizen-teams.zip"), "--out", help="Where to write the zip."),
    bot_id: str | None = typer.Option(
        None, "--bot-id", help="Azure Bot app (client) id; default: CLIENT_ID from env or .env."
    ),
    app_id: str | None = typer.Option(
        None, "--app-id", help="Teams app id (GUID); default: the fixed id in the manifest."
    ),
    source: Path = typer.Option(
        DEFAULT_SOURCE, "--source", help="Folder with manifest.json, color.png, outline.png."
    ),
) -> None:
    """Build the Teams app package to upload in Teams (Apps → Manage your apps → Upload)."""
    bot = bot_id or configured_bot_id()
    if not bot:
        raise fail("No bot id: pass --bot-id or set CLIENT_ID (the Azure Bot's app id) in .env.")
    if not (source / "manifest.json").is_file():
        raise fail(f"No manifest.json in {source}; run from a source checkout or pass --source.")
    try:
        written = build_package(source, out, bot, app_id)
    except (ValueError, OSError) as exc:
        raise fail(f"Could not build the Teams package: {exc}") from None
    Console().print(f"Wrote [bold]{written}[/] (manifest.json, color.png, outline.png).")


def register(app: typer.Typer) -> None:
    app.add_typer(teams_app, name="teams")
