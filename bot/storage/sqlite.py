"""The SQLite store: every query of Crossfade's data (opening the file: sqlite_open)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import (
    Actor,
    ChannelPurpose,
    CheckinWeek,
    Community,
    Destination,
    DestinationKind,
    EndRequest,
    Member,
    NewOutbox,
    NewWeek,
    OutboxItem,
    OutboxStatus,
    Sprint,
    SprintStatus,
    WeekStatus,
)
from bot.storage import sqlite_nudges as nudges
from bot.storage.base import (
    ActiveSprintExists,
    DueNudge,
    DueOutbox,
    DuePrompt,
    DueReminder,
    NudgeDecision,
    ScheduleChanged,
    SprintMove,
    SummaryRow,
    WeekOpening,
)
from bot.storage.sqlite_native_events import NativeEventSql
from bot.storage.sqlite_open import open_database
from bot.storage.sqlite_schema import check_existing_file as check_existing_file
from bot.storage.sqlite_schema import migrations as migrations

# Weeks that closed longer ago than this get no summary (after a long outage it'd be stale
# news), which also keeps the summary queries off old history.
SUMMARY_HORIZON = timedelta(days=28)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _opt_ts(moment: datetime | None) -> str | None:
    return None if moment is None else _ts(moment)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _opt_dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# A write that moves a sprint's schedule applies only to the sprint as it was read: a week
# opened, an edit or a schedule change in between makes it touch no row.
AS_READ = (
    " WHERE id = ? AND status = 'active' AND next_week = ? AND weeks = ? AND next_prompt_at IS ?"
)


def _as_read(sprint: Sprint) -> tuple[int, int, int, str | None]:
    return sprint.id, sprint.next_week, sprint.weeks, _opt_ts(sprint.next_prompt_at)


class SqliteStore(NativeEventSql):
    """Crossfade's storage on one SQLite file (WAL, foreign keys on)."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection: serialise every unit of work so transactions never interleave.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, max_pages: int | None = None) -> SqliteStore:
        """Open (creating if needed) and migrate the database at ``path`` (see sqlite_open)."""
        file = Path(path)
        conn = await open_database(file, max_pages=max_pages)
        conn.row_factory = aiosqlite.Row
        return cls(conn, file)

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

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

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            yield self._conn

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._read() as db:
            return await (await db.execute(sql, params)).fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._read() as db:
            return list(await (await db.execute(sql, params)).fetchall())

    # --- communities and members -------------------------------------------------

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
                " ON CONFLICT (platform, ext_id) DO UPDATE SET"
                " name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END",
                (actor.platform, actor.community_id, actor.community_name, _ts(now)),
            )
            row = await (
                await db.execute(
                    "SELECT * FROM communities WHERE platform = ? AND ext_id = ?",
                    (actor.platform, actor.community_id),
                )
            ).fetchone()
            assert row is not None
            community = _community(row)
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
                    _ts(now),
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
            skills = await self._skills(db, int(member_row["id"]))
            return community, _member(member_row, community.platform, skills)

    async def _known(
        self, db: aiosqlite.Connection, actor: Actor
    ) -> tuple[Community, Member] | None:
        """The actor's records if they exist and nothing about them changed."""
        row = await (
            await db.execute(
                "SELECT * FROM communities WHERE platform = ? AND ext_id = ?",
                (actor.platform, actor.community_id),
            )
        ).fetchone()
        if row is None or (actor.community_name and actor.community_name != row["name"]):
            return None
        community = _community(row)
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
        skills = await self._skills(db, int(member_row["id"]))
        return community, _member(member_row, community.platform, skills)

    async def _skills(self, db: aiosqlite.Connection, member_id: int) -> tuple[str, ...]:
        rows = await (
            await db.execute(
                "SELECT skill FROM member_skills WHERE member_id = ? ORDER BY rowid", (member_id,)
            )
        ).fetchall()
        return tuple(str(r[0]) for r in rows)

    async def get_community(self, community_id: int) -> Community:
        """A community by id."""
        row = await self._one("SELECT * FROM communities WHERE id = ?", (community_id,))
        if row is None:
            raise KeyError(community_id)
        return _community(row)

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
            return _member(row, str(row["platform"]), await self._skills(db, member_id))

    async def find_member(self, community_id: int, ref: str) -> Member | None:
        """A member of a community by platform id or display name (case-insensitive)."""
        row = await self._one(
            "SELECT id FROM members WHERE community_id = ? AND (ext_id = ? OR"
            " display_name = ? COLLATE NOCASE) ORDER BY ext_id = ? DESC LIMIT 1",
            (community_id, ref, ref, ref),
        )
        return None if row is None else await self.get_member(int(row["id"]))

    async def update_member(self, member: Member, *, move: SprintMove | None = None) -> None:
        """Save a member's profile, flags and skills (and their moved sprint) in one transaction.

        Raises ScheduleChanged, saving nothing, if the sprint changed since the move was decided.
        """
        async with self._tx() as db:
            await db.execute(
                "UPDATE members SET display_name = ?, timezone = ?, current_role = ?, heading = ?,"
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
                "INSERT OR IGNORE INTO member_skills (member_id, skill) VALUES (?, ?)",
                [(member.id, s) for s in member.skills],
            )
            if move is not None:
                await self._move(db, move)

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
        rows = await self._all(
            "SELECT skill, COUNT(*) AS n FROM ("
            " SELECT s.skill FROM member_skills s JOIN members m ON m.id = s.member_id"
            " WHERE m.community_id = ?"
            " UNION ALL SELECT sp.skill FROM sprints sp JOIN members m ON m.id = sp.member_id"
            " WHERE m.community_id = ?) GROUP BY skill COLLATE NOCASE ORDER BY n DESC, skill",
            (community_id, community_id),
        )
        return [str(r["skill"]) for r in rows]

    async def update_schedule(self, community: Community, moves: Sequence[SprintMove]) -> None:
        """Save a community's check-in settings and the sprints they move, in one transaction.

        Raises ScheduleChanged, saving nothing, if any sprint changed since its move was decided.
        """
        async with self._tx() as db:
            await db.execute(
                "UPDATE communities SET checkin_weekday = ?, checkin_time = ?, reminder_hours = ?,"
                " default_timezone = ? WHERE id = ?",
                (
                    community.checkin_weekday,
                    community.checkin_time.strftime("%H:%M"),
                    community.reminder_hours,
                    community.default_timezone,
                    community.id,
                ),
            )
            for move in moves:
                await self._move(db, move)

    async def _move(self, db: aiosqlite.Connection, move: SprintMove) -> None:
        cursor = await db.execute(
            "UPDATE sprints SET next_prompt_at = ?" + AS_READ,
            (_opt_ts(move.next_prompt_at), *_as_read(move.sprint)),
        )
        if cursor.rowcount != 1:
            raise ScheduleChanged(move.sprint.id)
        for w in move.weeks:
            cursor = await db.execute(
                "UPDATE checkin_weeks SET opens_at = ?, closes_at = ?, community_week = ?"
                " WHERE id = ? AND sprint_id = ? AND status = ? AND opens_at = ? AND closes_at = ?",
                (
                    _ts(w.opens_at),
                    _ts(w.closes_at),
                    w.community_week.isoformat(),
                    w.week.id,
                    move.sprint.id,
                    w.week.status.value,
                    _ts(w.week.opens_at),
                    _ts(w.week.closes_at),
                ),
            )
            if cursor.rowcount != 1:
                raise ScheduleChanged(move.sprint.id)
        for item in move.outbox:
            await self._enqueue(db, item, move.at)

    async def set_channel(self, community_id: int, purpose: ChannelPurpose, ref: str) -> None:
        """Map a channel purpose to a real channel."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO channels (community_id, purpose, channel_ref) VALUES (?, ?, ?)"
                " ON CONFLICT (community_id, purpose)"
                " DO UPDATE SET channel_ref = excluded.channel_ref",
                (community_id, purpose.value, ref),
            )
            # Posts waiting for this channel (or for an admin's fix) can go now.
            await db.execute(
                "UPDATE outbox SET not_before = created_at WHERE community_id = ? AND purpose = ?"
                " AND status = 'pending'",
                (community_id, purpose.value),
            )

    async def channels(self, community_id: int) -> dict[ChannelPurpose, str]:
        """The community's channel for each purpose that has one."""
        rows = await self._all(
            "SELECT purpose, channel_ref FROM channels WHERE community_id = ?", (community_id,)
        )
        return {ChannelPurpose(r["purpose"]): str(r["channel_ref"]) for r in rows}

    # --- sprints ------------------------------------------------------------------

    async def create_sprint(self, sprint: Sprint, outbox: Sequence[NewOutbox] = ()) -> Sprint:
        """Insert a new active sprint with its announcements; raises ActiveSprintExists."""
        try:
            async with self._tx() as db:
                # Numbered within the member's own sequence, in this transaction.
                cursor = await db.execute(
                    "INSERT INTO sprints (member_id, goal, skill, deliverable_kind, deliverable,"
                    " start_date, weeks, status, created_at, next_week, next_prompt_at, number)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?,"
                    " (SELECT COALESCE(MAX(number), 0) + 1 FROM sprints WHERE member_id = ?))",
                    (
                        sprint.member_id,
                        sprint.goal,
                        sprint.skill,
                        sprint.deliverable_kind,
                        sprint.deliverable,
                        sprint.start_date.isoformat(),
                        sprint.weeks,
                        _ts(sprint.created_at),
                        sprint.next_week,
                        _opt_ts(sprint.next_prompt_at),
                        sprint.member_id,
                    ),
                )
                new_id = cursor.lastrowid
                for item in outbox:
                    await self._enqueue(db, item, sprint.created_at)
        except sqlite3.IntegrityError:
            raise ActiveSprintExists() from None
        assert new_id is not None
        created = await self.get_sprint(new_id)
        assert created is not None
        return created

    async def get_sprint(self, sprint_id: int) -> Sprint | None:
        """A sprint by id."""
        row = await self._one("SELECT * FROM sprints WHERE id = ?", (sprint_id,))
        return None if row is None else _sprint(row)

    async def active_sprint(self, member_id: int) -> Sprint | None:
        """The member's active sprint, if any."""
        row = await self._one(
            "SELECT * FROM sprints WHERE member_id = ? AND status = 'active'", (member_id,)
        )
        return None if row is None else _sprint(row)

    async def member_sprints(self, member_id: int) -> list[Sprint]:
        """All of a member's sprints, oldest first."""
        rows = await self._all(
            "SELECT * FROM sprints WHERE member_id = ? ORDER BY start_date, id", (member_id,)
        )
        return [_sprint(r) for r in rows]

    async def member_sprint(self, member_id: int, number: int) -> Sprint | None:
        """A member's sprint by its number in their own sequence."""
        row = await self._one(
            "SELECT * FROM sprints WHERE member_id = ? AND number = ?", (member_id, number)
        )
        return None if row is None else _sprint(row)

    async def active_sprints_in(self, community_id: int) -> list[tuple[Sprint, Member]]:
        """Active sprints of a community with their members, as of one moment."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT s.* FROM sprints s JOIN members m ON m.id = s.member_id"
                        " WHERE m.community_id = ? AND s.status = 'active' ORDER BY s.id",
                        (community_id,),
                    )
                ).fetchall()
            )
            members = await self._members(db, [int(r["member_id"]) for r in rows])
        return [(_sprint(r), members[int(r["member_id"])]) for r in rows]

    async def update_sprint(self, sprint: Sprint, *, read: Sprint) -> None:
        """Save an edited sprint (goal, skill, deliverable, length, next prompt).

        Only if it is still as ``read``; otherwise raises ScheduleChanged and writes nothing.
        """
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE sprints SET goal = ?, skill = ?, deliverable_kind = ?, deliverable = ?,"
                " weeks = ?, next_prompt_at = ?" + AS_READ,
                (
                    sprint.goal,
                    sprint.skill,
                    sprint.deliverable_kind,
                    sprint.deliverable,
                    sprint.weeks,
                    _opt_ts(sprint.next_prompt_at),
                    *_as_read(read),
                ),
            )
            if cursor.rowcount != 1:
                raise ScheduleChanged(sprint.id)

    async def end_sprint(
        self,
        sprint: Sprint,
        status: SprintStatus,
        at: datetime,
        *,
        outcome_url: str | None = None,
        reason: str | None = None,
        outbox: Sequence[NewOutbox] = (),
    ) -> bool:
        """Complete or abandon a sprint and queue its announcements in one transaction, once.

        False, with nothing queued, when the sprint had already ended (a second press of a
        confirmation button).
        """
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE sprints SET status = ?, ended_at = ?, outcome_url = ?, abandon_reason = ?,"
                " next_prompt_at = NULL WHERE id = ? AND status = 'active'",
                (status.value, _ts(at), outcome_url, reason, sprint.id),
            )
            if cursor.rowcount != 1:
                return False
            await db.execute("DELETE FROM sprint_end_requests WHERE sprint_id = ?", (sprint.id,))
            # A week still open when the sprint ends is closed as skipped: no reminder for it.
            await db.execute(
                "UPDATE checkin_weeks SET status = 'skipped', skip_reason = 'sprint ended',"
                " remind_at = NULL WHERE sprint_id = ? AND status = 'open' AND closes_at > ?",
                (sprint.id, _ts(at)),
            )
            for item in outbox:
                await self._enqueue(db, item, at)
        return True

    async def request_end(
        self,
        sprint: Sprint,
        status: SprintStatus,
        now: datetime,
        *,
        outcome_url: str | None = None,
        reason: str | None = None,
    ) -> EndRequest:
        """Keep a request to end a sprint until the member confirms or cancels it."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT INTO sprint_end_requests (sprint_id, status, outcome_url, reason,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (sprint.id, status.value, outcome_url, reason, _ts(now)),
            )
        assert cursor.lastrowid is not None
        return EndRequest(cursor.lastrowid, sprint.id, status, now, outcome_url, reason)

    async def get_end_request(self, request_id: int) -> EndRequest | None:
        """A pending request to end a sprint, by id."""
        row = await self._one("SELECT * FROM sprint_end_requests WHERE id = ?", (request_id,))
        if row is None:
            return None
        return EndRequest(
            id=int(row["id"]),
            sprint_id=int(row["sprint_id"]),
            status=SprintStatus(row["status"]),
            created_at=_dt(row["created_at"]),
            outcome_url=row["outcome_url"],
            reason=row["reason"],
        )

    async def drop_end_request(self, request_id: int) -> None:
        """Forget a cancelled request to end a sprint."""
        async with self._tx() as db:
            await db.execute("DELETE FROM sprint_end_requests WHERE id = ?", (request_id,))

    # --- check-in weeks -------------------------------------------------------------

    async def weeks(self, sprint_id: int) -> list[CheckinWeek]:
        """A sprint's check-in weeks in order."""
        rows = await self._all(
            "SELECT * FROM checkin_weeks WHERE sprint_id = ? ORDER BY week", (sprint_id,)
        )
        return [_week(r) for r in rows]

    async def add_week(self, week: NewWeek) -> CheckinWeek:
        """Record a week ahead of its prompt (a member skipping next week)."""
        async with self._tx() as db:
            week_id = await self._insert_week(db, week)
        rows = await self._all("SELECT * FROM checkin_weeks WHERE id = ?", (week_id,))
        return _week(rows[0])

    async def _insert_week(
        self, db: aiosqlite.Connection, week: NewWeek, prompt_outbox_id: int | None = None
    ) -> int:
        cursor = await db.execute(
            "INSERT INTO checkin_weeks (sprint_id, community_id, week, status, opens_at,"
            " closes_at, community_week, remind_at, prompt_outbox_id, skip_reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                week.sprint_id,
                week.community_id,
                week.week,
                week.status.value,
                _ts(week.opens_at),
                _ts(week.closes_at),
                week.community_week.isoformat(),
                _opt_ts(week.remind_at),
                prompt_outbox_id,
                week.skip_reason,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def open_weeks(self, openings: Sequence[WeekOpening], now: datetime) -> int:
        """Advance sprints past one week slot each: record the week, queue its prompt, move on.

        One transaction for the batch; each sprint is guarded by what its decision read (week
        counter, length, prompt time), so a week is decided once even if two ticks race, and
        never from a schedule an edit or a move changed meanwhile. Returns how many moved.
        """
        moved = 0
        async with self._tx() as db:
            for item in openings:
                cursor = await db.execute(
                    "UPDATE sprints SET next_week = next_week + 1, next_prompt_at = ?" + AS_READ,
                    (_opt_ts(item.next_prompt_at), *_as_read(item.sprint)),
                )
                if cursor.rowcount != 1:
                    continue
                moved += 1
                outbox_id = await self._enqueue(db, item.prompt, now) if item.prompt else None
                if item.week is not None:
                    await self._insert_week(db, item.week, outbox_id)
        return moved

    async def save_checkin(
        self,
        week: CheckinWeek,
        *,
        progress: str,
        blockers: str,
        confidence: int,
        hours: float | None,
        now: datetime,
        outbox: Sequence[NewOutbox] = (),
    ) -> CheckinWeek:
        """Store (or update) a week's check-in answers, with any messages it triggers."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE checkin_weeks SET status = 'done', progress = ?, blockers = ?,"
                " confidence = ?, hours = ?, submitted_at = ?, skip_reason = '' WHERE id = ?",
                (progress, blockers, confidence, hours, _ts(now), week.id),
            )
            for item in outbox:
                await self._enqueue(db, item, now)
            row = await (
                await db.execute("SELECT * FROM checkin_weeks WHERE id = ?", (week.id,))
            ).fetchone()
        assert row is not None
        return _week(row)

    async def skip_week(
        self, week: CheckinWeek, reason: str, outbox: Sequence[NewOutbox], now: datetime
    ) -> None:
        """Mark an open week as skipped."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE checkin_weeks SET status = 'skipped', skip_reason = ? WHERE id = ?",
                (reason, week.id),
            )
            for item in outbox:
                await self._enqueue(db, item, now)

    async def unskip_week(self, week: CheckinWeek) -> bool:
        """Forget a week skipped ahead, unless its slot has come (the sprint moved past it)."""
        async with self._tx() as db:
            cursor = await db.execute(
                "DELETE FROM checkin_weeks WHERE id = ? AND status = 'skipped' AND EXISTS ("
                " SELECT 1 FROM sprints s WHERE s.id = checkin_weeks.sprint_id"
                " AND s.status = 'active' AND s.next_week = checkin_weeks.week)",
                (week.id,),
            )
            return cursor.rowcount == 1

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[DuePrompt]:
        """Active sprints whose next week slot has come, with member and community, in one read."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT s.*, w.id AS ahead_id FROM sprints s"
                        " LEFT JOIN checkin_weeks w ON w.sprint_id = s.id AND w.week = s.next_week"
                        " WHERE s.status = 'active' AND s.next_prompt_at IS NOT NULL"
                        " AND s.next_prompt_at <= ? ORDER BY s.next_prompt_at LIMIT ?",
                        (_ts(now), limit),
                    )
                ).fetchall()
            )
            members = await self._members(db, [int(r["member_id"]) for r in rows])
            communities = await self._communities(db)
        out = []
        for row in rows:
            member = members[int(row["member_id"])]
            community = communities[member.community_id]
            out.append(DuePrompt(_sprint(row), member, community, row["ahead_id"] is not None))
        return out

    async def _communities(self, db: aiosqlite.Connection) -> dict[int, Community]:
        rows = await (await db.execute("SELECT * FROM communities")).fetchall()
        return {int(r["id"]): _community(r) for r in rows}

    async def _members(self, db: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, Member]:
        """Members by id, with their skills, in a few queries however many there are."""
        wanted = sorted(set(ids))
        skills = await self._skills_of(db, wanted)
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
                found[member_id] = _member(row, str(row["platform"]), skills.get(member_id, ()))
        return found

    async def _sprints(self, db: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, Sprint]:
        wanted = sorted(set(ids))
        found: dict[int, Sprint] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" for _ in part)
            rows = await (
                await db.execute(f"SELECT * FROM sprints WHERE id IN ({marks})", part)
            ).fetchall()
            found.update({int(r["id"]): _sprint(r) for r in rows})
        return found

    async def _skills_of(
        self, db: aiosqlite.Connection, member_ids: Sequence[int]
    ) -> dict[int, tuple[str, ...]]:
        found: dict[int, list[str]] = {}
        for chunk in range(0, len(member_ids), 500):
            ids = member_ids[chunk : chunk + 500]
            marks = ",".join("?" for _ in ids)
            rows = await (
                await db.execute(
                    f"SELECT member_id, skill FROM member_skills WHERE member_id IN ({marks})"
                    " ORDER BY rowid",
                    list(ids),
                )
            ).fetchall()
            for row in rows:
                found.setdefault(int(row[0]), []).append(str(row[1]))
        return {k: tuple(v) for k, v in found.items()}

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[DueReminder]:
        """Open, unanswered weeks whose reminder time has come and whose window is still open."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT w.*, s.member_id FROM checkin_weeks w"
                        " JOIN sprints s ON s.id = w.sprint_id"
                        " WHERE w.status = 'open' AND w.reminded_at IS NULL AND w.remind_at <= ?"
                        " AND w.closes_at > ? AND s.status = 'active'"
                        " ORDER BY w.remind_at LIMIT ?",
                        (_ts(now), _ts(now), limit),
                    )
                ).fetchall()
            )
            members = await self._members(db, [int(r["member_id"]) for r in rows])
            sprints = await self._sprints(db, [int(r["sprint_id"]) for r in rows])
            communities = await self._communities(db)
        out = []
        for row in rows:
            member = members[int(row["member_id"])]
            week = _week(row)
            out.append(
                DueReminder(week, member, communities[member.community_id], sprints[week.sprint_id])
            )
        return out

    async def mark_reminded(
        self, decided: Sequence[tuple[CheckinWeek, NewOutbox | None]], now: datetime
    ) -> None:
        """Record that these weeks' reminders were decided, queueing them, in one transaction."""
        async with self._tx() as db:
            for week, reminder in decided:
                cursor = await db.execute(
                    "UPDATE checkin_weeks SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
                    (_ts(now), week.id),
                )
                if cursor.rowcount == 1 and reminder is not None:
                    await self._enqueue(db, reminder, now)

    async def due_summaries(self, now: datetime) -> list[tuple[int, date]]:
        """Community weeks whose every check-in window has closed and have no summary yet."""
        rows = await self._all(
            "SELECT w.community_id, w.community_week FROM checkin_weeks w"
            " LEFT JOIN summaries s ON s.community_id = w.community_id"
            " AND s.community_week = w.community_week"
            " WHERE s.community_id IS NULL AND w.closes_at >= ?"
            " GROUP BY w.community_id, w.community_week HAVING MAX(w.closes_at) <= ?"
            " ORDER BY w.community_week",
            (_ts(now - SUMMARY_HORIZON), _ts(now)),
        )
        return [(int(r[0]), date.fromisoformat(r[1])) for r in rows]

    async def summary_rows(self, community_id: int, community_week: date) -> list[SummaryRow]:
        """Each member's check-in week for a community week, with member and sprint."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT w.*, s.member_id FROM checkin_weeks w"
                        " JOIN sprints s ON s.id = w.sprint_id"
                        " WHERE w.community_id = ? AND w.community_week = ?"
                        # Someone who ended their sprint that week is listed only if they
                        # checked in.
                        " AND (s.status = 'active' OR w.status = 'done') ORDER BY w.id",
                        (community_id, community_week.isoformat()),
                    )
                ).fetchall()
            )
            members = await self._members(db, [int(r["member_id"]) for r in rows])
            sprints = await self._sprints(db, [int(r["sprint_id"]) for r in rows])
        return [
            SummaryRow(_week(r), members[int(r["member_id"])], sprints[int(r["sprint_id"])])
            for r in rows
        ]

    async def streak_weeks(self, sprint_ids: Sequence[int]) -> dict[int, list[CheckinWeek]]:
        """Weeks of several sprints at once (for summaries)."""
        if not sprint_ids:
            return {}
        marks = ",".join("?" for _ in sprint_ids)
        rows = await self._all(
            f"SELECT * FROM checkin_weeks WHERE sprint_id IN ({marks}) ORDER BY sprint_id, week",
            list(sprint_ids),
        )
        out: dict[int, list[CheckinWeek]] = {i: [] for i in sprint_ids}
        for row in rows:
            out[int(row["sprint_id"])].append(_week(row))
        return out

    async def average_confidence(self, community_id: int, community_week: date) -> float | None:
        """The community's average confidence for a week, over done check-ins."""
        row = await self._one(
            "SELECT AVG(confidence) FROM checkin_weeks WHERE community_id = ?"
            " AND community_week = ? AND status = 'done'",
            (community_id, community_week.isoformat()),
        )
        return None if row is None or row[0] is None else float(row[0])

    async def record_summary(
        self, community_id: int, community_week: date, summary: NewOutbox, now: datetime
    ) -> bool:
        """Queue a week's summary once; returns False if it was already decided."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO summaries (community_id, community_week, created_at)"
                " VALUES (?, ?, ?)",
                (community_id, community_week.isoformat(), _ts(now)),
            )
            if cursor.rowcount != 1:
                return False
            outbox_id = await self._enqueue(db, summary, now)
            await db.execute(
                "UPDATE summaries SET outbox_id = ? WHERE community_id = ? AND community_week = ?",
                (outbox_id, community_id, community_week.isoformat()),
            )
            return True

    # --- sprint nudges (their SQL is in sqlite_nudges) ------------------------------------

    async def _due_nudges(
        self, candidates: nudges.Candidates, now: datetime, limit: int
    ) -> list[DueNudge]:
        sql, params = candidates
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        f"SELECT w.*, c.due_at, s.member_id FROM ({sql}) c"
                        " JOIN checkin_weeks w ON w.sprint_id = c.sprint_id AND w.week = c.week"
                        " JOIN sprints s ON s.id = c.sprint_id"
                        " WHERE c.due_at <= ? ORDER BY c.due_at, c.sprint_id LIMIT ?",
                        (*params, _ts(now), limit),
                    )
                ).fetchall()
            )
            members = await self._members(db, [int(r["member_id"]) for r in rows])
            sprints = await self._sprints(db, [int(r["sprint_id"]) for r in rows])
            communities = await self._communities(db) if rows else {}
        out = []
        for row in rows:
            member = members[int(row["member_id"])]
            out.append(
                DueNudge(
                    sprints[int(row["sprint_id"])],
                    member,
                    communities[member.community_id],
                    _week(row),
                    _dt(row["due_at"]),
                )
            )
        return out

    async def due_sprint_endings(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Active sprints whose last check-in week has closed, not yet told so."""
        return await self._due_nudges(nudges.endings(now), now, limit)

    async def record_sprint_endings(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each sprint ending with its DM, if the sprint still ended there."""
        recorded = 0
        async with self._tx() as db:
            for item in decided:
                sprint_id, week = item.due.sprint.id, item.due.week.week
                assert item.remind_at is not None
                cursor = await db.execute(
                    nudges.RECORD_ENDING, (_ts(now), _ts(item.remind_at), sprint_id, week)
                )
                if cursor.rowcount != 1:
                    continue
                recorded += 1
                outbox_id = await self._enqueue(db, item.message, now)
                await db.execute(nudges.LINK_ENDING, (outbox_id, sprint_id, week))
        return recorded

    async def due_ending_reminders(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprint endings whose one reminder is due (still active, not extended)."""
        return await self._due_nudges(nudges.ending_reminders(now), now, limit)

    async def record_ending_reminders(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each ending's reminder with its DM, if the sprint is still waiting."""
        recorded = 0
        async with self._tx() as db:
            for item in decided:
                cursor = await db.execute(
                    nudges.RECORD_ENDING_REMINDER,
                    (_ts(now), item.due.sprint.id, item.due.week.week),
                )
                if cursor.rowcount == 1:
                    recorded += 1
                    await self._enqueue(db, item.message, now)
        return recorded

    async def due_pause_offers(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprints whose third missed week in a row has closed, not yet asked to pause."""
        return await self._due_nudges(nudges.pause_offers(now), now, limit)

    async def record_pause_offers(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each pause question with its DM, once per sprint, if still unanswered."""
        recorded = 0
        async with self._tx() as db:
            for item in decided:
                sprint_id, week = item.due.sprint.id, item.due.week.week
                cursor = await db.execute(
                    nudges.RECORD_PAUSE_OFFER, (week, _ts(now), sprint_id, week)
                )
                if cursor.rowcount != 1:
                    continue
                recorded += 1
                outbox_id = await self._enqueue(db, item.message, now)
                await db.execute(nudges.LINK_PAUSE_OFFER, (outbox_id, sprint_id))
        return recorded

    # --- outbox -----------------------------------------------------------------------

    async def _enqueue(self, db: aiosqlite.Connection, item: NewOutbox, now: datetime) -> int:
        dest = item.destination
        cursor = await db.execute(
            "INSERT INTO outbox (community_id, dest_kind, member_id, purpose, payload, dedupe_key,"
            " edit_of, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            (
                item.community_id,
                dest.kind.value,
                dest.member_id,
                dest.purpose.value if dest.purpose else None,
                item.payload,
                item.dedupe_key,
                item.edit_of,
                _ts(now),
                _ts(now),
            ),
        )
        if cursor.rowcount == 1 and cursor.lastrowid is not None:
            if item.edit_of is not None:
                # An edit replaces the whole message: older edits not yet sent are pointless.
                # Only older rows go, so a row id is never handed out again.
                await db.execute(
                    "DELETE FROM outbox WHERE edit_of = ? AND status = 'pending' AND id < ?",
                    (item.edit_of, cursor.lastrowid),
                )
            return cursor.lastrowid
        row = await (
            await db.execute("SELECT id FROM outbox WHERE dedupe_key = ?", (item.dedupe_key,))
        ).fetchone()
        assert row is not None
        return int(row[0])

    async def enqueue(self, items: Sequence[NewOutbox], now: datetime) -> list[int]:
        """Queue messages on their own (a command's announcement)."""
        async with self._tx() as db:
            return [await self._enqueue(db, item, now) for item in items]

    async def due_outbox(
        self, now: datetime, platforms: Sequence[str], limit: int = 200
    ) -> list[DueOutbox]:
        """Queued messages ready to send on the given platforms, oldest first."""
        if not platforms:
            return []
        marks = ",".join("?" for _ in platforms)
        rows = await self._all(
            "SELECT o.*, c.platform, c.ext_id AS community_ext FROM outbox o"
            " JOIN communities c ON c.id = o.community_id"
            " WHERE o.status IN ('pending', 'sending') AND o.not_before <= ?"
            f" AND c.platform IN ({marks})"
            " ORDER BY o.not_before, o.id LIMIT ?",
            (_ts(now), *platforms, limit),
        )
        return [DueOutbox(_outbox(r), str(r["platform"]), str(r["community_ext"])) for r in rows]

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None:
        """A queued or delivered message by id."""
        row = await self._one("SELECT * FROM outbox WHERE id = ?", (outbox_id,))
        return None if row is None else _outbox(row)

    async def claim_outbox(self, outbox_id: int) -> bool:
        """Mark a message as being sent (a crash mid-send shows at restart); False if not queued."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
                " WHERE id = ? AND status IN ('pending', 'sending')",
                (outbox_id,),
            )
            return cursor.rowcount == 1

    async def mark_delivered(
        self, outbox_id: int, channel_ref: str | None, message_ref: str | None, now: datetime
    ) -> None:
        """Record a successful delivery."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET status = 'delivered', channel_ref = ?, message_ref = ?,"
                " delivered_at = ?, last_error = NULL WHERE id = ?",
                (channel_ref, message_ref, _ts(now), outbox_id),
            )

    async def reschedule_outbox(
        self,
        outbox_id: int,
        not_before: datetime,
        error: str,
        *,
        count_attempt: bool = True,
        unsure: bool = False,
    ) -> None:
        """Put a message back in the queue to retry later (optionally not counting this try)."""
        # One that may have reached the platform stays 'sending': its next try looks first.
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET status = ?, not_before = ?, last_error = ?,"
                " attempts = attempts - ? WHERE id = ? AND status IN ('pending', 'sending')",
                (
                    "sending" if unsure else "pending",
                    _ts(not_before),
                    error[:500],
                    0 if count_attempt else 1,
                    outbox_id,
                ),
            )

    async def fail_outbox(self, outbox_id: int, error: str) -> None:
        """Give up on a message for good."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                (error[:500], outbox_id),
            )

    async def release_waiting(self, now: datetime) -> int:
        """Make every message waiting to retry due now (at start, after an admin's fix)."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE outbox SET not_before = ? WHERE status IN ('pending', 'sending')"
                " AND not_before > ? AND last_error IS NOT NULL",
                (_ts(now), _ts(now)),
            )
            return cursor.rowcount

    async def outbox_counts(self) -> dict[str, int]:
        """How many queued messages are in each state."""
        rows = await self._all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {str(r[0]): int(r[1]) for r in rows}

    async def next_due_at(self, platforms: Sequence[str], now: datetime) -> datetime | None:
        """The earliest moment anything is due: a prompt, a reminder, a summary, a nudge, a send.

        Uses the same conditions as the due_* queries, so nothing that will never be acted on
        (a reminder for a closed week) can hold the schedule in the past.
        """
        marks = ",".join("?" for _ in platforms) or "''"
        # Each sprint nudge's earliest moment, from the very query its due_* method reads.
        nudge_due, nudge_params = "", []
        for job in nudges.JOBS:
            sql, params = job(now)
            nudge_due += f" UNION ALL SELECT MIN(due_at) FROM ({sql})"
            nudge_params += params
        row = await self._one(
            "SELECT MIN(t) FROM ("
            " SELECT MIN(next_prompt_at) AS t FROM sprints WHERE status = 'active'"
            " UNION ALL SELECT MIN(w.remind_at) FROM checkin_weeks w"
            "  JOIN sprints sp ON sp.id = w.sprint_id AND sp.status = 'active'"
            "  WHERE w.status = 'open' AND w.reminded_at IS NULL AND w.closes_at > ?"
            " UNION ALL SELECT MAX(w.closes_at) FROM checkin_weeks w"
            "  LEFT JOIN summaries s ON s.community_id = w.community_id"
            "  AND s.community_week = w.community_week"
            "  WHERE s.community_id IS NULL AND w.closes_at >= ?"
            "  GROUP BY w.community_id, w.community_week"
            " UNION ALL SELECT MIN(o.not_before) FROM outbox o JOIN communities c"
            "  ON c.id = o.community_id WHERE o.status IN ('pending', 'sending')"
            f"  AND c.platform IN ({marks})"
            f"{nudge_due}"
            ")",
            [_ts(now), _ts(now - SUMMARY_HORIZON), *platforms, *nudge_params],
        )
        return None if row is None or row[0] is None else _dt(row[0])


