"""What a running Crossfade counts, served on /metrics in Prometheus's text format.

One ``Metrics`` per process, handed to the core (``Crossfade``), the ``Dispatcher`` and the
``Engine``, which count what they see; its registry is its own (never prometheus-client's
global one), so two in one process (tests) stay apart. The outbox's backlog, the platform
connections and the deployment's last completed jobs are read when scraped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from bot.clock import Clock
from bot.pacing import Sleep
from bot.status import Status
from bot.storage.base import Store
from bot.web_routes import Route, WebRequest, WebResponse

METRICS_PATH = "/metrics"
# A command's three outcomes: done, refused with a line naming what to fix, or a bug.
OK, USER_ERROR, CRASH = "ok", "user_error", "crash"
# Commands answer within Slack's 3 seconds; past 10 s something is wrong.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Outcome:
    """How a command ended: OK, USER_ERROR or CRASH."""

    result: str = OK


class Metrics:
    """The process's counters, histogram and scrape-time readings, in a registry of its own."""

    def __init__(self, *, timer: Callable[[], float] = time.perf_counter) -> None:
        self.registry = CollectorRegistry()
        self._timer = timer
        self.commands = Counter(
            "crossfade_commands",
            "Commands run, by name and result (ok, user_error, crash).",
            ["command", "result"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "crossfade_command_seconds",
            "How long commands took to answer.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Counter(
            "crossfade_deliveries",
            "Outbox rows handled, by platform and result (sent, edited, retried, failed, "
            "recovered).",
            ["platform", "result"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "crossfade_rate_limited",
            "Sends a platform refused for its rate limit (429), by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.pacing_waits = Counter(
            "crossfade_pacing_waits",
            "Sends that waited for the bot's own pacing, by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.pacing_wait_seconds = Counter(
            "crossfade_pacing_wait_seconds",
            "Time sends spent waiting for the bot's own pacing, by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.jobs_completed = Gauge(
            "crossfade_process_jobs_last_completed_timestamp_seconds",
            "When this process last completed the timed jobs (0 while it never has: a standby).",
            registry=self.registry,
        )
        self._readings = _Readings()
        self.registry.register(self._readings)

    @contextmanager
    def command(self, name: str) -> Iterator[Outcome]:
        """Time one command and count it with the result set on the yielded ``Outcome``."""
        outcome = Outcome()
        started = self._timer()
        try:
            yield outcome
        finally:
            self.command_seconds.observe(max(0.0, self._timer() - started))
            self.commands.labels(name, outcome.result).inc()

    def delivered(self, platform: str, result: str, count: int = 1) -> None:
        """``count`` outbox rows of ``platform`` ended a try with ``result``."""
        if count:
            self.deliveries.labels(platform, result).inc(count)

    def pacing_sleep(self, platform: str, sleep: Sleep) -> Sleep:
        """``sleep``, counting each wait as ``platform``'s pacing wait."""

        async def counted(seconds: float) -> None:
            self.pacing_waits.labels(platform).inc()
            self.pacing_wait_seconds.labels(platform).inc(max(0.0, seconds))
            await sleep(seconds)

        return counted

    def jobs_done(self, moment: datetime) -> None:
        """This process completed the timed jobs at ``moment``."""
        self.jobs_completed.set(moment.timestamp())

    def watch(self, store: Store, clock: Clock, status: Status | None = None) -> None:
        """Read the outbox, the deployment's jobs and ``status``'s connections at each scrape."""
        self._readings.sources = (store, clock, status)

    async def scrape(self) -> bytes:
        """Everything, as of now, in Prometheus's text format."""
        await self._readings.read()
        return generate_latest(self.registry)


class _Readings(Collector):
    """What is read at scrape time: read (awaited) first, then collected."""

    def __init__(self) -> None:
        self.sources: tuple[Store, Clock, Status | None] | None = None
        self._metrics: list[Metric] = []

    async def read(self) -> None:
        if self.sources is None:
            return
        store, clock, status = self.sources
        now = clock.now()
        pending, oldest = await store.outbox_backlog()
        paused, held = await store.outbox_held()
        last_jobs = await store.jobs_last_completed()
        found: list[Metric] = [
            GaugeMetricFamily(
                "crossfade_outbox_pending",
                "Outbox rows waiting to go out (pending or sending), paused communities' aside.",
                value=pending,
            ),
            GaugeMetricFamily(
                "crossfade_outbox_oldest_pending_seconds",
                "Age of the oldest outbox row waiting to go out (0 when none).",
                value=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
            ),
            GaugeMetricFamily(
                "crossfade_communities_paused",
                "Communities paused (the app uninstalled there): nothing is sent to them.",
                value=paused,
            ),
            GaugeMetricFamily(
                "crossfade_outbox_held",
                "Outbox rows held for paused communities (not in crossfade_outbox_pending).",
                value=held,
            ),
        ]
        if last_jobs is not None:
            found.append(
                GaugeMetricFamily(
                    "crossfade_jobs_last_completed_timestamp_seconds",
                    "When any process of the deployment last completed the timed jobs.",
                    value=last_jobs.timestamp(),
                )
            )
        if status is not None:
            connected = GaugeMetricFamily(
                "crossfade_platform_connected",
                "Whether this process's connection to each platform is up (1) or down (0).",
                labels=["platform"],
            )
            for link in status.snapshot().links:
                connected.add_metric([link.label], 1.0 if link.connected else 0.0)
            found.append(connected)
        self._metrics = found

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics

    def describe(self) -> Iterator[Metric]:
        # Nothing up front: what is read depends on the store, known only when scraped.
        return iter(())


def metrics_route(metrics: Metrics) -> Route:
    """GET /metrics: the process's metrics in Prometheus's text format."""

    async def scrape(_: WebRequest) -> WebResponse:
        return WebResponse(200, CONTENT_TYPE_LATEST, await metrics.scrape())

    return Route("GET", METRICS_PATH, scrape)
