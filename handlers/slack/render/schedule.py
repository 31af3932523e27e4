"""Block Kit for what the scheduler sends: nudges, the daily opening and summary, digests."""

from __future__ import annotations

from typing import Any

from bot.analysis.labels import display_name
from bot.digests.model import Digest
from bot.messenger import Message
from bot.schedule.content import CheckinOpened, DailySummary, Nudge, SummaryItem
from handlers.slack.render.checkin import nudge_blocks
from handlers.slack.render.common import Block, context, section
from handlers.slack.render.digest import digest_blocks, digest_fallback_text
from handlers.slack.text import escape, quote


def _items(title: str, items: tuple[SummaryItem, ...]) -> str:
    lines = [f"*{title}*"]
    for item in items:
        who = f" — {quote(item.author, 60)}" if item.author else ""
        lines.append(f"> {quote(item.text, 200)}{who}")
    return "\n".join(lines)


def summary_blocks(summary: DailySummary) -> list[Block]:
    who = f": {', '.join(quote(n, 40) for n in summary.answered)}" if summary.answered else ""
    blocks = [
        section(
            f":clipboard: *Check-in {summary.local_date:%a %d %b}*: "
            f"{summary.answered_count} of {summary.asked_count} answered{who}"
        )
    ]
    if summary.waits:
        blocks.append(section(_items(":hourglass: Waits", summary.waits)))
    if summary.rework:
        blocks.append(section(_items(":repeat: Rework", summary.rework)))
    if summary.new_concerns:
        lines = ["*:eyes: New concerns*"]
        for concern_id, kind, model, text in summary.new_concerns:
            model_part = f"*{quote(model, 60)}* · " if model else ""
            lines.append(f"• {model_part}{display_name(kind)} (#{concern_id}): {quote(text, 200)}")
        blocks.append(section("\n".join(lines)))
    if not (summary.waits or summary.rework or summary.new_concerns):
        blocks.append(context("No waits, rework or new concerns reported. :sparkles:"))
    if summary.late:
        blocks.append(context("Updated with answers that came in after the window closed."))
    return blocks


def render(message: Message) -> dict[str, Any]:
    """``chat.postMessage`` arguments (text and blocks) for a scheduler message."""
    content = message.content
    if isinstance(content, Nudge):
        blocks = nudge_blocks(
            content.channel_name, content.channel_id, content.local_date.isoformat()
        )
        if content.reminder:
            blocks[0] = section(
                f":bell: Reminder: your check-in for *#{escape(content.channel_name)}* is still "
                "open. A few words are enough."
            )
        return {"text": message.text, "blocks": blocks}
    if isinstance(content, CheckinOpened):
        return {
            "text": message.text,
            "blocks": [
                section(
                    f":sunrise: Today's check-in is open ({content.local_date:%a %d %b}). "
                    f"{content.people} people get a DM; the summary lands in this thread."
                )
            ],
        }
    if isinstance(content, DailySummary):
        return {"text": message.text, "blocks": summary_blocks(content)}
    if isinstance(content, Digest):
        return {"text": digest_fallback_text(content), "blocks": digest_blocks(content)}
    return {"text": escape(message.text)}
