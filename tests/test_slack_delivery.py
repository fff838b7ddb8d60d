"""Scheduled messages through SlackTransport: prompt DMs, in-place edits, 429s, recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.requests import Origin
from adapters.slack.transport import EVENT_TYPE, SlackTransport
from bot.delivery import DeliveryError, RecipientUnreachable, Target
from bot.messages import Message, text
from bot.models import DestinationKind
from tests import slack_stack as stack_module
from tests.fakes.slack_fake import ManualClock, SlackFake
from tests.slack_stack import (
    SlackStack,
    assert_payloads_valid,
    buttons_of,
    running_stack,
    texts_of,
)

slack_stack = stack_module.slack_stack

START_ARGS = (
    'start goal:"Mix a 7.1.4 demo room" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A 45-minute online workshop" weeks:6'
)


def bare_transport(fake: SlackFake, **kwargs: float) -> SlackTransport:
    """A transport whose client doesn't retry, to see each Slack answer as it is."""
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    return SlackTransport(client, **kwargs)


def dm(user: str) -> Target:
    return Target("T0CROSSFD", DestinationKind.DM, user_id=user)


def channel(name: str) -> Target:
    return Target("T0CROSSFD", DestinationKind.CHANNEL, channel_id=name)


async def start_sprint(stack: SlackStack, user: str = "U0ALICE") -> None:
    _, url = await stack.command(START_ARGS, user=user)
    await stack.fake.wait_for_response(url)


