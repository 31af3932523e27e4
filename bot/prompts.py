"""Question sets: TOML files users edit, validated so a typo stops the bot with a clear message.

A mistake in a question file would otherwise surface days later as a broken check-in modal, so
``load_question_sets`` checks everything at start-up and names the file and the question.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.analysis.labels import CONCERNS, WASTES
from bot.errors import KaizenError

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MAX_QUESTION_CHARS = 300  # readable on a phone; Slack's input label allows 2,000
CADENCES = {"daily", "weekly"}


class QuestionSetError(KaizenError):
    """A question file is invalid; the message names the file and what to fix."""


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str
    optional: bool = False
    hints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionSet:
    name: str
    title: str
    cadence: str
    questions: tuple[Question, ...]


def load_question_sets(folder: Path) -> dict[str, QuestionSet]:
    """Every ``*.toml`` in ``folder`` as a question set named after its file."""
    if not folder.is_dir():
        raise QuestionSetError(
            f"the question folder {folder} does not exist; "
            "set KAIZEN_PROMPTS_DIR or restore prompts/."
        )
    sets: dict[str, QuestionSet] = {}
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        qset = _load_one(path)
        for q in qset.questions:
            if q.key in seen:
                raise QuestionSetError(
                    f"{path.name}: question key '{q.key}' is also used in {seen[q.key]}; "
                    "keys must be unique across files."
                )
            seen[q.key] = path.name
        sets[qset.name] = qset
    if not sets:
        raise QuestionSetError(f"no question sets (*.toml) found in {folder}.")
    return sets


def _load_one(path: Path) -> QuestionSet:
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise QuestionSetError(f"{where} is not valid TOML: {exc}") from None
    cadence = data.get("cadence", "weekly")
    if cadence not in CADENCES:
        raise QuestionSetError(f"{where}: cadence must be 'daily' or 'weekly', not {cadence!r}.")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise QuestionSetError(f"{where}: needs at least one [[questions]] entry.")
    questions = []
    for n, raw in enumerate(raw_questions, start=1):
        label = f"{where}, question {n}"
        if not isinstance(raw, dict):
            raise QuestionSetError(f"{label}: must be a table with key and text.")
        unknown = set(raw) - {"key", "text", "optional", "hints"}
        if unknown:
            raise QuestionSetError(f"{label}: unknown field(s) {', '.join(sorted(unknown))}.")
        key, text = raw.get("key"), raw.get("text")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise QuestionSetError(
                f"{label}: key must look like 'set.name' in lower case (e.g. 'standup.today'), "
                f"not {key!r}."
            )
        if not isinstance(text, str) or not text.strip():
            raise QuestionSetError(f"{label} ({key}): text is missing.")
        if len(text) > MAX_QUESTION_CHARS:
            raise QuestionSetError(
                f"{label} ({key}): text is {len(text)} characters; keep it under "
                f"{MAX_QUESTION_CHARS} so it reads on a phone."
            )
        hints = raw.get("hints", [])
        bad = (
            [h for h in hints if h not in WASTES + CONCERNS] if isinstance(hints, list) else [hints]
        )
        if bad:
            raise QuestionSetError(
                f"{label} ({key}): unknown hint(s) {bad}; "
                "use waste or concern ids from the taxonomy."
            )
        optional = raw.get("optional", False)
        if not isinstance(optional, bool):
            raise QuestionSetError(f"{label} ({key}): optional must be true or false.")
        questions.append(Question(key, text.strip(), optional, tuple(hints)))
    return QuestionSet(path.stem, str(data.get("title", path.stem)), cadence, tuple(questions))
