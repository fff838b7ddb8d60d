"""Forum posts Discord may have created without a clean answer: looked up, never made twice.

Creating a thread has no nonce and discord.py repeats a 5xx by itself. The fake stores a thread
before any injected fault answers, as Discord may create a post and then lose its answer.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.storage.sqlite import SqliteStore
from tests import forum_stack
from tests.discord_stack import DiscordStack, running_stack
from tests.fakes.discord_fake import DiscordFake, FaultKind
from tests.fakes.discord_forum_fake import ROUTE_ACTIVE_THREADS, ROUTE_THREAD_CREATE
from tests.forum_stack import (
    FORUM_ID,
    Crash,
    creates,
    lead,
    point_at,
    queue,
    row,
)

forum_fake = forum_stack.forum_fake
stack = forum_stack.stack

POST_TIMEOUT = 0.3


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kind", "status"),
    [("server_error", 500), ("server_error", 503), ("html", None), ("reset", None), ("lost", None)],
)
async def test_a_post_discord_may_have_created_is_looked_up_not_created_again(
    stack: DiscordStack, kind: FaultKind, status: int | None
) -> None:
    fake = stack.fake
    if kind == "lost":
        # Given up on soon; otherwise waited for long enough to see any repeat discord.py makes.
        stack.adapter.discord_transport.post_timeout = POST_TIMEOUT
    fake.set_forum_tags(FORUM_ID, ["live sound"])
    fake.inject_fault(ROUTE_THREAD_CREATE, kind, status=status)
    outbox_id = await queue(stack, lead("live sound"))

    await stack.engine.tick()

    # discord.py was not let repeat the create (it retries a 500 by itself).
    assert [r.fault for r in creates(fake)] == [kind]
    assert len(fake.threads_in(FORUM_ID)) == 1  # Discord has it, without telling us
    assert (await row(stack, outbox_id)).status.value == "sending"

    await stack.advance(timedelta(minutes=5))

    assert len(fake.find(ROUTE_ACTIVE_THREADS)) == 1
    assert len(creates(fake)) == 1  # found, not created again
    (thread,) = fake.threads_in(FORUM_ID)
    item = await row(stack, outbox_id)
    assert (item.status.value, item.channel_ref, item.message_ref) == (
        "delivered",
        thread["id"],
        thread["id"],
    )


@pytest.mark.asyncio
async def test_a_post_discord_did_not_create_is_created_after_looking(stack: DiscordStack) -> None:
    fake = stack.fake
    # Another post of the bot's in the forum is looked at, and isn't taken for this one.
    await queue(stack, lead(title="Earlier"))
    await stack.engine.tick()
    fake.inject_fault(ROUTE_THREAD_CREATE, "reset", stored=False)
    outbox_id = await queue(stack, lead(title="This one"))
    await stack.engine.tick()
    assert (await row(stack, outbox_id)).status.value == "sending"

    await stack.advance(timedelta(minutes=5))

    assert len(fake.find(ROUTE_ACTIVE_THREADS)) == 1
    assert [r.fault for r in creates(fake)] == [None, "reset", None]
    names = sorted(t["name"] for t in fake.threads_in(FORUM_ID))
    assert names == ["Earlier", "This one"]
    (this,) = [t for t in fake.threads_in(FORUM_ID) if t["name"] == "This one"]
    assert (await row(stack, outbox_id)).message_ref == this["id"]


@pytest.mark.asyncio
async def test_a_crash_after_posting_finds_the_thread_instead_of_posting_again(
    forum_fake: DiscordFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "crash.db"
    async with running_stack(forum_fake, db) as first:
        await point_at(first, FORUM_ID)
        outbox_id = await queue(first, lead("live sound"))
        clock = first.clock
        real = SqliteStore.mark_delivered

        async def crash(self: SqliteStore, *args: Any) -> None:
            raise Crash

        monkeypatch.setattr(SqliteStore, "mark_delivered", crash)
        with pytest.raises(Crash):
            await first.engine.tick()
        monkeypatch.setattr(SqliteStore, "mark_delivered", real)
    (thread,) = forum_fake.threads_in(FORUM_ID)

    async with running_stack(forum_fake, db, clock) as second:
        await second.engine.tick()
        assert len(forum_fake.find(ROUTE_ACTIVE_THREADS)) == 1
        assert len(creates(forum_fake)) == 1
        item = await row(second, outbox_id)
        assert (item.status.value, item.channel_ref, item.message_ref) == (
            "delivered",
            thread["id"],
            thread["id"],
        )
