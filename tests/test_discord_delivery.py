"""Delivering the outbox to Discord: closed DMs, 429s, crash recovery, huge summaries, deferrals."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.transport import delivery_error
from bot.delivery import DeliveryError, RecipientUnreachable, Target
from bot.messages import Message, text
from bot.models import Actor, DestinationKind
from bot.storage.sqlite import SqliteStore
from tests import discord_stack as stack_module
from tests.discord_stack import (
    EPHEMERAL,
    DiscordStack,
    assert_nothing_pings,
    check_embeds,
    message_data,
    running_stack,
    text_of,
)
from tests.fakes.discord_fake import (
    ROUTE_DM_CREATE,
    ROUTE_MESSAGE_CREATE,
    ROUTE_MESSAGES_GET,
    ROUTE_ORIGINAL_EDIT,
    DiscordFake,
    RateLimitRule,
)
from tests.fakes.discord_fixtures import (
    FAKE_CHANNEL_ID,
    FAKE_DM_CLOSED_USER_ID,
    FAKE_GUILD_ID,
    FAKE_OTHER_CHANNEL_ID,
    FAKE_USER_ID,
)

discord_stack = stack_module.discord_stack

SPRINT = {
    "goal": "Mix a Dolby Atmos podcast episode",
    "skill": "spatial mixing",
    "deliverable": "workshop",
    "deliverable-note": "A 45-minute online workshop on binaural monitoring",
}


def prompts_in(fake: DiscordFake, user_id: int) -> list[dict[str, Any]]:
    """Check-in prompts stored in a member's DMs."""
    dm = fake.dm_channel_id(user_id)
    return [m for m in fake.messages(dm) if "Weekly check-in" in text_of(m)]


async def outbox_statuses(stack: DiscordStack) -> dict[str, int]:
    """How many outbox items are in each state."""
    return await stack.store.outbox_counts()


