"""Engines and sessions: users write plain database URLs, the bot picks its own drivers.

SQLite gets ``aiosqlite`` for the async engine and the stdlib driver for sync work (Alembic,
slack_sdk's installation store); PostgreSQL gets psycopg 3, which serves both. An explicit
``+driver`` in the URL is honoured.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import create_engine
from sqlmodel.ext.asyncio.session import AsyncSession

_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "psycopg"}
_SYNC_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}


def _normalise(url: str | URL) -> URL:
    parsed = make_url(url) if isinstance(url, str) else url
    name = parsed.drivername
    if name == "postgres" or name.startswith("postgres+"):  # Heroku-style alias
        parsed = parsed.set(drivername="postgresql" + name[len("postgres") :])
    return parsed


def async_url(url: str | URL) -> URL:
    """The URL with an async driver, unless the user named one."""
    parsed = _normalise(url)
    if "+" in parsed.drivername:
        return parsed
    return parsed.set(drivername=f"{parsed.drivername}+{_ASYNC_DRIVERS[parsed.drivername]}")


def sync_url(url: str | URL) -> URL:
    """The URL with a sync driver: an async driver named by the user is swapped for its twin."""
    parsed = _normalise(url)
    backend = parsed.get_backend_name()
    driver = parsed.get_driver_name() if "+" in parsed.drivername else ""
    if driver in {"", "aiosqlite", "asyncpg"}:
        return parsed.set(drivername=f"{backend}+{_SYNC_DRIVERS[backend]}")
    return parsed


def is_sqlite(url: str | URL) -> bool:
    return _normalise(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys make cascades work; WAL and a busy timeout let the scheduler and a request
    write at once without 'database is locked'."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        kwargs.setdefault("poolclass", NullPool)
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(target, **kwargs)
    if target.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_sync_engine(url: str | URL, **kwargs: Any) -> Engine:
    target = sync_url(url)
    engine = create_engine(target, **kwargs)
    if target.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """The bot's one handle on storage: an async engine and the sessions made from it.

    Services take a ``Database`` and open a short session per unit of work, so a handler never
    holds a transaction open across a network call to Slack or Teams.
    """

    def __init__(self, url: str | URL, **engine_kwargs: Any) -> None:
        self.url = _normalise(url)
        self.engine = make_async_engine(self.url, **engine_kwargs)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that rolls back on error; callers commit what they mean to keep."""
        async with self._sessions() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        """True when the database answers; used by ``/healthz``."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
