"""Analyse replies record by record: labels, theme, model and hours lost, as JSON Lines.

This is what ``kaizen analyze`` and the bench run, and what storage calls per incoming reply, so
it has no platform or database dependency: a record in, the same record plus analysis out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any, TextIO

from bot.analysis.classifier import Classifier, default_classifier
from bot.analysis.reading import read_reply
from bot.analysis.themes import ThemeIndex

DEFAULT_SCOPE = ""
"""Theme scope used for records without a ``team``."""


def scope_of(rec: dict[str, Any]) -> str:
    """The team a record's themes (and configured models) belong to: its ``team``, if any."""
    team = rec.get("team")
    return team if isinstance(team, str) else DEFAULT_SCOPE


def analyze_record(
    rec: dict[str, Any],
    *,
    classifier: Classifier,
    themes_by_team: dict[str, ThemeIndex],
    known_models: Sequence[str] = (),
    today: date | None = None,
) -> dict[str, Any]:
    """Return ``rec`` plus ``wastes``, ``concerns``, ``theme``, ``model`` and ``hours_lost``.

    The reply is read by :func:`bot.analysis.reading.read_reply`, exactly as stored replies are,
    so the CLI and storage agree. ``themes_by_team`` is updated in place (a new team gets a fresh
    index), so a caller that streams replies in order builds themes across people and weeks.
    ``hours_lost`` is only set when the reply names a waste: a duration in a pure status or metric
    reply is not time lost. ``today`` anchors relative durations ("since Monday").
    """
    question = rec.get("question")
    cls = classifier.classify(rec["text"], question if isinstance(question, str) else None)
    scope = scope_of(rec)
    index = themes_by_team.get(scope)
    if index is None:
        index = themes_by_team[scope] = ThemeIndex()
    reading = read_reply(rec["text"], cls, themes=index, known_models=known_models, today=today)
    out = dict(rec)
    out["wastes"] = reading.wastes
    out["concerns"] = reading.concerns
    out["theme"] = reading.theme.key if reading.theme else None
    out["model"] = reading.model
    out["hours_lost"] = reading.hours_lost
    return out


def _record_error(line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(rec, dict):
        return None, f"expected a JSON object, got {type(rec).__name__}"
    if "text" not in rec:
        return None, "missing required key 'text'"
    if not isinstance(rec["text"], str):
        return None, f"'text' must be a string, got {type(rec['text']).__name__}"
    return rec, None


def analyze_stream(
    inp: TextIO,
    out: TextIO,
    err: TextIO,
    *,
    classifier: Classifier | None = None,
    known_models: Sequence[str] = (),
) -> int:
    """Analyse JSON Lines from ``inp`` to ``out``; report bad lines on ``err``; return error count.

    One bad line must not lose a whole export, so it is reported with its 1-based line number and
    skipped. Blank lines are ignored silently.
    """
    clf = classifier or default_classifier()
    themes: dict[str, ThemeIndex] = {}
    errors = 0
    write = out.write
    dumps = json.dumps
    for lineno, line in enumerate(inp, start=1):
        if not line.strip():
            continue
        rec, problem = _record_error(line)
        if rec is None:
            errors += 1
            err.write(f"line {lineno}: {problem}; skipped\n")
            continue
        write(
            dumps(
                analyze_record(
                    rec, classifier=clf, themes_by_team=themes, known_models=known_models
                ),
                ensure_ascii=False,
            )
        )
        write("\n")
    return errors
