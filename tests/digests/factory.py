"""Realistic ``Digest`` objects for renderer tests, with knobs for the awkward cases.

``make_digest()`` is a normal week of an ML platform team; ``recurring=40, concerns=60`` a very
long one; ``anonymous=True`` what the builder produces for an anonymous channel; ``empty=True``
a quiet week. Anything else can be replaced with keyword overrides of ``Digest`` fields.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.analysis.labels import WASTES
from bot.digests.model import (
    CategoryTotal,
    ConcernItem,
    Digest,
    Participation,
    PersonParticipation,
    Quote,
    ResolvedItem,
    WasteTheme,
    WeekPoint,
)

WEEK = "2026-W48"
WEEK_START = date(2026, 11, 23)
WEEK_END = date(2026, 11, 29)
# Names that only ever appear as reply authors or participants, so a test can look for them.
AUTHORS = ("Alice Okonkwo", "Bartosz Wiśniewski", "Chen Yuhan", "Divya Raman")
# Concern owners and resolvers: people acting on concerns, not authors of replies.
OWNERS = ("Mo Salah-Ops", "Priya MLOps")

THEME_SEEDS = (
    ("gpu-quota", "Waiting on GPU quota approvals", "waiting"),
    ("flaky-e2e", "Flaky end-to-end tests in the training pipeline", "defects"),
    ("manual-signoff", "Three manual sign-offs for every model release", "overprocessing"),
    ("stale-prs", "Feature-store PRs waiting weeks for review", "inventory"),
    ("ctx-switch", "On-call interrupts during experiment work", "motion"),
    ("handoff-data", "CSV hand-offs between analytics and ML", "transportation"),
    ("unused-dash", "Dashboards nobody reads", "overproduction"),
    ("grunt-work", "Seniors relabelling data by hand", "unused_talent"),
)
QUOTES = (
    "still no A100s approved, third week running",
    "re-ran the nightly training twice because the e2e suite flaked",
    "waiting on legal & security for the same model card again",
    "PR #412 has been open 19 days",
)
CONCERN_SEEDS = (
    ("drift_retraining", "fraud-scorer", "Feature drift on merchant_category since the v3 rollout"),
    ("serving_sla", "search-ranker", "p99 latency above 250 ms at peak traffic"),
    ("security_privacy", None, "Raw PII in the eu-west feature store export"),
    ("model_quality", "churn-xgb", "F1 dropped from 0.81 to 0.74 after retraining"),
)


def _weeks(count: int) -> list[str]:
    monday = WEEK_START - timedelta(weeks=count - 1)
    result = []
    for i in range(count):
        year, week, _ = (monday + timedelta(weeks=i)).isocalendar()
        result.append(f"{year}-W{week:02d}")
    return result


def make_theme(
    index: int,
    *,
    recurring: bool = True,
    anonymous: bool = False,
    quote_text: str | None = None,
    label: str | None = None,
) -> WasteTheme:
    """A waste theme with three weeks of history, two quotes and hours lost when odd."""
    key, seed_label, category = THEME_SEEDS[index % len(THEME_SEEDS)]
    counts = (2 + index % 3, 3 + index % 4, 4 + index % 5) if recurring else (0, 0, 2)
    quotes = (
        Quote(
            quote_text or QUOTES[index % len(QUOTES)],
            None if anonymous else AUTHORS[index % len(AUTHORS)],
        ),
        Quote(QUOTES[(index + 1) % len(QUOTES)], None if anonymous else AUTHORS[-1]),
    )
    return WasteTheme(
        key=f"{key}-{index}",
        label=label or (seed_label if index < len(THEME_SEEDS) else f"{seed_label} ({index})"),
        category=category,
        count=counts[-1],
        weekly=tuple(zip(_weeks(3), counts, strict=True)) if recurring else ((WEEK, counts[-1]),),
        trend=("up", "flat", "down")[index % 3] if recurring else "new",
        people=2 + index % 4,
        hours_lost=6.5 + index if index % 2 == 0 else None,
        quotes=quotes,
        recurring=recurring,
    )


def make_concern(index: int, *, overdue: bool | None = None) -> ConcernItem:
    kind, model, summary = CONCERN_SEEDS[index % len(CONCERN_SEEDS)]
    age = 3 + 6 * index
    return ConcernItem(
        id=100 + index,
        kind=kind,
        model=model,
        summary=summary,
        status="open",
        age_days=age,
        owner=OWNERS[index % 2] if index % 3 else None,
        last_mention=WEEK_END - timedelta(days=index % 6),
        overdue=age > 14 if overdue is None else overdue,
    )


def make_history(weeks: int, *, hours: bool = True) -> tuple[WeekPoint, ...]:
    points = []
    for i, iso in enumerate(_weeks(weeks)):
        mentions = {c: (i + j) % 4 + (1 if c == "waiting" else 0) for j, c in enumerate(WASTES[:5])}
        mentions = {c: n for c, n in mentions.items() if n}
        point_hours = {c: 2.5 * n for c, n in mentions.items()} if hours else {}
        points.append(WeekPoint(iso, mentions, point_hours, open_concerns=2 + i % 3))
    return tuple(points)


def make_digest(
    *,
    recurring: int = 3,
    new: int = 2,
    concerns: int = 3,
    resolved: int = 1,
    anonymous: bool = False,
    empty: bool = False,
    history_weeks: int = 6,
    hours: bool = True,
    quote_text: str | None = None,
    **overrides: Any,
) -> Digest:
    """A digest of ``#ml-platform`` for 2026-W48; keyword ``overrides`` replace Digest fields."""
    if empty:
        recurring = new = concerns = resolved = 0
    themes = tuple(
        make_theme(i, anonymous=anonymous, quote_text=quote_text) for i in range(recurring)
    )
    new_themes = tuple(make_theme(i + 3, recurring=False, anonymous=anonymous) for i in range(new))
    totals: dict[str, list[float]] = {}
    for theme in themes + new_themes:
        entry = totals.setdefault(theme.category, [0, 0.0])
        entry[0] += theme.count
        entry[1] += theme.hours_lost or 0.0
    people = (
        ()
        if anonymous
        else tuple(
            PersonParticipation(name, answered=3 - i % 2, asked=3) for i, name in enumerate(AUTHORS)
        )
    )
    answered = 0 if empty else sum(p.answered for p in people) or 9
    digest = Digest(
        channel_id=7,
        channel_ref="C0ML0PLAT",
        channel_name="ml-platform",
        iso_week=WEEK,
        week_start=WEEK_START,
        week_end=WEEK_END,
        anonymous=anonymous,
        participation=Participation(answered=answered, asked=12, people=() if empty else people),
        recurring=themes,
        new_wastes=new_themes,
        totals=tuple(
            CategoryTotal(category, int(count), hours_lost)
            for category, (count, hours_lost) in totals.items()
        ),
        unresolved=tuple(make_concern(i) for i in range(concerns)),
        resolved=tuple(
            ResolvedItem(
                id=90 + i,
                kind="serving_sla",
                model="search-ranker",
                summary="Autoscaling floor raised; p99 back under 200 ms",
                resolved_by=OWNERS[i % 2],
                resolved_at=datetime(2026, 11, 27, 15, 30, tzinfo=UTC),
            )
            for i in range(resolved)
        ),
        headline=(
            ""
            if empty
            else "Waiting on GPU quota rose from 3 to 6 mentions and now affects 4 people."
        ),
        history=make_history(history_weeks, hours=hours),
    )
    return dataclasses.replace(digest, **overrides) if overrides else digest


__all__ = ["AUTHORS", "OWNERS", "make_concern", "make_digest", "make_theme"]
