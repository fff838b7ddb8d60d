"""The core's Message as Block Kit: header, sections, fields, context and buttons, within limits.

Limits from Slack's Block Kit reference (docs.slack.dev/reference/block-kit/blocks and the
pages for each block and element). Long content is split over several blocks, and only when
even that would pass the block budget is it shortened, with a note saying so.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.slack.mrkdwn import ELLIPSIS, escape, fit, render, split
from bot.messages import Button, ButtonStyle, Message, Tone, tag_line

log = logging.getLogger(__name__)

MESSAGE_BLOCKS = 50  # "up to 50 blocks in each message"
VIEW_BLOCKS = 100  # "and 100 blocks in modals or Home tabs"
HEADER_TEXT = 150  # header block: plain_text, max 150 characters
SECTION_TEXT = 3000  # section block: text max 3000 characters
SECTION_FIELDS = 10  # section block: at most 10 fields ...
FIELD_TEXT = 2000  # ... of at most 2000 characters each
CONTEXT_TEXT = 3000  # context text elements are text objects (3000 like a section)
ACTIONS_ELEMENTS = 25  # actions block: at most 25 elements
BUTTON_TEXT = 75  # button: text max 75 characters
BUTTON_VALUE = 2000  # button: value max 2000 characters
# The message's top-level text (notifications, old clients); Slack truncates very long
# text, so keep it to a notification-sized summary.
FALLBACK_TEXT = 3000

# Buttons carry the core's action in their value; the action_id only has to be unique.
ACTION_PREFIX = "crossfade:"

_TONE_EMOJI = {Tone.INFO: "", Tone.SUCCESS: "✅ ", Tone.WARNING: "⚠️ ", Tone.ERROR: "❌ "}
_BUTTON_STYLE = {ButtonStyle.PRIMARY: "primary", ButtonStyle.DANGER: "danger"}


def mrkdwn_text(value: str) -> dict[str, Any]:
    """A mrkdwn text object; verbatim so Slack doesn't auto-link @here, #channels or names."""
    return {"type": "mrkdwn", "text": value, "verbatim": True}


def plain_text(value: str) -> dict[str, Any]:
    """A plain_text object (emoji shortcodes allowed)."""
    return {"type": "plain_text", "text": value, "emoji": True}


def _section(value: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn_text(value)}


def _context(value: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn_text(fit(value, CONTEXT_TEXT))]}


def button(index: int, item: Button) -> dict[str, Any] | None:
    """A button whose value is the core's action id."""
    if len(item.action) > BUTTON_VALUE:
        log.error("button %r dropped: its action is longer than Slack allows", item.label)
        return None
    element: dict[str, Any] = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{index}",
        "text": plain_text(fit(item.label, BUTTON_TEXT, markup=False)),
        "value": item.action,
    }
    if item.style in _BUTTON_STYLE:
        element["style"] = _BUTTON_STYLE[item.style]
    return element


def _field_blocks(message: Message) -> list[dict[str, Any]]:
    """Fields: short inline ones side by side (10 a section), long ones in sections of their own."""
    blocks: list[dict[str, Any]] = []
    row: list[dict[str, Any]] = []

    def flush() -> None:
        if row:
            blocks.append({"type": "section", "fields": list(row)})
            row.clear()

    for field in message.fields:
        value = render(field.value)
        if not value.strip():
            continue
        name = fit(escape(field.name), 200) if field.name.strip() else ""
        head = f"*{name}*\n" if name else ""
        entry = head + value
        if field.inline and len(entry) <= FIELD_TEXT:
            row.append(mrkdwn_text(entry))
            if len(row) == SECTION_FIELDS:
                flush()
            continue
        flush()
        room = SECTION_TEXT - len(head) - len(" (continued)")
        for i, chunk in enumerate(split(value, room)):
            label = f"*{name}* (continued)\n" if i and name else head
            blocks.append(_section(label + chunk))
    flush()
    return blocks


def message_blocks(message: Message, *, max_blocks: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """Block Kit blocks for a message, always within Slack's limits."""
    emoji = _TONE_EMOJI[message.tone]
    head: list[dict[str, Any]] = []
    if message.title:
        head.append(
            {
                "type": "header",
                "text": plain_text(fit(emoji + message.title, HEADER_TEXT, markup=False)),
            }
        )
    body = render(message.body)
    if body and not message.title:
        body = emoji + body
    content = [_section(chunk) for chunk in split(body, SECTION_TEXT)] if body.strip() else []
    content += _field_blocks(message)
    tail: list[dict[str, Any]] = []
    if message.tags:
        # Tags are user text: escaped like any other, so none can form a mention.
        tail.append(_context(f"Tags: {escape(tag_line(message.tags))}"))
    footer = render(message.footer)
    if footer.strip():
        tail.append(_context(footer))
    buttons = [b for i, item in enumerate(message.buttons) if (b := button(i, item)) is not None]
    if buttons:
        tail.append({"type": "actions", "elements": buttons[:ACTIONS_ELEMENTS]})
    room = max_blocks - len(head) - len(tail)
    if len(content) > room:
        kept = content[: room - 1]
        hidden = len(content) - len(kept)
        note = f"{ELLIPSIS} Shortened to fit Slack: {hidden} more part(s) not shown."
        content = [*kept, _context(note)]
    blocks = head + content + tail
    return blocks or [_section(emoji + ELLIPSIS)]


def fallback_text(message: Message) -> str:
    """The message's plain summary for notifications and clients that can't show blocks."""
    parts = [escape(message.title), render(message.body)]
    summary = "\n".join(p for p in parts if p.strip())
    return fit(summary, FALLBACK_TEXT) or "Crossfade"


def home_view(message: Message) -> dict[str, Any]:
    """An App Home tab showing a message."""
    return {"type": "home", "blocks": message_blocks(message, max_blocks=VIEW_BLOCKS)}
