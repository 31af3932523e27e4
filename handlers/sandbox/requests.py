"""Build, byte for byte, the signed HTTP requests Slack sends to the bot.

Tests dispatch these to the Bolt app (or POST them to ``/slack/events``) and the browser sandbox
sends them when a person clicks; both need payloads shaped exactly like Slack's, signed with the
app's signing secret, and tied to the emulated workspace: trigger ids are registered so
``views.open`` can check them, ``response_url`` values point at the emulator, and a DM the user
"sends" is stored in the workspace before the event describing it is built.

Shapes follow Slack's docs and bolt-python's own fixtures (see ``/work/shared/slack-facts.md``).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from slack_sdk.signature import SignatureVerifier

from handlers.sandbox.state import Clock, SlackMessage, SlackView, WorkspaceState

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as Slack would send it: raw ``body`` and the headers that sign it."""

    body: bytes
    headers: dict[str, str]
    content_type: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """The body as text (what ``BoltRequest(body=...)`` takes)."""
        return self.body.decode("utf-8")

    def form(self) -> dict[str, str]:
        """The form fields of a form-encoded body (empty for JSON bodies)."""
        if self.content_type != FORM:
            return {}
        return dict(parse_qsl(self.text, keep_blank_values=True))


class SlackRequestFactory:
    """Makes slash commands, interactions and events for the emulated workspace ``state``.

    ``response_base_url`` is where the emulator app is reachable (``response_url`` values are
    ``{response_base_url}/response/{token}``). ``clock`` stamps and signs requests; it defaults to
    real time because Bolt rejects signatures more than five minutes off its own clock, so it is
    separate from ``state.clock`` (which may be a fake one driving ``ts`` values).
    """

    def __init__(
        self,
        signing_secret: str,
        state: WorkspaceState,
        response_base_url: str,
        clock: Clock = time.time,
    ) -> None:
        self.signing_secret = signing_secret
        self.state = state
        self.response_base_url = response_base_url.rstrip("/")
        self.clock = clock
        self._verifier = SignatureVerifier(signing_secret)

    # ------------------------------------------------------------------ signing

    def sign(self, body: bytes) -> dict[str, str]:
        """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (v0 HMAC-SHA256) for body."""
        timestamp = str(int(self.clock()))
        signature = self._verifier.generate_signature(timestamp=timestamp, body=body)
        if signature is None:  # slack_sdk returns None only without a timestamp or body
            raise ValueError("could not sign the request")
        return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}

    def _form_request(self, fields: dict[str, str], payload: dict[str, Any]) -> SignedRequest:
        body = urlencode(fields).encode("utf-8")
        headers = {"Content-Type": FORM, **self.sign(body)}
        return SignedRequest(body, headers, FORM, payload)

    def _interaction(self, payload: dict[str, Any]) -> SignedRequest:
        """Interactivity posts one form field, ``payload``, holding JSON."""
        return self._form_request({"payload": json.dumps(payload)}, payload)

    # ------------------------------------------------------------------ shared pieces

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.state.users.get(user_id)
        name = user.name if user is not None else user_id
        return {"id": user_id, "username": name, "name": name, "team_id": self.state.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.state.team_id, "domain": self.state.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        channel = self.state.channels.get(channel_id)
        if channel is None:
            return ""
        if channel.is_im:
            return "directmessage"
        return "privategroup" if channel.is_private else channel.name

    def _now_ts(self) -> str:
        return f"{self.clock():.6f}"

    @staticmethod
    def message_container(message: SlackMessage) -> dict[str, Any]:
        """The ``container`` Slack sends for an action on this message."""
        return {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": message.ephemeral_to is not None,
        }

    @staticmethod
    def view_container(view: SlackView | dict[str, Any]) -> dict[str, Any]:
        """The ``container`` Slack sends for an action inside a modal or the Home tab."""
        view_id = view.id if isinstance(view, SlackView) else str(view.get("id", ""))
        return {"type": "view", "view_id": view_id}

    def _view_payload(self, view: SlackView | dict[str, Any]) -> dict[str, Any]:
        """A full view as Slack puts it in payloads; a known view id is filled from the state."""
        if isinstance(view, SlackView):
            return self.state.view_payload(view)
        stored = self.state.views.get(str(view.get("id", "")))
        base = self.state.view_payload(stored) if stored is not None else {}
        return {**base, **view}

    # ------------------------------------------------------------------ commands and interactions

    def slash_command(
        self, user_id: str, channel_id: str, text: str, command: str = "/kaizen"
    ) -> SignedRequest:
        """A slash command, with a fresh ``trigger_id`` and ``response_url``."""
        user = self.state.users.get(user_id)
        fields = {
            "token": self.state.verification_token,
            "team_id": self.state.team_id,
            "team_domain": self.state.team_domain,
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": user.name if user is not None else user_id,
            "command": command,
            "text": text,
            "api_app_id": self.state.app_id,
            "is_enterprise_install": "false",
            "response_url": self.state.new_response_url(
                self.response_base_url, channel_id, user_id
            ),
            "trigger_id": self.state.new_trigger(user_id),
        }
        return self._form_request(fields, dict(fields))

    def block_action(
        self,
        user_id: str,
        action: dict[str, Any],
        *,
        container: dict[str, Any],
        channel_id: str | None = None,
        message: dict[str, Any] | SlackMessage | None = None,
        view: dict[str, Any] | SlackView | None = None,
    ) -> SignedRequest:
        """A ``block_actions`` payload for one action (a button click, a select, ...).

        ``action`` needs at least ``action_id``; ``type`` (button), ``block_id`` and
        ``action_ts`` are filled in. Actions on messages carry a ``response_url`` (also for
        ephemeral messages, which Slack sends without ``message``); actions in views carry the
        ``view`` and no ``response_url``.
        """
        view_payload = self._view_payload(view) if view is not None else None
        view_id = view_payload.get("id") if view_payload else None
        full_action = {
            "type": "button",
            "block_id": secrets.token_hex(3),
            "action_ts": self._now_ts(),
            **action,
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.state.app_id,
            "token": self.state.verification_token,
            "container": container,
            "trigger_id": self.state.new_trigger(user_id, view_id=view_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if isinstance(message, SlackMessage):
            channel_id = channel_id or message.channel
            message = self.state.message_payload(message)
        if container.get("type") == "message":
            channel_id = channel_id or container.get("channel_id")
        if channel_id:
            payload["channel"] = {"id": channel_id, "name": self._channel_name(channel_id)}
        if message is not None:
            payload["message"] = message
            payload["state"] = {"values": {}}
        if view_payload is not None:
            payload["view"] = view_payload
        if container.get("type") == "message" and channel_id:
            message_ts = container.get("message_ts") or (message or {}).get("ts")
            payload["response_url"] = self.state.new_response_url(
                self.response_base_url, channel_id, user_id, message_ts=message_ts
            )
        payload["actions"] = [full_action]
        return self._interaction(payload)

    def view_submission(
        self, user_id: str, view: dict[str, Any] | SlackView, values: dict[str, Any]
    ) -> SignedRequest:
        """A ``view_submission`` of a modal with ``state.values`` set to ``values``.

        ``values`` is ``{block_id: {action_id: value}}``; a plain string value is shorthand for
        ``{"type": "plain_text_input", "value": ...}``.
        """
        view_payload = self._view_payload(view)
        view_payload.setdefault("id", self.state.new_id("V"))
        view_payload.setdefault("hash", self.state.new_hash())
        view_payload.setdefault("callback_id", "")
        view_payload.setdefault("private_metadata", "")
        view_payload.setdefault("type", "modal")
        view_payload["state"] = {
            "values": {
                block_id: {
                    action_id: (
                        {"type": "plain_text_input", "value": value}
                        if isinstance(value, str)
                        else value
                    )
                    for action_id, value in actions.items()
                }
                for block_id, actions in values.items()
            }
        }
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.state.app_id,
            "token": self.state.verification_token,
            "trigger_id": self.state.new_trigger(user_id, view_id=view_payload["id"]),
            "view": view_payload,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interaction(payload)

    def message_shortcut(
        self,
        user_id: str,
        channel_id: str,
        message: SlackMessage,
        callback_id: str = "log_waste",
    ) -> SignedRequest:
        """A message shortcut (``message_action``) on ``message``, e.g. "Log as waste"."""
        payload = {
            "type": "message_action",
            "token": self.state.verification_token,
            "action_ts": self._now_ts(),
            "team": self._team(),
            "user": self._user(user_id),
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.state.new_trigger(user_id),
            "response_url": self.state.new_response_url(
                self.response_base_url, channel_id, user_id, message_ts=message.ts
            ),
            "message_ts": message.ts,
            "message": self.state.message_payload(message),
        }
        return self._interaction(payload)

    # ------------------------------------------------------------------ events

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> SignedRequest:
        """An Events API ``event_callback``; ``retry_num`` makes it one of Slack's retries."""
        inner = dict(event)
        inner.setdefault("event_ts", inner.get("ts") or self.state.next_ts())
        payload = {
            "token": self.state.verification_token,
            "team_id": self.state.team_id,
            "api_app_id": self.state.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev0{secrets.token_hex(5).upper()}",
            "event_time": int(self.clock()),
            "authed_users": [self.state.bot_user_id],
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.state.team_id,
                    "user_id": self.state.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(24)}",
        }
        body = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": JSON, **self.sign(body)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return SignedRequest(body, headers, JSON, payload)

    def retry(
        self, request: SignedRequest, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> SignedRequest:
        """Slack's retry of an earlier event: same ``event_id`` and event, new signature."""
        return self.event(
            request.payload["event"],
            event_id=request.payload["event_id"],
            retry_num=retry_num,
            retry_reason=retry_reason,
        )

    def app_home_opened(self, user_id: str, tab: str = "home") -> SignedRequest:
        """``app_home_opened``; carries the published Home view when there is one, like Slack."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.state.im_for(user_id).id,
            "tab": tab,
            "event_ts": self.state.next_ts(),
        }
        home = self.state.home_view(user_id)
        if home is not None and tab == "home":
            event["view"] = self.state.view_payload(home)
        return self.event(event)

    def dm_message(
        self,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        client_msg_id: str | None = None,
    ) -> SignedRequest:
        """The user writes to the bot in their DM (``message.im``).

        The message is stored in the workspace first, so the bot's replies in its thread and
        the sandbox's history see it, exactly as in Slack.
        """
        channel = self.state.im_for(user_id)
        message = self.state.post_message(
            channel.id,
            text,
            user=user_id,
            thread_ts=thread_ts,
            client_msg_id=client_msg_id or str(uuid.uuid4()),
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel.id,
            "user": user_id,
            "text": text,
            "ts": message.ts,
            "event_ts": message.ts,
            "channel_type": "im",
            "client_msg_id": message.client_msg_id,
            "team": self.state.team_id,
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
            parent = self.state.find_message(channel.id, thread_ts)
            if parent is not None and parent.user is not None:
                event["parent_user_id"] = parent.user
        return self.event(event)

    def member_joined_channel(self, user_id: str, channel_id: str) -> SignedRequest:
        """``member_joined_channel``; the user is added to the channel's members first."""
        self.state.join(channel_id, user_id)
        return self.event(self._membership_event("member_joined_channel", user_id, channel_id))

    def member_left_channel(self, user_id: str, channel_id: str) -> SignedRequest:
        """``member_left_channel``; the user is removed from the channel's members first."""
        self.state.leave(channel_id, user_id)
        return self.event(self._membership_event("member_left_channel", user_id, channel_id))

    def _membership_event(self, kind: str, user_id: str, channel_id: str) -> dict[str, Any]:
        channel = self.state.channel(channel_id)
        return {
            "type": kind,
            "user": user_id,
            "channel": channel_id,
            "channel_type": "G" if channel.is_private else "C",
            "team": self.state.team_id,
            "event_ts": self.state.next_ts(),
        }
