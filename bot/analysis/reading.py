"""One reply read in full: labels, model, hours lost and theme, the same way everywhere.

``kaizen analyze`` (JSON Lines), the stored-reply analyser and the benchmark all go through
``read_reply``, so a reply gets the same reading whichever door it came in by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.analysis.durations import hours_lost
from bot.analysis.model_names import find_model
from bot.analysis.themes import ThemeIndex, ThemeMatch
from bot.analysis.types import Classification


@dataclass(frozen=True, slots=True)
class Reading:
    classification: Classification
    model: str | None
    hours_lost: float | None  # only when a waste was found: a duration in a status is no loss
    theme: ThemeMatch | None

    @property
    def wastes(self) -> list[str]:
        return sorted(self.classification.wastes)

    @property
    def concerns(self) -> list[str]:
        return sorted(self.classification.concerns)

    @property
    def top_waste(self) -> str | None:
        """The waste the hours are booked against, so two labels never count the time twice."""
        wastes = self.classification.wastes
        return max(sorted(wastes), key=lambda w: wastes[w]) if wastes else None


def read_reply(
    text: str,
    classification: Classification,
    *,
    themes: ThemeIndex | None,
    known_models: Sequence[str] = (),
    today: date | None = None,
) -> Reading:
    """Complete a classification with model, hours lost and theme (updating ``themes``)."""
    model = find_model(text, known_models)
    labels = sorted(classification.wastes) + sorted(classification.concerns)
    match = themes.assign(text, labels, model) if themes is not None else None
    hours = hours_lost(text, today) if classification.wastes else None
    return Reading(classification, model, hours, match)
