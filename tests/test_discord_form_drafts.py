"""Discord's multi-step forms keep their earlier steps in the store, not in a process's memory.

So a restart in the middle of a form loses nothing, and with several processes on one
PostgreSQL database the next step may reach any of them (here two adapters holding the two
shards of one bot, the step sent to the other shard's connection, as after a shard moved to
another process): the whole form arrives once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

from bot.clock import FakeClock
from tests.discord_stack import START, DiscordStack, message_data, modal_inputs, running_stack
from tests.fakes.discord_fake import DiscordFake
from tests.fakes.discord_fixtures import FAKE_GUILD_ID
from tests.stores import Database, query

pytestmark = pytest.mark.asyncio

JSON = dict[str, Any]
STEP_ONE = {
    "goal": "Author podcast chapter metadata",
    "skill": "metadata",
    "deliverable": "video-series",
    "deliverable-note": "Three short videos on podcast metadata",
    "start": "",
}
STARTED = "Sprint started: Author podcast chapter metadata"


async def first_step_done(stack: DiscordStack, fake: DiscordFake) -> JSON:
    """Open /sprint start's form from a button, submit its first step: the "Continue" message."""
    payload = fake.build_component(f"cf:{FAKE_GUILD_ID}:form:sprint.start")
    await fake.push_interaction(payload)
    modal = (await fake.wait_for_callback(payload)).json["data"]
    assert modal["title"] == "Start a sprint (1/2)"
    done = await stack.submit(modal, STEP_ONE)
    message = fake.message(int(done.response["resource"]["message"]["id"]))
    assert message is not None
    return message


async def sprints(database: Database) -> list[tuple[Any, ...]]:
    """Every sprint in the database: (goal, deliverable kind, weeks)."""
    return await query(database, "SELECT goal, deliverable_kind, weeks FROM sprints")


async def test_a_restart_between_steps_keeps_the_earlier_answers(
    discord_fake: DiscordFake, database: Database
) -> None:
    clock = FakeClock(START)
    async with running_stack(discord_fake, database, clock) as first:
        continue_message = await first_step_done(first, discord_fake)

    async with running_stack(discord_fake, database, clock) as second:
        _, opened = await second.click(continue_message, "Continue")
        assert opened.json["type"] == 9  # the next step, not "please start again"
        assert opened.json["data"]["title"] == "Start a sprint (2/2)"
        reply = await second.submit(opened.json["data"], {"weeks": "8"})
        assert message_data(reply)["embeds"][0]["title"] == STARTED
    assert await sprints(database) == [(STEP_ONE["goal"], "video-series", 8)]
    assert await query(database, "SELECT * FROM form_drafts") == []  # taken when submitted
    assert discord_fake.unhandled == []


@asynccontextmanager
async def shard_processes(
    fake: DiscordFake, database: Database, clock: FakeClock
) -> AsyncIterator[tuple[DiscordStack, DiscordStack]]:
    """Two started adapters on one database, holding shard 1 (the test guild's) and shard 0."""
    async with AsyncExitStack() as exits:
        one = await exits.enter_async_context(
            running_stack(fake, database, clock, guild_id=None, shard_count=2, shard_ids=[1])
        )
        zero = await exits.enter_async_context(
            running_stack(fake, database, clock, guild_id=None, shard_count=2, shard_ids=[0])
        )
        yield one, zero


async def test_the_next_step_on_another_process_completes_the_form_once(
    discord_fake: DiscordFake, postgres_db: str
) -> None:
    clock = FakeClock(START)
    async with shard_processes(discord_fake, postgres_db, clock) as (one, zero):
        continue_message = await first_step_done(one, discord_fake)
        (session_one, session_zero) = discord_fake.sessions
        assert (session_one.shard, session_zero.shard) == ((1, 2), (0, 2))

        # "Continue" and step 2 reach the other process: it has the earlier answers.
        _, opened = await zero.click(continue_message, "Continue", shard=0)
        assert opened.json["type"] == 9
        step_two = opened.json["data"]
        assert step_two["title"] == "Start a sprint (2/2)"
        assert list(modal_inputs(step_two)) == ["weeks"]
        reply = await zero.submit(step_two, {"weeks": "8"}, shard=0)
        assert message_data(reply)["embeds"][0]["title"] == STARTED

        # The same last step sent again, to the first process: the form was taken, so it is
        # not submitted twice; the member is told plainly.
        again = await one.submit(step_two, {"weeks": "8"})
        assert message_data(again)["embeds"][0]["title"] == "Start a sprint: please start again"

    assert await sprints(postgres_db) == [(STEP_ONE["goal"], "video-series", 8)]
    assert discord_fake.unhandled == []


async def test_a_step_fixed_on_another_process_keeps_every_answer(
    discord_fake: DiscordFake, postgres_db: str
) -> None:
    clock = FakeClock(START)
    async with shard_processes(discord_fake, postgres_db, clock) as (one, zero):
        continue_message = await first_step_done(one, discord_fake)
        _, opened = await zero.click(continue_message, "Continue", shard=0)
        # 99 weeks is refused by the core: the answers are kept for "Fix my answers".
        refused = await zero.submit(opened.json["data"], {"weeks": "99"}, shard=0)
        fix = discord_fake.message(int(refused.response["resource"]["message"]["id"]))
        assert fix is not None
        assert "Please check your answers" in str(message_data(refused))

        # The fix opens on the first process, with the answers of both steps.
        _, reopened = await one.click(fix, "Fix my answers")
        assert reopened.json["data"]["title"] == "Start a sprint (2/2)"
        assert modal_inputs(reopened.json["data"])["weeks"]["value"] == "99"
        reply = await one.submit(reopened.json["data"], {"weeks": "10"})
        assert message_data(reply)["embeds"][0]["title"] == STARTED
    assert await sprints(postgres_db) == [(STEP_ONE["goal"], "video-series", 10)]
