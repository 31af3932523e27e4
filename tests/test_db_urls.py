import pytest

from bot.db import async_url, sync_url


@pytest.mark.parametrize(
    ("given", "async_driver", "sync_driver"),
    [
        ("sqlite:///kaizen.db", "sqlite+aiosqlite", "sqlite+pysqlite"),
        ("postgresql://u:p@db/kaizen", "postgresql+psycopg", "postgresql+psycopg"),
        ("postgres://u:p@db/kaizen", "postgresql+psycopg", "postgresql+psycopg"),
        ("postgresql+asyncpg://u@db/k", "postgresql+asyncpg", "postgresql+psycopg"),
        ("sqlite+aiosqlite:///k.db", "sqlite+aiosqlite", "sqlite+pysqlite"),
    ],
)
def test_plain_urls_get_the_right_drivers(given: str, async_driver: str, sync_driver: str) -> None:
    assert async_url(given).drivername == async_driver
    assert sync_url(given).drivername == sync_driver


def test_credentials_survive_driver_selection() -> None:
    url = async_url("postgresql://kaizen:s3cret@db.internal:6543/prod")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "kaizen",
        "s3cret",
        "db.internal",
        6543,
        "prod",
    )
