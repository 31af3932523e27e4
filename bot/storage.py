"""Storage helpers shared by services: race-safe inserts that make things happen once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


async def insert_if_absent(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any], conflict: list[str]
) -> int | None:
    """Insert a row unless one with the same ``conflict`` columns exists; return its new id.

    ``None`` means another writer got there first. The database decides (``ON CONFLICT DO
    NOTHING``), so two processes racing on the same key can never both win, which a
    select-then-insert in Python cannot promise.
    """
    table: Table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(**_column_values(model, values))
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(table.c.id)
    )
    connection = await session.connection()  # Core insert: no ORM objects to track
    result = await connection.execute(stmt)
    return result.scalar_one_or_none()


def _column_values(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """Fill Python-side defaults (timestamps, JSON lists) a Core insert would otherwise skip."""
    return model.model_validate(values).model_dump(exclude={"id"}, exclude_none=False) | values
