"""One bot token in two Discord servers: members, schedules, clinics and gigs kept apart.

End to end over real HTTP against the Discord fake (tests/discord_servers.py): Ada is in both
servers with a different time zone and skills in each; each server has its own check-in
schedule, clinic and gig leads. What one server's members are sent, and what its listings and
admin views show, never carries the other's; an admin of one cannot change the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from tests import discord_servers
from tests.discord_servers import ADA, ADA_IN_B, ANN, BEN, BO, CY, A, B, Servers, server_of, titled
from tests.discord_stack import assert_nothing_pings, buttons, text_of

servers = discord_servers.servers


def sprint(goal: str, skill: str) -> dict[str, str | int | bool]:
    """A sprint's options as typed."""
    return {
        "goal": goal,
        "skill": skill,
        "deliverable": "workshop",
        "deliverable-note": f"A short workshop: {goal}",
    }


async def at(s: Servers, when: datetime) -> None:
    """Fast-forward to ``when``, firing and delivering what is due on the way."""
    await s.stack.engine.run_until(s.stack.clock, when)


def utc(text: str) -> datetime:
    """A moment written in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dm_titles(s: Servers, user: int) -> list[tuple[int | None, str]]:
    """A user's DMs as (server their buttons answer to, title), oldest first."""
    return [(server_of(m), (m.get("embeds") or [{}])[0].get("title", "")) for m in s.dms(user)]


def shows(said: str, *, has: Sequence[str] = (), lacks: Sequence[str] = ()) -> None:
    """``said`` holds every text of ``has`` and none of ``lacks``."""
    missing = [t for t in has if t not in said]
    leaked = [t for t in lacks if t in said]
    assert (missing, leaked) == ([], []), said


def named(shown: str) -> set[int]:
    """The users a message names (as mentions)."""
    return {int(u) for u in re.findall(r"<@!?(\d+)>", shown)}


async def schedules(s: Servers) -> None:
    """A: Mondays 10:00, London, reminder after 24 h. B: Thursdays 18:00, Kolkata, after 6 h.

    Ada lives in New York for A and in Tokyo for B; Bo and Cy keep their server's zone.
    """
    for server in (A, B):
        said = await s.run(server, server.admin, "admin channel", {"purpose": "checkins"})
        assert "Channel set" in said, said
    said = await s.run(
        A,
        ANN,
        "admin schedule",
        {"day": "monday", "time": "10:00", "timezone": "Europe/London", "reminder-hours": 24},
    )
    assert "Monday" in said, said
    said = await s.run(
        B,
        BEN,
        "admin schedule",
        {"day": "thursday", "time": "18:00", "timezone": "Asia/Kolkata", "reminder-hours": 6},
    )
    assert "Thursday" in said, said
    said = await s.run(A, ADA, "profile", {"timezone": "America/New_York"})
    assert "America/New_York" in said, said
    said = await s.run(B, ADA, "profile", {"timezone": "Asia/Tokyo"})
    assert "Asia/Tokyo" in said, said
    for server, user, goal in (
        (A, ADA, "A: mix an Atmos short"),
        (A, BO, "A: tune a live rig"),
        (B, ADA, "B: record a choir"),
        (B, CY, "B: teach a mic course"),
    ):
        said = await s.run(server, user, "sprint start", sprint(goal, "live sound"))
        assert "Sprint started" in said, said


