"""Building a channel's weekly digest from storage.

Every query is bounded by the channel and a six-week window, served by the (channel, time)
indexes, so the cost grows with what the channel said recently, not with the whole table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.analysis.labels import WASTES, display_name
from bot.analysis.themes import is_recurring
from bot.db import Database
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
from bot.errors import NotFound
from bot.models import (
    Channel,
    Concern,
    ConcernStatus,
    Finding,
    FindingKind,
    Member,
    Occurrence,
    Reply,
    ReplySource,
    Theme,
)
from bot.timeutil import Clock, iso_week, parse_iso_week, utcnow

HISTORY_WEEKS = 6
QUOTES_PER_THEME = 2
QUOTE_CHARS = 280
DEFAULT_CONCERN_SLA_DAYS = 14


@dataclass(frozen=True, slots=True)
class _Mention:
    reply_id: int
    member_id: int | None
    anonymous: bool
    week: str
    theme_id: int | None
    label: str
    hours: float | None


async def latest_active_channel(db: Database) -> int | None:
    """The channel with the most recent reply: the default for ``kaizen digest``."""
    async with db.session() as s:
        row = (
            await s.exec(select(Reply.channel_id).order_by(col(Reply.created_at).desc()).limit(1))
        ).first()
        return row


async def build_digest(
    db: Database,
    channel_id: int,
    week: str | None = None,
    *,
    fallback_timezone: str = "UTC",
    concern_sla_days: int = DEFAULT_CONCERN_SLA_DAYS,
    clock: Clock = utcnow,
) -> Digest:
    """The digest of one channel for one ISO week (default: the current week in its zone)."""
    async with db.session() as s:
        channel = await s.get(Channel, channel_id)
        if channel is None:
            raise NotFound(f"there is no channel with id {channel_id}.")
        tz = ZoneInfo(channel.timezone or fallback_timezone)
        now = clock()
        week = week or iso_week(now.astimezone(tz).date())
        monday = parse_iso_week(week)
        weeks = [iso_week(monday - timedelta(weeks=n)) for n in range(HISTORY_WEEKS - 1, -1, -1)]
        window_start = _utc(monday - timedelta(weeks=HISTORY_WEEKS - 1), tz)
        week_start, week_end = _utc(monday, tz), _utc(monday + timedelta(days=7), tz)

        rows = await s.exec(
            select(
                Reply.id,
                Reply.member_id,
                Reply.anonymous,
                Reply.created_at,
                Reply.theme_id,
                Finding.label,
                Finding.hours_lost,
            )
            .join(Finding, col(Finding.reply_id) == col(Reply.id))
            .where(
                Reply.channel_id == channel_id,
                col(Reply.created_at) >= window_start,
                col(Reply.created_at) < week_end,
                Finding.kind == FindingKind.WASTE.value,
            )
        )
        mentions = [
            _Mention(rid, mid, anon, iso_week(at.astimezone(tz).date()), tid, label, hours)
            for rid, mid, anon, at, tid, label, hours in rows
        ]

        participation_rows = await _participation(s, channel_id, week_start, week_end)
        concerns = list(
            await s.exec(
                select(Concern).where(
                    Concern.channel_id == channel_id,
                    col(Concern.opened_at) < week_end,
                    or_(
                        col(Concern.resolved_at).is_(None),
                        col(Concern.resolved_at) >= window_start,
                    ),
                )
            )
        )
        theme_ids = {m.theme_id for m in mentions if m.theme_id is not None}
        themes = {t.id: t for t in await s.exec(select(Theme).where(col(Theme.id).in_(theme_ids)))}
        member_ids = {m.member_id for m in mentions if m.member_id is not None}
        member_ids |= {p[0] for p in participation_rows if p[0] is not None}
        member_ids |= {i for c in concerns for i in (c.owner_id, c.resolved_by_id) if i is not None}
        names = {
            m.id: (m.display_name or m.platform_user_id)
            for m in await s.exec(select(Member).where(col(Member.id).in_(member_ids)))
        }

        this_week = [m for m in mentions if m.week == week]
        theme_cards = _themes(mentions, this_week, themes, weeks, week)
        quote_ids = [rid for card in theme_cards for rid in card[1]]
        texts = {
            rid: (text, mid, anon)
            for rid, text, mid, anon in await s.exec(
                select(Reply.id, Reply.text, Reply.member_id, Reply.anonymous).where(
                    col(Reply.id).in_(quote_ids)
                )
            )
        }

    anonymous = channel.anonymous

    def author(member_id: int | None, anon: bool) -> str | None:
        if anonymous or anon or member_id is None:
            return None
        return names.get(member_id)

    built: list[WasteTheme] = []
    for theme, quote_reply_ids in theme_cards:
        quotes = tuple(
            Quote(_short(texts[r][0]), author(texts[r][1], texts[r][2]))
            for r in quote_reply_ids
            if r in texts
        )
        built.append(replace(theme, quotes=quotes))
    recurring = tuple(t for t in built if t.recurring)
    new = tuple(t for t in built if not t.recurring)

    totals = _totals(this_week)
    history = _history(mentions, concerns, weeks, tz)
    unresolved, resolved = _concerns(concerns, names, now, week_start, week_end, concern_sla_days)
    participation = _participation_summary(participation_rows, names, anonymous)
    return Digest(
        channel_id=channel_id,
        channel_ref=channel.platform_id,
        channel_name=channel.name or channel.platform_id,
        iso_week=week,
        week_start=monday,
        week_end=monday + timedelta(days=6),
        anonymous=anonymous,
        participation=participation,
        recurring=recurring,
        new_wastes=new,
        totals=totals,
        unresolved=unresolved,
        resolved=resolved,
        headline=_headline(history, recurring, unresolved),
        history=history,
    )


def _utc(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight of ``day`` in ``tz`` as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def _people(mentions: list[_Mention]) -> set[str]:
    """Distinct people; each anonymous reply counts as one person, never merged or revealed."""
    return {
        f"reply:{m.reply_id}" if m.member_id is None or m.anonymous else f"member:{m.member_id}"
        for m in mentions
    }


def _themes(
    mentions: list[_Mention],
    this_week: list[_Mention],
    themes: dict[int | None, Theme],
    weeks: list[str],
    week: str,
) -> list[tuple[WasteTheme, list[int]]]:
    """Themes mentioned this week, most mentioned first, each with reply ids to quote."""
    by_theme: dict[int, list[_Mention]] = defaultdict(list)
    for m in mentions:
        if m.theme_id is not None:
            by_theme[m.theme_id].append(m)
    current = {m.theme_id for m in this_week if m.theme_id is not None}
    cards: list[tuple[WasteTheme, list[int]]] = []
    for theme_id in current:
        theme = themes.get(theme_id)
        if theme is None:
            continue
        ms = by_theme[theme_id]
        now_ms = [m for m in ms if m.week == week]
        per_week = Counter(m.week for m in {(m.reply_id, m.week): m for m in ms}.values())
        weekly = tuple((w, per_week.get(w, 0)) for w in weeks)
        count = per_week.get(week, 0)
        hours = [m.hours for m in {m.reply_id: m for m in now_ms}.values() if m.hours]
        category = Counter(m.label for m in ms).most_common(1)[0][0]
        people = _people(ms)
        recurring = is_recurring({m.week for m in ms}, people)
        previous = [c for _, c in weekly[:-1] if c]
        trend = "new" if not previous else _trend(count, previous[-1])
        quote_ids = sorted({m.reply_id for m in now_ms}, reverse=True)[:QUOTES_PER_THEME]
        cards.append(
            (
                WasteTheme(
                    key=theme.key,
                    label=theme.label or theme.key,
                    category=category,
                    count=count,
                    weekly=weekly,
                    trend=trend,
                    people=len(people),
                    hours_lost=round(sum(hours), 1) if hours else None,
                    quotes=(),
                    recurring=recurring,
                ),
                quote_ids,
            )
        )
    cards.sort(key=lambda c: (-c[0].count, -(c[0].hours_lost or 0), c[0].label))
    return cards


def _trend(now: int, before: int) -> str:
    if now > before:
        return "up"
    if now < before:
        return "down"
    return "flat"


def _totals(this_week: list[_Mention]) -> tuple[CategoryTotal, ...]:
    mentions: Counter[str] = Counter()
    hours: defaultdict[str, float] = defaultdict(float)
    for m in this_week:
        mentions[m.label] += 1
        hours[m.label] += m.hours or 0.0
    ordered = sorted(mentions, key=lambda c: (-mentions[c], WASTES.index(c)))
    return tuple(CategoryTotal(c, mentions[c], round(hours[c], 1)) for c in ordered)


def _history(
    mentions: list[_Mention], concerns: list[Concern], weeks: list[str], tz: ZoneInfo
) -> tuple[WeekPoint, ...]:
    points = []
    for w in weeks:
        ms = [m for m in mentions if m.week == w]
        counts = Counter(m.label for m in ms)
        hours: defaultdict[str, float] = defaultdict(float)
        for m in ms:
            hours[m.label] += m.hours or 0.0
        end = _utc(parse_iso_week(w) + timedelta(days=7), tz)
        open_at_end = sum(
            1
            for c in concerns
            if c.opened_at < end and (c.resolved_at is None or c.resolved_at >= end)
        )
        points.append(
            WeekPoint(w, dict(counts), {k: round(v, 1) for k, v in hours.items()}, open_at_end)
        )
    return tuple(points)


def concern_item(
    c: Concern, names: dict[int | None, str], as_of: datetime, sla_days: int
) -> ConcernItem:
    """How an unresolved concern reads in a digest, a list or an updated message."""
    assert c.id is not None
    age = max(0, (as_of - c.opened_at).days)
    return ConcernItem(
        id=c.id,
        kind=c.kind,
        model=c.model,
        summary=c.summary,
        status=c.status,
        age_days=age,
        owner=names.get(c.owner_id) if c.owner_id else None,
        last_mention=c.last_mentioned_at.date(),
        overdue=age > sla_days,
    )


def _concerns(
    concerns: list[Concern],
    names: dict[int | None, str],
    now: datetime,
    week_start: datetime,
    week_end: datetime,
    sla_days: int,
) -> tuple[tuple[ConcernItem, ...], tuple[ResolvedItem, ...]]:
    as_of = min(now, week_end)
    unresolved = [
        concern_item(c, names, as_of, sla_days)
        for c in concerns
        if not (c.status == ConcernStatus.RESOLVED and c.resolved_at is not None)
    ]
    unresolved.sort(key=lambda i: (not i.overdue, -i.age_days, i.id))
    resolved = sorted(
        (
            ResolvedItem(
                id=c.id or 0,
                kind=c.kind,
                model=c.model,
                summary=c.summary,
                resolved_by=names.get(c.resolved_by_id) if c.resolved_by_id else None,
                resolved_at=c.resolved_at,
            )
            for c in concerns
            if c.resolved_at is not None and week_start <= c.resolved_at < week_end
        ),
        key=lambda r: r.resolved_at,
    )
    return tuple(unresolved), tuple(resolved)


async def open_concern_items(
    db: Database,
    channel_id: int,
    *,
    sla_days: int = DEFAULT_CONCERN_SLA_DAYS,
    clock: Clock = utcnow,
) -> list[ConcernItem]:
    """A channel's unresolved concerns, overdue and oldest first, ready to render."""
    async with db.session() as s:
        rows = list(
            await s.exec(
                select(Concern).where(
                    Concern.channel_id == channel_id,
                    col(Concern.status) != ConcernStatus.RESOLVED.value,
                )
            )
        )
        owner_ids = {c.owner_id for c in rows if c.owner_id is not None}
        names = {
            m.id: (m.display_name or m.platform_user_id)
            for m in await s.exec(select(Member).where(col(Member.id).in_(owner_ids)))
        }
    now = clock()
    items = [concern_item(c, names, now, sla_days) for c in rows]
    return sorted(items, key=lambda i: (not i.overdue, -i.age_days, i.id))


