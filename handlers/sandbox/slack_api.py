"""A faithful emulator of the part of Slack's Web API the bot uses, as a FastAPI app.

The bot's Bolt app sends every Web API call to ``SLACK_API_URL``; pointing that at this app lets
the test suite run the real ``slack_sdk`` client code against a fake Slack, and lets the local
sandbox show a small workspace without Slack at all. It answers like Slack: HTTP 200 with
``{"ok": ...}`` (HTTP 429 plus ``Retry-After`` when rate limited), Slack's error codes, and the
response shapes ``slack_sdk``/Bolt read.

It is deliberately *stricter* than a mock: every Block Kit payload is validated with
``slack_sdk.models`` (plus checks the SDK skips but Slack enforces), oversized text is refused,
and ``link_names``/``parse=full`` are refused because Kaizen must never send user text with them.
Each refusal is also appended to ``state.invalid_payloads`` so a test can assert there were none.

Routes: ``POST /api/{method}`` (the Web API), ``POST /upload/{file_id}`` (the upload URL that
``files.getUploadURLExternal`` hands out), ``GET /files/{file_id}/{name}`` (``url_private``) and
``POST /response/{token}`` (``response_url`` targets made by ``state.new_response_url``).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, PlainTextResponse
from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

from handlers.sandbox.state import (
    MODAL_STACK_LIMIT,
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_TTL_SECONDS,
    ApiCall,
    Clock,
    SlackChannel,
    SlackError,
    SlackFile,
    SlackMessage,
    SlackView,
    WorkspaceState,
    decode_cursor,
    encode_cursor,
)

#: Slack refuses messages whose text is longer than this (the emulator refuses, Slack truncates).
MAX_TEXT_LENGTH = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
#: chat.postMessage: about one message per second per channel, with a short burst tolerated.
POST_MESSAGE_BURST = 3
POST_MESSAGE_PER_SECOND = 1.0
#: Per-minute limits of Slack's tiers for the methods the bot calls (Tier 3 = 50, Tier 4 = 100).
TIER_PER_MINUTE: dict[str, int] = {
    "conversations.open": 50,
    "conversations.info": 50,
    "chat.update": 50,
    "chat.delete": 50,
    "users.info": 100,
    "conversations.members": 100,
    "chat.postEphemeral": 100,
    "chat.getPermalink": 100,
    "views.open": 100,
    "views.push": 100,
    "views.update": 100,
    "views.publish": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
}
#: Form fields Slack accepts as JSON text inside form-encoded bodies.
JSON_FIELDS = ("blocks", "view", "attachments", "files", "metadata", "users")
FORBIDDEN_ERROR = "link_names_forbidden_in_kaizen"
_EPSILON = 1e-6  # epoch floats near 1.7e9 only resolve ~0.2 µs

#: Containers whose text-ish keys must hold text *objects*; slack_sdk silently accepts a plain
#: string there (turning it into mrkdwn) but Slack answers ``invalid_blocks``.
_TEXT_OBJECT_KEYS = ("text", "label", "hint", "placeholder", "title")
_TEXT_OBJECT_CONTAINERS = frozenset(
    {
        "section",
        "header",
        "input",
        "image",
        "video",
        "button",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "overflow",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "radio_buttons",
        "checkboxes",
    }
)


# ---------------------------------------------------------------------- validation


def validate_blocks(blocks: Any, *, limit: int, pointer: str = "/blocks") -> list[str]:
    """Slack's ``invalid_blocks`` reasons for a blocks array (empty when valid).

    Each block is parsed with ``Block.parse`` and validated with ``validate_json()`` and
    ``to_dict()`` (which validates nested elements, e.g. button text length); unknown block
    types, duplicate ``block_id`` and plain strings where Slack wants text objects are caught too.
    """
    if not isinstance(blocks, list):
        return [f"must be a JSON array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"[json-pointer:{pointer}/{index}]"
        if not isinstance(block, dict):
            errors.append(f"block must be an object {where}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_ids:
                errors.append(f"duplicate block_id {block_id!r} {where}")
            seen_ids.add(block_id)
        errors.extend(f"{problem} {where}" for problem in _string_text_objects(block))
        try:
            parsed = Block.parse(block)
            if parsed is None:
                errors.append(f"unsupported block type {block.get('type')!r} {where}")
                continue
            parsed.validate_json()
            parsed.to_dict()  # validates nested elements and text objects
        except Exception as exc:  # slack_sdk raises several types for malformed input
            errors.append(f"{exc} {where}")
    return errors


def _string_text_objects(node: Any, path: str = "") -> list[str]:
    """Places where a plain string stands where Slack requires a text object."""
    problems: list[str] = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            problems.extend(_string_text_objects(item, f"{path}/{i}"))
        return problems
    if not isinstance(node, dict):
        return problems
    if node.get("type") in _TEXT_OBJECT_CONTAINERS:
        for key in _TEXT_OBJECT_KEYS:
            if isinstance(node.get(key), str):
                problems.append(f"{path}/{key} must be a text object, not a string")
    for key in ("options", "option_groups", "initial_options", "initial_option", "confirm"):
        if key == "confirm" and "action_id" not in node:
            continue  # inside a confirmation dialog, "confirm" is the button's text object
        value = node.get(key)
        for option in value if isinstance(value, list) else [value]:
            if isinstance(option, dict):
                for text_key in ("text", "label", "title", "confirm", "deny", "description"):
                    if isinstance(option.get(text_key), str):
                        problems.append(f"{path}/{key}/{text_key} must be a text object")
    for key, value in node.items():
        if isinstance(value, dict | list) and key not in ("options", "option_groups"):
            problems.extend(_string_text_objects(value, f"{path}/{key}"))
    return problems


def validate_view(view: Any, *, allowed_types: frozenset[str]) -> list[str]:
    """Reasons Slack would refuse this ``view`` (empty when valid)."""
    if not isinstance(view, dict):
        return ["view must be a JSON object [json-pointer:/view]"]
    errors: list[str] = []
    view_type = view.get("type")
    if view_type not in allowed_types:
        wanted = " or ".join(sorted(allowed_types))
        errors.append(f"view type must be {wanted} [json-pointer:/view]")
    if view_type == "modal" and not isinstance(view.get("title"), dict):
        errors.append("a modal needs a title text object [json-pointer:/view/title]")
    for key in ("title", "submit", "close"):
        if key in view and view[key] is not None and not isinstance(view[key], dict):
            errors.append(f"must be a text object [json-pointer:/view/{key}]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        errors.append("views must contain between 1 and 100 blocks [json-pointer:/view/blocks]")
    try:
        # Blocks are checked below, one by one; a stand-in keeps View's count check quiet.
        stand_in = {**view, "blocks": [DividerBlock()]}
        View(**stand_in).validate_json()
    except Exception as exc:  # slack_sdk raises several types for malformed input
        errors.append(f"{exc} [json-pointer:/view]")
    if isinstance(blocks, list):
        errors.extend(validate_blocks(blocks, limit=MAX_VIEW_BLOCKS, pointer="/view/blocks"))
    return errors


def _truthy(value: Any) -> bool:
    """Slack's reading of boolean params: ``true``/``1`` (form) or JSON ``true``/``1``."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


