"""The local sandbox: a small Slack workspace in the browser, driving the bot's real Slack path.

``kaizen run`` starts this when no chat platform is configured, so a newcomer sees the product
work without a Slack workspace or any token. Nothing here talks to the core directly:

- the bot runs exactly as in production with HTTP-mode Slack settings: its ``SLACK_API_URL``
  points at the Web API emulator mounted under ``/sandbox/slack`` (so every ``chat.postMessage``,
  ``views.open`` or file upload really goes over HTTP through ``slack_sdk``);
- what a person does in the page (a slash command, a click, a modal submission, a DM) becomes a
  request built by ``SlackRequestFactory`` in Slack's own shape, signed with the signing secret
  the bot was given, and POSTed to the bot's ``/slack/events``; the bot's HTTP answer is applied
  the way Slack applies it (``response_action`` of a modal, the text of an acknowledgement);
- the clock is real time plus an offset that *Run next scheduled event* moves forward to the
  scheduler's next due instant, then runs what is due.

So every feature that works here works in Slack, and the page doubles as the end-to-end harness.
The page itself is static HTML, CSS and JavaScript (``static/``) reading ``/sandbox/api/state``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from bot.config import Settings
from bot.demo import DemoPlace, has_data, load_story, seed_demo
from bot.digests.build import build_digest
from bot.digests.chart import render_chart
from bot.digests.text import render_text
from bot.messenger import Attachment, Message
from bot.models import Platform
from bot.weekdays import DAY_NAMES
from handlers.sandbox.requests import SignedRequest, SlackRequestFactory
from handlers.sandbox.slack_api import create_slack_api
from handlers.sandbox.state import (
    SlackMessage,
    SlackUser,
    SlackView,
    WorkspaceState,
    tz_offset_at,
)

if TYPE_CHECKING:  # the server imports this module to build the sandbox
    from handlers.server import Server

log = logging.getLogger(__name__)

PREFIX = "/sandbox"
SLACK_PREFIX = f"{PREFIX}/slack"
#: The bot token the sandbox hands the bot; the emulator accepts no other.
SANDBOX_BOT_TOKEN = "xoxb-kaizen-sandbox"
STATIC_DIR = Path(__file__).with_name("static")
#: Two of the story's people live elsewhere, so nudges arrive at each person's own 09:30.
SANDBOX_TIMEZONES = {"tomas": "America/New_York", "mei": "Asia/Singapore"}
RANDOM_CHANNEL = ("C0DEMORAND", "random")
PLATFORM_CHANNEL = ("C0DEMOPLAT", "platform")
DEFAULT_USER = "U0DEMO001"
#: Seconds to wait for the server to answer on its port before giving up on the start-up work.
START_TIMEOUT = 30.0


class SandboxClock:
    """Real time plus an offset: the bot, the scheduler and the workspace all read this, and
    *Run next scheduled event* moves it forward (never back, so message ``ts`` keep rising)."""

    def __init__(self, real: Callable[[], float] = time.time) -> None:
        self.real = real
        self.offset = 0.0

    def epoch(self) -> float:
        return self.real() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), UTC)

    def advance_to(self, when: datetime) -> None:
        self.offset = max(self.offset, when.timestamp() - self.real())


def sandbox_workspace(clock: Callable[[], float]) -> WorkspaceState:
    """The demo story's team as a Slack workspace: #ml-team (where Kaizen runs), #platform (not
    set up yet, to try ``/kaizen setup``) and #random, plus each person's DM with the bot."""
    story = load_story()
    state = WorkspaceState(clock=clock, team_name="Kaizen Sandbox", team_domain="kaizen-sandbox")
    now = clock()
    people: list[str] = []
    for key, person in story["people"].items():
        tz = SANDBOX_TIMEZONES.get(key, story["timezone"])
        state.add_user(
            SlackUser(
                id=person["user"],
                name=key,
                real_name=person["name"],
                tz=tz,
                tz_offset=tz_offset_at(tz, now),
                is_admin=person["user"] == DEFAULT_USER,
                display_name=person["name"],
            )
        )
        people.append(person["user"])
    state.add_channel(story["channel"]["id"], story["channel"]["name"], people)
    state.add_channel(PLATFORM_CHANNEL[0], PLATFORM_CHANNEL[1], [people[0], *people[3:]])
    state.add_channel(RANDOM_CHANNEL[0], RANDOM_CHANNEL[1], people, bot_member=False)
    for user_id in people:
        state.im_for(user_id)
    return state


