"""What an operator watches, read from the database: the outbox's backlog and the timed jobs.

The leader notes each completed pass of the timed jobs in ``settings`` (one row,
``JOBS_COMPLETED``), so the health check of any process sees whether the deployment's jobs
run, whichever process runs them.
"""

from __future__ import annotations

from datetime import datetime

from bot.storage.sql.db import SqlBase, dt, ts

JOBS_COMPLETED = "jobs.completed_at"


class OperationsSql(SqlBase):
    """The outbox's backlog and the deployment's last completed jobs."""

    async def outbox_backlog(self) -> tuple[int, datetime | None]:
        """How many rows wait to go out, and when the oldest of them was queued.

        Rows held for a paused community don't count: they wait on purpose (outbox_held).
        """
        row = await self._one(
            "SELECT COUNT(*), MIN(o.created_at) FROM outbox o"
            " JOIN communities c ON c.id = o.community_id"
            " WHERE o.status IN ('pending', 'sending') AND c.paused_at IS NULL"
        )
        return int(row[0]), None if row[1] is None else dt(row[1])

    async def outbox_held(self) -> tuple[int, int]:
        """How many communities are paused, and how many outbox rows they hold."""
        row = await self._one(
            "SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(*) FROM outbox o"
            " WHERE o.community_id = c.id AND o.status IN ('pending', 'sending'))), 0)"
            " FROM communities c WHERE c.paused_at IS NOT NULL"
        )
        return int(row[0]), int(row[1])

    async def jobs_completed(self, moment: datetime) -> None:
        """The timed jobs completed a pass at ``moment`` (the leader notes it)."""
        # One row, no decision: row locks suffice, not the database-wide write lock.
        async with self._rows_tx() as db:
            await db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (JOBS_COMPLETED, ts(moment)),
            )

    async def jobs_last_completed(self) -> datetime | None:
        """When any process last completed the timed jobs; None if none ever did."""
        row = await self._one("SELECT value FROM settings WHERE key = ?", (JOBS_COMPLETED,))
        return None if row is None else dt(str(row[0]))
