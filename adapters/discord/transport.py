"""Posting and editing the outbox's messages on Discord, paced under Discord's rate limits.

Discord allows a bot 50 requests a second across the API ("Rate Limits", global rate limit)
plus per-route buckets that discord.py tracks from the X-RateLimit headers. Every request this
transport makes (posts, edits, DM opens, crash-recovery reads) waits its turn in
:class:`RequestPacer` (45 a second by default, leaving room for the odd request made
elsewhere), so the outbox never floods discord.py's buckets. That pacer is the only one: the
transport tells the core's Dispatcher not to pace it (``max_per_second`` is infinite), since
the Dispatcher counts sends, not the DM opens and history reads that also use up the limit.
A 429 that still happens is retried by discord.py, and past that becomes a DeliveryError with
Discord's retry_after, so the core keeps the message and tries again: nothing is lost.

A channel the bot can't see or post in (Missing Access, Missing Permissions) or that no longer
exists (Unknown Channel) needs an admin: those posts wait without using up their retries, and
``/admin channel`` releases them.

A post that may have reached Discord without a clean answer (a 5xx, a reset connection, no
answer within ``POST_TIMEOUT``) is an ambiguous DeliveryError: the outbox looks for it
(``find_sent``) before trying again, since Discord honours a post's nonce only for a few
minutes. discord.py itself retries a 500, 502, 504 or 524 up to four times within seconds,
with the same nonce and ``enforce_nonce`` (discord/http.py), which Discord answers with the
first message: those retries can't post twice, as long as they come soon. ``retry_guard``
(passed to the client as its ``http_trace``) refuses any repeat of a post later than
``NONCE_SAFE_SECONDS`` after its first try, which then counts as ambiguous. A post is never
cancelled (a cancelled discord.py request can leave its global rate-limit lock shut): past
the timeout it is left to finish on its own.

A channel that is a forum gets each message as a post of its own (a thread with the forum's
tags): see forum.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from adapters.discord.embeds import Rendered, read_marker, render
from bot.delivery import DeliveryError, Receipt, RecipientUnreachable, Target
from bot.messages import Message
from bot.models import DestinationKind
from bot.native_events import EventTransport
from bot.pacing import Pacing
from bot.storage.base import Store

if TYPE_CHECKING:
    from adapters.discord.forum import DiscordForums, Forum

log = logging.getLogger(__name__)

# Discord JSON error codes (Opcodes and Status Codes, "JSON Error Codes").
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
# How far back crash recovery looks for a message it may have posted.
RECOVERY_WINDOW = 50
# How long a post may go unanswered before the outbox counts it as ambiguous (discord.py's
# own retries included), well inside the minutes Discord remembers a nonce.
POST_TIMEOUT = 30.0
# How long after a post's first try discord.py may repeat it: Discord keeps a nonce for "a
# few minutes" (Create Message, enforce_nonce); we count on one.
NONCE_SAFE_SECONDS = 60.0


class LateRepeat(Exception):
    """discord.py was about to repeat a post after Discord may have forgotten its nonce."""


@dataclass
class _Tries:
    """When one post first went out (its send and discord.py's own retries of it)."""

    safe_for: float
    first: float | None = None


# Set around one post, so the trace below can tell its requests apart from any other.
_post_tries: contextvars.ContextVar[_Tries | None] = contextvars.ContextVar(
    "crossfade_post_tries", default=None
)


def retry_guard() -> aiohttp.TraceConfig:
    """A trace config that stops discord.py repeating a post once its nonce may be forgotten."""

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        tries = _post_tries.get()
        if tries is None or params.method != "POST":
            return
        now = asyncio.get_running_loop().time()
        if tries.first is None:
            tries.first = now
        elif now - tries.first > tries.safe_for:
            raise LateRepeat(f"a repeat {now - tries.first:.0f} s after the first try")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    return trace


class RequestPacer:
    """Lets requests leave one at a time on a ``per_second`` schedule.

    Turns are taken when a request actually leaves, so a stalled event loop releases at most
    one late request early, never a burst; sleeping late doesn't slow the schedule down.
    Where several processes share the store, ``shared`` (the store's steady pacing of the
    bot) takes the turns instead: the limit is the bot's, not the process's.
    """

    def __init__(self, per_second: float, shared: Pacing | None = None) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()
        self._shared = shared

    async def wait(self) -> None:
        """Wait for this request's turn."""
        if self._shared is not None:
            await self._shared.take()
            return
        loop = asyncio.get_running_loop()
        async with self._lock:
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = max(loop.time(), self._next + self.interval)


def shared_requests(store: Store, per_second: float) -> Pacing | None:
    """The bot's requests paced across the processes sharing ``store``; None with one process.

    Discord's limit is the bot's, not a process's: on a shared store every process's
    requests take their turns from one schedule in the database.
    """
    if not store.shared:
        return None
    return store.send_pacer("discord", per_second, asyncio.sleep, steady=True)


def delivery_error(
    exc: Exception, where: str, *, channel: bool = False, editing: bool = False
) -> DeliveryError:
    """A discord.py or network failure as the core's DeliveryError, saying what to do.

    ``channel`` is set for a community channel (not a DM), where an admin can fix access;
    ``editing`` for an edit, whose message is gone with its channel.
    """
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(f"rate limited on {where}", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        code, status = exc.code, exc.status
        if status == 429:
            after = exc.response.headers.get("Retry-After")
            wait = float(after) if after and after.replace(".", "", 1).isdigit() else None
            return DeliveryError(f"rate limited on {where}", retry_after=wait)
        if code == CANNOT_DM:
            return RecipientUnreachable("the member doesn't accept direct messages from the bot")
        if code == UNKNOWN_MESSAGE or (editing and code == UNKNOWN_CHANNEL):
            return DeliveryError(f"the message to edit in {where} is gone", permanent=True)
        if status == 400:
            # Our payload is wrong; retrying the same one can't help.
            return DeliveryError(
                f"Discord rejected the message for {where}: {exc.text}", permanent=True
            )
        if channel and (code == UNKNOWN_CHANNEL or status == 404):
            # Waits for an admin to point the purpose at a channel that exists.
            return DeliveryError(
                f"{where} no longer exists; an admin should run /admin channel in another one",
                needs_admin=True,
            )
        if channel and code in (MISSING_ACCESS, MISSING_PERMISSIONS):
            return DeliveryError(
                f"no access to {where} (code {code}): give Crossfade View Channel, Send "
                "Messages, Embed Links, Attach Files and Read Message History there, then run "
                "/admin channel",
                needs_admin=True,
            )
        if status >= 500:
            # Discord (or its proxy, with an HTML page) failed: it may have stored the post.
            return DeliveryError(f"Discord error {status} on {where}", ambiguous=True)
        return DeliveryError(f"Discord error {status} on {where}: {exc.text}")
    if isinstance(exc, _NEVER_SENT):
        return DeliveryError(f"could not reach Discord for {where}: {type(exc).__name__}")
    # A reset, a dropped connection, no answer in time: the request may have got there.
    return DeliveryError(
        f"no answer from Discord for {where}: {type(exc).__name__}", ambiguous=True
    )


def _is_channel(target: Target) -> bool:
    return target.kind is not DestinationKind.DM


_FAILURES = (
    discord.HTTPException,
    discord.RateLimited,
    aiohttp.ClientError,
    TimeoutError,
    OSError,
    LateRepeat,
)
# Network failures before a request left: nothing can have reached Discord.
_NEVER_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)


class DiscordTransport:
    """The core's Transport for Discord: DMs and channel posts as embeds with buttons."""

    platform = "discord"

    def __init__(
        self,
        client: discord.Client,
        *,
        requests_per_second: float = 45.0,
        post_timeout: float = POST_TIMEOUT,
        nonce_safe_seconds: float = NONCE_SAFE_SECONDS,
        shared_pacing: Pacing | None = None,
    ) -> None:
        self.client = client
        # The core's Dispatcher doesn't pace this transport: ``pacer`` paces every request.
        self.max_per_second = float("inf")
        self.lookups_per_minute: float | None = None  # paced as any request (RequestPacer)
        self.pacer = RequestPacer(requests_per_second, shared_pacing)
        self.post_timeout = post_timeout
        self.nonce_safe_seconds = nonce_safe_seconds
        # Guild Scheduled Events (scheduled_events.py, on this pacer), set by the adapter.
        self.events: EventTransport | None = None
        # Posts in forum channels (forum.py, on this pacer), set by the adapter.
        self.forums: DiscordForums | None = None
        # Posts still waiting for Discord's answer after their timeout (kept from the GC).
        self._late: set[asyncio.Task[discord.Message]] = set()
        # DM channel ids by Discord user, for this process. The core passes the DM channel it
        # keeps per member (``target.channel_id``), which wins; this adds what the core can't
        # know: a channel learned from a click in a DM, and one person in several communities
        # (a core member each, but one DM channel). Each saves a DM-open request.
        self._dm_channels: dict[int, int] = {}

    def remember_dm(self, user_id: int, channel_id: int) -> None:
        """Note a member's DM channel (seen in an interaction or opened earlier)."""
        self._dm_channels[user_id] = channel_id

    async def _open_dm(self, user_id: int) -> int:
        """Open (or find again) the DM channel with a member: one request."""
        await self.pacer.wait()
        data = await self.client.http.start_private_message(user_id)
        channel_id = int(data["id"])
        self._dm_channels[user_id] = channel_id
        return channel_id

    async def _channel(self, target: Target) -> int:
        if target.kind is DestinationKind.DM:
            if target.user_id is None or not target.user_id.isdigit():
                raise DeliveryError(f"not a Discord user id: {target.user_id!r}", permanent=True)
            user_id = int(target.user_id)
            if target.channel_id is not None and target.channel_id.isdigit():
                # The core's record, kept across restarts.
                self.remember_dm(user_id, int(target.channel_id))
            known = self._dm_channels.get(user_id)
            return known if known is not None else await self._open_dm(user_id)
        if target.channel_id is None or not target.channel_id.isdigit():
            raise DeliveryError(f"not a Discord channel id: {target.channel_id!r}", permanent=True)
        return int(target.channel_id)

    @staticmethod
    def _where(target: Target, channel_id: int | None = None) -> str:
        if target.kind is DestinationKind.DM:
            return f"the DM with member {target.user_id}"
        return f"channel {channel_id or target.channel_id}"

    async def _post(self, channel_id: int, rendered: Rendered, key: str) -> discord.Message:
        await self.pacer.wait()
        channel = self.client.get_partial_messageable(channel_id)
        view = rendered.view()
        kwargs: dict[str, Any] = {"view": view} if view is not None else {}
        if rendered.attachments:
            # Multipart: discord.py rewinds the files for each of its own retries.
            kwargs["files"] = rendered.files()
        # The post runs in a context of its own, where retry_guard counts its requests.
        context = contextvars.copy_context()
        context.run(_post_tries.set, _Tries(self.nonce_safe_seconds))
        posting = asyncio.create_task(
            channel.send(
                content=rendered.content,
                embeds=rendered.embeds,
                # Discord returns the earlier message for a repeated nonce, within minutes.
                nonce=key,
                allowed_mentions=rendered.allowed_mentions,
                **kwargs,
            ),
            context=context,
        )
        done, _ = await asyncio.wait({posting}, timeout=self.post_timeout)
        if posting not in done:
            self._late.add(posting)
            posting.add_done_callback(self._answered_late)
            raise TimeoutError(f"no answer within {self.post_timeout:g} s")
        return posting.result()

    def _answered_late(self, posting: asyncio.Task[discord.Message]) -> None:
        """Note how a post given up on ended (the outbox looks for it before a retry)."""
        self._late.discard(posting)
        if posting.cancelled():
            return
        failure = posting.exception()
        if failure is None:
            log.info("Discord answered a post late; it was delivered")
        else:
            log.info("a post Discord didn't answer in time failed: %s", type(failure).__name__)

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        """Post a message; ``key`` goes out as the nonce and hidden in the footer."""
        rendered = render(message, target.community_id, key=key)
        channel_id: int | None = None
        try:
            channel_id = await self._channel(target)
            forum = await self._forum(target, channel_id)
            if forum is not None and self.forums is not None:
                return await self.forums.post(forum, message, target.community_id, key)
            try:
                sent = await self._post(channel_id, rendered, key)
            except discord.NotFound as exc:
                if target.kind is not DestinationKind.DM or exc.code != UNKNOWN_CHANNEL:
                    raise
                # A remembered DM channel that no longer works: open it again.
                assert target.user_id is not None
                channel_id = await self._open_dm(int(target.user_id))
                sent = await self._post(channel_id, rendered, key)
        except _FAILURES as exc:
            where = self._where(target, channel_id)
            raise delivery_error(exc, where, channel=_is_channel(target)) from exc
        return Receipt(str(channel_id), str(sent.id))

    async def _forum(self, target: Target, channel_id: int) -> Forum | None:
        """The forum a channel target is, if it is one."""
        if self.forums is None or target.kind is DestinationKind.DM:
            return None
        return await self.forums.forum(channel_id)

    async def edit_message(self, channel_id: int, message_id: int, rendered: Rendered) -> None:
        """Replace one posted message's words and buttons."""
        partial = self.client.get_partial_messageable(channel_id)
        await self.pacer.wait()
        await partial.get_partial_message(message_id).edit(
            content=rendered.content,
            embeds=rendered.embeds,
            view=rendered.view(),
            allowed_mentions=rendered.allowed_mentions,
        )

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        """Replace a posted message (a check-in prompt once answered); its files stay."""
        channel_id = int(receipt.channel_id)
        if target.kind is DestinationKind.DM and target.user_id and target.user_id.isdigit():
            self.remember_dm(int(target.user_id), channel_id)
        # A forum post is a thread whose starter message has the thread's id.
        forum_post = _is_channel(target) and receipt.channel_id == receipt.message_id
        try:
            if forum_post and self.forums is not None:
                await self.forums.edit(channel_id, message, target.community_id)
            else:
                rendered = render(message, target.community_id)
                await self.edit_message(channel_id, int(receipt.message_id), rendered)
        except _FAILURES as exc:
            where = self._where(target, channel_id)
            raise delivery_error(exc, where, channel=_is_channel(target), editing=True) from exc

    async def find_sent(self, target: Target, key: str, window: object = None) -> Receipt | None:
        """After a crash mid-send: our recent message carrying this key (any window: one read)."""
        channel_id: int | None = None
        try:
            channel_id = await self._channel(target)
            forum = await self._forum(target, channel_id)
            if forum is not None and self.forums is not None:
                return await self.forums.find(forum, key)
            await self.pacer.wait()
            recent = await self.client.http.logs_from(channel_id, RECOVERY_WINDOW)
        except _FAILURES as exc:
            where = self._where(target, channel_id)
            raise delivery_error(exc, where, channel=_is_channel(target)) from exc
        me = self.client.user.id if self.client.user else None
        for data in recent:
            if me is not None and int(data["author"]["id"]) != me:
                continue
            embeds = data.get("embeds") or []
            footer = str(embeds[-1].get("footer", {}).get("text", "")) if embeds else ""
            if read_marker(footer) == key:
                return Receipt(str(channel_id), str(data["id"]))
        return None
