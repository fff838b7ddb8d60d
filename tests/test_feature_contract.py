"""A feature is a package: one declared in a test joins the engine, the outbox and the core.

"pings" is a feature only this file knows: a timed job (its state in the settings table),
its own channel purpose falling back to announcements, a type-ahead source, a home card,
its closed-DM wording and buttons with permissions. Nothing outside this file names it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import Clock, FakeClock
from bot.commands.args import Args
from bot.commands.registry import Choice, Command, Option, Permission, Registry, Role
from bot.config import load_settings
from bot.context import Context
from bot.features import FEATURES
from bot.features.base import Feature, Job, Purpose, jobs_of, ordered_jobs, routes_of
from bot.messages import Message, Response, Tone, text
from bot.models import Destination, NewOutbox
from bot.native_events import NativeEvent, event_of, event_outbox
from bot.storage.sqlite import SqliteStore
from bot.web_routes import Route, WebRequest, WebResponse
from tests.conftest import START
from tests.harness import Harness, reply_text

PING_AT = START + timedelta(days=3)
pressed: list[str] = []


async def run_pings(store: SqliteStore, now: datetime) -> int:
    """Queue the one ping once its time has come: to a member's DMs, or the pings channel."""
    community = await store.get_setting("pings.community")
    if community is None or now < PING_AT or await store.get_setting("pings.sent"):
        return 0
    to = await store.get_setting("pings.to")
    destination = Destination.dm(int(to)) if to else Destination.channel("pings")
    message = Message(title="Ping", body=text("pong"))
    await store.enqueue(
        [NewOutbox(int(community), destination, json.dumps(message.to_dict()), feature="pings")],
        now,
    )
    await store.set_setting("pings.sent", now.isoformat())
    return 1


async def next_ping(store: SqliteStore, now: datetime) -> datetime | None:
    """When run_pings will have something to do (the same conditions)."""
    if await store.get_setting("pings.community") is None:
        return None
    return None if await store.get_setting("pings.sent") else PING_AT


async def is_host(ctx: Context[SqliteStore], args: list[str]) -> bool:
    """Only Hana hosts pings."""
    return ctx.member.display_name == "Hana"


HOST = Role("host", is_host, "Only the ping host can do that.")


async def press_ping(ctx: Context[SqliteStore], args: list[str]) -> Response:
    """Record who got through the permission check."""
    pressed.append(ctx.member.display_name)
    return Response(Message(title="Pressed", body=text(ctx.member.display_name)))


async def ping_names(ctx: Context[SqliteStore], typed: str) -> list[Choice]:
    """Type-ahead naming the caller."""
    return [Choice(ctx.member.display_name, f"{ctx.member.display_name} ({typed})")]


async def ping_command(ctx: Context[SqliteStore], args: Args) -> Response:
    """Nothing to do; it declares an option with the feature's type-ahead source."""
    return Response(Message(title="Ping", body=text(args.text("who"))))


def register(registry: Registry) -> None:
    """Declare the pings command and buttons."""
    registry.add(
        Command(("ping",), "Ping", ping_command, options=(Option("who", "Who", suggest="names"),))
    )
    registry.add(
        Command(
            ("pinghost",),
            "Host pings",
            ping_command,
            options=(Option("who", "Who"),),
            permission=HOST,
        )
    )
    registry.action("ping.host", press_ping, permission=HOST)
    registry.action("ping.admin", press_ping, permission=Permission.ADMIN)


async def ping_home(ctx: Context[SqliteStore]) -> Message | None:
    """A home card for Hana only; others get the next feature's."""
    return Message(title="Ping home") if ctx.member.display_name == "Hana" else None


def ping_routes(store: SqliteStore, clock: Clock) -> list[Route]:
    """The pings feature's web page: when it pinged, as of the process's clock."""

    async def last(request: WebRequest) -> WebResponse:
        sent = await store.get_setting("pings.sent")
        return WebResponse.text(f"{sent or 'never'} (asked {clock.now().isoformat()})")

    return [Route("GET", "/pings/last", last)]


def closed_dms(name: str) -> Message:
    """The pings feature's own words for a closed-DM note."""
    return Message(title="No DMs", body=text(name, ", your ping waits."), tone=Tone.WARNING)


PINGS = Feature(
    name="pings",
    register=register,
    jobs=(Job("pings.ping", run_pings, next_ping),),
    purposes=(Purpose("pings", "pings (tests)", fallback="announcements"),),
    suggestions={"names": ping_names},
    home=ping_home,
    undeliverable=closed_dms,
    routes=ping_routes,
)
WITH_PINGS = (PINGS, *FEATURES)


