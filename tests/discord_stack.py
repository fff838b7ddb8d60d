"""Crossfade's Discord adapter running on the real discord.py client against the loopback fake.

The stack logs in to the fake's gateway, syncs slash commands, and runs the core on a real
SQLite file with a FakeClock, so schedules fire on demand. Interactions are pushed as
INTERACTION_CREATE payloads in Discord's shapes; what the adapter answered is read back from
the fake's recorded REST requests. ``assert_nothing_pings`` checks every message it sent.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest_asyncio

from bot.app import Crossfade
from bot.clock import FakeClock
from bot.commands.registry import Registry
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.models import Actor, Community, Member
from tests.fakes.discord_fake import (
    INTERACTION_AUTOCOMPLETE,
    ROUTE_CALLBACK,
    ROUTE_FOLLOWUP,
    ROUTE_MESSAGE_CREATE,
    ROUTE_MESSAGE_EDIT,
    ROUTE_ORIGINAL_EDIT,
    ROUTE_WEBHOOK_MESSAGE_EDIT,
    DiscordFake,
    RecordedRequest,
)
from tests.fakes.discord_fixtures import FAKE_GUILD_ID, FAKE_TOKEN, FAKE_USER_ID
from tests.stores import AnyStore, Database, open_store

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from adapters.discord.adapter import DiscordAdapter

# A Monday, 08:00 UTC (as the core harness).
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
MANAGE_GUILD = 1 << 5
EPHEMERAL = 1 << 6
JSON = dict[str, Any]

# Discord's limits (see adapters/discord/embeds.py).
LIMITS = {
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "total": 6000,
    "embeds": 10,
    "content": 2000,
}
_MESSAGE_ROUTES = (
    ROUTE_MESSAGE_CREATE,
    ROUTE_MESSAGE_EDIT,
    ROUTE_FOLLOWUP,
    ROUTE_ORIGINAL_EDIT,
    ROUTE_WEBHOOK_MESSAGE_EDIT,
)


def option(name: str, value: str | int | bool) -> JSON:
    """A slash-command option as Discord sends it (string 3, integer 4, boolean 5)."""
    kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
    return {"name": name, "type": kind, "value": value}


class DiscordStack:
    """Core, SQLite, FakeClock, engine and the Discord adapter logged in to the fake."""

    def __init__(
        self,
        fake: DiscordFake,
        store: AnyStore,
        clock: FakeClock,
        *,
        defer_after: float = 1.5,
        requests_per_second: float = 1000.0,
        guild_id: int | None = FAKE_GUILD_ID,
        registry: Registry | None = None,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
    ) -> None:
        self.fake = fake
        self.store = store
        self.clock = clock
        self.core = Crossfade(store, clock, registry=registry)
        self.adapter = DiscordAdapter(
            self.core,
            FAKE_TOKEN,
            guild_id=guild_id,
            defer_after=defer_after,
            ready_timeout=5.0,
            guild_ready_timeout=0.05,
            requests_per_second=requests_per_second,
            shard_count=shard_count,
            shard_ids=shard_ids,
        )
        self.engine = Engine(
            store, clock, Dispatcher(store, clock, {"discord": self.adapter.transport})
        )

    # ------------------------------------------------------------------ interactions

    def slash(
        self,
        path: str,
        options: Mapping[str, str | int | bool] | None = None,
        *,
        user_id: int = FAKE_USER_ID,
        admin: bool = False,
        **context: Any,
    ) -> JSON:
        """A slash command interaction, e.g. ``slash("sprint start", {"goal": …})``."""
        words = path.split()
        given = [option(k, v) for k, v in (options or {}).items()]
        if len(words) == 2:
            given = [{"name": words[1], "type": 1, "options": given}]
        payload = self.fake.build_slash_command(words[0], given, user_id=user_id, **context)
        if admin:
            member = payload["member"]
            member["permissions"] = str(int(member["permissions"]) | MANAGE_GUILD)
        return payload

    async def command(
        self,
        path: str,
        options: Mapping[str, str | int | bool] | None = None,
        **context: Any,
    ) -> RecordedRequest:
        """Run a slash command and return the adapter's callback."""
        payload = self.slash(path, options, **context)
        await self.fake.push_interaction(payload)
        return await self.fake.wait_for_callback(payload)

    async def autocomplete(
        self, path: str, name: str, typed: str, *, user_id: int = FAKE_USER_ID
    ) -> RecordedRequest:
        """Type into an option with autocomplete; returns the callback with the choices."""
        payload = self.slash(path, {name: typed}, user_id=user_id)
        data = payload["data"]
        target = data["options"][0]["options"] if len(path.split()) == 2 else data["options"]
        target[0]["focused"] = True
        payload["type"] = INTERACTION_AUTOCOMPLETE
        await self.fake.push_interaction(payload)
        return await self.fake.wait_for_callback(payload)

    async def click(
        self,
        message: JSON,
        label: str,
        *,
        user_id: int = FAKE_USER_ID,
        shard: int | None = None,
        **context: Any,
    ) -> tuple[JSON, RecordedRequest]:
        """Click the button labelled ``label`` on a stored message; returns payload and callback
        (sent to ``shard``'s connection if given)."""
        custom_id = buttons(message)[label]
        guild_channels = {c.id for c in self.fake.guilds[FAKE_GUILD_ID].channels}
        if int(message["channel_id"]) in guild_channels:
            context.setdefault("channel_id", int(message["channel_id"]))
        else:
            context.setdefault("dm", True)
        payload = self.fake.build_component(custom_id, message=message, user_id=user_id, **context)
        await self.fake.push_interaction(payload, shard=shard)
        return payload, await self.fake.wait_for_callback(payload)

    async def submit(
        self,
        modal: JSON,
        values: Mapping[str, str],
        *,
        shape: Literal["mirror", "action_row", "label"] = "mirror",
        user_id: int = FAKE_USER_ID,
        shard: int | None = None,
        **context: Any,
    ) -> RecordedRequest:
        """Submit a modal the adapter showed (its type 9 data), typing ``values`` (sent to
        ``shard``'s connection if given)."""
        if shape == "mirror":
            payload = self.fake.build_modal_submit_for(modal, values, user_id=user_id, **context)
        else:
            payload = self.fake.build_modal_submit(
                modal["custom_id"], values, shape=shape, user_id=user_id, **context
            )
        await self.fake.push_interaction(payload, shard=shard)
        return await self.fake.wait_for_callback(payload)

    async def member(self, user_id: int = FAKE_USER_ID) -> tuple[Community, Member]:
        """The core's community and member record for a Discord user of the test guild."""
        user = self.fake.user(user_id)
        actor = Actor(
            "discord", str(FAKE_GUILD_ID), str(user_id), user.global_name or user.username
        )
        return await self.store.ensure_member(actor, self.clock.now())

    # ------------------------------------------------------------------ time

    async def advance(self, delta: timedelta) -> None:
        """Fast-forward, firing prompts, reminders and summaries, delivered to the fake."""
        await self.engine.run_until(self.clock, self.clock.now() + delta)