@pytest.mark.asyncio
async def test_each_servers_prompts_reminders_and_summaries_reach_only_its_members(
    servers: Servers,
) -> None:
    s = servers
    await schedules(s)

    # Thursday 3 Dec: B's slot, 18:00 in Tokyo (09:00 UTC) for Ada, in Kolkata (12:30) for Cy.
    await at(s, utc("2026-12-03T09:05"))
    assert dm_titles(s, ADA) == [(B.id, "Weekly check-in · week 1 of 12")]
    assert "B: record a choir" in text_of(s.dms(ADA)[0])
    assert dm_titles(s, CY) == []
    assert dm_titles(s, BO) == []
    await at(s, utc("2026-12-03T12:35"))
    assert dm_titles(s, CY) == [(B.id, "Weekly check-in · week 1 of 12")]
    # B's reminder comes 6 hours later: Ada's at 15:00 UTC, Cy's at 18:30.
    await at(s, utc("2026-12-03T15:05"))
    assert dm_titles(s, ADA)[1:] == [(B.id, "Reminder: week 1 check-in")]
    assert len(dm_titles(s, CY)) == 1

    # Ada answers B's prompt from her DMs: B's week is done, A has no week yet.
    (prompt,) = titled(s.dms(ADA), "Weekly check-in")
    _, shown = await s.stack.click(prompt, "Check in", user_id=ADA)
    modal = shown.json["data"]
    answers = {"progress": "Booked the choir", "blockers": "", "confidence": "4", "hours": "3"}
    reply = await s.stack.submit(modal, answers, user_id=ADA, dm=True)
    assert "Checked in for week 1 of 12" in text_of(reply.json["data"])
    said_b = await s.run(B, ADA, "sprint status")
    said_a = await s.run(A, ADA, "sprint status")
    assert "B: record a choir" in said_b
    assert "A:" not in said_b
    assert "A: mix an Atmos short" in said_a
    assert "B:" not in said_a
    assert re.search(r"1 done", said_b), said_b
    assert not re.search(r"[1-9] done", said_a), said_a
    # Her path in each server is that server's sprints only.
    shows(await s.run(A, ADA, "journey"), has=["A: mix an Atmos short"], lacks=["B: record"])
    shows(await s.run(B, ADA, "journey"), has=["B: record a choir"], lacks=["A: mix"])

    # Monday 7 Dec: A's slot, 10:00 in London for Bo (10:00 UTC), New York for Ada (15:00).
    await at(s, utc("2026-12-07T10:05"))
    assert dm_titles(s, BO) == [(A.id, "Weekly check-in · week 1 of 12")]
    assert [t for t in dm_titles(s, ADA) if t[0] == A.id] == []
    await at(s, utc("2026-12-07T15:05"))
    assert dm_titles(s, ADA)[-1] == (A.id, "Weekly check-in · week 1 of 12")
    assert "A: mix an Atmos short" in text_of(s.dms(ADA)[-1])
    assert all(server == B.id for server, _ in dm_titles(s, CY))

    # Each week's summary goes to its own server's check-ins channel, naming its own members.
    await at(s, utc("2026-12-15T12:00"))
    (summary_b,) = [p for p in s.posts(B) if p.startswith("Weekly check-ins")]
    (summary_a,) = [p for p in s.posts(A) if p.startswith("Weekly check-ins")]
    # Names in summaries are mentions that never ping: <@id>.
    assert named(summary_b) == {ADA, CY}, summary_b
    assert named(summary_a) == {ADA, BO}, summary_a
    assert "Booked the choir" not in summary_a
    assert assert_nothing_pings(s.fake) > 0


# ---------------------------------------------------------------------- clinics


async def clinics(s: Servers) -> None:
    """A: Ada hosts "Room calibration" (first Friday 19:00 London, 4 Dec 19:00 UTC).
    B: its admin Ben hosts "Mic shootout" (first Friday 20:00 Kolkata, 4 Dec 14:30 UTC)."""
    for server, user, zone in ((A, ADA, "America/New_York"), (A, BO, "Europe/London")):
        said = await s.run(server, user, "profile", {"timezone": zone})
        assert zone in said, said
    for server in (A, B):
        said = await s.run(server, server.admin, "admin channel", {"purpose": "clinics"})
        assert "Channel set" in said, said
    said = await s.run(A, ANN, "admin host", members={"member": ADA})
    assert "Host added" in said, said
    said = await s.run(
        A,
        ADA,
        "clinic create",
        {
            "title": "Room calibration",
            "bring": "A room measurement",
            "rule": "first friday",
            "time": "19:00",
            "timezone": "Europe/London",
        },
    )
    assert "created" in said, said
    said = await s.run(
        B,
        BEN,
        "clinic create",
        {
            "title": "Mic shootout",
            "bring": "Your favourite vocal mic",
            "rule": "first friday",
            "time": "20:00",
            "timezone": "Asia/Kolkata",
        },
    )
    assert "created" in said, said


