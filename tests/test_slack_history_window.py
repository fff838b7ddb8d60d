"""Looking posts up on Slack within its history limits for apps outside the Marketplace.

conversations.history allows such an app one call a minute per workspace and 15 messages a
call; the Slack fake enforces both here (``enable_history_limit``) on the test's FakeClock,
which the tests move by hand. A process leases rows, claims them, posts some and dies
(``crash_mid_send``); the next process looks each one up in its turn, in the history around
its attempt only, and sends again only what Slack doesn't have.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.history import CLOCK_SKEW, EVENT_TYPE, HISTORY_PAGE
from adapters.slack.transport import SlackTransport
from bot.clock import FakeClock
from bot.delivery import Dispatcher, Target
from bot.lookups import TURN_MARGIN, window_of
from bot.messages import Message
from bot.models import (
    Actor,
    Destination,
    DestinationKind,
    NewOutbox,
    OutboxItem,
    OutboxStatus,
)
from bot.storage.base import OUTBOX_LEASE
from bot.transport import SentWindow
from tests.fakes.slack_fake import DEFAULT_TEAM_ID, SlackFake
from tests.stores import AnyStore, Database, open_store

pytestmark = pytest.mark.asyncio

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
# One lookup a minute per workspace, with the margin for clocks a little apart.
TURN = timedelta(seconds=60 + TURN_MARGIN)


def transport_for(fake: SlackFake) -> SlackTransport:
    """The Slack transport as the adapter builds it: its client retries 429s on its own."""
    client = AsyncWebClient(
        token=fake.bot_token,
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    return SlackTransport(client, max_per_second=1000)


def limited_fake(fake: SlackFake, clock: FakeClock) -> SlackFake:
    """The fake with the non-Marketplace history limits on, on the test's clock."""
    fake.enable_history_limit(lambda: clock.now().timestamp())
    return fake


async def queue_prompts(database: Database, clock: FakeClock, users: Iterable[str]) -> None:
    """One DM to each member, queued."""
    store = await open_store(database)
    try:
        items = []
        for user in users:
            actor = Actor("slack", DEFAULT_TEAM_ID, user, f"member {user}")
            community, member = await store.ensure_member(actor, clock.now())
            payload = json.dumps(Message(title=f"Weekly check-in for {user}").to_dict())
            items.append(NewOutbox(community.id, Destination.dm(member.id), payload, user))
        await store.enqueue(items, clock.now())
    finally:
        await store.close()


async def crash_mid_send(
    database: Database, clock: FakeClock, transport: SlackTransport, reached: set[str]
) -> None:
    """A process claims every due row, posts the rows of ``reached`` members and dies."""
    store = await open_store(database)
    try:
        for entry in await store.due_outbox(clock.now(), ["slack"], 100):
            item = entry.item
            assert await store.claim_outbox(item.id, clock.now())
            assert item.destination.member_id is not None
            member = await store.get_member(item.destination.member_id)
            if member.ext_id in reached:
                target = Target(entry.community_ext_id, DestinationKind.DM, user_id=member.ext_id)
                message = Message.from_dict(json.loads(item.payload))
                await transport.send(target, message, key=f"cf-{item.id}")
    finally:
        await store.close()
    # Its leases run out, so another process may take the rows over.
    clock.advance(OUTBOX_LEASE + timedelta(seconds=1))


async def row_of(store: AnyStore, user: str) -> OutboxItem:
    """The outbox row queued for a member (its dedupe key is the member's id)."""
    for n in range(1, 50):
        item = await store.get_outbox(n)
        if item is not None and item.dedupe_key == user:
            return item
    raise AssertionError(f"no row for {user}")


def keyed_in(fake: SlackFake, user: str, key: str) -> list[dict[str, object]]:
    """The messages in a member's DM carrying an outbox key."""
    dm = fake.dm_channel_for(user)
    return [
        m
        for m in fake.messages
        if m["channel"] == dm and (m.get("metadata") or {}).get("event_payload") == {"key": key}
    ]


def at(moment: datetime) -> float:
    return moment.timestamp()


