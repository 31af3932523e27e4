"""The digest's data: everything a renderer needs, nothing it must look up again.

Author names are already resolved here, and are ``None`` whenever the reply was anonymous or the
channel runs in anonymous mode, so no renderer can leak an author by mistake.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Trend = Literal["new", "up", "down", "flat"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A short excerpt of a reply, raw (renderers escape it for their target)."""

    text: str
    author: str | None  # None when anonymous


@dataclass(frozen=True, slots=True)
class PersonParticipation:
    name: str
    answered: int
    asked: int


@dataclass(frozen=True, slots=True)
class Participation:
    """Check-ins answered out of those asked this week; ``people`` is empty when anonymous."""

    answered: int
    asked: int
    people: tuple[PersonParticipation, ...] = ()

    @property
    def rate(self) -> float | None:
        return None if self.asked == 0 else self.answered / self.asked


@dataclass(frozen=True, slots=True)
class WasteTheme:
    """A theme of waste replies, with its history over the last weeks."""

    key: str
    label: str
    category: str  # a waste id, e.g. "waiting"
    count: int  # mentions this week
    weekly: tuple[tuple[str, int], ...]  # (ISO week, mentions), oldest first, this week last
    trend: Trend
    people: int  # distinct people this week and before (anonymous replies count as one each)
    hours_lost: float | None  # this week, where durations were given
    quotes: tuple[Quote, ...]
    recurring: bool


@dataclass(frozen=True, slots=True)
class CategoryTotal:
    category: str
    mentions: int
    hours_lost: float


@dataclass(frozen=True, slots=True)
class ConcernItem:
    """An unresolved MLOps concern as the digest shows it."""

    id: int
    kind: str
    model: str | None
    summary: str
    status: str
    age_days: int
    owner: str | None
    last_mention: date
    overdue: bool  # older than the channel's concern SLA


@dataclass(frozen=True, slots=True)
class ResolvedItem:
    id: int
    kind: str
    model: str | None
    summary: str
    resolved_by: str | None
    resolved_at: datetime


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One week of the chart: mentions and hours per waste category, open concerns at week end."""

    iso_week: str
    mentions: dict[str, int]
    hours: dict[str, float]
    open_concerns: int


@dataclass(frozen=True, slots=True)
class Digest:
    channel_id: int
    channel_ref: str  # the platform's channel id, for posting
    channel_name: str
    iso_week: str
    week_start: date
    week_end: date
    anonymous: bool
    participation: Participation
    recurring: tuple[WasteTheme, ...]
    new_wastes: tuple[WasteTheme, ...]
    totals: tuple[CategoryTotal, ...]
    unresolved: tuple[ConcernItem, ...]
    resolved: tuple[ResolvedItem, ...]
    headline: str  # the single biggest change since last week, one sentence
    history: tuple[WeekPoint, ...] = field(default=())  # last weeks, oldest first

    @property
    def is_empty(self) -> bool:
        """Nothing said and nothing open: renderers show a short 'quiet week' message."""
        return (
            not (
                self.participation.answered or self.recurring or self.new_wastes or self.unresolved
            )
            and not self.resolved
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``kaizen digest --format json``."""
        data = asdict(self)
        data["participation"]["rate"] = self.participation.rate
        return data