# ---------------------------------------------------------------------- rate limits


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets for Slack's published limits, driven by the workspace's injectable clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def check(self, method: str, key: str = "") -> float | None:
        """Take a token; ``None`` when allowed, else the seconds until one is available."""
        if method == "chat.postMessage":
            capacity, per_second = float(POST_MESSAGE_BURST), POST_MESSAGE_PER_SECOND
        elif method in TIER_PER_MINUTE:
            capacity = float(TIER_PER_MINUTE[method])
            per_second = capacity / 60.0
            key = ""  # tiers are per method and workspace
        else:
            return None
        now = self.clock()
        bucket = self._buckets.setdefault(
            (method, key), _Bucket(capacity, per_second, capacity, now)
        )
        bucket.tokens = min(
            bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.per_second
        )
        bucket.updated = now
        if bucket.tokens >= 1.0 - _EPSILON:  # tolerate float drift from fractional refills
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
            return None
        return (1.0 - bucket.tokens) / bucket.per_second


# ---------------------------------------------------------------------- request plumbing


@dataclass
class _Call:
    """One Web API call being answered."""

    state: WorkspaceState
    method: str
    params: dict[str, Any]
    url_for: Callable[..., str]

    def str_param(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else str(value)


Handler = Callable[[_Call], dict[str, Any]]


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], list[bytes]]:
    """Form fields and file contents of a ``multipart/form-data`` body (stdlib only)."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    files: list[bytes] = []
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            files.append(data)
        elif isinstance(name, str):
            fields[name] = data.decode("utf-8", errors="replace")
    return fields, files


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _read_params(request: Request) -> tuple[dict[str, Any], str | None]:
    """Query, form or JSON params merged as Slack does, and the bearer token.

    JSON bodies must carry the token in the ``Authorization`` header (Slack ignores a ``token``
    field in JSON); form and query params may carry it as ``token``.
    """
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    media_type = _media_type(request)
    if body:
        if media_type == "application/json":
            try:
                loaded = json.loads(body)
            except ValueError as exc:
                raise SlackError("invalid_json") from exc
            if not isinstance(loaded, dict):
                raise SlackError("invalid_json")
            loaded.pop("token", None)
            params.update(loaded)
        elif media_type == "multipart/form-data":
            params.update(_parse_multipart(body, request.headers["content-type"])[0])
        else:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.lstrip()[:1] in {"[", "{"}:
            # Left as a string when it is not JSON: validation then reports it like Slack would.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    token = params.pop("token", None)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip() or token
    return params, token if isinstance(token, str) and token else None


def _error_body(exc: SlackError) -> dict[str, Any]:
    return {"ok": False, "error": exc.error, **exc.extra}


# ---------------------------------------------------------------------- message helpers


def _check_forbidden(state: WorkspaceState, method: str, params: dict[str, Any]) -> None:
    """Kaizen never sends user text with ``link_names`` or ``parse=full`` (they enable pings)."""
    if _truthy(params.get("link_names", False)) or str(params.get("parse", "")).lower() == "full":
        state.record_invalid(method, FORBIDDEN_ERROR)
        raise SlackError(FORBIDDEN_ERROR)


def _message_content(
    call: _Call, *, require: bool
) -> tuple[str | None, list[dict[str, Any]] | None]:
    """Validated ``text`` and ``blocks`` of a message call (``None`` when absent)."""
    params = call.params
    text = params.get("text")
    text = None if text is None else str(text)
    blocks = params.get("blocks")
    if blocks == "":
        blocks = None
    if require and not text and not blocks and not params.get("attachments"):
        raise SlackError("no_text")
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        call.state.record_invalid(call.method, "msg_too_long")
        raise SlackError("msg_too_long")
    if blocks is not None:
        if not isinstance(blocks, list):
            call.state.record_invalid(call.method, "invalid_blocks_format")
            raise SlackError("invalid_blocks_format")
        errors = validate_blocks(blocks, limit=MAX_MESSAGE_BLOCKS)
        if errors:
            _refuse_blocks(call.state, call.method, errors)
    return text, blocks


def _refuse_blocks(state: WorkspaceState, method: str, errors: list[str]) -> None:
    state.record_invalid(method, "invalid_blocks: " + "; ".join(errors))
    raise SlackError(
        "invalid_blocks",
        errors=errors,
        response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
    )


def _require_bot_in(state: WorkspaceState, channel: SlackChannel) -> None:
    """The bot has ``chat:write`` only, so it can post only where it is a member."""
    if not channel.is_im and state.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")


def _channel_param(call: _Call, name: str = "channel") -> SlackChannel:
    ref = call.str_param(name)
    if ref is None:
        raise SlackError("channel_not_found")
    return call.state.resolve_channel(ref)


def _bot_message(call: _Call, *, ts_param: str = "ts") -> SlackMessage:
    channel = _channel_param(call)
    ts = call.str_param(ts_param)
    message = call.state.find_message(channel.id, ts) if ts else None
    if message is None or message.ephemeral_to is not None:
        raise SlackError("message_not_found")
    return message


# ---------------------------------------------------------------------- methods


def _auth_test(call: _Call) -> dict[str, Any]:
    state = call.state
    return {
        "url": f"https://{state.team_domain}.slack.com/",
        "team": state.team_name,
        "user": state.bot_name,
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": False,
    }


def _chat_post_message(call: _Call) -> dict[str, Any]:
    state = call.state
    text, blocks = _message_content(call, require=True)
    channel = _channel_param(call)
    _require_bot_in(state, channel)
    message = state.post_message(
        channel.id, text or "", blocks=blocks, thread_ts=call.str_param("thread_ts")
    )
    return {"channel": channel.id, "ts": message.ts, "message": state.message_payload(message)}


def _chat_post_ephemeral(call: _Call) -> dict[str, Any]:
    state = call.state
    text, blocks = _message_content(call, require=True)
    channel = _channel_param(call)
    user_id = call.str_param("user")
    if user_id is None:
        raise SlackError("user_not_found")
    state.user(user_id)
    if user_id not in channel.members:
        raise SlackError("user_not_in_channel")
    _require_bot_in(state, channel)
    message = state.post_message(
        channel.id,
        text or "",
        blocks=blocks,
        thread_ts=call.str_param("thread_ts"),
        ephemeral_to=user_id,
    )
    return {"message_ts": message.ts}


def _chat_update(call: _Call) -> dict[str, Any]:
    state = call.state
    text, blocks = _message_content(call, require=True)
    message = _bot_message(call)
    if message.bot_id != state.bot_id:
        raise SlackError("cant_update_message")
    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = blocks or None  # an empty array removes the blocks, as in Slack
    message.updated = True
    message.edited_ts = state.next_ts()
    state.emit("message.updated", {"channel": message.channel, "ts": message.ts})
    return {
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": state.message_payload(message),
    }


def _chat_delete(call: _Call) -> dict[str, Any]:
    state = call.state
    message = _bot_message(call)
    if message.bot_id != state.bot_id:
        raise SlackError("cant_delete_message")
    message.deleted = True
    state.emit("message.deleted", {"channel": message.channel, "ts": message.ts})
    return {"channel": message.channel, "ts": message.ts}


def _chat_get_permalink(call: _Call) -> dict[str, Any]:
    message = _bot_message(call, ts_param="message_ts")
    link = call.state.permalink(message.channel, message.ts, message.thread_ts)
    return {"channel": message.channel, "permalink": link}


def _conversations_open(call: _Call) -> dict[str, Any]:
    state = call.state
    if call.str_param("channel"):
        channel = state.channel(str(call.params["channel"]))
        return {"channel": {"id": channel.id}, "no_op": True, "already_open": True}
    users = call.params.get("users")
    user_ids = (
        [u for u in users.split(",") if u]
        if isinstance(users, str)
        else [str(u) for u in users or []]
    )
    if not user_ids:
        raise SlackError("users_list_not_supplied")
    if len(user_ids) > 1:
        # Group DMs (mpim) are not part of what Kaizen uses; say so rather than fake one.
        raise SlackError("not_supported_by_emulator")
    user_id = user_ids[0].strip()
    state.user(user_id)
    if user_id == state.bot_user_id:
        raise SlackError("cannot_dm_bot")
    existing = state.find_im(user_id)
    channel = existing or state.im_for(user_id)
    result: dict[str, Any] = {
        "channel": state.channel_payload(channel)
        if _truthy(call.params.get("return_im", False))
        else {"id": channel.id}
    }
    if existing is not None:
        result.update(no_op=True, already_open=True)
    return result


def _conversations_info(call: _Call) -> dict[str, Any]:
    ref = call.str_param("channel")
    if ref is None:
        raise SlackError("channel_not_found")
    return {"channel": call.state.channel_payload(call.state.channel(ref))}


def _conversations_members(call: _Call) -> dict[str, Any]:
    ref = call.str_param("channel")
    if ref is None:
        raise SlackError("channel_not_found")
    channel = call.state.channel(ref)
    try:
        limit = int(call.params.get("limit") or 100)
    except (TypeError, ValueError) as exc:
        raise SlackError("invalid_limit") from exc
    if limit < 1 or limit > 1000:
        raise SlackError("invalid_limit")
    members = list(channel.members)
    start = 0
    cursor = call.str_param("cursor")
    if cursor:
        member_id = decode_cursor(cursor)
        if member_id not in members:
            raise SlackError("invalid_cursor")
        start = members.index(member_id)
    page = members[start : start + limit]
    rest = members[start + limit :]
    return {
        "members": page,
        "response_metadata": {"next_cursor": encode_cursor(rest[0]) if rest else ""},
    }


def _users_info(call: _Call) -> dict[str, Any]:
    user_id = call.str_param("user")
    if user_id is None:
        raise SlackError("user_not_found")
    return {"user": call.state.user_payload(call.state.user(user_id))}


def _view_param(call: _Call, allowed: frozenset[str]) -> dict[str, Any]:
    view = call.params.get("view")
    if view is None:
        raise SlackError("invalid_arguments")
    errors = validate_view(view, allowed_types=allowed)
    if errors:
        _refuse_blocks(call.state, call.method, errors)
    if not isinstance(view, dict):  # validate_view already refused it; this narrows the type
        raise SlackError("invalid_arguments")
    # Fields Slack assigns itself are not part of what the app defines.
    return {k: v for k, v in view.items() if k not in {"id", "hash", "state", "external_id"}}


_MODAL = frozenset({"modal"})
_HOME = frozenset({"home"})


def _new_view(
    call: _Call, body: dict[str, Any], user: str, raw: dict[str, Any], **links: Any
) -> SlackView:
    state = call.state
    external_id = raw.get("external_id") or None
    if external_id and any(
        v.external_id == external_id and not v.closed for v in state.views.values()
    ):
        raise SlackError("duplicate_external_id")
    view = SlackView(
        id=state.new_id("V"),
        type=str(body["type"]),
        user=user,
        view=body,
        hash=state.new_hash(),
        external_id=external_id,
        **links,
    )
    state.views[view.id] = view
    return view


def _views_open(call: _Call) -> dict[str, Any]:
    state = call.state
    body = _view_param(call, _MODAL)
    trigger = state.consume_trigger(call.str_param("trigger_id"))
    for old in list(state.modal_stacks.get(trigger.user, [])):
        state.views[old].closed = True
    view = _new_view(call, body, trigger.user, call.params["view"], trigger_id=trigger.id)
    view.root_view_id = view.id
    state.modal_stacks[trigger.user] = [view.id]
    state.emit("view.opened", {"view_id": view.id, "user": view.user})
    return {"view": state.view_payload(view)}


def _views_push(call: _Call) -> dict[str, Any]:
    state = call.state
    body = _view_param(call, _MODAL)
    trigger = state.consume_trigger(call.str_param("trigger_id"))
    stack = state.modal_stacks.get(trigger.user) or []
    if not stack:
        # Slack pushes onto the open modal the trigger came from; without one there is none.
        raise SlackError("not_found")
    if len(stack) >= MODAL_STACK_LIMIT:
        raise SlackError("push_limit_reached")
    view = _new_view(
        call,
        body,
        trigger.user,
        call.params["view"],
        trigger_id=trigger.id,
        root_view_id=stack[0],
        previous_view_id=stack[-1],
    )
    stack.append(view.id)
    state.emit("view.pushed", {"view_id": view.id, "user": view.user})
    return {"view": state.view_payload(view)}


def _views_update(call: _Call) -> dict[str, Any]:
    state = call.state
    view_id, external_id = call.str_param("view_id"), call.str_param("external_id")
    if view_id is None and external_id is None:
        raise SlackError("invalid_arguments")
    body = _view_param(call, frozenset({"modal", "home"}))
    view = state.find_view(view_id, external_id)
    if view.closed:
        raise SlackError("not_found")
    expected = call.str_param("hash")
    if expected is not None and expected != view.hash:
        raise SlackError("hash_conflict")
    view.view = body
    view.type = str(body["type"])
    view.hash = state.new_hash()
    state.emit("view.updated", {"view_id": view.id, "user": view.user})
    return {"view": state.view_payload(view)}


def _views_publish(call: _Call) -> dict[str, Any]:
    state = call.state
    user_id = call.str_param("user_id")
    if user_id is None:
        raise SlackError("invalid_arguments")
    body = _view_param(call, _HOME)
    state.user(user_id)
    existing = state.home_view(user_id)
    expected = call.str_param("hash")
    if existing is not None and expected is not None and expected != existing.hash:
        raise SlackError("hash_conflict")
    if existing is None:
        view = _new_view(call, body, user_id, call.params["view"])
        view.root_view_id = view.id
        state.home_views[user_id] = view.id
    else:
        view = existing
        view.view = body
        view.hash = state.new_hash()
    state.emit("view.published", {"view_id": view.id, "user": user_id})
    return {"view": state.view_payload(view)}


def _files_get_upload_url(call: _Call) -> dict[str, Any]:
    state = call.state
    filename = call.str_param("filename")
    length = call.params.get("length")
    if filename is None or length in (None, ""):
        raise SlackError("invalid_arguments")
    try:
        declared = int(str(length))
    except ValueError as exc:
        raise SlackError("invalid_arguments") from exc
    file = SlackFile(
        id=state.new_id("F"),
        name=filename,
        title=filename,
        content=b"",
        channels=[],
        length=declared,
        created=int(state.clock()),
    )
    file.url_private = call.url_for("sandbox_file", file_id=file.id, name=filename)
    state.files[file.id] = file
    return {"upload_url": call.url_for("sandbox_upload", file_id=file.id), "file_id": file.id}


def _files_complete_upload(call: _Call) -> dict[str, Any]:
    state = call.state
    entries = call.params.get("files")
    if not isinstance(entries, list) or not entries:
        raise SlackError("invalid_arguments")
    files = []
    for entry in entries:
        file = state.files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if file is None or not file.uploaded:
            raise SlackError("file_not_found")
        files.append((file, entry))
    channel_ids: list[str] = []
    if call.str_param("channel_id"):
        channel_ids.append(_channel_param(call, "channel_id").id)
    channels = call.params.get("channels")
    if isinstance(channels, str) and channels:
        channel_ids.extend(state.resolve_channel(c.strip()).id for c in channels.split(","))
    for channel_id in channel_ids:
        _require_bot_in(state, state.channel(channel_id))
    comment = call.str_param("initial_comment")
    if comment is not None and len(comment) > MAX_TEXT_LENGTH:
        state.record_invalid(call.method, "msg_too_long")
        raise SlackError("msg_too_long")
    for file, entry in files:
        file.title = str(entry.get("title") or file.title)
        file.completed = True
        file.channels.extend(c for c in channel_ids if c not in file.channels)
    for channel_id in channel_ids:
        state.post_message(
            channel_id,
            comment or "",
            thread_ts=call.str_param("thread_ts"),
            files=[f.id for f, _ in files],
        )
    for file, _ in files:
        state.emit("file.shared", {"file_id": file.id, "channels": list(file.channels)})
    return {"files": [state.file_payload(f) for f, _ in files]}


def _oauth_v2_access(call: _Call) -> dict[str, Any]:
    """The OAuth code exchange: any code gives this workspace's bot token (``xoxb-installed``).

    Real Slack authenticates this call with the client id and secret rather than a token; the
    emulator accepts what the SDK sends and returns the shape Bolt stores as an installation.
    """
    state = call.state
    if not call.str_param("code"):
        raise SlackError("invalid_code")
    return {
        "access_token": "xoxb-installed",
        "token_type": "bot",
        "scope": "chat:write,commands,im:write,im:history,users:read",
        "bot_user_id": state.bot_user_id,
        "app_id": state.app_id,
        "team": {"id": state.team_id, "name": state.team_name},
        "enterprise": None,
        "authed_user": {"id": next(iter(state.users), "U0INSTALLER")},
        "is_enterprise_install": False,
    }


def _apps_connections_open(call: _Call) -> dict[str, Any]:
    """Socket Mode: hand out the WebSocket this emulator serves (the app token is checked
    by the caller, since only ``xapp-`` tokens may open connections)."""
    url = call.url_for("sandbox_socket")
    return {"url": "ws" + url[len("http") :] if url.startswith("http") else url}


METHODS: dict[str, Handler] = {
    "apps.connections.open": _apps_connections_open,
    "oauth.v2.access": _oauth_v2_access,
    "auth.test": _auth_test,
    "chat.postMessage": _chat_post_message,
    "chat.postEphemeral": _chat_post_ephemeral,
    "chat.update": _chat_update,
    "chat.delete": _chat_delete,
    "chat.getPermalink": _chat_get_permalink,
    "conversations.open": _conversations_open,
    "conversations.info": _conversations_info,
    "conversations.members": _conversations_members,
    "users.info": _users_info,
    "views.open": _views_open,
    "views.push": _views_push,
    "views.update": _views_update,
    "views.publish": _views_publish,
    "files.getUploadURLExternal": _files_get_upload_url,
    "files.completeUploadExternal": _files_complete_upload,
}


def _rate_limit_key(state: WorkspaceState, method: str, params: dict[str, Any]) -> str:
    """chat.postMessage is limited per channel; a user id counts as that user's DM."""
    if method != "chat.postMessage":
        return ""
    ref = str(params.get("channel") or "")
    try:
        return state.resolve_channel(ref, create_im=False).id
    except SlackError:
        return ref