async def pinging(tmp_path: Path, *, to: str | None = None) -> Harness:
    """A harness with the pings feature, its community known and its ping armed."""
    harness = await Harness.open(tmp_path / "pings.db", FakeClock(START), WITH_PINGS)
    await harness.run("ana", "/help")
    await harness.store.set_setting("pings.community", "1")
    if to is not None:
        member = await harness.store.find_member(1, to)
        assert member is not None
        await harness.store.set_setting("pings.to", str(member.id))
    return harness


@pytest.mark.asyncio
async def test_a_features_job_runs_through_the_engine_at_its_moment(tmp_path: Path) -> None:
    async with await pinging(tmp_path) as harness:
        await harness.setup_channels()
        assert "pings.ping" in [job.name for job in harness.engine.jobs]
        assert await harness.engine.next_due_at() == PING_AT
        await harness.advance(timedelta(days=5))
        (ping,) = [s for s in harness.transport.sent if s.message.title == "Ping"]
        assert ping.at == PING_AT
        assert await harness.engine.next_due_at() is None
        assert (await harness.engine.decide())["pings.ping"] == 0  # once, never twice


@pytest.mark.asyncio
async def test_a_purpose_without_a_channel_posts_in_its_fallback_until_it_has_one(
    tmp_path: Path,
) -> None:
    async with await pinging(tmp_path) as harness:
        await harness.setup_channels()
        await harness.advance(timedelta(days=5))
        assert [s.message.title for s in harness.transport.channel("announcements")] == ["Ping"]

        # The feature's purpose is offered by /admin channel, and from then on it is used.
        answer = await harness.run(
            "boss", "/admin channel purpose:pings", admin=True, channel="ping-room"
        )
        assert "This channel now receives pings (tests)." in reply_text(answer)
        await harness.store.set_setting("pings.sent", "")
        await harness.advance(timedelta(days=1))
        assert [s.message.title for s in harness.transport.channel("ping-room")] == ["Ping"]
        settings = reply_text(await harness.run("boss", "/admin schedule", admin=True))
        assert "Channel for pings (tests)" in settings


@pytest.mark.asyncio
async def test_a_purpose_with_neither_channel_nor_fallback_channel_waits(tmp_path: Path) -> None:
    async with await pinging(tmp_path) as harness:
        await harness.advance(timedelta(days=5))
        assert [s for s in harness.transport.sent if s.message.title == "Ping"] == []
        # Pointing the fallback at a channel releases what waited for it.
        await harness.run(
            "boss", "/admin channel purpose:announcements", admin=True, channel="announcements"
        )
        assert [s.message.title for s in harness.transport.channel("announcements")] == ["Ping"]


@pytest.mark.asyncio
async def test_the_closed_dm_note_is_worded_by_the_feature_that_queued(tmp_path: Path) -> None:
    async with await pinging(tmp_path, to="ana") as harness:
        await harness.setup_channels()
        harness.transport.closed_dms.add("ana")
        await harness.advance(timedelta(days=5))
        # The pings feature's words, in its own purpose's channel (here: its fallback's).
        (note,) = harness.transport.channel("announcements")
        assert note.message.title == "No DMs"
        assert "Ana, your ping waits." in note.text
        assert harness.transport.channel("check-ins") == []
        # She opens her DMs: the ping that waited arrives on the next retry.
        harness.transport.closed_dms.clear()
        await harness.advance(timedelta(hours=6))
        assert [s.message.title for s in harness.transport.dms("ana")] == ["Ping"]


@pytest.mark.asyncio
async def test_a_button_refuses_whoever_lacks_its_permission_before_its_handler(
    tmp_path: Path,
) -> None:
    pressed.clear()
    async with await pinging(tmp_path) as harness:
        refused = await harness.press("ana", "ping.host:7")
        assert "Only the ping host can do that." in reply_text(refused)
        assert pressed == []
        assert "Pressed" in reply_text(await harness.press("hana", "ping.host:7"))
        assert pressed == ["Hana"]

        refused = await harness.press("ana", "ping.admin")
        assert "admins only" in reply_text(refused)
        admin = harness.actor("boss", admin=True)
        assert "Pressed" in reply_text(await harness.core.press(admin, "ping.admin"))
        assert pressed == ["Hana", "Boss"]


