"""Buttons: resolve and assign concerns, correct or undo a log, answer or skip a check-in."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.analysis.model_names import find_model
from bot.errors import InvalidTransition
from bot.models import Concern
from bot.runtime import Kaizen
from bot.services import concerns, skips, workflows
from bot.services.home import home_data
from bot.services.members import forget_member
from bot.services.replies import undo_reply
from handlers.slack import ids
from handlers.slack.errors import guarded
from handlers.slack.identity import who
from handlers.slack.listeners import flows
from handlers.slack.render.common import context, modal, section, text_input
from handlers.slack.render.forms import assign_modal, labels_modal, open_concern_modal


def _origin(body: dict[str, Any]) -> dict[str, Any]:
    """Where the clicked message lives, so a modal submitted later can update it in place."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    return {
        "ch": container.get("channel_id") or (body.get("channel") or {}).get("id"),
        "ts": message.get("ts"),
        "eph": bool(container.get("is_ephemeral")),
        "url": body.get("response_url"),
    }


def register(app: AsyncApp, kaizen: Kaizen) -> None:
    @app.action(ids.CONCERN_RESOLVE)
    @guarded
    async def resolve_clicked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()
        concern_id = int(action["value"])
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        try:
            await concerns.resolve(
                kaizen.db, concern_id, actor_id=person.member_id, clock=kaizen.clock
            )
        except InvalidTransition as exc:
            await respond(text=f":information_source: {exc}", replace_original=False)
            return
        new = await flows.refreshed_concern_blocks(kaizen, concern_id, resolved_by=person.user_id)
        await flows.update_concern_message(client, respond, body, concern_id, new)

    @app.action(ids.CONCERN_ASSIGN)
    @guarded
    async def assign_clicked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        concern_id = int(action["value"])
        async with kaizen.db.session() as s:
            concern = await s.get(Concern, concern_id)
        summary = concern.summary if concern else ""
        origin = _origin(body)
        if origin["ch"] and origin["ts"] and body.get("message"):
            kaizen.remember_message(origin["ch"], origin["ts"], body["message"])
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=assign_modal(concern_id, summary, origin),
        )

    @app.action(ids.LOG_CHANGE_CATEGORY)
    @guarded
    async def change_category(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        reply_id = int(action["value"])
        _, wastes, found = await flows.current_labels(kaizen, reply_id)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=labels_modal(reply_id, wastes, found, _origin(body)),
        )

    @app.action(ids.LOG_OPEN_CONCERN)
    @guarded
    async def open_concern_clicked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        reply_id = int(action["value"])
        reply, _, found = await flows.current_labels(kaizen, reply_id)
        channel = await workflows.load_channel(kaizen, reply.channel_id)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=open_concern_modal(
                reply_id,
                found[0] if found else None,
                find_model(reply.text, channel.models),
                reply.text,
                _origin(body),
            ),
        )

    @app.action(ids.LOG_UNDO)
    @guarded
    async def undo_clicked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        await undo_reply(kaizen.db, int(action["value"]), person.member_id)
        await respond(text=":wastebasket: Undone: that entry is deleted.", replace_original=True)

    @app.action(ids.CHECKIN_ANSWER)
    @guarded
    async def answer_clicked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        value = json.loads(action["value"])
        channel = await workflows.load_channel(kaizen, int(value["c"]))
        origin = _origin(body)
        await flows.open_checkin(
            kaizen,
            client,
            body["trigger_id"],
            channel,
            date.fromisoformat(value["d"]),
            {"dm": origin["ch"], "nudge": origin["ts"]},
        )

    @app.action(ids.CHECKIN_SKIP)
    @guarded
    async def skip_clicked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        value = json.loads(action["value"])
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        day = date.fromisoformat(value["d"])
        await skips.skip(kaizen.db, person.member_id, day, channel_id=int(value["c"]))
        origin = _origin(body)
        if origin["ch"] and origin["ts"]:
            await client.chat_update(
                channel=origin["ch"],
                ts=origin["ts"],
                text="Skipped today's check-in.",
                blocks=[
                    section(f":zzz: Skipped the check-in of {day:%a %d %b}. See you next time.")
                ],
            )

    @app.action(ids.FORGET_CONFIRM)
    @guarded
    async def forget_confirmed(
        ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        report = await forget_member(kaizen.db, person.member_id)
        kaizen._user_cache.pop((body["team"]["id"], body["user"]["id"]), None)
        await respond(
            replace_original=True,
            text=f":wastebasket: Done. I deleted {report.replies} replies and {report.findings} "
            f"findings of yours; {report.concerns_unattributed} concern(s) no longer name you.",
        )

    @app.action(ids.HOME_CHECKIN)
    @guarded
    async def home_checkin(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        data = await home_data(
            kaizen.db,
            person.member_id,
            fallback_timezone=kaizen.settings.timezone,
            clock=kaizen.clock,
            sla_days=kaizen.concern_sla_days,
        )
        active = [c for c in data.channels if not c.paused]
        if not active:
            await client.views_open(
                trigger_id=body["trigger_id"],
                view=modal(
                    ids.VIEW_HOME_LOG,
                    "Check-in",
                    [section("You are not in a Kaizen channel yet. Invite me to your team's "
                             "channel and run `/kaizen setup` there.")],
                    submit=None,
                    close="OK",
                ),
            )  # fmt: skip
            return
        channel = await workflows.load_channel(kaizen, active[0].channel_id)
        day = workflows.local_today(kaizen, channel.timezone)
        await flows.open_checkin(kaizen, client, body["trigger_id"], channel, day)

    @app.action(ids.HOME_LOG)
    @guarded
    async def home_log(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        blocks = [
            {
                "type": "input",
                "block_id": ids.B_CHANNEL,
                "label": {"type": "plain_text", "text": "Channel"},
                "element": {
                    "type": "conversations_select",
                    "action_id": ids.A_CHANNEL,
                    "default_to_current_conversation": True,
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
            },
            text_input(ids.B_TEXT, ids.A_TEXT, "What happened"),
            context("It is analysed like any check-in answer and counts in the channel's digest."),
        ]
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=modal(ids.VIEW_HOME_LOG, "Log a waste", blocks, submit="Log"),
        )
