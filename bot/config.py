"""Settings: one object, built from the environment and ``.env`` when asked, validated up front.

Why a function and not a module-level singleton: tests, the CLI and the server each build
settings from their own environment, and a bad value must be reported at start-up with every
problem listed at once, not as a traceback the first time some handler reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_DATABASE_URL = "sqlite:///./kaizen.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000


class SettingsError(ValueError):
    """Raised when the configuration cannot work; ``problems`` lists each one in plain words."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Configuration problems:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment. See ``.env.example`` for each variable."""

    database_url: str = DEFAULT_DATABASE_URL
    port: int = DEFAULT_PORT
    timezone: str = "UTC"
    prompts_dir: Path = Path("prompts")
    log_level: str = "INFO"
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    teams_client_id: str | None = None
    teams_client_secret: str | None = None
    teams_tenant_id: str | None = None
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    misfire_grace_minutes: int = 60
    concern_sla_days: int = 14
    scheduler_enabled: bool = True

    @property
    def slack_socket_mode(self) -> bool:
        """Socket Mode needs no public URL, so it wins when an app-level token is present."""
        return self.slack_app_token is not None

    @property
    def slack_oauth(self) -> bool:
        """Multi-workspace installs: tokens come from the installation store, not from env."""
        return self.slack_client_id is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_socket_mode or self.slack_signing_secret is not None

    @property
    def teams_enabled(self) -> bool:
        return self.teams_client_id is not None

    @property
    def sandbox(self) -> bool:
        """No platform configured: ``kaizen run`` starts the local sandbox instead."""
        return not (self.slack_enabled or self.teams_enabled)

    @property
    def llm_enabled(self) -> bool:
        return self.llm_url is not None and self.llm_model is not None

    def describe_platforms(self) -> str:
        """One line saying what ``kaizen run`` will start, for the start-up banner."""
        parts = []
        if self.slack_enabled:
            mode = "Socket Mode" if self.slack_socket_mode else "HTTP"
            parts.append(f"Slack ({mode}{', multi-workspace OAuth' if self.slack_oauth else ''})")
        if self.teams_enabled:
            parts.append("Microsoft Teams")
        return " + ".join(parts) if parts else "local sandbox (no platform configured)"


