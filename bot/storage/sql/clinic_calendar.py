"""Clinic calendars in SQLite: each community's feed token, and the sessions calendars show.

``ClinicCalendarSql`` is a mixin of ``SqliteStore``; the table is ``clinic_feeds`` (0011).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.features.clinics.models import SessionRow
from bot.storage.sql.clinic_rows import ClinicRows, marks, session_from
from bot.storage.sql.db import ts


class ClinicCalendarSql(ClinicRows):
    """The calendar queries of SqliteStore."""

    async def calendar_sessions(self, series_ids: Sequence[int]) -> list[SessionRow]:
        """Every cancelled or moved session of these series, past ones included."""
        if not series_ids:
            return []
        async with self._read() as db:
            rows = await self._rows(
                db,
                f"SELECT * FROM clinic_sessions WHERE series_id IN ({marks(series_ids)})"
                " AND status != 'scheduled' ORDER BY series_id, day",
                tuple(series_ids),
            )
        return [session_from(r) for r in rows]

    async def clinic_feed_token(self, community_id: int) -> str | None:
        """The community's feed token, if it has one."""
        async with self._read() as db:
            row = await self._row(
                db, "SELECT token FROM clinic_feeds WHERE community_id = ?", (community_id,)
            )
        return None if row is None else str(row["token"])

    async def ensure_clinic_feed_token(self, community_id: int, token: str, now: datetime) -> str:
        """The community's feed token, ``token`` becoming it if it had none."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO clinic_feeds (community_id, token, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (community_id, token, ts(now)),
            )
            row = await self._row(
                db, "SELECT token FROM clinic_feeds WHERE community_id = ?", (community_id,)
            )
        assert row is not None
        return str(row["token"])

    async def replace_clinic_feed_token(self, community_id: int, token: str, now: datetime) -> None:
        """Give the community a new feed token; the old one stops naming it."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO clinic_feeds (community_id, token, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (community_id) DO UPDATE"
                " SET token = excluded.token, created_at = excluded.created_at",
                (community_id, token, ts(now)),
            )

    async def clinic_feed_community(self, token: str) -> int | None:
        """The community whose feed token this is, if any."""
        async with self._read() as db:
            row = await self._row(
                db, "SELECT community_id FROM clinic_feeds WHERE token = ?", (token,)
            )
        return None if row is None else int(row["community_id"])
