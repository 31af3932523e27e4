import pytest

from bot.db import Database
from bot.errors import InvalidInput
from bot.models import Channel
from bot.services.channels import ChannelChanges, configure_channel
from tests.conftest import Team


async def test_configure_normalises_what_people_type(db: Database, team: Team) -> None:
    channel = await configure_channel(
        db,
        team.channel_id,
        ChannelChanges(
            checkin_days="sun-thu",
            checkin_time="9:05",
            timezone="Asia/Jerusalem",
            digest_day="Thursday",
            models=["churn-v3", " fraud-scorer ", "churn-v3"],
            question_sets=["standup", "model_health"],
            reminders_off=True,
            anonymous=True,
        ),
        known_question_sets={"standup", "wastes", "model_health"},
    )
    assert channel.checkin_days == "mon,tue,wed,thu,sun"
    assert channel.checkin_time == "09:05"
    assert channel.digest_day == "thu"
    assert channel.models == ["churn-v3", "fraud-scorer"]
    assert channel.reminder_delay_minutes is None
    assert channel.anonymous is True


async def test_invalid_setup_names_every_problem_and_saves_nothing(
    db: Database, team: Team
) -> None:
    with pytest.raises(InvalidInput) as info:
        await configure_channel(
            db,
            team.channel_id,
            ChannelChanges(
                checkin_days="mon-funday",
                checkin_time="25:00",
                timezone="Berlin",
                question_sets=["standup", "astrology"],
                paused=True,
            ),
            known_question_sets={"standup", "wastes"},
        )
    message = str(info.value)
    for part in ("funday", "25:00", "Berlin", "astrology"):
        assert part in message
    async with db.session() as s:
        channel = await s.get(Channel, team.channel_id)
    assert channel is not None and channel.paused is False and channel.checkin_time == "09:30"
