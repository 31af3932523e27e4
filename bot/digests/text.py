"""Render a digest as plain text or Markdown (CLI, e-mail), plus the phrases every renderer shares.

The Block Kit, Adaptive Card and text renderers all say the same things in the same words and in
the same order: headline (the biggest change), participation, recurring wastes, new wastes,
totals by category, unresolved concerns, resolved concerns. The small phrase builders below
(``theme_stats``, ``participation_phrase``...) keep that wording in one place. They only ever
combine numbers, dates and label display names, never user text, so their output needs no
escaping; each renderer escapes user text (labels, quotes, summaries, names) for its own target.

Text output is wrapped at :data:`WIDTH` columns so it reads in an 80-100 column terminal.
User text is stripped of control characters (an ANSI escape in a reply must not recolour or
clear the reader's terminal) and folded onto one line (a reply cannot fake a heading or a
quote author on a line of its own).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from datetime import date

from bot.analysis.labels import display_name
from bot.digests.model import ConcernItem, Digest, Participation, Quote, WasteTheme

WIDTH = 88

# How much of each list a digest shows; the rest is summarised as "…and N more".
MAX_THEMES = 8
MAX_NEW = 5
MAX_CONCERNS = 10
MAX_RESOLVED = 5
MAX_QUOTES = 2
QUOTE_CHARS = 200
SUMMARY_CHARS = 300
SERIES_WEEKS = 5

TREND_PHRASES: dict[str, str] = {
    "up": "↑ rising",
    "down": "↓ falling",
    "flat": "→ steady",
    "new": "✦ new",
}

QUIET_MESSAGE = (
    "A quiet week: no check-in answers, no waste themes and no open concerns. "
    "Nothing to improve, or nothing said? The next check-in goes out as usual."
)
NO_HEADLINE = "No big change since last week."
CONCERNS_COMMAND_HINT = "/kaizen concerns lists them all."

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# --- phrases shared by every renderer (no user text in them) -----------------------------------


def format_hours(hours: float) -> str:
    """``12 h``, ``1.5 h``, ``<0.1 h``: precise enough to compare, short enough to scan."""
    if hours < 0.05:
        return "<0.1 h"
    if hours >= 10:
        return f"{hours:.0f} h"
    return f"{hours:.1f}".rstrip("0").rstrip(".") + " h"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 mention``, ``3 mentions``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def short_date(day: date) -> str:
    """``27 Nov``: unambiguous in every locale, unlike ``11/27``."""
    return f"{day.day} {day:%b}"


def week_span(start: date, end: date) -> str:
    """``24–30 Nov 2026``, ``24 Nov – 1 Dec 2026`` or ``29 Dec 2025 – 4 Jan 2026``."""
    if start.year != end.year:
        return f"{short_date(start)} {start.year} – {short_date(end)} {end.year}"
    if start.month != end.month:
        return f"{short_date(start)} – {short_date(end)} {end.year}"
    return f"{start.day}–{short_date(end)} {end.year}"


def weekly_series(theme: WasteTheme, weeks: int = SERIES_WEEKS) -> str:
    """The last ``weeks`` weekly counts, oldest first: ``3 → 5 → 7``."""
    counts = [count for _, count in theme.weekly[-weeks:]] or [theme.count]
    return " → ".join(str(count) for count in counts)


def theme_stats(theme: WasteTheme) -> str:
    """One line a reader can scan: this week, the trend, its reach and its cost."""
    parts = [plural(theme.count, "mention") + " this week"]
    if len(theme.weekly) > 1:
        parts[0] += f" ({weekly_series(theme)})"
    parts.append(TREND_PHRASES.get(theme.trend, theme.trend))
    parts.append(plural(theme.people, "person", "people"))
    if theme.hours_lost:
        parts.append(f"{format_hours(theme.hours_lost)} lost")
    return " · ".join(parts)


def participation_phrase(participation: Participation) -> str:
    """``7 of 9 check-ins answered (78%)``."""
    if participation.asked == 0:
        return "No check-ins were sent this week"
    rate = participation.rate or 0.0
    return f"{participation.answered} of {participation.asked} check-ins answered ({rate:.0%})"


def age_phrase(days: int) -> str:
    """``open 23 days``; ``opened today`` reads better than ``open 0 days``."""
    return "opened today" if days <= 0 else f"open {plural(days, 'day')}"


def more_phrase(count: int, what: str) -> str:
    """``…and 3 more recurring wastes``: tells the reader the list was cut, and by how much."""
    return f"…and {count} more {what}"


def headline_text(digest: Digest) -> str:
    """The headline, or a neutral sentence when the builder had none."""
    return digest.headline.strip() or NO_HEADLINE


def visible_people(digest: Digest) -> tuple[str, ...]:
    """``name answered/asked`` per person, never in anonymous mode (even if the data had names)."""
    if digest.anonymous:
        return ()
    return tuple(f"{p.name} {p.answered}/{p.asked}" for p in digest.participation.people)


def quote_author(digest: Digest, quote: Quote) -> str | None:
    """A quote's author, or ``None`` when anonymous; checks the channel too, as a second lock."""
    return None if digest.anonymous else quote.author


