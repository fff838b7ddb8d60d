"""Slack's uninstall and token revocation pause the workspace's community and delete its tokens;
a new installation resumes it (adapters/slack/lifecycle.py, bot/communities.py).

Events are real signed bodies posted to the HTTP app, for a workspace whose installation
still exists, as Slack sends them; the outbox then posts (or not) to the Slack fake.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from slack_bolt.async_app import AsyncApp
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import lifecycle
from adapters.slack.http import SignedRequests
from adapters.slack.oauth_stores import CrossfadeInstallationStore
from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import FakeClock, SystemClock
from bot.installations import Installations
from bot.models import Actor, Destination, NewOutbox
from bot.replay import seen_once_for
from bot.secrets_at_rest import TokenCipher
from tests.conftest import START
from tests.fakes.slack_fake import DEFAULT_TEAM_ID, SlackFake, sign_request
from tests.slack_stack import SlackStack, running_stack
from tests.stores import AnyStore, Database, open_store

pytestmark = pytest.mark.asyncio

KEY = Fernet.generate_key().decode()
OTHER_TEAM = "T0OTHERWS"


def event_body(fake: SlackFake, team: str, event: dict[str, Any]) -> str:
    """An Events API delivery to the app, for workspace ``team``."""
    return json.dumps(
        {
            "token": "verification-token-unused",
            "team_id": team,
            "api_app_id": fake.app_id,
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": {**event, "event_ts": f"{time.time():.6f}"},
        }
    )


def signed(fake: SlackFake, body: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    headers.update(sign_request(fake.signing_secret, body))
    return headers


UNINSTALLED = {"type": "app_uninstalled"}


def revoked(*, bot: list[str] | None = None, oauth: list[str] | None = None) -> dict[str, Any]:
    return {"type": "tokens_revoked", "tokens": {"oauth": oauth or [], "bot": bot or []}}


def installation(team: str, user: str = "U0ADMIN", token: str = "xoxb-new") -> Installation:
    return Installation(
        app_id="A1",
        team_id=team,
        team_name=f"Team {team}",
        user_id=user,
        bot_token=token,
        bot_id="B1",
        bot_user_id="U0BOT",
        bot_scopes="commands,chat:write",
    )


def store_of(store: AnyStore, clock: FakeClock) -> CrossfadeInstallationStore:
    return CrossfadeInstallationStore(Installations(store, TokenCipher([KEY]), clock))


async def dm(stack: SlackStack, user: str, words: str) -> None:
    """Queue a DM to a member of the workspace (as a job would)."""
    member = await stack.member(user, user.title())
    payload = json.dumps({"title": words, "body": [words]})
    await stack.store.enqueue(
        [NewOutbox(member.community_id, Destination.dm(member.id), payload)], stack.clock.now()
    )


def posted(fake: SlackFake) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls("chat.postMessage")]


async def test_uninstall_stops_sending_at_once_and_a_reinstall_resumes(
    slack_fake: SlackFake, database: Database
) -> None:
    async with running_stack(slack_fake, database) as stack:
        await dm(stack, "U0ALICE", "Before the uninstall")
        await stack.engine.tick()
        assert len(posted(slack_fake)) == 1
        body = event_body(slack_fake, DEFAULT_TEAM_ID, UNINSTALLED)
        reply = await stack.post(body, signed(slack_fake, body))
        assert reply.status == 200
        # Paused before Slack got its 200: nothing more goes out, and the row waits.
        community = await stack.store.find_community("slack", DEFAULT_TEAM_ID)
        assert community is not None
        assert community.paused_reason == "app uninstalled"
        await dm(stack, "U0ALICE", "While uninstalled")
        await stack.engine.tick()
        assert len(posted(slack_fake)) == 1
        assert await stack.store.outbox_held() == (1, 1)
        # The workspace installs the app again (the OAuth flow saves its installation).
        await store_of(stack.store, stack.clock).async_save(installation(DEFAULT_TEAM_ID))
        found = await stack.store.find_community("slack", DEFAULT_TEAM_ID)
        assert found is not None
        assert found.paused_at is None
        await stack.engine.tick()
        assert len(posted(slack_fake)) == 2
        assert "While uninstalled" in posted(slack_fake)[-1]


async def test_a_revoked_user_token_does_not_pause(
    slack_fake: SlackFake, database: Database
) -> None:
    async with running_stack(slack_fake, database) as stack:
        await stack.member("U0ALICE", "Alice")
        body = event_body(slack_fake, DEFAULT_TEAM_ID, revoked(oauth=["U0ALICE"]))
        assert (await stack.post(body, signed(slack_fake, body))).status == 200
        community = await stack.store.find_community("slack", DEFAULT_TEAM_ID)
        assert community is not None
        assert community.paused_at is None
        body = event_body(slack_fake, DEFAULT_TEAM_ID, revoked(bot=["U0BOT"]))
        assert (await stack.post(body, signed(slack_fake, body))).status == 200
        community = await stack.store.find_community("slack", DEFAULT_TEAM_ID)
        assert community is not None
        assert community.paused_reason == "bot token revoked"


@asynccontextmanager
async def distributed_app(
    fake: SlackFake, database: Database
) -> AsyncIterator[tuple[aiohttp.ClientSession, str, AnyStore, CrossfadeInstallationStore]]:
    """An app authorizing each workspace from the installation store (as distributed),
    with the lifecycle listeners, served over HTTP on 127.0.0.1."""
    store = await open_store(database)
    clock = FakeClock(START)
    installations = store_of(store, clock)
    app = AsyncApp(
        client=AsyncWebClient(base_url=fake.api_url),
        signing_secret=fake.signing_secret,
        installation_store=installations,
        request_verification_enabled=False,
    )
    lifecycle.register(app, Crossfade(store, clock))
    web = WebApp(host="127.0.0.1", port=0)
    request_clock = SystemClock()
    gate = SignedRequests(
        app, fake.signing_secret, clock=request_clock, seen=seen_once_for(store, request_clock)
    )
    web.add_post("/slack/events", gate.handle)
    await web.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield http, web.local_url("/slack/events"), store, installations
    finally:
        await web.stop()
        await store.close()


async def test_revocations_delete_the_tokens_through_bolt_and_only_that_workspace_s(
    slack_fake: SlackFake, database: Database
) -> None:
    async with distributed_app(slack_fake, database) as (http, url, store, installations):
        for team in (DEFAULT_TEAM_ID, OTHER_TEAM):
            await installations.async_save(installation(team, user="U0ADMIN"))
            await installations.async_save(installation(team, user="U0EDITOR"))
            await store.ensure_member(Actor("slack", team, "U0ADMIN", "Admin"), START)

        async def deliver(event: dict[str, Any]) -> None:
            body = event_body(slack_fake, DEFAULT_TEAM_ID, event)
            async with http.post(url, data=body, headers=signed(slack_fake, body)) as resp:
                assert resp.status == 200, await resp.text()

        def find(user: str | None = None) -> Any:
            return installations.async_find_installation(
                enterprise_id=None, team_id=DEFAULT_TEAM_ID, user_id=user
            )

        # A user's token revoked: that user's installation goes; the bot works on.
        await deliver(revoked(oauth=["U0EDITOR"]))
        assert await find("U0EDITOR") is None
        assert await find("U0ADMIN") is not None
        assert await installations.async_find_bot(enterprise_id=None, team_id=DEFAULT_TEAM_ID)
        # The bot's token revoked: the workspace pauses and its bot record goes.
        await deliver(revoked(bot=["U0BOT"]))
        bot = await installations.async_find_bot(enterprise_id=None, team_id=DEFAULT_TEAM_ID)
        assert bot is None
        paused = await store.find_community("slack", DEFAULT_TEAM_ID)
        assert paused is not None
        assert paused.paused_reason == "bot token revoked"
        # Uninstalled: every record of the workspace goes; its data stays.
        await deliver(UNINSTALLED)
        assert await find() is None
        assert await find("U0ADMIN") is None
        paused = await store.find_community("slack", DEFAULT_TEAM_ID)
        assert paused is not None
        assert paused.paused_reason == "app uninstalled"
        assert await store.find_member(paused.id, "U0ADMIN") is not None
        # The other workspace is untouched.
        other = await store.find_community("slack", OTHER_TEAM)
        assert other is not None
        assert other.paused_at is None
        assert await installations.async_find_bot(enterprise_id=None, team_id=OTHER_TEAM)
        # Installed again: resumed.
        await installations.async_save(installation(DEFAULT_TEAM_ID))
        resumed = await store.find_community("slack", DEFAULT_TEAM_ID)
        assert resumed is not None
        assert resumed.paused_at is None
