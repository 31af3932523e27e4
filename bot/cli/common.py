"""What every CLI command shares: settings, logging and a migrated database."""

from __future__ import annotations

import logging

import typer
from rich.console import Console
from rich.logging import RichHandler

from bot import migrate
from bot.config import Settings, SettingsError, load_settings
from bot.db import Database

err = Console(stderr=True, soft_wrap=True)  # never break a path or URL across lines


def settings_or_exit() -> Settings:
    """Load settings, or print every configuration problem and exit with status 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        err.print("[bold red]Kaizen cannot start: the configuration has problems.[/]")
        for problem in exc.problems:
            err.print(f"  • {problem}")
        err.print("See .env.example for every variable and what it means.")
        raise typer.Exit(2) from None


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, rich_tracebacks=True)],
    )
    # One line per migration, per outgoing HTTP call or per scheduler job is noise at INFO.
    for noisy in ("alembic", "httpx", "apscheduler.scheduler", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def open_database(settings: Settings) -> Database:
    """The configured database, migrated to the latest schema first."""
    migrate.upgrade(settings.database_url)
    return Database(settings.database_url)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a user-facing error and return the exit to raise."""
    err.print(f"[bold red]Error:[/] {message}")
    return typer.Exit(code)