@pytest.mark.asyncio
async def test_prompt_dm_button_modal_submission_updates_the_prompt(
    slack_stack: SlackStack,
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice", tz="Europe/Berlin")
    await start_sprint(slack_stack)
    member = await slack_stack.member("U0ALICE", "Alice")
    sprint = await slack_stack.store.active_sprint(member.id)
    assert sprint is not None
    assert sprint.next_prompt_at is not None

    await slack_stack.engine.run_until(slack_stack.clock, sprint.next_prompt_at)
    prompt = await fake.wait_for("chat.postMessage")
    dm_channel = fake.dm_channel_for("U0ALICE")
    # Posted to the member's id: Slack puts it in the app's DM and names that channel.
    assert prompt.params["channel"] == "U0ALICE"
    assert prompt.response["channel"] == dm_channel
    assert fake.calls("conversations.open") == []
    assert prompt.params["metadata"]["event_type"] == EVENT_TYPE
    assert "Weekly check-in · week 1 of 6" in texts_of(prompt.params["blocks"])
    buttons = buttons_of(prompt.params["blocks"])
    assert set(buttons) == {"Check in", "Skip this week"}
    ts = prompt.response["ts"]

    _, url = await slack_stack.click(
        buttons["Check in"], channel=dm_channel, message={"ts": ts, "text": ""}
    )
    modal = (await fake.wait_for("views.open")).params["view"]
    assert modal["title"]["text"] == "Check-in · week 1"
    answer = await slack_stack.submit(
        modal, {"progress": "Measured RT60 in three spots", "confidence": "4", "hours": "5"}
    )
    assert (answer.status, answer.body) == (200, "")
    assert url is not None
    reply = await fake.wait_for_response(url)
    assert "Checked in for week 1 of 6" in texts_of(reply.body["blocks"])

    await slack_stack.engine.tick()  # the core queued an edit of the prompt
    update = await fake.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (dm_channel, ts)
    edited = fake.message(dm_channel, ts)
    assert edited is not None
    assert "edited" in edited
    shown = texts_of(edited["blocks"])
    assert "week 1 of 6 · done ✓" in shown
    assert "<!date^" in shown  # times shown in each reader's own zone
    assert set(buttons_of(edited["blocks"])) == {"Edit check-in"}
    assert len(fake.calls("chat.postMessage")) == 1  # updated in place, not re-posted
    # The core remembers the DM channel Slack named, for next week's prompt.
    assert (await slack_stack.member("U0ALICE", "Alice")).dm_channel == dm_channel
    assert_payloads_valid(fake)


@pytest.mark.asyncio
async def test_skip_button_answers_and_marks_the_prompt(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice")
    await start_sprint(slack_stack)
    sprint = await slack_stack.store.active_sprint(
        (await slack_stack.member("U0ALICE", "Alice")).id
    )
    assert sprint is not None
    assert sprint.next_prompt_at is not None
    await slack_stack.engine.run_until(slack_stack.clock, sprint.next_prompt_at)
    prompt = await fake.wait_for("chat.postMessage")
    dm_channel = fake.dm_channel_for("U0ALICE")

    _, url = await slack_stack.click(
        buttons_of(prompt.params["blocks"])["Skip this week"],
        channel=dm_channel,
        message={"ts": prompt.response["ts"]},
    )
    assert url is not None
    reply = await fake.wait_for_response(url)
    assert "Week 1 skipped" in texts_of(reply.body["blocks"])
    await slack_stack.engine.tick()
    await fake.wait_for("chat.update")
    edited = fake.message(dm_channel, prompt.response["ts"])
    assert edited is not None
    assert "skipped" in texts_of(edited["blocks"])
    assert_payloads_valid(fake)


@pytest.mark.asyncio
async def test_a_429_is_retried_after_retry_after(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.rate_limit_next("chat.postMessage", retry_after=1)
    loop = asyncio.get_running_loop()
    began = loop.time()
    receipt = await slack_stack.transport.send(
        channel("C0NEWS"), Message(title="Hello"), key="cf-1"
    )
    assert loop.time() - began >= 1.0  # waited as Slack asked
    assert fake.post_stats.rejected == 1
    assert fake.post_stats.accepted == 1
    assert fake.message("C0NEWS", receipt.message_id) is not None


@pytest.mark.asyncio
async def test_slack_errors_map_to_retry_or_give_up(slack_fake: SlackFake) -> None:
    transport = bare_transport(slack_fake, channel_interval=0.0)
    message = Message(title="Hi")

    slack_fake.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(DeliveryError) as limited:
        await transport.send(channel("C1"), message, key="k1")
    assert limited.value.retry_after == 7.0
    assert not limited.value.permanent

    slack_fake.fail_next("chat.postMessage", "not_in_channel")
    with pytest.raises(DeliveryError) as outside:
        await transport.send(channel("C1"), message, key="k2")
    assert not outside.value.permanent
    assert "/invite" in outside.value.reason
    assert outside.value.needs_admin  # waits for the admin, doesn't use up its retries

    for code in ("channel_not_found", "is_archived", "messages_tab_disabled", "missing_scope"):
        slack_fake.fail_next("chat.postMessage", code)
        with pytest.raises(DeliveryError) as fixable:
            await transport.send(channel("C1"), message, key="k2")
        assert fixable.value.needs_admin, code
        assert not fixable.value.permanent
        assert not isinstance(fixable.value, RecipientUnreachable)
    assert not limited.value.needs_admin

    slack_fake.fail_next("chat.postMessage", "user_disabled")
    with pytest.raises(DeliveryError) as gone:
        await transport.send(dm("U0GONE"), message, key="k3")
    assert gone.value.permanent
    assert not gone.value.needs_admin

    for code in ("user_not_visible", "channel_not_found"):
        slack_fake.fail_next("chat.postMessage", code)
        with pytest.raises(RecipientUnreachable):
            await transport.send(dm("U0GUEST"), message, key="k4")

    slack_fake.fail_next("chat.postMessage", "invalid_blocks")
    with pytest.raises(DeliveryError) as refused:
        await transport.send(channel("C1"), message, key="k5")
    assert refused.value.permanent


@pytest.mark.asyncio
async def test_a_dm_channel_slack_no_longer_knows_falls_back_to_the_member(
    slack_fake: SlackFake,
) -> None:
    transport = bare_transport(slack_fake)
    slack_fake.fail_next("chat.postMessage", "channel_not_found")
    stale = Target("T0CROSSFD", DestinationKind.DM, user_id="U0ALICE", channel_id="D0STALE")
    receipt = await transport.send(stale, Message(title="A"), key="cf-1")
    posts = slack_fake.calls("chat.postMessage")
    assert [p.params["channel"] for p in posts] == ["D0STALE", "U0ALICE"]
    assert receipt.channel_id == slack_fake.dm_channel_for("U0ALICE")


@pytest.mark.asyncio
async def test_find_sent_reads_the_key_back_from_message_metadata(slack_fake: SlackFake) -> None:
    sent = await bare_transport(slack_fake).send(dm("U0ALICE"), Message(title="A"), key="cf-41")
    await bare_transport(slack_fake).send(dm("U0ALICE"), Message(title="B"), key="cf-42")

    fresh = bare_transport(slack_fake)  # a restarted process: nothing cached
    assert await fresh.find_sent(dm("U0ALICE"), "cf-41") == sent
    assert await fresh.find_sent(dm("U0ALICE"), "cf-99") is None
    history = slack_fake.calls("conversations.history")[-1]
    assert history.params["include_all_metadata"] in ("1", "true", True)


@pytest.mark.asyncio
async def test_a_post_interrupted_by_a_crash_is_not_sent_twice(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ADMIN", is_admin=True)
    _, url = await slack_stack.command(
        "channel purpose:announcements", command="/admin", user="U0ADMIN", channel="C0NEWS"
    )
    await fake.wait_for_response(url)
    await start_sprint(slack_stack)  # queues an announcement

    due = await slack_stack.store.due_outbox(slack_stack.clock.now(), ["slack"], 10)
    assert len(due) == 1
    item = due[0].item
    # The process claimed the message and Slack took it, then the process died.
    await slack_stack.store.claim_outbox(item.id, slack_stack.clock.now())
    await slack_stack.transport.send(channel("C0NEWS"), Message(title="x"), key=f"cf-{item.id}")

    report = await slack_stack.engine.tick()
    assert report.delivery.recovered == 1
    assert report.delivery.sent == 0
    assert len(fake.calls("chat.postMessage")) == 1
    assert (await slack_stack.store.outbox_counts()).get("delivered") == 1


@pytest.mark.asyncio
async def test_a_post_that_needs_an_admin_waits_for_them_without_using_up_retries(
    slack_stack: SlackStack,
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ADMIN", is_admin=True)
    _, url = await slack_stack.command(
        "channel purpose:announcements", command="/admin", user="U0ADMIN", channel="C0NEWS"
    )
    await fake.wait_for_response(url)
    await start_sprint(slack_stack)  # queues an announcement
    [due] = await slack_stack.store.due_outbox(slack_stack.clock.now(), ["slack"], 10)

    fake.fail_next("chat.postMessage", "not_in_channel")  # nobody invited the bot
    report = await slack_stack.engine.tick()
    assert report.delivery.retried == 1
    waiting = await slack_stack.store.get_outbox(due.item.id)
    assert waiting is not None
    assert waiting.status.value == "pending"
    assert waiting.attempts == due.item.attempts  # this try didn't count
    assert waiting.not_before >= slack_stack.clock.now() + timedelta(hours=12)
    assert "/invite" in (waiting.last_error or "")

    # The admin picks a channel the bot is in: the post goes there at once.
    _, url = await slack_stack.command(
        "channel purpose:announcements", command="/admin", user="U0ADMIN", channel="C0NEWS2"
    )
    await fake.wait_for_response(url)
    report = await slack_stack.engine.tick()
    assert report.delivery.sent == 1
    posts = fake.calls("chat.postMessage")
    assert [p.params["channel"] for p in posts] == ["C0NEWS", "C0NEWS2"]
    assert (await slack_stack.store.outbox_counts()).get("failed") is None


@pytest.mark.asyncio
async def test_posts_to_one_channel_keep_a_second_apart(slack_fake: SlackFake) -> None:
    clock = ManualClock()  # shared with the fake's limit, so no real time passes
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    # Slack: 1 per second per channel; no burst, so a post sent early would be refused.
    slack_fake.enable_post_limit(per_channel_burst=1, clock=clock)
    # No retry handlers: a 429 would surface as an error, not be waited out.
    client = AsyncWebClient(
        token=slack_fake.bot_token, base_url=slack_fake.api_url, retry_handlers=[]
    )
    transport = SlackTransport(client, channel_interval=1.0, clock=clock, sleep=sleep)
    began = clock()
    for n in range(5):
        await transport.send(channel("C0BUSY"), Message(body=text(f"post {n}")), key=f"k{n}")
    await transport.send(channel("C0OTHER"), Message(body=text("elsewhere")), key="k5")
    assert clock() - began == pytest.approx(4.0)
    assert slept == pytest.approx([1.0] * 4)  # the other channel didn't wait
    assert slack_fake.post_stats.rejected == 0
    assert slack_fake.post_stats.accepted == 6


@pytest.mark.asyncio
async def test_long_summary_is_split_visibly_and_every_member_named(
    slack_fake: SlackFake, tmp_path: Path
) -> None:
    names = [f"Member {n:03d} of the big late-night mixing crew" for n in range(160)]
    async with running_stack(slack_fake, tmp_path / "db.sqlite", max_per_second=500) as stack:
        slack_fake.add_user("U0ADMIN", is_admin=True)
        _, url = await stack.command(
            "channel purpose:checkins", command="/admin", user="U0ADMIN", channel="C0CHECKINS"
        )
        await slack_fake.wait_for_response(url)
        for n, name in enumerate(names):
            slack_fake.add_user(f"U{n:05d}", name=name)
            actor = await stack.adapter.people.actor(Origin("T0CROSSFD", f"U{n:05d}", name))
            await stack.core.run_line(actor, f"/sprint {START_ARGS}")
        await stack.advance(timedelta(days=15))  # prompts, nobody answers, summary

        summaries = [
            c for c in slack_fake.calls("chat.postMessage") if c.params["channel"] == "C0CHECKINS"
        ]
        assert summaries
        blocks = summaries[0].params["blocks"]
        shown = texts_of(blocks)
        assert "0 of 160 checked in" in shown
        assert "*Missed* (continued)" in shown  # split over several sections, labelled
        for name in names:
            assert shown.count(name) == 1
        assert_payloads_valid(slack_fake)