def _clean(value: str | None) -> str | None:
    """Treat unset, empty and whitespace-only values alike: ``FOO=`` in .env means unset."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> Settings:
    """Build and validate settings; the process environment overrides values from ``env_file``.

    Raises ``SettingsError`` listing every problem found, so one start-up shows them all.
    """
    merged: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update(dotenv_values(env_file))
    merged.update(os.environ if environ is None else environ)
    get = lambda name: _clean(merged.get(name))  # noqa: E731

    problems: list[str] = []

    port = DEFAULT_PORT
    raw_port = get("PORT")
    if raw_port is not None:
        if raw_port.isdigit() and 0 < int(raw_port) < 65536:
            port = int(raw_port)
        else:
            problems.append(f"PORT must be a number between 1 and 65535, not {raw_port!r}.")

    database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
    scheme = database_url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in {"sqlite", "postgresql", "postgres"}:
        problems.append(
            "DATABASE_URL must be a SQLite or PostgreSQL URL such as sqlite:///kaizen.db or "
            f"postgresql://user:pass@host/db, not {database_url.split('://')[0]!r}://..."
        )

    timezone = get("KAIZEN_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"KAIZEN_TIMEZONE must be an IANA time zone such as Europe/Berlin, not {timezone!r}."
        )

    bot_token = get("SLACK_BOT_TOKEN")
    signing_secret = get("SLACK_SIGNING_SECRET")
    app_token = get("SLACK_APP_TOKEN")
    client_id = get("SLACK_CLIENT_ID")
    client_secret = get("SLACK_CLIENT_SECRET")
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        problems.append(
            "SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-' (OAuth & Permissions → "
            "Bot User OAuth Token); a user token (xoxp-) or app token (xapp-) will not work."
        )
    if app_token is not None and not app_token.startswith("xapp-"):
        problems.append(
            "SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' with the "
            "connections:write scope (Basic Information → App-Level Tokens)."
        )
    if (client_id is None) != (client_secret is None):
        problems.append("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set together.")
    if client_id is not None and signing_secret is None:
        problems.append("Slack OAuth (SLACK_CLIENT_ID) needs SLACK_SIGNING_SECRET as well.")
    if app_token is not None and bot_token is None:
        problems.append("Socket Mode (SLACK_APP_TOKEN) needs SLACK_BOT_TOKEN as well.")
    if signing_secret is not None and bot_token is None and client_id is None:
        problems.append(
            "SLACK_SIGNING_SECRET is set but there is no SLACK_BOT_TOKEN (single workspace) or "
            "SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (OAuth): the bot could not call Slack."
        )
    if bot_token is not None and signing_secret is None and app_token is None:
        problems.append(
            "SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor "
            "SLACK_APP_TOKEN (Socket Mode) is: Slack could not reach the bot."
        )

    slack_api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not _is_http_url(slack_api_url):
        problems.append(f"SLACK_API_URL must be an http(s) URL, not {slack_api_url!r}.")
    elif not slack_api_url.endswith("/"):
        slack_api_url += "/"  # slack_sdk joins method names onto it

    teams_id, teams_secret, tenant = get("CLIENT_ID"), get("CLIENT_SECRET"), get("TENANT_ID")
    if teams_id is not None and (teams_secret is None or tenant is None):
        problems.append(
            "Teams needs CLIENT_ID, CLIENT_SECRET and TENANT_ID together (Azure Bot → "
            "Configuration; the app registration's secret and its directory (tenant) id)."
        )
    if teams_id is None and (teams_secret is not None or tenant is not None):
        problems.append("CLIENT_SECRET or TENANT_ID is set without CLIENT_ID: Teams stays off.")

    llm_url, llm_model = get("KAIZEN_LLM_URL"), get("KAIZEN_LLM_MODEL")
    if llm_url is not None and not _is_http_url(llm_url):
        problems.append(f"KAIZEN_LLM_URL must be an http(s) URL, not {llm_url!r}.")
    if (llm_url is None) != (llm_model is None):
        problems.append("KAIZEN_LLM_URL and KAIZEN_LLM_MODEL must be set together.")

    grace = get("KAIZEN_MISFIRE_GRACE_MINUTES") or "60"
    if not grace.isdigit() or not 0 <= int(grace) <= 24 * 60:
        problems.append(f"KAIZEN_MISFIRE_GRACE_MINUTES must be 0 to 1440 minutes, not {grace!r}.")
    sla = get("KAIZEN_CONCERN_SLA_DAYS") or "14"
    if not sla.isdigit() or not 1 <= int(sla) <= 365:
        problems.append(f"KAIZEN_CONCERN_SLA_DAYS must be 1 to 365 days, not {sla!r}.")
    scheduler_flag = (get("KAIZEN_SCHEDULER") or "on").lower()
    if scheduler_flag not in {"on", "off"}:
        problems.append(f"KAIZEN_SCHEDULER must be on or off, not {scheduler_flag!r}.")

    log_level = (get("KAIZEN_LOG_LEVEL") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(
            f"KAIZEN_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}."
        )

    if problems:
        raise SettingsError(problems)
    return Settings(
        database_url=database_url,
        port=port,
        timezone=timezone,
        prompts_dir=Path(get("KAIZEN_PROMPTS_DIR") or "prompts"),
        log_level=log_level,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_api_url=slack_api_url,
        teams_client_id=teams_id,
        teams_client_secret=teams_secret,
        teams_tenant_id=tenant,
        llm_url=llm_url,
        llm_model=llm_model,
        llm_api_key=get("KAIZEN_LLM_API_KEY"),
        misfire_grace_minutes=int(grace),
        concern_sla_days=int(sla) if sla.isdigit() else 14,
        scheduler_enabled=scheduler_flag == "on",
    )


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
