"""In-memory state of the emulated Slack workspace.

One ``WorkspaceState`` is the whole fake Slack: users, channels, messages, views, files, the
Web API calls the bot made and every payload Slack would have refused. The Web API emulator
(``slack_api``) mutates it, the request factory (``requests``) reads it to build what Slack would
send, tests assert on it, and the browser sandbox renders it (subscribing to ``on_change``).

Everything that depends on time (message ``ts``, trigger and ``response_url`` expiry, rate
limits) reads the injectable ``clock`` so tests can run on a fake clock without sleeping.
"""

from __future__ import annotations

import base64
import bisect
import logging
import mimetypes
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

Clock = Callable[[], float]
ChangeListener = Callable[[str, dict[str, Any]], None]

#: Slack lets a ``response_url`` be used five times within thirty minutes.
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60
#: Slack's trigger ids are valid for three seconds and for one use.
TRIGGER_TTL_SECONDS = 3.0
#: Slack stacks at most three modal views.
MODAL_STACK_LIMIT = 3


class SlackError(Exception):
    """A Slack API error code (``{"ok": false, "error": code}``) raised by a state operation.

    State helpers raise it so the Web API layer can answer exactly like Slack without
    duplicating the lookups; ``extra`` holds further response fields (for example ``errors``).
    """

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class SlackUser:
    """A workspace member as ``users.info`` describes it (``tz`` is an IANA name or ``None``)."""

    id: str
    name: str
    real_name: str
    tz: str | None
    tz_offset: int
    is_admin: bool = False
    is_bot: bool = False
    display_name: str = ""
    deleted: bool = False


@dataclass
class SlackChannel:
    """A conversation. A DM (``is_im``) belongs to one ``user`` and holds that user and the bot."""

    id: str
    name: str
    members: list[str]
    is_im: bool = False
    user: str | None = None
    is_private: bool = False
    created: int = 0


@dataclass
class SlackMessage:
    """One message; ephemeral ones (``ephemeral_to``) are only ever seen by that user."""

    channel: str
    ts: str
    user: str | None
    bot_id: str | None
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    files: list[str] = field(default_factory=list)
    updated: bool = False
    deleted: bool = False
    edited_ts: str | None = None
    client_msg_id: str | None = None


@dataclass
class SlackView:
    """A modal or Home tab view. ``view`` is what the app sent; the rest is what Slack adds."""

    id: str
    type: str  # "modal" | "home"
    user: str
    view: dict[str, Any]
    hash: str
    external_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    trigger_id: str | None = None
    closed: bool = False


@dataclass
class SlackFile:
    """A file uploaded through ``files.getUploadURLExternal`` and its upload URL."""

    id: str
    name: str
    title: str
    content: bytes
    channels: list[str]
    length: int | None = None
    uploaded: bool = False
    completed: bool = False
    url_private: str = ""
    created: int = 0

    @property
    def mimetype(self) -> str:
        """Guessed from the file name, as Slack does for uploads without an explicit type."""
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


@dataclass
class ApiCall:
    """One Web API call the bot made (``params`` without the token), and how it was answered."""

    method: str
    params: dict[str, Any]
    at: float
    ok: bool = True
    error: str | None = None
    status: int = 200


@dataclass
class Trigger:
    """A trigger id handed to the app; ``views.open``/``views.push`` may use it once."""

    id: str
    user: str
    created_at: float
    view_id: str | None = None
    used: bool = False


@dataclass
class ResponseUrl:
    """A ``response_url`` handed to the app; ``message_ts`` is the message it came from, if any."""

    token: str
    channel: str
    user: str
    message_ts: str | None
    created_at: float
    uses: int = 0


