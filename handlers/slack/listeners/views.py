"""Modal submissions: check-in answers, channel setup, labels, concerns and logged wastes.

Validation errors are returned inline (``response_action: errors``) so nothing the person typed
is lost; everything slow happens after the acknowledgement.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.errors import InvalidInput
from bot.runtime import Kaizen
from bot.services import concerns, workflows
from bot.services.channels import ChannelChanges, configure_channel, validate
from bot.services.replies import record_reply
from handlers.slack import ids
from handlers.slack.errors import guarded
from handlers.slack.identity import is_channel_member, where, who
from handlers.slack.listeners import flows
from handlers.slack.render.checkin import answered_text
from handlers.slack.render.forms import selected_labels, setup_changes
from handlers.slack.render.messages import logged_blocks, replace_concern
from handlers.slack.text import quote

# Which setup-modal block each channel setting is entered in, to put an error next to it.
SETUP_BLOCKS = {
    "checkin_days": "days",
    "checkin_time": "time",
    "timezone_policy": "policy",
    "timezone": "timezone",
    "question_sets": "sets",
    "reminder_delay_minutes": "reminder",
    "digest_day": "digest_day",
    "digest_time": "digest_time",
    "models": "models",
}


def _text(values: dict[str, Any], block: str, action: str = ids.A_TEXT) -> str:
    return (values.get(block, {}).get(action, {}).get("value") or "").strip()


def register(app: AsyncApp, kaizen: Kaizen) -> None:
    @app.view(ids.VIEW_CHECKIN)
    @guarded
    async def checkin_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        meta = flows.metadata(view)
        values = view["state"]["values"]
        channel = await workflows.load_channel(kaizen, int(meta["channel"]))
        questions = workflows.questions_for(kaizen, channel)
        answers = {q.key: _text(values, q.key) for q in questions}
        missing = {
            q.key: "Please answer this one (a few words are enough)."
            for q in questions
            if not q.optional and q.key in values and not answers[q.key]
        }
        if missing:
            await ack(response_action="errors", errors=missing)
            return
        await ack()
        team, user = body["team"]["id"], body["user"]["id"]
        person = await who(kaizen, client, team, user)
        day = date.fromisoformat(meta["date"])
        occurrence = await workflows.nudge_occurrence(
            kaizen, channel.id or 0, person.member_id, day
        )
        understood = []
        for key, text in answers.items():
            if not text:
                continue
            stored = await record_reply(
                kaizen.db,
                channel_id=channel.id or 0,
                member_id=person.member_id,
                anonymous=channel.anonymous,
                text=text,
                source="checkin",
                question_key=key,
                dedup_key=f"slack:view:{view['id']}:{key}",
                occurrence_id=occurrence,
                at=kaizen.clock(),
            )
            assert stored.reply.id is not None
            phrase = flows.understood(await kaizen.analyser.analyse_reply(stored.reply.id))
            if phrase:
                understood.append(phrase)
        await client.chat_postMessage(
            channel=meta.get("dm") or user,
            thread_ts=meta.get("nudge"),
            text=answered_text(understood),
        )
        await kaizen.checkin_answered(channel.id or 0, day)

    @app.view(ids.VIEW_SETUP)
    @guarded
    async def setup_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        meta = flows.metadata(view)
        changes = setup_changes(view["state"]["values"])
        errors = _setup_errors(changes, set(kaizen.question_sets))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        channel = await workflows.load_channel(kaizen, int(meta["channel"]))
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        if not (
            person.is_admin or await is_channel_member(client, channel.platform_id, person.user_id)
        ):
            await client.chat_postMessage(
                channel=person.user_id,
                text="Your Kaizen setup was not saved: only members of the channel (or "
                "workspace admins) can change it.",
            )
            return
        saved = await configure_channel(
            kaizen.db, channel.id or 0, changes, known_question_sets=set(kaizen.question_sets),
            clock=kaizen.clock,
        )  # fmt: skip
        await flows.sync_members(kaizen, client, body["team"]["id"], saved)
        await kaizen.channel_changed(channel.id or 0)
        whose_clock = (
            "each person’s own time" if saved.timezone_policy == "member" else saved.timezone
        )
        reminder = (
            "no reminder"
            if saved.reminder_delay_minutes is None
            else f"reminder after {saved.reminder_delay_minutes} min"
        )
        await client.chat_postMessage(
            channel=channel.platform_id,
            text=(
                f":gear: <@{person.user_id}> updated Kaizen here: check-ins on "
                f"{saved.checkin_days.replace(',', ', ')} at {saved.checkin_time} "
                f"({whose_clock}), "
                f"{reminder}; digest on {saved.digest_day} at {saved.digest_time}"
                f"{'; anonymous' if saved.anonymous else ''}."
            ),
        )

    @app.view(ids.VIEW_LABELS)
    @guarded
    async def labels_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        meta = flows.metadata(view)
        wastes, found = selected_labels(view["state"]["values"])
        reply_id = int(meta["reply"])
        reply, _, _ = await flows.current_labels(kaizen, reply_id)
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        if reply.member_id != person.member_id:
            raise InvalidInput("only the person who logged this entry can change its category.")
        analysis = await kaizen.analyser.correct(reply_id, wastes, found)
        if meta.get("url"):
            await AsyncWebhookClient(meta["url"]).send(
                replace_original=True,
                text="Category changed.",
                blocks=logged_blocks(analysis, reply.text),
            )

    @app.view(ids.VIEW_OPEN_CONCERN)
    @guarded
    async def open_concern_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        values = view["state"]["values"]
        kind = (values[ids.B_KIND][ids.A_KIND].get("selected_option") or {}).get("value")
        summary = _text(values, ids.B_TEXT)
        if not kind or not summary:
            await ack(
                response_action="errors",
                errors={ids.B_TEXT: "Describe the concern."}
                if not summary
                else {ids.B_KIND: "Pick a kind."},
            )
            return
        await ack()
        meta = flows.metadata(view)
        reply, _, _ = await flows.current_labels(kaizen, int(meta["reply"]))
        person = await who(kaizen, client, body["team"]["id"], body["user"]["id"])
        concern = await concerns.open_concern(
            kaizen.db,
            channel_id=reply.channel_id,
            kind=kind,
            model=_text(values, ids.B_MODEL, ids.A_MODEL) or None,
            summary=summary,
            opened_by_id=person.member_id,
            source_reply_id=reply.id,
            clock=kaizen.clock,
        )
        if meta.get("url"):
            await AsyncWebhookClient(meta["url"]).send(
                replace_original=False,
                response_type="ephemeral",
                text=f":eyes: Opened concern #{concern.id}; it stays on the digest until resolved.",
            )

    @app.view(ids.VIEW_ASSIGN)
    @guarded
    async def assign_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        meta = flows.metadata(view)
        owner_user = view["state"]["values"][ids.B_OWNER][ids.A_OWNER]["selected_user"]
        team = body["team"]["id"]
        actor = await who(kaizen, client, team, body["user"]["id"])
        owner = await who(kaizen, client, team, owner_user)
        concern_id = int(meta["concern"])
        concern = await concerns.assign(
            kaizen.db, concern_id, owner.member_id, actor_id=actor.member_id, clock=kaizen.clock
        )
        await _refresh_origin(kaizen, client, meta, concern_id)
        if owner_user != actor.user_id:
            await client.chat_postMessage(
                channel=owner_user,
                text=f":bust_in_silhouette: <@{actor.user_id}> asked you to own concern "
                f"#{concern_id}: {quote(concern.summary, 300)}",
            )

    @app.view(ids.VIEW_LOG_WASTE)
    @guarded
    async def log_waste_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        text = _text(view["state"]["values"], ids.B_TEXT)
        if not text:
            await ack(response_action="errors", errors={ids.B_TEXT: "Say what happened."})
            return
        await ack()
        meta = flows.metadata(view)
        wastes, found = selected_labels(view["state"]["values"])
        await _log_text(kaizen, client, body, meta["ch"], text, view["id"], "shortcut",
                        labels=(wastes, found), permalink=meta.get("link"))  # fmt: skip

    @app.view(ids.VIEW_HOME_LOG)
    @guarded
    async def home_log_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        values = view["state"]["values"]
        text = _text(values, ids.B_TEXT)
        channel = values.get(ids.B_CHANNEL, {}).get(ids.A_CHANNEL, {}).get("selected_conversation")
        if not text or not channel:
            await ack(response_action="errors", errors={ids.B_TEXT: "Say what happened."})
            return
        await ack()
        await _log_text(kaizen, client, body, channel, text, view["id"], "command")


async def _log_text(
    kaizen: Kaizen,
    client: AsyncWebClient,
    body: dict[str, Any],
    slack_channel: str,
    text: str,
    view_id: str,
    source: str,
    *,
    labels: tuple[list[str], list[str]] | None = None,
    permalink: str | None = None,
) -> None:
    team, user = body["team"]["id"], body["user"]["id"]
    person = await who(kaizen, client, team, user)
    place = await where(kaizen, team, slack_channel)
    stored = await record_reply(
        kaizen.db,
        channel_id=place.channel_id,
        member_id=person.member_id,
        text=text,
        source=source,
        question_key="free",
        dedup_key=f"slack:view:{view_id}",
        permalink=permalink,
        at=kaizen.clock(),
    )
    assert stored.reply.id is not None
    analysis = await kaizen.analyser.analyse_reply(stored.reply.id)
    if labels is not None and (sorted(labels[0]), sorted(labels[1])) != (
        analysis.reading.wastes,
        analysis.reading.concerns,
    ):
        analysis = await kaizen.analyser.correct(stored.reply.id, *labels)
    blocks = logged_blocks(analysis, text)
    try:
        await client.chat_postEphemeral(
            channel=slack_channel, user=user, blocks=blocks, text="Logged."
        )
    except SlackApiError:  # not in the channel (e.g. logged from a DM): tell them by DM
        await client.chat_postMessage(channel=user, blocks=blocks, text="Logged.")


def _setup_errors(changes: ChannelChanges, known_sets: set[str]) -> dict[str, str]:
    """Each invalid setting as an error next to its own input."""
    errors: dict[str, str] = {}
    for f in fields(changes):
        block = SETUP_BLOCKS.get(f.name)
        value = getattr(changes, f.name)
        if block is None or value is None:
            continue
        try:
            validate(ChannelChanges(**{f.name: value}), known_sets)
        except InvalidInput as exc:
            errors[block] = str(exc)[:150]
    return errors


async def _refresh_origin(
    kaizen: Kaizen, client: AsyncWebClient, meta: dict[str, Any], concern_id: int
) -> None:
    """Show a concern's new owner in the message whose *Assign* button was clicked."""
    if not meta.get("ts") or not meta.get("ch"):
        return
    message = kaizen.recall_message(meta["ch"], meta["ts"])
    if message is None:
        return
    new = await flows.refreshed_concern_blocks(kaizen, concern_id)
    blocks = replace_concern(message.get("blocks") or [], concern_id, new)
    text = message.get("text") or "Kaizen"
    if meta.get("eph"):
        if meta.get("url"):
            await AsyncWebhookClient(meta["url"]).send(
                replace_original=True, text=text, blocks=blocks
            )
        return
    await client.chat_update(channel=meta["ch"], ts=meta["ts"], text=text, blocks=blocks)
