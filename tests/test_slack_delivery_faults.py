"""Slack answers that leave a post's fate unknown: the outbox looks before any retry.

Against the loopback Slack fake: a 5xx after Slack stored the post, a connection reset, an
answer lost past the client's timeout, a load balancer's HTML page. Each ends with the post
delivered exactly once, and one bad answer never holds up the other posts.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.requests import Origin
from adapters.slack.transport import SlackTransport
from bot.delivery import DeliveryError, Target
from bot.messages import Message
from bot.models import DestinationKind, OutboxItem
from tests import slack_stack as stack_module
from tests.fakes.slack_fake import FaultKind, SlackFake
from tests.slack_stack import SlackStack, running_stack, texts_of

slack_stack = stack_module.slack_stack

START_ARGS = (
    'start goal:"Mix a 7.1.4 demo room" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A 45-minute online workshop" weeks:6'
)
# The client's timeout in these tests, so an answer held back ("lost") is given up quickly.
CLIENT_TIMEOUT = 1


def prompts_of(fake: SlackFake, user: str) -> list[dict[str, Any]]:
    """Check-in prompts stored in a member's DM with the app."""
    dm = fake.dm_channel_for(user)
    return [
        m
        for m in fake.messages
        if m["channel"] == dm and "Weekly check-in" in texts_of(m.get("blocks") or [])
    ]


async def join(stack: SlackStack, user: str) -> None:
    """A member starts a sprint (its announcement waits: no channel is set)."""
    stack.fake.add_user(user, name=f"member {user}")
    actor = await stack.adapter.people.actor(Origin("T0CROSSFD", user, f"member {user}"))
    await stack.core.run_line(actor, f"/sprint {START_ARGS}")


async def prompt_row(stack: SlackStack, user: str) -> OutboxItem:
    """The outbox row of a member's first check-in prompt."""
    member = await stack.member(user, f"member {user}")
    sprint = await stack.store.active_sprint(member.id)
    assert sprint is not None
    (week,) = await stack.store.weeks(sprint.id)
    assert week.prompt_outbox_id is not None
    item = await stack.store.get_outbox(week.prompt_outbox_id)
    assert item is not None
    return item


async def first_prompt_time(stack: SlackStack, user: str) -> Any:
    member = await stack.member(user, f"member {user}")
    sprint = await stack.store.active_sprint(member.id)
    assert sprint is not None
    assert sprint.next_prompt_at is not None
    return sprint.next_prompt_at


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("server_error", "application/json"),
        ("html", "text/html"),
        ("html", "text/plain"),
        ("html", "application/json"),  # says JSON, isn't
        ("reset", ""),
        ("lost", ""),
    ],
    ids=["5xx", "html-5xx", "text-5xx", "bad-json-5xx", "reset", "lost"],
)
async def test_a_post_slack_may_have_stored_is_looked_up_not_posted_again(
    slack_stack: SlackStack, kind: FaultKind, content_type: str
) -> None:
    stack, fake = slack_stack, slack_stack.fake
    stack.transport.client.timeout = CLIENT_TIMEOUT
    await join(stack, "U0ALICE")
    due = await first_prompt_time(stack, "U0ALICE")
    fake.inject_fault("chat.postMessage", kind, content_type=content_type or "text/html")

    await stack.engine.run_until(stack.clock, due)

    # Slack stored it but gave no clean answer; no library posted it again behind our back.
    assert len(fake.calls("chat.postMessage")) == 1
    assert len(prompts_of(fake, "U0ALICE")) == 1
    waiting = await prompt_row(stack, "U0ALICE")
    assert waiting.status.value == "sending"  # unsure: looked up before the next try
    assert fake.calls("conversations.history") == []

    await stack.advance(timedelta(minutes=5))  # the retry

    assert len(fake.calls("conversations.history")) == 1
    assert len(fake.calls("chat.postMessage")) == 1  # found, not sent again
    (stored,) = prompts_of(fake, "U0ALICE")
    row = await prompt_row(stack, "U0ALICE")
    assert (row.status.value, row.message_ref) == ("delivered", stored["ts"])


@pytest.mark.asyncio
async def test_a_post_slack_did_not_store_is_sent_again_after_looking(
    slack_stack: SlackStack,
) -> None:
    stack, fake = slack_stack, slack_stack.fake
    await join(stack, "U0ALICE")
    fake.inject_fault("chat.postMessage", "server_error", stored=False, status=503)

    await stack.advance(timedelta(days=8))

    # Looked, found nothing, posted again: delivered once, nothing lost.
    assert len(fake.calls("conversations.history")) == 1
    assert [c.status for c in fake.calls("chat.postMessage")] == [503, 200]
    assert len(prompts_of(fake, "U0ALICE")) == 1
    assert (await prompt_row(stack, "U0ALICE")).status.value == "delivered"


