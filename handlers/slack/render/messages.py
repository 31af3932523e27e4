"""Ephemeral answers to ``/kaizen`` subcommands and button clicks."""

from __future__ import annotations

from collections.abc import Sequence

from bot.analysis.labels import display_name
from bot.commands import help_lines
from bot.digests.model import ConcernItem
from bot.services.analysis import ReplyAnalysis
from bot.services.stats import Stats
from handlers.slack import ids
from handlers.slack.render.common import Block, actions, button, context, section
from handlers.slack.render.digest import concern_blocks
from handlers.slack.text import escape, quote


def help_blocks(unknown: str | None = None) -> list[Block]:
    intro = (
        "Kaizen runs continuous-improvement check-ins: it names the wastes your team keeps "
        "running into and tracks model-health concerns until someone resolves them."
    )
    blocks: list[Block] = []
    if unknown is not None:
        blocks.append(
            section(f":thinking_face: I don't know `{quote(unknown, 60)}`. Here is what I can do:")
        )
    else:
        blocks.append(section(intro))
    blocks.append(section("\n".join(help_lines())))
    blocks.append(context("Tip: you can also right-click any message → *Log as waste*."))
    return blocks


def help_text(unknown: str | None = None) -> str:
    lead = f"I don't know '{unknown}'. " if unknown is not None else ""
    return lead + "Commands: " + ", ".join(line.split("`")[1] for line in help_lines())


def labels_phrase(analysis: ReplyAnalysis) -> str:
    found = [display_name(w) for w in analysis.reading.wastes] + [
        display_name(c) for c in analysis.reading.concerns
    ]
    return ", ".join(f"*{f}*" for f in found) if found else "_no waste or concern recognised_"


def logged_blocks(analysis: ReplyAnalysis, text: str) -> list[Block]:
    """The answer to ``/kaizen log``: what was understood, how often it recurs, and undo."""
    reading = analysis.reading
    details = [f"Understood: {labels_phrase(analysis)}"]
    if reading.hours_lost:
        details.append(f"about *{reading.hours_lost:g} h* lost")
    if reading.model:
        details.append(f"model *{quote(reading.model, 80)}*")
    lines = [" · ".join(details)]
    if reading.theme is not None:
        if analysis.theme_replies > 1:
            lines.append(
                f":repeat: This is theme *{quote(reading.theme.label, 80)}*, now "
                f"mentioned {analysis.theme_replies} times."
            )
        else:
            lines.append(f":new: New theme *{quote(reading.theme.label, 80)}*.")
    value = str(analysis.reply_id)
    return [
        section(":white_check_mark: Logged. " + "\n".join(lines), block_id="logged"),
        section("> " + quote(text, 500), block_id="logged-text"),
        actions(
            button("Change category", ids.LOG_CHANGE_CATEGORY, value),
            button("Open as concern", ids.LOG_OPEN_CONCERN, value),
            button("Undo", ids.LOG_UNDO, value, style="danger"),
            block_id="logged-actions",
        ),
    ]


def concerns_blocks(items: Sequence[ConcernItem], channel_name: str) -> list[Block]:
    if not items:
        return [section(f":tada: No open MLOps concerns in #{escape(channel_name)}.")]
    blocks: list[Block] = [
        section(f"*Open MLOps concerns in #{escape(channel_name)}* ({len(items)})")
    ]
    shown = items[:20]  # 2 blocks each, well inside the 50-block message limit
    for item in shown:
        blocks.extend(concern_blocks(item))
    if len(items) > len(shown):
        blocks.append(context(f"…and {len(items) - len(shown)} more."))
    return blocks


def resolved_section(item_id: int, summary: str, by_user: str, note: str | None) -> Block:
    """What a concern's blocks become once resolved, updated in place."""
    extra = f" — {quote(note, 300)}" if note else ""
    return section(
        f":white_check_mark: ~{quote(summary, 300)}~\nResolved by <@{by_user}>{extra} (#{item_id})",
        block_id=f"concern-{item_id}",
    )


def replace_concern(blocks: list[Block], concern_id: int, new: list[Block]) -> list[Block]:
    """A message's blocks with one concern's section and buttons swapped for ``new``."""
    ids_to_replace = {f"concern-{concern_id}", f"concern-actions-{concern_id}"}
    out: list[Block] = []
    inserted = False
    for block in blocks:
        if block.get("block_id") in ids_to_replace:
            if not inserted:
                out.extend(new)
                inserted = True
            continue
        out.append(block)
    return out


def stats_blocks(stats: Stats, channel_name: str) -> list[Block]:
    rate = f"{stats.answered}/{stats.asked} check-ins answered" if stats.asked else "no check-ins"
    lines = [f"*Last four weeks in #{escape(channel_name)}*: {rate}"]
    if stats.people:
        lines.append(
            " · ".join(f"{quote(name, 40)} {done}/{asked}" for name, done, asked in stats.people)
        )
    if stats.top_wastes:
        lines.append(
            "*Top wastes:* "
            + ", ".join(
                f"{display_name(w)} ({n}{f', {h:g} h' if h else ''})"
                for w, n, h in stats.top_wastes
            )
        )
    if stats.top_themes:
        lines.append(
            "*Recurring:* " + ", ".join(f"{quote(label, 60)} ×{n}" for label, n in stats.top_themes)
        )
    return [section("\n".join(lines))]


def forget_confirm_blocks() -> list[Block]:
    confirm = {
        "title": {"type": "plain_text", "text": "Delete your data?"},
        "text": {
            "type": "mrkdwn",
            "text": "Every reply you gave Kaizen and what was read from them will be deleted. "
            "This cannot be undone.",
        },
        "confirm": {"type": "plain_text", "text": "Delete"},
        "deny": {"type": "plain_text", "text": "Keep"},
        "style": "danger",
    }
    return [
        section(
            "This deletes every reply you gave Kaizen, in every channel, and what was read from "
            "them. Concerns you opened stay on the team's list without your name."
        ),
        actions(button("Delete my data", ids.FORGET_CONFIRM, "confirm", "danger", confirm)),
    ]
