"""The weekly digest as Block Kit: pure functions from :class:`~bot.digests.model.Digest` to dicts.

Layout, top to bottom, so the first screen answers "what changed and what is stuck?":
header, headline (the biggest change), participation, recurring wastes (one section each),
new wastes, totals by category (section fields), unresolved concerns (a section plus a
*Resolve* / *Assign* actions block each, overdue first), concerns resolved this week.

Slack rejects a whole message for one oversized block, so every limit is enforced here rather
than hoped for: at most :data:`MAX_BLOCKS` blocks (long lists are cut and a context block says
"…and N more"), section text <= 3000 characters, fields <= 10 of <= 2000 characters, header
<= 150, button text <= 75, ids <= 255. All user text (channel and person names, theme labels,
quotes, model names, summaries) is escaped with :func:`handlers.slack.text.escape`, so a quote
such as ``<!channel>`` shows as text and never pings anyone.

This module must not import ``slack_sdk``: it is pure data in, dicts out, and the tests check
the result against ``slack_sdk``'s validators.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.analysis.labels import display_name
from bot.digests.model import ConcernItem, Digest, WasteTheme
from bot.digests.text import (
    CONCERNS_COMMAND_HINT,
    MAX_CONCERNS,
    MAX_NEW,
    MAX_QUOTES,
    MAX_RESOLVED,
    MAX_THEMES,
    QUIET_MESSAGE,
    QUOTE_CHARS,
    SUMMARY_CHARS,
    age_phrase,
    format_hours,
    headline_text,
    more_phrase,
    ordered_concerns,
    participation_phrase,
    plural,
    quote_author,
    short_date,
    theme_stats,
    visible_people,
)
from handlers.slack.text import escape, quote, truncate_escaped

Block = dict[str, Any]

MAX_BLOCKS = 50
SECTION_CHARS = 3000
FIELD_CHARS = 2000
MAX_FIELDS = 10
HEADER_CHARS = 150
CONTEXT_CHARS = 2000
BUTTON_CHARS = 75
ID_CHARS = 255

RESOLVE_ACTION = "concern_resolve"
ASSIGN_ACTION = "concern_assign"


# --- block builders ---------------------------------------------------------------------------


def _mrkdwn(text: str, limit: int = SECTION_CHARS) -> dict[str, str]:
    """A ``mrkdwn`` text object cut to ``limit``; ``text`` must already be escaped."""
    return {"type": "mrkdwn", "text": truncate_escaped(text, limit)}


def _plain(text: str, limit: int) -> dict[str, Any]:
    """A ``plain_text`` object (header, buttons); ``text`` must already be escaped."""
    return {"type": "plain_text", "text": truncate_escaped(text, limit), "emoji": True}


def _section(block_id: str, text: str, fields: Iterable[str] = ()) -> Block:
    block: Block = {"type": "section", "block_id": block_id, "text": _mrkdwn(text)}
    field_list = [_mrkdwn(field, FIELD_CHARS) for field in fields][:MAX_FIELDS]
    if field_list:
        block["fields"] = field_list
    return block


def _context(block_id: str, *texts: str) -> Block:
    elements = [_mrkdwn(text, CONTEXT_CHARS) for text in texts if text][:10]
    return {"type": "context", "block_id": block_id, "elements": elements}


def _divider(block_id: str) -> Block:
    return {"type": "divider", "block_id": block_id}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": _plain(text, BUTTON_CHARS),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _unique_ids(blocks: list[Block]) -> list[Block]:
    """Make block_ids unique and <= 255 chars: Slack rejects a message with a duplicate."""
    seen: set[str] = set()
    for block in blocks:
        base = str(block.get("block_id", block["type"]))[: ID_CHARS - 8]
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}-{n}"
        seen.add(candidate)
        block["block_id"] = candidate
    return blocks


# --- parts of the digest ----------------------------------------------------------------------


def _channel(digest: Digest) -> str:
    return escape(digest.channel_name.lstrip("#"))


def _header(digest: Digest) -> Block:
    # Slack channel names cannot contain & < >, so escaping never shows an entity here; it
    # still runs because the name comes from outside.
    text = f"Kaizen digest · #{_channel(digest)} · {digest.iso_week}"
    return {"type": "header", "block_id": "header", "text": _plain(text, HEADER_CHARS)}


def _participation(digest: Digest) -> Block:
    texts = [f":busts_in_silhouette: {participation_phrase(digest.participation)}"]
    people = visible_people(digest)
    if people:
        texts.append(truncate_escaped(escape(" · ".join(people)), CONTEXT_CHARS))
    return _context("participation", *texts)


def _theme_block(index: int, digest: Digest, theme: WasteTheme) -> Block:
    label = quote(theme.label, 150)
    lines = [
        f"*{index}. {label}* · {display_name(theme.category)}",
        theme_stats(theme),
    ]
    for item in theme.quotes[:MAX_QUOTES]:
        author = quote_author(digest, item)
        by = f" — {quote(author, 60)}" if author else ""
        lines.append(f"> “{quote(item.text, QUOTE_CHARS)}”{by}")
    return _section(f"waste-{index}", "\n".join(lines))


def _new_block(digest: Digest) -> Block:
    lines = ["*New this week*"]
    for theme in digest.new_wastes[:MAX_NEW]:
        mentions = plural(theme.count, "mention")
        name = display_name(theme.category)
        lines.append(f"• {quote(theme.label, 150)} · {name} · {mentions}")
    if len(digest.new_wastes) > MAX_NEW:
        lines.append(f"_{more_phrase(len(digest.new_wastes) - MAX_NEW, 'new themes')}_")
    return _section("new-wastes", "\n".join(lines))


def _totals_block(digest: Digest) -> Block:
    totals = sorted(digest.totals, key=lambda t: (-t.mentions, -t.hours_lost))
    fields = []
    for total in totals:
        hours = f" · {format_hours(total.hours_lost)} lost" if total.hours_lost else ""
        fields.append(
            f"*{escape(display_name(total.category))}*\n{plural(total.mentions, 'mention')}{hours}"
        )
    if len(fields) > MAX_FIELDS:
        fields = [*fields[: MAX_FIELDS - 1], f"_{more_phrase(len(fields) - 9, 'categories')}_"]
    return _section("totals", "*This week by waste category*", fields)


def concern_blocks(concern: ConcernItem) -> list[Block]:
    title = []
    if concern.overdue:
        title.append(":warning: *Overdue*")
    if concern.model:
        title.append(f"*{quote(concern.model, 80)}*")
    title.append(f"{display_name(concern.kind)} (#{concern.id})")
    owner = f"owner: {quote(concern.owner, 60)}" if concern.owner else "_no owner yet_"
    meta = (
        f"{age_phrase(concern.age_days)} · {owner} · "
        f"last mentioned {short_date(concern.last_mention)}"
    )
    text = "\n".join([" · ".join(title), quote(concern.summary, SUMMARY_CHARS), meta])
    value = str(concern.id)
    actions: Block = {
        "type": "actions",
        "block_id": f"concern-actions-{value}",
        "elements": [
            _button("Resolve", RESOLVE_ACTION, value, "primary"),
            _button("Assign", ASSIGN_ACTION, value),
        ],
    }
    return [_section(f"concern-{value}", text), actions]


def _resolved_block(digest: Digest) -> Block:
    lines = ["*Resolved this week*"]
    for item in digest.resolved[:MAX_RESOLVED]:
        model = f"*{quote(item.model, 80)}* · " if item.model else ""
        who = f" by {quote(item.resolved_by, 60)}" if item.resolved_by else ""
        when = short_date(item.resolved_at.date())
        lines.append(
            f":white_check_mark: {model}{display_name(item.kind)}: {quote(item.summary, 160)}"
            f" — resolved{who} on {when}"
        )
    if len(digest.resolved) > MAX_RESOLVED:
        lines.append(f"_{more_phrase(len(digest.resolved) - MAX_RESOLVED, 'resolved concerns')}_")
    return _section("resolved", "\n".join(lines))


def _quiet_blocks(digest: Digest) -> list[Block]:
    blocks = [_header(digest), _section("quiet", f":seedling: {QUIET_MESSAGE}")]
    if digest.participation.asked:
        blocks.append(_participation(digest))
    return blocks


# --- public API -------------------------------------------------------------------------------


def digest_blocks(digest: Digest) -> list[Block]:
    """The digest as a list of Block Kit blocks (plain dicts) that Slack accepts as one message.

    Recurring wastes are capped at :data:`~bot.digests.text.MAX_THEMES` and concerns at what
    the remaining block budget allows (each takes a section and an actions block); whatever is
    cut is counted in a context block ("…and N more").
    """
    if digest.is_empty:
        return _unique_ids(_quiet_blocks(digest))

    head: list[Block] = [
        _header(digest),
        _section("headline", f"*{quote(headline_text(digest), 500)}*"),
        _participation(digest),
    ]

    wastes: list[Block] = []
    if digest.recurring:
        wastes.append(_section("recurring-title", f"*Recurring wastes* ({len(digest.recurring)})"))
        for index, theme in enumerate(digest.recurring[:MAX_THEMES], start=1):
            wastes.append(_theme_block(index, digest, theme))
        hidden = len(digest.recurring) - MAX_THEMES
        if hidden > 0:
            wastes.append(_context("recurring-more", more_phrase(hidden, "recurring wastes")))
    if digest.new_wastes:
        wastes.append(_new_block(digest))
    if digest.totals:
        wastes.append(_totals_block(digest))
    if wastes:
        wastes.insert(0, _divider("wastes-divider"))

    tail: list[Block] = [_resolved_block(digest)] if digest.resolved else []

    concerns: list[Block] = []
    if digest.unresolved:
        ordered = ordered_concerns(digest)
        # Title, divider and a possible "more" line take 3 blocks; each concern takes 2.
        room = MAX_BLOCKS - len(head) - len(wastes) - len(tail) - 3
        shown = max(0, min(len(ordered), MAX_CONCERNS, room // 2))
        concerns.append(_divider("concerns-divider"))
        title = f"*Unresolved MLOps concerns* ({len(ordered)})"
        overdue = sum(1 for concern in ordered if concern.overdue)
        if overdue:
            title += f" · :warning: {overdue} overdue"
        concerns.append(_section("concerns-title", title))
        for concern in ordered[:shown]:
            concerns.extend(concern_blocks(concern))
        if len(ordered) > shown:
            more = more_phrase(len(ordered) - shown, "unresolved concerns")
            concerns.append(_context("concerns-more", f"{more} `{CONCERNS_COMMAND_HINT}`"))

    blocks = [*head, *wastes, *concerns, *tail]
    return _unique_ids(blocks[:MAX_BLOCKS])


def digest_fallback_text(digest: Digest) -> str:
    """The message's ``text``: what notifications, screen readers and old clients show.

    One escaped line, <= 3000 characters: channel, week, headline and the counts that matter.
    """
    prefix = f"Kaizen digest for #{_channel(digest)}, {digest.iso_week}: "
    if digest.is_empty:
        return truncate_escaped(prefix + "a quiet week.", SECTION_CHARS)
    counts = [plural(len(digest.recurring), "recurring waste")]
    if digest.unresolved:
        overdue = sum(1 for concern in digest.unresolved if concern.overdue)
        concerns = plural(len(digest.unresolved), "unresolved concern")
        counts.append(concerns + (f" ({overdue} overdue)" if overdue else ""))
    if digest.resolved:
        counts.append(f"{len(digest.resolved)} resolved")
    headline = quote(headline_text(digest), 500)
    return truncate_escaped(f"{prefix}{headline} {', '.join(counts)}.", SECTION_CHARS)
