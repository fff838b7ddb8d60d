"""Reading a lead's fields: pay, skills, dates, links; each bad one a line that writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.errors import OptionError
from bot.features.gigs import inputs
from bot.features.gigs.cards import pay_text
from bot.features.gigs.models import Pay, Per
from tests.gig_helpers import POST, channels, written
from tests.harness import Harness, reply_text
from tests.stores import Database

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("typed", "pay", "shown"),
    [
        ("400-600 EUR per day", Pay(Decimal(400), Decimal(600), "EUR", Per.DAY),
         "€400–600 per day"),
        ("£250 per project", Pay(Decimal(250), None, "GBP", Per.PROJECT), "£250 per project"),
        ("$40/hour", Pay(Decimal(40), None, "USD", Per.HOUR), "$40 per hour"),
        ("unpaid", Pay.unpaid(), "Unpaid"),
        ("CHF 1,200 per project", Pay(Decimal(1200), None, "CHF", Per.PROJECT),
         "1,200 CHF per project"),
        ("€300 – €450 a day", Pay(Decimal(300), Decimal(450), "EUR", Per.DAY), "€300–450 per day"),
        ("37.50 gbp hourly", Pay(Decimal("37.50"), None, "GBP", Per.HOUR), "£37.50 per hour"),
    ],
)  # fmt: skip
def test_pay_reads_as_people_write_it(typed: str, pay: Pay, shown: str) -> None:
    assert inputs.read_pay(typed) == pay
    assert pay_text(inputs.read_pay(typed)) == shown


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Say what the work pays"),
        ("negotiable", "I can't read 'negotiable' as pay"),
        ("400 per day", "Name the currency"),
        ("400 XYZ per day", "XYZ is not a currency I know"),
        ("400 EUR", "Say what the pay is for: per hour, per day or per project"),
        ("600-400 EUR per day", "The minimum (600) is above the maximum (400)"),
        ("100-400 EUR per day", "A pay range may be at most 3× its minimum (100 to 300)"),
        ("£400 EUR per day", "in one currency, not EUR and GBP"),
        ("0 EUR per day", "write pay:unpaid instead"),
    ],
)
def test_bad_pay_names_what_to_fix(typed: str, said: str) -> None:
    with pytest.raises(OptionError, match=None) as caught:
        inputs.read_pay(typed)
    assert caught.value.option == "pay"
    assert said in caught.value.message, caught.value.message


def test_skills_are_one_to_five_deduplicated_ignoring_case_and_spacing() -> None:
    assert inputs.read_skills("Spatial Mixing, spatial-mixing ,  dolby   atmos") == (
        "Spatial Mixing",
        "dolby atmos",
    )
    with pytest.raises(OptionError, match="at most 5 skills \\(you gave 6\\)"):
        inputs.read_skills("a, b, c, d, e, f")
    with pytest.raises(OptionError, match="at least one skill"):
        inputs.read_skills(" , ")
    with pytest.raises(OptionError, match="too long"):
        inputs.read_skills("x" * 41)


def test_when_is_ongoing_a_date_or_a_range_never_in_the_past() -> None:
    assert inputs.read_when("ongoing", TODAY) == (None, None)
    assert inputs.read_when("2027-01-15", TODAY) == (date(2027, 1, 15),) * 2
    assert inputs.read_when("2027-01-15 to 2027-01-20", TODAY) == (
        date(2027, 1, 15),
        date(2027, 1, 20),
    )
    with pytest.raises(OptionError, match="before it starts"):
        inputs.read_when("2027-01-20 to 2027-01-15", TODAY)
    with pytest.raises(OptionError, match="in the past"):
        inputs.read_when("2026-11-01", TODAY)
    with pytest.raises(OptionError, match="as a date"):
        inputs.read_when("soonish", TODAY)


def test_links_are_https_and_never_shortened() -> None:
    assert inputs.read_link("https://example.org/brief") == "https://example.org/brief"
    assert inputs.read_link("<https://example.org/brief|brief>") == "https://example.org/brief"
    assert inputs.read_link("") is None
    with pytest.raises(OptionError, match="use the https:// address, not http://"):
        inputs.read_link("http://example.org/brief")
    for short in ("https://bit.ly/3xyz", "https://www.tinyurl.com/abc", "https://t.co/q"):
        with pytest.raises(OptionError, match="not a shortened one"):
            inputs.read_link(short)
    with pytest.raises(OptionError, match="starting with https://"):
        inputs.read_link("javascript:alert(1)")


def test_place_remote_and_open_days() -> None:
    assert inputs.read_place("Remote") == ""
    assert inputs.read_place("  Berlin,   Funkhaus ") == "Berlin, Funkhaus"
    assert inputs.read_open_days(None) == 14
    with pytest.raises(OptionError, match="open 1 to 60 days"):
        inputs.read_open_days(61)


BAD = [
    (POST.replace('pay:"400-600 EUR per day"', ""), "Pay is required"),
    (POST.replace("400-600 EUR", "600-400 EUR"), "above the maximum"),
    (POST.replace("400-600 EUR", "100-600 EUR"), "at most 3× its minimum"),
    (POST.replace("400-600 EUR", "400-600 ABC"), "ABC is not a currency I know"),
    (POST + " open-days:61", "open 1 to 60 days"),
    (POST + " link:http://example.org/brief", "not http://"),
    (POST + " link:https://bit.ly/brief", "not a shortened one (bit.ly)"),
    (POST + " link:https://bit.ly./brief", "not a shortened one (bit.ly)"),
    (POST + " link:https://bit.ly.", "not a shortened one (bit.ly)"),
    (POST + " link:https://WWW.TinyURL.com./abc", "not a shortened one (tinyurl.com)"),
    (POST + " link:https://ｂｉｔ.ｌｙ/brief", "not a shortened one (bit.ly)"),
    (POST + " open-days:0", "open 1 to 60 days: give open-days:1 or more"),
    (POST + " open-days:-3", "open 1 to 60 days: give open-days:1 or more"),
    (POST.replace('"spatial mixing, dolby atmos"', '"a, b, c, d, e, f"'), "at most 5 skills"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("line", "said"), BAD)
async def test_each_bad_post_is_one_friendly_line_and_writes_nothing(
    harness: Harness, database: Database, line: str, said: str
) -> None:
    await channels(harness)
    before = await written(database)
    reply = await harness.run("ana", line)
    shown = reply_text(reply)
    assert said in shown, shown
    assert "Traceback" not in shown
    assert await written(database) == before
    assert harness.transport.channel("gigs") == []
