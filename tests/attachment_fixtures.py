"""A message with a calendar file, and a test-only command that sends one, for adapter tests.

The command lives on a registry of its own (``file_registry``), so the adapters' attachment
tests don't depend on any feature: ``/calendar`` answers with the file, ``public:yes`` for the
whole channel, and ``dm:yes`` also queues the same message to the caller's DMs (the outbox).
"""

from __future__ import annotations

from bot.commands.args import Args
from bot.commands.registry import Command, Option, OptionType, Registry
from bot.context import Context
from bot.messages import Attachment, Message, Response, text
from bot.models import Destination
from bot.storage.base import Store

# An .ics file as a calendar app would read it: CRLF line ends, one event. Bytes that a text
# round trip would spoil (the CRLFs, a non-ASCII name) show the file arrives exactly.
ICS = (
    b"BEGIN:VCALENDAR\r\n"
    b"VERSION:2.0\r\n"
    b"PRODID:-//Crossfade tests//EN\r\n"
    b"BEGIN:VEVENT\r\n"
    b"UID:clinic-1@crossfade.test\r\n"
    b"DTSTAMP:20261130T080000Z\r\n"
    b"DTSTART:20261204T190000Z\r\n"
    b"DURATION:PT1H30M\r\n"
    b"SUMMARY:Room calibration clinic with Ren\xc3\xa9e\r\n"
    b"END:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)
FILENAME = "clinic.ics"
MEDIA_TYPE = "text/calendar"


def calendar_message(filename: str = FILENAME) -> Message:
    """A card with one calendar file."""
    return Message(
        title="Room calibration clinic",
        body=text("Add it to your calendar: the file is attached."),
        attachments=(Attachment(filename, MEDIA_TYPE, ICS),),
    )


async def _calendar(ctx: Context[Store], args: Args) -> Response:
    message = calendar_message()
    if args.boolean("dm"):
        queued = ctx.outbox(Destination.dm(ctx.member.id), message, feature="calendar")
        await ctx.store.enqueue([queued], ctx.now)
    return Response(message, public=bool(args.boolean("public")))


def file_registry() -> Registry:
    """A registry with only ``/calendar``."""
    registry = Registry()
    registry.add(
        Command(
            ("calendar",),
            "A calendar file (tests only)",
            _calendar,
            options=(
                Option("public", "Show it to the channel", OptionType.BOOLEAN),
                Option("dm", "Also send it to my DMs", OptionType.BOOLEAN),
            ),
        )
    )
    return registry
