"""Small builders shared by the Teams cards, so every card is Adaptive Card 1.5 the same way.

Cards are plain dicts (pure, testable as data). ``as_sdk_card`` validates one with the
``microsoft-teams-cards`` models just before it leaves the process, which is where a card the
client would refuse to render is best caught.
"""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import AdaptiveCard

from bot.digests.text import clean, shorten
from handlers.teams.cards.digest import SCHEMA, VERSION, escape_card_text

Element = dict[str, Any]
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def user_text(text: str, limit: int) -> str:
    """User text on one line, cut to ``limit`` characters, then escaped for card Markdown."""
    return escape_card_text(shorten(clean(text), limit))


def text_block(text: str, **props: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def subtle(text: str, **props: Any) -> Element:
    return text_block(text, isSubtle=True, size="Small", **props)


def heading(text: str) -> Element:
    return text_block(text, weight="Bolder", size="Medium", style="heading")


def execute(title: str, verb: str, data: dict[str, Any], **props: Any) -> Element:
    """An ``Action.Execute`` button: arrives as an ``adaptiveCard/action`` invoke."""
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data, **props}


def card(
    body: list[Element], *, actions: list[Element] | None = None, fallback: str = ""
) -> Element:
    out: Element = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        out["actions"] = actions
    if fallback:
        out["fallbackText"] = fallback
    return out


def as_sdk_card(content: Element) -> AdaptiveCard:
    """The card as the SDK's model (raises if the card is not a valid Adaptive Card).

    Teams documents ``msteams.width`` as ``"Full"`` while the SDK's model only accepts
    ``"full"``; Teams reads it case-insensitively, so it is normalised here.
    """
    msteams = content.get("msteams")
    if isinstance(msteams, dict) and isinstance(msteams.get("width"), str):
        content = {**content, "msteams": {**msteams, "width": msteams["width"].lower()}}
    return AdaptiveCard.model_validate(content)


def attachment(content: Element) -> dict[str, Any]:
    """The card as a message attachment (validated first)."""
    as_sdk_card(content)
    return {"contentType": CARD_CONTENT_TYPE, "content": content}
