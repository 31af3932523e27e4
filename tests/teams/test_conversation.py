"""Teams end to end: activities in at /api/messages, what a person would see at the connector."""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import AdaptiveCard
from sqlmodel import select

from bot.models import Concern, ConversationRef, Member, Reply
from handlers.teams.cards.checkin import CHECKIN_SUBMIT
from tests.teams.conftest import BOT_ID, TENANT, Activities, TeamsBot, visible_text

ALICE, BOB = "29:alice", "29:bob"
CHANNEL = "19:mlteam@thread.tacv2"


def validated(card: dict[str, Any]) -> dict[str, Any]:
    """Every card the bot sends must be a valid Adaptive Card 1.5 for the SDK's models."""
    AdaptiveCard.model_validate(card)
    assert card["version"] == "1.5"
    return card


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def inputs_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in card["body"] if str(e.get("type", "")).startswith("Input.")]


async def rows(bot: TeamsBot, model: Any) -> list[Any]:
    async with bot.server.kaizen.db.session() as s:
        return list(await s.exec(select(model)))


async def test_help_and_unknown_command(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.dm(ALICE, "help"))
    await teams_bot.post(teams_bot.make.dm(ALICE, "frobnicate the widgets"))
    dm = teams_bot.connector.to(f"a:dm-{ALICE}")
    assert len(dm) == 2
    for sent in dm:
        validated(sent.cards[0])
    help_text = dm[0].text
    for usage in ("log <what happened>", "concern [model] <text>", "resolve <id> [note]",
                  "digest [post]", "checkin", "setup", "skip <date>", "forget-me"):  # fmt: skip
        assert usage in help_text.replace("\\", "")
    assert "I don't know" in dm[1].text and "frobnicate" in dm[1].text


async def test_log_is_stored_once_and_answered_with_labels(teams_bot: TeamsBot) -> None:
    activity = teams_bot.make.in_channel(ALICE, CHANNEL, "log waited 2 days for a review")
    await teams_bot.post(activity)
    await teams_bot.post(activity)  # Teams delivers it again: same activity id
    replies = await rows(teams_bot, Reply)
    assert [r.text for r in replies] == ["waited 2 days for a review"]  # mention stripped
    answers = teams_bot.connector.sent
    assert len(answers) == 1
    # the answer goes to the thread the command was typed in
    assert answers[0].conversation == f"{CHANNEL};messageid=1700000000000"
    validated(answers[0].cards[0])
    assert "Logged" in answers[0].text and "Waiting" in answers[0].text


async def test_channel_message_stores_conversation_refs(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.in_channel(ALICE, CHANNEL, "help"))
    await teams_bot.post(teams_bot.make.dm(ALICE, "help"))
    refs = {r.key: r for r in await rows(teams_bot, ConversationRef)}
    assert set(refs) == {CHANNEL, ALICE}
    assert refs[CHANNEL].conversation_id == CHANNEL  # no thread suffix: new posts go top-level
    assert refs[ALICE].conversation_id == f"a:dm-{ALICE}"
    assert all(r.tenant_id == TENANT and r.bot_id == BOT_ID for r in refs.values())
    assert refs[ALICE].service_url == teams_bot.make.service_url


async def test_commands_about_a_channel_explain_themselves_in_personal_chat(
    teams_bot: TeamsBot,
) -> None:
    await teams_bot.post(teams_bot.make.dm(ALICE, "concerns"))
    (answer,) = teams_bot.connector.sent
    assert "works in a channel" in answer.text


async def test_concern_list_and_resolve_button_updates_card(teams_bot: TeamsBot) -> None:
    make = teams_bot.make
    await teams_bot.post(make.in_channel(ALICE, CHANNEL, "concern recall fell to 0.61 on churn"))
    (concern,) = await rows(teams_bot, Concern)
    opened = teams_bot.connector.sent[-1]
    assert f"#{concern.id}" in opened.text
    await teams_bot.post(make.in_channel(BOB, CHANNEL, "concerns"))
    listing = validated(teams_bot.connector.sent[-1].cards[0])
    assert "recall fell to 0.61" in visible_text(listing)
    resolve = next(a for a in actions_of(listing) if a["verb"] == "concern_resolve")

    body = await teams_bot.invoke(
        make.execute(BOB, Activities.channel_thread(CHANNEL), resolve["verb"], resolve["data"])
    )
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    updated = validated(body["value"])
    assert "resolved concern" in visible_text(updated)
    assert "No open MLOps concerns" in visible_text(updated)
    (concern,) = await rows(teams_bot, Concern)
    assert concern.status == "resolved"

    again = await teams_bot.invoke(
        make.execute(BOB, Activities.channel_thread(CHANNEL), resolve["verb"], resolve["data"])
    )
    assert again["type"] == "application/vnd.microsoft.activity.message"  # card left as it was


