"""The check-in on Teams: a nudge card with *Answer* and *Skip today*, and the form of questions.

Teams has no modals a typed command can open, so the form is a card: one multiline
``Input.Text`` per question of the channel's question sets, optional ones marked, and a *Send*
button (``Action.Execute`` verb ``checkin_submit``). The data carries the channel, the day and a
form id, so a double click or a retried invoke stores the answers once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.prompts import Question
from bot.schedule.content import Nudge
from handlers.teams.cards.common import (
    Element,
    card,
    execute,
    heading,
    subtle,
    text_block,
    user_text,
)

CHECKIN_SUBMIT = "checkin_submit"
CHECKIN_OPEN = "checkin_open"
CHECKIN_SKIP = "checkin_skip"
MAX_QUESTIONS = 40
ANSWER_CHARS = 3000
REQUIRED_ERROR = "Please answer this one (a few words are enough)."


def input_id(question: Question) -> str:
    """Input ids share the action data with our own keys, so they get a prefix."""
    return f"q_{question.key}"


def checkin_card(
    questions: Sequence[Question],
    channel_name: str,
    channel_id: int,
    day: date,
    *,
    form: str | None = None,
    answers: Mapping[str, str] | None = None,
    error: str | None = None,
) -> Element:
    """The form; ``answers`` and ``error`` re-render it after a refused submission."""
    body: list[Element] = [
        heading(f"Check-in · #{user_text(channel_name, 80)} · {day:%a %d %b}"),
        subtle(
            "Answers are analysed for wastes and model concerns; only the digest shows them "
            "to the team.",
            spacing="None",
        ),
    ]
    if error:
        body.append(text_block(f"⚠️ {error}", color="Attention", weight="Bolder"))
    for q in list(questions)[:MAX_QUESTIONS]:
        label = q.text if not q.optional else f"{q.text} (optional)"
        element: Element = {
            "type": "Input.Text",
            "id": input_id(q),
            "label": label,
            "isMultiline": True,
            "maxLength": ANSWER_CHARS,
            "isRequired": not q.optional,
        }
        if not q.optional:
            element["errorMessage"] = REQUIRED_ERROR
        if answers and answers.get(q.key):
            element["value"] = answers[q.key]
        body.append(element)
    data = {"channel": channel_id, "date": day.isoformat(), "form": form or uuid.uuid4().hex}
    return card(
        body,
        actions=[execute("Send", CHECKIN_SUBMIT, data, style="positive")],
        fallback=f"Check-in for #{channel_name}",
    )


def answers_from(data: Mapping[str, Any], questions: Sequence[Question]) -> dict[str, str]:
    """The submitted answer per question key (missing or blank -> empty string)."""
    return {q.key: str(data.get(input_id(q)) or "").strip() for q in questions}


def missing_required(answers: Mapping[str, str], questions: Sequence[Question]) -> list[Question]:
    return [q for q in questions if not q.optional and not answers.get(q.key)]


def nudge_card(nudge: Nudge) -> Element:
    """The DM that asks for today's check-in; *Answer* turns it into the form in place."""
    data = {"channel": nudge.channel_id, "date": nudge.local_date.isoformat()}
    lead = "Reminder: your" if nudge.reminder else "👋 Time for your"
    return card(
        [
            text_block(
                f"{lead} check-in for **#{user_text(nudge.channel_name, 80)}** "
                f"({nudge.local_date:%a %d %b}). A minute is enough: what you waited on, what "
                "had to be redone, how the models are."
            ),
            subtle("Planning time off? Send me `skip <date>` (or `skip fri to mon`)."),
        ],
        actions=[
            execute("Answer", CHECKIN_OPEN, data, style="positive"),
            execute("Skip today", CHECKIN_SKIP, data),
        ],
        fallback=f"Time for your check-in for #{nudge.channel_name}.",
    )


def answered_card(understood: Sequence[str]) -> Element:
    lines = ["✅ Thanks, your check-in is in."]
    if understood:
        lines.append("Understood: " + "; ".join(understood))
    return card([text_block("\n\n".join(lines))], fallback=lines[0])


def skipped_card(day: date) -> Element:
    return card([text_block(f"💤 Skipped the check-in of {day:%a %d %b}. See you next time.")])
