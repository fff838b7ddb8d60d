"""A message's files on Slack: one file share made by slack_sdk's external upload, on the fake.

Replies come from a test-only ``/calendar`` command (tests/attachment_fixtures.py); outbox
posts are queued straight into the store, so no feature is involved. Every file must reach
the fake's upload URL byte for byte, and an upload Slack may have completed is looked up by
the key in its first block before any retry, never uploaded twice.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from adapters.slack.files import KEY_BLOCK_PREFIX
from adapters.slack.manifest import manifest
from adapters.slack.requests import Origin
from adapters.slack.transport import FILE_RECEIPT
from bot.app import build_registry
from bot.messages import Message, text
from bot.models import Destination, NewOutbox, OutboxItem
from tests.attachment_fixtures import FILENAME, ICS, calendar_message, file_registry
from tests.fakes.slack_fake import FaultKind, SlackFake
from tests.slack_stack import SlackStack, assert_payloads_valid, running_stack, texts_of

ALICE = "U0ALICE"
NEWS = "C0NEWS"
CLIENT_TIMEOUT = 1  # seconds, so an answer the fake holds back ("lost") is given up quickly


@pytest_asyncio.fixture
async def stack(slack_fake: SlackFake, tmp_path: Path) -> AsyncIterator[SlackStack]:
    """The Slack stack whose only command is /calendar; Alice is a workspace member."""
    slack_fake.add_user(ALICE, name="alice", real_name="Alice")
    async with running_stack(
        slack_fake, tmp_path / "crossfade.db", registry=file_registry()
    ) as running:
        # Shares are paced at 45 a minute; the tests' few shouldn't wait in real time.
        running.transport.shares_per_second = float("inf")
        yield running


def shares(fake: SlackFake, channel: str) -> list[dict[str, Any]]:
    """File-share messages in a channel, oldest first."""
    return [m for m in fake.messages if m["channel"] == channel and m.get("files")]


async def queue(stack: SlackStack, destination: Destination, message: Message) -> OutboxItem:
    """Queue a message for Alice's community (as a feature's decision would)."""
    member = await stack.member(ALICE, "Alice")
    (outbox_id,) = await stack.store.enqueue(
        [NewOutbox(member.community_id, destination, json.dumps(message.to_dict()))],
        stack.clock.now(),
    )
    item = await stack.store.get_outbox(outbox_id)
    assert item is not None
    return item


async def row(stack: SlackStack, item: OutboxItem) -> OutboxItem:
    again = await stack.store.get_outbox(item.id)
    assert again is not None
    return again


@pytest.mark.asyncio
async def test_a_private_reply_s_file_lands_in_the_dm_and_the_reply_says_so(
    stack: SlackStack,
) -> None:
    fake = stack.fake
    _, url = await stack.command("", command="/calendar", user=ALICE)
    note = await fake.wait_for_response(url)

    dm = fake.dm_channel_for(ALICE)
    (uploaded,) = fake.files
    assert (uploaded.filename, uploaded.data, uploaded.channel) == (FILENAME, ICS, dm)
    assert fake.upload_posts == [(uploaded.id, ICS)]
    (share,) = shares(fake, dm)
    assert [f["name"] for f in share["files"]] == [FILENAME]
    assert "Room calibration clinic" in texts_of(share["blocks"])
    # The ephemeral answer has the card and where its file went, and no file of its own.
    assert note.body["response_type"] == "ephemeral"
    shown = texts_of(note.body["blocks"])
    assert "Add it to your calendar" in shown
    assert f"\U0001f4ce {FILENAME}: in your direct messages with me" in shown
    complete = fake.calls("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == dm
    assert complete["files"] == [{"id": uploaded.id, "title": FILENAME}]
    assert assert_payloads_valid(fake) >= 2


@pytest.mark.asyncio
async def test_a_public_reply_shares_its_file_in_the_channel_asked_in(stack: SlackStack) -> None:
    fake = stack.fake
    origin = Origin("T0CROSSFD", ALICE, "alice", channel_id="C0GENERAL", response_url=None)

    await stack.adapter.replies.send(origin, calendar_message(), public=True)

    (uploaded,) = fake.files
    assert (uploaded.channel, uploaded.data) == ("C0GENERAL", ICS)
    assert len(shares(fake, "C0GENERAL")) == 1
    assert fake.calls("conversations.open") == []
    assert fake.response_posts() == []
    assert fake.ephemerals == []


@pytest.mark.asyncio
async def test_a_private_reply_asked_for_in_the_dm_is_just_the_share(stack: SlackStack) -> None:
    fake = stack.fake
    dm = fake.dm_channel_for(ALICE)
    origin = Origin("T0CROSSFD", ALICE, "alice", channel_id=dm, response_url=None)

    await stack.adapter.replies.send(origin, calendar_message())

    (share,) = shares(fake, dm)
    assert "Add it to your calendar" in texts_of(share["blocks"])
    assert fake.files[0].data == ICS
    assert fake.ephemerals == []
    assert fake.calls("chat.postMessage") == []


@pytest.mark.asyncio
async def test_a_reply_whose_upload_slack_refuses_says_the_file_is_missing(
    stack: SlackStack,
) -> None:
    fake = stack.fake
    fake.fail_next("files.completeUploadExternal", "invalid_channel")
    _, url = await stack.command("", command="/calendar", user=ALICE)
    note = await fake.wait_for_response(url)

    assert shares(fake, fake.dm_channel_for(ALICE)) == []
    shown = texts_of(note.body["blocks"])
    assert "Add it to your calendar" in shown
    assert f"I couldn't attach {FILENAME}: Slack refused the upload" in shown


@pytest.mark.asyncio
async def test_an_outbox_dm_with_a_file_is_one_share_carrying_its_key(stack: SlackStack) -> None:
    fake = stack.fake
    member = await stack.member(ALICE, "Alice")
    item = await queue(stack, Destination.dm(member.id), calendar_message())

    await stack.engine.tick()

    dm = fake.dm_channel_for(ALICE)
    (uploaded,) = fake.files
    assert (uploaded.data, uploaded.channel) == (ICS, dm)
    (share,) = shares(fake, dm)
    assert share["blocks"][0]["block_id"] == f"{KEY_BLOCK_PREFIX}cf-{item.id}"
    delivered = await row(stack, item)
    assert delivered.status.value == "delivered"
    assert (delivered.channel_ref, delivered.message_ref) == (dm, share["ts"])
    # Its DM channel (opened for the share) is remembered for the next post.
    assert (await stack.store.get_member(member.id)).dm_channel == dm
    assert fake.calls("chat.postMessage") == []
    assert_payloads_valid(fake)


@pytest.mark.asyncio
async def test_an_outbox_channel_post_with_a_file_is_shared_there_and_edited_in_place(
    stack: SlackStack,
) -> None:
    fake = stack.fake
    member = await stack.member(ALICE, "Alice")
    await stack.store.set_channel(member.community_id, "announcements", NEWS)
    destination = Destination.channel("announcements")
    item = await queue(stack, destination, calendar_message())
    await stack.engine.tick()
    (share,) = shares(fake, NEWS)
    assert fake.files[0].data == ICS

    edited = Message(title="Room calibration clinic (moved)", body=text("Now on Saturday."))
    await stack.store.enqueue(
        [
            NewOutbox(
                member.community_id, destination, json.dumps(edited.to_dict()), edit_of=item.id
            )
        ],
        stack.clock.now(),
    )
    await stack.engine.tick()

    (update,) = fake.calls("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (NEWS, share["ts"])
    (after,) = shares(fake, NEWS)  # the same message: new words, the file kept
    assert "Now on Saturday." in texts_of(after["blocks"])
    assert [f["name"] for f in after["files"]] == [FILENAME]


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["server_error", "reset", "lost"])
async def test_an_upload_slack_may_have_completed_is_looked_up_not_uploaded_again(
    stack: SlackStack, kind: FaultKind
) -> None:
    fake = stack.fake
    stack.transport.client.timeout = CLIENT_TIMEOUT
    member = await stack.member(ALICE, "Alice")
    item = await queue(stack, Destination.dm(member.id), calendar_message())
    # Slack shares the file, then its answer fails: a 500, a reset, or nothing at all.
    fake.inject_fault("files.completeUploadExternal", kind)

    await stack.engine.tick()

    assert (await row(stack, item)).status.value == "sending"  # unsure: look first
    assert len(fake.upload_posts) == 1
    await stack.advance(timedelta(minutes=5))

    dm = fake.dm_channel_for(ALICE)
    (share,) = shares(fake, dm)
    assert len(fake.calls("files.getUploadURLExternal")) == 1  # found, not uploaded again
    assert len(fake.upload_posts) == 1
    delivered = await row(stack, item)
    assert (delivered.status.value, delivered.message_ref) == ("delivered", share["ts"])


@pytest.mark.asyncio
async def test_an_upload_slack_did_not_complete_is_uploaded_again_once(stack: SlackStack) -> None:
    fake = stack.fake
    member = await stack.member(ALICE, "Alice")
    item = await queue(stack, Destination.dm(member.id), calendar_message())
    fake.inject_fault("files.completeUploadExternal", "server_error", stored=False, status=503)

    await stack.engine.tick()
    await stack.advance(timedelta(minutes=5))

    assert len(fake.calls("conversations.history")) >= 1  # looked, found nothing
    first, second = fake.files
    assert (first.completed, second.completed) == (False, True)
    assert second.data == ICS
    (share,) = shares(fake, fake.dm_channel_for(ALICE))
    assert (await row(stack, item)).message_ref == share["ts"]


@pytest.mark.asyncio
async def test_an_upload_url_that_refuses_the_bytes_is_retried_without_looking_first(
    stack: SlackStack,
) -> None:
    fake = stack.fake
    member = await stack.member(ALICE, "Alice")
    item = await queue(stack, Destination.dm(member.id), calendar_message())
    fake.fail_next("upload", "storage unavailable")

    await stack.engine.tick()

    waiting = await row(stack, item)
    assert waiting.status.value == "pending"  # nothing was shared: no doubt to clear up
    assert "Slack refused a file upload" in (waiting.last_error or "")
    await stack.advance(timedelta(minutes=5))

    assert [f.completed for f in fake.files] == [False, True]
    assert len(fake.calls("conversations.history")) == 1  # only to read the share's ts
    (share,) = shares(fake, fake.dm_channel_for(ALICE))
    assert (await row(stack, item)).message_ref == share["ts"]


@pytest.mark.asyncio
async def test_a_share_whose_history_can_t_be_read_is_delivered_once(stack: SlackStack) -> None:
    fake = stack.fake
    member = await stack.member(ALICE, "Alice")
    item = await queue(stack, Destination.dm(member.id), calendar_message())
    fake.fail_next("conversations.history", "missing_scope")

    await stack.engine.tick()
    await stack.advance(timedelta(hours=2))

    (uploaded,) = fake.files
    assert uploaded.completed
    delivered = await row(stack, item)
    assert delivered.status.value == "delivered"
    assert delivered.message_ref == f"{FILE_RECEIPT}{uploaded.id}"


def test_the_manifest_asks_for_files_write() -> None:
    scopes = manifest(build_registry())["oauth_config"]["scopes"]["bot"]
    assert "files:write" in scopes
