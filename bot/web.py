"""The one ASGI app every platform shares: health and metrics here, platforms mount onto it.

Platform adapters live in ``handlers/`` and add their routes through ``mounts``, so this module,
like all of ``bot/``, never imports Slack or Teams code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.config import Settings
from bot.db import Database

Mount = Callable[[FastAPI], None]


def create_app(settings: Settings, db: Database, mounts: Sequence[Mount] = ()) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
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

    for mount in mounts:
        mount(app)
    return app
