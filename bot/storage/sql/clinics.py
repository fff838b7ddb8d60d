"""Clinics in SQLite: hosts, series (numbered per community, split by edits) and settings.

``ClinicSql`` is a mixin of ``SqliteStore``; its sessions are in ``clinic_sessions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.features.clinics.models import NewSeries, Person, Series, SeriesChange, Tally
from bot.features.clinics.store import FateMessages, SessionChanged
from bot.storage.sql.clinic_rows import SEATED, SERIES, offsets_from, series_from
from bot.storage.sql.clinic_sessions import ClinicSessionSql, as_read
from bot.storage.sql.db import Db, inserted_id, ts

_HELD = "s.closed_at IS NOT NULL AND s.status != 'cancelled'"


class ClinicSql(ClinicSessionSql):
    """Every clinic query of SqliteStore."""

    async def add_clinic_host(self, community_id: int, member_id: int, now: datetime) -> bool:
        """Make a member a host; False if they were one already."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT INTO clinic_hosts (community_id, member_id, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (community_id, member_id, ts(now)),
            )
            return cursor.rowcount == 1

    async def remove_clinic_host(self, community_id: int, member_id: int) -> bool:
        """Take a member off the hosts; False if they weren't one."""
        async with self._tx() as db:
            cursor = await db.execute(
                "DELETE FROM clinic_hosts WHERE community_id = ? AND member_id = ?",
                (community_id, member_id),
            )
            return cursor.rowcount == 1

    async def clinic_hosts(self, community_id: int) -> list[Person]:
        """The community's hosts, by name."""
        async with self._read() as db:
            rows = await self._rows(
                db,
                "SELECT m.id, m.ext_id, m.display_name FROM clinic_hosts h"
                " JOIN members m ON m.id = h.member_id WHERE h.community_id = ?"
                " ORDER BY m.display_name COLLATE NOCASE",
                (community_id,),
            )
        return [Person(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def is_clinic_host(self, community_id: int, member_id: int) -> bool:
        """Whether an admin made the member a host."""
        async with self._read() as db:
            row = await self._row(
                db,
                "SELECT 1 FROM clinic_hosts WHERE community_id = ? AND member_id = ?",
                (community_id, member_id),
            )
        return row is not None

    async def _insert_series(
        self, db: Db, new: NewSeries, number: int, part: int, now: datetime
    ) -> int:
        new_id = await inserted_id(
            db,
            "INSERT INTO clinic_series (community_id, number, part, title, bring, host_id, rrule,"
            " start_local, timezone, duration_minutes, location, capacity, announce_days,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                new.community_id,
                number,
                part,
                new.title,
                new.bring,
                new.host_id,
                new.schedule.rrule,
                new.schedule.start.isoformat(),
                new.schedule.zone,
                int(new.duration.total_seconds() // 60),
                new.location,
                new.capacity,
                new.announce_days,
                ts(now),
            ),
        )
        assert new_id is not None
        return new_id

    async def create_series(self, new: NewSeries, now: datetime) -> Series:
        """Insert a series as the next clinic number of its community."""
        async with self._tx() as db:
            top = await self._row(
                db,
                "SELECT COALESCE(MAX(number), 0) + 1 FROM clinic_series WHERE community_id = ?",
                (new.community_id,),
            )
            assert top is not None
            series_id = await self._insert_series(db, new, int(top[0]), 1, now)
            series = await self._series(db, series_id)
        assert series is not None
        return series

    async def get_series(self, series_id: int) -> Series | None:
        """A series by id."""
        async with self._read() as db:
            return await self._series(db, series_id)

    async def community_series(self, community_id: int) -> list[Series]:
        """Every series of a community, every part, by number then part."""
        async with self._read() as db:
            rows = await self._rows(
                db, f"{SERIES} WHERE s.community_id = ? ORDER BY s.number, s.part", (community_id,)
            )
        return [series_from(r) for r in rows]

    async def live_series(self) -> list[Series]:
        """Every series of every community that may still have sessions (for timed jobs)."""
        async with self._read() as db:
            rows = await self._rows(db, f"{SERIES} WHERE s.status = 'active' ORDER BY s.id")
        return [series_from(r) for r in rows]

    async def change_series(
        self, change: SeriesChange, now: datetime, messages: FateMessages
    ) -> Series | None:
        """End a series or split it (guarded: SessionChanged if not as read); the new part.

        The old part keeps its sessions before the cut; each stored session after it is
        rehomed to the new part (same day, RSVPs kept) or cancelled, as its fate says.
        """
        old = change.series
        async with self._tx() as db:
            current = await self._series(db, old.id)
            later = await self._row(
                db,
                "SELECT 1 FROM clinic_series WHERE community_id = ? AND number = ? AND part > ?",
                (old.community_id, old.number, old.part),
            )
            if current is None or current != old or later is not None:
                raise SessionChanged(old.id)
            await db.execute(
                "UPDATE clinic_series SET rrule = ?, status = ?, sequence = sequence + 1"
                " WHERE id = ?",
                (
                    change.cut_rrule or old.schedule.rrule,
                    "active" if change.cut_rrule else "void",
                    old.id,
                ),
            )
            new_id = None
            if change.new is not None:
                new_id = await self._insert_series(db, change.new, old.number, old.part + 1, now)
            for fate in change.fates:
                row = await self._session(db, fate.read.id)
                if not as_read(row, fate.read):
                    raise SessionChanged(fate.read.id)
                if new_id is not None and fate.starts_at is not None and fate.ends_at is not None:
                    await db.execute(
                        "UPDATE clinic_sessions SET series_id = ?, starts_at = ?, ends_at = ?,"
                        " sequence = sequence + 1 WHERE id = ?",
                        (new_id, ts(fate.starts_at), ts(fate.ends_at), fate.read.id),
                    )
                    if fate.starts_at != fate.read.starts_at:
                        await db.execute(
                            "DELETE FROM clinic_reminders WHERE session_id = ?", (fate.read.id,)
                        )
                else:
                    await db.execute(
                        "UPDATE clinic_sessions SET status = 'cancelled', reason = ?,"
                        " sequence = sequence + 1 WHERE id = ?",
                        (change.reason, fate.read.id),
                    )
                roster = await self._roster(db, fate.read.id)
                await self._queue(db, messages(roster, fate), now)
            return None if new_id is None else await self._series(db, new_id)

    async def clinic_reminders(self, community_id: int) -> tuple[timedelta, ...]:
        """The community's reminder times before a session."""
        async with self._read() as db:
            row = await self._row(
                db, "SELECT reminders FROM clinic_settings WHERE community_id = ?", (community_id,)
            )
        return offsets_from(None if row is None else str(row[0]))

    async def set_clinic_reminders(self, community_id: int, offsets: Sequence[timedelta]) -> None:
        """Change the community's reminder times."""
        stored = ",".join(str(int(o.total_seconds() // 60)) for o in offsets)
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO clinic_settings (community_id, reminders) VALUES (?, ?)"
                " ON CONFLICT (community_id) DO UPDATE SET reminders = excluded.reminders",
                (community_id, stored),
            )

    async def member_clinic_reminders(self, member_id: int) -> bool:
        """Whether the member gets clinic reminders."""
        async with self._read() as db:
            row = await self._row(
                db, "SELECT reminders FROM clinic_member_settings WHERE member_id = ?", (member_id,)
            )
        return row is None or bool(row[0])

    async def set_member_clinic_reminders(self, member_id: int, on: bool) -> None:
        """Turn a member's clinic reminders on or off."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO clinic_member_settings (member_id, reminders) VALUES (?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET reminders = excluded.reminders",
                (member_id, int(on)),
            )

    async def clinic_tally(self, member_id: int) -> Tally:
        """How many clinics a member attended, presented at and hosted (held sessions only)."""
        async with self._read() as db:
            came = await self._row(
                db,
                "SELECT COUNT(*),"
                " COALESCE(SUM(CASE WHEN r.answer = 'presenting' THEN 1 ELSE 0 END), 0)"
                " FROM clinic_rsvps r"
                f" JOIN clinic_sessions s ON s.id = r.session_id WHERE r.member_id = ?"
                f" AND r.attended = 1 AND r.answer IN {SEATED} AND {_HELD}",
                (member_id,),
            )
            hosted = await self._row(
                db,
                "SELECT COUNT(*) FROM clinic_sessions s JOIN clinic_series c ON c.id = s.series_id"
                f" WHERE c.host_id = ? AND {_HELD}",
                (member_id,),
            )
        assert came is not None
        assert hosted is not None
        return Tally(attended=int(came[0]), presented=int(came[1]), hosted=int(hosted[0]))
