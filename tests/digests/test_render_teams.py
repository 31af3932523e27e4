"""Adaptive Card digest: version 1.5, working buttons, small, and user text cannot format it."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

from handlers.teams.cards.digest import WJ, digest_card, escape_card_text
from tests.digests.factory import AUTHORS, make_concern, make_digest, make_theme

MARKUP = "**bold** _it_ [click](https://evil.example) <at>Bob</at> &amp; `code` {{DATE(2026)}}"


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _of_type(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [node for node in _walk(card["body"]) if node.get("type") == kind]


def _visible(text: str) -> str:
    """What a reader sees: the word joiners are invisible."""
    return text.replace(WJ, "")


def test_card_is_adaptive_card_1_5_with_wrapping_text() -> None:
    card = digest_card(make_digest())
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    blocks = _of_type(card, "TextBlock")
    assert blocks and all(block["wrap"] is True for block in blocks)
    assert blocks[0]["text"] == "Kaizen digest · #ml-platform · 2026-W48"
    assert _of_type(card, "FactSet")[0]["facts"][0] == {
        "title": "Extra-processing",
        "value": "6 mentions · 8.5 h lost",
    }
    json.dumps(card)  # plain JSON, ready to send


def test_each_concern_has_resolve_and_assign_execute_actions() -> None:
    digest = make_digest(concerns=3)
    card = digest_card(digest)
    actions = _of_type(card, "Action.Execute")
    assert len(actions) == 6
    by_id: dict[int, set[str]] = {}
    for action in actions:
        assert set(action["data"]) == {"concern_id"}
        by_id.setdefault(action["data"]["concern_id"], set()).add(action["verb"])
    assert by_id == {c.id: {"concern_resolve", "concern_assign"} for c in digest.unresolved}
    assert {a["title"] for a in actions} == {"Resolve", "Assign"}


def test_order_is_headline_wastes_concerns_resolved() -> None:
    texts = [block["text"] for block in _of_type(digest_card(make_digest()), "TextBlock")]
    joined = "\n".join(texts)
    positions = [
        joined.index("Waiting on GPU quota rose"),
        joined.index("Recurring wastes"),
        joined.index("New this week"),
        joined.index("Unresolved MLOps concerns"),
        joined.index("Resolved this week"),
    ]
    assert positions == sorted(positions)


def test_markdown_in_user_text_is_neutralised() -> None:
    theme = make_theme(0, quote_text=MARKUP, label=MARKUP)
    concern = dataclasses.replace(make_concern(0), summary=MARKUP, model=MARKUP)
    digest = dataclasses.replace(make_digest(), recurring=(theme,), unresolved=(concern,))
    dumped = json.dumps(digest_card(digest), ensure_ascii=False)
    assert "**bold**" not in dumped and r"\\*\\*bold\\*\\*" in dumped
    assert "](" not in dumped  # no link can form
    assert "<at>" not in dumped and "&amp;" not in dumped and "{{DATE" not in dumped
    assert "`code`" not in dumped


def test_escaped_text_still_reads_the_same() -> None:
    escaped = escape_card_text("costs < 5 & latency > 2 s (p99) [eu]")
    assert _visible(escaped) == "costs < 5 & latency > 2 s (p99) [eu]"


def test_line_start_markers_cannot_make_headings_lists_or_quotes() -> None:
    escaped = escape_card_text("# Heading\n- item\n+ item\n1. first\n> quote\n  2) second")
    for line in escaped.split("\n"):
        assert not re.match(r"\s*([#>+\-]|\d+[.)])", line), line
    assert _visible(escaped).startswith("# Heading\n- item")


def test_a_users_backslash_cannot_cancel_the_escape() -> None:
    assert escape_card_text("\\*x\\*") == "\\\\\\*x\\\\\\*"


def test_anonymous_card_names_nobody() -> None:
    for digest in (make_digest(anonymous=True), dataclasses.replace(make_digest(), anonymous=True)):
        dumped = json.dumps(digest_card(digest), ensure_ascii=False)
        assert not any(name in dumped for name in AUTHORS)


def test_named_card_shows_authors_and_participation() -> None:
    dumped = json.dumps(digest_card(make_digest()), ensure_ascii=False)
    assert f"— {AUTHORS[0]}" in dumped and f"{AUTHORS[1]} 2/3" in dumped


def test_quiet_week_card() -> None:
    card = digest_card(make_digest(empty=True))
    texts = " ".join(block["text"] for block in _of_type(card, "TextBlock"))
    assert "quiet week" in texts
    assert not _of_type(card, "ActionSet")
    assert "quiet week" in card["fallbackText"]


def test_huge_week_stays_well_under_28_kb_and_says_what_was_cut() -> None:
    digest = make_digest(recurring=40, new=12, concerns=60, resolved=9, quote_text="y" * 40_000)
    card = digest_card(digest)
    size = len(json.dumps(card, ensure_ascii=False).encode())
    assert size < 28_000, size
    texts = " ".join(block["text"] for block in _of_type(card, "TextBlock"))
    assert "…and 32 more recurring wastes" in texts
    assert "…and 50 more unresolved concerns" in texts
    assert len(_of_type(card, "ActionSet")) == 10


def test_overdue_concern_stands_out() -> None:
    card = digest_card(make_digest(concerns=3))
    containers = [c for c in _of_type(card, "Container") if c.get("style") == "attention"]
    assert len(containers) == 1
    assert "Overdue" in containers[0]["items"][0]["text"]