async def test_assign_takes_ownership_in_place(teams_bot: TeamsBot) -> None:
    make = teams_bot.make
    await teams_bot.post(make.in_channel(ALICE, CHANNEL, "concern drift on the fraud scorer"))
    card = teams_bot.connector.sent[-1].cards[0]
    assign = next(a for a in actions_of(card) if a["verb"] == "concern_assign")
    body = await teams_bot.invoke(
        make.execute(BOB, Activities.channel_thread(CHANNEL), assign["verb"], assign["data"])
    )
    text = visible_text(validated(body["value"]))
    assert "Bob now owns" in text and "owner: Bob" in text


async def test_checkin_card_refuses_missing_answers_then_stores(teams_bot: TeamsBot) -> None:
    make = teams_bot.make
    await teams_bot.post(make.in_channel(ALICE, CHANNEL, "checkin"))
    form = validated(teams_bot.connector.sent[-1].cards[0])
    fields = inputs_of(form)
    assert fields and all(f["type"] == "Input.Text" and f["isMultiline"] for f in fields)
    required = [f for f in fields if f["isRequired"]]
    assert required
    (send,) = actions_of(form)
    assert send["verb"] == CHECKIN_SUBMIT

    partial = {**send["data"], required[0]["id"]: "shipped the feature store"}
    body = await teams_bot.invoke(
        make.execute(ALICE, Activities.channel_thread(CHANNEL), CHECKIN_SUBMIT, partial)
    )
    again = validated(body["value"])
    assert "Please answer" in visible_text(again)
    kept = {f["id"]: f.get("value") for f in inputs_of(again)}
    assert kept[required[0]["id"]] == "shipped the feature store"  # nothing typed is lost
    assert await rows(teams_bot, Reply) == []

    full = {**send["data"], **{f["id"]: f"waited 3 hours on review ({f['id']})" for f in fields}}
    activity = make.execute(ALICE, Activities.channel_thread(CHANNEL), CHECKIN_SUBMIT, full)
    body = await teams_bot.invoke(activity)
    assert "your check-in is in" in visible_text(validated(body["value"]))
    await teams_bot.invoke(activity)  # a retried invoke stores nothing twice
    replies = await rows(teams_bot, Reply)
    assert len(replies) == len(fields)
    assert {r.source for r in replies} == {"checkin"}


async def test_setup_card_validates_and_saves(teams_bot: TeamsBot) -> None:
    make = teams_bot.make
    await teams_bot.post(make.in_channel(ALICE, CHANNEL, "setup"))
    form = validated(teams_bot.connector.sent[-1].cards[0])
    values = {f["id"]: f.get("value", "") for f in inputs_of(form)}
    assert {"days", "time", "policy", "timezone", "sets", "reminder", "digest_day",
            "digest_time", "anonymous", "models"} <= set(values)  # fmt: skip
    (save,) = actions_of(form)
    bad = {**save["data"], **values, "timezone": "Mars/Olympus"}
    body = await teams_bot.invoke(
        make.execute(ALICE, Activities.channel_thread(CHANNEL), save["verb"], bad)
    )
    assert "Mars/Olympus" in visible_text(validated(body["value"]))
    good = {**save["data"], **values, "days": "mon,wed", "time": "10:15", "models": "churn-v3"}
    body = await teams_bot.invoke(
        make.execute(ALICE, Activities.channel_thread(CHANNEL), save["verb"], good)
    )
    assert "check-ins on mon, wed at 10:15" in visible_text(validated(body["value"]))


async def test_forget_me_deletes_data_and_reference(teams_bot: TeamsBot) -> None:
    make = teams_bot.make
    await teams_bot.post(make.in_channel(ALICE, CHANNEL, "log waited on the GPU queue"))
    await teams_bot.post(make.dm(ALICE, "forget-me"))
    confirm = validated(teams_bot.connector.sent[-1].cards[0])
    delete = next(a for a in actions_of(confirm) if a["verb"] == "forget_confirm")
    body = await teams_bot.invoke(
        make.execute(ALICE, Activities.personal(ALICE), delete["verb"], delete["data"])
    )
    assert "deleted 1 replies" in visible_text(validated(body["value"]))
    assert await rows(teams_bot, Reply) == []
    assert [m.platform_user_id for m in await rows(teams_bot, Member)] == []
    assert ALICE not in {r.key for r in await rows(teams_bot, ConversationRef)}


async def test_install_stores_reference_and_greets(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.install(ALICE))
    assert ALICE in {r.key for r in await rows(teams_bot, ConversationRef)}
    (greeting,) = teams_bot.connector.to(f"a:dm-{ALICE}")
    assert "Kaizen runs continuous-improvement check-ins" in greeting.text


async def test_user_text_cannot_format_cards(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.in_channel(ALICE, CHANNEL, "log **waited** [x](http://e)"))
    card = teams_bot.connector.sent[-1].cards[0]
    quoted = next(b for b in card["body"] if b["type"] == "Container")["items"][0]["text"]
    assert "**" not in quoted.replace("\\*", "") and "](" not in quoted
