"""Teams activities to the core's rows, and the conversation references proactive sends need.

Teams identifies a person by ``from.id`` (``29:...``, stable for this bot) and a channel by
``channelData.channel.id`` (``19:...@thread.tacv2``); a message in a channel thread arrives with
``conversation.id`` = channel id + ``;messageid=...``. The workspace is the tenant. Everything
here is idempotent, because Teams may deliver the same activity twice and the same person's
first two messages may race.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, delete, select

from bot.db import Database
from bot.models import ConversationRef, Platform
from bot.runtime import Kaizen
from bot.services import directory
from bot.storage import insert_if_absent
from bot.timeutil import utcnow

PLATFORM = Platform.TEAMS.value
PERSONAL = "personal"
CHANNEL = "channel"
GROUP = "groupChat"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an activity came from, read once from its loosely typed fields."""

    tenant_id: str
    user_id: str
    user_name: str
    aad_object_id: str | None
    conversation_id: str  # as received: in a channel thread it carries ";messageid="
    conversation_type: str
    service_url: str
    bot_id: str
    channel_id: str | None  # the Teams channel (or group chat) a command is about
    channel_name: str
    team_id: str | None

    @property
    def personal(self) -> bool:
        return self.conversation_type == PERSONAL

    @property
    def base_conversation_id(self) -> str:
        """The conversation without the thread suffix: where a new top-level post goes."""
        return self.conversation_id.split(";messageid=", 1)[0]


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def origin_of(activity: Any) -> Origin:
    """Read tenant, person, conversation and channel from any inbound activity."""
    conversation = activity.conversation
    data = activity.channel_data
    conversation_type = conversation.conversation_type or PERSONAL
    tenant = (
        _get(data, "tenant", "id")
        or conversation.tenant_id
        or _get(activity.from_, "tenant_id")
        or ""
    )
    channel_id: str | None
    if conversation_type == CHANNEL:
        channel_id = _get(data, "channel", "id") or conversation.id.split(";messageid=", 1)[0]
    elif conversation_type == PERSONAL:
        channel_id = None
    else:
        channel_id = conversation.id
    return Origin(
        tenant_id=str(tenant),
        user_id=activity.from_.id,
        user_name=activity.from_.name or "",
        aad_object_id=activity.from_.aad_object_id,
        conversation_id=conversation.id,
        conversation_type=conversation_type,
        service_url=(activity.service_url or "").rstrip("/"),
        bot_id=_get(activity, "recipient", "id") or "",
        channel_id=channel_id,
        channel_name=_get(data, "channel", "name") or conversation.name or "",
        team_id=_get(data, "team", "id"),
    )


@dataclass(frozen=True, slots=True)
class Who:
    workspace_id: int
    member_id: int
    user_id: str


@dataclass(frozen=True, slots=True)
class Where:
    workspace_id: int
    channel_id: int


async def who(kaizen: Kaizen, origin: Origin) -> Who:
    ws = await directory.ensure_workspace(kaizen.db, PLATFORM, origin.tenant_id)
    assert ws.id is not None
    member = await directory.ensure_member(kaizen.db, ws.id, origin.user_id, origin.user_name)
    assert member.id is not None
    return Who(ws.id, member.id, origin.user_id)


async def where(kaizen: Kaizen, origin: Origin, member_id: int | None = None) -> Where:
    """The channel a command is about; callers check ``origin.channel_id`` first.

    Teams tells a bot nothing about who is in a channel unless it asks Graph, so whoever
    talks to Kaizen in a channel joins its check-ins (``member_id``); ``forget-me`` undoes it.
    """
    assert origin.channel_id is not None
    ws = await directory.ensure_workspace(kaizen.db, PLATFORM, origin.tenant_id)
    assert ws.id is not None
    channel = await directory.ensure_channel(
        kaizen.db, ws.id, origin.channel_id, origin.channel_name
    )
    assert channel.id is not None
    if member_id is not None:
        await directory.set_channel_membership(kaizen.db, channel.id, member_id)
    return Where(ws.id, channel.id)


# --- conversation references ----------------------------------------------------------------


def ref_key(origin: Origin) -> str:
    """A person for personal chats, the channel or group chat otherwise."""
    return origin.user_id if origin.personal else (origin.channel_id or origin.conversation_id)


async def save_ref(db: Database, origin: Origin) -> None:
    """Upsert where to reach this conversation later (nudges, digests, summaries).

    Called on install and on every message, because Teams may move a tenant to another
    service URL; the last one seen is the one to use.
    """
    if not origin.service_url:
        return
    values: dict[str, Any] = {
        "platform": PLATFORM,
        "tenant_id": origin.tenant_id,
        "key": ref_key(origin),
        "service_url": origin.service_url,
        "conversation_id": origin.base_conversation_id,
        "bot_id": origin.bot_id,
        "data": {
            "conversation_type": origin.conversation_type,
            "user_id": origin.user_id if origin.personal else None,
            "aad_object_id": origin.aad_object_id if origin.personal else None,
            "team_id": origin.team_id,
        },
        "updated_at": utcnow(),
    }
    async with db.session() as s:
        new_id = await insert_if_absent(
            s, ConversationRef, values, ["platform", "tenant_id", "key"]
        )
        if new_id is None:
            row = (
                await s.exec(
                    select(ConversationRef).where(
                        ConversationRef.platform == PLATFORM,
                        ConversationRef.tenant_id == origin.tenant_id,
                        ConversationRef.key == values["key"],
                    )
                )
            ).one()
            for name in ("service_url", "conversation_id", "bot_id", "data", "updated_at"):
                setattr(row, name, values[name])
            s.add(row)
        await s.commit()


async def find_ref(db: Database, key: str) -> ConversationRef | None:
    """The newest reference for a user or channel id (ids are unique across tenants)."""
    async with db.session() as s:
        return (
            await s.exec(
                select(ConversationRef)
                .where(ConversationRef.platform == PLATFORM, ConversationRef.key == key)
                .order_by(col(ConversationRef.updated_at).desc())
            )
        ).first()


async def find_ref_by_conversation(db: Database, conversation_id: str) -> ConversationRef | None:
    base = conversation_id.split(";messageid=", 1)[0]
    async with db.session() as s:
        return (
            await s.exec(
                select(ConversationRef)
                .where(
                    ConversationRef.platform == PLATFORM, ConversationRef.conversation_id == base
                )
                .order_by(col(ConversationRef.updated_at).desc())
            )
        ).first()


async def forget_refs(db: Database, user_id: str) -> int:
    """Drop a person's personal-chat reference (``forget-me``): it holds their ids."""
    async with db.session() as s:
        result = await s.exec(  # type: ignore[call-overload]
            delete(ConversationRef).where(
                ConversationRef.platform == PLATFORM, ConversationRef.key == user_id
            )
        )
        await s.commit()
        return int(result.rowcount or 0)
