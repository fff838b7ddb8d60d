"""SQLite storage of native platform events (bot/native_events.py), a mixin of SqliteStore."""

from __future__ import annotations

import json
from datetime import datetime

from bot.models import NewOutbox
from bot.native_events import EventRecord, EventStatus, Interest, LiveEvent, NativeEvent
from bot.storage.sql.db import Row, SqlBase
from bot.storage.sql.db import ts as _ts
from bot.storage.sql.outbox import enqueue_in


def _record(row: Row) -> EventRecord:
    event = row["event"]
    return EventRecord(
        community_id=int(row["community_id"]),
        key=str(row["key"]),
        ref=row["ref"],
        status=EventStatus(row["status"]),
        applied_outbox_id=int(row["applied_outbox_id"]),
        creating=bool(row["creating"]),
        event=NativeEvent.from_dict(json.loads(event)) if event else None,
    )


class NativeEventSql(SqlBase):
    """Native events' platform ids, and members' interest in them."""

    async def native_event(self, community_id: int, key: str) -> EventRecord | None:
        """What is remembered of the event with this key."""
        row = await self._one(
            "SELECT * FROM native_events WHERE community_id = ? AND key = ?", (community_id, key)
        )
        return None if row is None else _record(row)

    async def native_event_by_ref(self, community_id: int, ref: str) -> EventRecord | None:
        """The event the platform calls ``ref``, if it is one of ours."""
        row = await self._one(
            "SELECT * FROM native_events WHERE community_id = ? AND ref = ?", (community_id, ref)
        )
        return None if row is None else _record(row)

    async def native_event_creating(self, community_id: int, key: str, now: datetime) -> None:
        """Note that a create is about to go out (a retry looks it up first)."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO native_events (community_id, key, creating, updated_at)"
                " VALUES (?, ?, 1, ?) ON CONFLICT (community_id, key) DO UPDATE SET"
                " ref = NULL, creating = 1, updated_at = excluded.updated_at",
                (community_id, key, _ts(now)),
            )

    async def native_event_applied(
        self,
        outbox_id: int,
        community_id: int,
        event: NativeEvent,
        ref: str | None,
        now: datetime,
    ) -> None:
        """Record the event's new state and platform id, and its outbox row delivered, at once."""
        async with self._tx() as db:
            old = await (
                await db.execute(
                    "SELECT ref FROM native_events WHERE community_id = ? AND key = ?",
                    (community_id, event.key),
                )
            ).fetchone()
            if old is not None and old["ref"] != ref:
                # Made again on the platform: nobody has shown interest in the new one yet.
                await db.execute(
                    "DELETE FROM native_event_interest WHERE community_id = ? AND key = ?",
                    (community_id, event.key),
                )
            await db.execute(
                "INSERT INTO native_events (community_id, key, ref, status, event, ends_at,"
                " applied_outbox_id, creating, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"
                " ON CONFLICT (community_id, key) DO UPDATE SET ref = excluded.ref,"
                " status = excluded.status, event = excluded.event, ends_at = excluded.ends_at,"
                " applied_outbox_id = excluded.applied_outbox_id, creating = 0,"
                " updated_at = excluded.updated_at"
                " WHERE native_events.applied_outbox_id < excluded.applied_outbox_id",
                (
                    community_id,
                    event.key,
                    ref,
                    event.status.value,
                    json.dumps(event.to_dict()),
                    _ts(event.ends_at),
                    outbox_id,
                    _ts(now),
                ),
            )
            await db.execute(
                "UPDATE outbox SET status = 'delivered', message_ref = ?, delivered_at = ?,"
                " last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (ref, _ts(now), outbox_id),
            )

    async def live_native_events(self, platform: str, now: datetime) -> list[LiveEvent]:
        """Scheduled events on a platform that haven't ended."""
        rows = await self._all(
            "SELECT e.community_id, c.ext_id, e.key, e.ref FROM native_events e"
            " JOIN communities c ON c.id = e.community_id"
            " WHERE c.platform = ? AND e.status = 'scheduled' AND e.ref IS NOT NULL"
            " AND e.ends_at > ? ORDER BY e.community_id, e.key",
            (platform, _ts(now)),
        )
        return [LiveEvent(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def native_interest(self, community_id: int, key: str) -> dict[int, Interest]:
        """Members' recorded interest in an event, by member id."""
        rows = await self._all(
            "SELECT member_id, interested, answers FROM native_event_interest"
            " WHERE community_id = ? AND key = ?",
            (community_id, key),
        )
        return {int(r[0]): Interest(int(r[0]), bool(r[1]), int(r[2])) for r in rows}

    async def record_interest(
        self,
        community_id: int,
        key: str,
        member_id: int,
        interested: bool,
        read: Interest | None,
        dm: NewOutbox | None,
        now: datetime,
    ) -> bool:
        """Record a change of interest with its DM, if it is still as ``read``; else False."""
        async with self._tx() as db:
            if read is None:
                cursor = await db.execute(
                    "INSERT INTO native_event_interest (community_id, key, member_id, interested,"
                    " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (community_id, key, member_id, int(interested), _ts(now)),
                )
            else:
                cursor = await db.execute(
                    "UPDATE native_event_interest SET interested = ?, answers = answers + 1,"
                    " updated_at = ? WHERE community_id = ? AND key = ? AND member_id = ?"
                    " AND answers = ?",
                    (int(interested), _ts(now), community_id, key, member_id, read.answers),
                )
            if cursor.rowcount != 1:
                return False  # answered meanwhile (a click and a re-read at once)
            if dm is not None:
                await enqueue_in(db, dm, now)
            return True