@pytest.mark.asyncio
async def test_closed_dms_get_one_note_in_the_checkins_channel_and_nothing_is_lost(
    discord_stack: DiscordStack,
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await stack.command("admin channel", {"purpose": "checkins"}, admin=True)
    await stack.command("sprint start", SPRINT, user_id=FAKE_DM_CLOSED_USER_ID)

    await stack.advance(timedelta(days=7, hours=9))  # prompt time (Monday 10:00), one retry

    refused = [r for r in fake.find(ROUTE_MESSAGE_CREATE) if r.status == 403]
    assert len(refused) >= 2
    assert {r.response["code"] for r in refused} == {50007}
    notes = [
        m for m in fake.messages(FAKE_CHANNEL_ID) if "Direct messages are closed" in text_of(m)
    ]
    assert len(notes) == 1
    (note,) = notes
    assert "Grace" in text_of(note)
    assert "<@" not in text_of(note)  # mention-free
    assert prompts_in(fake, FAKE_DM_CLOSED_USER_ID) == []
    assert (await outbox_statuses(stack)).get("failed", 0) == 0

    # Grace opens her DMs: the kept prompt arrives at the next retry, once.
    fake.dm_closed_user_ids.discard(FAKE_DM_CLOSED_USER_ID)
    await stack.advance(timedelta(hours=6))
    (prompt,) = prompts_in(fake, FAKE_DM_CLOSED_USER_ID)
    assert "week 1" in prompt["embeds"][0]["title"]
    assert len([m for m in fake.messages(FAKE_CHANNEL_ID) if "closed" in text_of(m)]) == 1
    assert (await outbox_statuses(stack)).get("failed", 0) == 0
    assert assert_nothing_pings(fake) >= 3


@pytest.mark.asyncio
@pytest.mark.parametrize("rejections", [1, 5])
async def test_429_loses_nothing_and_duplicates_nothing(
    discord_stack: DiscordStack, rejections: int
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await stack.command("sprint start", SPRINT)
    # One 429 is retried by discord.py itself; five exhaust its retries, so the outbox keeps
    # the prompt and sends it again after Discord's Retry-After.
    fake.inject_rate_limit(ROUTE_MESSAGE_CREATE, count=rejections, retry_after=0.01)

    await stack.advance(timedelta(days=8))

    statuses = [r.status for r in fake.find(ROUTE_MESSAGE_CREATE)]
    assert statuses == [429] * rejections + [200]
    assert len(prompts_in(fake, FAKE_USER_ID)) == 1
    # The prompt went out; the sprint's announcement waits for an announcements channel.
    assert await outbox_statuses(stack) == {"delivered": 1, "pending": 1}
    assert fake.unhandled == []


class Crash(BaseException):
    """The process dies between posting and recording the post (a kill, not an exception)."""


@pytest.mark.asyncio
async def test_a_crash_after_posting_does_not_post_twice(
    discord_fake: DiscordFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "crash.db"
    # Long after the crash: Discord no longer remembers the nonce, only the message itself.
    discord_fake.nonce_window = 0.0
    async with running_stack(discord_fake, db) as first:
        await first.command("sprint start", SPRINT)
        clock = first.clock
        real = SqliteStore.mark_delivered

        async def crash(self: SqliteStore, *args: Any) -> None:
            raise Crash

        monkeypatch.setattr(SqliteStore, "mark_delivered", crash)
        with pytest.raises(Crash):
            await first.advance(timedelta(days=8))
        monkeypatch.setattr(SqliteStore, "mark_delivered", real)
        assert (await first.store.outbox_counts()).get("sending") == 1
    (posted,) = prompts_in(discord_fake, FAKE_USER_ID)

    async with running_stack(discord_fake, db, clock) as second:
        await second.engine.tick()
        # The adapter found its own post by the key hidden in it, and did not send again.
        assert discord_fake.find(ROUTE_MESSAGES_GET)
        assert len(prompts_in(discord_fake, FAKE_USER_ID)) == 1
        _, member = await second.member()
        sprint = await second.store.active_sprint(member.id)
        assert sprint is not None
        (week,) = await second.store.weeks(sprint.id)
        assert week.prompt_outbox_id is not None
        item = await second.store.get_outbox(week.prompt_outbox_id)
        assert item is not None
        assert (item.status.value, item.message_ref) == ("delivered", posted["id"])


@pytest.mark.asyncio
async def test_a_resend_with_the_same_key_is_deduplicated_by_discord(
    discord_stack: DiscordStack,
) -> None:
    transport = discord_stack.adapter.discord_transport
    target = Target(str(FAKE_GUILD_ID), DestinationKind.DM, user_id=str(FAKE_USER_ID))
    note = Message(title="Hello", body=text("Your sprint starts Monday."))

    first = await transport.send(target, note, key="cf-77")
    again = await transport.send(target, note, key="cf-77")

    assert again == first
    assert discord_fake_messages(discord_stack) == 1
    assert discord_stack.fake.nonce_hits == 1
    assert await transport.find_sent(target, "cf-77") == first
    assert await transport.find_sent(target, "cf-78") is None
    # The DM channel was opened once and remembered.
    assert len(discord_stack.fake.find(ROUTE_DM_CREATE)) == 1


def discord_fake_messages(stack: DiscordStack) -> int:
    return len(stack.fake.messages(stack.fake.dm_channel_id(FAKE_USER_ID)))


@pytest.mark.asyncio
async def test_a_huge_weekly_summary_stays_within_discords_limits(
    discord_stack: DiscordStack,
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await stack.command("admin channel", {"purpose": "checkins"}, admin=True)
    members = [FAKE_USER_ID + 1000 + n for n in range(260)]
    for user in members:
        reply = await stack.command("sprint start", SPRINT, user_id=user)
        assert message_data(reply)["embeds"][0]["title"].startswith("Sprint started")
    await stack.advance(timedelta(days=7, hours=3))
    for user in members:
        await stack.core.run(
            await actor(stack, user),
            stack.core.registry.commands[("checkin", "submit")],
            {"progress": "Tuned the room " * 10, "blockers": "Gear", "confidence": 4},
        )
    await stack.advance(timedelta(days=7))

    (summary,) = [m for m in fake.messages(FAKE_CHANNEL_ID) if "Weekly check-ins" in text_of(m)]
    check_embeds(summary)
    shown = text_of(summary)
    assert "260 of 260 checked in" in shown
    assert "\u2026" in shown  # cut visibly, not rejected
    # Members are named as mentions (which render as names and never notify in embeds).
    assert f"<@{members[0]}>" in shown
    assert assert_nothing_pings(fake) > 260


async def actor(stack: DiscordStack, user: int) -> Actor:
    return Actor("discord", str(FAKE_GUILD_ID), str(user), f"user{user}")


@pytest.mark.asyncio
async def test_slow_answers_are_deferred_then_followed_up(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    # Every core call counts as slow: the adapter acknowledges first, then answers.
    async with running_stack(discord_fake, tmp_path / "slow.db", defer_after=0.0) as stack:
        payload = stack.slash("sprint start", SPRINT)
        await discord_fake.push_interaction(payload)
        callback = await discord_fake.wait_for_callback(payload)
        assert callback.json == {"type": 5, "data": {"flags": EPHEMERAL}}
        (edit,) = await discord_fake.wait_for(ROUTE_ORIGINAL_EDIT)
        assert edit.json["embeds"][0]["title"].startswith("Sprint started")

        # A slow public answer: the private "thinking" is replaced, the post follows.
        admin = stack.slash("admin channel", {"purpose": "checkins"}, admin=True)
        await discord_fake.push_interaction(admin)
        await discord_fake.wait_for_callback(admin)
        (followup,) = await discord_fake.wait_for(lambda r: r.route.startswith("POST /webhooks"))
        assert followup.json["embeds"][0]["title"] == "Channel set"
        assert not followup.json.get("flags", 0) & EPHEMERAL
    assert assert_nothing_pings(discord_fake) >= 2


@pytest.mark.asyncio
async def test_sends_are_paced_under_the_global_limit(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    discord_fake.enable_rate_limits()  # 50 requests a second, and per-route buckets
    users = [FAKE_USER_ID + 5000 + n for n in range(90)]
    async with running_stack(discord_fake, tmp_path / "paced.db", requests_per_second=45.0) as s:
        transport = s.adapter.discord_transport
        for user in users:  # DM channels opened in earlier weeks
            transport.remember_dm(user, discord_fake.dm_channel_id(user))
        note = Message(title="Check-in", body=text("Your week is open."))
        started = time.monotonic()
        receipts = await asyncio.gather(
            *(
                transport.send(
                    Target(str(FAKE_GUILD_ID), DestinationKind.DM, user_id=str(user)),
                    note,
                    key=f"cf-{user}",
                )
                for user in users
            )
        )
        elapsed = time.monotonic() - started
    assert len({r.message_id for r in receipts}) == len(users)
    assert discord_fake.rate_limit_stats.rejected == 0  # never a 429
    # 45 a second, give or take the one request a stalled loop may let out early.
    assert elapsed >= (len(users) - 2) / 45.0
    sent = sorted(r.at for r in discord_fake.find(ROUTE_MESSAGE_CREATE))
    busiest = max(sum(1 for t in sent if first <= t < first + 1.0) for first in sent)
    assert busiest <= 50  # within Discord's limit in every second, not just on average


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "code"),
    [(403, 50001), (403, 50013), (404, 10003)],
    ids=["missing-access", "missing-permissions", "unknown-channel"],
)
async def test_a_channel_the_bot_cannot_post_in_waits_for_an_admin(
    discord_stack: DiscordStack, status: int, code: int
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await stack.command(
        "admin channel", {"purpose": "announcements"}, admin=True, channel_id=FAKE_OTHER_CHANNEL_ID
    )
    blocked = f"POST /channels/{FAKE_OTHER_CHANNEL_ID}/messages"
    fake.inject_error(blocked, status, code=code, count=1000)
    await stack.command("sprint start", SPRINT)

    # Far past the ~6 hours in which ordinary failures use up their 12 tries.
    await stack.advance(timedelta(days=3))

    tries = fake.find(blocked)
    assert 1 <= len(tries) <= 4  # about once a day
    assert await outbox_statuses(stack) == {"pending": 1}
    waiting = await stack.store.get_outbox(1)  # the announcement, the only item queued
    assert waiting is not None
    assert waiting.attempts == 0
    assert "/admin channel" in (waiting.last_error or "")

    # An admin points announcements at a channel the bot can use: the post goes at once.
    await stack.command("admin channel", {"purpose": "announcements"}, admin=True)
    await stack.engine.tick()
    (posted,) = [m for m in fake.messages(FAKE_CHANNEL_ID) if "started a" in text_of(m)]
    assert "Mix a Dolby Atmos podcast episode" in text_of(posted)
    assert await outbox_statuses(stack) == {"delivered": 1}
    assert len(fake.find(blocked)) == len(tries)


class _Response:
    """What discord.HTTPException reads from an aiohttp response."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "error"
        self.headers: dict[str, str] = {}


def http_error(status: int, code: int) -> discord.HTTPException:
    return discord.HTTPException(_Response(status), {"code": code, "message": "error"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "code", "where", "expected"),
    [
        (403, 50001, "channel", "needs_admin"),
        (403, 50013, "channel", "needs_admin"),
        (404, 10003, "channel", "needs_admin"),
        (403, 50001, "dm", "retry"),  # not for an admin to fix: ordinary retries
        (404, 10013, "dm", "retry"),  # Unknown User (an account deleted)
        (404, 10003, "edit", "permanent"),  # the edited message went with its channel
        (403, 50013, "edit", "needs_admin"),
        (404, 10008, "edit", "permanent"),
        (400, 50035, "channel", "permanent"),
        (403, 50007, "dm", "unreachable"),
        (500, 0, "channel", "retry"),
    ],
)
def test_discord_errors_map_to_what_the_core_should_do(
    status: int, code: int, where: str, expected: str
) -> None:
    error = delivery_error(
        http_error(status, code), "somewhere", channel=where != "dm", editing=where == "edit"
    )

    assert isinstance(error, DeliveryError)
    found = (
        "unreachable"
        if isinstance(error, RecipientUnreachable)
        else "needs_admin"
        if error.needs_admin
        else "permanent"
        if error.permanent
        else "retry"
    )
    assert found == expected
    assert not (error.needs_admin and error.permanent)


@pytest.mark.asyncio
async def test_outbox_deliveries_are_paced_by_the_transport_alone(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    users = [FAKE_USER_ID + 7000 + n for n in range(30)]  # 60 requests: over a second's 50
    async with running_stack(discord_fake, tmp_path / "paced.db", requests_per_second=45.0) as s:
        # One pacer: the Dispatcher's is switched off, the transport's counts every request.
        assert s.adapter.transport.max_per_second == float("inf")
        start = s.core.registry.commands[("sprint", "start")]
        for user in users:
            await s.core.run(await actor(s, user), start, dict(SPRINT))
        # Discord's 50 a second; new members' DM channels are opened on the way (that route's
        # own bucket is widened here, so only the global limit is tested).
        discord_fake.enable_rate_limits(rules={ROUTE_DM_CREATE: RateLimitRule(100, 1.0)})
        first = len(discord_fake.requests)

        await s.advance(timedelta(days=8))  # every first prompt falls due at once

    assert discord_fake.rate_limit_stats.rejected == 0  # DM opens and posts, never a 429
    paced = discord_fake.requests[first:]
    assert len([r for r in paced if r.matches(ROUTE_DM_CREATE)]) == len(users)
    assert len([r for r in paced if r.matches(ROUTE_MESSAGE_CREATE)]) == len(users)
    for user in users:
        assert len(prompts_in(discord_fake, user)) == 1
