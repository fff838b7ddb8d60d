"""The core's native events as Discord Guild Scheduled Events (REST).

Each session is one event: external (a link or a place, with its end time) or in a voice or
stage channel. discord.py 2.7 can't send ``recurrence_rule``, and Discord's own recurring
events keep the UTC time across daylight-saving changes, so the core mirrors each session on
its own. Every request waits its turn in the transport's :class:`RequestPacer`.

Creating an event is not idempotent (no nonce), and discord.py repeats a request that got a
500, 502, 504 or 524, or a reset connection, by itself: a create runs where ``retry_guard``
refuses any such repeat, and, like a 5xx, an answer lost past ``post_timeout`` or a reset, it
becomes an ambiguous DeliveryError. The core then looks the event up before creating it again
(:meth:`DiscordEvents.find_event`): every event carries its key, hidden at the end of its
description as posts carry theirs in the footer (embeds.key_marker).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import discord

from adapters.discord.embeds import clip, key_marker, read_marker, safe, size
from adapters.discord.transport import (
    _FAILURES,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    POST_TIMEOUT,
    RequestPacer,
    _post_tries,
    _Tries,
    delivery_error,
)
from bot.delivery import DeliveryError, Target
from bot.native_events import EventGone, NativeEvent

log = logging.getLogger(__name__)

# Guild Scheduled Event fields (Discord API, "Guild Scheduled Event Object").
STAGE, VOICE, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, CANCELED = 1, 2, 4
GUILD_ONLY = 2
NAME = 100
DESCRIPTION = 1000
LOCATION = 100
UNKNOWN_EVENT = 10070
# Interested users come 100 a page, in ascending user id order.
USERS_PAGE = 100


def event_marker(key: str) -> str:
    """The invisible tag naming a core event's key (a digest: short, whatever the key)."""
    return "ev" + hashlib.sha256(key.encode()).hexdigest()[:16]


def member_name(user: Mapping[str, object], member: Mapping[str, object] | None = None) -> str:
    """A member's shown name, as Discord shows it: server nickname, display name, username."""
    for name in ((member or {}).get("nick"), user.get("global_name"), user.get("username")):
        if name:
            return str(name)
    return ""


