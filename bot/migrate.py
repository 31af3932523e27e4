"""Applying migrations from code: ``kaizen db upgrade``, ``kaizen run`` and the tests share this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL

from bot.db import make_sync_engine, sync_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | URL) -> Config:
    """An Alembic config that needs no ``alembic.ini``, so an installed package can migrate."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = sync_url(database_url).render_as_string(hide_password=False)
    return cfg


FOREIGN_TABLE_PREFIXES = ("slack_",)
"""Tables other libraries keep in our database (slack_sdk's OAuth installation store)."""


def is_ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: leave other libraries' tables out of comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_TABLE_PREFIXES))


def upgrade(database_url: str | URL, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to run on every start (no-op when current)."""
    _ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), revision)


def current_revision(database_url: str | URL) -> str | None:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _ensure_sqlite_folder(database_url: str | URL) -> None:
    """SQLite creates the file but not its folder; make ``sqlite:///data/kaizen.db`` just work."""
    url = sync_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
