"""The running core as adapters see it: settings, storage, analyser, questions, clock.

Built once per process by the composition root (``handlers/server.py``) and shared by every
platform adapter and the scheduler, so they all act on the same services the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.config import Settings
from bot.db import Database
from bot.prompts import QuestionSet
from bot.services.analysis import Analyser
from bot.timeutil import Clock, utcnow


@dataclass
class Kaizen:
    """The core as the Slack adapter sees it: database, analyser, question sets, clock."""

    settings: Settings
    db: Database
    analyser: Analyser
    question_sets: dict[str, QuestionSet]
    clock: Clock = utcnow
    concern_sla_days: int = 14
    on_channel_changed: list[Callable[[int], Awaitable[None]]] = field(default_factory=list)
    on_checkin_answer: list[Callable[[int, date], Awaitable[None]]] = field(default_factory=list)
    _user_cache: dict[tuple[str, str], tuple[str, str | None, bool]] = field(default_factory=dict)

    _messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def remember_message(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        """Keep the message a modal was opened from, to update it when the modal is submitted.

        Slack does not send the message again with the submission, and reading it back would
        need a history scope the bot does not ask for. Kept in memory and bounded: after a
        restart the message is simply not refreshed (the change itself is saved either way).
        """
        if len(self._messages) > 500:
            self._messages.pop(next(iter(self._messages)))
        self._messages[f"{channel}/{ts}"] = message

    def recall_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return self._messages.pop(f"{channel}/{ts}", None)

    async def checkin_answered(self, channel_id: int, day: date) -> None:
        """A check-in answer was stored (the scheduler updates a summary already posted)."""
        for callback in self.on_checkin_answer:
            await callback(channel_id, day)

    async def channel_changed(self, channel_id: int) -> None:
        """Tell whoever cares (the scheduler rebuilds its triggers) that a channel changed."""
        for callback in self.on_channel_changed:
            await callback(channel_id)
