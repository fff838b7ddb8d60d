"""Reading gig leads in SQLite: by id, number or title, and who is interested.

``GigReadSql`` is a mixin of ``SqliteStore``; posting is ``gig_posts``, matching ``gig_matches``.
"""

from __future__ import annotations

from bot.features.gigs.models import Gig
from bot.storage.sql.db import SqlBase
from bot.storage.sql.gig_rows import GIG_COLUMNS, gig_from


class GigReadSql(SqlBase):
    """The gig reads both halves of the feature share."""

    async def get_gig(self, gig_id: int) -> Gig | None:
        """A lead by id."""
        row = await self._one(f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.id = ?", (gig_id,))
        return None if row is None else gig_from(row)

    async def gig_by_number(self, community_id: int, number: int) -> Gig | None:
        """A lead by the number shown on it."""
        row = await self._one(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.community_id = ? AND g.number = ?",
            (community_id, number),
        )
        return None if row is None else gig_from(row)

    async def gigs_titled(self, community_id: int, title: str) -> list[Gig]:
        """Leads whose title is this (case-insensitive), newest first."""
        rows = await self._all(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.community_id = ?"
            " AND g.title = ? COLLATE NOCASE ORDER BY g.number DESC",
            (community_id, title.strip()),
        )
        return [gig_from(r) for r in rows]

    async def gig_interested(self, gig_id: int) -> list[int]:
        """The members who said they are interested, first first."""
        rows = await self._all(
            "SELECT member_id FROM gig_interest WHERE gig_id = ? ORDER BY created_at, member_id",
            (gig_id,),
        )
        return [int(r[0]) for r in rows]
