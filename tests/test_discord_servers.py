"""One bot token in two Discord servers: members, schedules, clinics and gigs kept apart.

End to end over real HTTP against the Discord fake (tests/discord_servers.py): Ada is in both
servers with a different time zone and skills in each; each server has its own check-in
schedule, clinic and gig leads. What one server's members are sent, and what its listings and
admin views show, never carries the other's; an admin of one cannot change the other.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests import discord_servers
from tests.discord_servers import ADA, ANN, BEN, BO, CY, A, B, Server, Servers, server_of, titled
from tests.discord_stack import assert_nothing_pings, text_of

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
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dm_titles(s: Servers, user: int) -> list[tuple[int | None, str]]:
    """A user's DMs as (server their buttons answer to, title), oldest first."""
    return [(server_of(m), (m.get("embeds") or [{}])[0].get("title", "")) for m in s.dms(user)]


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
    assert dm_titles(s, CY) == [] and dm_titles(s, BO) == []
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
    assert "B: record a choir" in said_b and "A:" not in said_b
    assert "A: mix an Atmos short" in said_a and "B:" not in said_a
    assert re.search(r"1 done", said_b), said_b
    assert not re.search(r"[1-9] done", said_a), said_a

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


__all__ = ["ANN", "BEN", "Server"]
