"""A message's files on Discord: sent as discord.File (multipart), with replies and outbox posts.

Replies come from a test-only ``/calendar`` command (tests/attachment_fixtures.py); outbox
posts are queued straight into the store, so no feature is involved. The fake parses each
multipart body (payload_json plus files[n]) and keeps the bytes; the nonce and crash-recovery
rules hold for posts with files as for any other.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.messages import Message, text
from bot.models import Destination, NewOutbox, OutboxItem
from tests.attachment_fixtures import FILENAME, ICS, calendar_message, file_registry
from tests.discord_stack import (
    EPHEMERAL,
    DiscordStack,
    assert_nothing_pings,
    message_data,
    running_stack,
    text_of,
)
from tests.fakes.discord_fake import (
    ROUTE_CALLBACK,
    ROUTE_MESSAGE_CREATE,
    ROUTE_MESSAGE_EDIT,
    ROUTE_MESSAGES_GET,
    ROUTE_ORIGINAL_EDIT,
    DiscordFake,
    FaultKind,
    RecordedRequest,
)
from tests.fakes.discord_fixtures import FAKE_CHANNEL_ID, FAKE_USER_ID

POST_TIMEOUT = 0.3  # seconds the transport waits for an answer here ("lost" ones are given up)


@pytest_asyncio.fixture
async def stack(discord_fake: DiscordFake, tmp_path: Path) -> AsyncIterator[DiscordStack]:
    """The Discord stack whose only command is /calendar."""
    async with running_stack(
        discord_fake, tmp_path / "crossfade.db", registry=file_registry()
    ) as running:
        yield running


def the_file(request: RecordedRequest) -> tuple[str, str, bytes]:
    """The one file a multipart request carried: its part, name and bytes."""
    (upload,) = request.files
    return upload.field, upload.filename, upload.data


def stored_files(fake: DiscordFake, channel_id: int) -> list[list[dict[str, Any]]]:
    """Each stored message's attachments in a channel, oldest first."""
    return [m["attachments"] for m in fake.messages(channel_id)]


async def queue(stack: DiscordStack, message: Message, edit_of: int | None = None) -> OutboxItem:
    """Queue a message (or an edit) for the member's DMs, as a feature's decision would."""
    community, member = await stack.member()
    (outbox_id,) = await stack.store.enqueue(
        [
            NewOutbox(
                community.id,
                Destination.dm(member.id),
                json.dumps(message.to_dict()),
                edit_of=edit_of,
            )
        ],
        stack.clock.now(),
    )
    item = await stack.store.get_outbox(outbox_id)
    assert item is not None
    return item


async def row(stack: DiscordStack, item: OutboxItem) -> OutboxItem:
    again = await stack.store.get_outbox(item.id)
    assert again is not None
    return again


@pytest.mark.asyncio
async def test_a_private_reply_carries_its_file(stack: DiscordStack) -> None:
    callback = await stack.command("calendar")

    assert callback.route == ROUTE_CALLBACK
    assert the_file(callback) == ("files[0]", FILENAME, ICS)
    data = message_data(callback)
    assert int(data["flags"]) & EPHEMERAL
    assert data["attachments"] == [{"id": 0, "filename": FILENAME}]
    assert "Room calibration clinic" in text_of(data)
    (reply,) = stored_files(stack.fake, FAKE_CHANNEL_ID)
    assert [(a["filename"], a["size"]) for a in reply] == [(FILENAME, len(ICS))]
    assert assert_nothing_pings(stack.fake) >= 1


@pytest.mark.asyncio
async def test_a_public_reply_carries_its_file_for_the_channel(stack: DiscordStack) -> None:
    callback = await stack.command("calendar", {"public": True})

    assert the_file(callback) == ("files[0]", FILENAME, ICS)
    assert not int(message_data(callback).get("flags") or 0) & EPHEMERAL


@pytest.mark.asyncio
async def test_a_slow_reply_brings_its_file_when_it_follows_the_deferral(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    async with running_stack(
        discord_fake, tmp_path / "crossfade.db", registry=file_registry(), defer_after=0.0
    ) as stack:
        await stack.command("calendar")
        (edit,) = await discord_fake.wait_for(ROUTE_ORIGINAL_EDIT)

    assert the_file(edit) == ("files[0]", FILENAME, ICS)
    assert (edit.json or {})["attachments"] == [{"id": 0, "filename": FILENAME}]


@pytest.mark.asyncio
async def test_an_outbox_post_carries_its_file_and_an_edit_keeps_it(stack: DiscordStack) -> None:
    fake = stack.fake
    item = await queue(stack, calendar_message())

    await stack.engine.tick()

    (post,) = fake.find(ROUTE_MESSAGE_CREATE)
    assert the_file(post) == ("files[0]", FILENAME, ICS)
    assert (post.json or {})["nonce"] == f"cf-{item.id}"
    dm = fake.dm_channel_id(FAKE_USER_ID)
    assert [[a["filename"] for a in files] for files in stored_files(fake, dm)] == [[FILENAME]]
    delivered = await row(stack, item)
    assert delivered.message_ref == str(fake.messages(dm)[0]["id"])

    await queue(stack, Message(title="Moved", body=text("Now on Saturday.")), edit_of=item.id)
    await stack.engine.tick()

    (edit,) = fake.find(ROUTE_MESSAGE_EDIT)
    assert edit.files == ()
    assert "attachments" not in (edit.json or {})
    (after,) = fake.messages(dm)
    assert "Now on Saturday." in text_of(after)
    assert [a["filename"] for a in after["attachments"]] == [FILENAME]


@pytest.mark.asyncio
async def test_discord_py_s_own_retry_sends_the_file_again_whole(stack: DiscordStack) -> None:
    fake = stack.fake
    item = await queue(stack, calendar_message())
    # discord.py repeats a 500 at once, same nonce: the file must go again from its start.
    fake.inject_fault(ROUTE_MESSAGE_CREATE, "server_error", status=500)

    await stack.engine.tick()

    tries = fake.find(ROUTE_MESSAGE_CREATE)
    assert [r.status for r in tries] == [500, 200]
    assert [the_file(r) for r in tries] == [("files[0]", FILENAME, ICS)] * 2
    assert fake.nonce_hits == 1
    assert len(fake.messages(fake.dm_channel_id(FAKE_USER_ID))) == 1
    assert (await row(stack, item)).status.value == "delivered"


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["server_error", "reset", "lost"])
async def test_a_post_with_a_file_discord_may_have_stored_is_looked_up_not_sent_again(
    stack: DiscordStack, kind: FaultKind
) -> None:
    fake = stack.fake
    fake.nonce_window = 0.0
    stack.adapter.discord_transport.post_timeout = POST_TIMEOUT
    item = await queue(stack, calendar_message())
    fake.inject_fault(ROUTE_MESSAGE_CREATE, kind)

    await stack.engine.tick()

    assert (await row(stack, item)).status.value == "sending"
    await stack.advance(timedelta(minutes=5))

    assert len(fake.find(ROUTE_MESSAGES_GET)) == 1
    assert len(fake.find(ROUTE_MESSAGE_CREATE)) == 1  # found, not sent again
    dm = fake.dm_channel_id(FAKE_USER_ID)
    (posted,) = fake.messages(dm)
    assert [a["filename"] for a in posted["attachments"]] == [FILENAME]
    delivered = await row(stack, item)
    assert (delivered.status.value, delivered.message_ref) == ("delivered", posted["id"])
