"""Rendering the core's messages as readable terminal text, times in the reader's zone."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import Mention, Message, Text, Timestamp, Tone, tag_line

WIDTH = 78
_TONE_MARK = {Tone.INFO: "", Tone.SUCCESS: "\u2713 ", Tone.WARNING: "! ", Tone.ERROR: "\u2717 "}


def _relative(at: datetime, now: datetime) -> str:
    seconds = int((at - now).total_seconds())
    span = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if span >= size:
            count = span // size
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if seconds > 0 else f"{words} ago"
    return "now"


def render_time(stamp: Timestamp, zone: ZoneInfo, now: datetime) -> str:
    """A moment in the reader's zone, e.g. ``Mon 30 Nov 2026 10:00 EST``."""
    local = stamp.at.astimezone(zone)
    if stamp.style == "date":
        return local.strftime("%a %d %b %Y")
    if stamp.style == "time":
        return local.strftime("%H:%M")
    if stamp.style == "relative":
        return _relative(stamp.at, now)
    return local.strftime("%a %d %b %Y %H:%M %Z")


def render_text(value: Text, zone: ZoneInfo, now: datetime) -> str:
    """Rich text as plain terminal text."""
    out = []
    for part in value:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Timestamp):
            out.append(render_time(part, zone, now))
        elif isinstance(part, Mention):
            out.append(f"@{part.name}")
        else:
            out.append(f"#{part.channel_id}")
    return "".join(out)


def _wrap(value: str, indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in value.split("\n"):
        lines += textwrap.wrap(paragraph, WIDTH - len(indent)) or [""]
    return [indent + line for line in lines]


def render_message(
    message: Message,
    zone: ZoneInfo,
    now: datetime,
    button_ids: list[str] | None = None,
    files: Sequence[str] = (),
) -> list[str]:
    """A message as terminal lines; ``button_ids`` label its buttons for /press, and
    ``files`` says where its attachments were saved (one line each, never wrapped: a path
    must stay whole to be copied)."""
    mark = _TONE_MARK[message.tone]
    if not (message.title or message.fields or message.buttons or message.tags):
        # A one-line reply (errors are these).
        lines = _wrap(mark + render_text(message.body, zone, now), "")
        if message.footer:
            lines += _wrap(render_text(message.footer, zone, now), "  ")
        return lines + [f"  {line}" for line in files]
    lines = [f"\u250c {mark}{message.title}".rstrip()]
    if message.body:
        lines += _wrap(render_text(message.body, zone, now), "\u2502 ")
    for field in message.fields:
        value = render_text(field.value, zone, now)
        if not value:
            continue
        lines += _wrap(f"{field.name}: {value}", "\u2502 ")
    if message.tags:
        lines += _wrap(f"Tags: {tag_line(message.tags)}", "\u2502 ")
    if message.footer:
        lines += _wrap(render_text(message.footer, zone, now), "\u2502 ")
    lines += [f"\u2502 {line}" for line in files]
    if message.buttons:
        ids = button_ids or [str(i + 1) for i in range(len(message.buttons))]
        labels = "   ".join(f"[{i}] {b.label}" for i, b in zip(ids, message.buttons, strict=True))
        lines.append(f"\u2502 {labels}   (type /press <number>)")
    lines.append("\u2514")
    return lines
