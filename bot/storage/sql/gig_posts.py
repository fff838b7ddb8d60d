"""Posting gig leads in SQLite: numbering, limits, edits, closing, reports, approval, expiry.

``GigPostSql`` is a mixin of ``SqliteStore``. Every change is compare-and-set on the lead's
``version`` and queues its messages in the same transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

from bot.features.gigs.models import Gig, GigDraft, GigSettings, GigStatus
from bot.features.gigs.post_store import (
    GigMessages,
    GigView,
    Messages,
    NewGig,
    PostingLimit,
    ReportMessages,
)
from bot.features.gigs.store import GigChanged
from bot.storage.sql.db import Db, SqlBase, dt, inserted_id, ts
from bot.storage.sql.gig_rows import GIG_COLUMNS, draft_values, gig_from
from bot.storage.sql.outbox import enqueue_in

_DRAFT_COLUMNS = (
    "title", "details", "skills", "pay_min", "pay_max", "currency", "pay_per", "place",
    "starts_on", "ends_on", "link",
)  # fmt: skip
# What a change may write besides the draft ("draft" writes every draft column).
_WRITABLE = frozenset(
    {
        "status", "outcome", "hired_member_id", "hired_name", "reason", "published_at",
        "edited_at", "expires_at", "closed_at", "warned_at", "warn_at", "matched_at",
    }
)  # fmt: skip
_OPEN_UNWARNED = "status = 'open' AND warned_at IS NULL AND warn_at IS NOT NULL"


def _value(value: object) -> object:
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _assignments(changes: Mapping[str, object]) -> tuple[list[str], list[object]]:
    columns: list[str] = []
    values: list[object] = []
    for name, value in changes.items():
        if name == "draft":
            assert isinstance(value, GigDraft)
            columns += _DRAFT_COLUMNS
            values += draft_values(value)
        elif name in _WRITABLE:
            columns.append(name)
            values.append(_value(value))
        else:
            raise ValueError(f"gigs.{name} is not a column a change writes")
    return [f"{c} = ?" for c in columns], values


async def _gig_in(db: Db, gig_id: int) -> GigView:
    row = await (
        await db.execute(f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.id = ?", (gig_id,))
    ).fetchone()
    assert row is not None
    who = await (
        await db.execute(
            "SELECT member_id FROM gig_interest WHERE gig_id = ? ORDER BY created_at, member_id",
            (gig_id,),
        )
    ).fetchall()
    return GigView(gig_from(row), tuple(int(r[0]) for r in who))


async def _queue(db: Db, view: GigView, sent: GigMessages, now: datetime) -> GigView:
    """Queue a change's messages; a new post or review card becomes the lead's own."""
    for item in sent.others:
        await enqueue_in(db, item, now)
    for column, new in (("post_id", sent.post), ("review_id", sent.review)):
        if new is not None:
            outbox_id = await enqueue_in(db, new, now)
            await db.execute(f"UPDATE gigs SET {column} = ? WHERE id = ?", (outbox_id, view.gig.id))
    if sent.post is None and sent.review is None:
        return view
    return await _gig_in(db, view.gig.id)


class GigPostSql(SqlBase):
    """Every posting and moderation query of SqliteStore."""

    async def gig_settings(self, community_id: int) -> GigSettings:
        """The community's posting limits (the defaults if never set)."""
        row = await self._one(
            "SELECT posts_per_week, min_member_days, approval FROM gig_settings"
            " WHERE community_id = ?",
            (community_id,),
        )
        if row is None:
            return GigSettings()
        return GigSettings(int(row[0]), int(row[1]), bool(row[2]))

    async def set_gig_settings(self, community_id: int, settings: GigSettings) -> None:
        """Save the community's posting limits."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO gig_settings (community_id, posts_per_week, min_member_days, approval)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET"
                " posts_per_week = excluded.posts_per_week,"
                " min_member_days = excluded.min_member_days, approval = excluded.approval",
                (
                    community_id,
                    settings.posts_per_week,
                    settings.min_member_days,
                    int(settings.approval),
                ),
            )

    async def member_since(self, member_id: int) -> datetime:
        """When a member first reached the bot."""
        row = await self._one("SELECT created_at FROM members WHERE id = ?", (member_id,))
        assert row is not None
        return dt(row[0])

    async def create_gig(self, new: NewGig, now: datetime, messages: Messages) -> Gig:
        """Number and insert a lead and queue its messages; PostingLimit if over the limit."""
        async with self._tx() as db:
            made = list(
                await (
                    await db.execute(
                        # Rejected leads give their slot back (the poster may post it again
                        # with the change); deleted ones still count.
                        "SELECT created_at FROM gigs WHERE poster_id = ? AND created_at > ?"
                        " AND status != 'rejected' ORDER BY created_at",
                        (new.poster_id, ts(new.since)),
                    )
                ).fetchall()
            )
            if len(made) >= new.limit:
                # The slot frees up when enough of these leave the window.
                oldest = dt(made[len(made) - new.limit][0]) if new.limit > 0 else now
                raise PostingLimit(oldest + (now - new.since))
            top = await (
                await db.execute(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM gigs WHERE community_id = ?",
                    (new.community_id,),
                )
            ).fetchone()
            assert top is not None
            published = now if new.status is GigStatus.OPEN else None
            new_id = await inserted_id(
                db,
                "INSERT INTO gigs (community_id, number, poster_id, title, details, skills,"
                " pay_min, pay_max, currency, pay_per, place, starts_on, ends_on, link, status,"
                " created_at, published_at, expires_at, warn_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    new.community_id,
                    int(top[0]),
                    new.poster_id,
                    *draft_values(new.draft),
                    new.status.value,
                    ts(now),
                    None if published is None else ts(published),
                    ts(new.expires_at),
                    None if new.warn_at is None else ts(new.warn_at),
                ),
            )
            assert new_id is not None
            view = await _gig_in(db, new_id)
            view = await _queue(db, view, messages(view), now)
        return view.gig

    async def change_gig(
        self, gig: Gig, changes: Mapping[str, object], now: datetime, messages: Messages
    ) -> Gig:
        """Write a lead's changed columns if its version is still ``gig.version`` (GigChanged
        otherwise) and queue the messages decided from the result."""
        sets, values = _assignments(changes)
        async with self._tx() as db:
            cursor = await db.execute(
                f"UPDATE gigs SET {', '.join([*sets, 'version = version + 1'])}"
                " WHERE id = ? AND version = ?",
                (*values, gig.id, gig.version),
            )
            if cursor.rowcount != 1:
                raise GigChanged(gig.id)
            view = await _gig_in(db, gig.id)
            view = await _queue(db, view, messages(view), now)
        return view.gig

    async def report_gig(
        self,
        gig: Gig,
        member_id: int,
        reason: str,
        now: datetime,
        hide_at: int,
        messages: ReportMessages,
    ) -> GigView | None:
        """Record a member's report (None if they reported it already); the ``hide_at``-th
        report of an open lead hides it. Its messages are queued with it."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT INTO gig_reports (gig_id, member_id, reason, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (gig.id, member_id, reason, ts(now)),
            )
            if cursor.rowcount != 1:
                return None
            row = await (
                await db.execute("SELECT COUNT(*) FROM gig_reports WHERE gig_id = ?", (gig.id,))
            ).fetchone()
            assert row is not None
            count = int(row[0])
            if count == hide_at:
                await db.execute(
                    "UPDATE gigs SET status = 'hidden', version = version + 1"
                    " WHERE id = ? AND status = 'open'",
                    (gig.id,),
                )
            view = await _gig_in(db, gig.id)
            return await _queue(db, view, messages(view, count), now)

    async def gig_reports(self, gig_id: int) -> list[tuple[int, str]]:
        """Who reported a lead and why, first first."""
        rows = await self._all(
            "SELECT member_id, reason FROM gig_reports WHERE gig_id = ?"
            " ORDER BY created_at, member_id",
            (gig_id,),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    async def recent_gigs(self, community_id: int, limit: int = 100) -> list[Gig]:
        """A community's leads, newest first (for type-ahead)."""
        rows = await self._all(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.community_id = ?"
            " ORDER BY g.number DESC LIMIT ?",
            (community_id, limit),
        )
        return [gig_from(r) for r in rows]

    async def poster_gigs(self, member_id: int) -> list[GigView]:
        """A poster's leads (not deleted), newest first, with who is interested."""
        async with self._read() as db:
            rows = await (
                await db.execute(
                    "SELECT id FROM gigs WHERE poster_id = ? AND status != 'deleted'"
                    " ORDER BY created_at DESC, id DESC LIMIT 25",
                    (member_id,),
                )
            ).fetchall()
            return [await _gig_in(db, int(r[0])) for r in rows]

    async def gigs_hired(self, member_id: int) -> list[Gig]:
        """The filled leads a member was named as hired for, oldest first."""
        rows = await self._all(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.hired_member_id = ?"
            " AND g.status = 'closed' AND g.outcome = 'filled' ORDER BY g.closed_at, g.id",
            (member_id,),
        )
        return [gig_from(r) for r in rows]

    async def gigs_to_warn(self, now: datetime) -> list[Gig]:
        """Open leads whose expiry warning is due."""
        rows = await self._all(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE {_OPEN_UNWARNED}"
            " AND warn_at <= ? AND expires_at > ? ORDER BY warn_at, id",
            (ts(now), ts(now)),
        )
        return [gig_from(r) for r in rows]

    async def next_gig_warning(self, now: datetime) -> datetime | None:
        """When the next expiry warning is due (what ``gigs_to_warn`` will return)."""
        row = await self._one(
            f"SELECT MIN(warn_at) FROM gigs WHERE {_OPEN_UNWARNED} AND expires_at > ?",
            (ts(now),),
        )
        return None if row is None or row[0] is None else dt(row[0])

    async def gigs_to_expire(self, now: datetime) -> list[Gig]:
        """Open leads whose time has run out."""
        rows = await self._all(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.status = 'open' AND g.expires_at <= ?"
            " ORDER BY g.expires_at, g.id",
            (ts(now),),
        )
        return [gig_from(r) for r in rows]

    async def next_gig_expiry(self, now: datetime) -> datetime | None:
        """When the next open lead runs out (what ``gigs_to_expire`` will return)."""
        row = await self._one("SELECT MIN(expires_at) FROM gigs WHERE status = 'open'")
        return None if row is None or row[0] is None else dt(row[0])
