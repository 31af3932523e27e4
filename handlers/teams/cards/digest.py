"""The weekly digest as an Adaptive Card 1.5 for Microsoft Teams: pure data in, a dict out.

Same content and order as the Slack digest: title, headline, participation, recurring wastes,
new wastes, totals (a FactSet), unresolved concerns (overdue first, each with *Resolve* and
*Assign* ``Action.Execute`` buttons that come back as ``adaptiveCard/action`` invokes with the
verb and ``{"concern_id": id}``), then concerns resolved this week. Long lists are cut with
"…and N more" so a typical card stays far below the 28 KB webhook limit (bots get ~80 KB).

Every piece of user text goes through :func:`escape_card_text` before it reaches a TextBlock.
"""

from __future__ import annotations

import re
from typing import Any

from bot.analysis.labels import display_name
from bot.digests.model import ConcernItem, Digest, WasteTheme
from bot.digests.text import (
    MAX_CONCERNS,
    MAX_NEW,
    MAX_QUOTES,
    MAX_RESOLVED,
    MAX_THEMES,
    QUIET_MESSAGE,
    QUOTE_CHARS,
    SUMMARY_CHARS,
    age_phrase,
    clean,
    format_hours,
    headline_text,
    more_phrase,
    ordered_concerns,
    participation_phrase,
    plural,
    quote_author,
    short_date,
    shorten,
    theme_stats,
    visible_people,
    week_span,
)

Element = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
RESOLVE_VERB = "concern_resolve"
ASSIGN_VERB = "concern_assign"

# U+2060 WORD JOINER: invisible, not whitespace, and not something any Markdown parser skips.
# Putting it next to a character breaks a construct that needs two characters to be adjacent
# ("](" of a link, "<at" of a tag, "&amp;" of an entity, "- " at the start of a line).
WJ = "\u2060"

_BACKSLASH_RE = re.compile(r"([\\*_`~])")
_ADJACENCY = {"<": "<" + WJ, "&": "&" + WJ, ">": WJ + ">", "]": "]" + WJ, ")": ")" + WJ}
_ADJACENCY_RE = re.compile("[<&>\\])]")
_LINE_START_RE = re.compile(r"^([ \t]*)([#+\-=]|\d{1,9}[.)])", re.MULTILINE)


def escape_card_text(text: str) -> str:
    """Neutralise the Adaptive Card Markdown subset (and a little more) in user text.

    What is escaped, and how:

    * ``\\`` ``*`` ``_`` `````` ``~`` get a backslash. Emphasis (``**bold**``, ``_italic_``),
      code and strike-through can only be disarmed by a backslash; the shared Adaptive Card
      parser (Teams mobile) also honours it for emphasis. ``\\`` is escaped first so a user's
      own backslash cannot cancel ours.
    * ``<``, ``>``, ``&`` are kept visible but joined with an invisible WORD JOINER
      (``<`` + WJ, WJ + ``>``, ``&`` + WJ), so no HTML tag, ``<at>`` mention, ``<url>``
      autolink or entity (``&amp;``) can form. A backslash would not do: the shared parser
      turns ``<`` into ``&lt;`` itself and would then show the backslash.
    * ``]`` and ``)`` are followed by a word joiner: a link ``[text](url)`` needs ``](``
      adjacent, and the shared parser restarts block parsing after ``]`` and ``)``.
      ``[`` and ``(`` alone are harmless, so they stay as typed.
    * At the start of a line: ``#`` (heading), ``-`` ``+`` (lists), ``=`` (setext underline),
      ``1.`` / ``1)`` (ordered list) and ``>`` (quote) are preceded by a word joiner, so the
      line no longer starts with a marker; mid-line they mean nothing.
    * ``{{`` gets a word joiner between the braces: ``{{DATE(...)}}`` and ``{{TIME(...)}}`` are
      Adaptive Card functions that hosts would otherwise evaluate.

    The text reads the same on every client; only a copy-paste carries the invisible joiners.
    """
    text = _BACKSLASH_RE.sub(r"\\\1", text)
    text = _ADJACENCY_RE.sub(lambda m: _ADJACENCY[m.group()], text)
    text = text.replace("{{", "{" + WJ + "{")
    return _LINE_START_RE.sub(lambda m: m.group(1) + WJ + m.group(2), text)


