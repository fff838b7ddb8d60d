"""The SQLite store: the one connection (``connection.py``) with every SQL module's mixin.

The SQL modules (``bot/storage/sql/``, one per part: identity, outbox, one per feature) are
shared with PostgreSQL (``bot/storage/postgres/``); opening and checking the file is
``bot/storage/sqlite_open.py``. A new feature adds its module there and its mixin to
``SqlQueries`` (``bot/storage/sql/queries.py``), which both stores are.
"""

from __future__ import annotations

from bot.storage.sql.queries import SqlQueries
from bot.storage.sqlite.connection import ConnectionBase
from bot.storage.sqlite_schema import check_existing_file as check_existing_file
from bot.storage.sqlite_schema import migrations as migrations


class SqliteStore(ConnectionBase, SqlQueries):
    """Crossfade's storage on one SQLite file (WAL, foreign keys on)."""
