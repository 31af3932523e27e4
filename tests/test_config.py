from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, SettingsError, load_settings


def problems_for(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load_settings(env, env_file=None)
    return info.value.problems


def test_empty_environment_means_sandbox_on_local_sqlite() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.port == 3000
    assert settings.sandbox
    assert settings.describe_platforms().startswith("local sandbox")


def test_user_token_in_bot_token_slot_is_explained() -> None:
    problems = problems_for({"SLACK_BOT_TOKEN": "xoxp-123", "SLACK_SIGNING_SECRET": "s"})
    assert len(problems) == 1
    assert "xoxb-" in problems[0] and "SLACK_BOT_TOKEN" in problems[0]


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_for(
        {
            "PORT": "eighty",
            "KAIZEN_TIMEZONE": "Mars/Olympus",
            "SLACK_APP_TOKEN": "xoxb-wrong-kind",
            "DATABASE_URL": "mysql://root@localhost/k",
            "KAIZEN_LLM_URL": "http://localhost:11434/v1",
        }
    )
    text = "\n".join(problems)
    for expected in ("PORT", "KAIZEN_TIMEZONE", "xapp-", "DATABASE_URL", "KAIZEN_LLM_MODEL"):
        assert expected in text
    assert "needs SLACK_BOT_TOKEN" in text


def test_socket_mode_and_http_mode_are_told_apart() -> None:
    socket = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, env_file=None
    )
    http = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, env_file=None)
    assert socket.slack_socket_mode and not socket.sandbox
    assert not http.slack_socket_mode and http.slack_enabled
    assert socket.describe_platforms() == "Slack (Socket Mode)"


def test_teams_needs_all_three_values() -> None:
    assert any("TENANT_ID" in p for p in problems_for({"CLIENT_ID": "abc"}))
    both = load_settings(
        {
            "CLIENT_ID": "id",
            "CLIENT_SECRET": "secret",
            "TENANT_ID": "tenant",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
        },
        env_file=None,
    )
    assert both.teams_enabled and both.slack_enabled
    assert both.describe_platforms() == "Slack (Socket Mode) + Microsoft Teams"


def test_env_file_is_read_and_process_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nKAIZEN_TIMEZONE=Europe/Berlin\nSLACK_BOT_TOKEN=\n")
    settings = load_settings({"PORT": "5000"}, env_file=env_file)
    assert settings.port == 5000
    assert settings.timezone == "Europe/Berlin"
    assert settings.slack_bot_token is None  # an empty value in .env means unset


def test_slack_api_url_gets_the_trailing_slash_slack_sdk_needs() -> None:
    settings = load_settings({"SLACK_API_URL": "http://127.0.0.1:9999/api"}, env_file=None)
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"


def test_scheduling_knobs_are_validated() -> None:
    settings = load_settings(
        {"KAIZEN_CONCERN_SLA_DAYS": "7", "KAIZEN_MISFIRE_GRACE_MINUTES": "30"}, env_file=None
    )
    assert (settings.concern_sla_days, settings.misfire_grace_minutes) == (7, 30)
    problems = problems_for(
        {
            "KAIZEN_CONCERN_SLA_DAYS": "0",
            "KAIZEN_MISFIRE_GRACE_MINUTES": "-5",
            "KAIZEN_SCHEDULER": "maybe",
        }
    )
    text = "\n".join(problems)
    assert "KAIZEN_CONCERN_SLA_DAYS" in text and "KAIZEN_MISFIRE_GRACE_MINUTES" in text
    assert "KAIZEN_SCHEDULER" in text
