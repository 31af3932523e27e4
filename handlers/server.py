"""The composition root: the shared ASGI app with every configured platform mounted on it.

``kaizen run`` builds this; tests build it too, with a fake Slack behind ``SLACK_API_URL``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from bot.analysis.llm import provider_from_settings
from bot.config import Settings
from bot.db import Database
from bot.prompts import load_question_sets
from bot.services.analysis import Analyser
from bot.timeutil import Clock, utcnow
from bot.web import Lifespan, Mount, create_app
from handlers.slack.context import Kaizen


@dataclass
class Server:
    web: FastAPI
    kaizen: Kaizen


def build_server(settings: Settings, *, clock: Clock = utcnow) -> Server:
    db = Database(settings.database_url)
    llm = provider_from_settings(settings.llm_url, settings.llm_model, settings.llm_api_key)
    kaizen = Kaizen(
        settings=settings,
        db=db,
        analyser=Analyser(db, llm=llm, fallback_timezone=settings.timezone),
        question_sets=load_question_sets(settings.prompts_dir),
        clock=clock,
    )
    mounts: list[Mount] = []
    lifespans: list[Lifespan] = []
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
    return Server(create_app(settings, db, mounts, lifespans), kaizen)
