"""Communities, members, their channels and the settings kept with the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from bot.models import Actor, Community, Member
from bot.storage.sql.db import Db, Row, SqlBase, opt_dt, ts


class IdentitySql(SqlBase):
    """Who is who: communities, members, channel purposes, settings."""

    async def get_setting(self, key: str) -> str | None:
        """A setting kept with the database, or None if it was never set."""
        row = await self._one("SELECT value FROM settings WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set_setting(self, key: str, value: str) -> None:
        """Keep a setting with the database, replacing its earlier value."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def ensure_member(self, actor: Actor, now: datetime) -> tuple[Community, Member]:
        """Find or create the actor's community and member record, refreshing their name.

        Most requests come from people already known with nothing new to record: those are
        answered by a read alone, so busy moments don't queue behind write transactions.
        """
        async with self._read() as db:
            known = await self._known(db, actor)
        if known is not None:
            return known
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO communities (platform, ext_id, name, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (platform, ext_id) DO UPDATE SET name = CASE"
                " WHEN excluded.name != '' THEN excluded.name ELSE communities.name END",
                (actor.platform, actor.community_id, actor.community_name, ts(now)),
            )
            row = await (
                await db.execute(
                    "SELECT * FROM communities WHERE platform = ? AND ext_id = ?",
                    (actor.platform, actor.community_id),
                )
            ).fetchone()
            assert row is not None
            community = community_from(row)
            await db.execute(
                "INSERT INTO members (community_id, ext_id, display_name, timezone, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id, ext_id) DO UPDATE SET"
                # A platform that can't tell the name right now keeps the one we know.
                " display_name = CASE WHEN ? != '' THEN excluded.display_name"
                " ELSE members.display_name END,"
                " timezone = COALESCE(members.timezone, excluded.timezone)",
                (
                    community.id,
                    actor.user_id,
                    actor.display_name or actor.user_id,
                    actor.timezone_hint,
                    ts(now),
                    actor.display_name,
                ),
            )
            member_row = await (
                await db.execute(
                    "SELECT * FROM members WHERE community_id = ? AND ext_id = ?",
                    (community.id, actor.user_id),
                )
            ).fetchone()
            assert member_row is not None
            skills = await member_skills(db, int(member_row["id"]))
            return community, member_from(member_row, community.platform, skills)

    async def _known(self, db: Db, actor: Actor) -> tuple[Community, Member] | None:
        """The actor's records if they exist and nothing about them changed."""
        row = await (
            await db.execute(
                "SELECT * FROM communities WHERE platform = ? AND ext_id = ?",
                (actor.platform, actor.community_id),
            )
        ).fetchone()
        if row is None or (actor.community_name and actor.community_name != row["name"]):
            return None
        community = community_from(row)
        member_row = await (
            await db.execute(
                "SELECT * FROM members WHERE community_id = ? AND ext_id = ?",
                (community.id, actor.user_id),
            )
        ).fetchone()
        if member_row is None:
            return None
        if actor.display_name and member_row["display_name"] != actor.display_name:
            return None
        if member_row["timezone"] is None and actor.timezone_hint:
            return None
        skills = await member_skills(db, int(member_row["id"]))
        return community, member_from(member_row, community.platform, skills)

    async def get_community(self, community_id: int) -> Community:
        """A community by id."""
        row = await self._one("SELECT * FROM communities WHERE id = ?", (community_id,))
        if row is None:
            raise KeyError(community_id)
        return community_from(row)

    async def get_member(self, member_id: int) -> Member:
        """A member by id."""
        async with self._read() as db:
            row = await (
                await db.execute(
                    "SELECT m.*, c.platform FROM members m JOIN communities c"
                    " ON c.id = m.community_id WHERE m.id = ?",
                    (member_id,),
                )
            ).fetchone()
            if row is None:
                raise KeyError(member_id)
            return member_from(row, str(row["platform"]), await member_skills(db, member_id))

    async def find_member(self, community_id: int, ref: str) -> Member | None:
        """A member of a community by platform id or display name (case-insensitive)."""
        row = await self._one(
            "SELECT id FROM members WHERE community_id = ? AND (ext_id = ? OR"
            " display_name = ? COLLATE NOCASE) ORDER BY ext_id = ? DESC LIMIT 1",
            (community_id, ref, ref, ref),
        )
        return None if row is None else await self.get_member(int(row["id"]))

    async def update_member(self, member: Member) -> None:
        """Save a member's profile, flags and skills in one transaction."""
        async with self._tx() as db:
            await save_member(db, member)

    async def set_paused(self, member_id: int, paused: bool) -> None:
        """Pause or resume a member's prompts (only that column, so a concurrent profile edit
        is never overwritten with what this request read)."""
        async with self._tx() as db:
            await db.execute("UPDATE members SET paused = ? WHERE id = ?", (int(paused), member_id))

    async def set_dm_note_sent(self, member_id: int, sent: bool) -> None:
        """Record whether the member was told their DMs are closed (only that column)."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE members SET dm_note_sent = ? WHERE id = ?", (int(sent), member_id)
            )

    async def remember_dm_channel(self, member_id: int, channel: str) -> None:
        """Keep the platform's DM channel with a member for later sends."""
        async with self._tx() as db:
            await db.execute("UPDATE members SET dm_channel = ? WHERE id = ?", (channel, member_id))

    async def community_skills(self, community_id: int) -> list[str]:
        """Every skill named by a community's members or sprints, most common first."""
        # Grouped without case: the union's column is member_skills.skill's (NOCASE) on both.
        rows = await self._all(
            "SELECT skill, COUNT(*) AS n FROM ("
            " SELECT s.skill FROM member_skills s JOIN members m ON m.id = s.member_id"
            " WHERE m.community_id = ?"
            " UNION ALL SELECT sp.skill FROM sprints sp JOIN members m ON m.id = sp.member_id"
            " WHERE m.community_id = ?) AS t GROUP BY skill ORDER BY n DESC, skill",
            (community_id, community_id),
        )
        return [str(r["skill"]) for r in rows]

    async def set_channel(self, community_id: int, purpose: str, ref: str) -> None:
        """Map a channel purpose to a real channel."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO channels (community_id, purpose, channel_ref) VALUES (?, ?, ?)"
                " ON CONFLICT (community_id, purpose)"
                " DO UPDATE SET channel_ref = excluded.channel_ref",
                (community_id, purpose, ref),
            )
            # Channel posts that waited (for this channel, one falling back to it, or an
            # admin's fix) can go now; one scheduled for later was never tried and keeps its
            # time.
            await db.execute(
                "UPDATE outbox SET not_before = created_at WHERE community_id = ?"
                " AND purpose IS NOT NULL AND status = 'pending' AND last_error IS NOT NULL",
                (community_id,),
            )

    async def channels(self, community_id: int) -> dict[str, str]:
        """The community's channel for each purpose that has one."""
        rows = await self._all(
            "SELECT purpose, channel_ref FROM channels WHERE community_id = ?", (community_id,)
        )
        return {str(r["purpose"]): str(r["channel_ref"]) for r in rows}