@pytest.mark.asyncio
async def test_each_servers_clinics_rsvps_and_reminders_stay_in_that_server(
    servers: Servers,
) -> None:
    s = servers
    await clinics(s)
    # Ada hosts in A only: B does not let her create a clinic.
    said = await s.run(
        B,
        ADA,
        "clinic create",
        {"title": "X", "bring": "Y", "rule": "first friday", "time": "19:00"},
    )
    assert "created" not in said, said
    said = await s.run(B, BEN, "admin clinics", {"reminders": "2h"})
    assert "2" in said, said

    # Both clinics are #1 of their own server; answers go to that server's session.
    for server, user, answer in (
        (A, ADA, "going"),
        (A, BO, "going"),
        (B, CY, "going"),
        (B, ADA, "cant"),
    ):
        said = await s.run(server, user, "clinic rsvp", {"clinic": "1", "answer": answer})
        assert said, said
    said = await s.run(A, BO, "clinic rsvp", {"clinic": "Mic shootout", "answer": "going"})
    shows(said, has=["Mic shootout"], lacks=["You're"])
    await s.stack.engine.tick()

    # Announcements and their server events stay in their own server.
    shown_a, shown_b = "\n".join(s.posts(A)), "\n".join(s.posts(B))
    assert "Room calibration" in shown_a
    assert "Mic shootout" not in shown_a
    assert "Mic shootout" in shown_b
    assert "Room calibration" not in shown_b
    assert [e["name"] for e in s.fake.events_in(A.id)] == ["Room calibration"]
    assert [e["name"] for e in s.fake.events_in(B.id)] == ["Mic shootout"]

    # Listings in one server never show the other's clinic.
    for server, mine, theirs in (
        (A, "Room calibration", "Mic shootout"),
        (B, "Mic shootout", "Room calibration"),
    ):
        for path, options in (("clinic list", {}), ("clinic info", {"clinic": "1"})):
            said = await s.run(server, ADA, path, options)
            shows(said, has=[mine], lacks=[theirs])
    hosts_a = await s.run(A, ANN, "admin hosts")
    hosts_b = await s.run(B, BEN, "admin hosts")
    assert ADA in named(hosts_a) or "Ada" in hosts_a, hosts_a
    assert ADA not in named(hosts_b), hosts_b
    shows(hosts_b, lacks=["Ada"])

    # Reminders: A's 24 h before to Bo (its host Ada gets who is coming); B's 2 h before to
    # Cy only (Ada can't), and B's host Ben gets a list without Ada.
    await at(s, utc("2026-12-03T19:05"))
    assert dm_titles(s, BO) == [(A.id, "Reminder: Room calibration")]
    assert [t for _, t in dm_titles(s, ADA)] == ["Your clinic: Room calibration"]
    assert dm_titles(s, CY) == []
    assert dm_titles(s, BEN) == []
    (host_a,) = s.dms(ADA)
    assert BO in named(text_of(host_a)) or "Bo" in text_of(host_a), text_of(host_a)
    assert "Cy" not in text_of(host_a)
    assert CY not in named(text_of(host_a))
    await at(s, utc("2026-12-04T12:35"))
    assert dm_titles(s, CY) == [(B.id, "Reminder: Mic shootout")]
    assert [t for _, t in dm_titles(s, BEN)] == ["Your clinic: Mic shootout"]
    host_b = text_of(s.dms(BEN)[0])
    assert CY in named(host_b) or "Cy" in host_b, host_b
    assert ADA not in named(host_b), host_b
    shows(host_b, lacks=["Ada", "Bo"])
    assert [t for _, t in dm_titles(s, ADA)] == ["Your clinic: Room calibration"]
    assert len(dm_titles(s, BO)) == 1
    assert assert_nothing_pings(s.fake) > 0


# ---------------------------------------------------------------------- gig leads


def gig(title: str, skills: str) -> dict[str, str | int | bool]:
    """A lead's options as typed."""
    return {
        "title": title,
        "details": f"{title}: six episodes, stems ready",
        "skills": skills,
        "pay": "400-600 EUR per day",
        "where": "remote",
        "when": "ongoing",
    }


