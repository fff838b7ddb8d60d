"""Running the chat platforms: a process serves every configured platform (Slack, Discord).

On PostgreSQL several such processes may share one database: each delivers, one at a
time runs the timed jobs (bot/engine.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import SystemClock
from bot.config import Settings
from bot.delivery import Dispatcher, Transport
from bot.engine import Engine
from bot.features import FEATURES
from bot.features.base import routes_of
from bot.heartbeats import clear_stale, heartbeat_path
from bot.metrics import Metrics, metrics_route
from bot.scheduler import Scheduler
from bot.status import Status
from bot.storage.opening import open_store
from bot.storage.sqlite import SqliteStore
from bot.web_routes import Route

if TYPE_CHECKING:
    from bot.storage.postgres import PostgresStore

log = logging.getLogger(__name__)


class PlatformAdapter(Protocol):
    """A connected platform: it translates chat to the core and posts through its transport."""

    transport: Transport

    async def start(self) -> None:
        """Connect and begin serving (returns once connected)."""
        ...

    async def stop(self) -> None:
        """Disconnect cleanly."""
        ...

    def report_to(self, status: Status) -> None:
        """Report the connection's ups and downs into ``status`` (before ``start``)."""
        ...


def build_adapters(
    settings: Settings,
    core: Crossfade,
    status: Status | None = None,
    web_app: WebApp | None = None,
) -> list[PlatformAdapter]:
    """The adapters the settings ask for; each platform's library is imported only if used.

    Each reports its connection into ``status`` (the record the health check reads); an
    endpoint a platform calls (Slack's HTTP mode) is mounted on ``web_app``.
    """
    adapters: list[PlatformAdapter] = []
    if settings.wants_slack:
        from adapters.slack.adapter import SlackAdapter

        slack = SlackAdapter.from_settings(settings, core)
        if web_app is not None:
            slack.mount(web_app)
        adapters.append(slack)
    if settings.wants_discord:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter.from_settings(settings, core))
    if status is not None:
        for adapter in adapters:
            adapter.report_to(status)
    return adapters


async def run_platforms(settings: Settings, routes: Sequence[Route] = ()) -> None:
    """Serve Slack and/or Discord, and the web app with ``routes``, until interrupted."""
    store = await open_store(settings)
    clock = SystemClock()
    metrics, status = Metrics(), Status(clock)
    metrics.watch(store, clock, status)
    served = [*routes, *routes_of(FEATURES, store, clock), metrics_route(metrics)]
    web_app = WebApp.from_settings(
        settings, console=False, routes=served, jobs=store.jobs_last_completed
    )
    try:
        await _serve(settings, store, web_app, clock, metrics, status)
    finally:
        await web_app.stop()
        await store.close()


async def _serve(
    settings: Settings,
    store: SqliteStore | PostgresStore,
    web_app: WebApp,
    clock: SystemClock,
    metrics: Metrics,
    status: Status,
) -> None:
    web_app.listen()  # a port in use stops start-up before anything connects
    holder: list[Scheduler] = []
    core = Crossfade(
        store,
        clock,
        on_queued=lambda: holder[0].poke() if holder else None,
        public_url=web_app.public_url,
        metrics=metrics,
    )
    adapters = build_adapters(settings, core, status, web_app)
    transports = {a.transport.platform: a.transport for a in adapters}
    dispatcher = Dispatcher(store, clock, transports, metrics=metrics)
    scheduler = Scheduler(
        Engine(store, clock, dispatcher, metrics=metrics),
        heartbeat=heartbeat_path(settings.db_path),
        status=status,
    )
    holder.append(scheduler)
    # Heartbeats this machine's dead processes left (a container's previous pid 1 included).
    clear_stale(settings.db_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for adapter in adapters:
            await adapter.start()
        await web_app.start()
        await scheduler.engine.resume()
        scheduler.start()
        # Rows another process queues wake this one too (PostgreSQL shared by several).
        await store.watch_outbox(scheduler.poke)
        log.info("Crossfade is running on %s", ", ".join(dispatcher.platforms()))
        await stop.wait()
    finally:
        scheduler.shutdown()
        for adapter in adapters:
            await adapter.stop()
