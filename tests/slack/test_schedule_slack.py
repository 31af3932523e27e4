"""The scheduler through the real Slack path: nudge DM, Answer, modal, summary thread, digest."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from bot.models import ChannelMember, Reply
from tests.slack.harness import Bot, buttons, eventually, text_of

ML = "C01MLTEAM"
BEN, PRIYA = "U02BEN", "U03PRIYA"


async def test_a_day_of_check_ins_in_slack(bot: Bot) -> None:
    await bot.command(PRIYA, ML, "setup")
    modal = await eventually(lambda: bot.slack.open_modal(PRIYA))
    values = {
        "days": {
            "v": {
                "type": "checkboxes",
                "selected_options": [{"value": d} for d in ("mon", "tue", "wed", "thu", "fri")],
            }
        },
        "time": {"v": {"type": "timepicker", "selected_time": "09:30"}},
        "policy": {"v": {"type": "radio_buttons", "selected_option": {"value": "channel"}}},
        "timezone": {"v": {"type": "plain_text_input", "value": "Europe/Berlin"}},
        "sets": {"v": {"type": "checkboxes", "selected_options": [{"value": "standup"}]}},
        "reminder": {"v": {"type": "static_select", "selected_option": {"value": "off"}}},
        "digest_day": {"v": {"type": "static_select", "selected_option": {"value": "fri"}}},
        "digest_time": {"v": {"type": "timepicker", "selected_time": "16:00"}},
        "anonymous": {"v": {"type": "checkboxes", "selected_options": []}},
        "models": {"v": {"type": "plain_text_input", "value": ""}},
    }
    await bot.send(bot.factory.view_submission(PRIYA, modal, values))
    await eventually(lambda: any("updated Kaizen" in (m.text or "") for m in bot.slack.history(ML)))
    async with bot.server.kaizen.db.session() as s:
        active = list(await s.exec(select(ChannelMember).where(col(ChannelMember.active))))
    assert len(active) == 3  # Anna, Ben and Priya are in #ml-team; the bot is not nudged

    scheduler = bot.server.scheduler
    bot.clock.now = datetime(2026, 11, 30, 8, 31, tzinfo=UTC)  # Mon 09:31 in Berlin
    report = await scheduler.run_due()
    assert report.count("nudge") == 3 and report.count("opening") == 1
    nudge = next(m for m in bot.dms(BEN) if "checkin_answer" in buttons(m))
    assert "#ml-team" in text_of(nudge)
    assert (await scheduler.run_due()).sent == []  # nothing twice

    click = bot.factory.block_action(
        BEN,
        {"action_id": "checkin_answer", "value": buttons(nudge)["checkin_answer"]},
        container=bot.factory.message_container(nudge),
        channel_id=nudge.channel,
        message=nudge,
    )
    await bot.send(click)
    form = await eventually(lambda: bot.slack.open_modal(BEN))
    answers = {
        "standup.yesterday": "finished the eval harness",
        "standup.today": "retraining churn-v3",
        "standup.blockers": "blocked two days waiting for GPU quota from infra",
    }
    values = {k: {"text_input": v} for k, v in answers.items()}
    await bot.send(bot.factory.view_submission(BEN, form, values))
    await eventually(
        lambda: any(
            "check-in is in" in (m.text or "") for m in bot.slack.thread(nudge.channel, nudge.ts)
        )
    )
    async with bot.server.kaizen.db.session() as s:
        linked = list(await s.exec(select(Reply).where(col(Reply.occurrence_id).is_not(None))))
    assert len(linked) == 3

    bot.clock.now = datetime(2026, 11, 30, 16, 31, tzinfo=UTC)  # window closed at 17:30 Berlin
    report = await scheduler.run_due()
    assert report.count("summary") == 1
    opening = next(m for m in bot.slack.history(ML) if "check-in is open" in text_of(m))
    summary = bot.slack.thread(ML, opening.ts)[-1]
    assert "1 of 3 answered" in text_of(summary) and "GPU quota" in text_of(summary)

    bot.clock.now = datetime(2026, 12, 4, 15, 1, tzinfo=UTC)  # Fri 16:01 in Berlin
    await scheduler.run_due()
    digest = [m for m in bot.slack.history(ML) if "Kaizen digest" in text_of(m)]
    assert len(digest) == 1
    assert any(f.content.startswith(b"\x89PNG") for f in bot.slack.files.values())
    assert bot.slack.invalid_payloads == []


async def test_the_daily_profile_refresh_follows_moves_and_departures(bot: Bot) -> None:
    from bot.models import Member
    from handlers.slack.app import refresh_profiles

    await bot.command(PRIYA, ML, "setup")
    modal = await eventually(lambda: bot.slack.open_modal(PRIYA))
    values = {
        "days": {"v": {"type": "checkboxes", "selected_options": [{"value": "mon"}]}},
        "time": {"v": {"type": "timepicker", "selected_time": "09:30"}},
        "policy": {"v": {"type": "radio_buttons", "selected_option": {"value": "member"}}},
        "timezone": {"v": {"type": "plain_text_input", "value": "Europe/Berlin"}},
        "sets": {"v": {"type": "checkboxes", "selected_options": [{"value": "standup"}]}},
        "reminder": {"v": {"type": "static_select", "selected_option": {"value": "off"}}},
        "digest_day": {"v": {"type": "static_select", "selected_option": {"value": "fri"}}},
        "digest_time": {"v": {"type": "timepicker", "selected_time": "16:00"}},
    }
    await bot.send(bot.factory.view_submission(PRIYA, modal, values))
    await eventually(lambda: any("updated Kaizen" in (m.text or "") for m in bot.slack.history(ML)))

    bot.slack.users[BEN].tz = "Asia/Tokyo"  # Ben moved
    bot.slack.leave(ML, PRIYA)  # Priya left the channel

    async def reach(team: str):  # type: ignore[no-untyped-def]
        return await bot.server.scheduler.messenger_for("slack", team)

    await refresh_profiles(bot.server.kaizen, reach)
    async with bot.server.kaizen.db.session() as s:
        ben = (await s.exec(select(Member).where(Member.platform_user_id == BEN))).one()
        active = {
            m.platform_user_id
            for m in await s.exec(
                select(Member)
                .join(ChannelMember, col(ChannelMember.member_id) == col(Member.id))
                .where(col(ChannelMember.active))
            )
        }
    assert ben.timezone == "Asia/Tokyo"
    assert active == {"U01ANNA", BEN}
