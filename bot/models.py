"""The tables. One place for the schema; Alembic migrations in ``bot/migrations`` follow it.

Conventions:
- times are stored as naive UTC and read back as aware UTC (``UTCDateTime``), because SQLite
  keeps no offsets and mixing naive and aware datetimes is a classic source of off-by-hours bugs;
- enumerations are plain strings validated in Python (``StrEnum``), so adding a value never needs
  a PostgreSQL ``ALTER TYPE``;
- uniqueness that makes things happen once (replies, ledger, digests, inbound events) is enforced
  by the database, never only by a read-then-write in Python.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.timeutil import utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in Python, naive UTC in the database, on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _optional_ts() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def _fk(target: str, *, ondelete: str, nullable: bool, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
        ),
    )


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    SANDBOX = "sandbox"
    CLI = "cli"


class ReplySource(StrEnum):
    CHECKIN = "checkin"
    COMMAND = "command"
    SHORTCUT = "shortcut"
    REACTION = "reaction"
    WEBHOOK = "webhook"


class FindingKind(StrEnum):
    WASTE = "waste"
    CONCERN = "concern"


class ConcernStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ConcernAction(StrEnum):
    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    MENTIONED = "mentioned"


class OccurrenceStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


class TimezonePolicy(StrEnum):
    MEMBER = "member"
    CHANNEL = "channel"


class Workspace(SQLModel, table=True):
    """A Slack workspace or Teams tenant (or the sandbox): the unit that owns channels."""

    __tablename__ = "workspaces"
    __table_args__ = (
        Index("uq_workspaces_platform_external", "platform", "external_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(16))
    external_id: str = Field(sa_type=String(64))
    name: str = Field(default="", sa_type=String(255))
    created_at: datetime = _created()


class Channel(SQLModel, table=True):
    """A channel the bot runs check-ins in, with its schedule and settings."""

    __tablename__ = "channels"
    __table_args__ = (
        Index("uq_channels_workspace_platform_id", "workspace_id", "platform_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _fk("workspaces.id", ondelete="CASCADE", nullable=False)
    platform_id: str = Field(sa_type=String(64))
    name: str = Field(default="", sa_type=String(255))
    timezone: str | None = Field(default=None, sa_type=String(64))
    timezone_policy: str = Field(default=TimezonePolicy.MEMBER, sa_type=String(16))
    question_sets: list[str] = Field(default_factory=lambda: ["standup"], sa_type=JSON)
    checkin_days: str = Field(default="mon,tue,wed,thu,fri", sa_type=String(64))
    checkin_time: str = Field(default="09:30", sa_type=String(5))
    reminder_delay_minutes: int | None = Field(default=120)
    answer_window_minutes: int = Field(default=480)
    digest_day: str = Field(default="fri", sa_type=String(3))
    digest_time: str = Field(default="16:00", sa_type=String(5))
    anonymous: bool = Field(default=False)
    paused: bool = Field(default=False)
    models: list[str] = Field(default_factory=list, sa_type=JSON)
    skip_dates: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Member(SQLModel, table=True):
    """A person in a workspace. Time zone comes from the platform profile and may be unknown."""

    __tablename__ = "members"
    __table_args__ = (
        Index("uq_members_workspace_user", "workspace_id", "platform_user_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _fk("workspaces.id", ondelete="CASCADE", nullable=False)
    platform_user_id: str = Field(sa_type=String(64))
    display_name: str = Field(default="", sa_type=String(255))
    timezone: str | None = Field(default=None, sa_type=String(64))
    created_at: datetime = _created()


class ChannelMember(SQLModel, table=True):
    """Who takes part in a channel's check-ins; ``active`` is false once they leave."""

    __tablename__ = "channel_members"

    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    )
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    )
    active: bool = Field(default=True)
    joined_at: datetime = _created()


