"""What a new user met in their first hour (issue 7): typed input is read as meant, or explained."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Crossfade, build_registry
from bot.clock import FakeClock
from bot.commands.registry import Direction
from bot.commands.values import parse_date
from bot.commands.zones import parse_timezone
from bot.context import Context
from bot.errors import OptionError
from bot.messages import Response, Tone
from bot.models import Actor
from bot.storage.sqlite import SqliteStore, migrations
from tests.harness import Harness, reply_text
from tests.stores import Database, query, snapshot

SPRINT = (
    '/sprint start goal:"Mix a binaural pilot" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A workshop on binaural monitoring"'
)
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the first check-in slot after the start


async def refused(h: Harness, db: Database, line: str, expected: str) -> str:
    """Run a line that must be refused with one friendly line, writing nothing."""
    before = await snapshot(db)
    response = await h.run("ana", line)
    shown = reply_text(response)
    assert response.message is not None
    assert response.message.tone is Tone.ERROR, shown
    assert expected in shown
    assert "Traceback" not in shown
    assert await snapshot(db) == before
    return shown


# -- an inline edit changes only what it names ---------------------------------------------


@pytest.mark.asyncio
async def test_an_inline_checkin_edit_keeps_the_fields_it_does_not_name(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(FIRST + timedelta(hours=1))
    await harness.run(
        "ana", '/checkin progress:"Built the rig" blockers:"Need a loaner mic" confidence:4 hours:6'
    )
    again = reply_text(
        await harness.run("ana", '/checkin progress:"Built and tested" confidence:2')
    )
    assert "Check-in updated" in again
    assert "Blocking: Need a loaner mic" in again
    assert "Hours: 6" in again
    # What is stored, as the edit form shows it.
    button = harness.transport.dms("ana")[0].message.buttons[0].action
    form = (await harness.core.press(harness.actor("ana"), button)).form
    assert form is not None
    stored = {f.name: f.value for f in form.fields}
    assert stored == {
        "progress": "Built and tested",
        "blockers": "Need a loaner mic",
        "confidence": "2",
        "hours": "6",
    }
    # The form gives every field: an emptied one is cleared.
    cleared = await harness.core.submit_form(
        harness.actor("ana"), form.form_id, {"progress": "Built and tested", "confidence": "3"}
    )
    assert "Blocking: nothing" in reply_text(cleared)


# -- words without an option name ----------------------------------------------------------


@pytest.mark.asyncio
async def test_bare_words_are_refused_unless_the_command_takes_them(
    harness: Harness, database: Database
) -> None:
    db = database
    await harness.run("ana", SPRINT)
    shown = await refused(
        harness, db, "/sprint edit workshop", "I don't know what 'workshop' is for."
    )
    assert "goal:workshop" in shown  # how to say it
    assert "Usage: /sprint edit [goal:<text>]" in shown
    shown = await refused(harness, db, "/sprint edit Mix a workshop", "'Mix'")
    assert 'goal:"Mix a workshop"' in shown
    await refused(harness, db, "/checkin progress:x confidence:3 6", "'6'")
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Mix a binaural pilot · spatial mixing" in status
    # Commands that declare a positional option take bare words.
    helped = await harness.run("ana", "/help checkin")
    assert "Help: /checkin" in reply_text(helped)
    assert "Help: /sprint start" in reply_text(await harness.run("ana", "/help sprint start"))


# -- time zones ----------------------------------------------------------------------------

DECEMBER = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "offered", "not_offered"),
    [
        ("IST", ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"], "Istanbul"),
        ("EST", ["America/New_York"], "Creston"),
        ("CET", ["Europe/Paris", "Europe/Berlin"], "Ceuta"),
        ("UTC+5", ["Asia/Karachi", "Asia/Tashkent", "Etc/GMT-5"], "'UTC'"),
        ("utc-8", ["America/Los_Angeles", "America/Vancouver", "Etc/GMT+8"], "'UTC'"),
        ("GMT+5:30", ["Asia/Kolkata", "Asia/Colombo"], "Etc/"),
    ],
)
@pytest.mark.asyncio
async def test_abbreviations_and_offsets_are_asked_not_guessed(
    harness: Harness, database: Database, typed: str, offered: list[str], not_offered: str
) -> None:
    await harness.run("ana", "/profile")
    shown = await refused(harness, database, f"/profile timezone:{typed}", typed)
    for zone in offered:
        assert zone in shown
    assert not_offered not in shown
    assert len(shown.splitlines()) == 2  # the question and the usage
    profile = harness.core.registry.get("profile")
    assert profile is not None
    suggested = await harness.core.suggest(harness.actor("ana"), profile, "timezone", typed)
    assert suggested[0].value == offered[0]


def test_an_offset_matches_the_zones_offset_on_that_day() -> None:
    # London is UTC+1 in July, UTC+0 in December.
    july = datetime(2026, 7, 1, 12, tzinfo=UTC)
    with pytest.raises(OptionError) as summer:
        parse_timezone("timezone", "UTC+1", july)
    assert "Europe/London" in summer.value.message
    with pytest.raises(OptionError) as winter:
        parse_timezone("timezone", "UTC+1", DECEMBER)
    assert "Europe/London" not in winter.value.message
    assert "Europe/Paris" in winter.value.message


def test_a_city_is_taken_and_a_fixed_zone_only_when_named() -> None:
    assert parse_timezone("timezone", "Kolkata", DECEMBER) == "Asia/Kolkata"
    assert parse_timezone("timezone", "etc/gmt-5", DECEMBER) == "Etc/GMT-5"
    with pytest.raises(OptionError, match="Did you mean Asia/Kolkata"):
        parse_timezone("timezone", "kolk", DECEMBER)


@pytest.mark.asyncio
async def test_profile_asks_about_an_offset_and_notes_a_fixed_zone(
    harness: Harness, database: Database
) -> None:
    db = database
    await harness.run("ana", "/profile")
    shown = await refused(harness, db, "/profile timezone:UTC+5", "'UTC+5' is an offset")
    assert "Etc/GMT-5" in shown
    assert "Asia/Karachi" in shown
    await refused(
        harness,
        db,
        "/profile timezone:IST",
        "Asia/Kolkata (India), Europe/Dublin (Ireland) or Asia/Jerusalem",
    )
    saved = reply_text(await harness.run("ana", "/profile timezone:Etc/GMT-5"))
    assert "Time zone: Etc/GMT-5" in saved
    assert "Etc/GMT-5 is a fixed UTC+5: it ignores daylight saving" in saved
    city = reply_text(await harness.run("ana", "/profile timezone:Asia/Karachi"))
    assert "Time zone: Asia/Karachi" in city
    assert "daylight saving" not in city


# -- dates ---------------------------------------------------------------------------------


def test_dates_as_people_type_them() -> None:
    monday = date(2026, 11, 30)
    future, past = Direction.FUTURE, Direction.PAST
    assert parse_date("start", "yesterday", monday) == date(2026, 11, 29)
    assert parse_date("start", "next monday", monday, future) == date(2026, 12, 7)
    assert parse_date("start", "monday", monday, future) == monday
    assert parse_date("start", "friday", monday, future) == date(2026, 12, 4)
    assert parse_date("start", "friday", monday, past) == date(2026, 11, 27)
    assert parse_date("start", "last monday", monday) == date(2026, 11, 23)
    assert parse_date("start", "in 2 weeks", monday) == date(2026, 12, 14)
    late_december = date(2026, 12, 28)
    assert parse_date("start", "Jan 5", late_december, future) == date(2027, 1, 5)
    assert parse_date("start", "5 January", late_december, future) == date(2027, 1, 5)
    assert parse_date("start", "Dec 30", date(2027, 1, 2), past) == date(2026, 12, 30)
    assert parse_date("start", "Feb 29", date(2026, 3, 1), future) == date(2028, 2, 29)
    with pytest.raises(OptionError, match="needs a day and a month"):
        parse_date("start", "January", late_december, future)
    with pytest.raises(OptionError, match="couldn't read 'Dec 31 99999'"):
        parse_date("start", "Dec 31 99999", late_december, future)


@pytest.mark.asyncio
async def test_a_start_in_early_january_typed_in_late_december(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 12, 28, 9, tzinfo=UTC))
    async with await Harness.open(tmp_path / "dec.db", clock) as h:
        started = reply_text(await h.run("ana", SPRINT + ' start:"Jan 5"'))
        assert "Starts: Tue 05 Jan 2027" in started


@pytest.mark.asyncio
@pytest.mark.parametrize("day", ["2999-01-01", "9999-12-31", "Dec 28 2027"])
async def test_a_sprint_starts_at_most_a_year_ahead(
    harness: Harness, database: Database, day: str
) -> None:
    await harness.run("ana", "/profile")
    await refused(
        harness,
        database,
        f'{SPRINT} start:"{day}"',
        "A sprint can start at most a year ahead, by Tue 30 Nov 2027.",
    )
    form = await harness.core.submit_form(
        harness.actor("ana"),
        "cmd:sprint.start",
        {"goal": "a", "skill": "b", "deliverable": "other", "deliverable-note": "c", "start": day},
    )
    assert set(form.field_errors) == {"start"}
    assert await harness.store.outbox_counts() == {}


@pytest.mark.asyncio
async def test_a_year_ahead_is_still_fine(harness: Harness) -> None:
    started = reply_text(await harness.run("ana", SPRINT + " start:2027-11-30"))
    assert "Starts: Tue 30 Nov 2027" in started


# -- links, numbers and ids ----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "link", ["http://[::1", "https://example.org/<script>", "https://example.org:port/x"]
)
async def test_a_broken_link_is_a_friendly_line(
    harness: Harness, database: Database, link: str
) -> None:
    await harness.run("ana", SPRINT)
    await refused(
        harness,
        database,
        f'/sprint complete link:"{link}"',
        "Link to your deliverable must be a web link starting with https://",
    )
    problem = await harness.core.check_field(
        harness.actor("ana"), "cmd:sprint.complete", "link", link
    )
    assert problem is not None
    assert problem.startswith("Link to your deliverable must be")


@pytest.mark.asyncio
async def test_a_link_is_kept_whole(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    done = reply_text(
        await harness.run("ana", "/sprint complete <https://example.org/talks/binaural?id=7>")
    )
    assert "Deliverable: https://example.org/talks/binaural?id=7\n" in done + "\n"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("checkin.open:99999999999999999999", "That button belongs to someone else's check-in."),
        ("checkin.skip:99999999999999999999", "That button belongs to someone else's check-in."),
        ("checkin.open:\u00b2", "That button belongs to someone else's check-in."),
        ("checkin.open:1:99999999999999999999", "Your week 1 check-in opens at"),
    ],
)
async def test_a_button_id_out_of_range_is_a_friendly_line(
    harness: Harness, database: Database, action: str, expected: str
) -> None:
    await harness.run("ana", SPRINT)
    before = await snapshot(database)
    pressed = await harness.core.press(harness.actor("ana"), action)
    assert pressed.message is not None
    assert pressed.message.tone is Tone.ERROR
    assert expected in reply_text(pressed)
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_a_number_too_large_for_the_database_is_a_stale_button(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Any button handler that hands its number to storage unchecked still gets a friendly line.
    registry = build_registry()

    async def lookup(ctx: Context, args: list[str]) -> Response:
        await ctx.store.get_sprint(int(args[0]))
        return Response()

    registry.action("test.lookup", lookup)
    store = await SqliteStore.open(tmp_path / "ids.db")
    try:
        core = Crossfade(store, FakeClock(FIRST), registry=registry)
        actor = Actor("test", "T1", "ana", "Ana", "Test community", False, "general")
        pressed = await core.press(actor, "test.lookup:99999999999999999999")
    finally:
        await store.close()
    assert "That button is out of date" in reply_text(pressed)
    assert "Traceback" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)


@pytest.mark.asyncio
async def test_hours_take_a_decimal(harness: Harness, database: Database) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(FIRST + timedelta(hours=1))
    await refused(
        harness,
        database,
        "/checkin progress:x confidence:3 hours:5.33",
        "Hours spent can be given in tenths (one decimal) or quarters, not 5.33.",
    )
    saved = reply_text(await harness.run("ana", "/checkin progress:x confidence:3 hours:5.5"))
    assert "Hours: 5.5" in saved
    quarter = reply_text(await harness.run("ana", "/checkin progress:x confidence:3 hours:1,75"))
    assert "Hours: 1.75" in quarter
    assert await query(database, "SELECT hours FROM checkin_weeks") == [(1.75,)]


@pytest.mark.asyncio
async def test_whole_hours_survive_the_move_to_decimal_hours(tmp_path: Path) -> None:
    db = tmp_path / "v2.db"
    conn = sqlite3.connect(db)
    for version, sql in migrations()[:2]:
        conn.executescript(f"{sql}\nPRAGMA user_version = {version};")
    conn.executescript(
        "INSERT INTO communities (platform, ext_id, created_at) VALUES ('t', 'T', '2026');"
        "INSERT INTO members (community_id, ext_id, display_name, created_at)"
        " VALUES (1, 'ana', 'Ana', '2026');"
        "INSERT INTO sprints (member_id, goal, skill, deliverable_kind, deliverable, start_date,"
        " weeks, status, created_at) VALUES (1, 'g', 's', 'other', 'd', '2026-11-30', 12,"
        " 'active', '2026-11-30T08:00:00+00:00');"
        "INSERT INTO checkin_weeks (sprint_id, community_id, week, status, opens_at, closes_at,"
        " community_week, confidence, hours) VALUES (1, 1, 1, 'done',"
        " '2026-12-07T10:00:00+00:00', '2026-12-14T10:00:00+00:00', '2026-12-07', 4, 6);"
    )
    conn.close()
    store = await SqliteStore.open(db)
    try:
        (week,) = await store.weeks(1)
        assert week.hours == 6
        assert week.confidence == 4
    finally:
        await store.close()
    conn = sqlite3.connect(db)
    types = {row[1]: row[2] for row in conn.execute("PRAGMA table_info(checkin_weeks)")}
    assert types["hours"] == "REAL"
    conn.close()


# -- small text ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_help_says_optional_once(harness: Harness) -> None:
    for topic in ("checkin", "sprint"):
        shown = reply_text(await harness.run("ana", f"/help command:{topic}"))
        assert "(optional) (optional)" not in shown
        assert "(optional, e.g. holiday) (optional)" not in shown
    assert "hours: Hours spent this week (optional)" in reply_text(
        await harness.run("ana", "/help checkin")
    )


@pytest.mark.asyncio
async def test_a_bare_sprint_edit_opens_its_form_with_the_current_values(
    harness: Harness,
) -> None:
    await harness.run("ana", SPRINT + " weeks:8")
    opened = await harness.core.run_line(harness.actor("ana"), "/sprint edit")
    assert opened.form is not None
    assert opened.message is None
    values = {f.name: f.value for f in opened.form.fields}
    assert values == {
        "goal": "Mix a binaural pilot",
        "skill": "spatial mixing",
        "deliverable": "workshop",
        "deliverable-note": "A workshop on binaural monitoring",
        "weeks": "8",
    }
    saved = await harness.core.submit_form(
        harness.actor("ana"), opened.form.form_id, {**values, "goal": "Mix a binaural series"}
    )
    assert "Sprint updated: Mix a binaural series" in reply_text(saved)
    nobody = await harness.core.run_line(harness.actor("bo"), "/sprint edit")
    assert "You have no active sprint" in reply_text(nobody)
