"""The core's messages as Discord embeds and buttons: within Discord's limits, pinging nobody.

Limits, from Discord's developer docs (Message resource, "Embed Limits" and "Create Message";
Component Reference, "Button" and "Action Row"): title 256, description 4,096, 25 fields per
embed, field name 256, field value 1,024, footer 2,048, 6,000 characters across every embed of a
message, 10 embeds per message, 2,000 characters of content, button label 80, 5 buttons a row,
5 rows. Text that doesn't fit is cut visibly with "…", never rejected.

Members named by the core show as ``<@id>`` and channels as ``<#id>``: inside embeds neither
notifies anyone; only members the core means to ping are added to the content, and allowed.

A message's attachments go with it as files (a multipart request: payload_json plus files[n]).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from adapters.discord.custom_ids import button_id

# The text helpers, re-exported: the transport, forums and events import them from here.
from adapters.discord.embed_text import (
    ELLIPSIS,
    SNOWFLAKE,
    Piece,
    clip,
    key_marker,
    pieces,
    plain_text,
    read_marker,
    safe,
    size,
    take,
    timestamp,
)
from bot.messages import (
    Attachment,
    Button,
    ButtonStyle,
    Field,
    Mention,
    Message,
    Text,
    Tone,
    tag_line,
)

__all__ = [
    "ELLIPSIS",
    "ButtonSpec",
    "Rendered",
    "clip",
    "key_marker",
    "plain_text",
    "read_marker",
    "render",
    "render_buttons",
    "safe",
    "size",
    "timestamp",
]

log = logging.getLogger(__name__)

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
TOTAL = 6000
EMBEDS = 10
CONTENT = 2000
BUTTON_LABEL = 80
BUTTONS = 25

# A field must have a name; continuation fields get an invisible one.
BLANK = "\u200b"

COLOURS = {
    Tone.INFO: 0x5865F2,
    Tone.SUCCESS: 0x57F287,
    Tone.WARNING: 0xFEE75C,
    Tone.ERROR: 0xED4245,
}
STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}


@dataclass(frozen=True)
class ButtonSpec:
    """A button as Discord shows it."""

    label: str
    custom_id: str
    style: discord.ButtonStyle


@dataclass
class Rendered:
    """A message ready for Discord: embeds, buttons, content for pings, and allowed mentions."""

    embeds: list[discord.Embed]
    buttons: list[ButtonSpec] = field(default_factory=list)
    content: str | None = None
    pinged: list[int] = field(default_factory=list)
    attachments: tuple[Attachment, ...] = ()

    def files(self) -> list[discord.File]:
        """The attachments as discord.py files; new ones each time, since a File is sent once."""
        return [discord.File(io.BytesIO(a.data), filename=a.filename) for a in self.attachments]

    def view(self) -> discord.ui.View | None:
        """The buttons as a view; stopped, since clicks are routed by custom_id, not by it."""
        if not self.buttons:
            return None
        view = discord.ui.View(timeout=None)
        for spec in self.buttons:
            view.add_item(
                discord.ui.Button(label=spec.label, custom_id=spec.custom_id, style=spec.style)
            )
        view.stop()
        return view

    @property
    def allowed_mentions(self) -> discord.AllowedMentions:
        """Nobody is pinged, except members the core names on purpose."""
        return discord.AllowedMentions(
            everyone=False,
            roles=False,
            replied_user=False,
            users=[discord.Object(id=u) for u in self.pinged] if self.pinged else False,
        )


def render_buttons(buttons: Sequence[Button], community: str) -> list[ButtonSpec]:
    """The core's buttons with custom_ids carrying their action."""
    specs: list[ButtonSpec] = []
    for button in buttons[:BUTTONS]:
        custom_id = button_id(community, button.action)
        if custom_id is None:
            log.warning("button %r dropped: its action is too long for a custom_id", button.label)
            continue
        label = clip(plain_text(button.label), BUTTON_LABEL) or "\u2026"
        specs.append(ButtonSpec(label, custom_id, STYLES[button.style]))
    return specs


def _pings(message: Message) -> list[int]:
    texts = [message.body, message.footer, *(f.value for f in message.fields)]
    found: list[int] = []
    for value in texts:
        for part in value:
            if isinstance(part, Mention) and part.ping and SNOWFLAKE.fullmatch(part.user_id):
                found.append(int(part.user_id))
    return list(dict.fromkeys(found))


def _ping_content(users: list[int]) -> tuple[str | None, list[int]]:
    content = ""
    kept: list[int] = []
    for user in users:
        mention = f"<@{user}>"
        if size(content) + size(mention) + 1 > CONTENT:
            break
        content = f"{content} {mention}".strip()
        kept.append(user)
    return (content or None), kept


