"""Plain text / Markdown digest for the CLI and e-mail."""

from __future__ import annotations

import dataclasses

import pytest

from bot.digests.text import escape_markdown, render_text
from tests.digests.factory import AUTHORS, make_concern, make_digest, make_theme


def test_sections_come_in_the_digest_order() -> None:
    text = render_text(make_digest(), markdown=False)
    positions = [
        text.index("Kaizen digest · #ml-platform · 2026-W48 (23–29 Nov 2026)"),
        text.index("Waiting on GPU quota rose from 3 to 6 mentions"),
        text.index("10 of 12 check-ins answered (83%)"),
        text.index("Recurring wastes (3)"),
        text.index("New this week (2)"),
        text.index("By waste category"),
        text.index("Unresolved MLOps concerns (3)"),
        text.index("Resolved this week (1)"),
    ]
    assert positions == sorted(positions)


@pytest.mark.parametrize("markdown", [True, False])
def test_fits_a_terminal_even_with_huge_quotes(markdown: bool) -> None:
    digest = make_digest(recurring=12, concerns=30, quote_text="word " * 8_000 + "x" * 500)
    text = render_text(digest, markdown=markdown)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "…and 4 more recurring wastes" in text
    assert "…and 20 more unresolved concerns" in text
    assert len(text) < 20_000


def test_markdown_escapes_user_text_but_not_our_own_formatting() -> None:
    label = "*urgent* [click](https://evil.example) <b>x</b> # not a heading"
    theme = make_theme(0, label=label)
    digest = dataclasses.replace(make_digest(), recurring=(theme,))
    md = render_text(digest)
    assert "## Recurring wastes" in md
    assert "**" + r"\*urgent\*" in md  # our bold around the user's escaped asterisks
    assert "[click](" not in md and "<b>" not in md
    assert r"\# not a heading" in md
    plain = render_text(digest, markdown=False)
    assert label in plain and "**" not in plain


def test_escape_markdown_blocks_line_start_markers_wherever_wrapping_puts_them() -> None:
    assert escape_markdown("a - b + c 1. d # e") == r"a \- b \+ c 1\. d \# e"
    assert escape_markdown("well-known v1.2") == "well-known v1.2"


def test_control_characters_cannot_reach_the_terminal() -> None:
    concern = dataclasses.replace(make_concern(0), summary="drift\x1b[2J\x1b[31m red\x07")
    text = render_text(dataclasses.replace(make_digest(), unresolved=(concern,)), markdown=False)
    assert "\x1b" not in text and "\x07" not in text
    assert "drift [2J [31m red" in text


def test_concerns_show_model_kind_age_owner_and_overdue_first() -> None:
    text = render_text(make_digest(concerns=3), markdown=False)
    section = text[text.index("Unresolved MLOps concerns") :]
    assert section.index("⚠ OVERDUE") < section.index("fraud-scorer")
    assert "open 15 days" in section and "no owner yet" in section
    assert "owner: Priya MLOps" in section and "last mentioned 29 Nov" in section


@pytest.mark.parametrize("markdown", [True, False])
def test_anonymous_text_names_nobody(markdown: bool) -> None:
    for digest in (make_digest(anonymous=True), dataclasses.replace(make_digest(), anonymous=True)):
        text = render_text(digest, markdown=markdown)
        assert not any(name in text for name in AUTHORS)


@pytest.mark.parametrize("markdown", [True, False])
def test_quiet_week(markdown: bool) -> None:
    text = render_text(make_digest(empty=True), markdown=markdown)
    assert "A quiet week" in text
    assert "Recurring wastes" not in text and "Unresolved" not in text
    assert len(text.splitlines()) < 8
