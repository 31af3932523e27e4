"""The one ASGI app every platform shares: health here, platforms mount onto it.

Platform adapters live in ``handlers/`` and add their routes and background connections through
``mounts`` and ``lifespans``, so this module, like all of ``bot/``, never imports Slack or Teams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import func
from sqlmodel import select

from bot.config import Settings
from bot.db import Database
from bot.models import Concern, DigestSent, Occurrence, Reply

Mount = Callable[[FastAPI], None]
Lifespan = Callable[[], AbstractAsyncContextManager[None]]


def create_app(
    settings: Settings,
    db: Database,
    mounts: Sequence[Mount] = (),
    lifespans: Sequence[Lifespan] = (),
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for start in lifespans:
                await stack.enter_async_context(start())
            yield
        await db.dispose()

    app = FastAPI(title="Kaizen bot", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 when the database answers, 503 otherwise, so orchestrators restart or wait."""
        ok = await db.ping()
        return JSONResponse(
            {"status": "ok" if ok else "degraded", "database": "up" if ok else "down"},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        """Prometheus text format: enough to alert on a silent bot (no nudges, growing backlog)."""
        return PlainTextResponse(await _metrics(db), media_type="text/plain; version=0.0.4")

    for mount in mounts:
        mount(app)
    return app


async def _metrics(db: Database) -> str:
    lines = []
    try:
        async with db.session() as s:
            replies = (await s.exec(select(func.count()).select_from(Reply))).one()
            open_concerns = (
                await s.exec(
                    select(func.count()).select_from(Concern).where(Concern.status != "resolved")
                )
            ).one()
            by_status = list(
                await s.exec(
                    select(Occurrence.kind, Occurrence.status, func.count()).group_by(
                        Occurrence.kind, Occurrence.status
                    )
                )
            )
            digests = (await s.exec(select(func.count()).select_from(DigestSent))).one()
    except Exception:
        return (
            "# HELP kaizen_up Whether the database answered.\n# TYPE kaizen_up gauge\nkaizen_up 0\n"
        )
    lines += [
        "# HELP kaizen_up Whether the database answered.",
        "# TYPE kaizen_up gauge",
        "kaizen_up 1",
        "# HELP kaizen_replies_total Replies stored.",
        "# TYPE kaizen_replies_total counter",
        f"kaizen_replies_total {replies}",
        "# HELP kaizen_open_concerns MLOps concerns not yet resolved.",
        "# TYPE kaizen_open_concerns gauge",
        f"kaizen_open_concerns {open_concerns}",
        "# HELP kaizen_scheduled_total Scheduled occurrences by kind and outcome.",
        "# TYPE kaizen_scheduled_total counter",
    ]
    lines += [
        f'kaizen_scheduled_total{{kind="{kind}",status="{status}"}} {n}'
        for kind, status, n in by_status
    ]
    lines += [
        "# HELP kaizen_digests_total Weekly digests claimed.",
        "# TYPE kaizen_digests_total counter",
        f"kaizen_digests_total {digests}",
    ]
    return "\n".join(lines) + "\n"