async def _participation(
    s: AsyncSession, channel_id: int, week_start: datetime, week_end: datetime
) -> list[tuple[int | None, int, int]]:
    """(member id, asked, answered) for the week: asked = nudges sent, answered = days with a
    check-in reply (a check-in answered without a nudge counts as asked too).

    Anonymous answers are pooled under ``None``: they count in the channel's totals but never
    in a person's row, where "answered 1 of 1" next to an unattributed quote would give the
    author away.
    """
    asked_rows = await s.exec(
        select(Occurrence.member_id, func.count())
        .where(
            Occurrence.channel_id == channel_id,
            Occurrence.kind == "nudge",
            col(Occurrence.member_id).is_not(None),
            col(Occurrence.sent_at) >= week_start,
            col(Occurrence.sent_at) < week_end,
        )
        .group_by(col(Occurrence.member_id))
    )
    asked: dict[int | None, int] = {mid: n for mid, n in asked_rows}
    answered_rows = await s.exec(
        select(Reply.id, Reply.member_id, Reply.anonymous, Reply.created_at).where(
            Reply.channel_id == channel_id,
            Reply.source == ReplySource.CHECKIN.value,
            col(Reply.created_at) >= week_start,
            col(Reply.created_at) < week_end,
        )
    )
    days: defaultdict[int | None, set[object]] = defaultdict(set)
    for reply_id, mid, anon, at in answered_rows:
        if anon or mid is None:
            days[None].add(reply_id)
        else:
            days[mid].add(at.date())
    people = set(asked) | set(days)
    return sorted(
        ((mid, max(asked.get(mid, 0), len(days[mid])), len(days[mid])) for mid in people),
        key=lambda row: (row[0] is None, row[0] or 0),
    )