class WorkspaceState:
    """The emulated workspace. All mutation goes through ``lock`` (the API runs in a thread)."""

    def __init__(
        self,
        *,
        team_id: str = "T0KAIZEN01",
        team_name: str = "Kaizen Demo",
        team_domain: str = "kaizen-demo",
        bot_user_id: str = "U0KAIZENBOT",
        bot_id: str = "B0KAIZENBOT",
        app_id: str = "A0KAIZENAPP",
        bot_name: str = "kaizen",
        verification_token: str = "kaizen-verification-token",
        clock: Clock = time.time,
        trigger_ttl: float | None = TRIGGER_TTL_SECONDS,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.verification_token = verification_token
        self.clock: Clock = clock
        self.trigger_ttl = trigger_ttl
        self.lock = threading.RLock()

        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, SlackChannel] = {}
        self.messages: dict[str, list[SlackMessage]] = {}
        self.views: dict[str, SlackView] = {}
        self.home_views: dict[str, str] = {}  # user id -> view id
        self.modal_stacks: dict[str, list[str]] = {}  # user id -> open modal view ids, root first
        self.files: dict[str, SlackFile] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.calls: list[ApiCall] = []
        # Socket Mode: envelopes waiting to be pushed to a connected app, and what it sent back.
        self.socket_outbox: list[dict[str, Any]] = []
        self.socket_inbox: list[dict[str, Any]] = []
        self.socket_connections = 0
        self.invalid_payloads: list[tuple[str, str]] = []
        self.on_change: list[ChangeListener] = []
        self.injected_rate_limits: dict[str, list[float]] = {}

        self._seq = 0
        self._last_ts_micros = 0
        self.add_user(
            SlackUser(
                id=bot_user_id,
                name=bot_name,
                real_name="Kaizen",
                tz=None,
                tz_offset=0,
                is_bot=True,
                display_name="Kaizen",
            )
        )

    # ------------------------------------------------------------------ ids and time

    def new_id(self, prefix: str) -> str:
        """A fresh, deterministic Slack-looking id, prefixed by kind (C, D, F, V, ...)."""
        with self.lock:
            self._seq += 1
            return f"{prefix}0{self._seq:07X}"

    def next_ts(self) -> str:
        """A message timestamp from the clock, strictly increasing so it can serve as an id."""
        with self.lock:
            micros = round(self.clock() * 1_000_000)
            if micros <= self._last_ts_micros:
                micros = self._last_ts_micros + 1
            self._last_ts_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_hash(self) -> str:
        """A view hash in Slack's ``"<epoch>.<random>"`` shape."""
        return f"{int(self.clock())}.{secrets.token_hex(4)}"

    # ------------------------------------------------------------------ change listeners

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        """Tell ``on_change`` listeners what happened; a failing listener never breaks the API."""
        for listener in list(self.on_change):
            try:
                listener(kind, data)
            except Exception:  # a UI bug must not turn into a Slack API error
                log.exception("sandbox on_change listener failed for %s", kind)

    # ------------------------------------------------------------------ users and channels

    def add_user(self, user: SlackUser) -> SlackUser:
        """Add (or replace) a member."""
        with self.lock:
            self.users[user.id] = user
        self.emit("user.added", {"user": user.id})
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: list[str],
        *,
        bot_member: bool = True,
        is_private: bool = False,
    ) -> SlackChannel:
        """Add a public (or private) channel; the bot joins unless ``bot_member`` is false.

        The bot only has ``chat:write`` (not ``chat:write.public``), so posting to a channel it is
        not in fails with ``not_in_channel``, as in Slack; ``bot_member=False`` lets tests cover it.
        """
        member_ids = list(dict.fromkeys(members))
        if bot_member and self.bot_user_id not in member_ids:
            member_ids.append(self.bot_user_id)
        channel = SlackChannel(
            id=channel_id,
            name=name,
            members=member_ids,
            is_private=is_private,
            created=int(self.clock()),
        )
        with self.lock:
            self.channels[channel_id] = channel
            self.messages.setdefault(channel_id, [])
        self.emit("channel.added", {"channel": channel_id})
        return channel

    def user(self, user_id: str) -> SlackUser:
        """The member, or ``SlackError("user_not_found")``."""
        found = self.users.get(user_id)
        if found is None:
            raise SlackError("user_not_found")
        return found

    def channel(self, channel_id: str) -> SlackChannel:
        """The conversation, or ``SlackError("channel_not_found")``."""
        found = self.channels.get(channel_id)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def im_for(self, user_id: str) -> SlackChannel:
        """The DM between the bot and ``user_id``, created on first use as Slack does."""
        with self.lock:
            for channel in self.channels.values():
                if channel.is_im and channel.user == user_id:
                    return channel
            user = self.user(user_id)
            channel = SlackChannel(
                id=self.new_id("D"),
                name=user.name,
                members=[user_id, self.bot_user_id],
                is_im=True,
                user=user_id,
                created=int(self.clock()),
            )
            self.channels[channel.id] = channel
            self.messages.setdefault(channel.id, [])
        self.emit("channel.added", {"channel": channel.id, "im_user": user_id})
        return channel

    def find_im(self, user_id: str) -> SlackChannel | None:
        """The DM with ``user_id`` if it already exists (no side effects)."""
        for channel in self.channels.values():
            if channel.is_im and channel.user == user_id:
                return channel
        return None

    def resolve_channel(self, ref: str, *, create_im: bool = True) -> SlackChannel:
        """Resolve what Slack accepts as ``channel``: an id, a user id (their DM) or ``#name``."""
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users and ref[:1] in {"U", "W"}:
            if create_im:
                return self.im_for(ref)
            existing = self.find_im(ref)
            if existing is not None:
                return existing
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if not channel.is_im and channel.name == name:
                return channel
        raise SlackError("channel_not_found")

    def join(self, channel_id: str, user_id: str) -> None:
        """Add a member to a channel (used by the sandbox and ``member_joined_channel``)."""
        with self.lock:
            channel = self.channel(channel_id)
            if user_id not in channel.members:
                channel.members.append(user_id)
        self.emit("channel.members", {"channel": channel_id, "joined": user_id})

    def leave(self, channel_id: str, user_id: str) -> None:
        """Remove a member from a channel (used by the sandbox and ``member_left_channel``)."""
        with self.lock:
            channel = self.channel(channel_id)
            if user_id in channel.members:
                channel.members.remove(user_id)
        self.emit("channel.members", {"channel": channel_id, "left": user_id})

    # ------------------------------------------------------------------ messages

    def add_message(self, message: SlackMessage) -> SlackMessage:
        """Store a message in ts order and tell listeners."""
        with self.lock:
            bucket = self.messages.setdefault(message.channel, [])
            keys = [m.ts for m in bucket]
            bucket.insert(bisect.bisect_right(keys, message.ts), message)
        self.emit("message.posted", {"channel": message.channel, "ts": message.ts})
        return message

    def post_message(
        self,
        channel_id: str,
        text: str,
        *,
        user: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        ephemeral_to: str | None = None,
        files: list[str] | None = None,
        client_msg_id: str | None = None,
    ) -> SlackMessage:
        """Post as ``user`` (a person, for the sandbox and the request factory) or as the bot."""
        as_bot = user is None or user == self.bot_user_id
        message = SlackMessage(
            channel=channel_id,
            ts=self.next_ts(),
            user=self.bot_user_id if as_bot else user,
            bot_id=self.bot_id if as_bot else None,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            ephemeral_to=ephemeral_to,
            files=list(files or []),
            client_msg_id=client_msg_id,
        )
        return self.add_message(message)

    def find_message(
        self, channel_id: str, ts: str, *, include_deleted: bool = False
    ) -> SlackMessage | None:
        """The message with this ``ts`` in the channel (ephemeral ones included)."""
        for message in self.messages.get(channel_id, []):
            if message.ts == ts and (include_deleted or not message.deleted):
                return message
        return None

    def history(
        self,
        channel_id: str,
        include_ephemeral_for: str | None = None,
        *,
        include_replies: bool = False,
    ) -> list[SlackMessage]:
        """What a member sees in the channel, oldest first.

        Like ``conversations.history``, thread replies are left out unless ``include_replies``;
        ephemeral messages only show for the user they were sent to.
        """
        seen = []
        for message in self.messages.get(channel_id, []):
            if message.deleted:
                continue
            if message.ephemeral_to is not None and message.ephemeral_to != include_ephemeral_for:
                continue
            is_reply = message.thread_ts is not None and message.thread_ts != message.ts
            if is_reply and not include_replies:
                continue
            seen.append(message)
        return seen

    def thread(self, channel: str, ts: str) -> list[SlackMessage]:
        """The parent (if any) and its replies, oldest first, like ``conversations.replies``."""
        return [
            m
            for m in self.messages.get(channel, [])
            if not m.deleted and m.ephemeral_to is None and (m.ts == ts or m.thread_ts == ts)
        ]

    def message_payload(self, message: SlackMessage) -> dict[str, Any]:
        """The message as Slack's API and payloads show it."""
        payload: dict[str, Any] = {
            "type": "message",
            "ts": message.ts,
            "text": message.text,
            "team": self.team_id,
        }
        if message.user is not None:
            payload["user"] = message.user
        if message.bot_id is not None:
            payload["bot_id"] = message.bot_id
            payload["app_id"] = self.app_id
            payload["bot_profile"] = {
                "id": message.bot_id,
                "app_id": self.app_id,
                "name": "Kaizen",
                "team_id": self.team_id,
                "deleted": False,
            }
        if message.blocks is not None:
            payload["blocks"] = message.blocks
        if message.thread_ts is not None:
            payload["thread_ts"] = message.thread_ts
        if message.thread_ts in (None, message.ts):
            replies = [m for m in self.thread(message.channel, message.ts) if m.ts != message.ts]
            if replies:
                payload["thread_ts"] = message.ts
                payload["reply_count"] = len(replies)
                payload["reply_users"] = sorted({m.user for m in replies if m.user})
                payload["latest_reply"] = replies[-1].ts
        if message.files:
            payload["files"] = [
                self.file_payload(self.files[f]) for f in message.files if f in self.files
            ]
            payload["upload"] = True
        if message.updated and message.edited_ts is not None:
            payload["edited"] = {"user": message.user, "ts": message.edited_ts}
        if message.client_msg_id is not None:
            payload["client_msg_id"] = message.client_msg_id
        return payload

    def permalink(self, channel_id: str, ts: str, thread_ts: str | None = None) -> str:
        """Slack's permalink: ``https://<domain>.slack.com/archives/<channel>/p<ts digits>``."""
        link = f"https://{self.team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel_id}"
        return link

    # ------------------------------------------------------------------ users and channels as JSON

    def user_payload(self, user: SlackUser) -> dict[str, Any]:
        """The member as ``users.info`` returns it."""
        display = user.display_name or ("" if user.is_bot else user.name)
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": _tz_label(user.tz, self.clock()),
            "tz_offset": user.tz_offset,
            "is_admin": user.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(self.clock()),
            "profile": {
                "real_name": user.real_name,
                "real_name_normalized": user.real_name,
                "display_name": display,
                "display_name_normalized": display,
                "team": self.team_id,
                **({"bot_id": self.bot_id} if user.id == self.bot_user_id else {}),
            },
        }

    def channel_payload(self, channel: SlackChannel) -> dict[str, Any]:
        """The conversation as ``conversations.info`` returns it."""
        if channel.is_im:
            return {
                "id": channel.id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private,
            "is_group": channel.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.is_private,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_member": self.bot_user_id in channel.members,
            "created": channel.created,
            "creator": channel.members[0] if channel.members else "",
            "num_members": len(channel.members),
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }

    def file_payload(self, file: SlackFile) -> dict[str, Any]:
        """The file as ``files.completeUploadExternal`` and message ``files`` show it."""
        return {
            "id": file.id,
            "created": file.created,
            "timestamp": file.created,
            "name": file.name,
            "title": file.title,
            "mimetype": file.mimetype,
            "filetype": file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "",
            "user": self.bot_user_id,
            "size": len(file.content),
            "is_external": False,
            "is_public": False,
            "url_private": file.url_private,
            "url_private_download": file.url_private,
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{file.id}",
            "channels": list(file.channels),
        }

    # ------------------------------------------------------------------ views

    def view_payload(self, view: SlackView) -> dict[str, Any]:
        """The view as Slack returns it from ``views.*`` and puts it in interaction payloads."""
        body = view.view
        return {
            "id": view.id,
            "team_id": self.team_id,
            "type": view.type,
            "blocks": body.get("blocks", []),
            "private_metadata": body.get("private_metadata", ""),
            "callback_id": body.get("callback_id", ""),
            "state": {"values": {}},
            "hash": view.hash,
            "title": body.get("title"),
            "clear_on_close": bool(body.get("clear_on_close", False)),
            "notify_on_close": bool(body.get("notify_on_close", False)),
            "close": body.get("close"),
            "submit": body.get("submit"),
            "previous_view_id": view.previous_view_id,
            "root_view_id": view.root_view_id or view.id,
            "app_id": self.app_id,
            "external_id": view.external_id or "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def find_view(self, view_id: str | None = None, external_id: str | None = None) -> SlackView:
        """A view by id or ``external_id``, or ``SlackError("not_found")`` as ``views.update``."""
        if view_id:
            found = self.views.get(view_id)
            if found is not None:
                return found
        elif external_id:
            for view in self.views.values():
                if view.external_id == external_id and not view.closed:
                    return view
        raise SlackError("not_found")

    def open_modal(self, user_id: str) -> SlackView | None:
        """The modal view currently on top of the user's stack, if any."""
        stack = self.modal_stacks.get(user_id) or []
        return self.views[stack[-1]] if stack else None

    def home_view(self, user_id: str) -> SlackView | None:
        """The Home tab last published for the user, if any."""
        view_id = self.home_views.get(user_id)
        return self.views.get(view_id) if view_id else None

    def close_view(self, view_id: str) -> None:
        """Close a modal and everything pushed above it (what a submission or Cancel does)."""
        with self.lock:
            view = self.views.get(view_id)
            if view is None:
                return
            stack = self.modal_stacks.get(view.user, [])
            if view_id in stack:
                for closed in stack[stack.index(view_id) :]:
                    self.views[closed].closed = True
                del stack[stack.index(view_id) :]
            view.closed = True
        self.emit("view.closed", {"view_id": view_id, "user": view.user})

    # ------------------------------------------------------------------ triggers, response urls

    def new_trigger(self, user_id: str, view_id: str | None = None) -> str:
        """Register a trigger id Slack would attach to an interaction by ``user_id``."""
        now = self.clock()
        trigger_id = f"{int(now)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        with self.lock:
            self.triggers[trigger_id] = Trigger(trigger_id, user_id, now, view_id)
        return trigger_id

    def consume_trigger(self, trigger_id: str | None) -> Trigger:
        """Use a trigger once: unknown, used or expired ones fail with Slack's error codes."""
        with self.lock:
            trigger = self.triggers.get(trigger_id or "")
            if trigger is None:
                raise SlackError("invalid_trigger_id")
            if trigger.used:
                raise SlackError("exchanged_trigger_id")
            age = self.clock() - trigger.created_at
            if self.trigger_ttl is not None and age > self.trigger_ttl:
                raise SlackError("expired_trigger_id")
            trigger.used = True
            return trigger

    def new_response_url(
        self, base_url: str, channel: str, user: str, message_ts: str | None = None
    ) -> str:
        """Register a ``response_url`` served by the emulator at ``{base_url}/response/{token}``.

        ``message_ts`` is the message the interaction came from, so ``replace_original`` and
        ``delete_original`` know what to change.
        """
        token = secrets.token_urlsafe(18)
        with self.lock:
            self.response_urls[token] = ResponseUrl(token, channel, user, message_ts, self.clock())
        return f"{base_url.rstrip('/')}/response/{token}"

    # ------------------------------------------------------------------ rate limits and calls

    def inject_rate_limit(self, method: str, times: int, retry_after: float = 1) -> None:
        """Make the next ``times`` calls of ``method`` answer HTTP 429 with ``Retry-After``."""
        with self.lock:
            self.injected_rate_limits.setdefault(method, []).extend([retry_after] * times)

    def take_injected_rate_limit(self, method: str) -> float | None:
        """Consume one injected 429 for ``method``; its ``Retry-After`` or ``None``."""
        with self.lock:
            pending = self.injected_rate_limits.get(method)
            if pending:
                return pending.pop(0)
            return None

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of ``method`` (successful or not), in order."""
        return [c for c in self.calls if c.method == method]

    def record_invalid(self, method: str, error: str) -> None:
        """Remember a refused payload so tests can assert the bot never sends one."""
        with self.lock:
            self.invalid_payloads.append((method, error))
        self.emit("payload.invalid", {"method": method, "error": error})


def _tz_label(tz: str | None, at: float) -> str:
    """A human label for the zone, like Slack's ``tz_label`` (``"Central European Time"``)."""
    if tz is None:
        return ""
    try:
        return datetime.fromtimestamp(at, ZoneInfo(tz)).tzname() or tz
    except (ZoneInfoNotFoundError, ValueError):
        return tz


def tz_offset_at(tz: str, at: float) -> int:
    """UTC offset of ``tz`` in seconds at epoch ``at`` (what Slack reports as ``tz_offset``)."""
    offset = datetime.fromtimestamp(at, ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def encode_cursor(member_id: str) -> str:
    """Slack's cursor shape: base64 of ``user:<next id>``."""
    return base64.b64encode(f"user:{member_id}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    """The member id a cursor points at, or ``SlackError("invalid_cursor")``."""
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc
    if not decoded.startswith("user:"):
        raise SlackError("invalid_cursor")
    return decoded.removeprefix("user:")


_DEMO_USERS: list[tuple[str, str, str, str, bool]] = [
    ("U01ANNA", "anna", "Anna Schmidt", "Europe/Berlin", True),
    ("U02BEN", "ben", "Ben Carter", "America/New_York", False),
    ("U03PRIYA", "priya", "Priya Raman", "Asia/Kolkata", False),
    ("U04OLIVER", "oliver", "Oliver Hughes", "Europe/London", False),
    ("U05MAYA", "maya", "Maya Lopez", "America/Los_Angeles", False),
]


def demo_workspace(clock: Clock = time.time) -> WorkspaceState:
    """A small workspace for the sandbox and tests: five people in five time zones, one admin.

    ``tz_offset`` is computed for the clock's current instant, so DST is right for that moment.
    """
    state = WorkspaceState(clock=clock)
    now = clock()
    for user_id, name, real_name, tz, is_admin in _DEMO_USERS:
        state.add_user(
            SlackUser(
                id=user_id,
                name=name,
                real_name=real_name,
                tz=tz,
                tz_offset=tz_offset_at(tz, now),
                is_admin=is_admin,
                display_name=real_name.split()[0],
            )
        )
    state.add_channel("C01MLTEAM", "ml-team", ["U01ANNA", "U02BEN", "U03PRIYA"])
    state.add_channel("C02PLATFORM", "platform", ["U04OLIVER", "U05MAYA", "U02BEN"])
    state.add_channel("C03RANDOM", "random", [u[0] for u in _DEMO_USERS])
    return state
