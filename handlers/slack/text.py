"""Make user text safe and short for Slack ``mrkdwn`` and ``plain_text``.

Slack treats ``&``, ``<`` and ``>`` as control characters: ``<!channel>``, ``<!here>``,
``<@U123>`` and ``<!subteam^ID>`` are mentions, so a quoted reply that reaches Slack unescaped
can ping a whole channel. Slack's rule is to replace those three characters with HTML entities
and nothing else (other characters such as ``*`` have no escape in ``mrkdwn``).

Truncation has to happen *after* escaping (the limits apply to what Slack receives) without
leaving half an entity such as ``&am`` behind, which Slack would show as garbage.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE_RE = re.compile("[&<>]")
# A cut inside "&amp;", "&lt;" or "&gt;" leaves "&", "&a", "&am", "&l", "&lt", "&g" or "&gt".
_PARTIAL_ENTITY_RE = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?$")
# Only cut back to a space when it keeps most of the text; one long word is cut mid-word instead.
_MIN_WORD_CUT = 0.6


def escape(text: str) -> str:
    """Replace ``&``, ``<``, ``>`` with entities so user text can never form a mention or link."""
    return _ESCAPE_RE.sub(lambda m: _ENTITIES[m.group()], text)


def _cut(text: str, limit: int, *, entity_safe: bool) -> str:
    """Shorten ``text`` to at most ``limit`` characters including the ellipsis."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    body = text[: limit - 1]
    space = body.rfind(" ")
    # Cut on a word boundary when the next character starts a new word or a space is close.
    if text[limit - 1] != " " and space >= int(len(body) * _MIN_WORD_CUT):
        body = body[:space]
    if entity_safe:
        body = _PARTIAL_ENTITY_RE.sub("", body)
    return body.rstrip() + ELLIPSIS


def truncate(text: str, limit: int) -> str:
    """Shorten ``text`` to ``limit`` characters, on a word boundary with "…" when possible.

    The result is never longer than ``limit``; text that already fits is returned unchanged.
    """
    return _cut(text, limit, entity_safe=False)


def truncate_escaped(text: str, limit: int) -> str:
    """Like :func:`truncate` for text that is already escaped: never ends in half an entity."""
    return _cut(text, limit, entity_safe=True)


def quote(text: str, limit: int) -> str:
    """Escape a user quote, fold its whitespace onto one line and cut it to ``limit`` characters.

    Folding newlines keeps the quote inside the single ``>`` line the renderer puts it on, so
    user text cannot start a new line of its own (a fake heading, a fake quote author...).
    """
    return truncate_escaped(escape(" ".join(text.split())), limit)