@asynccontextmanager
async def running_stack(
    fake: DiscordFake, path: Database, clock: FakeClock | None = None, **options: Any
) -> AsyncIterator[DiscordStack]:
    """A logged-in stack on the database at ``path`` (a file, or a PostgreSQL address; reused
    across restarts, or shared by several stacks as by several processes)."""
    store = await open_store(path)
    stack = DiscordStack(fake, store, clock or FakeClock(START), **options)
    try:
        await stack.adapter.start()
        yield stack
    finally:
        await stack.adapter.stop()
        await store.close()


@pytest_asyncio.fixture
async def discord_stack(discord_fake: DiscordFake, tmp_path: Path) -> AsyncIterator[DiscordStack]:
    """The Discord adapter logged in to the fake, commands synced to the test guild."""
    async with running_stack(discord_fake, tmp_path / "crossfade.db") as stack:
        yield stack


# ---------------------------------------------------------------------- reading replies


def message_data(request: RecordedRequest) -> JSON:
    """The message a request carried (a callback's ``data``, else its body)."""
    body = request.json or {}
    return dict(body.get("data") or {}) if request.route == ROUTE_CALLBACK else dict(body)


def text_of(message: JSON) -> str:
    """Everything a reader sees in a message: content, titles, descriptions, fields, footers."""
    parts = [str(message.get("content") or "")]
    for embed in message.get("embeds") or []:
        parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
        for field in embed.get("fields") or []:
            parts += [field["name"], field["value"]]
        parts.append(str((embed.get("footer") or {}).get("text") or ""))
    return "\n".join(p for p in parts if p)


