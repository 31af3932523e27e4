"""Analysing stored replies: findings and themes written next to the reply, re-runnable.

A reply is committed before it is analysed (``record_reply``), so a crash or a bad vocabulary
never loses what someone wrote; ``reprocess`` re-reads everything after a vocabulary change.
Labels a person set by hand (findings with origin ``user``) always survive re-analysis.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.analysis.classifier import Classifier, LabelledExample, default_classifier
from bot.analysis.labels import kind_of
from bot.analysis.llm import LLMProvider, OfflineOnly
from bot.analysis.reading import Reading, read_reply
from bot.analysis.themes import ThemeIndex, ThemeProfile
from bot.analysis.types import Classification
from bot.db import Database
from bot.errors import NotFound
from bot.models import (
    Channel,
    Concern,
    ConcernAction,
    ConcernEvent,
    ConcernStatus,
    Finding,
    FindingKind,
    Reply,
    ReplySource,
    Theme,
)
from bot.services import concerns as concern_service
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

AUTO_CONCERN_CONFIDENCE = 0.6
"""A model-health answer signalling a concern this strongly opens (or refreshes) a concern."""

HEALTH_PREFIX = "health."

USER = "user"


@dataclass(frozen=True, slots=True)
class ReplyAnalysis:
    """What analysing one reply found, for acknowledgements ("understood: waiting, 16 h")."""

    reply_id: int
    reading: Reading
    theme_id: int | None
    theme_replies: int  # how many replies the theme holds now, this one included
    concern_ids: tuple[int, ...]  # concerns opened or refreshed by this reply


@dataclass(frozen=True, slots=True)
class ReprocessReport:
    channels: int
    replies: int
    themes: int


class Analyser:
    """Reads stored replies with the offline classifier and, when configured, an LLM.

    One per process: it caches a classifier per workspace that knows that workspace's
    corrections ("Change category"), rebuilt when ``corrections_changed`` is called.
    """

    def __init__(
        self,
        db: Database,
        *,
        vocab_dir: Path | None = None,
        llm: LLMProvider | None = None,
        fallback_timezone: str = "UTC",
    ) -> None:
        self.db = db
        self.vocab_dir = vocab_dir
        self.base = Classifier(vocab_dir) if vocab_dir is not None else default_classifier()
        self.llm = llm or OfflineOnly()
        self.fallback_timezone = fallback_timezone
        self._per_workspace: dict[int, Classifier] = {}

    def corrections_changed(self, workspace_id: int) -> None:
        self._per_workspace.pop(workspace_id, None)

    async def _classifier_for(self, s: AsyncSession, workspace_id: int) -> Classifier:
        cached = self._per_workspace.get(workspace_id)
        if cached is not None:
            return cached
        rows = await s.exec(
            select(Reply.id, Reply.text, Reply.question_key, Finding.kind, Finding.label)
            .join(Finding, col(Finding.reply_id) == col(Reply.id))
            .join(Channel, col(Channel.id) == col(Reply.channel_id))
            .where(Channel.workspace_id == workspace_id, Finding.origin == USER)
        )
        grouped: dict[int, tuple[str, str | None, set[str], set[str]]] = {}
        for rid, text, question, kind, label in rows:
            entry = grouped.setdefault(rid, (text, question, set(), set()))
            (entry[2] if kind == FindingKind.WASTE else entry[3]).add(label)
        if not grouped:
            classifier = self.base
        else:
            classifier = self.base.with_examples(
                LabelledExample(text, frozenset(w), frozenset(c), question)
                for text, question, w, c in grouped.values()
            )
        self._per_workspace[workspace_id] = classifier
        return classifier

    async def analyse_reply(
        self, reply_id: int, *, themes: ThemeIndex | None = None
    ) -> ReplyAnalysis:
        """Analyse one stored reply; a reply analysed before is returned as it stands."""
        async with self.db.session() as s:
            reply, channel = await _reply_and_channel(s, reply_id)
            classifier = await self._classifier_for(s, channel.workspace_id)
        offline = classifier.classify(reply.text, reply.question_key)
        refined = await self.llm.refine(reply.text, reply.question_key, offline)
        for attempt in range(3):
            try:
                return await self._write(reply_id, refined, themes if attempt == 0 else None)
            except IntegrityError:
                # Another process created the same new theme key at the same moment; reload
                # the channel's themes and join it instead.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _write(
        self, reply_id: int, classification: Classification, index: ThemeIndex | None
    ) -> ReplyAnalysis:
        async with self.db.session() as s:
            reply, channel = await _reply_and_channel(s, reply_id)
            assert reply.id is not None and channel.id is not None
            if reply.analysed_at is not None:
                return await self._existing(s, reply)
            user_labels = await _user_labels(s, reply.id)
            if user_labels is not None:
                classification = user_labels
            # A caller re-reading a whole channel passes the index it keeps in memory; otherwise
            # the channel's themes are loaded fresh, since another process may have added one.
            themes = (
                index if index is not None else await _load_index(s, channel.id, self.vocab_dir)
            )
            reading = read_reply(
                reply.text,
                classification,
                themes=themes,
                known_models=channel.models,
                today=self._local_date(reply.created_at, channel),
            )
            theme_id, size = await _save_theme(s, channel.id, themes, reading, reply.created_at)
            if user_labels is None:
                _add_findings(s, reply.id, reading)
            reply.theme_id = theme_id
            reply.analysed_at = utcnow()
            s.add(reply)
            concern_ids = await _track_concerns(s, reply, reading)
            await s.commit()
        for concern_id in concern_ids:
            log.debug("reply %s refreshed concern %s", reply_id, concern_id)
        return ReplyAnalysis(reply_id, reading, theme_id, size, concern_ids)

    async def correct(self, reply_id: int, wastes: list[str], concerns: list[str]) -> ReplyAnalysis:
        """A person's labels replace the machine's (*Change category*, the shortcut modal).

        They are stored with origin ``user``: they survive ``reprocess`` and become labelled
        examples that the workspace's classifier uses for similar replies from now on.
        """
        for label in [*wastes, *concerns]:
            kind_of(label)  # raises ValueError naming an unknown label
        async with self.db.session() as s:
            reply, channel = await _reply_and_channel(s, reply_id)
            assert reply.id is not None
            old = list(await s.exec(select(Finding).where(Finding.reply_id == reply.id)))
            hours = next((f.hours_lost for f in old if f.hours_lost is not None), None)
            for finding in old:
                await s.delete(finding)
            for i, label in enumerate(sorted(set(wastes))):
                s.add(
                    Finding(
                        reply_id=reply.id,
                        kind=FindingKind.WASTE.value,
                        label=label,
                        hours_lost=hours if i == 0 else None,
                        origin=USER,
                    )
                )
            for label in sorted(set(concerns)):
                s.add(
                    Finding(
                        reply_id=reply.id, kind=FindingKind.CONCERN.value, label=label, origin=USER
                    )
                )
            await s.commit()
            self.corrections_changed(channel.workspace_id)
            return await self._existing(s, reply)

    async def current(self, reply_id: int) -> ReplyAnalysis:
        """What is stored for a reply now (its labels and theme), without reading it again."""
        async with self.db.session() as s:
            reply, _ = await _reply_and_channel(s, reply_id)
            return await self._existing(s, reply)

    async def _existing(self, s: AsyncSession, reply: Reply) -> ReplyAnalysis:
        assert reply.id is not None
        findings = list(await s.exec(select(Finding).where(Finding.reply_id == reply.id)))
        wastes = {f.label: f.confidence for f in findings if f.kind == FindingKind.WASTE}
        concerns = {f.label: f.confidence for f in findings if f.kind == FindingKind.CONCERN}
        hours = next((f.hours_lost for f in findings if f.hours_lost is not None), None)
        size = 0
        if reply.theme_id is not None:
            theme = await s.get(Theme, reply.theme_id)
            size = theme.reply_count if theme else 0
        reading = Reading(Classification(wastes, concerns), None, hours, None)
        return ReplyAnalysis(reply.id, reading, reply.theme_id, size, ())

    def _local_date(self, at: datetime, channel: Channel) -> date:
        return at.astimezone(ZoneInfo(channel.timezone or self.fallback_timezone)).date()

    async def reprocess(self, channel_id: int | None = None) -> ReprocessReport:
        """Re-read every stored reply (of one channel or all), oldest first, from fresh themes.

        Nothing a person wrote or set is lost: replies stay, hand-set labels stay, concerns keep
        their life cycle; only machine findings and themes are rebuilt. Themes are rebuilt in
        the original order, so their keys come out the same when the vocabulary has not changed.
        """
        async with self.db.session() as s:
            query = select(Channel.id).order_by(col(Channel.id))
            if channel_id is not None:
                query = query.where(Channel.id == channel_id)
            channel_ids = [c for c in await s.exec(query) if c is not None]
        replies = themes = 0
        for cid in channel_ids:
            async with self.db.session() as s:
                await s.exec(  # type: ignore[call-overload]
                    update(Reply)
                    .where(col(Reply.channel_id) == cid)
                    .values(theme_id=None, analysed_at=None)
                )
                await s.exec(  # type: ignore[call-overload]
                    delete(Finding).where(
                        col(Finding.reply_id).in_(select(Reply.id).where(Reply.channel_id == cid)),
                        col(Finding.origin) != USER,
                    )
                )
                await s.exec(delete(Theme).where(col(Theme.channel_id) == cid))  # type: ignore[call-overload]
                await s.commit()
            index = ThemeIndex.from_profiles([], vocab_dir=self.vocab_dir)
            async for reply_id in self._reply_ids(cid):
                await self.analyse_reply(reply_id, themes=index)
                replies += 1
            async with self.db.session() as s:
                themes += len(list(await s.exec(select(Theme.id).where(Theme.channel_id == cid))))
        return ReprocessReport(len(channel_ids), replies, themes)

    async def _reply_ids(self, channel_id: int, batch: int = 500) -> AsyncIterator[int]:
        last_at, last_id = None, 0
        while True:
            async with self.db.session() as s:
                query = select(Reply.id, Reply.created_at).where(Reply.channel_id == channel_id)
                if last_at is not None:
                    query = query.where(
                        (col(Reply.created_at) > last_at)
                        | ((col(Reply.created_at) == last_at) & (col(Reply.id) > last_id))
                    )
                rows = list(
                    await s.exec(query.order_by(col(Reply.created_at), col(Reply.id)).limit(batch))
                )
            if not rows:
                return
            for rid, at in rows:
                assert rid is not None
                yield rid
                last_at, last_id = at, rid


async def _reply_and_channel(s: AsyncSession, reply_id: int) -> tuple[Reply, Channel]:
    reply = await s.get(Reply, reply_id)
    if reply is None:
        raise NotFound(f"there is no reply #{reply_id}.")
    channel = await s.get(Channel, reply.channel_id)
    assert channel is not None
    return reply, channel


async def _user_labels(s: AsyncSession, reply_id: int) -> Classification | None:
    rows = list(
        await s.exec(select(Finding).where(Finding.reply_id == reply_id, Finding.origin == USER))
    )
    if not rows:
        return None
    return Classification(
        {f.label: 1.0 for f in rows if f.kind == FindingKind.WASTE},
        {f.label: 1.0 for f in rows if f.kind == FindingKind.CONCERN},
    )


async def _load_index(s: AsyncSession, channel_id: int, vocab_dir: Path | None) -> ThemeIndex:
    themes = await s.exec(
        select(Theme).where(Theme.channel_id == channel_id).order_by(col(Theme.id))
    )
    return ThemeIndex.from_profiles(
        (
            ThemeProfile(
                t.key, t.label, dict(t.profile.get("terms", {})), int(t.profile.get("size", 1))
            )
            for t in themes
        ),
        vocab_dir=vocab_dir,
    )


async def _save_theme(
    s: AsyncSession, channel_id: int, index: ThemeIndex, reading: Reading, at: datetime
) -> tuple[int | None, int]:
    match = reading.theme
    if match is None:
        return None, 0
    profile = index.profile(match.key)
    if profile is None:  # the index has just put the reply there; anything else is a bug
        raise RuntimeError(f"theme {match.key!r} missing from its channel's index")
    stored = {"terms": profile.terms, "size": profile.size}
    if match.is_new:
        theme = Theme(
            channel_id=channel_id,
            key=match.key,
            label=match.label,
            profile=stored,
            reply_count=1,
            first_seen=at,
            last_seen=at,
        )
    else:
        found = (
            await s.exec(
                select(Theme).where(Theme.channel_id == channel_id, Theme.key == match.key)
            )
        ).one()
        theme = found
        theme.profile = stored
        theme.reply_count += 1
        theme.last_seen = max(theme.last_seen, at)
    s.add(theme)
    await s.flush()
    return theme.id, theme.reply_count


def _add_findings(s: AsyncSession, reply_id: int, reading: Reading) -> None:
    top = reading.top_waste
    for label, confidence in sorted(reading.classification.wastes.items()):
        s.add(
            Finding(
                reply_id=reply_id,
                kind=FindingKind.WASTE.value,
                label=label,
                confidence=round(confidence, 3),
                hours_lost=reading.hours_lost if label == top else None,
            )
        )
    for label, confidence in sorted(reading.classification.concerns.items()):
        s.add(
            Finding(
                reply_id=reply_id,
                kind=FindingKind.CONCERN.value,
                label=label,
                confidence=round(confidence, 3),
            )
        )


async def _track_concerns(s: AsyncSession, reply: Reply, reading: Reading) -> tuple[int, ...]:
    """Model-health answers that clearly signal a concern keep it on the team's list.

    An unresolved concern of the same kind and model is refreshed (last mention); otherwise a new
    one is opened from the reply. Only answers to the model-health questions (``health.*``) do
    this: they are asked precisely to track model concerns, whereas a GPU wait told in the waste
    walk is a waste first. Replies logged by command are left alone too: the person gets an
    *Open as concern* button instead, so nothing is tracked that nobody meant to track.
    """
    if reply.source != ReplySource.CHECKIN or not (reply.question_key or "").startswith(
        HEALTH_PREFIX
    ):
        return ()
    touched = []
    for kind, confidence in sorted(reading.classification.concerns.items()):
        if confidence < AUTO_CONCERN_CONFIDENCE:
            continue
        existing = (
            await s.exec(
                select(Concern).where(
                    Concern.channel_id == reply.channel_id,
                    Concern.kind == kind,
                    Concern.model == reading.model,
                    col(Concern.status).in_(concern_service.UNRESOLVED),
                )
            )
        ).first()
        if existing is not None:
            existing.last_mentioned_at = max(existing.last_mentioned_at, reply.created_at)
            s.add(existing)
            assert existing.id is not None
            touched.append(existing.id)
            continue
        concern = Concern(
            channel_id=reply.channel_id,
            kind=kind,
            model=reading.model,
            summary=" ".join(reply.text.split())[:500],
            status=ConcernStatus.OPEN.value,
            opened_by_id=reply.member_id if not reply.anonymous else None,
            source_reply_id=reply.id,
            opened_at=reply.created_at,
            last_mentioned_at=reply.created_at,
        )
        s.add(concern)
        await s.flush()
        assert concern.id is not None
        s.add(
            ConcernEvent(
                concern_id=concern.id,
                action=ConcernAction.OPENED.value,
                actor_id=concern.opened_by_id,
                note="opened from a check-in answer",
                at=reply.created_at,
            )
        )
        touched.append(concern.id)
    return tuple(touched)