async def test_rows_left_mid_send_are_looked_up_one_a_minute_none_twice_none_lost(
    slack_fake: SlackFake, database: Database
) -> None:
    clock = FakeClock(START)
    fake = limited_fake(slack_fake, clock)
    transport = transport_for(fake)
    users = [f"U0MEMBER{n}" for n in range(6)]
    reached = set(users[::2])
    await queue_prompts(database, clock, users)
    await crash_mid_send(database, clock, transport, reached)
    assert len(fake.calls("chat.postMessage")) == 3

    store = await open_store(database)
    try:
        dispatcher = Dispatcher(store, clock, {"slack": transport})
        lookups = []
        for _ in users:
            await dispatcher.deliver_due()
            lookups.append(len(fake.calls("conversations.history")))
            clock.advance(TURN)
        await dispatcher.deliver_due()  # nothing left to look up
        rows = {user: await row_of(store, user) for user in users}
    finally:
        await store.close()

    # One lookup a minute for the workspace, and Slack never had to refuse one.
    assert lookups == [1, 2, 3, 4, 5, 6]
    assert len(fake.calls("conversations.history")) == 6
    assert fake.calls("conversations.history", ok=False) == []
    # Each page asked for the window around the attempt only, at most 15 messages.
    for call in fake.calls("conversations.history"):
        assert int(call.params["limit"]) <= HISTORY_PAGE
        oldest, latest = Decimal(call.params["oldest"]), Decimal(call.params["latest"])
        assert oldest == Decimal(f"{at(START - CLOCK_SKEW):.6f}")
        assert latest == Decimal(f"{at(START + OUTBOX_LEASE + CLOCK_SKEW):.6f}")
        assert call.params["inclusive"] in ("1", "true", True)
    calls = fake.calls()
    for user in users:
        row = rows[user]
        (posted,) = keyed_in(fake, user, f"cf-{row.id}")  # exactly once: none twice, none lost
        assert (row.status.value, row.message_ref) == ("delivered", posted["ts"])
        # Waiting for its turn used up none of its tries: one claim, plus one per resend.
        assert row.attempts == (1 if user in reached else 2)
        if user not in reached:
            # Looked up before it was sent again.
            dm = fake.dm_channel_for(user)
            looked = next(
                i
                for i, c in enumerate(calls)
                if c.method == "conversations.history" and c.params["channel"] == dm
            )
            sent = next(
                i
                for i, c in enumerate(calls)
                if c.method == "chat.postMessage" and c.params["channel"] == user
            )
            assert looked < sent


async def test_a_post_outside_the_attempt_s_window_is_not_taken_for_it(
    slack_fake: SlackFake, database: Database
) -> None:
    clock = FakeClock(START)
    fake = limited_fake(slack_fake, clock)
    transport = transport_for(fake)
    await queue_prompts(database, clock, ["U0ALICE"])
    store = await open_store(database)
    try:
        row = await row_of(store, "U0ALICE")
    finally:
        await store.close()
    # A message with the same key a day before (a restored database reuses outbox ids).
    old = fake.plant_message(
        "U0ALICE",
        at=at(START - timedelta(days=1)),
        text="last year's prompt",
        metadata={"event_type": EVENT_TYPE, "event_payload": {"key": f"cf-{row.id}"}},
    )
    await crash_mid_send(database, clock, transport, reached=set())

    store = await open_store(database)
    try:
        await Dispatcher(store, clock, {"slack": transport}).deliver_due()
        row = await row_of(store, "U0ALICE")
    finally:
        await store.close()

    # Not found in the window, so sent: the old message wasn't taken for it.
    new = [m for m in keyed_in(fake, "U0ALICE", f"cf-{row.id}") if m["ts"] != old["ts"]]
    assert len(new) == 1
    assert (row.status.value, row.message_ref) == ("delivered", new[0]["ts"])


async def test_a_post_buried_under_later_messages_is_found_in_its_window(
    slack_fake: SlackFake, database: Database
) -> None:
    clock = FakeClock(START)
    fake = limited_fake(slack_fake, clock)
    transport = transport_for(fake)
    await queue_prompts(database, clock, ["U0ALICE"])
    await crash_mid_send(database, clock, transport, reached={"U0ALICE"})
    # Twenty messages come after it, more than one page of the newest would show.
    for n in range(20):
        fake.plant_message("U0ALICE", at=at(START + timedelta(minutes=10 + n)), text=f"chat {n}")
    clock.set(START + timedelta(minutes=40))

    store = await open_store(database)
    try:
        await Dispatcher(store, clock, {"slack": transport}).deliver_due()
        row = await row_of(store, "U0ALICE")
    finally:
        await store.close()

    (posted,) = keyed_in(fake, "U0ALICE", f"cf-{row.id}")  # found: not posted twice
    assert (row.status.value, row.message_ref) == ("delivered", posted["ts"])
    assert len(fake.calls("chat.postMessage")) == 1
    assert len(fake.calls("conversations.history")) == 1


async def test_a_window_of_more_than_a_page_reads_on_with_the_cursor_at_the_next_turn(
    slack_fake: SlackFake, database: Database
) -> None:
    clock = FakeClock(START)
    fake = limited_fake(slack_fake, clock)
    transport = transport_for(fake)
    await queue_prompts(database, clock, ["U0ALICE"])
    await crash_mid_send(database, clock, transport, reached={"U0ALICE"})
    # Twenty more messages inside the window, after the post: it is on the second page.
    for n in range(20):
        fake.plant_message("U0ALICE", at=at(START + timedelta(seconds=5 + n)), text=f"chat {n}")

    store = await open_store(database)
    try:
        dispatcher = Dispatcher(store, clock, {"slack": transport})
        await dispatcher.deliver_due()
        waiting = await row_of(store, "U0ALICE")
        clock.advance(TURN - timedelta(seconds=1))
        await dispatcher.deliver_due()  # not its turn yet: not even due
        assert len(fake.calls("conversations.history")) == 1
        clock.advance(timedelta(seconds=1))
        await dispatcher.deliver_due()
        row = await row_of(store, "U0ALICE")
    finally:
        await store.close()

    # The first page didn't settle it: the row waited for the next turn, still to be
    # looked up, with the cursor kept and none of its tries used.
    assert (waiting.status.value, waiting.attempts) == ("sending", 1)
    assert waiting.lookup_cursor
    first, second = fake.calls("conversations.history")
    assert "cursor" not in first.params
    assert second.params["cursor"] == waiting.lookup_cursor
    assert fake.calls("conversations.history", ok=False) == []
    (posted,) = keyed_in(fake, "U0ALICE", f"cf-{row.id}")
    assert (row.status.value, row.message_ref) == ("delivered", posted["ts"])
    assert len(fake.calls("chat.postMessage")) == 1


