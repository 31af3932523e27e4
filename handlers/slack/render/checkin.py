"""The check-in: a DM nudge with *Answer* and *Skip today*, and the modal of questions."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.prompts import Question
from handlers.slack import ids
from handlers.slack.render.common import (
    Block,
    actions,
    button,
    context,
    modal,
    section,
    text_input,
)
from handlers.slack.text import escape


def nudge_blocks(channel_name: str, channel_id: int, local_date: str) -> list[Block]:
    value = json.dumps({"c": channel_id, "d": local_date})
    return [
        section(
            f":wave: Time for your check-in for *#{escape(channel_name)}*. "
            "A minute is enough: what you waited on, what had to be redone, how the models are."
        ),
        actions(
            button("Answer", ids.CHECKIN_ANSWER, value, "primary"),
            button("Skip today", ids.CHECKIN_SKIP, value),
            block_id="nudge-actions",
        ),
        context("You can also reply in this thread. `/kaizen skip <date>` to plan time off."),
    ]


def checkin_modal(
    questions: Sequence[Question], channel_name: str, metadata: dict[str, object]
) -> Block:
    """One multiline input per question; optional questions are marked and may stay empty."""
    blocks: list[Block] = [
        context(
            f"Check-in for *#{escape(channel_name)}* · answers are analysed for wastes and "
            "model concerns; only the digest shows them to the team."
        ),
    ]
    for q in questions[:40]:
        blocks.append(
            text_input(
                q.key,
                ids.A_TEXT,
                q.text,
                optional=q.optional,
                hint="Optional" if q.optional else None,
                max_length=3000,
            )
        )
    return modal(
        ids.VIEW_CHECKIN,
        "Check-in",
        blocks,
        submit="Send",
        private_metadata=json.dumps(metadata),
    )


def answered_text(understood: list[str]) -> str:
    if not understood:
        return ":white_check_mark: Thanks, your check-in is in."
    return ":white_check_mark: Thanks, your check-in is in. Understood: " + "; ".join(understood)
