"""Forum channels for the loopback Discord fake: their tags, and posts as threads.

A mixin of :class:`tests.fakes.discord_fake.DiscordFake`, which records every request and
applies its fault knobs (``inject_fault``, ``inject_error``) to these routes as to any: a
fault with ``stored=True`` on the thread-creation route answers after the thread and its
starter message are stored, as when Discord created the post but its answer was lost.

Shapes follow Discord's API reference: a forum (type 15, or 16 for media) lists its
``available_tags`` ({id, name, moderated, emoji_id, emoji_name}; at most 20, names at most 20
characters); "Start Thread in Forum or Media Channel" (POST /channels/{forum}/threads) takes
``name`` (1-100), ``applied_tags`` (at most 5 of the forum's tag ids) and ``message``, and
answers with the thread channel (type 11, owned by the bot) carrying its starter ``message``,
whose id is the thread's. "Modify Channel" (PATCH) sets a forum's ``available_tags`` (it needs
Manage Channels: tests grant it with :attr:`ForumsFake.manage_channels`) and a thread's
``applied_tags``, ``name`` and ``archived``; "List Active Guild Threads" lists the guild's
unarchived threads. An archived thread's messages can't be edited (50083) until it is
unarchived, as on Discord. A forum with Require Tags (flag 1 << 4,
:meth:`ForumsFake.require_tags`) refuses a post without tags (400, 40067).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.discord_fake import FakeUser, GatewaySession, RecordedFile, _Call

JSON = dict[str, Any]
_Result = tuple[int, Any]

ROUTE_THREAD_CREATE = "POST /channels/{channel_id}/threads"
ROUTE_CHANNEL_EDIT = "PATCH /channels/{channel_id}"
ROUTE_ACTIVE_THREADS = "GET /guilds/{guild_id}/threads/active"

FORUM_TYPES = (15, 16)  # GUILD_FORUM, GUILD_MEDIA
PUBLIC_THREAD = 11
MAX_TAGS = 20
MAX_TAG_NAME = 20
MAX_APPLIED_TAGS = 5
MAX_THREAD_NAME = 100
INTENT_GUILDS = 1 << 0
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
THREAD_ARCHIVED = 50083
TAG_REQUIRED = 40067
REQUIRE_TAG = 1 << 4  # a forum's flag: every post needs a tag


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _form_error(path: Sequence[str | int], code: str, message: str) -> _Result:
    """Discord's 400 Invalid Form Body, the error nested under the offending field."""
    errors: JSON = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return 400, {"code": INVALID_FORM_BODY, "message": "Invalid Form Body", "errors": errors}


def _refused(code: int, message: str, status: int = 403) -> _Result:
    return status, {"code": code, "message": message}


