"""The ``kaizen`` command line (also ``python -m bot``)."""

from __future__ import annotations

import logging

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

SANDBOX_HELP = """No chat platform is configured, so there is nothing to connect to yet.

[bold]Slack[/] (Socket Mode, no public URL needed): create the app from
  deploy/slack/manifest.yml, then put in .env:
    SLACK_BOT_TOKEN=xoxb-...   SLACK_APP_TOKEN=xapp-...
[bold]Slack[/] (HTTP): SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, and point the app's
  request URLs at https://<your host>/slack/events
[bold]Microsoft Teams[/]: CLIENT_ID, CLIENT_SECRET and TENANT_ID of your Azure Bot.

Every variable is explained in .env.example. The database ({db}) is ready."""


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
    if settings.sandbox:
        err.print(Panel(SANDBOX_HELP.format(db=settings.database_url), title="Kaizen bot"))
        return
    import uvicorn

    from handlers.server import build_server  # the composition root lives with the adapters

    logging.getLogger("kaizen").info("Starting: %s", settings.describe_platforms())
    server = build_server(settings)
    uvicorn.run(server.web, host="0.0.0.0", port=settings.port, log_config=None)


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
