"""Clinic rows: SQL shared by the clinic mixins (clinics, clinic_sessions), rows as records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.features.clinics.models import (
    DEFAULT_REMINDERS,
    Answer,
    Roster,
    Rsvp,
    Series,
    SessionRow,
    SessionStatus,
)
from bot.features.clinics.recurrence import Schedule
from bot.models import NewOutbox
from bot.storage.sql.db import Db, Row, SqlBase
from bot.storage.sql.outbox import enqueue_in

SERIES = (
    "SELECT s.*, m.display_name AS host_name FROM clinic_series s"
    " JOIN members m ON m.id = s.host_id"
)
RSVPS = (
    "SELECT r.*, m.ext_id, m.display_name, COALESCE(ms.reminders, 1) AS reminders"
    " FROM clinic_rsvps r JOIN members m ON m.id = r.member_id"
    " LEFT JOIN clinic_member_settings ms ON ms.member_id = r.member_id"
    " WHERE r.session_id = ? ORDER BY r.answered_at, r.seq"
)
SEATED = "('going', 'presenting')"
# One member's answer, read as RSVPS reads every answer.
RSVP_OF = RSVPS.replace("WHERE r.session_id = ?", "WHERE r.session_id = ? AND r.member_id = ?")
# Seats taken by everyone but one member.
SEATED_OTHERS = (
    f"SELECT COUNT(*) FROM clinic_rsvps WHERE session_id = ? AND answer IN {SEATED}"
    " AND member_id != ?"
)


def marks(values: Sequence[object]) -> str:
    """Placeholders for an IN list."""
    return ",".join("?" for _ in values) or "NULL"


def offsets_from(stored: str | None) -> tuple[timedelta, ...]:
    """Reminder times as stored (minutes, comma-separated); the defaults when never set."""
    if stored is None:
        return DEFAULT_REMINDERS
    return tuple(timedelta(minutes=int(m)) for m in stored.split(",") if m)


def series_from(row: Row) -> Series:
    """A series record from its row (joined with its host's name)."""
    return Series(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        number=int(row["number"]),
        part=int(row["part"]),
        title=str(row["title"]),
        bring=str(row["bring"]),
        host_id=int(row["host_id"]),
        host_name=str(row["host_name"]),
        schedule=Schedule(
            str(row["rrule"]), datetime.fromisoformat(row["start_local"]), str(row["timezone"])
        ),
        duration=timedelta(minutes=int(row["duration_minutes"])),
        location=str(row["location"]),
        capacity=None if row["capacity"] is None else int(row["capacity"]),
        announce_days=int(row["announce_days"]),
        void=row["status"] == "void",
        sequence=int(row["sequence"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def session_from(row: Row) -> SessionRow:
    """A session record from its row."""
    closed = row["closed_at"]
    return SessionRow(
        id=int(row["id"]),
        series_id=int(row["series_id"]),
        day=date.fromisoformat(row["day"]),
        starts_at=datetime.fromisoformat(row["starts_at"]),
        ends_at=datetime.fromisoformat(row["ends_at"]),
        status=SessionStatus(row["status"]),
        reason=str(row["reason"]),
        sequence=int(row["sequence"]),
        announcement_id=row["announcement_id"],
        notes=str(row["notes"]),
        recording=row["recording"],
        closed_at=None if closed is None else datetime.fromisoformat(closed),
    )


def rsvp_from(row: Row) -> Rsvp:
    """An answer record from its row (joined with the member)."""
    attended = row["attended"]
    return Rsvp(
        member_id=int(row["member_id"]),
        ext_id=str(row["ext_id"]),
        name=str(row["display_name"]),
        answer=Answer(row["answer"]),
        bring=str(row["bring"]),
        wants_present=bool(row["wants_present"]),
        waitlist_order=row["waitlist_order"],
        attended=None if attended is None else bool(attended),
        reminders=bool(row["reminders"]),
    )


class ClinicRows(SqlBase):
    """Reads shared by the clinic mixins, inside their transactions."""

    @staticmethod
    async def _rows(db: Db, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await (await db.execute(sql, params)).fetchall())

    @staticmethod
    async def _row(db: Db, sql: str, params: Sequence[Any] = ()) -> Any:
        return await (await db.execute(sql, params)).fetchone()

    async def _series(self, db: Db, series_id: int) -> Series | None:
        row = await self._row(db, f"{SERIES} WHERE s.id = ?", (series_id,))
        return None if row is None else series_from(row)

    async def _session(self, db: Db, session_id: int) -> SessionRow | None:
        row = await self._row(db, "SELECT * FROM clinic_sessions WHERE id = ?", (session_id,))
        return None if row is None else session_from(row)

    async def _roster(self, db: Db, session_id: int) -> Roster:
        session = await self._session(db, session_id)
        if session is None:
            raise KeyError(session_id)
        series = await self._series(db, session.series_id)
        assert series is not None
        rsvps = tuple(rsvp_from(r) for r in await self._rows(db, RSVPS, (session_id,)))
        return Roster(series, session, rsvps)

    async def _queue(self, db: Db, items: Sequence[NewOutbox], now: datetime) -> list[int]:
        return [await enqueue_in(db, item, now) for item in items]

    async def _promote(self, db: Db, session_id: int, capacity: int | None) -> list[int]:
        """Seat waitlisted members, first in line first, while seats are free."""
        promoted: list[int] = []
        while True:
            row = await self._row(
                db,
                f"SELECT COUNT(*) FROM clinic_rsvps WHERE session_id = ? AND answer IN {SEATED}",
                (session_id,),
            )
            if capacity is not None and row is not None and int(row[0]) >= capacity:
                return promoted
            first = await self._row(
                db,
                "SELECT member_id FROM clinic_rsvps WHERE session_id = ? AND answer = 'waitlist'"
                " ORDER BY waitlist_order, seq LIMIT 1",
                (session_id,),
            )
            if first is None:
                return promoted
            await db.execute(
                "UPDATE clinic_rsvps SET waitlist_order = NULL, answer = CASE wants_present"
                " WHEN 1 THEN 'presenting' ELSE 'going' END WHERE session_id = ? AND member_id = ?",
                (session_id, first[0]),
            )
            promoted.append(int(first[0]))
