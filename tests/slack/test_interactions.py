"""Modals, buttons, the shortcut, App Home and events, end to end through the real app."""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import col, select

from bot.models import Channel, Concern, Finding, OccurrenceStatus, Reply
from bot.services import ledger
from handlers.sandbox.state import SlackView
from tests.slack.harness import Bot, buttons, eventually, text_of

ML = "C01MLTEAM"
ANNA, BEN, PRIYA, MAYA = "U01ANNA", "U02BEN", "U03PRIYA", "U05MAYA"


async def stored(bot: Bot) -> list[Reply]:
    async with bot.server.kaizen.db.session() as s:
        return list(await s.exec(select(Reply).order_by(col(Reply.id))))


def values_of(view: SlackView, answers: dict[str, str]) -> dict[str, dict[str, object]]:
    """Fill the text inputs of a modal the way a person would (block id -> text)."""
    return {
        b["block_id"]: {b["element"]["action_id"]: answers.get(b["block_id"], "")}
        for b in view.view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    }


async def test_checkin_modal_refuses_empty_required_answers_then_stores_and_acknowledges(
    bot: Bot,
) -> None:
    await bot.command(BEN, ML, "checkin")
    modal = await eventually(lambda: bot.slack.open_modal(BEN))
    keys = [b["block_id"] for b in modal.view["blocks"] if b["type"] == "input"]
    assert keys == ["standup.yesterday", "standup.today", "standup.blockers"]

    blank = values_of(modal, {"standup.yesterday": "shipped the eval job", "standup.today": "  "})
    refused = await bot.send(bot.factory.view_submission(BEN, modal, blank))
    assert refused.json()["response_action"] == "errors"
    assert set(refused.json()["errors"]) == {"standup.today", "standup.blockers"}
    assert await stored(bot) == []

    answers = {
        "standup.yesterday": "shipped the eval job",
        "standup.today": "feature store backfill",
        "standup.blockers": "blocked 2 days waiting for data access approval from security",
    }
    ok = await bot.send(bot.factory.view_submission(BEN, modal, values_of(modal, answers)))
    assert ok.status_code == 200 and not ok.content
    thanks = await eventually(
        lambda: [m for m in bot.dms(BEN) if "check-in is in" in (m.text or "")]
    )
    assert "Waiting" in thanks[-1].text
    rows = await stored(bot)
    assert [r.question_key for r in rows] == list(answers)
    assert all(r.source == "checkin" for r in rows)


async def test_setup_is_for_members_validates_inline_and_announces(bot: Bot) -> None:
    await bot.command(MAYA, ML, "setup")  # not a member of #ml-team, not an admin
    await eventually(lambda: any("Only members" in text_of(m) for m in bot.ephemeral(ML, MAYA)))
    assert bot.slack.open_modal(MAYA) is None

    await bot.command(PRIYA, ML, "setup")
    modal = await eventually(lambda: bot.slack.open_modal(PRIYA))
    values = {
        "days": {
            "v": {"type": "checkboxes", "selected_options": [{"value": "sun"}, {"value": "mon"}]}
        },
        "time": {"v": {"type": "timepicker", "selected_time": "08:45"}},
        "policy": {"v": {"type": "radio_buttons", "selected_option": {"value": "channel"}}},
        "timezone": {"v": {"type": "plain_text_input", "value": "Mars/Olympus"}},
        "sets": {
            "v": {
                "type": "checkboxes",
                "selected_options": [{"value": "standup"}, {"value": "model_health"}],
            }
        },
        "reminder": {"v": {"type": "static_select", "selected_option": {"value": "60"}}},
        "digest_day": {"v": {"type": "static_select", "selected_option": {"value": "thu"}}},
        "digest_time": {"v": {"type": "timepicker", "selected_time": "15:00"}},
        "anonymous": {"v": {"type": "checkboxes", "selected_options": [{"value": "on"}]}},
        "models": {"v": {"type": "plain_text_input", "value": "churn-v3, fraud-scorer"}},
    }
    bad = await bot.send(bot.factory.view_submission(PRIYA, modal, values))
    assert list(bad.json()["errors"]) == ["timezone"]
    values["timezone"]["v"]["value"] = "Asia/Jerusalem"
    good = await bot.send(bot.factory.view_submission(PRIYA, modal, values))
    assert good.status_code == 200
    note = await eventually(
        lambda: [m for m in bot.slack.history(ML) if "updated Kaizen" in (m.text or "")]
    )
    assert "08:45" in note[-1].text and "anonymous" in note[-1].text
    async with bot.server.kaizen.db.session() as s:
        channel = (await s.exec(select(Channel).where(Channel.platform_id == ML))).one()
    assert channel.checkin_days == "mon,sun" and channel.timezone == "Asia/Jerusalem"
    assert channel.models == ["churn-v3", "fraud-scorer"] and channel.anonymous
    assert channel.reminder_delay_minutes == 60 and channel.question_sets == [
        "standup",
        "model_health",
    ]


async def test_change_category_feeds_the_correction_back(bot: Bot) -> None:
    await bot.command(ANNA, ML, "log spent the morning hunting for the staging credentials")
    msg = (await eventually(lambda: bot.ephemeral(ML, ANNA)))[-1]
    click = bot.factory.block_action(
        ANNA,
        {"action_id": "log_change_category", "value": buttons(msg)["log_change_category"]},
        container=bot.factory.message_container(msg),
        channel_id=ML,
        message=msg,
    )
    await bot.send(click)
    modal = await eventually(lambda: bot.slack.open_modal(ANNA))
    choice = {
        "wastes": {
            "wastes_select": {
                "type": "multi_static_select",
                "selected_options": [{"value": "overprocessing"}],
            }
        },
        "concerns": {
            "concerns_select": {
                "type": "multi_static_select",
                "selected_options": [{"value": "security_privacy"}],
            }
        },
    }
    await bot.send(bot.factory.view_submission(ANNA, modal, choice))
    await eventually(lambda: "Extra-processing" in text_of(bot.slack.find_message(ML, msg.ts)))
    async with bot.server.kaizen.db.session() as s:
        labels = {(f.label, f.origin) for f in await s.exec(select(Finding))}
    assert labels == {("overprocessing", "user"), ("security_privacy", "user")}


