"""The PostgreSQL store: a pool (``connection.py``) with the same SQL modules as SQLite's.

Selected by ``CROSSFADE_DATABASE_URL=postgresql://…``; needs the ``postgres`` extra
(asyncpg). Its schema is its own versioned migrations (``migrations/``), kept equal to
SQLite's by tests/test_schema_parity.py.
"""

from __future__ import annotations

from bot.storage.postgres.connection import PostgresConnection
from bot.storage.sql.queries import SqlQueries


class PostgresStore(PostgresConnection, SqlQueries):
    """Crossfade's storage on a PostgreSQL database, shareable by several processes."""
