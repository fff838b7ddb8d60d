"""Skill names matched whatever their case and spacing, community aliases (admins only),
/gig list best fit first, and /profile gig-alerts."""

from __future__ import annotations

import pytest

from bot.features.gigs.skills import Aliases, skill_key
from tests.gig_helpers import count, open_gig, rows, set_status, sprint
from tests.harness import Harness, reply_text
from tests.stores import Database

DB = "crossfade.db"
ALIAS = '/admin skill-alias alias:atmos skill:"spatial mixing"'


def test_skill_names_are_one_key_whatever_their_case_and_spacing() -> None:
    for typed in ("Spatial-Mixing", "  spatial   mixing ", "SPATIAL_MIXING", "spatial - mixing"):
        assert skill_key(typed) == "spatial mixing", typed
    aliases = Aliases.of({"Atmos": "Spatial Mixing", "immersive": "atmos"})
    assert aliases.resolve("ATMOS") == "spatial mixing"
    assert aliases.resolve("Immersive") == "spatial mixing"  # through two aliases
    assert aliases.resolve("live sound") == "live sound"
    assert aliases.would_loop("spatial mixing", "immersive")


@pytest.mark.asyncio
async def test_an_alias_lets_a_lead_and_a_member_naming_a_skill_differently_match(
    harness: Harness,
) -> None:
    h = harness
    await h.setup_channels()
    saved = await h.run("boss", ALIAS, admin=True)
    assert reply_text(saved).startswith("Alias saved"), reply_text(saved)
    await h.run("kim", "/profile skills:Spatial-Mixing")
    await h.run("lee", "/profile skills:atmos")
    await open_gig(h, "ana", "Atmos mix", skills=("ATMOS",))
    await open_gig(h, "ana", "Immersive mix", skills=("spatial mixing",))
    await h.engine.tick()
    assert [s.message.title for s in h.transport.dms("kim")] == [
        "Gig lead for you: #1 Atmos mix",
        "Gig lead for you: #2 Immersive mix",
    ]
    assert len(h.transport.dms("lee")) == 2
    assert "Fits your skills: ATMOS" in h.transport.dms("kim")[0].text


@pytest.mark.asyncio
async def test_admins_list_replace_and_remove_aliases(harness: Harness, database: Database) -> None:
    h = harness
    refused = await h.run("kim", ALIAS)
    assert "admin" in reply_text(refused).lower()
    assert await count(database, "skill_aliases") == 0
    await h.run("boss", ALIAS, admin=True)
    replaced = await h.run("boss", "/admin skill-alias alias:Atmos skill:immersive", admin=True)
    assert "(it stood for 'spatial mixing')" in reply_text(replaced)
    await h.run("boss", '/admin skill-alias alias:foh skill:"live sound"', admin=True)
    listed = reply_text(await h.run("boss", "/admin skill-aliases", admin=True))
    assert "Atmos → immersive\nfoh → live sound" in listed
    removed = await h.run("boss", "/admin skill-alias alias:ATMOS remove:yes", admin=True)
    assert reply_text(removed).startswith("Alias removed")
    assert await rows(database, "SELECT alias, skill FROM skill_aliases") == [("foh", "live sound")]
    again = await h.run("boss", "/admin skill-alias alias:atmos remove:yes", admin=True)
    assert "'atmos' isn't an alias here" in reply_text(again)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('/admin skill-alias alias:Spatial-Mixing skill:"spatial mixing"', "already the same"),
        ("/admin skill-alias alias:atmos", "Say which skill it stands for"),
        ('/admin skill-alias alias:"spatial mixing" skill:atmos', "remove that alias first"),
        (f"/admin skill-alias alias:{'x' * 41} skill:atmos", "40"),
        ('/admin skill-alias alias:"  " skill:atmos', "Alias is required"),
    ],
)
@pytest.mark.asyncio
async def test_a_bad_alias_gets_one_line_and_writes_nothing(
    harness: Harness, database: Database, line: str, said: str
) -> None:
    await harness.run("boss", ALIAS, admin=True)
    answer = reply_text(await harness.run("boss", line, admin=True))
    # One line saying what to fix (the core adds the command's usage below it).
    assert said in answer.splitlines()[0], answer
    assert await rows(database, "SELECT alias, skill FROM skill_aliases") == [
        ("atmos", "spatial mixing")
    ]


async def three_leads(h: Harness) -> None:
    await h.setup_channels()
    await h.run("boss", ALIAS, admin=True)
    await open_gig(h, "ana", "Podcast mix", skills=("spatial mixing",))
    await open_gig(h, "ana", "Album master", skills=("mastering",), place="Leeds")
    await open_gig(h, "ana", "Hybrid event", skills=("live sound", "atmos"))
    gone = await open_gig(h, "ana", "Old lead", skills=("spatial mixing",))
    await set_status(h, gone, "closed")


def listed(answer: str) -> list[str]:
    return [line.split(":")[0] for line in answer.splitlines() if line.startswith("#")]


@pytest.mark.asyncio
async def test_gig_list_shows_open_leads_best_fit_for_the_reader_first(harness: Harness) -> None:
    h = harness
    await three_leads(h)
    await h.run("kim", '/profile skills:"live sound"')
    await sprint(h, "kim", "spatial mixing", link="https://example.org/kim")
    mine = reply_text(await h.run("kim", "/gig list"))
    # Hybrid event 1 + 3, podcast 3, album 0; the closed lead isn't shown.
    assert listed(mine) == ["#3 Hybrid event", "#1 Podcast mix", "#2 Album master"]
    assert mine.startswith("Gig leads: 3 open")
    assert "#2 Album master: €400–600 per day · Leeds · Ongoing · open until" in mine
    assert "fits you: live sound, atmos" in mine
    # With no skills, newest first.
    assert listed(reply_text(await h.run("new", "/gig list"))) == [
        "#3 Hybrid event",
        "#2 Album master",
        "#1 Podcast mix",
    ]
    # A skill filter goes through aliases.
    only = reply_text(await h.run("new", '/gig list skill:"Spatial-Mixing"'))
    assert listed(only) == ["#3 Hybrid event", "#1 Podcast mix"]
    assert only.startswith("Gig leads wanting Spatial-Mixing: 2 open")
    none = reply_text(await h.run("new", "/gig list skill:theremin"))
    assert "No open leads want theremin right now." in none


@pytest.mark.asyncio
async def test_profile_gig_alerts_switch(harness: Harness, database: Database) -> None:
    h = harness
    shown = reply_text(await h.run("kim", "/profile"))
    assert "Gig alerts: each lead that fits you, by DM" in shown
    saved = reply_text(await h.run("kim", "/profile gig-alerts:digest"))
    assert "Gig alerts: a weekly digest on check-in day" in saved
    assert await rows(database, "SELECT alerts FROM gig_member_settings") == [("digest",)]
    await h.run("kim", "/profile gig-alerts:off")
    assert await rows(database, "SELECT alerts FROM gig_member_settings") == [("off",)]
    bad = reply_text(await h.run("kim", "/profile gig-alerts:sometimes"))
    assert "instant|digest|off" in bad, bad
    assert await rows(database, "SELECT alerts FROM gig_member_settings") == [("off",)]
    await h.run("kim", "/profile gig-alerts:instant")
    assert await count(database, "gig_member_settings") == 0