def _user(text: str, limit: int) -> str:
    """User text folded onto one line, cut to ``limit`` characters, then escaped."""
    return escape_card_text(shorten(clean(text), limit))


# --- element builders -------------------------------------------------------------------------


def _text(text: str, **props: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def _heading(text: str) -> Element:
    return _text(text, size="Medium", weight="Bolder", style="heading", spacing="Large")


def _subtle(text: str, **props: Any) -> Element:
    return _text(text, isSubtle=True, size="Small", **props)


def _container(items: list[Element], **props: Any) -> Element:
    return {"type": "Container", "items": items, **props}


def _execute(title: str, verb: str, concern_id: int, **props: Any) -> Element:
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": {"concern_id": concern_id},
        **props,
    }


# --- parts of the digest ----------------------------------------------------------------------


def _title(digest: Digest) -> list[Element]:
    channel = _user(digest.channel_name.lstrip("#"), 80)
    return [
        _text(
            f"Kaizen digest · #{channel} · {digest.iso_week}",
            size="Large",
            weight="Bolder",
            style="heading",
        ),
        _subtle(week_span(digest.week_start, digest.week_end), spacing="None"),
    ]


def _participation(digest: Digest) -> list[Element]:
    items = [_text(participation_phrase(digest.participation), isSubtle=True)]
    people = visible_people(digest)
    if people:
        items.append(_subtle(_user(" · ".join(people), 1000), spacing="None"))
    return items


def _theme(index: int, digest: Digest, theme: WasteTheme) -> Element:
    items = [
        _text(f"**{index}. {_user(theme.label, 150)}** · {display_name(theme.category)}"),
        _subtle(theme_stats(theme), spacing="None"),
    ]
    quotes = []
    for quote in theme.quotes[:MAX_QUOTES]:
        author = quote_author(digest, quote)
        by = f" — {_user(author, 60)}" if author else ""
        quotes.append(_text(f"“{_user(quote.text, QUOTE_CHARS)}”{by}", spacing="Small"))
    if quotes:
        items.append(_container(quotes, style="emphasis", spacing="Small"))
    return _container(items, separator=True, spacing="Medium")


def _wastes(digest: Digest) -> list[Element]:
    body: list[Element] = []
    if digest.recurring:
        body.append(_heading(f"Recurring wastes ({len(digest.recurring)})"))
        for index, theme in enumerate(digest.recurring[:MAX_THEMES], start=1):
            body.append(_theme(index, digest, theme))
        if len(digest.recurring) > MAX_THEMES:
            hidden = len(digest.recurring) - MAX_THEMES
            body.append(_subtle(more_phrase(hidden, "recurring wastes")))
    if digest.new_wastes:
        body.append(_heading(f"New this week ({len(digest.new_wastes)})"))
        for theme in digest.new_wastes[:MAX_NEW]:
            mentions = plural(theme.count, "mention")
            label = _user(theme.label, 150)
            body.append(
                _text(f"{label} · {display_name(theme.category)} · {mentions}", spacing="Small")
            )
        if len(digest.new_wastes) > MAX_NEW:
            body.append(_subtle(more_phrase(len(digest.new_wastes) - MAX_NEW, "new themes")))
    if digest.totals:
        body.append(_heading("This week by waste category"))
        facts = []
        for total in sorted(digest.totals, key=lambda t: (-t.mentions, -t.hours_lost)):
            hours = f" · {format_hours(total.hours_lost)} lost" if total.hours_lost else ""
            value = f"{plural(total.mentions, 'mention')}{hours}"
            facts.append({"title": display_name(total.category), "value": value})
        body.append({"type": "FactSet", "facts": facts})
    return body