def buttons(message: JSON) -> dict[str, str]:
    """Button label → custom_id in a message."""
    return {
        c["label"]: c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
        if c.get("type") == 2
    }


def modal_inputs(modal: JSON) -> dict[str, JSON]:
    """A modal's inputs by custom_id (inside labels or action rows)."""
    found: dict[str, JSON] = {}
    for top in modal.get("components") or []:
        for inner in [top.get("component"), *(top.get("components") or [])]:
            if isinstance(inner, dict) and "custom_id" in inner:
                found[inner["custom_id"]] = inner
    return found


def check_embeds(message: JSON) -> None:
    """Every embed of a message keeps within Discord's limits."""
    embeds = message.get("embeds") or []
    assert len(embeds) <= LIMITS["embeds"]
    assert len(str(message.get("content") or "")) <= LIMITS["content"]
    total = 0
    for embed in embeds:
        title, description = str(embed.get("title") or ""), str(embed.get("description") or "")
        footer = str((embed.get("footer") or {}).get("text") or "")
        fields = embed.get("fields") or []
        assert len(title) <= LIMITS["title"]
        assert len(description) <= LIMITS["description"]
        assert len(footer) <= LIMITS["footer"]
        assert len(fields) <= LIMITS["fields"]
        for field in fields:
            assert 0 < len(field["name"]) <= LIMITS["field_name"]
            assert field["value"].strip()
            assert len(field["value"]) <= LIMITS["field_value"]
        total += len(title) + len(description) + len(footer)
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= LIMITS["total"], total


def sent_messages(fake: DiscordFake) -> list[tuple[RecordedRequest, JSON]]:
    """Every message the adapter created or edited, with its payload."""
    found = []
    for request in fake.requests:
        if request.route in _MESSAGE_ROUTES or (
            request.route == ROUTE_CALLBACK and (request.json or {}).get("type") in (4, 7)
        ):
            found.append((request, message_data(request)))
    return found


def assert_nothing_pings(fake: DiscordFake, *, allowed_users: frozenset[int] = frozenset()) -> int:
    """Every message sent pinged nobody (allowed_mentions) and carried no raw ping syntax.

    Returns how many messages were checked, so a test can tell it checked something.
    """
    checked = 0
    for request, data in sent_messages(fake):
        if not (data.get("content") or data.get("embeds")):
            continue
        mentions = data.get("allowed_mentions")
        assert mentions is not None, (request.route, data)
        assert mentions.get("parse") == [], mentions
        assert {int(u) for u in mentions.get("users", [])} <= allowed_users, mentions
        shown = text_of(data)
        # Mentions of members in embeds render but never notify; only raw crowd pings matter.
        assert not re.search(r"@everyone|@here|<@&\d+>", shown, re.IGNORECASE), shown
        check_embeds(data)
        checked += 1
    for channel_id in fake.channel_ids():
        for stored in fake.messages(channel_id):
            assert stored["mentions"] == [] or {int(m["id"]) for m in stored["mentions"]} <= (
                allowed_users
            )
            assert stored["mention_everyone"] is False
    return checked
