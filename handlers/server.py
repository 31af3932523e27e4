"""The composition root: the shared ASGI app with every configured platform mounted on it.

``kaizen run`` builds this; tests build it too, with a fake Slack behind ``SLACK_API_URL``.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.analysis.llm import provider_from_settings
from bot.config import Settings
from bot.db import Database
from bot.messenger import Messenger
from bot.prompts import load_question_sets
from bot.runtime import Kaizen
from bot.schedule.scheduler import Scheduler
from bot.services.analysis import Analyser
from bot.timeutil import Clock, utcnow
from bot.web import Lifespan, Mount, create_app

if TYPE_CHECKING:
    from handlers.sandbox.app import Sandbox


@dataclass
class Server:
    web: FastAPI
    kaizen: Kaizen
    scheduler: Scheduler


def build_server(settings: Settings, *, clock: Clock = utcnow) -> Server:
    db = Database(settings.database_url)
    llm = provider_from_settings(settings.llm_url, settings.llm_model, settings.llm_api_key)
    kaizen = Kaizen(
        settings=settings,
        db=db,
        analyser=Analyser(db, llm=llm, fallback_timezone=settings.timezone),
        question_sets=load_question_sets(settings.prompts_dir),
        clock=clock,
        concern_sla_days=settings.concern_sla_days,
    )
    mounts: list[Mount] = []
    lifespans: list[Lifespan] = []
    messengers: dict[str, Callable[[str], Awaitable[Messenger | None]]] = {}
    daily: list[tuple[str, Callable[[], Awaitable[object]]]] = []  # jobs run once a day
    if settings.slack_enabled:
        from handlers.slack import app as slack

        bolt = slack.build_app(kaizen)

        @asynccontextmanager
        async def slack_lifespan() -> AsyncIterator[None]:
            await slack.prepare(kaizen, bolt)
            if settings.slack_socket_mode:
                async with slack.socket_mode(kaizen, bolt):
                    yield
            else:
                yield

        lifespans.append(slack_lifespan)
        if not settings.slack_socket_mode:  # Socket Mode receives over its own connection
            mounts.append(lambda web: slack.mount(web, kaizen, bolt))
        slack_reach = functools.partial(slack.messenger_for_team, kaizen, bolt)
        messengers["slack"] = slack_reach
        daily.append(
            ("slack-profiles", functools.partial(slack.refresh_profiles, kaizen, slack_reach))
        )
    if settings.teams_enabled:
        from handlers.teams.app import TeamsHost

        teams = TeamsHost(kaizen)  # POST /api/messages appears when its lifespan starts
        mounts.append(teams.mount)
        lifespans.append(teams.lifespan)

        async def teams_messenger(_tenant: str) -> Messenger | None:
            return teams.messenger()

        messengers["teams"] = teams_messenger

    async def messenger_for(platform: str, workspace: str) -> Messenger | None:
        reach = messengers.get(platform)
        return None if reach is None else await reach(workspace)

    scheduler = Scheduler(
        db,
        kaizen.question_sets,
        messenger_for,
        fallback_tz=settings.timezone,
        clock=clock,
        grace=timedelta(minutes=settings.misfire_grace_minutes),
        concern_sla_days=settings.concern_sla_days,
    )
    kaizen.on_channel_changed.append(scheduler.rebuild)
    kaizen.on_checkin_answer.append(scheduler.late_answer)

    @asynccontextmanager
    async def scheduling() -> AsyncIterator[None]:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        aps = AsyncIOScheduler(timezone="UTC")
        aps.start()
        try:
            await scheduler.start(aps)
            for job_id, refresh in daily:
                aps.add_job(refresh, "interval", hours=24, id=job_id, replace_existing=True)
            yield
        finally:
            aps.shutdown(wait=False)

    if messengers and settings.scheduler_enabled:
        lifespans.append(scheduling)
    return Server(create_app(settings, db, mounts, lifespans), kaizen, scheduler)


def build_sandbox_server(settings: Settings, *, host: str = "127.0.0.1") -> tuple[Server, Sandbox]:
    """The bot with Slack pointed at the local sandbox, which is served on the same app.

    ``settings`` are the operator's (database, port, time zone, prompts); the sandbox adds the
    Slack ones: a sandbox bot token, a random signing secret, and ``SLACK_API_URL`` at its own
    emulator on ``host:PORT``. Bot, scheduler and workspace share the sandbox's clock, which
    *Run next scheduled event* moves forward.
    """
    from handlers.sandbox.app import Sandbox

    sandbox = Sandbox(f"http://{host}:{settings.port}")
    server = build_server(sandbox.bot_settings(settings), clock=sandbox.clock.now)
    sandbox.attach(server)
    return server, sandbox