def _concern(concern: ConcernItem) -> Element:
    title = ["⚠️ **Overdue**"] if concern.overdue else []
    if concern.model:
        title.append(f"**{_user(concern.model, 80)}**")
    title.append(f"{display_name(concern.kind)} (#{concern.id})")
    owner = f"owner: {_user(concern.owner, 60)}" if concern.owner else "_no owner yet_"
    meta = (
        f"{age_phrase(concern.age_days)} · {owner} · "
        f"last mentioned {short_date(concern.last_mention)}"
    )
    actions = {
        "type": "ActionSet",
        "actions": [
            _execute("Resolve", RESOLVE_VERB, concern.id, style="positive"),
            _execute("Assign", ASSIGN_VERB, concern.id),
        ],
    }
    items = [
        _text(" · ".join(title)),
        _text(_user(concern.summary, SUMMARY_CHARS), spacing="Small"),
        _subtle(meta, spacing="Small"),
        actions,
    ]
    style = {"style": "attention"} if concern.overdue else {}
    return _container(items, separator=True, spacing="Medium", **style)


def _concerns(digest: Digest) -> list[Element]:
    if not digest.unresolved:
        return []
    ordered = ordered_concerns(digest)
    overdue = sum(1 for concern in ordered if concern.overdue)
    heading = f"Unresolved MLOps concerns ({len(ordered)})"
    body = [_heading(heading + (f" · ⚠️ {overdue} overdue" if overdue else ""))]
    body.extend(_concern(concern) for concern in ordered[:MAX_CONCERNS])
    if len(ordered) > MAX_CONCERNS:
        more = more_phrase(len(ordered) - MAX_CONCERNS, "unresolved concerns")
        body.append(_subtle(more))
    return body


def _resolved(digest: Digest) -> list[Element]:
    if not digest.resolved:
        return []
    body = [_heading("Resolved this week")]
    for item in digest.resolved[:MAX_RESOLVED]:
        model = f"**{_user(item.model, 80)}** · " if item.model else ""
        who = f" by {_user(item.resolved_by, 60)}" if item.resolved_by else ""
        when = short_date(item.resolved_at.date())
        summary = _user(item.summary, 160)
        body.append(
            _text(
                f"✅ {model}{display_name(item.kind)}: {summary} — resolved{who} on {when}",
                spacing="Small",
            )
        )
    if len(digest.resolved) > MAX_RESOLVED:
        body.append(_subtle(more_phrase(len(digest.resolved) - MAX_RESOLVED, "resolved")))
    return body


def _fallback(digest: Digest) -> str:
    """Plain text for hosts that cannot render the card (no Markdown, so no escaping needed)."""
    channel = clean(digest.channel_name.lstrip("#"))
    prefix = f"Kaizen digest for #{channel}, {digest.iso_week}: "
    if digest.is_empty:
        return prefix + "a quiet week."
    return prefix + shorten(clean(headline_text(digest)), 500)


# --- public API -------------------------------------------------------------------------------


def digest_card(digest: Digest) -> dict[str, Any]:
    """The digest as an Adaptive Card 1.5 dict, the content of an adaptive-card attachment.

    ``Action.Execute`` buttons need a bot behind the card; posted through a Workflows webhook
    the card still reads well, but its buttons do nothing.
    """
    body: list[Element] = _title(digest)
    if digest.is_empty:
        body.append(_text(f"🌱 {QUIET_MESSAGE}", spacing="Medium"))
        if digest.participation.asked:
            body.extend(_participation(digest))
    else:
        body.append(
            _text(
                _user(headline_text(digest), 500), size="Medium", weight="Bolder", spacing="Medium"
            )
        )
        body.extend(_participation(digest))
        body.extend(_wastes(digest))
        body.extend(_concerns(digest))
        body.extend(_resolved(digest))
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "fallbackText": _fallback(digest),
        "msteams": {"width": "Full"},
        "body": body,
    }


__all__ = ["ASSIGN_VERB", "RESOLVE_VERB", "digest_card", "escape_card_text"]
