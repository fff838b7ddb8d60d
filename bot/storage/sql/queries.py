"""Every feature's SQL in one class: what SqliteStore and PostgresStore both are, over their
own connection (``SqliteStore(ConnectionBase, SqlQueries)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.sql.checkin_jobs import CheckinJobSql
from bot.storage.sql.checkins import CheckinSql
from bot.storage.sql.clinic_calendar import ClinicCalendarSql
from bot.storage.sql.clinics import ClinicSql
from bot.storage.sql.communities import CommunitySql
from bot.storage.sql.gig_matches import GigMatchSql
from bot.storage.sql.gig_posts import GigPostSql
from bot.storage.sql.gig_reads import GigReadSql
from bot.storage.sql.identity import IdentitySql
from bot.storage.sql.installations import InstallationSql
from bot.storage.sql.native_events import NativeEventSql
from bot.storage.sql.nudges import NudgeSql
from bot.storage.sql.operations import OperationsSql
from bot.storage.sql.outbox import OutboxSql
from bot.storage.sql.shared_state import SharedStateSql
from bot.storage.sql.sprints import SprintSql


class SqlQueries(
    IdentitySql,
    OutboxSql,
    OperationsSql,
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
    SharedStateSql,
    InstallationSql,
    CommunitySql,
):
    """One mixin per module; a new feature adds its module's mixin here."""


if TYPE_CHECKING:
    # mypy checks here that both stores are every Protocol the core and the features type with.
    from bot.features.admin.store import AdminStore
    from bot.features.checkins.store import CheckinStore
    from bot.features.clinics.calendar import CalendarStore
    from bot.features.clinics.store import ClinicStore
    from bot.features.gigs.store import GigStore
    from bot.features.profile.store import ProfileStore
    from bot.features.sprints.store import SprintStore
    from bot.storage.base import Store
    from bot.storage.postgres import PostgresStore
    from bot.storage.sqlite import SqliteStore

    def _is_every_store(
        store: SqliteStore | PostgresStore,
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
