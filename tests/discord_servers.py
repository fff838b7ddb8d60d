"""Two Discord servers served by one bot token: a loopback fake with servers A and B.

Ada is in both servers, with a profile of her own in each (and a nickname in B); Bo is only
in A, Cy only in B, and each server has its own admin (Ann in A, Ben in B). Commands are
global, as for a bot in any number of servers, and every interaction names its server as
Discord's do.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from bot.clock import FakeClock
from tests.discord_stack import START, DiscordStack, buttons, message_data, text_of
from tests.fakes.discord_fake import (
    ROUTE_MESSAGE_CREATE,
    DiscordFake,
    FakeChannel,
    FakeGuild,
    FakeUser,
)
from tests.fakes.discord_fixtures import (
    FAKE_APPLICATION_ID,
    FAKE_HEARTBEAT_MS,
    FAKE_TOKEN,
    patch_discord_py,
)
from tests.stores import Database, open_store

JSON = dict[str, Any]


@dataclass(frozen=True)
class Server:
    """One guild of the fake: its id, its two channels and its admin."""

    id: int
    general: int
    gigs: int
    admin: int


ADA, BO, CY, ANN, BEN = (1100000000000000301 + n for n in (0, 10, 11, 12, 13))
A = Server(1100000000000000100, 1100000000000000201, 1100000000000000202, ANN)
B = Server(1100000000000000600, 1100000000000000601, 1100000000000000602, BEN)
ADA_IN_B = "Ada Lovelace"  # her nickname in server B
NAMES = {ADA: "Ada", BO: "Bo", CY: "Cy", ANN: "Ann", BEN: "Ben"}


def make_fake() -> DiscordFake:
    """An unstarted fake with servers A and B (Ada in both)."""

    def user(user_id: int) -> FakeUser:
        return FakeUser(user_id, NAMES[user_id].lower(), global_name=NAMES[user_id])

    guilds = [
        FakeGuild(
            id=server.id,
            name=f"Server {label}",
            channels=(
                FakeChannel(server.general, "general", position=0),
                FakeChannel(server.gigs, "gig-leads", position=1),
            ),
            members=tuple(user(u) for u in members),
            owner_id=server.admin,
            nicks=nicks,
        )
        for label, server, members, nicks in (
            ("A", A, (ANN, ADA, BO), {}),
            ("B", B, (BEN, ADA, CY), {ADA: ADA_IN_B}),
        )
    ]
    return DiscordFake(
        token=FAKE_TOKEN,
        application_id=FAKE_APPLICATION_ID,
        guilds=guilds,
        heartbeat_interval_ms=FAKE_HEARTBEAT_MS,
    )


class Servers:
    """The stack (one adapter, global commands) and helpers naming the server of each act."""

    def __init__(self, stack: DiscordStack) -> None:
        self.stack = stack
        self.fake = stack.fake

    async def run(
        self,
        server: Server,
        user: int,
        path: str,
        options: Mapping[str, str | int | bool] | None = None,
        *,
        members: Mapping[str, int] | None = None,
        channel: int | None = None,
    ) -> str:
        """A slash command typed in ``server`` (its admin is an admin); the reply's text.

        ``members`` are member options (Discord sends the user's id and resolves it).
        """
        payload = self.stack.slash(
            path,
            options,
            user_id=user,
            admin=user == server.admin,
            guild_id=server.id,
            channel_id=channel or server.general,
        )
        if members:
            given = [{"name": name, "type": 6, "value": str(uid)} for name, uid in members.items()]
            data = payload["data"]
            target = data["options"][0]["options"] if len(path.split()) == 2 else data["options"]
            target.extend(given)
            data["resolved"] = {
                "users": {str(u): self.fake.user(u).to_payload() for u in members.values()},
                "members": {
                    str(u): {
                        k: v
                        for k, v in self.fake.member_payload(server.id, u, permissions=True).items()
                        if k != "user"
                    }
                    for u in members.values()
                },
            }
        await self.fake.push_interaction(payload)
        reply = await self.fake.wait_for_callback(payload)
        return text_of(message_data(reply))

    def dms(self, user: int) -> list[JSON]:
        """Every message in a user's DMs with the bot (both servers' share one DM channel)."""
        return self.fake.messages(self.fake.dm_channel_id(user))

    def posts(self, server: Server, channel: str = "general") -> list[str]:
        """What the bot posted (not replies) in one of a server's channels, as it reads now."""
        channel_id = server.general if channel == "general" else server.gigs
        posted = {
            str((r.response or {}).get("id"))
            for r in self.fake.find(ROUTE_MESSAGE_CREATE)
            if r.params.get("channel_id") == str(channel_id) and r.status == 200
        }
        return [text_of(m) for m in self.fake.messages(channel_id) if m["id"] in posted]


def server_of(message: JSON) -> int | None:
    """The server a DM's buttons answer to (``cf:<guild>:…``), None for a DM without buttons."""
    found = {int(m.group(1)) for c in buttons(message).values() if (m := re.match(r"cf:(\d+):", c))}
    assert len(found) <= 1, found
    return found.pop() if found else None


def titled(messages: list[JSON], prefix: str) -> list[JSON]:
    """Messages whose first embed's title starts with ``prefix``."""
    return [m for m in messages if (m.get("embeds") or [{}])[0].get("title", "").startswith(prefix)]


@pytest_asyncio.fixture
async def servers(database: Database) -> AsyncIterator[Servers]:
    """One bot in servers A and B on the test database, logged in to the fake."""
    fake = make_fake()
    await fake.start()
    try:
        with patch_discord_py(fake):
            store = await open_store(database)
            # A slow shared machine must not turn replies into deferrals the helpers don't read.
            stack = DiscordStack(fake, store, FakeClock(START), guild_id=None, defer_after=30.0)
            try:
                await stack.adapter.start()
                yield Servers(stack)
            finally:
                await stack.adapter.stop()
                await store.close()
    finally:
        await fake.stop()
