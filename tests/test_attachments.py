"""The message model's attachments: refused when unsafe or too big, kept exactly in the outbox."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Crossfade
from bot.clock import FakeClock
from bot.messages import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    Attachment,
    AttachmentError,
    Button,
    Message,
    text,
)
from tests.attachment_fixtures import FILENAME, ICS, MEDIA_TYPE, calendar_message, file_registry
from tests.harness import Harness

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
# Every byte value, so no encoding step can quietly change one.
EVERY_BYTE = bytes(range(256)) * 4


def test_a_message_with_files_round_trips_through_the_outbox_json() -> None:
    message = Message(
        title="Files",
        body=text("Two of them"),
        buttons=(Button("Open", "x.open:1"),),
        attachments=(
            Attachment(FILENAME, MEDIA_TYPE, ICS),
            Attachment("levels.bin", "application/octet-stream", EVERY_BYTE),
        ),
    )
    saved = json.loads(json.dumps(message.to_dict()))

    assert Message.from_dict(saved) == message
    first, second = saved["attachments"]
    assert first == {
        "filename": FILENAME,
        "media_type": MEDIA_TYPE,
        "data": base64.b64encode(ICS).decode(),
    }
    assert base64.b64decode(second["data"]) == EVERY_BYTE


def test_a_message_without_files_is_saved_as_before() -> None:
    message = Message(title="Plain", body=text("No files"))
    assert "attachments" not in message.to_dict()
    assert Message.from_dict(message.to_dict()).attachments == ()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("../clinic.ics", "path separator"),
        ("calendars/clinic.ics", "path separator"),
        ("..\\clinic.ics", "path separator"),
        ("/etc/passwd", "path separator"),
        ("clinic\x00.ics", "unprintable"),
        ("clinic\n.ics", "unprintable"),
        ("clinic\u202e.ics", "unprintable"),  # a right-to-left override hides the real suffix
        (" clinic.ics", "space"),
        ("clinic.ics ", "space"),
        (".ics", "starts with a dot"),
        ("..", "starts with a dot"),
        ("c" * 97 + ".ics", "101 characters long; at most 100"),
    ],
)
def test_an_unsafe_file_name_is_refused_saying_why(name: str, reason: str) -> None:
    with pytest.raises(AttachmentError, match="attachment name") as refused:
        Attachment(name, MEDIA_TYPE, ICS)
    assert reason in str(refused.value)


def test_names_that_are_plain_file_names_are_kept() -> None:
    for name in ("clinic.ics", "Clinic — Renée (May).ics", "c" * 96 + ".ics", "README"):
        assert Attachment(name, MEDIA_TYPE, ICS).filename == name


@pytest.mark.parametrize("media_type", ["", "calendar", "text/", "text calendar", "text/cal endar"])
def test_a_media_type_must_be_a_type_and_subtype(media_type: str) -> None:
    with pytest.raises(AttachmentError, match="not a media type"):
        Attachment(FILENAME, media_type, ICS)


def test_a_media_type_may_carry_parameters() -> None:
    assert Attachment(FILENAME, "text/calendar; charset=utf-8", ICS).media_type.endswith("utf-8")


def test_a_file_over_the_cap_is_refused_and_one_at_the_cap_is_kept() -> None:
    at_cap = Attachment("big.bin", "application/octet-stream", b"\0" * MAX_ATTACHMENT_BYTES)
    assert len(at_cap.data) == MAX_ATTACHMENT_BYTES
    with pytest.raises(AttachmentError) as refused:
        Attachment("big.bin", "application/octet-stream", b"\0" * (MAX_ATTACHMENT_BYTES + 1))
    assert str(refused.value) == "big.bin is 1.0 MiB; a file may be at most 1.0 MiB."


def test_a_message_carries_at_most_the_cap_in_all_and_ten_files() -> None:
    half = b"\0" * (MAX_ATTACHMENT_BYTES // 2 + 1)
    with pytest.raises(AttachmentError, match=r"at most 1\.0 MiB of files"):
        Message(
            attachments=(
                Attachment("a.bin", "application/octet-stream", half),
                Attachment("b.bin", "application/octet-stream", half),
            )
        )
    many = tuple(Attachment(f"{n}.ics", MEDIA_TYPE, ICS) for n in range(MAX_ATTACHMENTS + 1))
    with pytest.raises(AttachmentError, match="at most 10 files, not 11"):
        Message(attachments=many)
    assert len(Message(attachments=many[:MAX_ATTACHMENTS]).attachments) == MAX_ATTACHMENTS


def test_data_must_be_bytes_and_never_shows_in_a_repr() -> None:
    copied = Attachment(FILENAME, MEDIA_TYPE, bytearray(ICS))
    assert type(copied.data) is bytes
    assert copied.data == ICS
    with pytest.raises(AttachmentError, match="must be bytes"):
        Attachment(FILENAME, MEDIA_TYPE, ICS.decode())  # type: ignore[arg-type]
    assert "BEGIN:VCALENDAR" not in repr(calendar_message())


def test_a_damaged_saved_file_is_refused_when_read_back() -> None:
    saved = calendar_message().to_dict()
    saved["attachments"][0]["data"] = "not base64!"
    with pytest.raises(AttachmentError, match="not base64"):
        Message.from_dict(saved)


@pytest.mark.asyncio
async def test_a_queued_file_waits_in_the_database_and_arrives_byte_for_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crossfade.db"
    clock = FakeClock(MONDAY)
    async with await Harness.open(path, clock) as harness:
        harness.core = Crossfade(harness.store, clock, registry=file_registry())
        reply = await harness.core.run_line(harness.actor("ana"), "/calendar dm:yes")
        assert reply.message is not None
        assert reply.message.attachments[0].data == ICS
    # A restart between the decision and the send: the row on disk holds the file.
    async with await Harness.open(path, clock) as harness:
        (due,) = await harness.store.due_outbox(clock.now(), ["test"])
        assert base64.b64encode(ICS).decode() in due.item.payload
        await harness.engine.tick()
        (sent,) = harness.transport.dms("ana")
    (attachment,) = sent.message.attachments
    assert (attachment.filename, attachment.media_type, attachment.data) == (
        FILENAME,
        MEDIA_TYPE,
        ICS,
    )
