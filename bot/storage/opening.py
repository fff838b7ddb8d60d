"""Opening the store the settings name: PostgreSQL at CROSSFADE_DATABASE_URL, else SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import StartupError

if TYPE_CHECKING:
    from bot.storage.postgres import PostgresStore
    from bot.storage.sqlite import SqliteStore


async def open_store(settings: Settings) -> SqliteStore | PostgresStore:
    """The configured store, migrated; refused if its stored tokens can't be decrypted.

    Any number of processes may serve one PostgreSQL database; an SQLite file is served by
    one process, which holds its lock (bot/storage/serve_lock.py, taken by ``crossfade run``).
    """
    store = await _open(settings)
    from bot.installations import check_at_start

    try:
        await check_at_start(store, settings)
    except BaseException:
        await store.close()
        raise
    return store


async def _open(settings: Settings) -> SqliteStore | PostgresStore:
    if settings.database_url is None:
        from bot.storage.sqlite import SqliteStore

        return await SqliteStore.open(settings.db_path)
    try:
        from bot.storage.postgres import PostgresStore
    except ImportError:
        raise StartupError(
            "CROSSFADE_DATABASE_URL needs PostgreSQL support: pip install 'crossfade[postgres]'."
        ) from None
    return await PostgresStore.open(settings.database_url)
