"""Crossfade's Slack adapter running against the loopback Slack fake, on a real SQLite file.

The stack serves Slack's HTTP requests on 127.0.0.1 (or connects over Socket Mode), posts
through the fake's Web API, and runs the core with a FakeClock so schedules can be fired.
Every Block Kit payload the adapter sent can be checked with ``assert_payloads_valid``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack.adapter import SlackAdapter
from adapters.slack.transport import SlackTransport
from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.commands.registry import Registry
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.models import Actor, Member
from tests.fakes.slack_fake import (
    DEFAULT_TEAM_ID,
    SlackFake,
    block_actions_payload,
    sign_request,
    signed_form_request,
    signed_payload_request,
    slash_command_body,
    view_submission_payload,
)
from tests.stores import AnyStore, Database, open_store

# A Monday, 08:00 UTC (as the core harness).
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

# Slack's documented limits the adapter must stay within (see adapters/slack/blocks.py).
LIMITS = {
    "message_blocks": 50,
    "view_blocks": 100,
    "section_text": 3000,
    "field_text": 2000,
    "fields": 10,
    "header_text": 150,
    "button_text": 75,
    "actions": 25,
}
# What must never reach Slack inside user text: mentions that notify a crowd.
PINGS = ("<!channel", "<!here", "<!everyone", "<!subteam")


@dataclass
class Reply:
    """An HTTP answer from the adapter."""

    status: int
    body: str

    def json(self) -> dict[str, Any]:
        """The body as JSON (view_submission acks)."""
        return dict(json.loads(self.body)) if self.body else {}


class SlackStack:
    """Core, its store, FakeClock, engine and the Slack adapter pointed at the fake."""

    def __init__(
        self,
        fake: SlackFake,
        store: AnyStore,
        clock: FakeClock,
        *,
        max_per_second: float | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.fake = fake
        self.store = store
        self.clock = clock
        # Slack stamps messages on its clock, which agrees with the bot's: here, the test's.
        if fake.ts_clock is None:
            fake.ts_clock = lambda: clock.now().timestamp()
        self.core = Crossfade(store, clock, registry=registry)
        self.adapter = SlackAdapter(
            self.core,
            bot_token=fake.bot_token,
            signing_secret=fake.signing_secret,
            api_url=fake.api_url,
            max_per_second=max_per_second,
        )
        # The process's web app on any free port of 127.0.0.1, with Slack's Request URL.
        self.web = WebApp(host="127.0.0.1", port=0)
        self.adapter.mount(self.web)
        self.engine = Engine(store, clock, Dispatcher(store, clock, {"slack": self.transport}))
        self._http: aiohttp.ClientSession | None = None

    @property
    def transport(self) -> SlackTransport:
        """The adapter's outbox transport."""
        transport = self.adapter.transport
        assert isinstance(transport, SlackTransport)
        return transport

    async def start(self) -> None:
        """Serve HTTP on 127.0.0.1."""
        await self.adapter.start()
        await self.web.start()
        self._http = aiohttp.ClientSession()

    async def close(self) -> None:
        """Stop serving and close the database."""
        if self._http is not None:
            await self._http.close()
        await self.adapter.stop()
        await self.web.stop()
        await self.store.close()

    # ------------------------------------------------------------------ requests

    async def post(self, body: str | bytes, headers: Mapping[str, str]) -> Reply:
        """POST a raw request to the adapter's Request URL."""
        assert self._http is not None
        async with self._http.post(self.adapter.url, data=body, headers=dict(headers)) as resp:
            return Reply(resp.status, await resp.text())

    async def command(
        self,
        text: str,
        *,
        command: str = "/sprint",
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[Reply, str]:
        """Run a slash command as Slack would send it; returns the reply and its response_url."""
        url = self.fake.mint_response_url()
        fields = slash_command_body(
            command=command, text=text, response_url=url, user_id=user, channel_id=channel
        )
        signed = signed_form_request(
            secret or self.fake.signing_secret, fields, timestamp=timestamp
        )
        return await self.post(signed.body, signed.headers), url

    async def click(
        self,
        value: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        message: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
    ) -> tuple[Reply, str | None]:
        """Press a button carrying ``value`` in a message (or in ``view``, e.g. App Home)."""
        url = None if view is not None else self.fake.mint_response_url()
        payload = block_actions_payload(
            action_id="crossfade:0",
            value=value,
            user_id=user,
            channel_id=channel,
            response_url=url,
            message=message,
            view=view,
        )
        signed = signed_payload_request(self.fake.signing_secret, payload)
        return await self.post(signed.body, signed.headers), url

    async def submit(
        self, view: Mapping[str, Any], values: Mapping[str, str], *, user: str = "U0ALICE"
    ) -> Reply:
        """Submit a modal the adapter opened, typing ``values`` (choices are selected)."""
        state: dict[str, dict[str, Any]] = {}
        elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
        for name, value in values.items():
            if elements[name]["type"] == "static_select":
                state[name] = {
                    "value": {"type": "static_select", "selected_option": {"value": value}}
                }
            else:
                state[name] = {"value": value}
        payload = view_submission_payload(values=state, view=view, user_id=user)
        signed = signed_payload_request(self.fake.signing_secret, payload)
        return await self.post(signed.body, signed.headers)

    async def home_opened(self, user: str = "U0ALICE") -> Reply:
        """Slack's app_home_opened event for ``user``."""
        body = json.dumps(
            {
                "token": "verification-token-unused",
                "team_id": DEFAULT_TEAM_ID,
                "api_app_id": self.fake.app_id,
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "event": {
                    "type": "app_home_opened",
                    "user": user,
                    "channel": self.fake.dm_channel_for(user),
                    "tab": "home",
                    "event_ts": f"{time.time():.6f}",
                },
            }
        )
        headers = {"Content-Type": "application/json"}
        headers.update(sign_request(self.fake.signing_secret, body))
        return await self.post(body, headers)

    # ------------------------------------------------------------------ time

    async def advance(self, delta: timedelta) -> None:
        """Fast-forward, firing prompts, reminders and summaries on the way."""
        await self.engine.run_until(self.clock, self.clock.now() + delta)

    async def member(self, user: str, name: str) -> Member:
        """The core's record of a Slack user who has already used the bot."""
        actor = Actor("slack", DEFAULT_TEAM_ID, user, name)
        _, member = await self.store.ensure_member(actor, self.clock.now())
        return member


@asynccontextmanager
async def running_stack(
    fake: SlackFake,
    path: Database,
    *,
    max_per_second: float | None = None,
    registry: Registry | None = None,
    clock: FakeClock | None = None,
) -> AsyncIterator[SlackStack]:
    """A started stack on a database (a file, or a PostgreSQL address several stacks may share
    as several processes would), with ``registry``'s commands if given."""
    store = await open_store(path)
    stack = SlackStack(
        fake, store, clock or FakeClock(START), max_per_second=max_per_second, registry=registry
    )
    try:
        await stack.start()
        yield stack
    finally:
        await stack.close()


@pytest_asyncio.fixture
async def slack_stack(slack_fake: SlackFake, tmp_path: Path) -> AsyncIterator[SlackStack]:
    """The Slack adapter over HTTP on 127.0.0.1, talking to the fake."""
    async with running_stack(slack_fake, tmp_path / "crossfade.db") as stack:
        yield stack


# ---------------------------------------------------------------------- payload checks


def _texts(node: Any) -> Iterator[dict[str, Any]]:
    """Every text object inside a block tree."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def check_blocks(blocks: list[dict[str, Any]], *, max_blocks: int) -> None:
    """Blocks parse with slack_sdk's models, validate, and keep within Slack's limits."""
    assert 0 < len(blocks) <= max_blocks, len(blocks)
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.to_dict()  # validates the block and everything inside it
        kind = raw["type"]
        if kind == "section":
            if "text" in raw:
                assert 0 < len(raw["text"]["text"]) <= LIMITS["section_text"]
            for field in raw.get("fields", []):
                assert 0 < len(field["text"]) <= LIMITS["field_text"]
            assert len(raw.get("fields", [])) <= LIMITS["fields"]
        elif kind == "header":
            assert len(raw["text"]["text"]) <= LIMITS["header_text"]
        elif kind == "actions":
            assert len(raw["elements"]) <= LIMITS["actions"]
            for element in raw["elements"]:
                assert len(element["text"]["text"]) <= LIMITS["button_text"]
    for text in _texts(blocks):
        if text["type"] == "mrkdwn":
            assert text.get("verbatim") is True, text
            assert not any(p in text["text"] for p in PINGS), text["text"]


def check_view(view: dict[str, Any]) -> None:
    """A modal or Home view parses, validates and keeps within limits."""
    View(**view).to_dict()
    check_blocks(view["blocks"], max_blocks=LIMITS["view_blocks"])


def assert_payloads_valid(fake: SlackFake) -> int:
    """Check every Block Kit payload the adapter sent to the fake; returns how many."""
    checked = 0
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        for call in fake.calls(method):
            if "blocks" in call.params:
                check_blocks(call.params["blocks"], max_blocks=LIMITS["message_blocks"])
                assert not any(p in str(call.params.get("text", "")) for p in PINGS)
                checked += 1
    for call in fake.calls("files.completeUploadExternal"):
        if "blocks" in call.params:
            check_blocks(call.params["blocks"], max_blocks=LIMITS["message_blocks"])
            checked += 1
    for method in ("views.open", "views.publish"):
        for call in fake.calls(method):
            check_view(call.params["view"])
            checked += 1
    for post in fake.response_posts():
        check_blocks(post.body["blocks"], max_blocks=LIMITS["message_blocks"])
        checked += 1
    return checked


def texts_of(blocks: list[dict[str, Any]]) -> str:
    """All the text in blocks, joined, for asserting what a reader sees."""
    return "\n".join(t["text"] for t in _texts(blocks))


def buttons_of(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Button label → value in blocks."""
    return {
        e["text"]["text"]: e["value"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }
