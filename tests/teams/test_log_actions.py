"""The buttons of a logged entry on Teams: *Change category*, *Open as concern*, *Undo*.

Slack's modals become forms that replace the card in place; the inputs arrive merged into the
submit button's data, as Teams sends them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.models import Channel, Concern, Finding, Reply
from handlers.teams.cards.messages import (
    LOG_BACK,
    LOG_CHANGE_CATEGORY,
    LOG_CONCERN_SUBMIT,
    LOG_LABELS_SUBMIT,
    LOG_OPEN_CONCERN,
    LOG_UNDO,
)
from tests.teams.conftest import Activities, TeamsBot, visible_text
from tests.teams.test_conversation import ALICE, BOB, CHANNEL, actions_of, rows, validated

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
THREAD = Activities.channel_thread(CHANNEL)


async def log(bot: TeamsBot, text: str) -> dict[str, Any]:
    """``log <text>`` by Alice in the channel; the card she gets back."""
    await bot.post(bot.make.in_channel(ALICE, CHANNEL, f"log {text}"))
    return validated(bot.connector.sent[-1].cards[0])


def button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    return next(a for a in actions_of(card) if a["verb"] == verb)


async def click(
    bot: TeamsBot, user: str, verb: str, data: dict[str, Any], conversation: Any = None
) -> dict[str, Any]:
    body = await bot.invoke(bot.make.execute(user, conversation or THREAD, verb, data))
    assert body["statusCode"] == 200
    if body["type"] == CARD:
        validated(body["value"])
    return body


def field(card: dict[str, Any], id_: str) -> dict[str, Any]:
    return next(e for e in card["body"] if e.get("id") == id_)


async def findings(bot: TeamsBot) -> list[Finding]:
    return await rows(bot, Finding)


async def test_logged_card_has_the_three_buttons(teams_bot: TeamsBot) -> None:
    card = await log(teams_bot, "waited 2 days for a review")
    (reply,) = await rows(teams_bot, Reply)
    verbs = [a["verb"] for a in actions_of(card)]
    assert verbs == [LOG_CHANGE_CATEGORY, LOG_OPEN_CONCERN, LOG_UNDO]
    assert all(a["data"] == {"reply": reply.id} for a in actions_of(card))
    assert [a["title"] for a in actions_of(card)] == ["Change category", "Open as concern", "Undo"]


async def test_change_category_by_the_author_stores_user_labels(teams_bot: TeamsBot) -> None:
    logged = await log(teams_bot, "waited 2 days for a review")
    change = button(logged, LOG_CHANGE_CATEGORY)
    body = await click(teams_bot, ALICE, change["verb"], change["data"])
    form = body["value"]
    wastes, found = field(form, "wastes"), field(form, "concerns")
    assert wastes["type"] == found["type"] == "Input.ChoiceSet"
    assert wastes["isMultiSelect"] and found["isMultiSelect"]
    assert wastes["value"] == "waiting"  # pre-selected with the entry's current labels
    assert "value" not in found
    assert "waited 2 days for a review" in visible_text(form)

    save = button(form, LOG_LABELS_SUBMIT)
    data = {**save["data"], "wastes": "defects,motion", "concerns": "model_quality"}
    body = await click(teams_bot, ALICE, save["verb"], data)
    assert body["type"] == CARD
    text = visible_text(body["value"])
    assert "Category changed" in text and "Defects (rework)" in text and "Model quality" in text
    assert LOG_UNDO in [a["verb"] for a in actions_of(body["value"])]  # the logged card again
    stored = {(f.kind, f.label, f.origin) for f in await findings(teams_bot)}
    assert stored == {
        ("waste", "defects", "user"),
        ("waste", "motion", "user"),
        ("concern", "model_quality", "user"),
    }


async def test_change_category_is_refused_for_someone_else(teams_bot: TeamsBot) -> None:
    logged = await log(teams_bot, "waited 2 days for a review")
    before = {(f.label, f.origin) for f in await findings(teams_bot)}
    change = button(logged, LOG_CHANGE_CATEGORY)
    body = await click(teams_bot, BOB, change["verb"], change["data"])
    assert body["type"] == MESSAGE and "only the person who logged" in body["value"]
    # a forged submission is refused too
    data = {**change["data"], "wastes": "defects", "concerns": ""}
    body = await click(teams_bot, BOB, LOG_LABELS_SUBMIT, data)
    assert body["type"] == MESSAGE and "only the person who logged" in body["value"]
    assert {(f.label, f.origin) for f in await findings(teams_bot)} == before


async def test_change_category_back_and_unknown_label(teams_bot: TeamsBot) -> None:
    logged = await log(teams_bot, "waited 2 days for a review")
    data = button(logged, LOG_CHANGE_CATEGORY)["data"]
    body = await click(teams_bot, ALICE, LOG_LABELS_SUBMIT, {**data, "wastes": "laziness"})
    assert body["type"] == MESSAGE
    body = await click(teams_bot, ALICE, LOG_BACK, data)
    text = visible_text(body["value"])
    assert "Logged" in text and "Waiting" in text
    assert {f.origin for f in await findings(teams_bot)} == {"offline"}


async def test_open_as_concern_links_the_reply(teams_bot: TeamsBot) -> None:
    await log(teams_bot, "first entry, so the channel exists")
    async with teams_bot.server.kaizen.db.session() as s:
        (channel,) = await s.exec(select(Channel))
        channel.models = ["churn-v3"]
        s.add(channel)
        await s.commit()
    text = "churn-v3 recall fell to 0.61 on new customers"
    logged = await log(teams_bot, text)
    reply = next(r for r in await rows(teams_bot, Reply) if r.text == text)
    opener = button(logged, LOG_OPEN_CONCERN)
    body = await click(teams_bot, BOB, opener["verb"], opener["data"])
    form = body["value"]
    kind = field(form, "kind")
    assert kind["type"] == "Input.ChoiceSet" and not kind.get("isMultiSelect")
    best = [
        f.label
        for f in sorted(await findings(teams_bot), key=lambda f: -f.confidence)
        if f.reply_id == reply.id and f.kind == "concern"
    ]
    assert kind.get("value") == (best[0] if best else None)
    assert field(form, "model")["value"] == "churn-v3"
    assert field(form, "summary")["value"] == text

    submit = button(form, LOG_CONCERN_SUBMIT)
    missing = {**submit["data"], "kind": "drift_retraining", "model": "churn-v3", "summary": " "}
    body = await click(teams_bot, BOB, submit["verb"], missing)
    assert "Describe the concern" in visible_text(body["value"])  # the form again
    assert field(body["value"], "kind")["value"] == "drift_retraining"

    chosen = {**missing, "summary": "recall fell on new customers"}
    body = await click(teams_bot, BOB, submit["verb"], chosen)
    opened = [c for c in await rows(teams_bot, Concern) if c.source_reply_id == reply.id]
    assert len(opened) == 1
    concern = opened[0]
    assert (concern.kind, concern.model, concern.summary) == (
        "drift_retraining",
        "churn-v3",
        "recall fell on new customers",
    )
    shown = visible_text(body["value"])
    assert f"#{concern.id}" in shown and "Drift and retraining" in shown
    assert {a["verb"] for a in actions_of(body["value"])} == {"concern_resolve", "concern_assign"}


async def test_undo_only_by_the_author(teams_bot: TeamsBot) -> None:
    logged = await log(teams_bot, "waited 2 days for a review")
    undo = button(logged, LOG_UNDO)
    body = await click(teams_bot, BOB, undo["verb"], undo["data"])
    assert body["type"] == MESSAGE and "only the person who logged" in body["value"]
    assert len(await rows(teams_bot, Reply)) == 1

    body = await click(teams_bot, ALICE, undo["verb"], undo["data"])
    assert body["type"] == CARD
    assert "Undone: that entry is deleted." in visible_text(body["value"])
    assert await rows(teams_bot, Reply) == []
    assert await findings(teams_bot) == []

    again = await click(teams_bot, ALICE, undo["verb"], undo["data"])
    assert again["type"] == MESSAGE  # the card stays; nothing left to undo


async def test_buttons_only_reach_entries_of_their_channel(teams_bot: TeamsBot) -> None:
    logged = await log(teams_bot, "waited 2 days for a review")
    elsewhere = Activities.channel_thread("19:other@thread.tacv2")
    for verb in (LOG_CHANGE_CATEGORY, LOG_OPEN_CONCERN, LOG_UNDO):
        data = button(logged, verb)["data"]
        body = await click(teams_bot, ALICE, verb, data, elsewhere)
        assert body["type"] == MESSAGE and "no longer exists" in body["value"]
    assert len(await rows(teams_bot, Reply)) == 1
