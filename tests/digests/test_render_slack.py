"""Block Kit digest: accepted by Slack's validators, within every limit, and never pings anyone."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.digests.model import Quote
from handlers.slack.render.digest import digest_blocks, digest_fallback_text
from handlers.slack.text import escape, quote, truncate
from tests.digests.factory import AUTHORS, make_concern, make_digest, make_theme

MENTIONS = "<!channel> look <@U123> & <!here|here> <https://evil.example|click>"


def _validate(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= 50
    ids = [block["block_id"] for block in blocks]
    assert len(ids) == len(set(ids)), "block_ids must be unique within a message"
    for block in blocks:
        Block.parse(block).validate_json()  # raises SlackObjectFormationError on any limit


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn/plain_text string in the blocks."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"}:
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


@pytest.mark.parametrize(
    "digest",
    [
        make_digest(),
        make_digest(anonymous=True),
        make_digest(empty=True),
        make_digest(recurring=40, new=12, concerns=60, resolved=9),
        make_digest(quote_text="x" * 40_000),
        make_digest(recurring=0, new=0, concerns=2, resolved=0),
    ],
    ids=["normal", "anonymous", "empty", "huge", "long-quote", "concerns-only"],
)
def test_every_block_passes_slack_validation(digest: Any) -> None:
    _validate(digest_blocks(digest))


def test_a_huge_week_fits_in_one_message_and_says_what_was_cut() -> None:
    digest = make_digest(recurring=40, concerns=60, new=12, resolved=9)
    blocks = digest_blocks(digest)
    _validate(blocks)
    text = "\n".join(_texts(blocks))
    assert "…and 32 more recurring wastes" in text
    shown = [b for b in blocks if b["type"] == "actions"]
    assert 0 < len(shown) < 60
    assert f"…and {60 - len(shown)} more unresolved concerns" in text
    assert "/kaizen concerns" in text  # tells the reader where the rest is


def test_overdue_concerns_are_never_the_ones_cut() -> None:
    on_time = [make_concern(i, overdue=False) for i in range(30)]
    concerns = (*on_time, dataclasses.replace(make_concern(99, overdue=True), id=4242))
    blocks = digest_blocks(make_digest(unresolved=concerns))
    values = [b["elements"][0]["value"] for b in blocks if b["type"] == "actions"]
    assert values[0] == "4242"
    assert ":warning: *Overdue*" in "\n".join(_texts(blocks))


def test_sections_stay_under_3000_chars_even_with_a_40000_char_quote() -> None:
    blocks = digest_blocks(make_digest(quote_text="word " * 8_000))
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
    first = next(b for b in blocks if b["block_id"] == "waste-1")["text"]["text"]
    assert "word word" in first and "…" in first  # shortened, not dropped


def test_mentions_in_user_text_are_escaped_everywhere() -> None:
    theme = make_theme(0, quote_text=MENTIONS, label=f"label {MENTIONS}")
    concern = dataclasses.replace(
        make_concern(0), model=f"m {MENTIONS}", summary=MENTIONS, owner=f"o {MENTIONS}"
    )
    digest = make_digest(
        recurring=0,
        unresolved=(concern,),
        headline=f"headline {MENTIONS}",
        channel_name="ml<!channel>",
    )
    digest = dataclasses.replace(digest, recurring=(theme,))
    blocks = digest_blocks(digest)
    _validate(blocks)
    dumped = json.dumps(blocks, ensure_ascii=False)
    for raw in ("<!channel>", "<@U123>", "<!here", "<https://"):
        assert raw not in dumped
    assert "&lt;!channel&gt;" in dumped and "&lt;@U123&gt;" in dumped
    assert " &amp; " in dumped
    fallback = digest_fallback_text(digest)
    assert "<!channel>" not in fallback and "&lt;!channel&gt;" in fallback


def test_resolve_and_assign_buttons_carry_the_concern_id() -> None:
    digest = make_digest(concerns=4)
    blocks = digest_blocks(digest)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert {a["elements"][0]["value"] for a in actions} == {str(c.id) for c in digest.unresolved}
    for block in actions:
        resolve, assign = block["elements"]
        assert resolve["action_id"] == "concern_resolve" and resolve["style"] == "primary"
        assert resolve["text"]["text"] == "Resolve"
        assert assign["action_id"] == "concern_assign" and assign["text"]["text"] == "Assign"
        assert resolve["value"] == assign["value"]


def test_the_digest_leads_with_the_headline_then_wastes_then_concerns() -> None:
    blocks = digest_blocks(make_digest())
    order = [b["block_id"] for b in blocks]
    assert order[0] == "header" and order[1] == "headline"
    assert order.index("recurring-title") < order.index("totals") < order.index("concerns-title")
    assert order.index("concerns-title") < order.index("resolved")
    assert blocks[0]["text"]["text"] == "Kaizen digest · #ml-platform · 2026-W48"
    waste = next(b for b in blocks if b["block_id"] == "waste-1")["text"]["text"]
    assert "2 → 3 → 4" in waste and "↑ rising" in waste and "6.5 h lost" in waste
    assert f"— {AUTHORS[0]}" in waste  # authors shown when the channel is not anonymous


def test_anonymous_digest_names_nobody() -> None:
    dumped = json.dumps(digest_blocks(make_digest(anonymous=True)), ensure_ascii=False)
    for name in AUTHORS:
        assert name not in dumped
    assert "check-ins answered" in dumped


def test_anonymous_channel_hides_names_even_if_the_data_has_them() -> None:
    named = make_digest()
    digest = dataclasses.replace(named, anonymous=True)  # a builder bug must not leak names
    dumped = json.dumps(digest_blocks(digest), ensure_ascii=False)
    assert not any(name in dumped for name in AUTHORS)


def test_a_quiet_week_is_a_short_friendly_message() -> None:
    digest = make_digest(empty=True)
    blocks = digest_blocks(digest)
    _validate(blocks)
    assert len(blocks) <= 3
    text = "\n".join(_texts(blocks))
    assert "quiet week" in text
    assert not any(b["type"] == "actions" for b in blocks)
    assert "quiet week" in digest_fallback_text(digest)


def test_fallback_text_is_short_and_says_what_matters() -> None:
    digest = make_digest(concerns=4, headline="x " * 5000)
    text = digest_fallback_text(digest)
    assert len(text) <= 3000
    assert text.startswith("Kaizen digest for #ml-platform, 2026-W48:")
    assert "4 unresolved concerns (2 overdue)" in text


def test_quotes_show_at_most_two_replies_and_no_author_when_anonymous_reply() -> None:
    theme = dataclasses.replace(
        make_theme(0),
        quotes=(Quote("one", None), Quote("two", "Zed Named"), Quote("three", "Third Person")),
    )
    blocks = digest_blocks(dataclasses.replace(make_digest(), recurring=(theme,)))
    text = next(b for b in blocks if b["block_id"] == "waste-1")["text"]["text"]
    assert "> “one”\n" in text and "— Zed Named" in text and "three" not in text


# --- text helpers ---------------------------------------------------------------------------


def test_escape_replaces_only_the_three_control_characters() -> None:
    assert escape('<!channel> & *bold* _it_ "q"') == '&lt;!channel&gt; &amp; *bold* _it_ "q"'


def test_truncate_cuts_on_a_word_boundary_within_the_limit() -> None:
    assert truncate("waiting on the GPU quota", 16) == "waiting on the…"
    assert truncate("short", 10) == "short"
    assert truncate("a" * 50, 10) == "a" * 9 + "…"  # one long word: cut mid-word
    for limit in range(0, 30):
        assert len(truncate("waiting on the GPU quota again", limit)) <= limit


def test_quote_never_leaves_half_an_entity() -> None:
    text = "a&b<c>d " * 20
    for limit in range(1, 80):
        result = quote(text, limit)
        assert len(result) <= limit
        body = result.removesuffix("…")
        tail = body[body.rfind("&") :] if "&" in body else ""
        assert not tail or tail.startswith(("&amp;", "&lt;", "&gt;")), (limit, result)


def test_quote_keeps_a_reply_on_its_own_quote_line() -> None:
    assert quote("first line\n> *fake* quote\n<!channel>", 200) == (
        "first line &gt; *fake* quote &lt;!channel&gt;"
    )