def _ratelimited(retry_after: float) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error": "ratelimited"},
        status_code=429,
        headers={"Retry-After": str(max(0, math.ceil(retry_after)))},
    )


# ---------------------------------------------------------------------- response_url


def _response_url_post(state: WorkspaceState, token: str, payload: dict[str, Any]) -> None:
    """Apply a ``response_url`` post the way Slack does (replace, delete or post anew)."""
    target = state.response_urls.get(token)
    if target is None:
        raise SlackError("no_active_hooks")
    if state.clock() - target.created_at > RESPONSE_URL_TTL_SECONDS:
        raise SlackError("expired_url")
    if target.uses >= RESPONSE_URL_MAX_USES:
        raise SlackError("used_url")
    method = "response_url"
    _check_forbidden(state, method, payload)
    original = state.find_message(target.channel, target.message_ts) if target.message_ts else None
    if _truthy(payload.get("delete_original", False)):
        target.uses += 1
        if original is not None:
            original.deleted = True
            state.emit("message.deleted", {"channel": original.channel, "ts": original.ts})
        return
    call = _Call(state=state, method=method, params=payload, url_for=lambda *a, **k: "")
    text, blocks = _message_content(call, require=True)
    target.uses += 1
    if _truthy(payload.get("replace_original", False)) and original is not None:
        original.text = text if text is not None else ""
        original.blocks = blocks or None
        original.updated = True
        original.edited_ts = state.next_ts()
        state.emit("message.updated", {"channel": original.channel, "ts": original.ts})
        return
    in_channel = payload.get("response_type") == "in_channel"
    state.post_message(
        target.channel,
        text or "",
        blocks=blocks,
        thread_ts=payload.get("thread_ts") or None,
        ephemeral_to=None if in_channel else target.user,
    )