async def gig_profiles(s: Servers) -> None:
    """Gigs channels set; Ada wants spatial mixing in A (New York) but live sound in B (Tokyo),
    Bo live sound (London), Cy spatial mixing (Berlin)."""
    for server in (A, B):
        said = await s.run(
            server, server.admin, "admin channel", {"purpose": "gigs"}, channel=server.gigs
        )
        assert "Channel set" in said, said
    for server, user, zone, skills in (
        (A, ADA, "America/New_York", "spatial mixing"),
        (A, BO, "Europe/London", "live sound"),
        (B, ADA, "Asia/Tokyo", "live sound"),
        (B, CY, "Europe/Berlin", "spatial mixing"),
    ):
        said = await s.run(server, user, "profile", {"timezone": zone, "skills": skills})
        assert skills in said, said


def gig_dms(s: Servers, user: int) -> list[tuple[int | None, str]]:
    """A user's DMs about gig leads: alerts and intros, as (server, title)."""
    return [t for t in dm_titles(s, user) if t[1].startswith(("Gig lead", "Interested in"))]


@pytest.mark.asyncio
async def test_each_servers_gig_leads_alert_and_list_only_its_own_members(
    servers: Servers,
) -> None:
    s = servers
    await gig_profiles(s)
    # Both leads want spatial mixing: only A's Ada and B's Cy hold it in that server.
    said = await s.run(A, ANN, "gig post", gig("Atmos podcast mix", "spatial mixing"))
    assert said.startswith("Gig #1 posted"), said
    said = await s.run(B, BEN, "gig post", gig("Binaural field recording", "spatial mixing"))
    assert said.startswith("Gig #1 posted"), said
    # A's alias in A only: B's lead wanting "immersive" fits nobody in B.
    said = await s.run(
        A, ANN, "admin skill-alias", {"alias": "immersive", "skill": "spatial mixing"}
    )
    assert "immersive" in said, said
    said = await s.run(B, BEN, "admin skill-aliases")
    assert "No aliases yet" in said, said
    said = await s.run(B, BEN, "gig post", gig("Atmos trailer", "immersive"))
    assert said.startswith("Gig #2 posted"), said
    await s.stack.engine.tick()

    # Each lead is posted in its own server's gigs channel.
    assert [p.splitlines()[0] for p in s.posts(A, "gigs")] == ["#1 Atmos podcast mix"]
    assert sorted(p.splitlines()[0] for p in s.posts(B, "gigs")) == [
        "#1 Binaural field recording",
        "#2 Atmos trailer",
    ]
    # Cy (09:00 in Berlin) is told of B's lead at once; Ada's A alert waits for 08:00 in New
    # York; her B profile (live sound) fits no B lead; Bo fits nothing.
    assert gig_dms(s, CY) == [(B.id, "Gig lead for you: #1 Binaural field recording")]
    assert gig_dms(s, ADA) == []
    assert gig_dms(s, BO) == []
    await at(s, utc("2026-11-30T13:05"))
    assert gig_dms(s, ADA) == [(A.id, "Gig lead for you: #1 Atmos podcast mix")]
    assert gig_dms(s, BO) == []
    assert len(gig_dms(s, CY)) == 1

    # Listings: each server's leads only.
    for server, user in ((A, BO), (A, ADA)):
        said = await s.run(server, user, "gig list")
        shows(said, has=["Atmos podcast mix"], lacks=["Binaural", "Atmos trailer"])
    said = await s.run(B, ADA, "gig list")
    shows(said, has=["Binaural field recording"], lacks=["Atmos podcast mix"])
    said = await s.run(A, ANN, "gig mine")
    shows(said, has=["Atmos podcast mix"], lacks=["Binaural"])
    said = await s.run(B, BEN, "gig mine")
    shows(said, has=["Binaural"], lacks=["Atmos podcast mix"])

    # Ada's interest from her DMs goes to A's poster; "gig:1" in B means B's lead #1.
    (alert,) = titled(s.dms(ADA), "Gig lead for you")
    await s.stack.click(alert, "I'm interested", user_id=ADA)
    said = await s.run(B, ADA, "gig interested", {"gig": "1"})
    assert "Binaural field recording" in said, said
    await s.stack.engine.tick()
    assert gig_dms(s, ANN) == [(None, "Interested in #1 Atmos podcast mix: Ada")]
    # Each server knows her by its own name for her.
    assert gig_dms(s, BEN) == [(None, f"Interested in #1 Binaural field recording: {ADA_IN_B}")]
    assert assert_nothing_pings(s.fake) > 0