@dataclass
class _Block:
    """A text to lay out: the description (no name) or a field, with its full-size chunks."""

    name: str | None
    inline: bool
    chunks: list[str]
    # The pieces each chunk starts from, to cut a chunk shorter when the budget runs out.
    starts: list[list[Piece]]


def _block(name: str | None, value: Text, inline: bool) -> _Block:
    chunks: list[str] = []
    starts: list[list[Piece]] = []
    rest = pieces(value)
    limit = DESCRIPTION - 1 if name is None else FIELD_VALUE - 1  # room for a final "…"
    while rest:
        chunk, after = take(rest, limit)
        if not chunk:
            after = after[1:]  # a mention longer than a whole field can't happen; skip it
        elif chunk.strip():
            chunks.append(chunk)
            starts.append(rest)
        rest, limit = after, FIELD_VALUE - 1
    return _Block(name, inline, chunks, starts)


def _cost(label: str | None, value: str) -> int:
    return (size(label) if label is not None else 0) + size(value) + size(ELLIPSIS)


def _allocate(blocks: list[_Block], budget: int) -> tuple[list[list[str]], set[int]]:
    """Which chunks fit in ``budget``: every block's first chunk gets a fair share, then
    longer blocks continue in order. Returns the kept values per block and the cut blocks."""
    kept: list[list[str]] = [[] for _ in blocks]
    cut: set[int] = set()
    order = sorted(
        (i for i, b in enumerate(blocks) if b.chunks),
        key=lambda i: _cost(blocks[i].name, blocks[i].chunks[0]),
    )
    for rank, i in enumerate(order):
        block = blocks[i]
        share = budget // (len(order) - rank)
        value = block.chunks[0]
        if _cost(block.name, value) > share:
            room = share - _cost(block.name, "")
            value = take(block.starts[0], room)[0] if room > 0 else ""
            cut.add(i)
        if value.strip():
            kept[i].append(value)
            budget -= _cost(block.name, value)
    for i, block in enumerate(blocks):
        for start, chunk in list(zip(block.starts, block.chunks, strict=True))[1:]:
            if i in cut:
                break
            value = chunk
            if _cost(BLANK, value) > budget:
                room = budget - _cost(BLANK, "")
                value = take(start, room)[0] if room > 0 else ""
                cut.add(i)
            if value.strip():
                kept[i].append(value)
                budget -= _cost(BLANK, value)
    return kept, cut


def render(message: Message, community: str, *, key: str | None = None) -> Rendered:
    """A message as embeds within every limit; ``key`` is hidden in the footer of a post.

    Long texts continue in further fields; when the message's 6,000 characters run out, every
    field still shows its start and what's cut ends in "…".
    """
    title = clip(plain_text(message.title), TITLE)
    marker = key_marker(key) if key else ""
    footer = clip(plain_text(message.footer), FOOTER - size(marker)) + marker
    blocks = [_block(None, message.body, False)]
    # Tags show as text too: a forum applies only five, and elsewhere there are no tags.
    tags = (Field("Tags", (tag_line(message.tags),), inline=False),) if message.tags else ()
    for item in (*message.fields, *tags)[: FIELDS * EMBEDS]:
        name = clip(plain_text(item.name), FIELD_NAME) or BLANK
        blocks.append(_block(name, item.value, item.inline))
    kept, cut = _allocate(blocks, TOTAL - size(title) - size(footer))
    description = ""
    fields: list[tuple[str, str, bool]] = []
    for i, (block, values) in enumerate(zip(blocks, kept, strict=True)):
        if block.chunks and not values:
            values = [""]  # no room left at all: the field still shows, as "…"
        if i in cut:
            values[-1] += ELLIPSIS
        for n, value in enumerate(values):
            if block.name is None and n == 0:
                description = value
                continue
            name = block.name if n == 0 and block.name is not None else BLANK
            fields.append((name, value, block.inline and len(values) == 1 and i not in cut))
    if len(fields) > FIELDS * EMBEDS:
        fields = fields[: FIELDS * EMBEDS]
        name, value, _ = fields[-1]
        fields[-1] = (name, value + ELLIPSIS, False)
    if not (title or description or fields):
        description = BLANK
    colour = COLOURS[message.tone]
    embeds = [discord.Embed(title=title or None, description=description or None, colour=colour)]
    for name, value, inline in fields:
        if len(embeds[-1].fields) >= FIELDS:
            embeds.append(discord.Embed(colour=colour))
        embeds[-1].add_field(name=name, value=value, inline=inline)
    if footer:
        embeds[-1].set_footer(text=footer)
    content, pinged = _ping_content(_pings(message))
    buttons = render_buttons(message.buttons, community)
    return Rendered(embeds, buttons, content, pinged, message.attachments)