class DiscordEvents:
    """The core's EventTransport for Discord (``DiscordTransport.events``)."""

    def __init__(
        self, client: discord.Client, pacer: RequestPacer, *, post_timeout: float = POST_TIMEOUT
    ) -> None:
        self.client = client
        self.pacer = pacer
        self.post_timeout = post_timeout
        # Told of an event adopted after an unanswered create (interest may predate it).
        self.on_adopted: Callable[[int, str], None] = lambda guild, ref: None
        self._late: set[asyncio.Task[Any]] = set()

    @staticmethod
    def _guild(target: Target) -> int:
        if not target.community_id.isdigit():
            raise DeliveryError(f"not a Discord server id: {target.community_id!r}", permanent=True)
        return int(target.community_id)

    def _body(self, event: NativeEvent) -> dict[str, Any]:
        marker = key_marker(event_marker(event.key))
        body: dict[str, Any] = {
            "name": clip(safe(event.title.strip()) or "Event", NAME),
            "description": clip(safe(event.description), DESCRIPTION - size(marker)) + marker,
            "scheduled_start_time": event.starts_at.astimezone(UTC).isoformat(),
            "scheduled_end_time": event.ends_at.astimezone(UTC).isoformat(),
            "privacy_level": GUILD_ONLY,
        }
        if event.voice_channel is not None:
            if not event.voice_channel.isdigit():
                raise DeliveryError(
                    f"not a Discord channel id: {event.voice_channel!r}", permanent=True
                )
            channel = self.client.get_channel(int(event.voice_channel))
            stage = isinstance(channel, discord.StageChannel)
            body.update(entity_type=STAGE if stage else VOICE, channel_id=event.voice_channel)
            body["entity_metadata"] = None
        else:
            location = clip(safe(event.location or "").strip() or "Online", LOCATION)
            body.update(entity_type=EXTERNAL, channel_id=None)
            body["entity_metadata"] = {"location": location}
        return body

    @staticmethod
    def _error(exc: Exception, where: str, ref: str | None = None) -> Exception:
        if isinstance(exc, discord.NotFound) and ref is not None and exc.code == UNKNOWN_EVENT:
            return EventGone(f"{where} is gone")
        if isinstance(exc, discord.HTTPException) and exc.code in (
            MISSING_ACCESS,
            MISSING_PERMISSIONS,
        ):
            return DeliveryError(
                f"no permission for {where} (code {exc.code}): invite Crossfade again with the "
                "link crossfade discord-invite prints (Create Events; Connect for voice events)",
                needs_admin=True,
            )
        return delivery_error(exc, where)

    async def upsert_event(self, target: Target, event: NativeEvent, ref: str | None) -> str:
        """Create the scheduled event, or edit the one at ``ref``; returns its id."""
        guild_id = self._guild(target)
        body = self._body(event)
        where = f"the scheduled event for {event.key!r} in server {guild_id}"
        try:
            if ref is None:
                fields = {k: v for k, v in body.items() if v is not None}
                created = await self._create(guild_id, fields)
                return str(created["id"])
            await self.pacer.wait()
            await self.client.http.edit_scheduled_event(guild_id, int(ref), **body)
        except _FAILURES as exc:
            raise self._error(exc, where, ref) from exc
        return ref

    async def cancel_event(self, target: Target, ref: str) -> None:
        """Set the event's status to cancelled (Discord keeps it so, never to reopen)."""
        guild_id = self._guild(target)
        try:
            await self.pacer.wait()
            await self.client.http.edit_scheduled_event(guild_id, int(ref), status=CANCELED)
        except _FAILURES as exc:
            raise self._error(exc, f"scheduled event {ref} in server {guild_id}", ref) from exc

    async def find_event(self, target: Target, key: str) -> str | None:
        """The bot's scheduled or active event carrying this key, if a create got through."""
        guild_id = self._guild(target)
        try:
            await self.pacer.wait()
            listed = await self.client.http.get_scheduled_events(guild_id, False)
        except _FAILURES as exc:
            raise self._error(exc, f"the scheduled events of server {guild_id}") from exc
        me = self.client.user.id if self.client.user else None
        wanted = event_marker(key)
        for data in listed:
            creator = data.get("creator_id")
            if me is not None and creator is not None and int(creator) != me:
                continue
            if int(data.get("status", SCHEDULED)) not in (SCHEDULED, ACTIVE):
                continue
            if read_marker(str(data.get("description") or "")) == wanted:
                return str(data["id"])
        return None

    def adopted(self, target: Target, ref: str) -> None:
        """An event found after an unanswered create is now on record: re-read its interest."""
        if target.community_id.isdigit():
            self.on_adopted(int(target.community_id), ref)

    async def _create(self, guild_id: int, body: dict[str, Any]) -> Any:
        """POST the event where discord.py may not repeat it; past the timeout it is left."""
        await self.pacer.wait()
        context = contextvars.copy_context()
        context.run(_post_tries.set, _Tries(0.0))  # any repeat at all could make a second one
        creating = asyncio.create_task(
            self.client.http.create_guild_scheduled_event(guild_id, **body), context=context
        )
        done, _ = await asyncio.wait({creating}, timeout=self.post_timeout)
        if creating not in done:
            self._late.add(creating)
            creating.add_done_callback(self._answered_late)
            raise TimeoutError(f"no answer within {self.post_timeout:g} s")
        return creating.result()

    def _answered_late(self, creating: asyncio.Task[Any]) -> None:
        self._late.discard(creating)
        if not creating.cancelled() and creating.exception() is None:
            log.info("Discord answered an event create late; the outbox looks it up first")

    async def interested(self, guild_id: int, ref: str) -> list[tuple[str, str]]:
        """Everyone interested in an event now, as (user id, shown name), bots left out."""
        found: list[tuple[str, str]] = []
        after: int | None = None
        while True:
            await self.pacer.wait()
            page = await self.client.http.get_scheduled_event_users(
                guild_id, int(ref), USERS_PAGE, True, after=after
            )
            for entry in page:
                user = entry["user"]
                if not user.get("bot"):
                    found.append((str(user["id"]), member_name(user, entry.get("member"))))
            if len(page) < USERS_PAGE:
                return found
            after = int(page[-1]["user"]["id"])

    async def member(self, guild_id: int, user_id: int) -> str:
        """A member's shown name ("" if Discord won't say: the core keeps the one it knows)."""
        try:
            await self.pacer.wait()
            data = await self.client.http.get_member(guild_id, user_id)
        except _FAILURES as exc:
            log.info("no name for member %s: %s", user_id, type(exc).__name__)
            return ""
        return member_name(data["user"], data)