async def test_a_429_from_history_reschedules_the_lookups_for_its_retry_after(
    slack_fake: SlackFake, database: Database
) -> None:
    clock = FakeClock(START)
    fake = limited_fake(slack_fake, clock)
    transport = transport_for(fake)
    users = ["U0ALICE", "U0BOB"]
    await queue_prompts(database, clock, users)
    await crash_mid_send(database, clock, transport, reached=set(users))
    fake.rate_limit_next("conversations.history", retry_after=90)
    began = clock.now()

    store = await open_store(database)
    try:
        dispatcher = Dispatcher(store, clock, {"slack": transport})
        await dispatcher.deliver_due()
        after_429 = {u: await row_of(store, u) for u in users}
        # Neither looks again before Slack's Retry-After, not even at the next minute.
        clock.advance(TURN)
        await dispatcher.deliver_due()
        assert len(fake.calls("conversations.history")) == 1
        clock.set(began + timedelta(seconds=90))
        await dispatcher.deliver_due()
        assert len(fake.calls("conversations.history")) == 2
        clock.advance(TURN)
        await dispatcher.deliver_due()
        rows = {u: await row_of(store, u) for u in users}
    finally:
        await store.close()

    # The client didn't retry the 429 behind the outbox's back: one refused call, then one
    # lookup per turn.
    assert [c.status for c in fake.calls("conversations.history")] == [429, 200, 200]
    for user in users:
        waiting = after_429[user]
        assert (waiting.status.value, waiting.attempts) == ("sending", 1)
        assert waiting.not_before > began
        (posted,) = keyed_in(fake, user, f"cf-{rows[user].id}")
        assert (rows[user].status.value, rows[user].message_ref) == ("delivered", posted["ts"])
        assert rows[user].attempts == 1
    assert {r.last_error for r in after_429.values()} == {"ratelimited", "waiting for its turn"}
    assert len(fake.calls("chat.postMessage")) == 2  # the dead process's, none again


async def test_turns_are_kept_in_the_store_across_a_restart(database: Database) -> None:
    bucket = "slack-lookups:T0CROSSFD"
    store = await open_store(database)
    try:
        assert await store.take_turn(bucket, 65.0, START) == 0.0
        assert await store.take_turn(bucket, 65.0, START + timedelta(seconds=5)) == 60.0
    finally:
        await store.close()
    store = await open_store(database)
    try:
        assert await store.take_turn(bucket, 65.0, START + timedelta(seconds=15)) == 50.0
        assert await store.take_turn("slack-lookups:T0OTHER", 65.0, START) == 0.0
        assert await store.take_turn(bucket, 65.0, START + timedelta(seconds=65)) == 0.0
        await store.hold_turns(bucket, START + timedelta(seconds=200))
        await store.hold_turns(bucket, START + timedelta(seconds=100))  # never shortens
        assert await store.take_turn(bucket, 65.0, START + timedelta(seconds=150)) == 50.0
    finally:
        await store.close()


async def test_two_processes_take_one_workspace_s_turns_from_one_bucket(postgres_db: str) -> None:
    first, second = await open_store(postgres_db), await open_store(postgres_db)
    try:
        bucket = "slack-lookups:T0CROSSFD"
        assert await first.take_turn(bucket, 65.0, START) == 0.0
        assert await second.take_turn(bucket, 65.0, START + timedelta(seconds=10)) == 55.0
        assert await second.take_turn(bucket, 65.0, START + timedelta(seconds=65)) == 0.0
        assert await first.take_turn(bucket, 65.0, START + timedelta(seconds=70)) == 60.0
    finally:
        await first.close()
        await second.close()


async def test_a_row_claimed_before_attempts_were_noted_is_looked_for_since_queued() -> None:
    queued = START - timedelta(hours=3)
    row = OutboxItem(
        id=7,
        community_id=1,
        destination=Destination.dm(1),
        payload="{}",
        dedupe_key=None,
        edit_of=None,
        status=OutboxStatus.SENDING,
        attempts=1,
        not_before=queued,
        created_at=queued,
    )
    assert window_of(row, START) == SentWindow(queued, START)
    tried = replace(row, attempted_at=START, lookup_cursor="page-2")
    assert window_of(tried, START + timedelta(hours=1)) == SentWindow(
        START, START + OUTBOX_LEASE, "page-2"
    )
