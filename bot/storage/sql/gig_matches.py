"""Matching gig leads in SQLite: skills and aliases, alert settings, open leads, interest.

``GigMatchSql`` is a mixin of ``SqliteStore``; alerts and digests are ``gig_alert_rows``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.features.gigs.match_store import InterestMessages, InterestResult
from bot.features.gigs.matching import PROFILE, Reader, SkillTable, weight_of
from bot.features.gigs.models import AlertMode, Gig, GigStatus
from bot.features.gigs.skills import SkillAlias, skill_key
from bot.models import SprintStatus
from bot.storage.sql.db import fetch_all, ts
from bot.storage.sql.gig_alert_rows import GigAlertSql
from bot.storage.sql.gig_rows import GIG_COLUMNS, gig_from
from bot.storage.sql.outbox import enqueue_in


class GigMatchSql(GigAlertSql):
    """Every matching query of SqliteStore."""

    async def skill_aliases(self, community_id: int) -> list[SkillAlias]:
        """The community's aliases, by alias."""
        rows = await self._all(
            "SELECT alias, skill FROM skill_aliases WHERE community_id = ? ORDER BY alias_key",
            (community_id,),
        )
        return [SkillAlias(str(r[0]), str(r[1])) for r in rows]

    async def set_skill_alias(
        self, community_id: int, alias: SkillAlias, now: datetime
    ) -> SkillAlias | None:
        """Add or replace an alias; the one it replaced, if any."""
        key = skill_key(alias.alias)
        async with self._tx() as db:
            row = await (
                await db.execute(
                    "SELECT alias, skill FROM skill_aliases"
                    " WHERE community_id = ? AND alias_key = ?",
                    (community_id, key),
                )
            ).fetchone()
            await db.execute(
                "INSERT INTO skill_aliases (community_id, alias_key, alias, skill, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id, alias_key) DO UPDATE SET"
                " alias = excluded.alias, skill = excluded.skill",
                (community_id, key, alias.alias, alias.skill, ts(now)),
            )
        return None if row is None else SkillAlias(str(row[0]), str(row[1]))

    async def remove_skill_alias(self, community_id: int, alias: str) -> SkillAlias | None:
        """Remove an alias (by its key); the one removed, or None if there was none."""
        key = skill_key(alias)
        async with self._tx() as db:
            row = await (
                await db.execute(
                    "DELETE FROM skill_aliases WHERE community_id = ? AND alias_key = ?"
                    " RETURNING alias, skill",
                    (community_id, key),
                )
            ).fetchone()
        return None if row is None else SkillAlias(str(row[0]), str(row[1]))

    async def gig_alert_mode(self, member_id: int) -> AlertMode:
        """How the member wants leads that fit them (instant unless they said otherwise)."""
        row = await self._one(
            "SELECT alerts FROM gig_member_settings WHERE member_id = ?", (member_id,)
        )
        return AlertMode.INSTANT if row is None else AlertMode(row[0])

    async def set_gig_alert_mode(
        self, member_id: int, mode: AlertMode, held_at: datetime | None = None
    ) -> None:
        """Set how the member wants leads (instant is the default: no row).

        Leads held for the member's digest go, once they leave it, as instant alerts due at
        ``held_at`` (the alerts job re-checks them then), or are dropped when alerts are off.
        """
        async with self._tx() as db:
            if mode is AlertMode.OFF and held_at is not None:
                # Marked done without a digest: nothing is sent for them.
                await db.execute(
                    "UPDATE gig_alerts SET digest_sent_at = ? WHERE member_id = ?"
                    " AND kind = 'digest' AND digest_sent_at IS NULL",
                    (ts(held_at), member_id),
                )
            elif mode is AlertMode.INSTANT and held_at is not None:
                await db.execute(
                    "UPDATE gig_alerts SET kind = 'instant', send_at = ?, sent_at = NULL,"
                    " digest_at = NULL WHERE member_id = ? AND kind = 'digest'"
                    " AND digest_sent_at IS NULL",
                    (ts(held_at), member_id),
                )
            if mode is AlertMode.INSTANT:
                await db.execute(
                    "DELETE FROM gig_member_settings WHERE member_id = ?", (member_id,)
                )
            else:
                await db.execute(
                    "INSERT INTO gig_member_settings (member_id, alerts) VALUES (?, ?)"
                    " ON CONFLICT (member_id) DO UPDATE SET alerts = excluded.alerts",
                    (member_id, mode.value),
                )

    async def community_skill_names(self, community_id: int) -> list[str]:
        """Every skill name profiles and live sprints use, as typed (other communities' too:
        read off the skill index, it costs less than picking this community's out)."""
        rows = await self._all(
            "SELECT DISTINCT skill FROM member_skills UNION ALL"
            " SELECT DISTINCT skill FROM sprints WHERE status != 'abandoned'"
        )
        return list(dict.fromkeys(str(r[0]) for r in rows))

    async def skill_table(self, community_id: int, names: Sequence[str]) -> SkillTable:
        """The members holding any of these skill names, their skills and alert mode.

        Three queries however many members: their profile skills and sprints named so, and
        the zone and alert mode of each member found.
        """
        table = SkillTable()
        if not names:
            return table
        wanted = list(dict.fromkeys(names))
        marks = ",".join("?" for _ in wanted)
        holders = (
            f"SELECT member_id FROM member_skills WHERE skill IN ({marks})"
            f" UNION SELECT member_id FROM sprints WHERE skill IN ({marks})"
            " AND status != 'abandoned'"
        )
        # Each CROSS JOIN keeps SQLite on the rows of these skills outermost, not every
        # member (its condition is in WHERE: PostgreSQL's CROSS JOIN takes no ON).
        async with self._read() as db:
            members = await fetch_all(
                db,
                "SELECT m.id, COALESCE(m.timezone, c.default_timezone), s.alerts"
                f" FROM ({holders}) h CROSS JOIN members m"
                " JOIN communities c ON c.id = m.community_id"
                " LEFT JOIN gig_member_settings s ON s.member_id = m.id"
                " WHERE m.id = h.member_id AND m.community_id = ?",
                (*wanted, *wanted, community_id),
            )
            profile = await fetch_all(
                db,
                "SELECT s.member_id, s.skill FROM member_skills s CROSS JOIN members m"
                f" WHERE m.id = s.member_id AND s.skill IN ({marks}) AND m.community_id = ?",
                (*wanted, community_id),
            )
            sprints = await fetch_all(
                db,
                "SELECT sp.member_id, sp.skill, sp.status, sp.outcome_url FROM sprints sp"
                " CROSS JOIN members m WHERE m.id = sp.member_id AND sp.skill IN"
                f" ({marks}) AND sp.status != 'abandoned' AND m.community_id = ?",
                (*wanted, community_id),
            )
        modes = {None: AlertMode.INSTANT} | {m.value: m for m in AlertMode}
        table.readers = {int(r[0]): Reader(int(r[0]), str(r[1]), modes[r[2]]) for r in members}
        entries = [(int(r[0]), str(r[1]), PROFILE) for r in profile]
        entries += [
            (int(r[0]), str(r[1]), weight_of(SprintStatus(r[2]), bool(r[3]))) for r in sprints
        ]
        table.entries = entries
        return table

    async def open_gigs(self, community_id: int, now: datetime) -> list[Gig]:
        """A community's open leads, newest first."""
        rows = await self._all(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.community_id = ? AND g.status = 'open'"
            " AND g.expires_at > ? ORDER BY g.published_at DESC, g.id DESC",
            (community_id, ts(now)),
        )
        return [gig_from(r) for r in rows]

    async def interest_counts(self, gig_ids: Sequence[int]) -> dict[int, int]:
        """How many members are interested in each lead (leads nobody answered: 0)."""
        found = dict.fromkeys(gig_ids, 0)
        for chunk in range(0, len(gig_ids), 500):
            part = list(gig_ids[chunk : chunk + 500])
            marks = ",".join("?" for _ in part)
            rows = await self._all(
                f"SELECT gig_id, COUNT(*) FROM gig_interest WHERE gig_id IN ({marks})"
                " GROUP BY gig_id",
                part,
            )
            found.update({int(r[0]): int(r[1]) for r in rows})
        return found

    async def record_gig_interest(
        self, gig_id: int, member_id: int, now: datetime, messages: InterestMessages
    ) -> InterestResult:
        """A member's interest in an open lead, once, with the messages it queues."""
        async with self._tx() as db:
            row = await (
                await db.execute(f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.id = ?", (gig_id,))
            ).fetchone()
            if row is None:
                raise KeyError(gig_id)
            gig = gig_from(row)

            async def count() -> int:
                found = await (
                    await db.execute(
                        "SELECT COUNT(*) FROM gig_interest WHERE gig_id = ?", (gig_id,)
                    )
                ).fetchone()
                return 0 if found is None else int(found[0])

            if gig.status is not GigStatus.OPEN or gig.expires_at <= now:
                return InterestResult(gig, False, await count())
            cursor = await db.execute(
                "INSERT INTO gig_interest (gig_id, member_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (gig_id, member_id) DO NOTHING",
                (gig_id, member_id, ts(now)),
            )
            interested = await count()
            if cursor.rowcount != 1:
                return InterestResult(gig, False, interested)
            for item in messages(gig, interested):
                await enqueue_in(db, item, now)
            return InterestResult(gig, True, interested)