async def test_assign_from_the_digest_updates_it_in_place_and_tells_the_owner(bot: Bot) -> None:
    await bot.command(ANNA, ML, "concern churn-v3 feature drift on tenure since the price change")
    await eventually(lambda: bot.ephemeral(ML, ANNA))
    await bot.command(ANNA, ML, "digest post")
    digest = (
        await eventually(
            lambda: [m for m in bot.slack.history(ML) if "concern_assign" in buttons(m)]
        )
    )[-1]
    click = bot.factory.block_action(
        ANNA,
        {"action_id": "concern_assign", "value": "1", "block_id": "concern-actions-1"},
        container=bot.factory.message_container(digest),
        channel_id=ML,
        message=digest,
    )
    await bot.send(click)
    modal = await eventually(lambda: bot.slack.open_modal(ANNA))
    pick = {"owner": {"owner_select": {"type": "users_select", "selected_user": BEN}}}
    await bot.send(bot.factory.view_submission(ANNA, modal, pick))
    await eventually(lambda: "owner: Ben" in text_of(bot.slack.find_message(ML, digest.ts)))
    await eventually(lambda: any("own concern #1" in (m.text or "") for m in bot.dms(BEN)))
    async with bot.server.kaizen.db.session() as s:
        concern = await s.get(Concern, 1)
    assert concern is not None and concern.status == "acknowledged"


async def test_log_as_waste_shortcut_stores_with_a_link(bot: Bot) -> None:
    original = bot.slack.post_message(
        ML, "CI queue was 40 minutes again, waited on it all morning", user=BEN
    )
    await bot.send(bot.factory.message_shortcut(ANNA, ML, original))
    modal = await eventually(lambda: bot.slack.open_modal(ANNA))
    assert modal.view["blocks"][0]["element"]["initial_value"].startswith("CI queue")
    suggested = modal.view["blocks"][1]["element"].get("initial_options", [])
    values = {
        "text": {"text_input": original.text},
        "wastes": {"wastes_select": {"type": "multi_static_select", "selected_options": suggested}},
        "concerns": {"concerns_select": {"type": "multi_static_select", "selected_options": []}},
    }
    await bot.send(bot.factory.view_submission(ANNA, modal, values))
    rows = await eventually(lambda: bot.ephemeral(ML, ANNA) and True)
    assert rows
    reply = (await stored(bot))[-1]
    assert (
        reply.source == "shortcut"
        and reply.permalink
        and original.ts.replace(".", "") in reply.permalink
    )


async def test_app_home_shows_concerns_and_next_checkin(bot: Bot) -> None:
    await bot.command(ANNA, ML, "concern fraud-scorer p99 latency above the SLA")
    await eventually(lambda: bot.ephemeral(ML, ANNA))
    async with bot.server.kaizen.db.session() as s:
        concern = await s.get(Concern, 1)
        assert concern is not None
        concern.owner_id = concern.opened_by_id
        s.add(concern)
        await s.commit()
    await bot.send(bot.factory.app_home_opened(ANNA))
    home = await eventually(lambda: bot.slack.home_view(ANNA))
    shown = json.dumps(home.view)
    assert "Concerns you own" in shown and "fraud-scorer" in shown
    assert "next check-in" in shown and "#ml-team" in shown


async def test_answer_in_the_nudge_thread_is_stored_once_despite_retries(bot: Bot) -> None:
    db = bot.server.kaizen.db
    await bot.command(BEN, ML, "stats")  # makes the channel and member known
    await eventually(lambda: bot.ephemeral(ML, BEN))
    async with db.session() as s:
        channel = (await s.exec(select(Channel).where(Channel.platform_id == ML))).one()
    from bot.models import Member

    async with db.session() as s:
        member = (await s.exec(select(Member).where(Member.platform_user_id == BEN))).one()
    dm = bot.slack.im_for(BEN).id
    nudge = bot.slack.post_message(dm, "Time for your check-in", user=bot.slack.bot_user_id)
    occ = await ledger.claim(
        db,
        kind="nudge",
        channel_id=channel.id or 0,
        member_id=member.id,
        local_date=date(2026, 11, 25),
        claimed_by="test",
    )
    assert occ and occ.id
    await ledger.mark(db, occ.id, OccurrenceStatus.SENT, message_ref=f"{dm}/{nudge.ts}")

    answer = bot.factory.dm_message(
        BEN, "waited all morning for the CI queue again", thread_ts=nudge.ts
    )
    assert (await bot.send(answer)).status_code == 200
    assert (await bot.send(bot.factory.retry(answer, retry_num=1))).status_code == 200
    assert (await bot.send(bot.factory.retry(answer, retry_num=2))).status_code == 200
    await eventually(
        lambda: any("Got it" in (m.text or "") for m in bot.slack.thread(dm, nudge.ts))
    )
    rows = await stored(bot)
    assert len(rows) == 1 and rows[0].occurrence_id == occ.id and rows[0].source == "checkin"

    stray = bot.factory.dm_message(BEN, "hello?")
    await bot.send(stray)
    await eventually(lambda: any("/kaizen log" in (m.text or "") for m in bot.dms(BEN)))
    assert len(await stored(bot)) == 1
