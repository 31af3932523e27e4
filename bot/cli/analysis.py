"""``kaizen analyze`` and ``kaizen eval``: the analyser from the command line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from bot.analysis.evaluate import channel_models, evaluate, load_jsonl, render
from bot.analysis.pipeline import analyze_stream
from bot.cli.common import err, fail, open_database, settings_or_exit


def analyze(
    reprocess: bool = typer.Option(
        False,
        "--reprocess",
        help="Re-analyse the replies stored in the database (after a vocabulary change) "
        "instead of reading stdin. Replies and hand-set labels are kept.",
    ),
    channel: int | None = typer.Option(
        None, "--channel", help="With --reprocess: only this channel (database id)."
    ),
    models: str = typer.Option(
        "", "--models", help="Comma-separated model names to recognise first (stdin mode)."
    ),
) -> None:
    """Label replies: JSON Lines in on stdin, JSON Lines out with wastes, concerns, theme, model."""
    if reprocess:
        _reprocess(channel)
        return
    known = [m.strip() for m in models.split(",") if m.strip()]
    errors = analyze_stream(sys.stdin, sys.stdout, sys.stderr, known_models=known)
    if errors:
        err.print(f"{errors} line(s) skipped; every other line was analysed.")


def _reprocess(channel: int | None) -> None:
    from bot.services.analysis import Analyser

    settings = settings_or_exit()

    async def run() -> None:
        db = open_database(settings)
        try:
            report = await Analyser(db, fallback_timezone=settings.timezone).reprocess(channel)
        finally:
            await db.dispose()
        Console().print(
            f"Re-analysed {report.replies} replies in {report.channels} channel(s); "
            f"{report.themes} themes."
        )

    asyncio.run(run())


def eval_command(
    file: Path = typer.Argument(..., help="Labelled JSON Lines, e.g. shared/eval/dev.jsonl."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    configured_models: bool = typer.Option(
        False,
        "--channel-models",
        help="Give each team the models its replies are labelled with, as a channel set up "
        "with /kaizen setup would have; without it only name-shaped guesses find models.",
    ),
) -> None:
    """Score the analyser on a labelled file: per-label P/R/F1, micro and macro F1, themes."""
    if not file.is_file():
        raise fail(f"{file} does not exist or is not a file.")
    try:
        records = load_jsonl(file)
    except ValueError as exc:
        raise fail(str(exc)) from None
    report = evaluate(
        records, models_by_team=channel_models(records) if configured_models else None
    )
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(render(report))


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("eval")(eval_command)
