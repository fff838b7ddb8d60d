"""Apps installed in workspaces (their records encrypted by the caller) and OAuth states."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.storage.sql.db import SqlBase, fetch_all, ts

_ROW = "platform = ? AND enterprise_id = ? AND team_id = ?"


class InstallationSql(SqlBase):
    """``installations`` rows (encrypted text, never read here) and ``oauth_states``."""

    async def put_installation_row(
        self, where: tuple[str, str, str], kind: str, user_id: str, secret: str, now: datetime
    ) -> None:
        """Keep this record of (platform, enterprise, team), replacing the one before it."""
        async with self._rows_tx() as db:
            await db.execute(
                "INSERT INTO installations (platform, enterprise_id, team_id, kind, user_id,"
                " secret, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (platform, enterprise_id, team_id, kind, user_id)"
                " DO UPDATE SET secret = excluded.secret, saved_at = excluded.saved_at",
                (*where, kind, user_id, secret, ts(now)),
            )

    async def installation_row(
        self, where: tuple[str, str, str], kind: str, user_id: str
    ) -> str | None:
        """The stored (encrypted) record, or None."""
        rows = await self._all(
            f"SELECT secret FROM installations WHERE {_ROW} AND kind = ? AND user_id = ?",
            (*where, kind, user_id),
        )
        return str(rows[0]["secret"]) if rows else None

    async def delete_installation_rows(
        self, where: tuple[str, str, str], kind: str, user_id: str | None
    ) -> None:
        """Delete this kind's records: one user's, or every user's with None."""
        sql = f"DELETE FROM installations WHERE {_ROW} AND kind = ?"
        params: tuple[str, ...] = (*where, kind)
        if user_id is not None:
            sql, params = sql + " AND user_id = ?", (*params, user_id)
        async with self._rows_tx() as db:
            await db.execute(sql, params)

    async def installation_secrets(self) -> list[str]:
        """Every stored (encrypted) record, to check at start that the key opens them."""
        rows = await self._all("SELECT secret FROM installations ORDER BY saved_at")
        return [str(row["secret"]) for row in rows]

    async def rotate_installation_rows(self, rotate: Callable[[str], str]) -> int:
        """Every stored record rewritten as ``rotate`` gives it, in one transaction: how many.

        Under the write lock, so no save lands in between and no record is left behind.
        """
        async with self._tx() as db:
            rows = await fetch_all(
                db,
                "SELECT platform, enterprise_id, team_id, kind, user_id, secret"
                " FROM installations ORDER BY saved_at",
            )
            for row in rows:
                await db.execute(
                    f"UPDATE installations SET secret = ? WHERE {_ROW}"
                    " AND kind = ? AND user_id = ?",
                    (rotate(str(row["secret"])), *(row[i] for i in range(5))),
                )
        return len(rows)

    async def put_oauth_state(self, state: str, expires_at: datetime) -> None:
        """Remember an OAuth flow's state until it expires."""
        async with self._rows_tx() as db:
            await db.execute(
                "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)",
                (state, ts(expires_at)),
            )

    async def take_oauth_state(self, state: str, now: datetime) -> bool:
        """True once for a state issued here and not expired; it is gone afterwards."""
        async with self._rows_tx() as db:
            rows = await fetch_all(
                db, "DELETE FROM oauth_states WHERE state = ? RETURNING expires_at", (state,)
            )
            await db.execute("DELETE FROM oauth_states WHERE expires_at <= ?", (ts(now),))
        return bool(rows) and str(rows[0]["expires_at"]) > ts(now)
