"""Clinics: hosts, /clinic create with its defaults and its bad input, and the listings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.messages import Timestamp, Tone, plain
from tests.clinic_helpers import CREATE, FIRST, host_clinic, rows
from tests.harness import Harness, reply_text
from tests.stores import Database, snapshot


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.asyncio
async def test_a_host_creates_a_clinic_with_the_defaults(
    harness: Harness, database: Database
) -> None:
    created = await host_clinic(harness)
    assert reply_text(created).startswith("Clinic #1 created: Room calibration")
    assert "the first Friday of every month, at 19:00 Europe/London" in reply_text(created)
    first = created.message.fields[0] if created.message else None
    assert first is not None
    assert Timestamp(FIRST) in first.value
    # The zone is the host's, 90 minutes, announced 7 days before, numbered 1.
    assert await rows(
        database,
        "SELECT number, part, rrule, start_local, timezone, duration_minutes, announce_days,"
        " capacity, location FROM clinic_series",
    ) == [
        (1, 1, "FREQ=MONTHLY;BYDAY=1FR", "2026-11-30T19:00:00", "Europe/London",
         90, 7, None, "Studio A"),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_an_admin_creates_a_clinic_for_a_host_with_every_option(
    harness: Harness, database: Database
) -> None:
    await harness.run("ana", "/profile timezone:Europe/London")
    created = await harness.run(
        "boss",
        '/clinic create title:"Atmos mix review" bring:"A binaural mix" '
        'rule:"third of tue/wed/thu" time:18:30 timezone:America/New_York start:2027-03-01 '
        'duration:2h where:"https://meet.example.org/atmos" capacity:8 announce-days:10 host:ana',
        admin=True,
    )
    assert reply_text(created).startswith("Clinic #1 created: Atmos mix review"), reply_text(
        created
    )
    assert await rows(
        database,
        "SELECT s.rrule, s.start_local, s.timezone, s.duration_minutes, s.capacity,"
        " s.announce_days, m.ext_id FROM clinic_series s JOIN members m ON m.id = s.host_id",
    ) == [
        ("FREQ=MONTHLY;BYSETPOS=3;BYDAY=TU,WE,TH", "2027-03-01T18:30:00",
         "America/New_York", 120, 8, 10, "ana"),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_hosts_are_listed_and_taken_off(harness: Harness) -> None:
    await harness.run("ana", "/profile")
    await harness.run("bob", "/profile")
    await harness.run("boss", "/admin host member:ana", admin=True)
    await harness.run("boss", "/admin host member:bob", admin=True)
    assert "Ana, Bob" in reply_text(await harness.run("boss", "/admin hosts", admin=True))
    removed = await harness.run("boss", "/admin host member:bob remove:yes", admin=True)
    assert "Bob can no longer create clinics" in reply_text(removed)
    listed = reply_text(await harness.run("boss", "/admin hosts", admin=True))
    assert "Ana" in listed
    assert "Bob" not in listed
    refused = await harness.run("bob", CREATE)
    assert "Only hosts and admins can create a clinic" in reply_text(refused)
    members = await harness.run("bob", "/admin hosts")
    assert "/admin hosts is for community admins only." in reply_text(members)


BAD = [
    ('rule:"every blue moon"', "I can't read 'every blue moon' as a recurrence. Try: first friday"),
    ("rule:FREQ=MONTHLY;BYDAY=9TH", "That RRULE doesn't work"),
    ("rule:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "No date from 30 November 2026 on fits that rule"),
    ("rule:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29 start:2028-03-01", "has no session in the year"),
    ("timezone:Mars/Olympus", "'Mars/Olympus' is not a time zone I know."),
    ("capacity:0", "Capacity must be between 1 and 500."),
    ("capacity:100000", "Capacity must be between 1 and 500."),
    ("duration:13h", "A clinic lasts at most 12 hours"),
    ("duration:forever", "I can't read 'forever' as a length"),
    ("start:2026-01-05", "Start date 2026-01-05 is in the past"),
    ('rule:"once on 2026-06-01"', "Every session of that rule is in the past"),
    ("announce-days:0", "Announce days before must be between 1 and 60."),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("change", "expected"), BAD)
async def test_bad_input_to_create_gets_one_line_and_writes_nothing(
    harness: Harness, database: Database, change: str, expected: str
) -> None:
    await host_clinic(harness)
    before = await snapshot(database)
    options = {"bring": '"A mix"', "rule": '"the 15th"', "time": "12:00"}
    options.pop(change.split(":", 1)[0], None)
    given = " ".join(f"{k}:{v}" for k, v in options.items())
    response = await harness.run("ana", f'/clinic create title:"Another clinic" {given} {change}')
    assert response.message is not None
    assert response.message.tone is Tone.ERROR
    shown = reply_text(response)
    assert expected in shown
    assert len(shown.splitlines()) <= 2
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_a_member_who_is_no_host_creates_nothing(
    harness: Harness, database: Database
) -> None:
    await harness.run("kim", "/profile")
    before = await snapshot(database)
    refused = await harness.run("kim", CREATE)
    assert reply_text(refused).startswith("Only hosts and admins can create a clinic: ask an admin")
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_the_same_title_twice_is_refused(harness: Harness) -> None:
    await host_clinic(harness)
    again = await harness.run("ana", CREATE)
    assert "Clinic #1 is called that already" in reply_text(again)


@pytest.mark.asyncio
async def test_list_shows_every_clinic_in_each_readers_time(harness: Harness) -> None:
    await host_clinic(harness)
    await harness.run(
        "ana", '/clinic create title:"Mix review" bring:"A mix" rule:"the 15th" time:12:00'
    )
    listed = await harness.run("kim", "/clinic list")
    assert listed.message is not None
    first = listed.message.fields[:3]
    assert [f.name for f in first] == [
        "#1 Room calibration",
        "#2 Mix review",
        "#1 Room calibration",
    ]
    # Each start is a Timestamp, shown by every platform in the reader's own zone.
    assert [f.value[0] for f in first] == [
        Timestamp(FIRST), Timestamp(utc(2026, 12, 15, 12)), Timestamp(utc(2027, 1, 1, 19)),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_dates_keep_the_local_time_across_daylight_saving(harness: Harness) -> None:
    await host_clinic(harness)
    listed = await harness.run("kim", "/clinic dates clinic:1 count:6")
    assert listed.message is not None
    starts = [f.value[0] for f in listed.message.fields]
    # 19:00 in London: 19:00 UTC in winter, 18:00 UTC from April (BST).
    assert starts == [
        Timestamp(utc(2026, 12, 4, 19)), Timestamp(utc(2027, 1, 1, 19)),
        Timestamp(utc(2027, 2, 5, 19)), Timestamp(utc(2027, 3, 5, 19)),
        Timestamp(utc(2027, 4, 2, 18)), Timestamp(utc(2027, 5, 7, 18)),
    ]  # fmt: skip
    many = await harness.run("kim", "/clinic dates clinic:room count:24")
    assert many.message is not None
    assert len(many.message.fields) == 24
    too_many = await harness.run("kim", "/clinic dates clinic:1 count:25")
    assert "Count must be between 1 and 24." in reply_text(too_many)


@pytest.mark.asyncio
async def test_a_clinic_is_named_by_title_or_number(harness: Harness) -> None:
    await host_clinic(harness)
    await harness.run(
        "ana", '/clinic create title:"Room tuning" bring:"A mic" rule:"last sunday" time:10:00'
    )
    by_number = reply_text(await harness.run("kim", "/clinic info clinic:#2"))
    assert by_number.startswith("#2 Room tuning")
    by_title = reply_text(await harness.run("kim", '/clinic info clinic:"room CALIBRATION"'))
    assert by_title.startswith("#1 Room calibration")
    assert "the last Sunday of every month, at 10:00 Europe/London" in by_number
    both = reply_text(await harness.run("kim", "/clinic info clinic:room"))
    assert "Several clinics match 'room': #1 Room calibration, #2 Room tuning" in both
    unknown = reply_text(await harness.run("kim", "/clinic info clinic:7"))
    assert "There is no clinic #7 here." in unknown


@pytest.mark.asyncio
async def test_info_shows_the_next_session_and_the_readers_answer(harness: Harness) -> None:
    await host_clinic(harness, CREATE + " capacity:4")
    await harness.run("kim", "/clinic rsvp clinic:1 answer:going")
    shown = await harness.run("kim", "/clinic info clinic:1")
    assert shown.message is not None
    fields = {f.name: f.value for f in shown.message.fields}
    assert fields["Next session"][0] == Timestamp(FIRST)
    assert "1 of 4 seats taken · your answer: going" in plain(fields["Next session"])
    assert fields["Host"] == ("Ana",)
    assert fields["Length"] == ("90 min",)
