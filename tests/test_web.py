"""The process's one web app over real HTTP on 127.0.0.1: /healthz, routes, Slack, errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.cli import main
from adapters.slack.adapter import SlackAdapter
from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.commands.args import Args
from bot.commands.registry import Command, Registry
from bot.config import Settings, load_settings
from bot.context import Context
from bot.health import heartbeat_path
from bot.messages import Message, Response, text
from bot.models import Actor
from bot.status import Status
from bot.storage.sqlite import SqliteStore
from bot.web_routes import Route, WebRequest, WebResponse, check_routes
from tests.fakes.slack_fake import SlackFake, signed_form_request, slash_command_body
from tests.slack_stack import START, texts_of


async def feed(request: WebRequest) -> WebResponse:
    """A calendar-feed-like route: answers from its path, query and headers."""
    token = request.path_params["token"]
    if token == "missing":
        return WebResponse.text("No such calendar\n", 404)
    body = f"BEGIN:VCALENDAR\r\nX-TOKEN:{token}\r\nX-FROM:{request.query.get('from', '')}\r\n"
    body += f"X-AGENT:{request.headers.get('user-agent', '')}\r\nEND:VCALENDAR\r\n"
    return WebResponse(200, "text/calendar; charset=utf-8", body.encode(), {"X-Feed": "yes"})


async def echo(request: WebRequest) -> WebResponse:
    """A POST route: answers with the body it was sent."""
    return WebResponse(201, "application/octet-stream", request.body[::-1])


async def broken(request: WebRequest) -> WebResponse:
    """A route whose handler has a bug."""
    raise RuntimeError(f"calendar {request.path_params['token']}\nnot loaded")


ROUTES = [
    Route("GET", "/calendar/{token}.ics", feed),
    Route("POST", "/echo", echo),
    Route("GET", "/broken/{token}", broken),
]


@asynccontextmanager
async def serving(
    db: Path, routes: Sequence[Route] = ROUTES, **env: str
) -> AsyncIterator[tuple[WebApp, aiohttp.ClientSession]]:
    """The web app as `crossfade run` builds it (on 127.0.0.1, any free port)."""
    settings = load_settings({"CROSSFADE_DB": str(db), "CROSSFADE_HTTP_PORT": "0", **env})
    web_app = WebApp.from_settings(settings, console=True, routes=routes)
    await web_app.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield web_app, session
    finally:
        await web_app.stop()


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as resp:
        return resp.status, await resp.text()


async def database(tmp_path: Path) -> Path:
    db = tmp_path / "crossfade.db"
    store = await SqliteStore.open(db)
    await store.close()
    return db


def cli_health(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    monkeypatch.chdir(db.parent)  # no .env
    monkeypatch.setenv("CROSSFADE_DB", str(db))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        main(["health"])
    finally:
        # main() sets up logging to this test's captured stderr: put the test's back.
        root.handlers[:], root.level = handlers, level
    return capsys.readouterr().out


@pytest.mark.asyncio
async def test_healthz_gives_the_same_answer_as_crossfade_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await database(tmp_path)
    async with serving(db) as (web_app, session):
        async with session.get(web_app.local_url("/healthz")) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert resp.headers["Cache-Control"] == "no-store"
            assert await resp.text() == cli_health(db, monkeypatch, capsys) == "healthy\n"
        async with session.head(web_app.local_url("/healthz")) as resp:
            assert resp.status == 200

        # A platform down for 7.5 minutes: unhealthy, in the same words.
        now = datetime.now(UTC)
        clock = FakeClock(now - timedelta(minutes=7, seconds=30))
        status = Status(clock)
        discord = status.link("Discord")
        discord.up()
        discord.down("the gateway closed")
        clock.set(now)
        status.tick_finished()
        status.write(heartbeat_path(db))
        status_code, body = await get(session, web_app.local_url("/healthz"))
        assert status_code == 503
        assert body == cli_health(db, monkeypatch, capsys)
        assert body.startswith("Discord disconnected since ")
        assert body.endswith(" (7 min)\n")

        # No database at all: named the same way too.
        db.unlink()
        heartbeat_path(db).unlink()
        status_code, body = await get(session, web_app.local_url("/healthz"))
        assert (status_code, body) == (503, f"no database at {db} yet\n")
        assert body == cli_health(db, monkeypatch, capsys)


@pytest.mark.asyncio
async def test_a_route_declared_through_the_contract_is_served(tmp_path: Path) -> None:
    async with serving(await database(tmp_path)) as (web_app, session):
        url = web_app.local_url("/calendar/Zq4-token.ics?from=2026-01-01&from=ignored")
        async with session.get(url, headers={"User-Agent": "Calendar/1.0"}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
            assert resp.headers["X-Feed"] == "yes"
            body = await resp.text()
        assert "X-TOKEN:Zq4-token\r\n" in body
        assert "X-FROM:2026-01-01\r\n" in body
        assert "X-AGENT:Calendar/1.0\r\n" in body
        assert await get(session, web_app.local_url("/calendar/missing.ics")) == (
            404,
            "No such calendar\n",
        )
        async with session.post(web_app.local_url("/echo"), data=b"\x00abc") as resp:
            assert (resp.status, await resp.read()) == (201, b"cba\x00")


@pytest.mark.asyncio
async def test_unknown_paths_and_methods_are_refused(tmp_path: Path) -> None:
    async with serving(await database(tmp_path)) as (web_app, session):
        assert (await get(session, web_app.local_url("/nothing-here")))[0] == 404
        assert (await get(session, web_app.local_url("/calendar/x.txt")))[0] == 404
        async with session.post(web_app.local_url("/healthz")) as resp:
            assert resp.status == 405
        async with session.get(web_app.local_url("/echo")) as resp:
            assert resp.status == 405


@pytest.mark.asyncio
async def test_a_failing_handler_answers_500_and_logs_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serving(await database(tmp_path)) as (web_app, session):
        status, body = await get(session, web_app.local_url("/broken/s3cret-feed-token"))
        assert (status, body) == (500, "Internal error\n")
        # The app goes on serving.
        assert (await get(session, web_app.local_url("/healthz")))[0] == 200
    loud = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("a")]
    failures = [r for r in loud if "failed" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [
        "web: GET /broken/{token} failed: RuntimeError: calendar s3cret-feed-token not loaded"
    ]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in loud)
    # The traceback is there for whoever asks for DEBUG.
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.DEBUG)


@pytest.mark.asyncio
async def test_garbage_on_the_port_gets_400_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving(await database(tmp_path)) as (web_app, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", web_app.port)
        writer.write(b"\x16\x03\x01 not HTTP at all\r\n\r\n")
        await writer.drain()
        status_line = (await reader.read()).split(b"\r\n")[0]
        assert status_line.startswith(b"HTTP/1.")
        assert b" 400 " in status_line
        writer.close()
        await writer.wait_closed()
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING] == []


@pytest.mark.asyncio
async def test_slack_requests_share_the_port_with_healthz_and_routes(
    slack_fake: SlackFake, tmp_path: Path
) -> None:
    db = tmp_path / "crossfade.db"
    store = await SqliteStore.open(db)
    settings = load_settings(
        {
            "CROSSFADE_DB": str(db),
            "CROSSFADE_HTTP_PORT": "0",
            "CROSSFADE_HTTP_HOST": "127.0.0.1",
            "SLACK_BOT_TOKEN": slack_fake.bot_token,
            "SLACK_SIGNING_SECRET": slack_fake.signing_secret,
        }
    )
    web_app = WebApp.from_settings(settings, console=False, routes=ROUTES)
    web_app.listen()
    core = Crossfade(store, FakeClock(START), public_url=web_app.public_url)
    adapter = SlackAdapter.from_settings(settings, core, api_url=slack_fake.api_url)
    adapter.mount(web_app)
    try:
        await adapter.start()
        await web_app.start()
        assert adapter.url == f"http://127.0.0.1:{web_app.port}/slack/events"
        slack_fake.add_user("U0ALICE", name="Alice")
        url = slack_fake.mint_response_url()
        signed = signed_form_request(
            slack_fake.signing_secret,
            slash_command_body(command="/sprint", text="status", response_url=url),
        )
        async with aiohttp.ClientSession() as session:
            async with session.post(adapter.url, data=signed.body, headers=signed.headers) as resp:
                assert resp.status == 200
            answer = await slack_fake.wait_for_response(url)
            assert "/sprint start" in texts_of(answer.body["blocks"])
            async with session.post(adapter.url, data="x=1") as resp:
                assert resp.status == 401  # unsigned: refused, on the shared port too
            assert await get(session, web_app.local_url("/healthz")) == (200, "healthy\n")
            assert (await get(session, web_app.local_url("/calendar/t.ics")))[0] == 200
    finally:
        await adapter.stop()
        await web_app.stop()
        await store.close()


def test_the_public_url_is_what_links_show(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "c.db", http_port=8123)
    assert WebApp.from_settings(settings, console=False).public_url.base == (
        "http://127.0.0.1:8123"
    )
    assert WebApp.from_settings(settings, console=True).host == "127.0.0.1"
    assert WebApp.from_settings(settings, console=False).host == "0.0.0.0"
    public = load_settings({"CROSSFADE_PUBLIC_URL": "https://example.org/crossfade/"})
    web_app = WebApp.from_settings(public, console=False)
    assert web_app.public_url.link("/calendar/ab.ics") == (
        "https://example.org/crossfade/calendar/ab.ics"
    )
    assert web_app.public_url.link("healthz") == "https://example.org/crossfade/healthz"


@pytest.mark.asyncio
async def test_without_a_public_url_the_log_says_which_address_links_use(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving(await database(tmp_path), routes=()) as (web_app, _):
        port = web_app.port
        assert web_app.public_url.base == f"http://127.0.0.1:{port}"
    said = [r.getMessage() for r in caplog.records if "CROSSFADE_PUBLIC_URL" in r.getMessage()]
    assert said == [
        f"CROSSFADE_PUBLIC_URL is not set: links to the web app use "
        f"http://127.0.0.1:{port}, which only this machine can open"
    ]
    caplog.clear()
    async with serving(
        await database(tmp_path), routes=(), CROSSFADE_PUBLIC_URL="https://cf.example.org"
    ) as (web_app, _):
        assert web_app.public_url.base == "https://cf.example.org"
    assert not [r for r in caplog.records if "CROSSFADE_PUBLIC_URL" in r.getMessage()]


async def nothing(_: WebRequest) -> WebResponse:
    return WebResponse()


@pytest.mark.parametrize(
    ("routes", "problem"),
    [
        ([Route("GET", "calendar.ics", nothing)], "must start with /"),
        ([Route("GET", "/a/{bad name}", nothing)], "must start with /"),
        ([Route("FETCH", "/a", nothing)], "method 'FETCH'"),
        ([Route("GET", "/a/{x}", nothing), Route("GET", "/a/{y}", nothing)], "two routes"),
    ],
)
def test_malformed_or_clashing_routes_are_refused(routes: list[Route], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_routes(routes)
    assert check_routes([Route("GET", "/a/{x}", nothing), Route("POST", "/a/{y}", nothing)])


async def link_handler(ctx: Context, args: Args) -> Response:
    """A command that shows a link to the web app, as a feature's would."""
    return Response(Message(title="Feed", body=text(ctx.public_url.link("/calendar/t0k.ics"))))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("env", "link"),
    [
        ({"CROSSFADE_PUBLIC_URL": "https://cf.example.org/bot/"}, "https://cf.example.org/bot/"),
        ({"CROSSFADE_HTTP_PORT": "8123"}, "http://127.0.0.1:8123/"),
    ],
)
async def test_commands_build_links_at_the_public_url(
    tmp_path: Path, env: dict[str, str], link: str
) -> None:
    registry = Registry()
    registry.add(Command(("feed",), "Show the feed's link", link_handler))
    web_app = WebApp.from_settings(load_settings(env), console=False)
    store = await SqliteStore.open(tmp_path / "crossfade.db")
    try:
        core = Crossfade(store, FakeClock(START), registry=registry, public_url=web_app.public_url)
        response = await core.run_line(Actor("slack", "T1", "U1", "Ana"), "/feed")
        assert response.message is not None
        assert response.message.body == (f"{link}calendar/t0k.ics",)
    finally:
        await store.close()