# ---------------------------------------------------------------------- admins


@pytest.mark.asyncio
async def test_an_admin_of_one_server_changes_nothing_in_the_other(servers: Servers) -> None:
    s = servers
    await schedules(s)
    await clinics(s)
    await gig_profiles(s)
    for server in (A, B):
        said = await s.run(server, server.admin, "gig post", gig("Live mix", "live sound"))
        assert said.startswith("Gig #1 posted"), said
    link_b = await s.run(B, BEN, "admin calendar-link")

    # A's admin moves A's check-ins, rotates A's feed, asks approval for A's leads.
    said = await s.run(A, ANN, "admin schedule", {"day": "friday", "time": "09:00"})
    assert "Friday" in said, said
    said = await s.run(A, ANN, "admin calendar-link", {"rotate": True})
    assert said != link_b
    said = await s.run(A, ANN, "admin gigs", {"approval": True})
    # Naming B's clinic in A finds nothing; "clinic:1" and "gig:1" in A are A's own.
    said = await s.run(
        A, ANN, "clinic cancel", {"clinic": "Mic shootout", "date": "2026-12-04", "reason": "x"}
    )
    assert "Cancelled" not in said, said
    said = await s.run(
        A, ANN, "clinic cancel", {"clinic": "1", "date": "2026-12-04", "reason": "Room flooded"}
    )
    assert "Room calibration" in said, said
    said = await s.run(A, ANN, "gig delete", {"gig": "1"})
    assert "Live mix" in said or "#1" in said, said

    # B is as it was: its schedule, its feed, its leads published at once, its clinic on.
    said = await s.run(B, BEN, "admin schedule")
    shows(said, has=["Thursday", "18:00"], lacks=["Friday"])
    assert await s.run(B, BEN, "admin calendar-link") == link_b
    said = await s.run(B, BEN, "gig post", gig("Stage monitor tech", "live sound"))
    assert said.startswith("Gig #2 posted"), said
    said = await s.run(B, CY, "gig list")
    shows(said, has=["Live mix", "Stage monitor tech"])
    said = await s.run(B, CY, "clinic list")
    shows(said, has=["Mic shootout"], lacks=["Cancelled", "Room flooded"])
    await at(s, utc("2026-12-03T09:05"))
    assert dm_titles(s, ADA)[-1] == (B.id, "Weekly check-in · week 1 of 12")
    assert [e["status"] for e in s.fake.events_in(B.id)] == [1]  # still scheduled
    assert all("Room flooded" not in text_of(m) for u in (CY, BEN) for m in s.dms(u))
    assert all("Cancelled" not in p for p in s.posts(B))


@pytest.mark.asyncio
async def test_a_clinic_button_naming_another_servers_session_changes_nothing(
    servers: Servers,
) -> None:
    s = servers
    await clinics(s)
    await s.stack.engine.tick()
    (announcement,) = [
        m for m in s.fake.messages(B.general) if "Mic shootout" in text_of(m) and buttons(m)
    ]
    going = buttons(announcement)["Going"]
    assert going.startswith(f"cf:{B.id}:")
    # The same action, as a button of server A (pressed in A's channel and in a DM).
    forged = f"cf:{A.id}:" + going.split(":", 2)[2]
    for context in ({"guild_id": A.id, "channel_id": A.general}, {"dm": True}):
        payload = s.fake.build_component(forged, user_id=BO, **context)
        await s.fake.push_interaction(payload)
        reply = await s.fake.wait_for_callback(payload)
        said = text_of(reply.json.get("data") or {})
        assert "out of date" in said, said
    await s.stack.engine.tick()
    said = await s.run(B, CY, "clinic info", {"clinic": "1"})
    assert "Bo" not in said, said
    assert all("Bo" not in text_of(m) for m in s.fake.messages(B.general))
    assert dm_titles(s, BO) == []
