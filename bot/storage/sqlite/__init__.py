"""The SQLite store: the one connection (``connection.py``) with every SQL module's mixin.

The SQL modules (``bot/storage/sql/``, one per part: identity, outbox, one per feature) are
shared with PostgreSQL (``bot/storage/postgres/``); opening and checking the file is
``bot/storage/sqlite_open.py``. A new feature adds its module there and its mixin to both
stores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from bot.storage.sqlite.connection import ConnectionBase
from bot.storage.sqlite_schema import check_existing_file as check_existing_file
from bot.storage.sqlite_schema import migrations as migrations


class SqliteStore(
    ConnectionBase,
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
    """Crossfade's storage on one SQLite file (WAL, foreign keys on)."""


if TYPE_CHECKING:
    # mypy checks here that the store is every Protocol the core and the features type with.
    from bot.features.admin.store import AdminStore
    from bot.features.checkins.store import CheckinStore
    from bot.features.clinics.calendar import CalendarStore
    from bot.features.clinics.store import ClinicStore
    from bot.features.gigs.store import GigStore
    from bot.features.profile.store import ProfileStore
    from bot.features.sprints.store import SprintStore
    from bot.storage.base import Store

    def _is_every_store(
        store: SqliteStore,
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
