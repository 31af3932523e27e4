"""Workspaces, channels and members: found or created from the ids platforms send us.

Adapters call these on every inbound event, so they are idempotent and race-safe: two events
from a new user arriving at once create one member, not two.
"""

from __future__ import annotations

from sqlmodel import select

from bot.db import Database
from bot.models import Channel, ChannelMember, Member, Workspace
from bot.storage import insert_if_absent


async def ensure_workspace(
    db: Database, platform: str, external_id: str, name: str = ""
) -> Workspace:
    async with db.session() as s:
        await insert_if_absent(
            s,
            Workspace,
            {"platform": platform, "external_id": external_id, "name": name},
            ["platform", "external_id"],
        )
        await s.commit()
        ws = (
            await s.exec(
                select(Workspace).where(
                    Workspace.platform == platform, Workspace.external_id == external_id
                )
            )
        ).one()
        if name and ws.name != name:
            ws.name = name
            s.add(ws)
            await s.commit()
        return ws


async def ensure_channel(
    db: Database, workspace_id: int, platform_id: str, name: str = ""
) -> Channel:
    async with db.session() as s:
        await insert_if_absent(
            s,
            Channel,
            {"workspace_id": workspace_id, "platform_id": platform_id, "name": name},
            ["workspace_id", "platform_id"],
        )
        await s.commit()
        channel = (
            await s.exec(
                select(Channel).where(
                    Channel.workspace_id == workspace_id, Channel.platform_id == platform_id
                )
            )
        ).one()
        if name and channel.name != name:
            channel.name = name
            s.add(channel)
            await s.commit()
        return channel


async def ensure_member(
    db: Database,
    workspace_id: int,
    platform_user_id: str,
    display_name: str = "",
    timezone: str | None = None,
) -> Member:
    """Find or create a member; a known display name or time zone refreshes the stored one."""
    async with db.session() as s:
        await insert_if_absent(
            s,
            Member,
            {
                "workspace_id": workspace_id,
                "platform_user_id": platform_user_id,
                "display_name": display_name,
                "timezone": timezone,
            },
            ["workspace_id", "platform_user_id"],
        )
        await s.commit()
        member = (
            await s.exec(
                select(Member).where(
                    Member.workspace_id == workspace_id,
                    Member.platform_user_id == platform_user_id,
                )
            )
        ).one()
        changed = False
        if display_name and member.display_name != display_name:
            member.display_name, changed = display_name, True
        if timezone and member.timezone != timezone:
            member.timezone, changed = timezone, True
        if changed:
            s.add(member)
            await s.commit()
        return member


async def set_channel_membership(
    db: Database, channel_id: int, member_id: int, *, active: bool = True
) -> None:
    """Record that a member joined (or left) a channel's check-ins."""
    async with db.session() as s:
        row = await s.get(ChannelMember, (channel_id, member_id))
        if row is None:
            s.add(ChannelMember(channel_id=channel_id, member_id=member_id, active=active))
        else:
            row.active = active
            s.add(row)
        await s.commit()
