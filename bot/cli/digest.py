"""``kaizen digest`` and ``kaizen demo``: the weekly digest from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot.cli.common import err, fail, open_database, settings_or_exit
from bot.config import Settings
from bot.db import Database
from bot.digests.build import build_digest, latest_active_channel
from bot.digests.chart import render_chart
from bot.digests.model import Digest
from bot.digests.text import render_text
from bot.errors import KaizenError
from bot.models import Channel, Reply
from bot.timeutil import iso_week, parse_iso_week


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    BLOCKS = "blocks"
    CARD = "card"
    JSON = "json"


def render(digest: Digest, fmt: Format) -> str:
    """The digest in one output format. Slack and Teams renderers live with their platforms."""
    if fmt is Format.TEXT:
        return render_text(digest, markdown=False)
    if fmt is Format.MARKDOWN:
        return render_text(digest, markdown=True)
    if fmt is Format.BLOCKS:
        from handlers.slack.render.digest import digest_blocks

        return json.dumps(digest_blocks(digest), indent=2, ensure_ascii=False)
    if fmt is Format.CARD:
        from handlers.teams.cards.digest import digest_card

        return json.dumps(digest_card(digest), indent=2, ensure_ascii=False)
    return json.dumps(digest.as_dict(), indent=2, default=str, ensure_ascii=False)


async def resolve_channel(db: Database, ref: str | None) -> int:
    """A channel given by platform id (``C0123``) or database id; default: most recently active."""
    if ref is None:
        found = await latest_active_channel(db)
        if found is None:
            raise KaizenError("no replies are stored yet; run `kaizen demo` to see an example.")
        return found
    async with db.session() as s:
        by_platform = (await s.exec(select(Channel.id).where(Channel.platform_id == ref))).first()
        if by_platform is not None:
            return by_platform
        if ref.isdigit() and await s.get(Channel, int(ref)) is not None:
            return int(ref)
    raise KaizenError(f"there is no channel '{ref}'.")


async def latest_week(db: Database, channel_id: int, timezone: str) -> str | None:
    """ISO week of the channel's most recent reply: ``kaizen digest`` shows the latest digest."""
    async with db.session() as s:
        channel = await s.get(Channel, channel_id)
        at = (
            await s.exec(
                select(Reply.created_at)
                .where(Reply.channel_id == channel_id)
                .order_by(col(Reply.created_at).desc())
                .limit(1)
            )
        ).first()
    if at is None or channel is None:
        return None
    return iso_week(at.astimezone(ZoneInfo(channel.timezone or timezone)).date())


async def _build(settings: Settings, channel: str | None, week: str | None) -> Digest:
    db = open_database(settings)
    try:
        channel_id = await resolve_channel(db, channel)
        week = week or await latest_week(db, channel_id, settings.timezone)
        return await build_digest(
            db,
            channel_id,
            week,
            fallback_timezone=settings.timezone,
            concern_sla_days=settings.concern_sla_days,
        )
    finally:
        await db.dispose()


def digest(
    channel: str | None = typer.Option(
        None, "--channel", help="Channel id (platform id such as C0123, or database id)."
    ),
    week: str | None = typer.Option(
        None, "--week", help="ISO week such as 2026-W48 (default: the latest week with replies)."
    ),
    fmt: Format = typer.Option(Format.TEXT, "--format", help="Output format."),
    png: Path | None = typer.Option(None, "--png", help="Also write the chart to this PNG file."),
) -> None:
    """Build a channel's weekly digest and print it."""
    if week is not None:
        try:
            parse_iso_week(week)
        except ValueError as exc:
            raise fail(str(exc)) from None
    settings = settings_or_exit()
    try:
        result = asyncio.run(_build(settings, channel, week))
    except KaizenError as exc:
        raise fail(str(exc)) from None
    print(render(result, fmt))
    if png is not None:
        png.write_bytes(render_chart(result))
        err.print(f"Chart written to {png}")


def demo(
    force: bool = typer.Option(
        False, "--force", help="Add the demo team even if the database already holds replies."
    ),
    png: Path = typer.Option(Path("kaizen-demo.png"), "--png", help="Where to write the chart."),
) -> None:
    """Fill a fresh database with six weeks of a demo ML team and print its latest digest."""
    from bot.demo import DatabaseNotEmpty, seed_demo

    settings = settings_or_exit()

    async def run() -> Digest:
        db = open_database(settings)
        try:
            result = await seed_demo(db, today=date.today(), force=force)
            return await build_digest(
                db, result.channel_id, result.last_week, fallback_timezone=settings.timezone
            )
        finally:
            await db.dispose()

    try:
        built = asyncio.run(run())
    except DatabaseNotEmpty:
        raise fail(
            f"the database ({_shown(settings.database_url)}) already holds replies; "
            "the demo only fills an empty one. Use --force to add the demo team anyway, "
            "or point DATABASE_URL at a new file."
        ) from None
    print(render_text(built, markdown=False))
    png.write_bytes(render_chart(built))
    print(
        f"\nChart written to {png}.\nNext: `kaizen digest --format blocks` shows the Slack "
        "message, `kaizen run` starts the bot."
    )


def _shown(url: str) -> str:
    """A database URL safe to print: the password is masked."""
    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
    app.command("demo")(demo)
