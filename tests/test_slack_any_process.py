"""Slack over HTTP, any process: two Slack apps (two adapters on two ports) on one PostgreSQL.

A load balancer may send each of Slack's requests to any process. The same conversation (slash
commands, a modal opened on one process and submitted on the other, a prompt's button) spread
over two processes gives what one process gives, and a request replayed to the other process
is refused there: the signatures already used are kept in the shared database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

from bot.clock import FakeClock
from tests.fakes.slack_fake import SlackFake, signed_form_request, slash_command_body
from tests.fakes.slack_fixtures import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from tests.slack_stack import START, Reply, SlackStack, buttons_of, running_stack, texts_of
from tests.stores import query

pytestmark = pytest.mark.asyncio

SPRINT = {
    "goal": "Mix a 7.1.4 demo room",
    "skill": "spatial mixing",
    "deliverable": "workshop",
    "deliverable-note": "A 45-minute online workshop",
    "weeks": "6",
}
CHECKIN = {"progress": "Measured RT60 in three spots", "confidence": "4", "hours": "5"}


@asynccontextmanager
async def processes(fake: SlackFake, database: str) -> AsyncIterator[tuple[SlackStack, SlackStack]]:
    """Two Slack apps serving one database, each on a port of its own, on one clock."""
    clock = FakeClock(START)
    async with AsyncExitStack() as exits:
        first = await exits.enter_async_context(running_stack(fake, database, clock=clock))
        second = await exits.enter_async_context(running_stack(fake, database, clock=clock))
        yield first, second


async def signed_status(fake: SlackFake, to: SlackStack) -> tuple[Reply, str, str, dict[str, str]]:
    """``/sprint status`` sent to ``to``; the reply, its response_url, and the signed request."""
    url = fake.mint_response_url()
    body = slash_command_body(command="/sprint", text="status", response_url=url, user_id="U0ALICE")
    signed = signed_form_request(fake.signing_secret, body)
    return await to.post(signed.body, signed.headers), url, signed.body, dict(signed.headers)


async def conversation(fake: SlackFake, a: SlackStack, b: SlackStack) -> list[Any]:
    """The same requests, each to ``a`` or ``b``: what the member and the channel saw, and
    what the database holds after."""
    fake.add_user("U0ADMIN", real_name="Ada", is_admin=True)
    fake.add_user("U0ALICE", real_name="Alice Wu", tz="Europe/London")
    seen: list[Any] = []

    _, url = await a.command(
        "channel purpose:announcements", command="/admin", user="U0ADMIN", channel="C0NEWS"
    )
    seen.append(texts_of((await fake.wait_for_response(url)).body["blocks"]))

    # The modal opens on b and is submitted to a: what it carries is all a needs.
    _, url = await b.command("start")
    view = (await fake.wait_for("views.open")).params["view"]
    rejected = await a.submit(view, {**SPRINT, "weeks": "99"})
    seen.append(rejected.json())
    accepted = await a.submit(view, SPRINT)
    seen.append((accepted.status, accepted.body))
    seen.append(texts_of((await fake.wait_for_response(url)).body["blocks"]))

    # The prompt (delivered by a's engine) and its button, pressed on b, submitted to a.
    member = await a.member("U0ALICE", "Alice Wu")
    sprint = await a.store.active_sprint(member.id)
    assert sprint is not None
    assert sprint.next_prompt_at is not None
    await a.engine.run_until(a.clock, sprint.next_prompt_at)
    prompt = await fake.wait_for("chat.postMessage", count=2)  # after the announcement
    seen.append(texts_of(prompt.params["blocks"]))
    dm = fake.dm_channel_for("U0ALICE")
    _, click_url = await b.click(
        buttons_of(prompt.params["blocks"])["Check in"],
        channel=dm,
        message={"ts": prompt.response["ts"], "text": ""},
    )
    modal = (await fake.wait_for("views.open", count=2)).params["view"]
    seen.append(modal["title"]["text"])
    seen.append((await a.submit(modal, CHECKIN)).status)
    assert click_url is not None
    seen.append(texts_of((await fake.wait_for_response(click_url)).body["blocks"]))

    # A command answered by b, then replayed, byte for byte, to a: refused there, run once.
    reply, url, body, headers = await signed_status(fake, b)
    seen.append(reply.status)
    seen.append(texts_of((await fake.wait_for_response(url)).body["blocks"]))
    replayed = await a.post(body, headers)
    seen.append(replayed.status)
    _, later = await a.command("status")
    await fake.wait_for_response(later)  # a later request is answered: the replay never was
    seen.append(len(fake.response_posts(url)))

    await a.engine.tick()
    seen.append([(m["channel"], texts_of(m["blocks"])) for m in fake.messages])
    database = str(getattr(a.store, "url", ""))
    seen.append(await query(database, "SELECT goal, weeks, status FROM sprints"))
    seen.append(
        await query(database, "SELECT week, status, progress, confidence, hours FROM checkin_weeks")
    )
    return seen


async def test_requests_spread_over_two_processes_give_what_one_process_gives(
    slack_fake: SlackFake, postgres_db: str, postgres_url: str
) -> None:
    async with processes(slack_fake, postgres_db) as (a, b):
        assert a.adapter.url != b.adapter.url  # two apps, two ports
        spread = await conversation(slack_fake, a, b)

    async with (
        SlackFake(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET) as fake,
        running_stack(fake, postgres_url) as alone,
    ):
        one = await conversation(fake, alone, alone)

    assert spread == one
    # And what they gave is right: the errors beside the field, each answer once, the replay
    # refused, the check-in recorded.
    assert list(spread[1]["errors"]) == ["weeks"]
    assert "Sprint started: Mix a 7.1.4 demo room" in spread[3]
    assert "Checked in for week 1 of 6" in spread[7]
    assert (spread[8], spread[10], spread[11]) == (200, 401, 1)
    assert spread[-2] == [("Mix a 7.1.4 demo room", 6, "active")]
    assert spread[-1] == [(1, "done", CHECKIN["progress"], 4, 5.0)]


async def test_a_request_replayed_to_the_other_process_is_refused(
    slack_fake: SlackFake, postgres_db: str
) -> None:
    slack_fake.add_user("U0ALICE", real_name="Alice Wu")
    async with processes(slack_fake, postgres_db) as (a, b):
        reply, url, body, headers = await signed_status(slack_fake, a)
        assert reply.status == 200
        await slack_fake.wait_for_response(url)
        for process in (b, a, b):
            assert (await process.post(body, headers)).status == 401
        _, later = await b.command("status")
        await slack_fake.wait_for_response(later)
        assert len(slack_fake.response_posts(url)) == 1
        kept = await query(postgres_db, "SELECT key FROM seen_once")
        assert (headers["X-Slack-Signature"],) in kept
