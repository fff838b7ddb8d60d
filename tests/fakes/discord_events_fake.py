"""Guild Scheduled Events for the loopback Discord fake: REST routes and gateway dispatches.

A mixin of :class:`tests.fakes.discord_fake.DiscordFake` (which records every request and
applies its fault knobs, ``inject_fault`` and ``inject_error``, to these routes as to any).
It checks what Discord checks (field requirements by entity type, lengths, status
transitions, the 100 live events a guild may have) and keeps each event's interested users.
Tests mark a user interested with :meth:`ScheduledEventsFake.add_event_user`, which also
sends GUILD_SCHEDULED_EVENT_USER_ADD to every connection that asked for the
GUILD_SCHEDULED_EVENTS intent (``dispatch=False``: a click while the bot is offline, which
Discord never replays).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.discord_fake import FakeGuild, FakeUser, GatewaySession, _Call

JSON = dict[str, Any]
_Result = tuple[int, Any]

ROUTE_EVENTS_LIST = "GET /guilds/{guild_id}/scheduled-events"
ROUTE_EVENT_CREATE = "POST /guilds/{guild_id}/scheduled-events"
ROUTE_EVENT_GET = "GET /guilds/{guild_id}/scheduled-events/{event_id}"
ROUTE_EVENT_EDIT = "PATCH /guilds/{guild_id}/scheduled-events/{event_id}"
ROUTE_EVENT_DELETE = "DELETE /guilds/{guild_id}/scheduled-events/{event_id}"
ROUTE_EVENT_USERS = "GET /guilds/{guild_id}/scheduled-events/{event_id}/users"
ROUTE_MEMBER_GET = "GET /guilds/{guild_id}/members/{user_id}"

INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
STAGE, VOICE, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
CHANNEL_VOICE, CHANNEL_STAGE = 2, 13
MAX_LIVE_EVENTS = 100
_TRANSITIONS = {SCHEDULED: {SCHEDULED, ACTIVE, CANCELED}, ACTIVE: {ACTIVE, COMPLETED}}
_FIELDS = (
    "channel_id",
    "entity_metadata",
    "name",
    "privacy_level",
    "scheduled_start_time",
    "scheduled_end_time",
    "description",
    "entity_type",
    "status",
)


def _error(code: int, message: str) -> JSON:
    return {"code": code, "message": message}


def _invalid(why: str) -> _Result:
    return 400, {**_error(50035, "Invalid Form Body"), "errors": {"_errors": [why]}}


class ScheduledEventsFake:
    """Scheduled events, their interested users, and the member lookups that go with them."""

    # Provided by DiscordFake.
    guilds: dict[int, FakeGuild]
    bot_user: FakeUser
    sessions: list[GatewaySession]
    _channels: dict[int, JSON]
    _channel_guild: dict[int, int | None]

    # (and new_snowflake, user, member_payload, _send_dispatch)

    def _init_scheduled_events(self) -> None:
        self.scheduled_events: dict[int, JSON] = {}
        self.event_users: dict[int, list[int]] = {}
        # Answer creates and edits with 403 Missing Permissions (the bot lacks Create Events).
        self.events_forbidden = False

    def event_routes(self) -> list[tuple[str, Any]]:
        """This mixin's REST routes (route key, handler)."""
        return [
            (ROUTE_EVENT_USERS, self._event_users),
            (ROUTE_EVENTS_LIST, self._list_events),
            (ROUTE_EVENT_CREATE, self._create_event),
            (ROUTE_EVENT_GET, self._get_event),
            (ROUTE_EVENT_EDIT, self._edit_event),
            (ROUTE_EVENT_DELETE, self._delete_event),
            (ROUTE_MEMBER_GET, self._get_member),
        ]

    # -- what tests look at and do ----------------------------------------------------------

    def events_in(self, guild_id: int, *, live: bool = False) -> list[JSON]:
        """A guild's scheduled events, oldest first (``live``: scheduled or active only)."""
        return [
            e
            for e in self.scheduled_events.values()
            if int(e["guild_id"]) == guild_id
            and (not live or int(e["status"]) in (SCHEDULED, ACTIVE))
        ]

    async def add_event_user(
        self, guild_id: int, event_id: int, user_id: int, *, dispatch: bool = True
    ) -> None:
        """A member presses "Interested"; the bot hears of it only if ``dispatch``."""
        users = self.event_users.setdefault(event_id, [])
        if user_id not in users:
            users.append(user_id)
            await self._user_event(
                "GUILD_SCHEDULED_EVENT_USER_ADD", guild_id, event_id, user_id, dispatch
            )

    async def remove_event_user(
        self, guild_id: int, event_id: int, user_id: int, *, dispatch: bool = True
    ) -> None:
        """A member takes their interest back."""
        users = self.event_users.setdefault(event_id, [])
        if user_id in users:
            users.remove(user_id)
            await self._user_event(
                "GUILD_SCHEDULED_EVENT_USER_REMOVE", guild_id, event_id, user_id, dispatch
            )

    def delete_event_by_hand(self, event_id: int) -> None:
        """An admin deletes the event in Discord's own menu."""
        self.scheduled_events.pop(event_id, None)
        self.event_users.pop(event_id, None)

    async def _user_event(
        self, name: str, guild_id: int, event_id: int, user_id: int, dispatch: bool
    ) -> None:
        if not dispatch:
            return
        data = {
            "guild_scheduled_event_id": str(event_id),
            "user_id": str(user_id),
            "guild_id": str(guild_id),
        }
        await self._dispatch_events(name, data)

    async def _dispatch_events(self, name: str, data: JSON) -> None:
        # Like Discord: only to connections that asked for the intent.
        for session in self.sessions:
            if session.ready and session.intents & INTENT_GUILD_SCHEDULED_EVENTS:
                await self._send_dispatch(session, name, data)

    # -- REST -------------------------------------------------------------------------------

    def _guild_of(self, call: _Call) -> int | _Result:
        guild_id = int(call.params["guild_id"])
        if guild_id not in self.guilds:
            return 404, _error(10004, "Unknown Guild")
        return guild_id

    def _event_of(self, call: _Call, guild_id: int) -> JSON | _Result:
        event = self.scheduled_events.get(int(call.params["event_id"]))
        if event is None or int(event["guild_id"]) != guild_id:
            return 404, _error(10070, "Unknown Guild Scheduled Event")
        return event

    def _check(self, event: JSON, guild_id: int) -> str | None:
        """What Discord would refuse in this event, if anything."""
        name = event.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            return "name must be 1-100 characters"
        description = event.get("description")
        if description is not None and len(str(description)) > 1000:
            return "description must be at most 1000 characters"
        if event.get("privacy_level") != 2:
            return "privacy_level must be GUILD_ONLY (2)"
        try:
            start = datetime.fromisoformat(str(event.get("scheduled_start_time")))
            raw_end = event.get("scheduled_end_time")
            end = datetime.fromisoformat(str(raw_end)) if raw_end else None
        except ValueError:
            return "times must be ISO8601 timestamps"
        if end is not None and end <= start:
            return "scheduled_end_time must be after scheduled_start_time"
        kind = event.get("entity_type")
        metadata = event.get("entity_metadata") or {}
        if kind == EXTERNAL:
            location = metadata.get("location")
            if event.get("channel_id") is not None:
                return "channel_id must be null for EXTERNAL events"
            if not isinstance(location, str) or not 1 <= len(location) <= 100:
                return "entity_metadata.location must be 1-100 characters"
            if end is None:
                return "scheduled_end_time is required for EXTERNAL events"
        elif kind in (VOICE, STAGE):
            channel = event.get("channel_id")
            wanted = CHANNEL_STAGE if kind == STAGE else CHANNEL_VOICE
            known = self._channels.get(int(channel)) if str(channel).isdigit() else None
            if known is None or self._channel_guild.get(int(str(channel))) != guild_id:
                return "channel_id must be a channel of this guild"
            if int(known["type"]) != wanted:
                return "channel_id must be a voice channel (stage for STAGE_INSTANCE)"
        else:
            return "entity_type must be 1, 2 or 3"
        return None

    async def _list_events(self, call: _Call) -> _Result:
        guild_id = self._guild_of(call)
        if isinstance(guild_id, tuple):
            return guild_id
        return 200, [dict(e) for e in self.events_in(guild_id, live=True)]

    async def _create_event(self, call: _Call) -> _Result:
        guild_id = self._guild_of(call)
        if isinstance(guild_id, tuple):
            return guild_id
        if self.events_forbidden:
            return 403, _error(50013, "Missing Permissions")
        body = call.json or {}
        event: JSON = {k: body.get(k) for k in _FIELDS if k != "status"}
        problem = self._check(event, guild_id)
        if problem is not None:
            return _invalid(problem)
        if len(self.events_in(guild_id, live=True)) >= MAX_LIVE_EVENTS:
            return 400, _error(30038, "Maximum number of guild scheduled events reached")
        event_id = self.new_snowflake()
        event.update(
            id=str(event_id),
            guild_id=str(guild_id),
            creator_id=str(self.bot_user.id),
            creator=self.bot_user.to_payload(),
            status=SCHEDULED,
            entity_id=None,
            image=None,
            user_count=0,
            recurrence_rule=None,
        )
        event["entity_metadata"] = (
            event.get("entity_metadata") if event["entity_type"] == EXTERNAL else None
        )
        self.scheduled_events[event_id] = event
        await self._dispatch_events("GUILD_SCHEDULED_EVENT_CREATE", dict(event))
        return 200, dict(event)

    async def _get_event(self, call: _Call) -> _Result:
        guild_id = self._guild_of(call)
        if isinstance(guild_id, tuple):
            return guild_id
        event = self._event_of(call, guild_id)
        return event if isinstance(event, tuple) else (200, dict(event))

    async def _edit_event(self, call: _Call) -> _Result:
        guild_id = self._guild_of(call)
        if isinstance(guild_id, tuple):
            return guild_id
        event = self._event_of(call, guild_id)
        if isinstance(event, tuple):
            return event
        if self.events_forbidden:
            return 403, _error(50013, "Missing Permissions")
        body = call.json or {}
        status = int(event["status"])
        if status in (COMPLETED, CANCELED):
            return 400, _error(180000, "Cannot update a finished or cancelled event")
        wanted = int(body.get("status", status))
        if wanted not in _TRANSITIONS[status]:
            return _invalid(f"status cannot go from {status} to {wanted}")
        changed = {**event, **{k: body[k] for k in _FIELDS if k in body}}
        problem = self._check(changed, guild_id)
        if problem is not None:
            return _invalid(problem)
        event.update(changed)
        await self._dispatch_events("GUILD_SCHEDULED_EVENT_UPDATE", dict(event))
        return 200, dict(event)

    async def _delete_event(self, call: _Call) -> _Result:
        guild_id = self._guild_of(call)
        if isinstance(guild_id, tuple):
            return guild_id
        event = self._event_of(call, guild_id)
        if isinstance(event, tuple):
            return event
        self.delete_event_by_hand(int(event["id"]))
        return 204, None

    async def _event_users(self, call: _Call) -> _Result:
        guild_id = self._guild_of(call)
        if isinstance(guild_id, tuple):
            return guild_id
        event = self._event_of(call, guild_id)
        if isinstance(event, tuple):
            return event
        limit = min(int(call.query.get("limit", 100)), 100)
        users = sorted(self.event_users.get(int(event["id"]), []))
        if "before" in call.query:
            users = [u for u in users if u < int(call.query["before"])][-limit:]
        else:
            after = int(call.query.get("after", 0))
            users = [u for u in users if u > after][:limit]
        with_member = call.query.get("with_member") in ("1", "true", "True")
        return 200, [self._event_user(guild_id, int(event["id"]), u, with_member) for u in users]

    def _event_user(self, guild_id: int, event_id: int, user_id: int, with_member: bool) -> JSON:
        entry: JSON = {
            "guild_scheduled_event_id": str(event_id),
            "user": self.user(user_id).to_payload(),
        }
        if with_member:
            member = self.member_payload(guild_id, user_id)
            member.pop("user")
            entry["member"] = member
        return entry

    async def _get_member(self, call: _Call) -> _Result:
        guild_id = self._guild_of(call)
        if isinstance(guild_id, tuple):
            return guild_id
        return 200, self.member_payload(guild_id, int(call.params["user_id"]))
