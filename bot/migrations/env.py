"""Alembic environment: runs migrations with a sync engine built from the bot's own URL rules."""

from alembic import context
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from bot.db import make_sync_engine
from bot.migrate import is_ours
from bot.models import UTCDateTime  # also registers the tables on SQLModel.metadata

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
if not url:
    from bot.config import load_settings

    url = load_settings().database_url


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_sync_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write our UTC wrapper as the plain DateTime it stores, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite can only ALTER by copying tables
        compare_type=True,
        render_item=_render_item,
        include_name=is_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
