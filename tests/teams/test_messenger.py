"""Proactive sends through ``TeamsMessenger``: nudges, digests, updates, 429s, missing refs."""

from __future__ import annotations

from datetime import date

import pytest
from microsoft_teams.cards import AdaptiveCard

from bot.messenger import Message, MessageRef, MessengerError, RateLimited
from bot.prompts import Question
from bot.schedule.content import Nudge
from bot.services.workflows import load_channel, week_digest
from handlers.teams.messenger import TeamsMessenger
from tests.teams.conftest import TeamsBot, visible_text
from tests.teams.test_conversation import ALICE, CHANNEL, actions_of

NUDGE = Nudge(
    channel_id=1,
    channel_name="ml-team",
    local_date=date(2026, 11, 25),
    questions=(Question("standup.today", "What's your main focus today?"),),
)


async def _no_sleep(seconds: float) -> None:
    return None


def messenger(bot: TeamsBot) -> TeamsMessenger:
    return TeamsMessenger(bot.host.app, bot.server.kaizen.db, sleep=_no_sleep)  # type: ignore[arg-type]


async def test_nudge_reaches_the_personal_chat(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.install(ALICE))
    teams_bot.connector.sent.clear()
    ref = await messenger(teams_bot).send_dm(ALICE, Message("Time for your check-in", NUDGE))
    (sent,) = teams_bot.connector.sent
    assert sent.conversation == ref.conversation == f"a:dm-{ALICE}"
    assert ref.message_id.isdigit()  # Teams message ids are numeric
    (card,) = sent.cards
    AdaptiveCard.model_validate(card)
    assert "Time for your check-in" in visible_text(card)
    assert {a["title"] for a in actions_of(card)} == {"Answer", "Skip today"}


async def test_answer_button_opens_the_form_in_place(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.in_channel(ALICE, CHANNEL, "concerns"))  # channel 1
    await teams_bot.post(teams_bot.make.dm(ALICE, "help"))
    await messenger(teams_bot).send_dm(ALICE, Message("check-in", NUDGE))
    answer = next(
        a for a in actions_of(teams_bot.connector.sent[-1].cards[0]) if a["title"] == "Answer"
    )
    body = await teams_bot.invoke(
        teams_bot.make.execute(
            ALICE, teams_bot.make.personal(ALICE), answer["verb"], answer["data"]
        )
    )
    form = body["value"]
    assert [a["verb"] for a in actions_of(form)] == ["checkin_submit"]


async def test_digest_posted_to_the_channel_and_updated(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.in_channel(ALICE, CHANNEL, "log waited 2 days on review"))
    kaizen = teams_bot.server.kaizen
    digest = await week_digest(kaizen, await load_channel(kaizen, 1))
    teams_bot.connector.sent.clear()
    m = messenger(teams_bot)
    ref = await m.post(CHANNEL, Message("Kaizen digest", digest))
    (sent,) = teams_bot.connector.sent
    assert sent.method == "POST" and sent.conversation == CHANNEL  # a new top-level post
    assert "Kaizen digest" in visible_text(sent.cards[0])
    await m.post(CHANNEL, Message("chart below"), thread=ref)
    assert teams_bot.connector.sent[-1].conversation == f"{CHANNEL};messageid={ref.message_id}"
    await m.update(ref, Message("Kaizen digest (late answer)", digest))
    update = teams_bot.connector.sent[-1]
    assert update.method == "PUT" and update.activity_id == ref.message_id


async def test_429_is_waited_out_once_then_raised(teams_bot: TeamsBot) -> None:
    await teams_bot.post(teams_bot.make.dm(ALICE, "help"))
    teams_bot.connector.sent.clear()
    m = messenger(teams_bot)
    teams_bot.connector.fail_next = [(429, "1")]
    await m.send_dm(ALICE, Message("hello"))
    assert [s.activity.get("text") for s in teams_bot.connector.sent] == ["hello"]

    teams_bot.connector.fail_next = [(429, "7"), (429, "7")]
    with pytest.raises(RateLimited) as caught:
        await m.send_dm(ALICE, Message("hello again"))
    assert caught.value.retry_after == 7.0


async def test_unknown_person_is_a_clear_error(teams_bot: TeamsBot) -> None:
    with pytest.raises(MessengerError, match=r"must be\s+installed"):
        await messenger(teams_bot).send_dm("29:nobody", Message("hi"))
    with pytest.raises(MessengerError):
        await messenger(teams_bot).update(MessageRef("a:unknown", "1"), Message("hi"))
