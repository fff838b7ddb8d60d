"""Communities as a whole: paused and resumed (bot/communities.py), listed, and forgotten.

Forgetting is read off the schema rather than listed by hand: a table holds a community's
rows when one of its foreign keys leads, directly or through other tables, to
``communities`` (``owned_tables``). So a new feature's tables are forgotten with the rest,
and ``WORKSPACE_TABLES``/``NOT_COMMUNITY_DATA`` name the few that no foreign key links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.models import Community
from bot.storage.sql.db import Db, SqlBase, fetch_all, ts
from bot.storage.sql.identity import community_from

# Tables a community's rows are in without a foreign key to it: keyed by the community's
# platform and platform id (columns named here).
WORKSPACE_TABLES = {"installations": ("platform", "team_id")}
# Tables that hold nothing of any one community (the deployment's own state; message shapes
# in outbox_templates are shared by every community's rows, the words stay in the outbox).
NOT_COMMUNITY_DATA = frozenset(
    {"settings", "send_pace", "seen_once", "oauth_states", "schema_version", "outbox_templates"}
)
# What a dropped held row says (bot/communities.py decides which are dropped).
NOT_SENT = "not sent: its community was paused (the app uninstalled) when it was due"
# How a native event's row begins (bot/native_events.py): such rows are kept on resume.
EVENT_PREFIX = '{"native_event"'


@dataclass(frozen=True)
class ForeignKey:
    """One foreign key: ``table(columns)`` references ``parent(parent_columns)``."""

    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    """The database's tables and foreign keys, as the store reads them."""

    tables: tuple[str, ...]
    keys: tuple[ForeignKey, ...]


def owned_tables(schema: Schema) -> list[str]:
    """Tables holding a community's rows through foreign keys, each before its parents.

    Children come first, so deleting in this order never leaves a row pointing at one gone.
    """
    owned = {"communities"}
    while True:
        more = {k.table for k in schema.keys if k.parent in owned} - owned
        if not more:
            break
        owned |= more
    needs = {t: {k.parent for k in schema.keys if k.table == t and k.parent != t} for t in owned}
    ordered: list[str] = []
    while len(ordered) < len(owned):
        ready = sorted(t for t in owned if t not in ordered and needs[t] <= set(ordered))
        if not ready:
            raise RuntimeError("the schema's foreign keys go round in a circle")
        ordered += ready
    return ordered[::-1]


def rows_of(table: str, community_id: int, schema: Schema, owned: set[str]) -> str:
    """A condition picking ``table``'s rows that belong to the community (via its keys)."""
    if table == "communities":
        return f"id = {int(community_id)}"
    links = []
    for key in schema.keys:
        if key.table != table or key.parent == table or key.parent not in owned:
            continue
        inner = rows_of(key.parent, community_id, schema, owned)
        cols = ", ".join(f'"{c}"' for c in key.columns)
        parents = ", ".join(f'"{c}"' for c in key.parent_columns)
        left = cols if len(key.columns) == 1 else f"({cols})"
        links.append(f'{left} IN (SELECT {parents} FROM "{key.parent}" WHERE {inner})')
    return " OR ".join(f"({link})" for link in links)


def forget_plan(schema: Schema, community: Community) -> list[tuple[str, str, tuple[str, ...]]]:
    """(table, condition, parameters) for every table holding the community's rows, in the
    order to delete them."""
    owned = owned_tables(schema)
    plan: list[tuple[str, str, tuple[str, ...]]] = []
    for table, (platform, ext_id) in WORKSPACE_TABLES.items():
        if table in schema.tables:
            plan.append((table, f'"{platform}" = ? AND "{ext_id}" = ?', _keys(community)))
    plan += [(t, rows_of(t, community.id, schema, set(owned)), ()) for t in owned]
    return plan


def _keys(community: Community) -> tuple[str, ...]:
    return (community.platform, community.ext_id)


