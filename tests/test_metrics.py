"""/metrics: what the core counts, scraped over HTTP and read with prometheus-client's parser."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from adapters.web import WebApp
from bot.commands.textline import parse_line
from bot.delivery import DeliveryError, Dispatcher
from bot.metrics import METRICS_PATH, Metrics, metrics_route
from bot.status import Status
from tests.harness import PLATFORM, Harness, RecordingTransport

SPRINT = (
    '/sprint start goal:"Podcast loudness" skill:metadata deliverable:other '
    'deliverable-note:"A loudness cheat sheet"'
)
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text()
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@asynccontextmanager
async def scraping(metrics: Metrics) -> AsyncIterator[WebApp]:
    """A web app serving ``metrics`` on 127.0.0.1 (any free port)."""
    web_app = WebApp(host="127.0.0.1", port=0, routes=[metrics_route(metrics)])
    await web_app.start()
    try:
        yield web_app
    finally:
        await web_app.stop()


async def scrape(web_app: WebApp) -> Samples:
    """GET /metrics and parse it: (sample name, labels) -> value."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(web_app.local_url(METRICS_PATH)) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"] == CONTENT_TYPE_LATEST
        body = await resp.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.mark.asyncio
async def test_metrics_count_commands_deliveries_rate_limits_backlog_links_and_jobs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    status = Status(harness.clock)
    discord = status.link("Discord")
    status.link("Slack")  # still connecting
    discord.up()
    harness.metrics.watch(harness.store, harness.clock, status)
    sprint = parse_line(harness.core.registry, SPRINT).command.name
    admin = parse_line(harness.core.registry, "/admin channel purpose:checkins").command.name
    await harness.setup_channels()
    # A server error, then a 429 with the platform's wait, then the posts go out.
    harness.transport.failures = [
        DeliveryError("server error"),
        DeliveryError("rate limited", retry_after=90),
    ]
    async with scraping(harness.metrics) as web_app:
        await harness.run("ana", SPRINT)  # ok; its announcement fails once and waits
        await harness.run("bo", "/admin channel purpose:checkins")  # not an admin
        real = harness.store.ensure_member

        async def broken(*args: object) -> object:
            raise RuntimeError("the database went away")

        monkeypatch.setattr(harness.store, "ensure_member", broken)
        with caplog.at_level(logging.CRITICAL):
            await harness.run("cy", SPRINT)  # a crash
        monkeypatch.setattr(harness.store, "ensure_member", real)

        harness.clock.advance(timedelta(hours=1))
        samples = await scrape(web_app)
        assert value(samples, "crossfade_commands_total", command=sprint, result="ok") == 1
        assert value(samples, "crossfade_commands_total", command=admin, result="user_error") == 1
        assert value(samples, "crossfade_commands_total", command=sprint, result="crash") == 1
        assert value(samples, "crossfade_commands_total", command=admin, result="ok") == 2
        assert value(samples, "crossfade_command_seconds_count") == 5
        counts = await harness.store.outbox_counts()
        waiting = counts.get("pending", 0) + counts.get("sending", 0)
        assert waiting == 1
        assert value(samples, "crossfade_outbox_pending") == waiting
        # Queued at 08:00, scraped at 09:00.
        assert value(samples, "crossfade_outbox_oldest_pending_seconds") == 3600
        assert value(samples, "crossfade_platform_connected", platform="Discord") == 1
        assert value(samples, "crossfade_platform_connected", platform="Slack") == 0
        started = datetime(2026, 11, 30, 8, 0, tzinfo=UTC).timestamp()
        assert value(samples, "crossfade_jobs_last_completed_timestamp_seconds") == started
        assert value(samples, "crossfade_process_jobs_last_completed_timestamp_seconds") == started
        assert value(samples, "crossfade_rate_limited_total", platform=PLATFORM) is None
        retried = ("crossfade_deliveries_total", {"platform": PLATFORM, "result": "retried"})
        assert value(samples, retried[0], **retried[1]) == 1

        discord.down("the gateway closed")
        await harness.advance_to(FIRST + timedelta(minutes=5))
        assert len(harness.transport.dms("ana")) == 1
        samples = await scrape(web_app)
        assert value(samples, retried[0], **retried[1]) == 2
        assert value(samples, "crossfade_rate_limited_total", platform=PLATFORM) == 1
        sent = value(samples, "crossfade_deliveries_total", platform=PLATFORM, result="sent")
        assert sent == len(harness.transport.sent)
        assert value(samples, "crossfade_platform_connected", platform="Discord") == 0
        done = value(samples, "crossfade_jobs_last_completed_timestamp_seconds")
        assert done == (FIRST + timedelta(minutes=5)).timestamp()
        assert "pending" not in await harness.store.outbox_counts()
        assert value(samples, "crossfade_outbox_pending") == 0
        assert value(samples, "crossfade_outbox_oldest_pending_seconds") == 0


@pytest.mark.asyncio
async def test_metrics_count_pacing_waits_by_platform(harness: Harness) -> None:
    await harness.setup_channels()
    for name in ("ana", "bo", "cy"):  # three announcements queued, not yet sent
        await harness.core.run_line(harness.actor(name), SPRINT)
    slow = RecordingTransport(harness.clock, max_per_second=2)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # noted, not waited for
        waits.append(seconds)
        await asyncio.sleep(0)

    harness_sent = ("crossfade_deliveries_total", {"platform": PLATFORM, "result": "sent"})
    before = harness.metrics.registry.get_sample_value(*harness_sent)
    metrics = Metrics()
    dispatcher = Dispatcher(
        harness.store, harness.clock, {PLATFORM: slow}, sleep=sleep, metrics=metrics
    )
    report = await dispatcher.deliver_due()
    assert report.sent == len(slow.sent) == 3
    async with scraping(metrics) as web_app:
        samples = await scrape(web_app)
    assert waits, "two a second: the third send waits"
    assert value(samples, "crossfade_pacing_waits_total", platform=PLATFORM) == len(waits)
    assert value(samples, "crossfade_pacing_wait_seconds_total", platform=PLATFORM) == sum(waits)
    assert value(samples, "crossfade_deliveries_total", platform=PLATFORM, result="sent") == 3
    # A registry of its own: the harness's metrics saw none of these sends.
    assert harness.metrics.registry.get_sample_value(*harness_sent) == before


@pytest.mark.asyncio
async def test_operations_guide_names_every_metric(harness: Harness) -> None:
    await harness.engine.tick()  # so the deployment's jobs have a time to show
    status = Status(harness.clock)
    status.link("Discord")
    harness.metrics.watch(harness.store, harness.clock, status)
    await harness.metrics.scrape()  # reads the database
    families = list(harness.metrics.registry.collect())
    assert len(families) == 13
    for family in families:
        # Counters are named with their _total suffix, as Prometheus shows them.
        shown = family.name + ("_total" if family.type == "counter" else "")
        assert f"`{shown}`" in GUIDE or f"`{shown}{{" in GUIDE, shown
