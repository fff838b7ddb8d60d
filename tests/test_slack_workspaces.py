"""Two Slack workspaces installed through the OAuth flow, served by one deployment, kept apart.

Each workspace is its own community: its members, sprints, check-in schedule, clinics and gigs
are its own, a command in one never shows anything of the other, and everything sent to a
workspace goes with that workspace's bot token. A row for a workspace whose installation is
gone waits for an admin, neither retried hot nor lost.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.bot import Bot

from adapters.slack.workspaces import WorkspaceTransports
from bot.clock import FakeClock
from bot.messages import Tone
from bot.models import DestinationKind
from bot.notices import notice
from bot.transport import Target
from tests.fakes.slack_fake import FakeTeam, SlackFake
from tests.slack_distribution_stack import DistributedStack, distributed_stack
from tests.slack_stack import START, texts_of
from tests.stores import Database, query

pytestmark = pytest.mark.asyncio

KEY = Fernet.generate_key().decode()
SPRINT = (
    'start goal:"{goal}" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A 45-minute online workshop" weeks:6'
)


async def run(
    stack: DistributedStack, team: str, user: str, command: str, text: str, channel: str = ""
) -> str:
    """A slash command in a workspace; the text of the answer Slack was sent."""
    reply, url = await stack.command(text, team=team, user=user, command=command, channel=channel)
    assert reply.status == 200
    answer = await stack.fake.wait_for_response(url)
    return texts_of(answer.body["blocks"])


async def set_up(
    stack: DistributedStack, team: str, admin: str, member: str, *, day: str, name: str
) -> None:
    """An admin sets their workspace up; a member starts a sprint."""
    prefix = f"C{team[1:]}"
    await run(stack, team, admin, "/admin", "channel purpose:clinics", f"{prefix}NEWS")
    await run(stack, team, admin, "/admin", "channel purpose:gigs", f"{prefix}GIGS")
    await run(stack, team, admin, "/admin", f"schedule day:{day} time:10:00")
    created = await run(
        stack,
        team,
        admin,
        "/clinic",
        f'create title:"{name} clinic" bring:"A room measurement" rule:"first friday" '
        'time:19:00 where:"Studio A"',
    )
    assert "created" in created, created
    posted = await run(
        stack,
        team,
        member,
        "/gig",
        f'post title:"{name} lead" details:"Six episodes" skills:"mixing" pay:"£250 per project" '
        'where:"Bristol" when:2027-01-15',
    )
    assert "posted" in posted, posted
    started = await run(stack, team, member, "/sprint", SPRINT.format(goal=f"{name} goal"))
    assert "Sprint started" in started, started


async def test_two_workspaces_are_kept_apart(slack_fake: SlackFake, database: Database) -> None:
    a = slack_fake.add_team("T0AAA", name="Atmos Guild")
    b = slack_fake.add_team("T0BBB", name="Broadcast Club")
    slack_fake.add_user("U0ADA", name="Ada", tz="Europe/London", is_admin=True, team_id="T0AAA")
    slack_fake.add_user("U0ALICE", name="Alice", tz="Europe/Berlin", team_id="T0AAA")
    slack_fake.add_user("U0BEA", name="Bea", tz="America/New_York", is_admin=True, team_id="T0BBB")
    slack_fake.add_user("U0BOB", name="Bob", tz="Asia/Tokyo", team_id="T0BBB")
    clock = FakeClock(START)
    async with (
        distributed_stack(slack_fake, database, KEY, clock=clock) as one,
        distributed_stack(slack_fake, database, KEY, clock=clock) as two,
    ):
        assert (await one.install("T0AAA")).status == 200
        assert (await two.install("T0BBB", finish_on=one)).status == 200
        await set_up(one, "T0AAA", "U0ADA", "U0ALICE", day="tuesday", name="Atmos")
        await set_up(two, "T0BBB", "U0BEA", "U0BOB", day="friday", name="Broadcast")

        # Each workspace is its own community, named as its installation says.
        communities = await query(
            database, "SELECT ext_id, name, checkin_weekday FROM communities ORDER BY ext_id"
        )
        assert [tuple(row) for row in communities] == [
            ("T0AAA", "Atmos Guild", 1),
            ("T0BBB", "Broadcast Club", 4),
        ]
        members = await query(
            database,
            "SELECT c.ext_id, m.ext_id FROM members m JOIN communities c ON c.id = m.community_id "
            "ORDER BY m.ext_id",
        )
        assert sorted(tuple(row) for row in members) == [
            ("T0AAA", "U0ADA"),
            ("T0AAA", "U0ALICE"),
            ("T0BBB", "U0BEA"),
            ("T0BBB", "U0BOB"),
        ]

        # A command in one workspace shows only its own clinics and leads.
        listed = await run(two, "T0AAA", "U0ALICE", "/clinic", "list")
        assert "Atmos clinic" in listed
        assert "Broadcast" not in listed
        mine = await run(one, "T0BBB", "U0BOB", "/gig", "mine")
        assert "Broadcast lead" in mine
        assert "Atmos" not in mine
        status = await run(one, "T0BBB", "U0BOB", "/sprint", "status")
        assert "Broadcast goal" in status
        assert "Atmos" not in status

        # Each sprint's first check-in falls on its own workspace's day.
        sprints = await query(
            database,
            "SELECT m.ext_id, s.next_prompt_at FROM sprints s JOIN members m ON m.id = s.member_id"
            " ORDER BY m.ext_id",
        )
        days = {str(user): datetime.fromisoformat(str(at)).weekday() for user, at in sprints}
        assert days == {"U0ALICE": 1, "U0BOB": 4}
        # Ten days of deliveries: announcements, leads and every first check-in.
        await one.engine.run_until(clock, clock.now() + timedelta(days=10))
        await two.engine.run_until(clock, clock.now() + timedelta(hours=1))
        posts = [c for c in slack_fake.calls("chat.postMessage") if c.ok]
        assert posts
        for post in posts:
            team = slack_fake.team_of(post.token)
            assert team in (a, b), post
            other = b if team is a else a
            shown = texts_of(post.params.get("blocks") or []) + str(post.params.get("text"))
            assert other.name.split()[0] not in shown, (team.team_id, shown)
            assert _owner(str(post.response["channel"])) == team.team_id, post
        # Everyone's DMs went with their own workspace's token.
        prompts = {
            str(p.params["channel"]): p.token for p in posts if "Weekly check-in" in _shown(p)
        }
        assert prompts == {"U0ALICE": a.bot_token, "U0BOB": b.bot_token}
        assert _channels(posts, a) >= {"C0AAANEWS", "C0AAAGIGS"}
        assert _channels(posts, b) >= {"C0BBBNEWS", "C0BBBGIGS"}
        # And every lookup of a person asked their own workspace.
        for lookup in slack_fake.calls("users.info"):
            team = slack_fake.team_of(lookup.token)
            assert team is not None
            assert _owner_of_user(str(lookup.params["user"])) == team.team_id


def _shown(post: object) -> str:
    params = getattr(post, "params", {})
    return texts_of(params.get("blocks") or []) + str(params.get("text"))


def _channels(posts: list[object], team: FakeTeam) -> set[str]:
    return {
        str(getattr(p, "params", {})["channel"])
        for p in posts
        if getattr(p, "token", None) == team.bot_token
    }


def _owner_of_user(user: str) -> str:
    return {"U0ADA": "T0AAA", "U0ALICE": "T0AAA", "U0BEA": "T0BBB", "U0BOB": "T0BBB"}[user]


def _owner(channel: str) -> str:
    """The workspace a channel (or a user's DM with the app) belongs to, in this test."""
    if channel.startswith("C0AAA"):
        return "T0AAA"
    if channel.startswith("C0BBB"):
        return "T0BBB"
    return _owner_of_user("U" + channel[1:])  # D… is the fake's DM with U…


async def test_a_row_for_a_workspace_without_its_installation_waits_and_then_goes(
    slack_fake: SlackFake, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    a = slack_fake.add_team("T0AAA", name="Atmos Guild")
    slack_fake.add_user("U0ALICE", name="Alice", tz="Europe/Berlin", team_id="T0AAA")
    clock = FakeClock(START)
    async with distributed_stack(slack_fake, database, KEY, clock=clock) as stack:
        assert (await stack.install("T0AAA")).status == 200
        await run(stack, "T0AAA", "U0ALICE", "/sprint", SPRINT.format(goal="Atmos goal"))
        # The installation is gone (as after an uninstall) before the first prompt is due.
        await stack.distribution.installation_store.async_delete_bot(
            enterprise_id=None, team_id="T0AAA"
        )
        assert stack.distribution.workspaces is not None
        stack.distribution.workspaces.forget("T0AAA")
        with caplog.at_level(logging.WARNING):
            await stack.engine.run_until(clock, clock.now() + timedelta(days=8))
        assert slack_fake.calls("chat.postMessage") == []
        prompt_row = "SELECT status, attempts, last_error FROM outbox WHERE dest_kind = 'dm'"
        (row,) = await query(database, prompt_row)
        status, attempts, error = row
        # Held for an admin, not failed and not counting tries; one line per hold.
        assert status in ("pending", "sending")
        assert attempts <= 1
        assert "isn't installed in Slack workspace T0AAA" in error
        assert "https://crossfade.example.org/slack/install" in error
        holds = [r for r in caplog.records if "waits for an admin" in r.getMessage()]
        assert len(holds) == 1  # held a day at a time, never retried hot
        assert all(r.exc_info is None for r in caplog.records)

        # Reinstalled: the row goes with the workspace's token at its next try.
        assert (await stack.install("T0AAA")).status == 200
        await stack.engine.run_until(clock, clock.now() + timedelta(days=1, minutes=1))
        posts = slack_fake.calls("chat.postMessage")
        (prompt,) = [p for p in posts if "Weekly check-in · week 1" in _shown(p)]
        assert prompt.token == a.bot_token
        assert prompt.params["channel"] == "U0ALICE"
        first = await query(database, prompt_row + " ORDER BY id")
        assert first[0][0] == "delivered"
        assert all(post.token == a.bot_token for post in posts)


async def test_every_workspace_s_client_shares_one_connection_pool(
    slack_fake: SlackFake, database: Database
) -> None:
    slack_fake.add_team("T0AAA")
    slack_fake.add_team("T0BBB")
    async with distributed_stack(slack_fake, database, KEY) as stack:
        assert (await stack.install("T0AAA")).status == 200
        assert (await stack.install("T0BBB")).status == 200
        transport = stack.adapter.transport
        assert isinstance(transport, WorkspaceTransports)
        first = await transport.transport_for("T0AAA")
        second = await transport.transport_for("T0BBB")
        assert first.client.token != second.client.token
        session = stack.adapter.client.session
        assert session is not None
        assert first.client.session is session
        assert second.client.session is session
        assert stack.distribution.flow is not None
        assert stack.distribution.flow.client.session is session


async def test_a_workspace_s_token_is_read_once_for_concurrent_sends(
    slack_fake: SlackFake, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack_fake.add_team("T0AAA")
    async with distributed_stack(slack_fake, database, KEY) as stack:
        assert (await stack.install("T0AAA")).status == 200
        workspaces = stack.distribution.workspaces
        assert workspaces is not None
        workspaces.forget("T0AAA")
        store = stack.distribution.installation_store
        reads: list[str | None] = []
        real_find = store.async_find_bot

        async def counted(**where: Any) -> Bot | None:
            reads.append(where.get("team_id"))
            return await real_find(**where)

        monkeypatch.setattr(store, "async_find_bot", counted)
        transport = stack.adapter.transport
        assert isinstance(transport, WorkspaceTransports)
        found = await asyncio.gather(*(transport.transport_for("T0AAA") for _ in range(20)))
        assert reads == ["T0AAA"]  # decrypted once, then cached
        assert len({id(t) for t in found}) == 1


async def test_a_process_holding_a_revoked_token_sends_with_the_reinstalled_one(
    slack_fake: SlackFake, database: Database
) -> None:
    a = slack_fake.add_team("T0AAA")
    slack_fake.add_user("U0ALICE", name="Alice", team_id="T0AAA")
    clock = FakeClock(START)
    async with (
        distributed_stack(slack_fake, database, KEY, clock=clock) as one,
        distributed_stack(slack_fake, database, KEY, clock=clock) as two,
    ):
        assert (await one.install("T0AAA")).status == 200
        transport = two.adapter.transport
        assert isinstance(transport, WorkspaceTransports)
        target = Target("T0AAA", DestinationKind.DM, user_id="U0ALICE")
        await transport.send(target, notice("before", tone=Tone.INFO), key="k1")
        # Uninstalled and installed again through the other process: a new token, the old
        # one revoked, while this process still has the old one cached.
        old = a.bot_token
        new = slack_fake.revoke_token("T0AAA")
        assert (await one.install("T0AAA")).status == 200

        await transport.send(target, notice("after", tone=Tone.INFO), key="k2")

        posts = slack_fake.calls("chat.postMessage")
        assert [(p.token, p.ok) for p in posts] == [(old, True), (old, False), (new, True)]
