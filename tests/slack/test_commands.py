"""``/kaizen`` subcommands end to end: signed request in, what the user sees in Slack out."""

from __future__ import annotations

import json

from sqlmodel import col, select

from bot.models import Concern, Finding, MemberSkip, Reply
from tests.slack.harness import Bot, buttons, eventually, text_of

ML = "C01MLTEAM"
ANNA, BEN, MAYA = "U01ANNA", "U02BEN", "U05MAYA"


async def replies(bot: Bot) -> list[Reply]:
    async with bot.server.kaizen.db.session() as s:
        return list(await s.exec(select(Reply).order_by(col(Reply.id))))


async def test_help_is_the_default_and_names_an_unknown_subcommand(bot: Bot) -> None:
    await bot.command(BEN, ML, "")
    first = await eventually(lambda: bot.ephemeral(ML, BEN))
    assert "/kaizen log" in text_of(first[-1]) and "/kaizen forget-me" in text_of(first[-1])

    await bot.command(BEN, ML, "frobnicate now")
    answer = await eventually(lambda: len(bot.ephemeral(ML, BEN)) == 2 and bot.ephemeral(ML, BEN))
    assert "I don't know `frobnicate`" in text_of(answer[-1])
    assert bot.slack.invalid_payloads == []


async def test_log_stores_analyses_and_answers_with_labels_theme_and_buttons(bot: Bot) -> None:
    await bot.command(ANNA, ML, "log waited 2 days for the infra team to raise our GPU quota")
    msg = (await eventually(lambda: bot.ephemeral(ML, ANNA)))[-1]
    shown = text_of(msg)
    assert "Waiting" in shown and "16 h" in shown
    assert set(buttons(msg)) == {"log_change_category", "log_open_concern", "log_undo"}
    stored = await replies(bot)
    assert len(stored) == 1 and stored[0].source == "command"
    assert stored[0].analysed_at is not None

    await bot.command(BEN, ML, "log still no GPU quota bump from infra, sweep blocked again")
    second = (await eventually(lambda: bot.ephemeral(ML, BEN)))[-1]
    assert "mentioned 2 times" in text_of(second)  # the theme recurs across people
    assert bot.slack.invalid_payloads == []


async def test_user_text_is_escaped_and_never_pings(bot: Bot) -> None:
    await bot.command(ANNA, ML, "log <!channel> <@U02BEN> waited on *review* & <https://x|link>")
    msg = (await eventually(lambda: bot.ephemeral(ML, ANNA)))[-1]
    raw = json.dumps(msg.blocks)
    assert "<!channel>" not in raw and "<@U02BEN>" not in raw
    assert "&lt;!channel&gt;" in raw and "&amp;" in raw
    for call in bot.calls("chat.postMessage") + bot.calls("response_url"):
        assert call.params.get("link_names") in (None, False, "false", "0")


async def test_empty_log_and_a_command_in_a_dm_get_friendly_guidance(bot: Bot) -> None:
    await bot.command(ANNA, ML, "log   ")
    msg = (await eventually(lambda: bot.ephemeral(ML, ANNA)))[-1]
    assert "Tell me what happened" in text_of(msg)
    dm = bot.slack.im_for(ANNA).id
    await bot.command(ANNA, dm, "log waited on review")
    answer = (await eventually(lambda: bot.ephemeral(dm, ANNA)))[-1]
    assert "works in a channel" in text_of(answer)
    assert await replies(bot) == []


async def test_a_40000_character_log_is_stored_whole_and_shown_cut(bot: Bot) -> None:
    text = "waited on the review again. " * 1430
    text = text[:40_000]
    await bot.command(ANNA, ML, "log " + text)
    msg = (await eventually(lambda: bot.ephemeral(ML, ANNA)))[-1]
    assert "…" in text_of(msg)
    stored = await replies(bot)
    assert len(stored[0].text) == len(text.strip())
    assert bot.slack.invalid_payloads == []


async def test_undo_removes_the_entry_and_updates_the_message(bot: Bot) -> None:
    await bot.command(ANNA, ML, "log rolled back the deploy, had to redo the migration")
    msg = (await eventually(lambda: bot.ephemeral(ML, ANNA)))[-1]
    reply_id = buttons(msg)["log_undo"]
    other = bot.factory.block_action(
        BEN,
        {"action_id": "log_undo", "value": reply_id},
        container=bot.factory.message_container(msg),
        channel_id=ML,
        message=msg,
    )
    await bot.send(other)
    await eventually(lambda: any("only the person" in text_of(m) for m in bot.ephemeral(ML, BEN)))
    assert len(await replies(bot)) == 1

    click = bot.factory.block_action(
        ANNA,
        {"action_id": "log_undo", "value": reply_id},
        container=bot.factory.message_container(msg),
        channel_id=ML,
        message=msg,
    )
    assert (await bot.send(click)).status_code == 200
    await eventually(lambda: "Undone" in text_of(bot.slack.find_message(ML, msg.ts)))
    assert await replies(bot) == []


