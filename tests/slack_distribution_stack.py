"""A distributed Slack app (SLACK_CLIENT_ID/SECRET) against the Slack fake, over real HTTP.

Workspaces install it through bolt's OAuth flow as a browser would: /slack/install, Slack's
consent page (the fake's), back to /slack/oauth_redirect. Every stack is given the same public
address, as processes behind one load balancer are; ``local`` maps it to one stack's port, so
an install begun on one process can finish on another.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from adapters.slack.adapter import SlackAdapter
from adapters.slack.distribution import Distribution
from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.installations import Installations
from bot.secrets_at_rest import TokenCipher
from tests.fakes.slack_fake import SlackFake, signed_form_request, slash_command_body
from tests.slack_stack import START, Reply
from tests.stores import AnyStore, Database, open_store

PUBLIC = "https://crossfade.example.org"
COOKIE = "slack-app-oauth-state"


@dataclass
class Page:
    """An HTML page (or redirect) the web app answered a browser with."""

    status: int
    text: str
    location: str = ""
    state_cookie: str = ""


class DistributedStack:
    """Core, store, engine and a distributed Slack adapter serving HTTP on 127.0.0.1."""

    def __init__(
        self,
        fake: SlackFake,
        store: AnyStore,
        clock: FakeClock,
        key: str,
        *,
        client_secret: str | None = None,
    ) -> None:
        self.fake, self.store, self.clock = fake, store, clock
        self.core = Crossfade(store, clock)
        self.distribution = Distribution(
            client_id=fake.client_id,
            client_secret=client_secret or fake.client_secret,
            installations=Installations(store, TokenCipher([key]), clock),
            public_url=PUBLIC,
        )
        self.adapter = SlackAdapter(
            self.core,
            signing_secret=fake.signing_secret,
            api_url=fake.api_url,
            distribution=self.distribution,
        )
        self.web = WebApp(host="127.0.0.1", port=0, public_url=PUBLIC)
        self.adapter.mount(self.web)
        dispatcher = Dispatcher(store, clock, {"slack": self.adapter.transport})
        self.engine = Engine(store, clock, dispatcher)
        self.http = aiohttp.ClientSession()

    async def start(self) -> None:
        """Serve HTTP."""
        await self.adapter.start()
        await self.web.start()

    async def close(self) -> None:
        """Stop serving, close the database."""
        await self.http.close()
        await self.adapter.stop()
        await self.web.stop()
        await self.store.close()

    def local(self, url: str) -> str:
        """A public address of the app, as this process serves it."""
        return url.replace(PUBLIC, self.web.local_url("/").rstrip("/"), 1)

    async def get(self, url: str, *, cookie: str = "") -> Page:
        """GET as a browser would (without following redirects)."""
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        async with self.http.get(url, headers=headers, allow_redirects=False) as resp:
            morsel = resp.cookies.get(COOKIE)
            return Page(
                resp.status,
                await resp.text(),
                resp.headers.get("Location", ""),
                morsel.value if morsel is not None else "",
            )

    async def begin(self, team_id: str) -> tuple[str, str]:
        """Open /slack/install for a workspace; Slack's redirect back, and the state cookie."""
        started = await self.get(self.web.local_url(f"/slack/install?team={team_id}"))
        assert started.status == 302, started
        consent = await self.get(started.location)  # the fake's consent page agrees at once
        assert consent.status == 302, consent
        return consent.location, started.state_cookie

    async def install(self, team_id: str, *, finish_on: DistributedStack | None = None) -> Page:
        """The whole flow: begun here, finished here or on ``finish_on``."""
        back, cookie = await self.begin(team_id)
        return await (finish_on or self).get((finish_on or self).local(back), cookie=cookie)

    async def post(self, body: str, headers: Mapping[str, str]) -> Reply:
        """POST a signed request to the Request URL."""
        url = self.web.local_url("/slack/events")
        async with self.http.post(url, data=body, headers=dict(headers)) as resp:
            return Reply(resp.status, await resp.text())

    async def command(
        self, text: str, *, team: str, user: str, command: str = "/sprint", channel: str = ""
    ) -> tuple[Reply, str]:
        """A signed slash command from a workspace; the reply and its response_url."""
        url = self.fake.mint_response_url()
        fields = slash_command_body(
            command=command,
            text=text,
            response_url=url,
            user_id=user,
            user_name=user.lower(),
            team_id=team,
            team_domain=team.lower(),
            channel_id=channel or f"C{team[1:]}GENERAL",
        )
        signed = signed_form_request(self.fake.signing_secret, fields)
        return await self.post(signed.body, signed.headers), url


@asynccontextmanager
async def distributed_stack(
    fake: SlackFake,
    database: Database,
    key: str,
    *,
    clock: FakeClock | None = None,
    client_secret: str | None = None,
) -> AsyncIterator[DistributedStack]:
    """A started stack on ``database`` (several may share one, as processes do)."""
    stack = DistributedStack(
        fake,
        await open_store(database),
        clock or FakeClock(START),
        key,
        client_secret=client_secret,
    )
    try:
        await stack.start()
        yield stack
    finally:
        await stack.close()