# ---------------------------------------------------------------------- the app


def create_slack_api(
    state: WorkspaceState, *, tokens: set[str] | None = None, enforce_limits: bool = False
) -> FastAPI:
    """The emulator as an ASGI app bound to ``state``.

    ``tokens``: when given, only these bearer tokens are accepted (others get ``invalid_auth``).
    ``enforce_limits``: apply Slack's published rate limits on ``state.clock``; injected limits
    (``state.inject_rate_limit``) always apply.
    """
    app = FastAPI(title="Slack Web API emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = state
    limiter = RateLimiter(state.clock) if enforce_limits else None

    def record(method: str, params: dict[str, Any], status: int, body: dict[str, Any]) -> None:
        with state.lock:
            state.calls.append(
                ApiCall(
                    method=method,
                    params=params,
                    at=state.clock(),
                    ok=bool(body.get("ok")),
                    error=body.get("error"),
                    status=status,
                )
            )
        state.emit("api.call", {"method": method, "ok": bool(body.get("ok"))})

    @app.api_route("/api/{method}", methods=["GET", "POST"])
    async def web_api(method: str, request: Request) -> Response:
        try:
            params, token = await _read_params(request)
        except SlackError as exc:
            body = _error_body(exc)
            record(method, {}, 200, body)
            return JSONResponse(body)
        recorded = dict(params)

        def url_for(route: str, **path: str) -> str:
            return str(request.url_for(route, **path))

        with state.lock:
            if method not in METHODS:
                body = {"ok": False, "error": "unknown_method"}
            elif token is None and method != "oauth.v2.access":
                body = {"ok": False, "error": "not_authed"}
            elif tokens is not None and token not in tokens:
                body = {"ok": False, "error": "invalid_auth"}
            elif token is not None and (method == "apps.connections.open") != token.startswith(
                "xapp-"
            ):
                body = {"ok": False, "error": "not_allowed_token_type"}
            else:
                retry_after = state.take_injected_rate_limit(method)
                if retry_after is None and limiter is not None:
                    retry_after = limiter.check(method, _rate_limit_key(state, method, params))
                    if retry_after is not None:
                        retry_after = max(1.0, retry_after)
                if retry_after is not None:
                    record(method, recorded, 429, {"ok": False, "error": "ratelimited"})
                    return _ratelimited(retry_after)
                try:
                    _check_forbidden(state, method, params)
                    body = {"ok": True, **METHODS[method](_Call(state, method, params, url_for))}
                except SlackError as exc:
                    body = _error_body(exc)
            record(method, recorded, 200, body)
        return JSONResponse(body)

    @app.websocket("/socket", name="sandbox_socket")
    async def socket(ws: WebSocket) -> None:
        """A minimal Socket Mode peer: says hello, pushes queued envelopes, records replies."""
        await ws.accept()
        with state.lock:
            state.socket_connections += 1
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})

        async def push() -> None:
            while True:
                with state.lock:
                    outgoing, state.socket_outbox = list(state.socket_outbox), []
                for envelope in outgoing:
                    await ws.send_json(envelope)
                await asyncio.sleep(0.02)  # the outbox is filled from other threads

        pusher = asyncio.create_task(push())
        try:
            while True:
                message = await ws.receive_text()
                with state.lock:
                    state.socket_inbox.append(json.loads(message))
        except WebSocketDisconnect:
            pass
        finally:
            pusher.cancel()
            with state.lock:
                state.socket_connections -= 1

    @app.post("/upload/{file_id}", name="sandbox_upload")
    async def upload(file_id: str, request: Request) -> Response:
        raw = await request.body()
        if _media_type(request) == "multipart/form-data":
            _, parts = _parse_multipart(raw, request.headers["content-type"])
            raw = parts[0] if parts else b""
        with state.lock:
            file = state.files.get(file_id)
            if file is None:
                return PlainTextResponse("file_not_found", status_code=404)
            file.content = raw
            file.uploaded = True
        state.emit("file.uploaded", {"file_id": file_id, "size": len(raw)})
        return PlainTextResponse(f"OK - {len(raw)}")

    @app.get("/files/{file_id}/{name}", name="sandbox_file")
    async def download(file_id: str, name: str) -> Response:
        file = state.files.get(file_id)
        if file is None or file.name != name:
            return PlainTextResponse("file_not_found", status_code=404)
        return Response(file.content, media_type=file.mimetype)

    @app.post("/response/{token}")
    async def response_url(token: str, request: Request) -> Response:
        raw = await request.body()
        try:
            if _media_type(request) == "application/json":
                payload = json.loads(raw or b"{}")
            else:
                payload = json.loads(dict(parse_qsl(raw.decode())).get("payload", "{}"))
            if not isinstance(payload, dict):
                raise ValueError("payload must be an object")
        except ValueError:
            payload, status, body = {}, 400, {"ok": False, "error": "invalid_payload"}
        else:
            with state.lock:
                try:
                    _response_url_post(state, token, payload)
                    status, body = 200, {"ok": True}
                except SlackError as exc:
                    missing = exc.error in {"no_active_hooks", "expired_url", "used_url"}
                    status, body = (404 if missing else 400), _error_body(exc)
        record("response_url", {"token": token, **payload}, status, body)
        return JSONResponse(body, status_code=status)

    return app
