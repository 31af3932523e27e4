"""Slack ids to the core's workspace, channel and member rows, created on first sight.

Display names and time zones come from ``users.info`` (cached per process, so a busy channel
costs one call per person, not one per message).
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Platform
from bot.runtime import Kaizen
from bot.services import directory


@dataclass(frozen=True, slots=True)
class Who:
    workspace_id: int
    member_id: int
    user_id: str
    is_admin: bool


@dataclass(frozen=True, slots=True)
class Where:
    workspace_id: int
    channel_id: int
    slack_channel: str


async def user_profile(
    kaizen: Kaizen, client: AsyncWebClient, team_id: str, user_id: str
) -> tuple[str, str | None, bool]:
    """(display name, IANA time zone or None, is admin) from ``users.info``, cached."""
    key = (team_id, user_id)
    cached = kaizen._user_cache.get(key)
    if cached is not None:
        return cached
    try:
        info = (await client.users_info(user=user_id))["user"]
    except SlackApiError:
        return (user_id, None, False)  # not worth failing a command over a profile lookup
    profile = info.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or info.get("real_name")
        or info.get("name")
        or user_id
    )
    result = (
        str(name),
        info.get("tz"),
        bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner")),
    )
    kaizen._user_cache[key] = result
    return result


async def who(kaizen: Kaizen, client: AsyncWebClient, team_id: str, user_id: str) -> Who:
    name, tz, admin = await user_profile(kaizen, client, team_id, user_id)
    ws = await directory.ensure_workspace(kaizen.db, Platform.SLACK, team_id)
    assert ws.id is not None
    member = await directory.ensure_member(kaizen.db, ws.id, user_id, name, tz)
    assert member.id is not None
    return Who(ws.id, member.id, user_id, admin)


async def where(kaizen: Kaizen, team_id: str, channel_id: str, name: str = "") -> Where:
    ws = await directory.ensure_workspace(kaizen.db, Platform.SLACK, team_id)
    assert ws.id is not None
    channel = await directory.ensure_channel(kaizen.db, ws.id, channel_id, name)
    assert channel.id is not None
    return Where(ws.id, channel.id, channel_id)


async def is_channel_member(client: AsyncWebClient, channel_id: str, user_id: str) -> bool:
    """Whether ``user_id`` is in ``channel_id``, paging through ``conversations.members``."""
    cursor = None
    while True:
        page = await client.conversations_members(channel=channel_id, limit=200, cursor=cursor)
        if user_id in page.get("members", []):
            return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False


def is_direct_message(channel_id: str) -> bool:
    """Slack DM channel ids start with D; commands about a channel cannot run there."""
    return channel_id.startswith("D")
