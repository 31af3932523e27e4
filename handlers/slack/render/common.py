"""Small Block Kit builders shared by the Slack renderers (plain dicts, no slack_sdk)."""

from __future__ import annotations

from typing import Any

from handlers.slack.text import quote, truncate, truncate_escaped

Block = dict[str, Any]
SECTION_CHARS = 3000
BUTTON_CHARS = 75
OPTION_CHARS = 75


def mrkdwn(text: str) -> dict[str, str]:
    """Markdown text already escaped by the caller, cut to Slack's section limit."""
    return {"type": "mrkdwn", "text": truncate_escaped(text, SECTION_CHARS)}


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def button(
    text: str, action_id: str, value: str, style: str | None = None, confirm: Block | None = None
) -> Block:
    b: Block = {
        "type": "button",
        "text": plain(text, BUTTON_CHARS),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> Block:
    return {"text": plain(text, OPTION_CHARS), "value": value}


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = "Save",
    close: str = "Cancel",
    private_metadata: str = "",
) -> Block:
    view: Block = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "close": plain(close, 24),
        "blocks": blocks[:100],
        "private_metadata": private_metadata[:3000],
    }
    if submit:
        view["submit"] = plain(submit, 24)
    return view


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    initial: str | None = None,
    multiline: bool = True,
    optional: bool = False,
    placeholder: str | None = None,
    max_length: int = 3000,
    hint: str | None = None,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def quoted(text: str, limit: int = 600) -> str:
    """User text as a Slack ``>`` quote line: escaped (no pings), one line, cut safely."""
    return "> " + quote(text, limit)