def ordered_concerns(digest: Digest) -> list[ConcernItem]:
    """Overdue concerns first (stable otherwise), so cutting a long list never hides them."""
    return sorted(digest.unresolved, key=lambda concern: not concern.overdue)


def concern_title_parts(concern: ConcernItem) -> tuple[str | None, str]:
    """(model or ``None``, kind display name) of a concern; the model is user text."""
    return concern.model, display_name(concern.kind)


def clean(text: str) -> str:
    """User text made harmless for a terminal: no control characters, one line."""
    return " ".join(_CONTROL_RE.sub(" ", text).split())


def shorten(text: str, limit: int) -> str:
    """Cut raw text to ``limit`` characters on a word boundary, with "…"."""
    if len(text) <= limit:
        return text
    body = text[: limit - 1]
    space = body.rfind(" ")
    if text[limit - 1] != " " and space >= int(len(body) * 0.6):
        body = body[:space]
    return body.rstrip() + "…"


# --- Markdown escaping ------------------------------------------------------------------------

_MD_ANYWHERE_RE = re.compile(r"([\\`*_\[\]<>&~|])")
# Only meaningful at the start of a line; wrapping can put any word there, so escape them at the
# start of any word: "#", "-", "+", "=" (setext underline) and "1." / "1)" (ordered list).
_MD_WORD_START_RE = re.compile(r"(?<!\S)([#\-+=])")
_MD_ORDERED_RE = re.compile(r"(?<!\S)(\d{1,9})([.)])(?=\s|$)")


def escape_markdown(text: str) -> str:
    """Backslash-escape what CommonMark would read as markup in ``text``.

    Escapes emphasis (``*``, ``_``, ``~``), code (backticks), links and images (``[``, ``]``),
    inline HTML and autolinks (``<``, ``>``), entities (``&``), table pipes, and the block
    markers that only count at a line start (headings, lists, quotes, setext underlines) at the
    start of every word, because wrapping may move any word to the start of a line.
    """
    text = _MD_ANYWHERE_RE.sub(r"\\\1", text)
    text = _MD_WORD_START_RE.sub(r"\\\1", text)
    return _MD_ORDERED_RE.sub(r"\1\\\2", text)


# --- the text renderer ------------------------------------------------------------------------