def first_digest_day(now: datetime, tz: str, at_hour: int = 16) -> str:
    """A digest day that comes soon: today if its digest time is still ahead, else tomorrow.

    The story's team has its digest on Fridays; in the sandbox a newcomer should reach one with
    a few presses of *Run next scheduled event*, whatever weekday they start on.
    """
    local = now.astimezone(ZoneInfo(tz))
    day = local.date() if local.hour < at_hour else local.date() + timedelta(days=1)
    return DAY_NAMES[day.weekday()]


# ---------------------------------------------------------------------- UI requests


class CommandIn(BaseModel):
    user: str
    channel: str
    text: str = Field(description="What follows the command, e.g. 'log waited 2 days'")
    command: str = "/kaizen"


class ActionIn(BaseModel):
    user: str
    action: dict[str, Any]
    channel: str | None = None
    ts: str | None = None
    view_id: str | None = None


class SubmitIn(BaseModel):
    user: str
    view_id: str
    values: dict[str, dict[str, Any]]


class CloseIn(BaseModel):
    user: str
    view_id: str


class MessageIn(BaseModel):
    user: str
    channel: str
    text: str
    thread_ts: str | None = None


class ShortcutIn(BaseModel):
    user: str
    channel: str
    ts: str
    callback_id: str = "log_waste"


class UserIn(BaseModel):
    user: str


@dataclass
class Delivery:
    """What the bot answered to one signed request (shown to the page on failure)."""

    status: int
    body: str

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body[:2000]}


