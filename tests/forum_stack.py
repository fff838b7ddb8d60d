"""Forum posts on the loopback Discord fake: a guild with a forum, and the outbox to post there.

Real discord.py against the fake over HTTP on 127.0.0.1, through the real outbox and Dispatcher
on a SQLite file (tests/discord_stack.py). Tests queue messages for the announcements purpose,
pointed at the forum, as a feature would.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.features.admin.store import ANNOUNCEMENTS
from bot.messages import Button, Field, Message, text
from bot.models import Destination, NewOutbox, OutboxItem
from tests.discord_stack import DiscordStack, running_stack
from tests.fakes.discord_fake import DiscordFake, FakeChannel
from tests.fakes.discord_fixtures import (
    FAKE_APPLICATION_ID,
    FAKE_DM_CLOSED_USER_ID,
    FAKE_GUILD_ID,
    FAKE_HEARTBEAT_MS,
    FAKE_TOKEN,
    make_discord_fake,
    patch_discord_py,
)
from tests.fakes.discord_forum_fake import ROUTE_THREAD_CREATE

FORUM_ID = 1100000000000000203
JSON = dict[str, Any]


class Crash(BaseException):
    """The process dies between posting and recording the post (a kill, not an exception)."""


@pytest_asyncio.fixture
async def forum_fake() -> AsyncIterator[DiscordFake]:
    """The default fake's guild with a forum channel, #board, added."""
    base = make_discord_fake()
    guild = base.guilds[FAKE_GUILD_ID]
    forum = FakeChannel(FORUM_ID, "board", type=15, position=2)
    fake = DiscordFake(
        token=FAKE_TOKEN,
        application_id=FAKE_APPLICATION_ID,
        guilds=[replace(guild, channels=(*guild.channels, forum))],
        dm_closed_user_ids=[FAKE_DM_CLOSED_USER_ID],
        heartbeat_interval_ms=FAKE_HEARTBEAT_MS,
    )
    await fake.start()
    try:
        with patch_discord_py(fake):
            yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def stack(forum_fake: DiscordFake, tmp_path: Path) -> AsyncIterator[DiscordStack]:
    """The adapter logged in to the forum fake; the announcements purpose points at #board."""
    async with running_stack(forum_fake, tmp_path / "forum.db") as running:
        await point_at(running, FORUM_ID)
        yield running


async def point_at(stack: DiscordStack, channel_id: int) -> None:
    community, _ = await stack.member()
    await stack.store.set_channel(community.id, ANNOUNCEMENTS, str(channel_id))


def lead(
    *tags: str, title: str = "Spatial mix for a podcast", body: str = "Eight episodes"
) -> Message:
    return Message(
        title=title,
        body=text(body),
        fields=(Field("Pay", text("400-600 EUR per day")),),
        buttons=(Button("I'm interested", "gig.interested:1"),),
        tags=tags,
    )


async def queue(stack: DiscordStack, message: Message, *, edit_of: int | None = None) -> int:
    """Queue a post (or an edit of one) for the announcements purpose, as a feature would."""
    community, _ = await stack.member()
    item = NewOutbox(
        community.id,
        Destination.channel(ANNOUNCEMENTS),
        json.dumps(message.to_dict()),
        edit_of=edit_of,
        feature="admin",
    )
    (outbox_id,) = await stack.store.enqueue([item], stack.clock.now())
    return outbox_id


async def row(stack: DiscordStack, outbox_id: int) -> OutboxItem:
    item = await stack.store.get_outbox(outbox_id)
    assert item is not None
    return item


def starter(fake: DiscordFake, thread: JSON) -> JSON:
    message = fake.message(int(thread["id"]))
    assert message is not None
    return message


def creates(fake: DiscordFake) -> list[Any]:
    return fake.find(ROUTE_THREAD_CREATE)