class Occurrence(SQLModel, table=True):
    """The ledger: one row per thing sent on a schedule, claimed *before* it is sent.

    ``key`` is unique (for example ``nudge:12:34:2026-11-30``), so a restart, a retried job or a
    second process racing on the same database can claim it only once.
    """

    __tablename__ = "occurrences"
    __table_args__ = (Index("ix_occurrences_channel_date", "channel_id", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(128), unique=True)
    kind: str = Field(sa_type=String(16))
    channel_id: int = _fk("channels.id", ondelete="CASCADE", nullable=False, index=False)
    member_id: int | None = _fk("members.id", ondelete="CASCADE", nullable=True)
    local_date: date
    status: str = Field(default=OccurrenceStatus.CLAIMED, sa_type=String(16))
    claimed_by: str = Field(default="", sa_type=String(128))
    claimed_at: datetime = _created()
    due_at: datetime | None = _optional_ts()  # when it was meant to go out (misfire decisions)
    sent_at: datetime | None = _optional_ts()
    message_ref: str | None = Field(default=None, sa_type=String(255), index=True)


class Theme(SQLModel, table=True):
    """A recurring problem in one channel; ``key`` is stable across analysis runs."""

    __tablename__ = "themes"
    __table_args__ = (Index("uq_themes_channel_key", "channel_id", "key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _fk("channels.id", ondelete="CASCADE", nullable=False, index=False)
    key: str = Field(sa_type=String(128))
    label: str = Field(default="", sa_type=String(255))
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reply_count: int = Field(default=0)
    first_seen: datetime = _created()
    last_seen: datetime = _created()


class Reply(SQLModel, table=True):
    """One answer or logged message, stored before it is analysed so nothing is ever lost."""

    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_channel_created", "channel_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _fk("channels.id", ondelete="CASCADE", nullable=False, index=False)
    member_id: int | None = _fk("members.id", ondelete="CASCADE", nullable=True)
    anonymous: bool = Field(default=False)
    question_key: str | None = Field(default=None, sa_type=String(64))
    text: str = Field(sa_type=Text)
    source: str = Field(sa_type=String(16))
    dedup_key: str = Field(sa_type=String(255), unique=True)
    occurrence_id: int | None = _fk("occurrences.id", ondelete="SET NULL", nullable=True)
    theme_id: int | None = _fk("themes.id", ondelete="SET NULL", nullable=True)
    permalink: str | None = Field(default=None, sa_type=String(1024))
    created_at: datetime = _created()
    analysed_at: datetime | None = _optional_ts()


class Finding(SQLModel, table=True):
    """A waste or concern label found in a reply, with how sure we are and the hours it cost."""

    __tablename__ = "findings"

    id: int | None = Field(default=None, primary_key=True)
    reply_id: int = _fk("replies.id", ondelete="CASCADE", nullable=False)
    kind: str = Field(sa_type=String(16))
    label: str = Field(sa_type=String(32), index=True)
    confidence: float = Field(default=1.0)
    hours_lost: float | None = Field(default=None)
    origin: str = Field(default="offline", sa_type=String(16))


class Concern(SQLModel, table=True):
    """An MLOps concern tracked until someone resolves it."""

    __tablename__ = "concerns"
    __table_args__ = (Index("ix_concerns_channel_status", "channel_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _fk("channels.id", ondelete="CASCADE", nullable=False, index=False)
    kind: str = Field(sa_type=String(32))
    model: str | None = Field(default=None, sa_type=String(128))
    summary: str = Field(sa_type=Text)
    status: str = Field(default=ConcernStatus.OPEN, sa_type=String(16))
    owner_id: int | None = _fk("members.id", ondelete="SET NULL", nullable=True)
    opened_by_id: int | None = _fk("members.id", ondelete="SET NULL", nullable=True)
    resolved_by_id: int | None = _fk("members.id", ondelete="SET NULL", nullable=True)
    source_reply_id: int | None = _fk("replies.id", ondelete="SET NULL", nullable=True)
    opened_at: datetime = _created()
    last_mentioned_at: datetime = _created()
    resolved_at: datetime | None = _optional_ts()


class ConcernEvent(SQLModel, table=True):
    """The history of a concern: who opened, assigned, resolved or reopened it, and when."""

    __tablename__ = "concern_events"

    id: int | None = Field(default=None, primary_key=True)
    concern_id: int = _fk("concerns.id", ondelete="CASCADE", nullable=False)
    action: str = Field(sa_type=String(16))
    actor_id: int | None = _fk("members.id", ondelete="SET NULL", nullable=True)
    note: str | None = Field(default=None, sa_type=Text)
    at: datetime = _created()


class DigestSent(SQLModel, table=True):
    """A weekly digest posted to a channel; unique per channel and ISO week."""

    __tablename__ = "digests_sent"
    __table_args__ = (Index("uq_digests_channel_week", "channel_id", "iso_week", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _fk("channels.id", ondelete="CASCADE", nullable=False, index=False)
    iso_week: str = Field(sa_type=String(8))
    status: str = Field(default=OccurrenceStatus.CLAIMED, sa_type=String(16))
    claimed_at: datetime = _created()
    sent_at: datetime | None = _optional_ts()
    message_ref: str | None = Field(default=None, sa_type=String(255))


class ProcessedEvent(SQLModel, table=True):
    """Inbound platform events already handled, so a retried delivery is ignored."""

    __tablename__ = "processed_events"
    __table_args__ = (Index("uq_processed_events", "platform", "event_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(16))
    event_id: str = Field(sa_type=String(255))
    received_at: datetime = _created()


class MemberSkip(SQLModel, table=True):
    """Days a member is not to be nudged: one day (``/kaizen skip fri``) or an away range.

    ``channel_id`` empty means every channel, which is what people mean by "I'm on holiday".
    """

    __tablename__ = "member_skips"
    __table_args__ = (Index("ix_member_skips_member_days", "member_id", "first_day", "last_day"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _fk("members.id", ondelete="CASCADE", nullable=False, index=False)
    channel_id: int | None = _fk("channels.id", ondelete="CASCADE", nullable=True)
    first_day: date
    last_day: date
    created_at: datetime = _created()


class ConversationRef(SQLModel, table=True):
    """Where to reach a person or channel proactively (Teams needs the service URL and
    conversation id it last saw; a nudge cannot be sent without them)."""

    __tablename__ = "conversation_refs"
    __table_args__ = (Index("uq_conversation_refs", "platform", "tenant_id", "key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(16))
    tenant_id: str = Field(default="", sa_type=String(64))
    key: str = Field(sa_type=String(255))  # a user id or a channel/conversation id
    service_url: str = Field(sa_type=String(1024))
    conversation_id: str = Field(sa_type=String(512))
    bot_id: str = Field(default="", sa_type=String(255))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = _created()
