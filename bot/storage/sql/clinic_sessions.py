"""Clinic sessions in SQLite: announcements, RSVPs with seats and a waitlist, reminders, notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.features.clinics.models import (
    Answer,
    PendingReminder,
    Roster,
    RosterMessages,
    RsvpMessages,
    RsvpResult,
    Series,
    SessionChange,
    SessionRow,
)
from bot.features.clinics.store import SessionChanged
from bot.storage.sql.clinic_rows import (
    RSVP_OF,
    SEATED,
    SEATED_OTHERS,
    SERIES,
    ClinicRows,
    marks,
    offsets_from,
    rsvp_from,
    series_from,
    session_from,
)
from bot.storage.sql.db import Db, ts


def as_read(row: SessionRow | None, read: SessionRow | None) -> bool:
    """Whether a session is still as it was read (same state, start and sequence)."""
    if row is None or read is None:
        return row is None and read is None
    return (row.status, row.starts_at, row.sequence) == (read.status, read.starts_at, read.sequence)


class ClinicSessionSql(ClinicRows):
    """Sessions, answers, reminders and attendance; each change one transaction."""

    async def session_rows(self, series_ids: Sequence[int], since: datetime) -> list[SessionRow]:
        """Stored sessions of these series starting (or ruled to be) from ``since`` on."""
        if not series_ids:
            return []
        async with self._read() as db:
            rows = await self._rows(
                db,
                f"SELECT * FROM clinic_sessions WHERE series_id IN ({marks(series_ids)})"
                " AND (starts_at >= ? OR day >= ?) ORDER BY starts_at",
                (*series_ids, ts(since), (since - timedelta(days=2)).date().isoformat()),
            )
        return [session_from(r) for r in rows]

    async def get_session(self, session_id: int) -> SessionRow | None:
        """A stored session by id."""
        async with self._read() as db:
            return await self._session(db, session_id)

    async def session_on(self, series_id: int, day: date) -> SessionRow | None:
        """A series' stored session on the local date its rule gives it."""
        async with self._read() as db:
            row = await self._row(
                db,
                "SELECT * FROM clinic_sessions WHERE series_id = ? AND day = ?",
                (series_id, day.isoformat()),
            )
        return None if row is None else session_from(row)

    async def ensure_session(
        self, series: Series, day: date, starts_at: datetime, now: datetime
    ) -> SessionRow:
        """Store a session the rule gives (if it isn't yet) and return it."""
        async with self._tx() as db:
            await _store_session(db, series, day, starts_at, now)
            row = await self._row(
                db,
                "SELECT * FROM clinic_sessions WHERE series_id = ? AND day = ?",
                (series.id, day.isoformat()),
            )
        assert row is not None
        return session_from(row)

    async def roster(self, session_id: int) -> Roster:
        """A session with its series and everyone who answered."""
        async with self._read() as db:
            return await self._roster(db, session_id)

    async def seat_counts(self, session_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """Per session: (seats taken, waitlisted)."""
        if not session_ids:
            return {}
        async with self._read() as db:
            rows = await self._rows(
                db,
                f"SELECT session_id, SUM(CASE WHEN answer IN {SEATED} THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN answer = 'waitlist' THEN 1 ELSE 0 END)"
                f" FROM clinic_rsvps WHERE session_id IN ({marks(session_ids)})"
                " GROUP BY session_id",
                tuple(session_ids),
            )
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    async def announce_session(
        self,
        series: Series,
        day: date,
        starts_at: datetime,
        now: datetime,
        messages: RosterMessages,
    ) -> bool:
        """Queue a session's announcement once (storing the session); False if it had one."""
        async with self._tx() as db:
            await _store_session(db, series, day, starts_at, now)
            row = await self._row(
                db,
                "SELECT id FROM clinic_sessions WHERE series_id = ? AND day = ?"
                " AND announcement_id IS NULL AND status != 'cancelled'",
                (series.id, day.isoformat()),
            )
            if row is None:
                return False
            roster = await self._roster(db, int(row[0]))
            ids = await self._queue(db, messages(roster), now)
            if not ids:
                return False
            await db.execute(
                "UPDATE clinic_sessions SET announcement_id = ? WHERE id = ?", (ids[0], row[0])
            )
            return True

    async def change_session(
        self, change: SessionChange, now: datetime, messages: RosterMessages
    ) -> Roster:
        """Cancel or move a session not yet started (guarded: SessionChanged if not as read)."""
        key = (change.series.id, change.day.isoformat())
        async with self._tx() as db:
            found = await self._row(
                db, "SELECT * FROM clinic_sessions WHERE series_id = ? AND day = ?", key
            )
            row = None if found is None else session_from(found)
            if not as_read(row, change.read) or (row is not None and row.starts_at <= now):
                raise SessionChanged(change.day)
            values = (change.status.value, ts(change.starts_at), ts(change.ends_at), change.reason)
            if row is None:
                await db.execute(
                    "INSERT INTO clinic_sessions (status, starts_at, ends_at, reason, sequence,"
                    " series_id, day, created_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                    (*values, *key, ts(now)),
                )
            else:
                await db.execute(
                    "UPDATE clinic_sessions SET status = ?, starts_at = ?, ends_at = ?,"
                    " reason = ?, sequence = sequence + 1 WHERE id = ?",
                    (*values, row.id),
                )
                # Reminders follow the new time.
                await db.execute("DELETE FROM clinic_reminders WHERE session_id = ?", (row.id,))
            found = await self._row(
                db, "SELECT id FROM clinic_sessions WHERE series_id = ? AND day = ?", key
            )
            assert found is not None
            roster = await self._roster(db, int(found[0]))
            await self._queue(db, messages(roster), now)
            return roster

    async def answer_rsvp(
        self,
        session_id: int,
        member_id: int,
        answer: Answer,
        bring: str,
        now: datetime,
        messages: RsvpMessages,
    ) -> RsvpResult:
        """Record an answer, deciding seat or waitlist (and any promotion) in one write.

        The seat count is read inside the write transaction, so members answering at once
        are seated one after another and never past the capacity.
        """
        async with self._tx() as db:
            session = await self._session(db, session_id)
            if session is None:
                raise KeyError(session_id)
            if session.cancelled or session.starts_at <= now:
                return RsvpResult(await self._roster(db, session_id), answer, closed=True)
            series = await self._series(db, session.series_id)
            assert series is not None
            # Only this member's row and a count: reading the whole roster here too would make
            # a rush of answers cost the square of its size.
            row = await self._row(db, RSVP_OF, (session_id, member_id))
            mine = None if row is None else rsvp_from(row)
            capacity = series.capacity
            seated = await self._row(db, SEATED_OTHERS, (session_id, member_id))
            others = int(seated[0]) if seated is not None else 0
            final, order = answer, None
            seated_already = mine is not None and mine.answer.seated
            full = capacity is not None and others >= capacity
            if answer.seated and not seated_already and full:
                final = Answer.WAITLIST
                if mine is not None and mine.answer is Answer.WAITLIST:
                    order = mine.waitlist_order
                else:
                    top = await self._row(
                        db,
                        "SELECT COALESCE(MAX(waitlist_order), 0) + 1 FROM clinic_rsvps"
                        " WHERE session_id = ?",
                        (session_id,),
                    )
                    order = int(top[0]) if top is not None else 1
            await db.execute(
                "INSERT INTO clinic_rsvps (session_id, member_id, answer, bring, wants_present,"
                " waitlist_order, answered_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?,"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM clinic_rsvps WHERE session_id = ?))"
                " ON CONFLICT (session_id, member_id) DO UPDATE SET answer = excluded.answer,"
                " bring = excluded.bring, wants_present = excluded.wants_present,"
                " waitlist_order = excluded.waitlist_order, answered_at = excluded.answered_at",
                (
                    session_id,
                    member_id,
                    final.value,
                    bring if answer is not Answer.CANT else "",
                    int(answer is Answer.PRESENTING),
                    order,
                    ts(now),
                    session_id,
                ),
            )
            promoted: list[int] = []
            if mine is not None and mine.answer.seated and not final.seated:
                promoted = await self._promote(db, session_id, capacity)
            after = await self._roster(db, session_id)
            result = RsvpResult(
                after,
                final,
                place=after.place(member_id),
                promoted=tuple(r for r in after.rsvps if r.member_id in promoted),
            )
            await self._queue(db, messages(result), now)
            return result

    async def record_notes(
        self,
        session_id: int,
        notes: str,
        recording: str | None,
        absent: Sequence[int],
        now: datetime,
        messages: RosterMessages,
    ) -> Roster:
        """Keep a session's notes and recording; mark these members as not attended."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE clinic_sessions SET notes = ?, recording = ? WHERE id = ?",
                (notes, recording, session_id),
            )
            await db.execute(
                f"UPDATE clinic_rsvps SET attended = 0 WHERE session_id = ?"
                f" AND member_id IN ({marks(absent)})",
                (session_id, *absent),
            )
            await self._close(db, session_id, now)
            roster = await self._roster(db, session_id)
            await self._queue(db, messages(roster), now)
            return roster

    async def _close(self, db: Db, session_id: int, now: datetime) -> bool:
        """Record attendance of an ended session once: going members attended unless marked."""
        cursor = await db.execute(
            "UPDATE clinic_sessions SET closed_at = ? WHERE id = ? AND closed_at IS NULL"
            " AND status != 'cancelled' AND ends_at <= ?",
            (ts(now), session_id, ts(now)),
        )
        if cursor.rowcount != 1:
            return False
        await db.execute(
            "UPDATE clinic_rsvps SET attended = 1 WHERE session_id = ? AND attended IS NULL"
            f" AND answer IN {SEATED}",
            (session_id,),
        )
        return True

    async def pending_reminders(self, now: datetime) -> list[PendingReminder]:
        """Coming sessions with reminders not yet sent (by the community's reminder times)."""
        async with self._read() as db:
            rows = await self._rows(
                db,
                "SELECT ses.*, cs.reminders AS offsets FROM clinic_sessions ses"
                " JOIN clinic_series s ON s.id = ses.series_id"
                " LEFT JOIN clinic_settings cs ON cs.community_id = s.community_id"
                " WHERE ses.status != 'cancelled' AND ses.starts_at > ?",
                (ts(now),),
            )
            ids = [int(r["id"]) for r in rows]
            sent = await self._rows(
                db,
                f"SELECT session_id, minutes FROM clinic_reminders"
                f" WHERE session_id IN ({marks(ids)})",
                ids,
            )
            series_ids = sorted({int(r["series_id"]) for r in rows})
            series = {
                s.id: s
                for s in map(
                    series_from,
                    await self._rows(
                        db, f"{SERIES} WHERE s.id IN ({marks(series_ids)})", series_ids
                    ),
                )
            }
        done: dict[int, set[int]] = {}
        for row in sent:
            done.setdefault(int(row[0]), set()).add(int(row[1]))
        pending = []
        for row in rows:
            session = session_from(row)
            wanted = [int(o.total_seconds() // 60) for o in offsets_from(row["offsets"])]
            left = tuple(m for m in wanted if m not in done.get(session.id, set()))
            if left:
                pending.append(PendingReminder(series[session.series_id], session, left))
        return pending

    async def record_reminders(
        self,
        read: SessionRow,
        minutes: Sequence[int],
        now: datetime,
        messages: RosterMessages,
    ) -> bool:
        """Record these reminders of a session with their DMs, once; False if already done."""
        async with self._tx() as db:
            row = await self._session(db, read.id)
            if row is None or row.cancelled or not as_read(row, read) or row.starts_at <= now:
                return False
            recorded = 0
            for minute in minutes:
                cursor = await db.execute(
                    "INSERT INTO clinic_reminders (session_id, minutes, created_at)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (read.id, minute, ts(now)),
                )
                recorded += cursor.rowcount
            if not recorded:
                return False
            await self._queue(db, messages(await self._roster(db, read.id)), now)
            return True

    async def next_session_end(self, now: datetime) -> datetime | None:
        """When the next held session ends and its attendance is due."""
        async with self._read() as db:
            row = await self._row(
                db,
                "SELECT MIN(ends_at) FROM clinic_sessions"
                " WHERE closed_at IS NULL AND status != 'cancelled'",
            )
        return None if row is None or row[0] is None else datetime.fromisoformat(row[0])

    async def close_ended_sessions(self, now: datetime, messages: RosterMessages) -> int:
        """Record attendance of every session that has ended; how many were closed."""
        async with self._tx() as db:
            rows = await self._rows(
                db,
                "SELECT id FROM clinic_sessions WHERE closed_at IS NULL"
                " AND status != 'cancelled' AND ends_at <= ?",
                (ts(now),),
            )
            closed = 0
            for row in rows:
                if await self._close(db, int(row[0]), now):
                    closed += 1
                    await self._queue(db, messages(await self._roster(db, int(row[0]))), now)
            return closed


async def _store_session(
    db: Db, series: Series, day: date, starts_at: datetime, now: datetime
) -> None:
    """Store a session where its rule puts it, unless it is stored already."""
    await db.execute(
        "INSERT INTO clinic_sessions (series_id, day, starts_at, ends_at, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (series.id, day.isoformat(), ts(starts_at), ts(starts_at + series.duration), ts(now)),
    )