class _Writer:
    """Collects wrapped lines; the only place that knows Markdown from plain text."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown
        self.lines: list[str] = []

    def user(self, text: str, limit: int | None = None) -> str:
        """User text, cleaned, shortened, then escaped for Markdown when needed."""
        text = clean(text)
        if limit is not None:
            text = shorten(text, limit)
        return escape_markdown(text) if self.markdown else text

    def bold(self, text: str) -> str:
        return f"**{text}**" if self.markdown else text

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def line(self, text: str, first: str = "", rest: str | None = None) -> None:
        """Add one logical line, wrapped, with a hard break so Markdown keeps it on its own."""
        wrapped = textwrap.wrap(
            text,
            width=WIDTH,
            initial_indent=first,
            subsequent_indent=" " * len(first) if rest is None else rest,
            break_on_hyphens=False,
            break_long_words=True,
        ) or [first.rstrip()]
        if self.markdown:
            wrapped[-1] += "  "  # a Markdown hard line break: separate lines in e-mail too
        self.lines.extend(wrapped)

    def heading(self, text: str, level: int = 2) -> None:
        self.blank()
        if self.markdown:
            self.lines.append(f"{'#' * level} {text}")
        else:
            self.lines.append(text)
            self.lines.append(("=" if level == 1 else "-") * min(len(text), WIDTH))
        self.lines.append("")


def _theme_title(w: _Writer, theme: WasteTheme) -> str:
    return f"{w.bold(w.user(theme.label, 150))} — {display_name(theme.category)}"


def _write_quotes(w: _Writer, digest: Digest, quotes: Iterable[Quote], indent: str) -> None:
    for quote in list(quotes)[:MAX_QUOTES]:
        author = quote_author(digest, quote)
        by = f" — {w.user(author, 60)}" if author else ""
        w.line(f"“{w.user(quote.text, QUOTE_CHARS)}”{by}", f"{indent}> ", f"{indent}> ")


def render_text(digest: Digest, *, markdown: bool = True) -> str:
    """The digest as Markdown (``markdown=True``) or plain text, wrapped at :data:`WIDTH`.

    Same content and order as the chat renderers; long lists are cut with "…and N more".
    """
    w = _Writer(markdown)
    channel = w.user(digest.channel_name.lstrip("#"), 80)
    title = f"Kaizen digest · #{channel} · {digest.iso_week}"
    w.heading(f"{title} ({week_span(digest.week_start, digest.week_end)})", level=1)

    if digest.is_empty:
        w.line(QUIET_MESSAGE)
        if digest.participation.asked:
            w.line(participation_phrase(digest.participation) + ".")
        return "\n".join(w.lines).rstrip() + "\n"

    w.line(w.bold(w.user(headline_text(digest), 500)))
    w.blank()
    people = ", ".join(w.user(person, 60) for person in visible_people(digest))
    w.line(participation_phrase(digest.participation) + (f" — {people}" if people else ""))

    if digest.recurring:
        w.heading(f"Recurring wastes ({len(digest.recurring)})")
        for number, theme in enumerate(digest.recurring[:MAX_THEMES], start=1):
            w.line(_theme_title(w, theme), f"{number}. ", "   ")
            w.line(theme_stats(theme), "   ")
            _write_quotes(w, digest, theme.quotes, "   ")
            w.blank()
        if len(digest.recurring) > MAX_THEMES:
            w.line(more_phrase(len(digest.recurring) - MAX_THEMES, "recurring wastes"))

    if digest.new_wastes:
        w.heading(f"New this week ({len(digest.new_wastes)})")
        for theme in digest.new_wastes[:MAX_NEW]:
            mentions = plural(theme.count, "mention")
            w.line(f"{_theme_title(w, theme)} · {mentions}", "- ", "  ")
        if len(digest.new_wastes) > MAX_NEW:
            w.line(more_phrase(len(digest.new_wastes) - MAX_NEW, "new themes"))

    totals = sorted(digest.totals, key=lambda t: (-t.mentions, -t.hours_lost))
    if totals:
        w.heading("By waste category")
        for total in totals:
            hours = f" · {format_hours(total.hours_lost)} lost" if total.hours_lost else ""
            name = display_name(total.category)
            w.line(f"{name}: {plural(total.mentions, 'mention')}{hours}", "- ", "  ")

    if digest.unresolved:
        concerns = ordered_concerns(digest)
        w.heading(f"Unresolved MLOps concerns ({len(concerns)})")
        for number, concern in enumerate(concerns[:MAX_CONCERNS], start=1):
            model, kind = concern_title_parts(concern)
            head = [w.bold("⚠ OVERDUE")] if concern.overdue else []
            head += [w.bold(w.user(model, 80))] if model else []
            head += [kind, f"#{concern.id}"]
            w.line(" · ".join(head), f"{number}. ", "   ")
            w.line(w.user(concern.summary, SUMMARY_CHARS), "   ")
            owner = f"owner: {w.user(concern.owner, 60)}" if concern.owner else "no owner yet"
            last = f"last mentioned {short_date(concern.last_mention)}"
            w.line(f"{age_phrase(concern.age_days)} · {owner} · {last}", "   ")
            w.blank()
        if len(concerns) > MAX_CONCERNS:
            more = more_phrase(len(concerns) - MAX_CONCERNS, "unresolved concerns")
            w.line(f"{more} ({CONCERNS_COMMAND_HINT})")

    if digest.resolved:
        w.heading(f"Resolved this week ({len(digest.resolved)})")
        for item in digest.resolved[:MAX_RESOLVED]:
            model = f"{w.user(item.model, 80)} · " if item.model else ""
            who = f" by {w.user(item.resolved_by, 60)}" if item.resolved_by else ""
            summary = w.user(item.summary, 160)
            when = short_date(item.resolved_at.date())
            w.line(f"{model}{display_name(item.kind)}: {summary} — resolved{who} on {when}", "- ")
        if len(digest.resolved) > MAX_RESOLVED:
            w.line(more_phrase(len(digest.resolved) - MAX_RESOLVED, "resolved concerns"))

    return "\n".join(line.rstrip() if not markdown else line for line in w.lines).rstrip() + "\n"
