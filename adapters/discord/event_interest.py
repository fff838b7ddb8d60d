"""Members pressing "Interested" on Crossfade's scheduled events, handed to the core.

Discord sends GUILD_SCHEDULED_EVENT_USER_ADD and _REMOVE (with the GUILD_SCHEDULED_EVENTS
intent) carrying only ids. discord.py dispatches them only for users already in its cache,
which a bot without the privileged members intent rarely has, so they are read from the raw
gateway frames (``on_socket_raw_receive``, with the client's ``enable_debug_events``). The
member's name is fetched, and the core answers the click (bot/native_interest.py).

Clicks while the bot was offline arrive as no event at all: after every READY or RESUMED each
live event's interested users are read again (``GET …/scheduled-events/{id}/users``) and the
whole list goes to the core, which answers whoever is new or gone, and nobody twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from typing import Any

import discord

from adapters.discord.scheduled_events import DiscordEvents
from bot.app import Crossfade
from bot.models import Actor

log = logging.getLogger(__name__)

ADD = "GUILD_SCHEDULED_EVENT_USER_ADD"
REMOVE = "GUILD_SCHEDULED_EVENT_USER_REMOVE"
# Every raw frame passes by: only those naming these events are parsed.
_MARK = '"GUILD_SCHEDULED_EVENT_USER_'


class InterestListener:
    """Routes interest in scheduled events to the core, and re-reads it after reconnects."""

    def __init__(self, core: Crossfade, client: discord.Client, events: DiscordEvents) -> None:
        self.core = core
        self.client = client
        self.events = events
        self._tasks: set[asyncio.Task[None]] = set()
        self._rereading = asyncio.Lock()
        events.on_adopted = self._adopted

    def on_raw(self, frame: object) -> None:
        """A raw gateway frame: a scheduled event's user add or remove is answered."""
        if not isinstance(frame, str) or _MARK not in frame:
            return
        try:
            payload = json.loads(frame)
            kind, data = payload.get("t"), payload.get("d") or {}
            guild, event, user = (
                int(data[k]) for k in ("guild_id", "guild_scheduled_event_id", "user_id")
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        if kind in (ADD, REMOVE):
            self._spawn(self._clicked(guild, event, user, kind == ADD))

    def reread(self) -> None:
        """Connected (READY or RESUMED): catch up on interest shown while offline."""
        self._spawn(self._reread())

    async def settled(self) -> None:
        """Wait until every click and re-read under way has been answered."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Drop what is under way (a re-read at the next start catches up)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._logged(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("could not answer interest in a scheduled event")

    def _actor(self, guild_id: int, user_id: str, name: str) -> Actor:
        guild = self.client.get_guild(guild_id)
        return Actor(
            "discord", str(guild_id), user_id, name, community_name=guild.name if guild else ""
        )

    async def _clicked(self, guild_id: int, event_id: int, user_id: int, interested: bool) -> None:
        if self.client.user is not None and user_id == self.client.user.id:
            return
        name = await self.events.member(guild_id, user_id)
        actor = self._actor(guild_id, str(user_id), name)
        await self.core.native.changed(actor, str(event_id), interested)

    async def _reread(self, only: str | None = None) -> None:
        async with self._rereading:
            for event in await self.core.native.live("discord"):
                if not event.community_ext_id.isdigit() or only not in (None, event.ref):
                    continue
                guild_id = int(event.community_ext_id)
                try:
                    users = await self.events.interested(guild_id, event.ref)
                except Exception as exc:
                    log.warning("could not re-read interest in event %s: %s", event.ref, exc)
                    continue
                actors = [self._actor(guild_id, user, name) for user, name in users]
                answered = await self.core.native.sync("discord", event, actors)
                if answered:
                    log.info("answered %d change(s) of interest in event %s", answered, event.ref)

    def _adopted(self, guild_id: int, ref: str) -> None:
        self._spawn(self._reread(only=ref))
