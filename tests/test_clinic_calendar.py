"""Clinic calendars: /clinic calendar's .ics file and the community's feed over real HTTP.

Both are read back by an independent library (recurring-ical-events) and must expand to
exactly the sessions the bot lists and announces: cancelled ones left out, moved ones at
their new time, a series edited from a date on as its two parts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import recurring_ical_events
from icalendar import Calendar

from adapters.web import WebApp
from bot.features import FEATURES
from bot.features.base import routes_of
from bot.messages import Attachment, Response, Timestamp, Tone, plain
from tests import slack_stack as stack_module
from tests.clinic_helpers import CREATE, announcements, host_clinic
from tests.fakes.slack_fake import SlackFake
from tests.harness import Harness, reply_text
from tests.slack_stack import SlackStack, texts_of
from tests.test_console import play

START = datetime(2026, 11, 30, 8, tzinfo=UTC)
UNTIL = datetime(2028, 1, 1, tzinfo=UTC)
slack_stack = stack_module.slack_stack
SECOND = (
    '/clinic create title:"Mix review" bring:"A stereo mix" rule:"the 15th" time:18:30 '
    "timezone:America/New_York"
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def expand(data: bytes, until: datetime = UNTIL) -> list[tuple[str, datetime]]:
    """(UID, UTC start) of every session the file holds from START to ``until``."""
    events = recurring_ical_events.of(Calendar.from_ical(data)).between(START, until)
    return sorted(((str(e["UID"]), e["DTSTART"].dt.astimezone(UTC)) for e in events), key=_at)


def _at(row: tuple[str, datetime]) -> datetime:
    return row[1]


async def changed_clinics(h: Harness) -> None:
    """Two clinics; the first has a session cancelled, one moved, and is edited from June."""
    await host_clinic(h)
    made = await h.run("ana", SECOND)
    assert "created" in reply_text(made), reply_text(made)
    for line in (
        "/clinic cancel clinic:1 date:2027-01-01 reason:Holidays",
        "/clinic move clinic:1 date:2027-03-05 to:'2027-03-06 11:00' reason:'Room booked'",
        "/clinic cancel clinic:2 date:2027-02-15 reason:Ill",
        "/clinic edit clinic:1 from:2027-06-01 rule:'second thursday' time:18:00",
    ):
        done = await h.run("ana", line)
        assert done.message is not None, line
        assert done.message.tone is not Tone.ERROR, reply_text(done)


def listed(response: Response) -> list[tuple[datetime, str]]:
    """(start, state) of each date /clinic dates lists."""
    assert response.message is not None, response
    found = []
    for item in response.message.fields:
        stamp = item.value[0]
        assert isinstance(stamp, Timestamp)
        found.append((stamp.at, plain(item.value[1:])))
    return found


def attachment(response: Response) -> Attachment:
    assert response.message is not None, response
    (file,) = response.message.attachments
    return file


@pytest.mark.asyncio
async def test_the_file_of_one_clinic_expands_to_the_dates_the_bot_lists(
    harness: Harness,
) -> None:
    await changed_clinics(harness)
    dates = listed(await harness.run("kim", "/clinic dates clinic:1 count:24"))
    shown = await harness.run("kim", "/clinic calendar clinic:1")
    file = attachment(shown)
    assert (file.filename, file.media_type) == ("clinic-1.ics", "text/calendar")
    assert reply_text(shown).startswith("#1 Room calibration: calendar file")
    theirs = expand(file.data, until=dates[-1][0] + timedelta(seconds=1))
    assert [at for _, at in theirs] == [at for at, state in dates if "cancelled" not in state]
    # The cancelled session is there in the list and not in the file; the moved one in both.
    assert (utc(2027, 1, 1, 19), " · cancelled: Holidays") in dates
    assert (utc(2027, 3, 6, 11), " · moved") in dates
    assert utc(2027, 3, 6, 11) in [at for _, at in theirs]
    # Edited from June: two parts, two UIDs, the second on second Thursdays at 18:00 (BST).
    assert len({uid for uid, _ in theirs}) == 2
    assert utc(2027, 6, 10, 17) in [at for _, at in theirs]
    assert "Mix review" not in file.data.decode()

    # Without clinic:, every clinic: the first's sessions as above, the second's as listed.
    every = attachment(await harness.run("kim", "/clinic calendar"))
    assert every.filename == "clinics.ics"
    second = listed(await harness.run("kim", "/clinic dates clinic:2 count:12"))
    end = max(dates[-1][0], second[-1][0]) + timedelta(seconds=1)
    mine = {uid for uid, _ in theirs}
    both = expand(every.data, until=end)
    assert [row for row in both if row[0] in mine and row[1] <= dates[-1][0]] == theirs
    assert [at for uid, at in both if uid not in mine and at <= second[-1][0]] == [
        at for at, state in second if "cancelled" not in state
    ]
    assert (utc(2027, 2, 15, 23, 30), " · cancelled: Ill") in second


@pytest.mark.asyncio
async def test_calendar_bad_input_gets_one_line(harness: Harness) -> None:
    none = await harness.run("kim", "/clinic calendar")
    assert reply_text(none).startswith("There are no clinics yet.")
    await host_clinic(harness)
    unknown = await harness.run("kim", "/clinic calendar clinic:7")
    assert reply_text(unknown).startswith("There is no clinic #7 here.")
    by_title = await harness.run("kim", "/clinic calendar room")
    assert attachment(by_title).filename == "clinic-1.ics"


@asynccontextmanager
async def feed_app(h: Harness) -> AsyncIterator[tuple[WebApp, aiohttp.ClientSession]]:
    """The features' routes on a web app on 127.0.0.1; links the bot shows point at it."""
    web = WebApp(host="127.0.0.1", port=0, routes=routes_of(FEATURES, h.store, h.clock))
    await web.start()
    h.core.public_url = web.public_url
    try:
        async with aiohttp.ClientSession() as session:
            yield web, session
    finally:
        await web.stop()


