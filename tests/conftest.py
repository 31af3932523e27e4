"""Shared fixtures: every storage test runs on SQLite and, when it answers, on PostgreSQL.

PostgreSQL is looked for at 127.0.0.1:5432 (user ``postgres`` or the current user, trust auth,
database ``test``). Each test session creates its own database there and drops it at the end;
each test starts from empty tables. On CI (``CI=true``) or with ``KAIZEN_REQUIRE_POSTGRES=1`` a
missing server fails the run instead of skipping, so the PostgreSQL variants cannot silently
vanish.
"""

from __future__ import annotations

import getpass
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot import migrate
from bot.db import Database, make_sync_engine

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"


def _require_postgres() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "KAIZEN_REQUIRE_POSTGRES"
    ) in {"1", "true"}


def find_postgres() -> str | None:
    """A libpq URL of the local test server, or ``None`` when none answers."""
    for user in dict.fromkeys(["postgres", getpass.getuser()]):
        url = f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
        try:
            with psycopg.connect(url, connect_timeout=2):
                return url
        except psycopg.Error:
            continue
    return None


@pytest.fixture(scope="session")
def postgres_admin_url() -> str | None:
    url = find_postgres()
    if url is None and _require_postgres():
        pytest.fail("PostgreSQL is required here but does not answer at 127.0.0.1:5432")
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_admin_url: str | None) -> Iterator[str | None]:
    """A private, migrated database for this test session, dropped afterwards."""
    if postgres_admin_url is None:
        yield None
        return
    name = f"kaizen_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy, which is much faster than migrating each time."""
    path = tmp_path_factory.mktemp("template") / "kaizen.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_database: str | None,
) -> Iterator[str]:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "kaizen.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if postgres_database is None:
        pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432")
    yield postgres_database
    _truncate_all(postgres_database)


def _truncate_all(url: str) -> None:
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        joined = ", ".join(f'"{t}"' for t in tables)
        if joined:
            conn.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


class Team:
    """A workspace with one channel and two members, the smallest world most tests need."""

    def __init__(self, workspace_id: int, channel_id: int, alice_id: int, bob_id: int) -> None:
        self.workspace_id = workspace_id
        self.channel_id = channel_id
        self.alice_id = alice_id
        self.bob_id = bob_id


@pytest.fixture
async def team(db: Database) -> Team:
    from bot.services import directory

    ws = await directory.ensure_workspace(db, "slack", "T001", "Acme")
    assert ws.id is not None
    channel = await directory.ensure_channel(db, ws.id, "C001", "ml-team")
    alice = await directory.ensure_member(db, ws.id, "U_ALICE", "Alice", "Europe/Berlin")
    bob = await directory.ensure_member(db, ws.id, "U_BOB", "Bob")
    assert channel.id and alice.id and bob.id
    return Team(ws.id, channel.id, alice.id, bob.id)