def unclassified(schema: Schema) -> list[str]:
    """Tables neither linked to communities nor declared here: forget would miss them."""
    known = set(owned_tables(schema)) | set(WORKSPACE_TABLES) | NOT_COMMUNITY_DATA
    return sorted(set(schema.tables) - known)


class CommunitySql(SqlBase):
    """Pausing, resuming, listing and forgetting whole communities."""

    async def schema(self) -> Schema:
        """The database's tables and foreign keys (each store reads its own catalogue)."""
        raise NotImplementedError

    async def communities(self) -> list[Community]:
        """Every community, by platform and platform id."""
        rows = await self._all("SELECT * FROM communities ORDER BY platform, ext_id")
        return [community_from(r) for r in rows]

    async def find_community(self, platform: str, ext_id: str) -> Community | None:
        """The community with this platform id, or None."""
        row = await self._one(
            "SELECT * FROM communities WHERE platform = ? AND ext_id = ?", (platform, ext_id)
        )
        return None if row is None else community_from(row)

    async def community_paused(self, community_id: int) -> bool:
        """Whether the community is paused now."""
        row = await self._one("SELECT paused_at FROM communities WHERE id = ?", (community_id,))
        return row is not None and row[0] is not None

    async def pause_community(
        self, platform: str, ext_id: str, reason: str, now: datetime
    ) -> Community | None:
        """Pause it (kept from its first pause if paused already); None if unknown."""
        # Row locks suffice: claims read paused_at in their own statement.
        async with self._rows_tx() as db:
            rows = await fetch_all(
                db,
                "UPDATE communities SET paused_at = COALESCE(paused_at, ?), paused_reason = ?"
                " WHERE platform = ? AND ext_id = ? RETURNING *",
                (ts(now), reason, platform, ext_id),
            )
        return community_from(rows[0]) if rows else None

    async def resume_community(
        self, platform: str, ext_id: str, stale_before: datetime
    ) -> tuple[Community, int] | None:
        """Resume a paused community, dropping the held messages due before ``stale_before``.

        Edits and native events are kept whatever their age: they correct what is shown and
        notify nobody. Returns the community and how many were dropped; None if it wasn't
        paused.
        """
        async with self._tx() as db:
            rows = await fetch_all(
                db,
                "UPDATE communities SET paused_at = NULL, paused_reason = ''"
                " WHERE platform = ? AND ext_id = ? AND paused_at IS NOT NULL RETURNING *",
                (platform, ext_id),
            )
            if not rows:
                return None
            community = community_from(rows[0])
            cursor = await db.execute(
                "UPDATE outbox SET status = 'failed', last_error = ?,"
                " lease_owner = NULL, lease_until = NULL"
                " WHERE community_id = ? AND status IN ('pending', 'sending')"
                " AND not_before < ? AND edit_of IS NULL AND payload NOT LIKE ?",
                (NOT_SENT, community.id, ts(stale_before), EVENT_PREFIX + "%"),
            )
            await self._wake_senders(db)
        return community, cursor.rowcount

    async def _wake_senders(self, db: Db) -> None:
        """Tell every process the outbox has rows to send (where several share the store)."""

    async def community_footprint(
        self, community: Community, plan: Sequence[tuple[str, str, tuple[str, ...]]]
    ) -> list[tuple[str, int]]:
        """How many rows of each table in the plan are the community's."""
        async with self._read() as db:
            return [
                (table, await _count(db, table, where, params)) for table, where, params in plan
            ]

    async def forget_rows(
        self, plan: Sequence[tuple[str, str, tuple[str, ...]]]
    ) -> list[tuple[str, int]]:
        """Delete the plan's rows in one transaction, in its order: how many from each."""
        deleted = []
        async with self._tx() as db:
            for table, where, params in plan:
                cursor = await db.execute(f'DELETE FROM "{table}" WHERE {where}', params)
                deleted.append((table, cursor.rowcount))
        return deleted


async def _count(db: Db, table: str, where: str, params: Sequence[str]) -> int:
    rows = await fetch_all(db, f'SELECT COUNT(*) FROM "{table}" WHERE {where}', params)
    return int(rows[0][0])