def _participation_summary(
    rows: list[tuple[int | None, int, int]], names: dict[int | None, str], anonymous: bool
) -> Participation:
    asked = sum(r[1] for r in rows)
    answered = sum(r[2] for r in rows)
    people = (
        ()
        if anonymous
        else tuple(
            sorted(
                (
                    PersonParticipation(names.get(mid, "someone"), ans, ask)
                    for mid, ask, ans in rows
                ),
                key=lambda p: (-p.answered, p.name),
            )
        )
    )
    return Participation(answered=answered, asked=asked, people=people)


def _headline(
    history: tuple[WeekPoint, ...],
    recurring: tuple[WasteTheme, ...],
    unresolved: tuple[ConcernItem, ...],
) -> str:
    """The single biggest change since last week, in one sentence.

    A category moving by two or more mentions is news; so is the open-concern count moving. When
    nothing moved much, the news is what keeps coming back.
    """
    this, last = history[-1], history[-2] if len(history) > 1 else None
    said_now = sum(this.mentions.values())
    said_before = sum(last.mentions.values()) if last else 0
    if said_now == 0 and said_before == 0:
        if unresolved:
            return f"A quiet week for wastes; {len(unresolved)} MLOps concern(s) still open."
        return "A quiet week: no wastes reported and no open concerns."
    before = last.mentions if last else {}
    deltas = {c: this.mentions.get(c, 0) - before.get(c, 0) for c in {*this.mentions, *before}}
    category, delta = max(deltas.items(), key=lambda kv: (abs(kv[1]), kv[1], kv[0]))
    concern_delta = this.open_concerns - (last.open_concerns if last else 0)
    if abs(delta) >= 2 and abs(delta) >= abs(concern_delta):
        verb = "rose" if delta > 0 else "fell"
        lead = next((t.label for t in recurring if t.category == category), None)
        tail = f", led by {lead}" if lead and delta > 0 else ""
        return (
            f"{display_name(category)} {verb} from {before.get(category, 0)} to "
            f"{this.mentions.get(category, 0)} mentions since last week{tail}."
        )
    if abs(concern_delta) >= 2 or (concern_delta and not recurring):
        verb = "rose" if concern_delta > 0 else "fell"
        was = last.open_concerns if last else 0
        return f"Open MLOps concerns {verb} from {was} to {this.open_concerns} since last week."
    if recurring:
        top = recurring[0]
        weeks_seen = sum(1 for _, n in top.weekly if n)
        hours = f", {top.hours_lost:g} h lost this week" if top.hours_lost else ""
        return (
            f"{top.label} keeps coming back: seen in {weeks_seen} of the last "
            f"{len(top.weekly)} weeks{hours}."
        )
    return f"{said_now} waste mention(s) this week against {said_before} the week before."