async def save_member(db: Db, member: Member) -> None:
    """Write a member's profile, flags and skills inside a transaction."""
    await db.execute(
        'UPDATE members SET display_name = ?, timezone = ?, "current_role" = ?, heading = ?,'
        " share_blockers = ?, paused = ?, dm_note_sent = ? WHERE id = ?",
        (
            member.display_name,
            member.timezone,
            member.current_role,
            member.heading,
            int(member.share_blockers),
            int(member.paused),
            int(member.dm_note_sent),
            member.id,
        ),
    )
    await db.execute("DELETE FROM member_skills WHERE member_id = ?", (member.id,))
    await db.executemany(
        "INSERT INTO member_skills (member_id, skill, position) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [(member.id, s, n) for n, s in enumerate(member.skills)],
    )


async def member_skills(db: Db, member_id: int) -> tuple[str, ...]:
    """A member's skills in the order they gave them."""
    rows = await (
        await db.execute(
            "SELECT skill FROM member_skills WHERE member_id = ? ORDER BY position", (member_id,)
        )
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


async def all_communities(db: Db) -> dict[int, Community]:
    """Every community by id (there are few)."""
    rows = await (await db.execute("SELECT * FROM communities")).fetchall()
    return {int(r["id"]): community_from(r) for r in rows}


async def members_by_id(db: Db, ids: Sequence[int]) -> dict[int, Member]:
    """Members by id, with their skills, in a few queries however many there are."""
    wanted = sorted(set(ids))
    skills = await skills_of(db, wanted)
    found: dict[int, Member] = {}
    for chunk in range(0, len(wanted), 500):
        part = wanted[chunk : chunk + 500]
        marks = ",".join("?" for _ in part)
        rows = await (
            await db.execute(
                "SELECT m.*, c.platform FROM members m JOIN communities c"
                f" ON c.id = m.community_id WHERE m.id IN ({marks})",
                part,
            )
        ).fetchall()
        for row in rows:
            member_id = int(row["id"])
            found[member_id] = member_from(row, str(row["platform"]), skills.get(member_id, ()))
    return found


async def skills_of(db: Db, member_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Several members' skills at once."""
    found: dict[int, list[str]] = {}
    for chunk in range(0, len(member_ids), 500):
        ids = member_ids[chunk : chunk + 500]
        marks = ",".join("?" for _ in ids)
        rows = await (
            await db.execute(
                f"SELECT member_id, skill FROM member_skills WHERE member_id IN ({marks})"
                " ORDER BY member_id, position",
                list(ids),
            )
        ).fetchall()
        for row in rows:
            found.setdefault(int(row[0]), []).append(str(row[1]))
    return {k: tuple(v) for k, v in found.items()}


def community_from(row: Row) -> Community:
    """A community as stored."""
    hour, minute = (int(x) for x in str(row["checkin_time"]).split(":"))
    return Community(
        id=int(row["id"]),
        platform=str(row["platform"]),
        ext_id=str(row["ext_id"]),
        name=str(row["name"]),
        checkin_weekday=int(row["checkin_weekday"]),
        checkin_time=time(hour, minute),
        reminder_hours=int(row["reminder_hours"]),
        default_timezone=str(row["default_timezone"]),
        paused_at=opt_dt(row["paused_at"]),
        paused_reason=str(row["paused_reason"]),
    )


def member_from(row: Row, platform: str, skills: tuple[str, ...]) -> Member:
    """A member as stored."""
    return Member(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        platform=platform,
        ext_id=str(row["ext_id"]),
        display_name=str(row["display_name"]),
        timezone=row["timezone"],
        skills=skills,
        current_role=str(row["current_role"]),
        heading=str(row["heading"]),
        share_blockers=bool(row["share_blockers"]),
        paused=bool(row["paused"]),
        dm_note_sent=bool(row["dm_note_sent"]),
        dm_channel=row["dm_channel"],
    )