async def test_concern_list_resolve_by_button_and_by_command(bot: Bot) -> None:
    await bot.command(ANNA, ML, "concern churn-v3 recall fell to 0.61 on new customers")
    opened = (await eventually(lambda: bot.ephemeral(ML, ANNA)))[-1]
    assert "Tracking concern #1" in text_of(opened)
    await bot.command(ANNA, ML, "concern fraud-scorer p99 latency is over the 150ms SLA at peak")
    await eventually(lambda: len(bot.ephemeral(ML, ANNA)) == 2)
    async with bot.server.kaizen.db.session() as s:
        rows = {c.id: c for c in await s.exec(select(Concern))}
    assert rows[1].model == "churn-v3" and rows[1].kind == "model_quality"
    assert rows[2].kind == "serving_sla"

    await bot.command(BEN, ML, "concerns")
    listing = (await eventually(lambda: bot.ephemeral(ML, BEN)))[-1]
    assert "Open MLOps concerns" in text_of(listing)
    click = bot.factory.block_action(
        BEN,
        {"action_id": "concern_resolve", "value": "1", "block_id": "concern-actions-1"},
        container=bot.factory.message_container(listing),
        channel_id=ML,
        message=listing,
    )
    await bot.send(click)
    updated = await eventually(
        lambda: (
            "Resolved by" in text_of(bot.slack.find_message(ML, listing.ts))
            and bot.slack.find_message(ML, listing.ts)
        )
    )
    assert "concern_resolve" in buttons(updated)  # #2 still has its buttons
    assert "<@U02BEN>" in text_of(updated)

    await bot.command(ANNA, ML, "resolve #2 added request batching")
    announced = await eventually(
        lambda: [m for m in bot.slack.history(ML) if "resolved concern #2" in (m.text or "")]
    )
    assert "added request batching" in announced[-1].text
    await bot.command(ANNA, ML, "resolve 2")
    await eventually(lambda: any("already resolved" in text_of(m) for m in bot.ephemeral(ML, ANNA)))
    await bot.command(ANNA, ML, "resolve 999")
    await eventually(lambda: any("no concern #999" in text_of(m) for m in bot.ephemeral(ML, ANNA)))
    await bot.command(ANNA, ML, "resolve the-latency-one")
    await eventually(lambda: any("by its number" in text_of(m) for m in bot.ephemeral(ML, ANNA)))
    assert bot.slack.invalid_payloads == []


async def test_digest_preview_and_post_with_chart(bot: Bot) -> None:
    await bot.command(ANNA, ML, "log waited 3 days for data access approval")
    await eventually(lambda: bot.ephemeral(ML, ANNA))
    await bot.command(ANNA, ML, "digest")
    preview = await eventually(
        lambda: len(bot.ephemeral(ML, ANNA)) == 2 and bot.ephemeral(ML, ANNA)
    )
    assert "Kaizen digest" in text_of(preview[-1])
    await bot.command(ANNA, ML, "digest post")
    posted = await eventually(
        lambda: [m for m in bot.slack.history(ML) if m.ephemeral_to is None and m.blocks]
    )
    assert "Kaizen digest" in text_of(posted[-1])
    chart = await eventually(lambda: bot.slack.files and list(bot.slack.files.values()))
    assert chart[0].content.startswith(b"\x89PNG")
    assert bot.slack.invalid_payloads == []


async def test_pause_resume_skip_and_stats(bot: Bot) -> None:
    await bot.command(MAYA, ML, "pause")  # Maya is not in #ml-team and not an admin
    await eventually(lambda: any("Only members" in text_of(m) for m in bot.ephemeral(ML, MAYA)))
    await bot.command(BEN, ML, "pause")
    await eventually(
        lambda: any("paused check-ins" in (m.text or "") for m in bot.slack.history(ML))
    )
    await bot.command(BEN, ML, "resume")
    await eventually(
        lambda: any("resumed check-ins" in (m.text or "") for m in bot.slack.history(ML))
    )

    await bot.command(BEN, ML, "skip tomorrow")
    await eventually(
        lambda: any("no check-ins for you" in text_of(m) for m in bot.ephemeral(ML, BEN))
    )
    await bot.command(BEN, ML, "skip 2026-12-24 to 2027-01-02")
    await bot.command(BEN, ML, "skip someday")
    await eventually(
        lambda: any("not a date I understand" in text_of(m) for m in bot.ephemeral(ML, BEN))
    )
    async with bot.server.kaizen.db.session() as s:
        spans = [
            (k.first_day.isoformat(), k.last_day.isoformat())
            for k in await s.exec(select(MemberSkip))
        ]
    assert ("2026-11-26", "2026-11-26") in spans and ("2026-12-24", "2027-01-02") in spans

    await bot.command(BEN, ML, "stats")
    await eventually(lambda: any("Last four weeks" in text_of(m) for m in bot.ephemeral(ML, BEN)))


async def test_forget_me_asks_then_deletes(bot: Bot) -> None:
    await bot.command(ANNA, ML, "log copy-pasted the metrics into the model card by hand again")
    await eventually(lambda: bot.ephemeral(ML, ANNA))
    await bot.command(ANNA, ML, "forget-me")
    ask = await eventually(
        lambda: [m for m in bot.ephemeral(ML, ANNA) if "forget_confirm" in buttons(m)]
    )
    assert len(await replies(bot)) == 1  # nothing deleted before confirming
    click = bot.factory.block_action(
        ANNA,
        {"action_id": "forget_confirm", "value": "confirm"},
        container=bot.factory.message_container(ask[-1]),
        channel_id=ML,
        message=ask[-1],
    )
    await bot.send(click)
    await eventually(
        lambda: "I deleted 1 replies" in text_of(bot.slack.find_message(ML, ask[-1].ts))
    )
    assert await replies(bot) == []
    async with bot.server.kaizen.db.session() as s:
        assert list(await s.exec(select(Finding))) == []