def _community(row: aiosqlite.Row) -> Community:
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
    )


def _member(row: aiosqlite.Row, platform: str, skills: tuple[str, ...]) -> Member:
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


def _sprint(row: aiosqlite.Row) -> Sprint:
    return Sprint(
        id=int(row["id"]),
        member_id=int(row["member_id"]),
        goal=str(row["goal"]),
        skill=str(row["skill"]),
        deliverable_kind=str(row["deliverable_kind"]),
        deliverable=str(row["deliverable"]),
        start_date=date.fromisoformat(row["start_date"]),
        weeks=int(row["weeks"]),
        status=SprintStatus(row["status"]),
        created_at=_dt(row["created_at"]),
        next_week=int(row["next_week"]),
        next_prompt_at=_opt_dt(row["next_prompt_at"]),
        ended_at=_opt_dt(row["ended_at"]),
        outcome_url=row["outcome_url"],
        abandon_reason=row["abandon_reason"],
        number=int(row["number"]),
    )


def _week(row: aiosqlite.Row) -> CheckinWeek:
    return CheckinWeek(
        id=int(row["id"]),
        sprint_id=int(row["sprint_id"]),
        week=int(row["week"]),
        status=WeekStatus(row["status"]),
        opens_at=_dt(row["opens_at"]),
        closes_at=_dt(row["closes_at"]),
        community_week=date.fromisoformat(row["community_week"]),
        progress=str(row["progress"]),
        blockers=str(row["blockers"]),
        confidence=row["confidence"],
        hours=None if row["hours"] is None else float(row["hours"]),
        submitted_at=_opt_dt(row["submitted_at"]),
        remind_at=_opt_dt(row["remind_at"]),
        reminded_at=_opt_dt(row["reminded_at"]),
        prompt_outbox_id=row["prompt_outbox_id"],
        skip_reason=str(row["skip_reason"]),
    )


def _outbox(row: aiosqlite.Row) -> OutboxItem:
    kind = DestinationKind(row["dest_kind"])
    destination = (
        Destination.dm(int(row["member_id"]))
        if kind is DestinationKind.DM
        else Destination.channel(ChannelPurpose(row["purpose"]))
        if row["purpose"] is not None
        else Destination.community()
    )
    return OutboxItem(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        destination=destination,
        payload=str(row["payload"]),
        dedupe_key=row["dedupe_key"],
        edit_of=row["edit_of"],
        status=OutboxStatus(row["status"]),
        attempts=int(row["attempts"]),
        not_before=_dt(row["not_before"]),
        created_at=_dt(row["created_at"]),
        channel_ref=row["channel_ref"],
        message_ref=row["message_ref"],
        last_error=row["last_error"],
    )
