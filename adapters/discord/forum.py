"""Posts in Discord forum channels: each message its own thread, with the forum's tags applied.

A forum (channel type 15, or 16 for media) takes no plain messages. "Start Thread in Forum or
Media Channel" (POST /channels/{forum}/threads) creates a thread named from the message's title,
with the message as its starter message (whose id is the thread's) and ``applied_tags``: at
most 5 ids of the forum's own tags (a forum has at most 20, each at most 20 characters). The
message's tags are matched to the forum's case- and spacing-insensitively, longer ones
shortened first. A missing tag is added to the forum (PATCH available_tags, keeping the
others; Discord asks for Manage Channels); if Discord refuses or the forum is full, the post
goes out with the tags that exist and says which ones an admin should add.

Creating a thread is not idempotent (no nonce), and discord.py repeats a request that got a
500, 502, 504 or 524, or a reset, by itself: the create runs where ``retry_guard`` refuses any
repeat, which, like a 5xx or an answer lost past ``post_timeout``, becomes an ambiguous
DeliveryError. The outbox then looks for the post (:meth:`DiscordForums.find`: the bot's
threads in the forum among the guild's active ones, each starter message checked for the key
hidden in its footer) before creating it again.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord
from discord.http import handle_message_parameters
from discord.utils import MISSING

from adapters.discord.embeds import Rendered, clip, plain_text, read_marker, render
from adapters.discord.transport import RECOVERY_WINDOW, _post_tries, _Tries
from bot.delivery import DeliveryError, Receipt
from bot.messages import Field, Message, plain, text

if TYPE_CHECKING:
    from adapters.discord.transport import DiscordTransport

log = logging.getLogger(__name__)

FORUM_TYPES = (15, 16)  # GUILD_FORUM, GUILD_MEDIA
TAG_NAME = 20
FORUM_TAGS = 20
APPLIED_TAGS = 5
THREAD_NAME = 100
# How long a refusal to add tags is remembered: each post then spares a request that would
# fail again, and an admin who grants Manage Channels sees it used within the hour.
REFUSAL_MEMORY = 3600.0
_TAG_FIELDS = ("id", "name", "moderated", "emoji_id", "emoji_name")
REQUIRE_TAG = 1 << 4  # channel flag: every post in the forum needs a tag

EditMessage = Callable[[int, int, Rendered], Awaitable[None]]


@dataclass
class Forum:
    """A forum channel as last read: its guild and its available tags (Discord's objects)."""

    id: int
    guild_id: int
    tags: list[dict[str, Any]]
    requires_tag: bool = False


def tag_key(name: str) -> str:
    """A tag name as compared: case and spacing don't count."""
    return " ".join(name.casefold().split())


def shorten_tag(name: str) -> str:
    """A tag within Discord's 20 characters, cut after a whole word where that keeps most."""
    name = " ".join(name.split())
    if len(name) <= TAG_NAME:
        return name
    head = name[:TAG_NAME]
    cut = max(head.rfind(" "), head.rfind("-"), head.rfind("/"))
    if name[TAG_NAME] in " -/":
        cut = TAG_NAME  # the cut falls between two words
    if cut >= TAG_NAME // 2:
        return head[:cut].rstrip(" -/")
    return head[: TAG_NAME - 1].rstrip() + "\u2026"


def wanted_tags(tags: Sequence[str]) -> list[str]:
    """The tags a post asks for, shortened, each once, at most five (the first ones)."""
    unique: dict[str, str] = {}
    for tag in tags:
        short = shorten_tag(tag)
        unique.setdefault(tag_key(short), short)
    return list(unique.values())[:APPLIED_TAGS]


def thread_name(message: Message) -> str:
    """A post's name: its title, else its body's first line (at most 100 characters)."""
    lines = [line.strip() for line in plain(message.body).splitlines() if line.strip()]
    name = " ".join(message.title.split()) or (lines[0] if lines else "") or "Post"
    return clip(plain_text(name), THREAD_NAME)


def with_missing_tags(message: Message, missing: Sequence[str], *, full: bool) -> Message:
    """The message with a line naming the forum tags an admin should add (``full``: the
    forum already has Discord's 20)."""
    if not missing:
        return message
    how = (
        "\n(this forum has Discord's 20 tags: an admin can make room in its settings)"
        if full
        else "\n(an admin can add them in this forum's settings, or give Crossfade Manage "
        "Channels here to add them itself)"
    )
    note = Field("Forum tags to add", text(", ".join(missing), how), inline=False)
    return replace(message, fields=(*message.fields, note))


class DiscordForums:
    """Forum posts for the transport: the forums it has seen, their tags, and their threads."""

    def __init__(self, transport: DiscordTransport, edit_message: EditMessage) -> None:
        self.transport = transport
        self.client = transport.client
        self._edit_message = edit_message
        # Channel id -> its forum, or None for a channel that isn't one (read once).
        self._forums: dict[int, Forum | None] = {}
        # Forum id -> until when a refusal to add tags stands (loop time).
        self._refused: dict[int, float] = {}
        # Creates still waiting for Discord's answer after their timeout (kept from the GC).
        self._late: set[asyncio.Task[Any]] = set()

    async def forum(self, channel_id: int) -> Forum | None:
        """The forum a channel is, or None for any other channel."""
        if channel_id in self._forums:
            return self._forums[channel_id]
        cached = self.client.get_channel(channel_id)
        if cached is not None and not isinstance(cached, discord.ForumChannel):
            self._forums[channel_id] = None  # the gateway's copy says enough
            return None
        return await self._read(channel_id)

    async def _read(self, channel_id: int) -> Forum | None:
        await self.transport.pacer.wait()
        data: Any = await self.client.http.get_channel(channel_id)
        if int(data.get("type", 0)) not in FORUM_TYPES:
            self._forums[channel_id] = None
            return None
        tags = list(data.get("available_tags") or [])
        required = bool(int(data.get("flags") or 0) & REQUIRE_TAG)
        known = self._forums.get(channel_id)
        if known is not None:
            # Refreshed in place: callers hold this one.
            known.tags, known.requires_tag = tags, required
            return known
        found = Forum(channel_id, int(data["guild_id"]), tags, required)
        self._forums[channel_id] = found
        return found

    @staticmethod
    def _match(forum: Forum, wanted: Sequence[str]) -> tuple[list[str], list[str]]:
        """The forum's tag ids for ``wanted``, in order, and the names it lacks."""
        ids = {tag_key(str(t["name"])): str(t["id"]) for t in forum.tags}
        return (
            [ids[tag_key(w)] for w in wanted if tag_key(w) in ids],
            [w for w in wanted if tag_key(w) not in ids],
        )

    async def applied_tags(self, forum: Forum, tags: Sequence[str]) -> tuple[list[str], list[str]]:
        """Tag ids to apply (at most five) and the tags an admin should add to the forum."""
        wanted = wanted_tags(tags)
        applied, missing = self._match(forum, wanted)
        if not missing:
            return applied, []
        await self._read(forum.id)  # an admin may have added some by hand
        applied, missing = self._match(forum, wanted)
        loop = asyncio.get_running_loop()
        if missing and self._refused.get(forum.id, 0.0) <= loop.time():
            await self._add_tags(forum, missing)
            applied, missing = self._match(forum, wanted)
        return applied, missing

    async def _add_tags(self, forum: Forum, missing: Sequence[str]) -> None:
        """Add tags to the forum, keeping its own, never past Discord's 20."""
        adding = list(missing[: max(FORUM_TAGS - len(forum.tags), 0)])
        if not adding:
            log.warning("forum %s has %d tags, Discord's most: none added", forum.id, FORUM_TAGS)
            return
        kept = [{k: t.get(k) for k in _TAG_FIELDS} for t in forum.tags]
        new = [dict(name=n, moderated=False, emoji_id=None, emoji_name=None) for n in adding]
        try:
            await self.transport.pacer.wait()
            data: Any = await self.client.http.edit_channel(
                forum.id, available_tags=[*kept, *new], reason="Tags for Crossfade's posts"
            )
        except discord.HTTPException as exc:
            if exc.status not in (400, 403):
                raise
            # 403: no Manage Channels (50013) or no access; 400: Discord refused these tags.
            self._refused[forum.id] = asyncio.get_running_loop().time() + REFUSAL_MEMORY
            log.warning(
                "forum %s: Discord won't add tags (%s, code %s); the post names them",
                forum.id,
                exc.status,
                exc.code,
            )
            return
        forum.tags = list(data.get("available_tags") or [])

    async def post(self, forum: Forum, message: Message, community: str, key: str) -> Receipt:
        """Start a thread in the forum with the message; ``key`` hidden in its footer.

        A tag an admin deleted since the forum was read makes Discord refuse the post (400,
        nothing created): the tags are read again and the post tried once more.
        """
        try:
            return await self._start(forum, message, community, key)
        except discord.HTTPException as exc:
            if exc.status != 400 or "applied_tags" not in exc.text:
                raise
            log.info("forum %s refused a post's tags (%s); reading its tags again", forum.id, exc)
        await self._read(forum.id)
        return await self._start(forum, message, community, key)

    async def _start(self, forum: Forum, message: Message, community: str, key: str) -> Receipt:
        applied, missing = await self.applied_tags(forum, message.tags)
        if forum.requires_tag and not applied:
            # Discord would refuse it: the post waits, without using up its tries.
            await self._read(forum.id)
            if forum.requires_tag:
                raise DeliveryError(
                    f"forum {forum.id} requires a tag on every post and none of this one's "
                    f"exists there ({', '.join(wanted_tags(message.tags)) or 'it has none'}): "
                    "an admin adds one, or turns off Require Tags, then runs /admin channel",
                    needs_admin=True,
                )
        full = len(forum.tags) >= FORUM_TAGS
        rendered = render(with_missing_tags(message, missing, full=full), community, key=key)
        view = rendered.view()
        params = handle_message_parameters(
            content=rendered.content,
            embeds=rendered.embeds,
            view=view if view is not None else MISSING,
            files=rendered.files() if rendered.attachments else MISSING,
            allowed_mentions=rendered.allowed_mentions,
            channel_payload={"name": thread_name(message), "applied_tags": applied},
        )
        await self.transport.pacer.wait()
        # Its own context, where retry_guard refuses any repeat of the create (see above).
        context = contextvars.copy_context()
        context.run(_post_tries.set, _Tries(0.0))
        creating = asyncio.create_task(self._create(forum.id, params), context=context)
        timeout = self.transport.post_timeout
        done, _ = await asyncio.wait({creating}, timeout=timeout)
        if creating not in done:
            self._late.add(creating)
            creating.add_done_callback(self._answered_late)
            raise TimeoutError(f"no answer within {timeout:g} s")
        data = creating.result()
        thread = str(data["id"])
        return Receipt(thread, str((data.get("message") or {}).get("id", thread)))

    async def _create(self, forum_id: int, params: Any) -> Any:
        with params:  # closes the files once discord.py is done with them
            return await self.client.http.start_thread_in_forum(forum_id, params=params)

    def _answered_late(self, creating: asyncio.Task[Any]) -> None:
        self._late.discard(creating)
        if not creating.cancelled() and creating.exception() is None:
            log.info("Discord answered a forum post late; the outbox looks it up first")

    async def edit(self, thread_id: int, message: Message, community: str) -> None:
        """Edit a forum post in place: its starter message, then its tags and name if changed.

        The words go first, so a rename Discord makes wait (it allows few) doesn't hold them
        up; an edit tried again does the same again. An archived post (Discord archives idle
        ones) is reopened for the edit and archived again.
        """
        await self.transport.pacer.wait()
        thread: Any = await self.client.http.get_channel(thread_id)
        forum = await self.forum(int(thread["parent_id"])) if thread.get("parent_id") else None
        changes: dict[str, Any] = {}
        missing: list[str] = []
        if forum is not None:
            applied, missing = await self.applied_tags(forum, message.tags)
            if applied != [str(t) for t in thread.get("applied_tags") or []]:
                changes["applied_tags"] = applied
        name = thread_name(message)
        if name != thread.get("name"):
            changes["name"] = name
        if (thread.get("thread_metadata") or {}).get("archived"):
            await self.transport.pacer.wait()
            await self.client.http.edit_channel(thread_id, archived=False)
            changes["archived"] = True
        full = forum is not None and len(forum.tags) >= FORUM_TAGS
        rendered = render(with_missing_tags(message, missing, full=full), community)
        await self._edit_message(thread_id, thread_id, rendered)
        if changes:
            await self.transport.pacer.wait()
            await self.client.http.edit_channel(thread_id, **changes)

    async def find(self, forum: Forum, key: str) -> Receipt | None:
        """The post carrying ``key`` among the bot's active threads in the forum, if any."""
        await self.transport.pacer.wait()
        listed: Any = await self.client.http.get_active_threads(forum.guild_id)
        me = self.client.user.id if self.client.user else None
        mine = [
            t
            for t in listed.get("threads") or []
            if str(t.get("parent_id")) == str(forum.id)
            and (me is None or int(t.get("owner_id") or 0) == me)
        ]
        # The newest first: a post the outbox is unsure of was made moments ago.
        mine.sort(key=lambda t: int(t["id"]), reverse=True)
        for thread in mine[:RECOVERY_WINDOW]:
            thread_id = int(thread["id"])
            try:
                await self.transport.pacer.wait()
                data: Any = await self.client.http.get_message(thread_id, thread_id)
            except discord.NotFound:
                continue  # its starter message was deleted
            embeds = data.get("embeds") or []
            footer = str(embeds[-1].get("footer", {}).get("text", "")) if embeds else ""
            if read_marker(footer) == key:
                return Receipt(str(thread_id), str(data["id"]))
        return None