@pytest.mark.asyncio
@pytest.mark.parametrize("content_type", ["text/html", "text/plain", "application/json"])
async def test_any_answer_body_is_classified(slack_fake: SlackFake, content_type: str) -> None:
    client = AsyncWebClient(
        token=slack_fake.bot_token, base_url=slack_fake.api_url, retry_handlers=[]
    )
    transport = SlackTransport(client, channel_interval=0.0)
    target = Target("T0CROSSFD", DestinationKind.CHANNEL, channel_id="C0NEWS")

    slack_fake.inject_fault("chat.postMessage", "html", content_type=content_type, status=503)
    with pytest.raises(DeliveryError) as server:
        await transport.send(target, Message(title="Hi"), key="cf-1")
    assert server.value.ambiguous  # Slack may have it
    assert not server.value.permanent
    assert "503" in server.value.reason

    # A 4xx page from a proxy refused the request before Slack saw it: retried plainly.
    slack_fake.inject_fault("chat.postMessage", "html", content_type=content_type, status=403)
    with pytest.raises(DeliveryError) as refused:
        await transport.send(target, Message(title="Hi"), key="cf-2")
    assert not refused.value.ambiguous
    assert not refused.value.permanent


@pytest.mark.asyncio
async def test_the_transport_client_never_retries_a_post_itself(slack_stack: SlackStack) -> None:
    stack, fake = slack_stack, slack_stack.fake
    target = Target("T0CROSSFD", DestinationKind.CHANNEL, channel_id="C0NEWS")
    # slack_sdk's connection-error handler would repost at once; the adapter keeps it for
    # its other calls, the transport only keeps the 429 handler (a 429 stores nothing).
    assert any("ConnectionError" in type(h).__name__ for h in stack.adapter.client.retry_handlers)
    assert [type(h).__name__ for h in stack.transport.client.retry_handlers] == [
        "AsyncRateLimitErrorRetryHandler"
    ]
    fake.inject_fault("chat.postMessage", "reset")

    with pytest.raises(DeliveryError) as reset:
        await stack.transport.send(target, Message(title="Hi"), key="cf-9")

    assert reset.value.ambiguous
    assert len(fake.calls("chat.postMessage")) == 1
    assert len(fake.messages) == 1


@pytest.mark.asyncio
async def test_one_bad_answer_never_stops_the_other_posts(
    slack_stack: SlackStack, caplog: pytest.LogCaptureFixture
) -> None:
    stack, fake = slack_stack, slack_stack.fake
    users = ["U0ANA", "U0BEN", "U0CAT", "U0DAN"]
    for user in users:
        await join(stack, user)
    due = await first_prompt_time(stack, users[0])
    # A 200 whose body isn't JSON: slack_sdk itself trips over it (no Slack error to map).
    fake.inject_fault("chat.postMessage", "html", status=200, content_type="text/plain")

    with caplog.at_level(logging.INFO):
        await stack.engine.run_until(stack.clock, due)

    assert sum(len(prompts_of(fake, u)) for u in users) == len(users)  # all in the first pass
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "unexpected" in errors[0].getMessage()
    assert errors[0].exc_info is None  # one line, no traceback
    waiting = [(await prompt_row(stack, u)).status.value for u in users]
    assert sorted(waiting) == ["delivered", "delivered", "delivered", "sending"]

    await stack.advance(timedelta(minutes=5))  # looked up, found, not posted again
    assert len(fake.calls("chat.postMessage")) == len(users)
    assert [(await prompt_row(stack, u)).status.value for u in users] == ["delivered"] * 4


@pytest.mark.asyncio
async def test_a_fan_out_under_faults_prompts_every_member_exactly_once(
    slack_fake: SlackFake, tmp_path: Path
) -> None:
    members = [f"U{n:05d}" for n in range(120)]
    async with running_stack(slack_fake, tmp_path / "fan.db", max_per_second=1000) as stack:
        stack.transport.client.timeout = CLIENT_TIMEOUT
        for user in members:
            await join(stack, user)
        due = await first_prompt_time(stack, members[0])
        # The first posts of the fan-out all meet trouble after Slack stored them; a few of
        # the lookups fail too.
        kinds: list[FaultKind] = ["server_error", "reset", "html", "lost"]
        for round_ in range(8):
            for kind in kinds:
                if kind != "lost" or round_ < 3:  # each held answer costs a real second
                    slack_fake.inject_fault("chat.postMessage", kind)
        slack_fake.inject_fault("conversations.history", "server_error", stored=False, times=3)
        faulted = len(kinds) * 8 - 5

        await stack.engine.run_until(stack.clock, due)
        await stack.advance(timedelta(hours=1))

        posts = slack_fake.calls("chat.postMessage")
        assert len([p for p in posts if p.fault]) == faulted
        for user in members:
            assert len(prompts_of(slack_fake, user)) == 1, user
            assert (await prompt_row(stack, user)).status.value == "delivered"
        # Every faulted post was looked up (some twice, after a failed lookup), none reposted.
        assert len(posts) == len(members)
        assert len(slack_fake.calls("conversations.history")) == faulted + 3
