"""The scheduler: nudges, reminders, openings, summaries and digests, each sent exactly once.

How it stays correct:
- the database is the only source of schedules; APScheduler just holds, per channel, one
  ``DateTrigger`` at that channel's next due instant, rebuilt on start and on every change,
  plus a five-minute sweep in case a trigger was lost;
- every occurrence is claimed in the ledger (unique key) before anything is sent, so restarts,
  retried jobs and a second process on the same database never send twice;
- a claim left without an outcome (a crash between claim and send) is taken over atomically on
  the next start and sent then, once;
- something due while the bot was down goes out late if it is still within the grace period,
  and is logged and skipped otherwise, never sent the next morning as a stale surprise.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from apscheduler.triggers.date import DateTrigger
from sqlalchemy import update
from sqlmodel import col, select

from bot.db import Database
from bot.digests.build import DEFAULT_CONCERN_SLA_DAYS, build_digest
from bot.digests.chart import render_chart
from bot.digests.text import render_text
from bot.messenger import Attachment, Message, MessageRef, Messenger
from bot.models import (
    Channel,
    ChannelMember,
    DigestSent,
    Member,
    Occurrence,
    OccurrenceStatus,
    Reply,
    ReplySource,
    Workspace,
)
from bot.prompts import QuestionSet
from bot.schedule import plan
from bot.schedule.content import CheckinOpened, DailySummary, Nudge
from bot.schedule.pacing import Pacer
from bot.schedule.summary import daily_summary, day_bounds
from bot.services import ledger
from bot.services.skips import is_skipped
from bot.storage import insert_if_absent
from bot.timeutil import Clock, iso_week, utcnow

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=1)
LOOKBACK = timedelta(days=2)
STUCK_AFTER = timedelta(minutes=2)
SWEEP_SECONDS = 300


MessengerFor = Callable[[str, str], Awaitable[Messenger | None]]
"""(platform, workspace external id) -> how to reach that workspace, or None to leave it."""


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class RunReport:
    sent: list[tuple[str, int | None, date]] = field(default_factory=list)
    skipped: list[tuple[str, int | None, date, str]] = field(default_factory=list)
    failed: list[tuple[str, int | None, date, str]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for k, _, _ in self.sent if k == kind)


def encode_ref(ref: MessageRef) -> str:
    return f"{ref.conversation}/{ref.message_id}"


def decode_ref(value: str | None) -> MessageRef | None:
    if not value or "/" not in value:
        return None
    conversation, message_id = value.split("/", 1)
    return MessageRef(conversation, message_id)


class Scheduler:
    def __init__(
        self,
        db: Database,
        question_sets: dict[str, QuestionSet],
        messenger_for: MessengerFor,
        *,
        fallback_tz: str = "UTC",
        clock: Clock = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        grace: timedelta = DEFAULT_GRACE,
        instance: str | None = None,
        pace: float = 20.0,
        monotonic: Callable[[], float] | None = None,
        concern_sla_days: int = DEFAULT_CONCERN_SLA_DAYS,
    ) -> None:
        self.db = db
        self.question_sets = question_sets
        self.messenger_for = messenger_for
        self.fallback_tz = fallback_tz
        self.clock = clock
        self.sleep = sleep
        self.grace = grace
        self.instance = instance or instance_name()
        self.pace = pace
        self.monotonic = monotonic or _loop_time
        self.concern_sla_days = concern_sla_days
        self.aps: Any = None  # an AsyncIOScheduler once attached
        self._lock = asyncio.Lock()

    # -- what is due -------------------------------------------------------------------------

    async def _channels(self, channel_id: int | None = None) -> list[tuple[Channel, Workspace]]:
        async with self.db.session() as s:
            query = select(Channel, Workspace).join(
                Workspace, col(Workspace.id) == col(Channel.workspace_id)
            )
            if channel_id is not None:
                query = query.where(Channel.id == channel_id)
            return [(c, w) for c, w in await s.exec(query)]

    async def _messenger(self, workspace: Workspace) -> Messenger | None:
        return await self.messenger_for(workspace.platform, workspace.external_id)

    async def _members(self, channel_id: int) -> list[Member]:
        async with self.db.session() as s:
            return list(
                await s.exec(
                    select(Member)
                    .join(ChannelMember, col(ChannelMember.member_id) == col(Member.id))
                    .where(ChannelMember.channel_id == channel_id, col(ChannelMember.active))
                    .order_by(col(Member.id))
                )
            )

    async def next_due(self, after: datetime, channel_id: int | None = None) -> datetime | None:
        """The first instant after ``after`` when something is due (for triggers and the
        sandbox's *Run next scheduled event*)."""
        best: datetime | None = None
        for channel, _ in await self._channels(channel_id):
            if channel.paused:
                continue
            members = await self._members(channel.id or 0)
            for horizon in (timedelta(days=8), timedelta(days=40)):
                dues = plan.occurrences(
                    channel,
                    members,
                    after + timedelta(microseconds=1),
                    after + horizon,
                    fallback_tz=self.fallback_tz,
                )
                if dues:
                    best = dues[0].at if best is None else min(best, dues[0].at)
                    break
        return best

    # -- running -----------------------------------------------------------------------------

    async def run_due(
        self, now: datetime | None = None, channel_id: int | None = None
    ) -> RunReport:
        """Send everything due up to ``now`` that nobody has claimed yet."""
        now = now or self.clock()
        report = RunReport()
        async with self._lock:
            for channel, workspace in await self._channels(channel_id):
                if channel.paused:
                    continue
                members = {m.id: m for m in await self._members(channel.id or 0)}
                dues = plan.occurrences(
                    channel,
                    members.values(),
                    now - LOOKBACK,
                    now + timedelta(microseconds=1),
                    fallback_tz=self.fallback_tz,
                )
                messenger = await self._messenger(workspace)
                if messenger is None:
                    continue
                await self._process(channel, members, dues, messenger, now, report)
        return report

    async def _process(
        self,
        channel: Channel,
        members: dict[int | None, Member],
        dues: Sequence[plan.Due],
        messenger: Messenger,
        now: datetime,
        report: RunReport,
    ) -> None:
        batch: list[tuple[plan.Due, int]] = []
        for due in dues:
            if due.kind == plan.DIGEST:
                await self._digest(channel, due, messenger, now, report)
                continue
            if due.at < now - self.grace:
                await self._skip_stale(due, report)
                continue
            reason = await self._reason_to_skip(channel, due)
            occurrence = await ledger.claim(
                self.db,
                kind=due.kind,
                channel_id=due.channel_id,
                member_id=due.member_id,
                local_date=due.local_date,
                claimed_by=self.instance,
                clock=lambda: now,
            )
            if occurrence is None or occurrence.id is None:
                continue  # someone (maybe us, earlier) already has it
            await self._set_due(occurrence.id, due.at)
            if reason:
                await ledger.mark(self.db, occurrence.id, OccurrenceStatus.SKIPPED)
                report.skipped.append((due.kind, due.member_id, due.local_date, reason))
                continue
            if due.kind in (plan.NUDGE, plan.REMINDER):
                batch.append((due, occurrence.id))
            else:
                await self._send_one(channel, members, due, occurrence.id, messenger, report, now)
            if due.kind == plan.OPENING:
                await self._flush(channel, members, batch, messenger, report, now)
                batch = []
        await self._flush(channel, members, batch, messenger, report, now)

    async def _flush(
        self,
        channel: Channel,
        members: dict[int | None, Member],
        batch: list[tuple[plan.Due, int]],
        messenger: Messenger,
        report: RunReport,
        now: datetime,
    ) -> None:
        if not batch:
            return
        pacer = Pacer(
            rate=getattr(messenger, "max_rate", self.pace),
            sleep=self.sleep,
            monotonic=self.monotonic,
        )
        self.last_pacer = pacer

        async def send(item: tuple[plan.Due, int]) -> MessageRef:
            due, _ = item
            member = members[due.member_id]
            nudge = Nudge(
                channel_id=channel.id or 0,
                channel_name=channel.name or channel.platform_id,
                local_date=due.local_date,
                questions=self._questions(channel),
                reminder=due.kind == plan.REMINDER,
            )
            text = (
                f"Reminder: your check-in for #{nudge.channel_name} is still open."
                if nudge.reminder
                else f"Time for your check-in for #{nudge.channel_name}."
            )
            return await messenger.send_dm(member.platform_user_id, Message(text, nudge))

        done, failed = await pacer.run(batch, send)
        for (due, occurrence_id), ref in done:
            await ledger.mark(
                self.db,
                occurrence_id,
                OccurrenceStatus.SENT,
                message_ref=encode_ref(ref),
                at=self.clock(),
            )
            report.sent.append((due.kind, due.member_id, due.local_date))
        for (due, occurrence_id), error in failed:
            await ledger.mark(self.db, occurrence_id, OccurrenceStatus.FAILED)
            log.error("could not send %s to member %s: %s", due.kind, due.member_id, error)
            report.failed.append((due.kind, due.member_id, due.local_date, str(error)))

    def _questions(self, channel: Channel) -> tuple[Any, ...]:
        sets = [self.question_sets[n] for n in channel.question_sets if n in self.question_sets]
        return tuple(q for qs in sets for q in qs.questions)

    async def _send_one(
        self,
        channel: Channel,
        members: dict[int | None, Member],
        due: plan.Due,
        occurrence_id: int,
        messenger: Messenger,
        report: RunReport,
        now: datetime,
    ) -> None:
        try:
            if due.kind == plan.OPENING:
                opened = CheckinOpened(
                    channel.name or channel.platform_id, due.local_date, len(members)
                )
                ref = await messenger.post(
                    channel.platform_id,
                    Message(f"Today's check-in for #{opened.channel_name} is open.", opened),
                )
            else:  # SUMMARY
                tz = plan.channel_zone(channel, self.fallback_tz)
                summary = await daily_summary(self.db, channel, due.local_date, tz)
                thread = await self._opening_ref(channel.id or 0, due.local_date)
                ref = await messenger.post(
                    channel.platform_id, summary_message(summary), thread=thread
                )
        except Exception as error:  # a platform failure must not stop the other channels
            await ledger.mark(self.db, occurrence_id, OccurrenceStatus.FAILED)
            log.exception("could not send %s for channel %s", due.kind, channel.id)
            report.failed.append((due.kind, None, due.local_date, str(error)))
            return
        await ledger.mark(
            self.db,
            occurrence_id,
            OccurrenceStatus.SENT,
            message_ref=encode_ref(ref),
            at=self.clock(),
        )
        report.sent.append((due.kind, None, due.local_date))

    async def _opening_ref(self, channel_id: int, day: date) -> MessageRef | None:
        async with self.db.session() as s:
            value = (
                await s.exec(
                    select(Occurrence.message_ref).where(
                        Occurrence.key == ledger.occurrence_key(plan.OPENING, channel_id, None, day)
                    )
                )
            ).first()
        return decode_ref(value)

    async def _reason_to_skip(self, channel: Channel, due: plan.Due) -> str | None:
        if due.local_date.isoformat() in channel.skip_dates:
            return "channel skip date"
        if due.member_id is None:
            return None
        if await is_skipped(self.db, due.member_id, channel.id or 0, due.local_date):
            return "member skip"
        if due.kind == plan.REMINDER:
            return await self._reminder_not_needed(channel, due)
        return None

    async def _reminder_not_needed(self, channel: Channel, due: plan.Due) -> str | None:
        key = ledger.occurrence_key(plan.NUDGE, channel.id or 0, due.member_id, due.local_date)
        async with self.db.session() as s:
            nudge = (await s.exec(select(Occurrence).where(Occurrence.key == key))).first()
            if nudge is None or nudge.status != OccurrenceStatus.SENT:
                return "no nudge was sent"
            member = await s.get(Member, due.member_id)
            start, end = day_bounds(
                due.local_date, plan.member_zone(channel, member, self.fallback_tz)
            )
            answered = (
                await s.exec(
                    select(Reply.id).where(
                        Reply.channel_id == channel.id,
                        Reply.member_id == due.member_id,
                        Reply.source == ReplySource.CHECKIN.value,
                        (col(Reply.occurrence_id) == nudge.id)
                        | ((col(Reply.created_at) >= start) & (col(Reply.created_at) < end)),
                    )
                )
            ).first()
        return "already answered" if answered is not None else None

    async def _skip_stale(self, due: plan.Due, report: RunReport) -> None:
        occurrence = await ledger.claim(
            self.db,
            kind=due.kind,
            channel_id=due.channel_id,
            member_id=due.member_id,
            local_date=due.local_date,
            claimed_by=self.instance,
        )
        if occurrence is not None and occurrence.id is not None:
            await self._set_due(occurrence.id, due.at)
            await ledger.mark(self.db, occurrence.id, OccurrenceStatus.SKIPPED)
            log.warning(
                "missed %s for channel %s member %s on %s (due %s): later than the grace "
                "period, not sent",
                due.kind,
                due.channel_id,
                due.member_id,
                due.local_date,
                due.at.isoformat(),
            )
            report.skipped.append((due.kind, due.member_id, due.local_date, "missed"))

    async def _set_due(self, occurrence_id: int, at: datetime) -> None:
        async with self.db.session() as s:
            await s.exec(  # type: ignore[call-overload]
                update(Occurrence).where(col(Occurrence.id) == occurrence_id).values(due_at=at)
            )
            await s.commit()

    async def _digest(
        self,
        channel: Channel,
        due: plan.Due,
        messenger: Messenger,
        now: datetime,
        report: RunReport,
    ) -> None:
        week = iso_week(due.local_date)
        stale = due.at < now - self.grace
        async with self.db.session() as s:
            claimed = await insert_if_absent(
                s,
                DigestSent,
                {
                    "channel_id": channel.id,
                    "iso_week": week,
                    "claimed_at": now,
                    "status": (
                        OccurrenceStatus.SKIPPED if stale else OccurrenceStatus.CLAIMED
                    ).value,
                },
                ["channel_id", "iso_week"],
            )
            await s.commit()
        if claimed is None:
            return
        if stale:
            log.warning("missed the %s digest of channel %s: not sent late", week, channel.id)
            report.skipped.append((plan.DIGEST, None, due.local_date, "missed"))
            return
        digest = await build_digest(
            self.db,
            channel.id or 0,
            week,
            fallback_timezone=self.fallback_tz,
            concern_sla_days=self.concern_sla_days,
            clock=lambda: now,
        )
        try:
            ref = await messenger.post(
                channel.platform_id,
                Message(
                    render_text(digest, markdown=False),
                    digest,
                    (
                        Attachment(
                            f"kaizen-{week}.png", render_chart(digest), f"Wastes per week · {week}"
                        ),
                    ),
                ),
            )
        except Exception as error:
            await self._digest_outcome(claimed, OccurrenceStatus.FAILED, None)
            log.exception("could not post the digest of channel %s", channel.id)
            report.failed.append((plan.DIGEST, None, due.local_date, str(error)))
            return
        await self._digest_outcome(claimed, OccurrenceStatus.SENT, encode_ref(ref))
        report.sent.append((plan.DIGEST, None, due.local_date))

    async def _digest_outcome(
        self, digest_id: int, status: OccurrenceStatus, ref: str | None
    ) -> None:
        async with self.db.session() as s:
            row = await s.get(DigestSent, digest_id)
            if row is not None:
                row.status = status.value
                row.message_ref = ref
                row.sent_at = self.clock() if status == OccurrenceStatus.SENT else None
                s.add(row)
                await s.commit()

    # -- recovery ----------------------------------------------------------------------------

    async def recover(self, now: datetime | None = None) -> RunReport:
        """Claims left unsent by a crash are taken over (atomically) and sent once, or skipped
        when they are now older than the grace period."""
        now = now or self.clock()
        report = RunReport()
        for stuck in await ledger.unsent_claims(self.db, older_than=now - STUCK_AFTER):
            if not await self._take_over(stuck, now):
                continue  # another process recovered it first
            assert stuck.id is not None
            due_at = stuck.due_at or stuck.claimed_at
            if due_at < now - self.grace:
                await ledger.mark(self.db, stuck.id, OccurrenceStatus.SKIPPED)
                report.skipped.append((stuck.kind, stuck.member_id, stuck.local_date, "missed"))
                continue
            channels = await self._channels(stuck.channel_id)
            if not channels:
                continue
            channel, workspace = channels[0]
            messenger = await self._messenger(workspace)
            if messenger is None:
                continue
            members = {m.id: m for m in await self._members(channel.id or 0)}
            due = plan.Due(stuck.kind, stuck.channel_id, stuck.member_id, stuck.local_date, due_at)
            if stuck.kind in (plan.NUDGE, plan.REMINDER):
                if stuck.member_id not in members:
                    await ledger.mark(self.db, stuck.id, OccurrenceStatus.SKIPPED)
                    continue
                await self._flush(channel, members, [(due, stuck.id)], messenger, report, now)
            else:
                await self._send_one(channel, members, due, stuck.id, messenger, report, now)
        return report

    async def _take_over(self, stuck: Occurrence, now: datetime) -> bool:
        async with self.db.session() as s:
            result = await s.exec(  # type: ignore[call-overload]
                update(Occurrence)
                .where(
                    col(Occurrence.id) == stuck.id,
                    col(Occurrence.status) == OccurrenceStatus.CLAIMED.value,
                    col(Occurrence.claimed_by) == stuck.claimed_by,
                    col(Occurrence.claimed_at) == stuck.claimed_at,
                )
                .values(claimed_by=self.instance, claimed_at=now)
            )
            await s.commit()
            return bool(result.rowcount)

    # -- late answers ------------------------------------------------------------------------

    async def late_answer(self, channel_id: int, day: date) -> None:
        """A check-in answer after the summary went out: update the summary in place."""
        channels = await self._channels(channel_id)
        if not channels:
            return
        channel, workspace = channels[0]
        messenger = await self._messenger(workspace)
        key = ledger.occurrence_key(plan.SUMMARY, channel_id, None, day)
        async with self.db.session() as s:
            summary_row = (await s.exec(select(Occurrence).where(Occurrence.key == key))).first()
        ref = decode_ref(summary_row.message_ref) if summary_row else None
        if messenger is None or ref is None:
            return
        tz = plan.channel_zone(channel, self.fallback_tz)
        summary = await daily_summary(self.db, channel, day, tz, late=True)
        await messenger.update(ref, summary_message(summary))

    # -- APScheduler -------------------------------------------------------------------------

    async def start(self, aps: Any) -> None:
        """Recover, catch up within the grace period, then arm one trigger per channel."""
        self.aps = aps
        now = self.clock()
        await self.recover(now)
        await self.run_due(now)
        await self.rebuild()
        aps.add_job(
            self.sweep, "interval", seconds=SWEEP_SECONDS, id="sweep", replace_existing=True
        )

    async def sweep(self) -> None:
        await self.run_due()
        await self.rebuild()

    async def rebuild(self, channel_id: int | None = None) -> None:
        """Re-arm triggers from the database (on start and whenever a channel changes)."""
        if self.aps is None:
            return
        for channel, _ in await self._channels(channel_id):
            job_id = f"channel:{channel.id}"
            when = None if channel.paused else await self.next_due(self.clock(), channel.id)
            if when is None:
                if self.aps.get_job(job_id):
                    self.aps.remove_job(job_id)
                continue
            self.aps.add_job(
                self._fire,
                DateTrigger(run_date=when),
                args=[channel.id],
                id=job_id,
                replace_existing=True,
                misfire_grace_time=int(self.grace.total_seconds()),
                coalesce=True,
            )

    async def _fire(self, channel_id: int) -> None:
        try:
            await self.run_due(channel_id=channel_id)
        finally:
            await self.rebuild(channel_id)


def summary_message(summary: DailySummary) -> Message:
    return Message(
        f"Check-in summary: {summary.answered_count} of {summary.asked_count} answered.", summary
    )


def _loop_time() -> float:
    return asyncio.get_running_loop().time()
