"""The one ASGI app every platform shares: health here, platforms mount onto it.

Platform adapters live in ``handlers/`` and add their routes and background connections through
``mounts`` and ``lifespans``, so this module, like all of ``bot/``, never imports Slack or Teams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.config import Settings
from bot.db import Database

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

    for mount in mounts:
        mount(app)
    return app