@pytest.mark.asyncio
async def test_a_command_for_a_features_role_is_refused_to_others_and_listed(
    tmp_path: Path,
) -> None:
    async with await pinging(tmp_path) as harness:
        refused = await harness.run("ana", "/pinghost who:x")
        assert "Only the ping host can do that." in reply_text(refused)
        assert "Ping" in reply_text(await harness.run("hana", "/pinghost who:x"))
        assert "/pinghost" in reply_text(await harness.run("ana", "/help"))
        form = await harness.core.submit_form(harness.actor("ana"), "cmd:pinghost", {"who": "x"})
        assert "Only the ping host can do that." in reply_text(form)


@pytest.mark.asyncio
async def test_type_ahead_and_home_come_from_the_features(tmp_path: Path) -> None:
    async with await pinging(tmp_path) as harness:
        core = harness.core
        command = core.registry.get("ping")
        assert command is not None
        found = await core.suggest(harness.actor("hana"), command, "who", "x")
        assert found == [Choice("Hana", "Hana (x)")]
        assert (await core.home(harness.actor("hana"))).title == "Ping home"
        # Ana gets the next feature's card: the sprints' welcome.
        assert (await core.home(harness.actor("ana"))).title == "Welcome, Ana"


@pytest.mark.asyncio
async def test_an_option_naming_no_declared_source_is_refused_at_start(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "s.db")
    try:
        with pytest.raises(ValueError, match="type-ahead source 'names'"):
            Crossfade(store, FakeClock(START), features=(*FEATURES, Feature("x", register)))
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_scheduled_post_waits_for_its_time_even_when_its_channel_is_set(
    tmp_path: Path,
) -> None:
    later = START + timedelta(days=2)
    async with await pinging(tmp_path) as harness:
        message = Message(title="Later", body=text("scheduled"))
        await harness.store.enqueue(
            [
                NewOutbox(
                    1,
                    Destination.channel("announcements"),
                    json.dumps(message.to_dict()),
                    feature="pings",
                    not_before=later,
                )
            ],
            START,
        )
        await harness.setup_channels()
        assert harness.transport.channel("announcements") == []
        assert await harness.engine.next_due_at() == later
        await harness.advance(timedelta(days=2))
        (post,) = harness.transport.channel("announcements")
        assert (post.message.title, post.at) == ("Later", later)


def test_jobs_run_in_feature_order_except_after_the_jobs_they_name() -> None:
    names = [job.name for job in jobs_of(FEATURES)]
    # The sprint nudges read the weeks the prompts open at the same moment.
    assert names.index("checkins.prompts") < names.index("sprints.pause_offers")
    assert names.index("checkins.prompts") < names.index("sprints.endings")
    waiting = Job("a", run_pings, next_ping, after=("b",))
    assert [j.name for j in ordered_jobs([waiting, Job("b", run_pings, next_ping)])] == ["b", "a"]
    with pytest.raises(ValueError, match="wait for each other"):
        ordered_jobs([waiting, Job("b", run_pings, next_ping, after=("a",))])


@pytest.mark.asyncio
async def test_a_features_web_routes_are_served_with_the_processs_store_and_clock(
    tmp_path: Path,
) -> None:
    async with await pinging(tmp_path) as harness:
        await harness.advance(timedelta(days=5))
        routes = routes_of(WITH_PINGS, harness.store, harness.clock)
        # The test feature's route, beside the clinics' feed (a route of FEATURES).
        assert [r.path for r in routes] == ["/pings/last", "/calendar/{token}.ics"]
        settings = load_settings(
            {"CROSSFADE_DB": str(harness.store.path), "CROSSFADE_HTTP_PORT": "0"}
        )
        web_app = WebApp.from_settings(settings, console=True, routes=routes)
        await web_app.start()
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(web_app.local_url("/pings/last")) as resp,
            ):
                assert resp.status == 200
                answer = await resp.text()
        finally:
            await web_app.stop()
        now = harness.clock.now().isoformat()
        assert answer == f"{PING_AT.isoformat()} (asked {now})"


def test_a_native_event_carries_its_feature_to_its_rows() -> None:
    event = NativeEvent(
        key="pings:1",
        title="Ping",
        description="",
        starts_at=PING_AT,
        ends_at=PING_AT + timedelta(hours=1),
        location="https://example.org",
        interest_action="ping.host:1",
        feature="pings",
    )
    row = event_outbox(1, event)
    assert row.feature == "pings"
    assert event_of(row.payload) == event