class ForumsFake:
    """Forum channels, their tags, and the threads (posts) the bot starts in them."""

    # Provided by DiscordFake.
    bot_user: FakeUser
    sessions: list[GatewaySession]
    _channels: dict[int, JSON]
    _channel_guild: dict[int, int | None]
    _messages: dict[int, dict[int, JSON]]

    # (and new_snowflake, member_payload, _message_from_body, _store, _echo, _send_dispatch)

    def _init_forums(self) -> None:
        # Forums (and other channels) where the bot has Manage Channels.
        self.manage_channels: set[int] = set()

    def forum_routes(self) -> list[tuple[str, Any]]:
        """This mixin's REST routes (route key, handler)."""
        return [
            (ROUTE_THREAD_CREATE, self._create_thread),
            (ROUTE_CHANNEL_EDIT, self._edit_channel),
            (ROUTE_ACTIVE_THREADS, self._active_threads),
        ]

    @staticmethod
    def forum_fields() -> JSON:
        """What a forum channel object has beyond a text channel's."""
        return {
            "available_tags": [],
            "default_reaction_emoji": None,
            "default_sort_order": None,
            "default_forum_layout": 0,
            "default_auto_archive_duration": 4320,
            "default_thread_rate_limit_per_user": 0,
        }

    # -- for tests --------------------------------------------------------------------------

    def set_forum_tags(self, forum_id: int, names: Iterable[str]) -> list[JSON]:
        """Give a forum these tags (as an admin would by hand); returns the tag objects."""
        tags = [self._tag(name) for name in names]
        self._channels[forum_id]["available_tags"] = tags
        return tags

    def require_tags(self, forum_id: int, required: bool = True) -> None:
        """Turn a forum's Require Tags setting on (or off)."""
        channel = self._channels[forum_id]
        flags = int(channel.get("flags") or 0)
        channel["flags"] = flags | REQUIRE_TAG if required else flags & ~REQUIRE_TAG

    def forum_tags(self, forum_id: int) -> list[str]:
        """The names of a forum's tags, in order."""
        return [t["name"] for t in self._channels[forum_id].get("available_tags") or []]

    def threads_in(self, forum_id: int) -> list[JSON]:
        """The threads (posts) of a forum, oldest first."""
        return [
            c
            for c in self._channels.values()
            if c.get("type") == PUBLIC_THREAD and c.get("parent_id") == str(forum_id)
        ]

    def applied_tag_names(self, thread_id: int) -> list[str]:
        """The names of the tags a thread has, in the order applied."""
        thread = self._channels[thread_id]
        names = {t["id"]: t["name"] for t in self._forum_of(thread).get("available_tags") or []}
        return [names[t] for t in thread.get("applied_tags") or []]

    def archive_thread(self, thread_id: int) -> None:
        """Archive a thread, as Discord does after its auto-archive duration."""
        meta = self._channels[thread_id]["thread_metadata"]
        meta.update(archived=True, archive_timestamp=_now_iso())

    # -- helpers ----------------------------------------------------------------------------

    def _tag(self, name: str, tag_id: str | None = None, moderated: bool = False) -> JSON:
        return {
            "id": tag_id or str(self.new_snowflake()),  # type: ignore[attr-defined]
            "name": name,
            "moderated": moderated,
            "emoji_id": None,
            "emoji_name": None,
        }

    def _forum_of(self, thread: JSON) -> JSON:
        return self._channels[int(thread["parent_id"])]

    def thread_archived(self, channel_id: int) -> bool:
        """Whether a channel is an archived thread (its messages can't be edited)."""
        meta = self._channels.get(channel_id, {}).get("thread_metadata")
        return bool(meta and meta.get("archived"))

    def _check_applied(self, forum: JSON, applied: Any) -> _Result | None:
        if not isinstance(applied, list):
            return _form_error(["applied_tags"], "LIST_TYPE_CONVERT", "Must be a list.")
        if len(applied) > MAX_APPLIED_TAGS:
            return _form_error(
                ["applied_tags"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."
            )
        known = {t["id"] for t in forum.get("available_tags") or []}
        for index, tag in enumerate(applied):
            if str(tag) not in known:
                return _form_error(
                    ["applied_tags", index], "TAG_NOT_FOUND", f"Tag {tag} is not in this channel."
                )
        return None

    @staticmethod
    def _check_name(name: Any) -> _Result | None:
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_THREAD_NAME:
            return _form_error(
                ["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        return None

    async def _dispatch_guild(self, event: str, data: JSON) -> None:
        for session in self.sessions:
            if session.ready and session.intents & INTENT_GUILDS:
                await self._send_dispatch(session, event, data)  # type: ignore[attr-defined]

    # -- routes -----------------------------------------------------------------------------

    async def _create_thread(self, call: _Call) -> _Result:
        forum_id = int(call.params["channel_id"])
        forum = self._channels.get(forum_id)
        if forum is None:
            return _refused(10003, "Unknown Channel", 404)
        if forum.get("type") not in FORUM_TYPES:
            # Threads without a starter message aren't modelled: only forum posts.
            return _refused(50024, "Cannot execute action on this channel type", 400)
        body: JSON = call.json or {}
        problem = self._check_name(body.get("name"))
        if problem is None:
            problem = self._check_applied(forum, body.get("applied_tags", []))
        if problem is not None:
            return problem
        if int(forum.get("flags") or 0) & REQUIRE_TAG and not body.get("applied_tags"):
            return _refused(
                TAG_REQUIRED, "A tag is required to create a forum post in this channel", 400
            )
        starter = body.get("message")
        files: tuple[RecordedFile, ...] = call.files
        if not isinstance(starter, dict) or not (
            starter.get("content") or starter.get("embeds") or starter.get("components") or files
        ):
            return _refused(50006, "Cannot send an empty message", 400)
        guild_id = self._channel_guild[forum_id]
        thread_id = int(self.new_snowflake())  # type: ignore[attr-defined]
        now = _now_iso()
        thread: JSON = {
            "id": str(thread_id),
            "type": PUBLIC_THREAD,
            "guild_id": str(guild_id),
            "parent_id": str(forum_id),
            "owner_id": str(self.bot_user.id),
            "name": body["name"],
            "last_message_id": str(thread_id),
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(
                    body.get("auto_archive_duration") or forum["default_auto_archive_duration"]
                ),
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
            "flags": 0,
            "total_message_sent": 0,
            "applied_tags": [str(t) for t in body.get("applied_tags") or []],
        }
        self._channels[thread_id] = thread
        self._channel_guild[thread_id] = guild_id
        message = self._message_from_body(  # type: ignore[attr-defined]
            thread_id, starter, files, id=str(thread_id), position=0
        )
        self._store(message)  # type: ignore[attr-defined]
        forum["last_message_id"] = str(thread_id)
        await self._dispatch_guild("THREAD_CREATE", {**thread, "newly_created": True})
        await self._echo("MESSAGE_CREATE", message)  # type: ignore[attr-defined]
        member = {"id": str(thread_id), "user_id": str(self.bot_user.id), "flags": 1}
        return 201, {**thread, "message": message, "member": {**member, "join_timestamp": now}}

    async def _edit_channel(self, call: _Call) -> _Result:
        channel_id = int(call.params["channel_id"])
        channel = self._channels.get(channel_id)
        if channel is None:
            return _refused(10003, "Unknown Channel", 404)
        body: JSON = call.json or {}
        if channel.get("type") == PUBLIC_THREAD:
            return await self._edit_thread(channel, body)
        if channel_id not in self.manage_channels:
            return _refused(MISSING_PERMISSIONS, "Missing Permissions")
        if "available_tags" in body:
            if channel.get("type") not in FORUM_TYPES:
                return _form_error(["available_tags"], "CHANNEL_TYPE", "Not a forum channel.")
            tags = body["available_tags"]
            if not isinstance(tags, list) or len(tags) > MAX_TAGS:
                return _form_error(
                    ["available_tags"], "BASE_TYPE_MAX_LENGTH", "Must be 20 or fewer in length."
                )
            known = {t["id"]: t for t in channel.get("available_tags") or []}
            updated = []
            for index, tag in enumerate(tags):
                name = tag.get("name") if isinstance(tag, dict) else None
                if not isinstance(name, str) or not 1 <= len(name) <= MAX_TAG_NAME:
                    return _form_error(
                        ["available_tags", index, "name"],
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 20 in length.",
                    )
                tag_id = str(tag["id"]) if tag.get("id") is not None else None
                if tag_id is not None and tag_id not in known:
                    return _form_error(
                        ["available_tags", index, "id"], "UNKNOWN_TAG", "Unknown tag."
                    )
                updated.append(self._tag(name, tag_id, bool(tag.get("moderated", False))))
            channel["available_tags"] = updated
        for key in ("name", "topic"):
            if key in body:
                channel[key] = body[key]
        await self._dispatch_guild("CHANNEL_UPDATE", dict(channel))
        return 200, dict(channel)

    async def _edit_thread(self, thread: JSON, body: JSON) -> _Result:
        if int(thread["owner_id"]) != self.bot_user.id:
            return _refused(MISSING_PERMISSIONS, "Missing Permissions")  # no Manage Threads
        meta = thread["thread_metadata"]
        if meta["archived"] and body.get("archived") is not False:
            return _refused(THREAD_ARCHIVED, "Thread is archived", 400)
        if "name" in body:
            problem = self._check_name(body["name"])
            if problem is not None:
                return problem
        if "applied_tags" in body:
            problem = self._check_applied(self._forum_of(thread), body["applied_tags"])
            if problem is not None:
                return problem
            thread["applied_tags"] = [str(t) for t in body["applied_tags"]]
        if "name" in body:
            thread["name"] = body["name"]
        if "archived" in body:
            meta.update(archived=bool(body["archived"]), archive_timestamp=_now_iso())
        await self._dispatch_guild("THREAD_UPDATE", dict(thread))
        return 200, dict(thread)

    async def _active_threads(self, call: _Call) -> _Result:
        guild_id = call.params["guild_id"]
        threads = [
            dict(c)
            for c in self._channels.values()
            if c.get("type") == PUBLIC_THREAD
            and c.get("guild_id") == guild_id
            and not c["thread_metadata"]["archived"]
        ]
        joined = [
            {
                "id": t["id"],
                "user_id": str(self.bot_user.id),
                "join_timestamp": t["thread_metadata"]["create_timestamp"],
                "flags": 1,
            }
            for t in threads
            if int(t["owner_id"]) == self.bot_user.id
        ]
        return 200, {"threads": threads, "members": joined}
