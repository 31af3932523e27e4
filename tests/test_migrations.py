from pathlib import Path

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from typer.testing import CliRunner

from bot import migrate
from bot.cli import app
from bot.db import make_sync_engine
from bot.models import UTCDateTime


def _schema_drift(url: str) -> list[object]:
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": _compare_type, "include_name": migrate.is_ours}
        )
        diffs = compare_metadata(ctx, SQLModel.metadata)
    engine.dispose()
    return diffs


def _compare_type(*args: object) -> bool | None:
    metadata_type = args[4]
    return False if isinstance(metadata_type, UTCDateTime) else None


def test_migrations_match_the_models(database_url: str) -> None:
    """The migrated schema is exactly what the models declare, on both databases."""
    assert migrate.current_revision(database_url) is not None
    assert _schema_drift(database_url) == []


def test_kaizen_db_upgrade_builds_an_empty_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "kaizen.db"
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": f"sqlite:///{path}"})
    assert result.exit_code == 0, result.output
    assert "revision" in result.output
    assert path.exists() and _schema_drift(f"sqlite:///{path}") == []
    again = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": f"sqlite:///{path}"})
    assert again.exit_code == 0


def test_kaizen_db_upgrade_builds_an_empty_postgresql_database(
    postgres_admin_url: str | None,
) -> None:
    import pytest

    if postgres_admin_url is None:
        pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432")
    name = "kaizen_test_upgrade_cli"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        result = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        assert _schema_drift(url) == []
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
