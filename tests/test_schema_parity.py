"""The two schemas stay one: SQLite's migrations and PostgreSQL's build the same tables.

A later migration on one side that forgets the other fails here: every table, every
column and every named index, read from sqlite_master/PRAGMA and information_schema.
"""

from __future__ import annotations

import asyncpg
import pytest

from bot.storage.postgres.schema import latest
from bot.storage.sqlite_schema import expected_schema, migrations

pytestmark = pytest.mark.asyncio


def sqlite_side() -> tuple[dict[str, set[str]], set[str]]:
    """SQLite's tables with their columns, and its named indexes, at the newest version."""
    schema = expected_schema(migrations()[-1][0])
    return {t: set(c) for t, c in schema.tables.items()}, set(schema.indexes)


async def postgres_side(url: str) -> tuple[dict[str, set[str]], set[str]]:
    """The same of a migrated PostgreSQL database (without its schema_version table)."""
    conn = await asyncpg.connect(url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name != 'schema_version'"
        )
        # Indexes a CREATE INDEX made, not those behind a primary key or UNIQUE constraint.
        indexes = await conn.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
        )
        version = await conn.fetchval("SELECT MAX(version) FROM schema_version")
    finally:
        await conn.close()
    assert version == latest()
    tables: dict[str, set[str]] = {}
    for row in columns:
        tables.setdefault(str(row[0]), set()).add(str(row[1]))
    return tables, {str(r[0]) for r in indexes}


async def test_both_stores_have_the_same_tables_columns_and_indexes(postgres_db: str) -> None:
    lite_tables, lite_indexes = sqlite_side()
    pg_tables, pg_indexes = await postgres_side(postgres_db)
    assert sorted(pg_tables) == sorted(lite_tables)
    for table, columns in lite_tables.items():
        assert pg_tables[table] == columns, table
    assert pg_indexes == lite_indexes
