"""The PostgreSQL store: a pool (``connection.py``) with the same SQL modules as SQLite's.

Selected by ``CROSSFADE_DATABASE_URL=postgresql://…``; needs the ``postgres`` extra
(asyncpg). Its schema is its own versioned migrations (``migrations/``), kept equal to
SQLite's by tests/test_schema_parity.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.postgres.connection import PostgresConnection
from bot.storage.sql.checkin_jobs import CheckinJobSql
from bot.storage.sql.checkins import CheckinSql
from bot.storage.sql.clinic_calendar import ClinicCalendarSql
from bot.storage.sql.clinics import ClinicSql
from bot.storage.sql.gig_matches import GigMatchSql
from bot.storage.sql.gig_posts import GigPostSql
from bot.storage.sql.gig_reads import GigReadSql
from bot.storage.sql.identity import IdentitySql
from bot.storage.sql.native_events import NativeEventSql
from bot.storage.sql.nudges import NudgeSql
from bot.storage.sql.outbox import OutboxSql
from bot.storage.sql.sprints import SprintSql


class PostgresStore(
    PostgresConnection,
    IdentitySql,
    OutboxSql,
    NativeEventSql,
    SprintSql,
    CheckinSql,
    CheckinJobSql,
    NudgeSql,
    ClinicSql,
    ClinicCalendarSql,
    GigReadSql,
    GigPostSql,
    GigMatchSql,
):
    """Crossfade's storage on a PostgreSQL database, shareable by several processes."""


if TYPE_CHECKING:
    from bot.features.admin.store import AdminStore
    from bot.features.checkins.store import CheckinStore
    from bot.features.clinics.calendar import CalendarStore
    from bot.features.clinics.store import ClinicStore
    from bot.features.gigs.store import GigStore
    from bot.features.profile.store import ProfileStore
    from bot.features.sprints.store import SprintStore
    from bot.storage.base import Store

    def _is_every_store(
        store: PostgresStore,
    ) -> tuple[
        Store,
        SprintStore,
        CheckinStore,
        ProfileStore,
        AdminStore,
        ClinicStore,
        CalendarStore,
        GigStore,
    ]:
        return store, store, store, store, store, store, store, store
