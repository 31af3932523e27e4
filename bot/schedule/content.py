"""What the scheduler sends, as platform-free data; each adapter renders it for its platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.prompts import Question


@dataclass(frozen=True, slots=True)
class Nudge:
    """A DM asking one person for today's check-in (``reminder`` for the single follow-up)."""

    channel_id: int
    channel_name: str
    local_date: date
    questions: tuple[Question, ...]
    reminder: bool = False


@dataclass(frozen=True, slots=True)
class CheckinOpened:
    """The channel message that opens a day's check-in; the summary goes in its thread."""

    channel_name: str
    local_date: date
    people: int


@dataclass(frozen=True, slots=True)
class SummaryItem:
    text: str  # raw user text, short; renderers escape it
    author: str | None  # None when anonymous


@dataclass(frozen=True, slots=True)
class DailySummary:
    """Who answered, waits and rework reported, new concerns: posted when the window closes."""

    channel_name: str
    local_date: date
    answered: tuple[str, ...]  # names; empty when the channel is anonymous
    answered_count: int
    asked_count: int
    waits: tuple[SummaryItem, ...]
    rework: tuple[SummaryItem, ...]
    new_concerns: tuple[tuple[int, str, str | None, str], ...]  # (id, kind, model, summary)
    late: bool = False  # updated after the window closed because a late answer came in