def link_of(response: Response) -> str:
    assert response.message is not None, response
    (address,) = [f for f in response.message.fields if f.name == "Address"]
    return plain(address.value)


@pytest.mark.asyncio
async def test_the_feed_over_http_expands_to_the_sessions_announced(harness: Harness) -> None:
    h = harness
    await changed_clinics(h)
    async with feed_app(h) as (web, session):
        refused = await h.run("kim", "/admin calendar-link")
        assert "admins only" in reply_text(refused)
        url = link_of(await h.run("boss", "/admin calendar-link", admin=True))
        assert url.startswith(web.public_url.link("/calendar/"))
        assert url.endswith(".ics")
        assert url.removesuffix(".ics").rsplit("/", 1)[1] not in reply_text(refused)
        assert link_of(await h.run("boss", "/admin calendar-link", admin=True)) == url

        # A year of announcements, then the feed: every session announced, and no other.
        await h.advance_to(utc(2027, 11, 1))
        announced = sorted(
            {s.message.fields[0].value[0].at for s in announcements(h)}  # type: ignore[union-attr]
        )
        async with session.get(url) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
            etag = resp.headers["ETag"]
            body = await resp.read()
        theirs = [at for _, at in expand(body, until=announced[-1] + timedelta(seconds=1))]
        assert theirs == announced
        assert utc(2027, 1, 1, 19) not in announced
        assert utc(2027, 3, 6, 11) in announced
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body.decode()
        async with session.get(url, headers={"If-None-Match": etag}) as resp:
            assert (resp.status, await resp.read()) == (304, b"")

        # A change shows at once, with a new ETag.
        await h.run("ana", "/clinic cancel clinic:2 date:2027-11-15 reason:Ill")
        async with session.get(url, headers={"If-None-Match": etag}) as resp:
            assert resp.status == 200
            assert resp.headers["ETag"] != etag
            assert utc(2027, 11, 15, 23, 30) not in [at for _, at in expand(await resp.read())]

        rotated = await h.run("boss", "/admin calendar-link rotate", admin=True)
        new = link_of(rotated)
        assert new != url
        assert "the old one no longer works" in reply_text(rotated)
        async with session.get(url) as resp:
            gone = (resp.status, await resp.text())
        async with session.get(web.local_url("/calendar/not-a-token-of-anyone-here.ics")) as resp:
            assert (resp.status, await resp.text()) == gone == (404, "Not found\n")
        async with session.get(new) as resp:
            assert resp.status == 200
            assert [at for _, at in expand(await resp.read())] == [
                at for _, at in expand(body) if at != utc(2027, 11, 15, 23, 30)
            ]


@pytest.mark.asyncio
async def test_rotate_yes_is_rotate_and_members_cant_rotate(harness: Harness) -> None:
    first = link_of(await harness.run("boss", "/admin calendar-link", admin=True))
    member = await harness.run("kim", "/admin calendar-link rotate:yes")
    assert "admins only" in reply_text(member)
    assert link_of(await harness.run("boss", "/admin calendar-link", admin=True)) == first
    second = link_of(await harness.run("boss", "/admin calendar-link rotate:yes", admin=True))
    assert second != first
    assert link_of(await harness.run("boss", "/admin calendar-link", admin=True)) == second


@pytest.mark.asyncio
async def test_slack_uploads_the_clinic_file(slack_stack: SlackStack) -> None:
    fake: SlackFake = slack_stack.fake
    fake.add_user("U0ADMIN", real_name="Ada", is_admin=True)
    fake.add_user("U0ALICE", real_name="Alice")
    slack_stack.transport.shares_per_second = float("inf")
    _, url = await slack_stack.command(CREATE.removeprefix("/clinic "), command="/clinic",
                                       user="U0ADMIN")  # fmt: skip
    assert "created" in texts_of((await fake.wait_for_response(url)).body["blocks"])
    _, url = await slack_stack.command("calendar clinic:1", command="/clinic", user="U0ALICE")
    note = await fake.wait_for_response(url)
    (uploaded,) = fake.files
    assert uploaded.filename == "clinic-1.ics"
    assert uploaded.channel == fake.dm_channel_for("U0ALICE")
    assert "clinic-1.ics: in your direct messages with me" in texts_of(note.body["blocks"])
    sessions = expand(uploaded.data, until=utc(2027, 3, 1))
    assert [at for _, at in sessions] == [utc(2026, 12, 4, 19), utc(2027, 1, 1, 19),
                                          utc(2027, 2, 5, 19)]  # fmt: skip


def test_the_flag_word_is_only_for_yes_no_options() -> None:
    from bot.app import build_registry
    from bot.commands.textline import parse_line

    registry = build_registry()
    assert parse_line(registry, "/admin calendar-link rotate").raw == {"rotate": "yes"}
    assert parse_line(registry, "/clinic calendar clinic").raw == {"clinic": "clinic"}


@pytest.mark.asyncio
async def test_the_console_writes_the_file_beside_the_database(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "crossfade.db",
        ["/as boss admin", CREATE, "/as kim", "/clinic calendar clinic:1"],
    )
    saved = tmp_path / "files" / "clinic-1.ics"
    assert f"clinic-1.ics (text/calendar) saved to {saved}" in transcript
    assert [at for _, at in expand(saved.read_bytes(), until=utc(2027, 2, 1))] == [
        utc(2026, 12, 4, 19),
        utc(2027, 1, 1, 19),
    ]
