"""``kaizen schedule preview`` prints correct local times across daylight-saving changes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def lines(*args: str, env: dict[str, str] | None = None) -> list[str]:
    result = runner.invoke(app, ["schedule", "preview", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_the_example_from_the_docs_crosses_the_european_change() -> None:
    out = lines(
        "--days",
        "mon-fri",
        "--time",
        "09:30",
        "--tz",
        "Europe/Berlin",
        "--from",
        "2027-03-25",
        "--skip",
        "2027-03-26",
    )
    assert out == [
        "2027-03-25T09:30:00+01:00",
        "2027-03-29T09:30:00+02:00",
        "2027-03-30T09:30:00+02:00",
        "2027-03-31T09:30:00+02:00",
        "2027-04-01T09:30:00+02:00",
    ]


def test_american_fall_back_and_a_sunday_to_thursday_week() -> None:
    out = lines(
        "--days",
        "sun-thu",
        "--time",
        "01:30",
        "--tz",
        "America/New_York",
        "--from",
        "2027-11-05",
        "--count",
        "3",
    )
    assert out == [
        "2027-11-07T01:30:00-04:00",  # the first 01:30 of the doubled hour, once
        "2027-11-08T01:30:00-05:00",
        "2027-11-09T01:30:00-05:00",
    ]


def test_listed_days_and_a_time_the_clocks_skip() -> None:
    out = lines(
        "--days",
        "mon,wed,fri,sun",
        "--time",
        "02:30",
        "--tz",
        "Europe/Berlin",
        "--from",
        "2027-03-27",
        "--count",
        "3",
    )
    assert out == [
        "2027-03-28T03:30:00+02:00",  # 02:30 does not exist that night: moved forward
        "2027-03-29T02:30:00+02:00",
        "2027-03-31T02:30:00+02:00",
    ]


def test_bad_input_is_explained() -> None:
    result = runner.invoke(app, ["schedule", "preview", "--days", "mon-funday"])
    assert result.exit_code == 1 and "funday" in result.output
    result = runner.invoke(app, ["schedule", "preview", "--from", "next week"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output


def test_a_configured_channel_lists_each_members_zone(database_url: str, tmp_path: Path) -> None:
    import asyncio

    from bot.db import Database
    from bot.services import directory
    from bot.services.channels import ChannelChanges, configure_channel

    async def seed() -> None:
        db = Database(database_url)
        ws = await directory.ensure_workspace(db, "slack", "T1")
        ch = await directory.ensure_channel(db, ws.id or 0, "C1", "ml-team")
        await configure_channel(
            db,
            ch.id or 0,
            ChannelChanges(
                timezone="Europe/Berlin", timezone_policy="member", checkin_days="mon-fri"
            ),
        )
        for uid, tz in (("U1", "Europe/Berlin"), ("U2", "America/New_York")):
            m = await directory.ensure_member(db, ws.id or 0, uid, uid, tz)
            await directory.set_channel_membership(db, ch.id or 0, m.id or 0)
        await db.dispose()

    asyncio.run(seed())
    out = runner.invoke(
        app,
        ["schedule", "preview", "--channel", "C1", "--from", "2027-03-29", "--count", "1"],
        env={"DATABASE_URL": database_url},
    )
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == [
        "# America/New_York: U2",
        "2027-03-29T09:30:00-04:00",
        "# Europe/Berlin: U1",
        "2027-03-29T09:30:00+02:00",
    ]