class Sandbox:
    """One emulated workspace and the bot it talks to, served on the bot's own ASGI app.

    ``base_url`` is where the whole app listens (``http://127.0.0.1:PORT``); the bot reaches the
    emulator there over loopback HTTP, like it reaches Slack. ``seed``: fill an empty database
    with the demo story on start (tests that bring their own data turn it off).
    """

    def __init__(
        self,
        base_url: str,
        *,
        signing_secret: str | None = None,
        real_time: Callable[[], float] = time.time,
        seed: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = SandboxClock(real_time)
        # Random per start: only requests this sandbox signs reach the bot.
        self.signing_secret = signing_secret or secrets.token_hex(24)
        self.state = sandbox_workspace(self.clock.epoch)
        self.factory = SlackRequestFactory(
            self.signing_secret, self.state, f"{self.base_url}{SLACK_PREFIX}", clock=real_time
        )
        self.seed = seed
        self.story = load_story()
        self.version = 1
        self.view_errors: dict[str, dict[str, str]] = {}
        self.last_run: dict[str, Any] | None = None
        self.ready = False
        self.state.on_change.append(lambda _kind, _data: self.touch())
        self._server: Server | None = None
        self._aps: Any = None
        self._http: httpx.AsyncClient | None = None

    # ------------------------------------------------------------------ wiring

    def bot_settings(self, settings: Settings) -> Settings:
        """The operator's settings with Slack pointed at this sandbox.

        The scheduler is started by the sandbox itself once the server listens (see
        ``_start``): at lifespan start-up nothing answers on the port yet, so anything the
        scheduler sent then would fail to reach the emulator.
        """
        return replace(
            settings,
            slack_bot_token=SANDBOX_BOT_TOKEN,
            slack_signing_secret=self.signing_secret,
            slack_app_token=None,
            slack_client_id=None,
            slack_client_secret=None,
            slack_api_url=f"{self.base_url}{SLACK_PREFIX}/api/",
            scheduler_enabled=False,
        )

    @property
    def url(self) -> str:
        return f"{self.base_url}{PREFIX}"

    @property
    def server(self) -> Server:
        if self._server is None:
            raise RuntimeError("the sandbox is not attached to a server yet")
        return self._server

    def attach(self, server: Server) -> None:
        """Mount the emulator, the page and its API on the bot's app, and hook its lifespan."""
        self._server = server
        web = server.web
        # Unnamed on purpose: the emulator's ``url_for("sandbox_upload", ...)`` then resolves
        # through this mount, so upload URLs and ``url_private`` carry the /sandbox/slack prefix.
        web.mount(SLACK_PREFIX, create_slack_api(self.state, tokens={SANDBOX_BOT_TOKEN}))
        web.mount(
            f"{PREFIX}/static",
            StaticFiles(directory=STATIC_DIR, check_dir=False),
            name="sandbox_static",
        )
        web.include_router(self._router())
        inner = web.router.lifespan_context

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
            async with inner(app) as value, self.running():
                yield value

        web.router.lifespan_context = lifespan

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Seed, welcome and schedule in the background once the server answers HTTP."""
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.server.web), base_url="http://sandbox"
        )
        task = asyncio.create_task(self._start())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            if self._aps is not None:
                self._aps.shutdown(wait=False)
            await self._http.aclose()

    async def _start(self) -> None:
        try:
            await self._wait_for_server()
            if self.seed and not await has_data(self.server.kaizen.db):
                await self.seed_demo()
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            self._aps = AsyncIOScheduler(timezone="UTC")
            self._aps.start()
            await self.server.scheduler.start(self._aps)
        except Exception:
            log.exception("the sandbox could not start its workspace")
            raise
        finally:
            self.ready = True
            self.touch()

    async def _wait_for_server(self) -> None:
        """Poll ``/healthz`` over loopback: the bot's Web API calls need the port to answer."""
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.base_url}/healthz")).status_code < 500:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the sandbox did not answer at {self.base_url}")
                await asyncio.sleep(0.05)

    async def seed_demo(self) -> None:
        """Six weeks of the demo team in this workspace, and last week's digest in #ml-team.

        The digest is posted the way the scheduler posts one (the bot's messenger, through the
        Web API), so the channel opens with a full digest, its chart and live buttons.
        """
        kaizen = self.server.kaizen
        now = self.clock.now()
        result = await seed_demo(
            kaizen.db,
            today=now.astimezone(ZoneInfo(self.story["timezone"])).date(),
            place=DemoPlace(
                platform=Platform.SLACK,
                team_id=self.state.team_id,
                team_name=self.state.team_name,
                channel_id=self.story["channel"]["id"],
                timezones=dict(SANDBOX_TIMEZONES),
                digest_day=first_digest_day(now, self.story["timezone"]),
            ),
        )
        digest = await build_digest(
            kaizen.db,
            result.channel_id,
            result.last_week,
            fallback_timezone=kaizen.settings.timezone,
            concern_sla_days=kaizen.concern_sla_days,
            clock=kaizen.clock,
        )
        messenger = await self.server.scheduler.messenger_for("slack", self.state.team_id)
        if messenger is None:  # pragma: no cover - Slack is always on in the sandbox
            return
        chart = Attachment(
            f"kaizen-{digest.iso_week}.png",
            render_chart(digest),
            f"Wastes per week · {digest.iso_week}",
        )
        await messenger.post(
            self.story["channel"]["id"],
            Message(render_text(digest, markdown=False), digest, (chart,)),
        )

    # ------------------------------------------------------------------ talking to the bot

    def touch(self) -> None:
        """Something the page shows changed; its next poll fetches a new snapshot."""
        self.version += 1

    async def deliver(self, request: SignedRequest) -> Delivery:
        """POST a signed request to the bot's ``/slack/events``, as Slack does."""
        assert self._http is not None, "the sandbox is not running"
        response = await self._http.post(
            "/slack/events", content=request.body, headers=request.headers
        )
        return Delivery(response.status_code, response.text)

    def _message(self, channel: str | None, ts: str | None) -> SlackMessage:
        found = self.state.find_message(channel or "", ts or "") if channel and ts else None
        if found is None:
            raise HTTPException(404, "no such message")
        return found

    def _view(self, view_id: str) -> SlackView:
        view = self.state.views.get(view_id)
        if view is None:
            raise HTTPException(404, "no such view")
        return view

    def _user(self, user_id: str) -> SlackUser:
        user = self.state.users.get(user_id)
        if user is None or user.is_bot:
            raise HTTPException(404, "no such person")
        return user

    async def command(self, body: CommandIn) -> Delivery:
        """A slash command; an acknowledgement with text is shown like Slack shows it."""
        self._user(body.user)
        request = self.factory.slash_command(body.user, body.channel, body.text, body.command)
        delivered = await self.deliver(request)
        reply = _json(delivered.body)
        if delivered.status == 200 and (reply.get("text") or reply.get("blocks")):
            in_channel = reply.get("response_type") == "in_channel"
            self.state.post_message(
                body.channel,
                str(reply.get("text") or ""),
                blocks=reply.get("blocks"),
                ephemeral_to=None if in_channel else body.user,
            )
        return delivered

    async def action(self, body: ActionIn) -> Delivery:
        """A click (or select) on a message, in a modal or on the Home tab."""
        self._user(body.user)
        if body.view_id:
            view = self._view(body.view_id)
            request = self.factory.block_action(
                body.user, body.action, container=self.factory.view_container(view), view=view
            )
        else:
            message = self._message(body.channel, body.ts)
            request = self.factory.block_action(
                body.user,
                body.action,
                container=self.factory.message_container(message),
                channel_id=message.channel,
                # Slack sends no ``message`` for an action on an ephemeral message.
                message=None if message.ephemeral_to else message,
            )
        return await self.deliver(request)

    async def submit(self, body: SubmitIn) -> Delivery:
        """A modal submission; the bot's ``response_action`` is applied as Slack applies it."""
        self._user(body.user)
        view = self._view(body.view_id)
        delivered = await self.deliver(self.factory.view_submission(body.user, view, body.values))
        if delivered.status != 200:
            return delivered
        reply = _json(delivered.body)
        action = reply.get("response_action")
        self.view_errors.pop(view.id, None)
        if action == "errors":
            self.view_errors[view.id] = {str(k): str(v) for k, v in reply["errors"].items()}
        elif action == "update" and isinstance(reply.get("view"), dict):
            view.view = reply["view"]
            view.hash = self.state.new_hash()
        elif action == "push" and isinstance(reply.get("view"), dict):
            pushed = SlackView(
                id=self.state.new_id("V"),
                type="modal",
                user=body.user,
                view=reply["view"],
                hash=self.state.new_hash(),
                root_view_id=view.root_view_id or view.id,
                previous_view_id=view.id,
            )
            self.state.views[pushed.id] = pushed
            self.state.modal_stacks.setdefault(body.user, []).append(pushed.id)
        elif action == "clear":
            stack = self.state.modal_stacks.get(body.user) or [view.id]
            self.state.close_view(stack[0])
        else:
            self.state.close_view(view.id)
        self.touch()
        return delivered

    def close(self, body: CloseIn) -> None:
        """Cancel or ✕ on a modal: Slack closes it (the bot asks no ``notify_on_close``)."""
        self._user(body.user)
        self.view_errors.pop(body.view_id, None)
        self.state.close_view(self._view(body.view_id).id)

    async def open_home(self, body: UserIn) -> Delivery:
        self._user(body.user)
        return await self.deliver(self.factory.app_home_opened(body.user))

    async def message(self, body: MessageIn) -> Delivery | None:
        """Someone writes: to the bot in their DM (an event), or in a channel (just shown; the
        bot only subscribes to DMs)."""
        self._user(body.user)
        channel = self.state.channels.get(body.channel)
        if channel is None:
            raise HTTPException(404, "no such conversation")
        if channel.is_im:
            if channel.user != body.user:
                raise HTTPException(403, "that is someone else's DM")
            return await self.deliver(
                self.factory.dm_message(body.user, body.text, thread_ts=body.thread_ts)
            )
        if body.user not in channel.members:
            self.state.join(channel.id, body.user)
        self.state.post_message(channel.id, body.text, user=body.user, thread_ts=body.thread_ts)
        return None

    async def shortcut(self, body: ShortcutIn) -> Delivery:
        self._user(body.user)
        message = self._message(body.channel, body.ts)
        request = self.factory.message_shortcut(
            body.user, message.channel, message, body.callback_id
        )
        return await self.deliver(request)

    async def run_next(self) -> dict[str, Any]:
        """Move the clock to the scheduler's next due instant and run everything due then."""
        scheduler = self.server.scheduler
        due = await scheduler.next_due(self.clock.now())
        if due is None:
            self.last_run = {"at": None, "summary": "Nothing is scheduled."}
            self.touch()
            return self.last_run
        self.clock.advance_to(due)
        report = await scheduler.run_due(due)
        await scheduler.rebuild()
        kinds: dict[str, int] = {}
        for kind, _, _ in report.sent:
            kinds[kind] = kinds.get(kind, 0) + 1
        parts = [f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in kinds.items()]
        parts += [f"{len(report.skipped)} skipped"] if report.skipped else []
        parts += [f"{len(report.failed)} failed"] if report.failed else []
        self.last_run = {
            "at": due.isoformat(),
            "sent": kinds,
            "skipped": len(report.skipped),
            "failed": [list(map(str, f)) for f in report.failed],
            "summary": ", ".join(parts) or "nothing to send",
        }
        self.touch()
        return self.last_run

    # ------------------------------------------------------------------ what the page shows

    async def snapshot(self, me: str) -> dict[str, Any]:
        """Everything the page draws for person ``me``, as JSON-ready data."""
        self._user(me)
        state = self.state
        with state.lock:
            # read before the state it describes: a change made while this snapshot is built
            # (the awaits below let the bot post) then bumps the version past the one returned,
            # so the page's next poll fetches it instead of being told "unchanged"
            version = self.version
            users = [_user_json(u) for u in state.users.values()]
            conversations = []
            for channel in state.channels.values():
                if channel.is_im and channel.user != me:
                    continue
                conversations.append(
                    {
                        "id": channel.id,
                        "name": channel.name,
                        "is_im": channel.is_im,
                        "members": list(channel.members),
                        "is_member": me in channel.members,
                        "messages": self._messages(channel.id, me),
                    }
                )
            modal = state.open_modal(me)
            home = state.home_view(me)
        next_due = await self.server.scheduler.next_due(self.clock.now()) if self.ready else None
        return {
            "version": version,
            "ready": self.ready,
            "team": {"id": state.team_id, "name": state.team_name},
            "bot_user_id": state.bot_user_id,
            "me": me,
            "clock": {"offset": self.clock.offset, "now": self.clock.now().isoformat()},
            "next_due": next_due.isoformat() if next_due else None,
            "last_run": self.last_run,
            "users": users,
            "conversations": conversations,
            "modal": self._modal_json(modal, len(state.modal_stacks.get(me) or [])),
            "home": None if home is None else {"id": home.id, "hash": home.hash, **home.view},
        }

    def _messages(self, channel_id: str, me: str) -> list[dict[str, Any]]:
        visible = [
            m
            for m in self.state.messages.get(channel_id, [])
            if not m.deleted and (m.ephemeral_to is None or m.ephemeral_to == me)
        ]
        replies: dict[str, list[SlackMessage]] = {}
        top: list[SlackMessage] = []
        for m in visible:
            if m.thread_ts is not None and m.thread_ts != m.ts:
                replies.setdefault(m.thread_ts, []).append(m)
            else:
                top.append(m)
        return [
            {
                **self._message_json(m),
                "replies": [self._message_json(r) for r in replies.get(m.ts, [])],
            }
            for m in top
        ]

    def _message_json(self, message: SlackMessage) -> dict[str, Any]:
        files = []
        for file_id in message.files:
            file = self.state.files.get(file_id)
            if file is not None:
                files.append(_file_json(file.id, file.name, file.title, file.mimetype))
        return {
            "ts": message.ts,
            "user": message.user,
            "is_bot": message.bot_id is not None,
            "text": message.text,
            "blocks": message.blocks,
            "thread_ts": message.thread_ts,
            "ephemeral": message.ephemeral_to is not None,
            "edited": message.updated,
            "files": files,
        }

    def _modal_json(self, view: SlackView | None, depth: int) -> dict[str, Any] | None:
        if view is None:
            return None
        return {
            "id": view.id,
            "hash": view.hash,
            "depth": depth,
            "errors": self.view_errors.get(view.id, {}),
            **view.view,
        }

    # ------------------------------------------------------------------ routes

    def _router(self) -> APIRouter:
        router = APIRouter(prefix=PREFIX, include_in_schema=False)
        index = STATIC_DIR / "index.html"

        @router.get("")
        async def page() -> FileResponse:
            return FileResponse(index, headers={"Cache-Control": "no-store"})

        @router.get("/")
        async def page_slash() -> RedirectResponse:
            return RedirectResponse(PREFIX)

        @router.get("/api/state")
        async def state(user: str = DEFAULT_USER, since: int = 0) -> JSONResponse:
            if since and since == self.version:
                return JSONResponse({"version": self.version, "unchanged": True})
            return JSONResponse(await self.snapshot(user))

        def answer(delivered: Delivery | None) -> JSONResponse:
            ok = delivered is None or delivered.status == 200
            body = {"ok": ok, "bot": None if delivered is None else delivered.as_dict()}
            return JSONResponse(body, status_code=200 if ok else 502)

        @router.post("/api/command")
        async def command(body: CommandIn) -> JSONResponse:
            return answer(await self.command(body))

        @router.post("/api/action")
        async def action(body: ActionIn) -> JSONResponse:
            return answer(await self.action(body))

        @router.post("/api/submit")
        async def submit(body: SubmitIn) -> JSONResponse:
            return answer(await self.submit(body))

        @router.post("/api/close")
        async def close(body: CloseIn) -> JSONResponse:
            self.close(body)
            return answer(None)

        @router.post("/api/home")
        async def home(body: UserIn) -> JSONResponse:
            return answer(await self.open_home(body))

        @router.post("/api/message")
        async def message(body: MessageIn) -> JSONResponse:
            return answer(await self.message(body))

        @router.post("/api/shortcut")
        async def shortcut(body: ShortcutIn) -> JSONResponse:
            return answer(await self.shortcut(body))

        @router.post("/api/next")
        async def run_next() -> JSONResponse:
            return JSONResponse(await self.run_next())

        return router


def _json(text: str) -> dict[str, Any]:
    """The bot's acknowledgement body as JSON (empty for a bare 200)."""
    try:
        loaded = json.loads(text) if text else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _user_json(user: SlackUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "real_name": user.real_name,
        "display_name": user.display_name or user.real_name,
        "tz": user.tz,
        "is_bot": user.is_bot,
        "is_admin": user.is_admin,
    }


def _file_json(file_id: str, name: str, title: str, mimetype: str) -> dict[str, Any]:
    """A file as the page loads it: a path on this server, whatever host the bot used."""
    return {
        "id": file_id,
        "name": name,
        "title": title,
        "mimetype": mimetype,
        "url": f"{SLACK_PREFIX}/files/{file_id}/{name}",
    }
