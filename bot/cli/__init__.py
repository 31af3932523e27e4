"""The ``kaizen`` command line (also ``python -m bot``)."""

from __future__ import annotations

import logging
import os

import typer
from rich.console import Console
from rich.panel import Panel

from bot import migrate
from bot.cli import analysis, digest, schedule, teams
from bot.cli.common import err, settings_or_exit, setup_logging
from bot.prompts import QuestionSetError, load_question_sets

app = typer.Typer(
    help="Kaizen bot: continuous-improvement check-ins for software and ML teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

SANDBOX_HELP = """No chat platform is configured: this is the [bold]local sandbox[/],
a small Slack workspace in your browser with a demo team's history.

  Open [bold cyan]{url}[/]

To use a real workspace, set in .env (see .env.example):
  [bold]Slack[/]: SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode)
    or SLACK_SIGNING_SECRET (HTTP); app from deploy/slack/manifest.yml
  [bold]Teams[/]: CLIENT_ID, CLIENT_SECRET and TENANT_ID of your Azure Bot
Database: {db}"""
#: slack_sdk sends through these even to 127.0.0.1; the sandbox only ever talks to itself.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@app.command()
def run() -> None:
    """Start the bot (Slack, Teams, or the local sandbox when neither is configured)."""
    settings = settings_or_exit()
    setup_logging(settings.log_level)
    try:
        load_question_sets(settings.prompts_dir)
    except QuestionSetError as exc:
        err.print(f"[bold red]Kaizen cannot start:[/] {exc}")
        raise typer.Exit(2) from None
    migrate.upgrade(settings.database_url)
    import uvicorn

    from handlers.server import build_sandbox_server, build_server  # the composition root

    host = "0.0.0.0"
    if settings.sandbox:
        # Local only: the sandbox's page acts as anyone in its workspace without logging in.
        host = "127.0.0.1"
        for name in PROXY_VARIABLES:
            os.environ.pop(name, None)
        server, sandbox = build_sandbox_server(settings, host=host)
        err.print(
            Panel(
                SANDBOX_HELP.format(url=sandbox.url, db=settings.database_url),
                title="Kaizen bot · sandbox",
            )
        )
    else:
        logging.getLogger("kaizen").info("Starting: %s", settings.describe_platforms())
        server = build_server(settings)
    # The sandbox page polls twice a second; an access-log line per poll would drown the log.
    uvicorn.run(
        server.web,
        host=host,
        port=settings.port,
        log_config=None,
        access_log=not settings.sandbox,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the latest schema."""
    settings = settings_or_exit()
    migrate.upgrade(settings.database_url)
    revision = migrate.current_revision(settings.database_url)
    Console().print(f"Database schema is at revision [bold]{revision}[/].")


analysis.register(app)
digest.register(app)
teams.register(app)
schedule.register(app)


def main() -> None:
    app()
