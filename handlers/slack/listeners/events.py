"""Events: App Home opened, answers typed in a nudge's DM thread, people joining and leaving."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.models import Channel, Occurrence, Workspace
from bot.runtime import Kaizen
from bot.services import directory, workflows
from bot.services.home import home_data
from bot.services.replies import record_reply
from handlers.slack.errors import guarded
from handlers.slack.identity import who
from handlers.slack.listeners import flows
from handlers.slack.render.home import home_view

NOT_A_CHECKIN = (
    "Hi! To log something, use `/kaizen log <what happened>` in your team's channel, or answer "
    "in the thread of a check-in message. `/kaizen help` lists everything."
)


def register(app: AsyncApp, kaizen: Kaizen) -> None:
    @app.event("app_home_opened")
    @guarded
    async def home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        person = await who(kaizen, client, body["team_id"], event["user"])
        data = await home_data(
            kaizen.db,
            person.member_id,
            fallback_timezone=kaizen.settings.timezone,
            clock=kaizen.clock,
            sla_days=kaizen.concern_sla_days,
        )
        await client.views_publish(user_id=event["user"], view=home_view(data))

    @app.event("message")
    @guarded
    async def direct_message(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("channel_type") != "im":
            return  # only DMs are subscribed to; anything else is not for us
        if event.get("subtype") or event.get("bot_id") or not (event.get("text") or "").strip():
            return  # edits, joins and our own messages are not answers
        channel_dm, thread = event["channel"], event.get("thread_ts")
        occurrence = None
        if thread:
            async with kaizen.db.session() as s:
                occurrence = (
                    await s.exec(
                        select(Occurrence).where(Occurrence.message_ref == f"{channel_dm}/{thread}")
                    )
                ).first()
        if occurrence is None:
            await client.chat_postMessage(channel=channel_dm, thread_ts=thread, text=NOT_A_CHECKIN)
            return
        person = await who(kaizen, client, body["team_id"], event["user"])
        channel = await workflows.load_channel(kaizen, occurrence.channel_id)
        key = event.get("client_msg_id") or body.get("event_id") or event["ts"]
        stored = await record_reply(
            kaizen.db,
            channel_id=occurrence.channel_id,
            member_id=person.member_id,
            anonymous=channel.anonymous,
            text=event["text"],
            source="checkin",
            question_key="free",
            dedup_key=f"slack:msg:{key}",
            occurrence_id=occurrence.id,
            at=kaizen.clock(),
        )
        if not stored.created:
            return  # a retried delivery of an answer already stored
        assert stored.reply.id is not None
        phrase = flows.understood(await kaizen.analyser.analyse_reply(stored.reply.id))
        await kaizen.checkin_answered(occurrence.channel_id, occurrence.local_date)
        await client.chat_postMessage(
            channel=channel_dm,
            thread_ts=thread,
            text=":white_check_mark: Got it" + (f": {phrase}" if phrase else ", thanks!"),
        )

    async def membership(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, active: bool
    ) -> None:
        async with kaizen.db.session() as s:
            channel = (
                await s.exec(
                    select(Channel)
                    .join(Workspace, Workspace.id == Channel.workspace_id)  # type: ignore[arg-type]
                    .where(
                        Channel.platform_id == event["channel"],
                        Workspace.external_id == body["team_id"],
                    )
                )
            ).first()
        if channel is None or channel.id is None:
            return  # not a channel Kaizen runs in
        person = await who(kaizen, client, body["team_id"], event["user"])
        await directory.set_channel_membership(
            kaizen.db, channel.id, person.member_id, active=active
        )
        await kaizen.channel_changed(channel.id)

    @app.event("member_joined_channel")
    @guarded
    async def joined(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        await membership(body, event, client, True)

    @app.event("member_left_channel")
    @guarded
    async def left(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        await membership(body, event, client, False)
