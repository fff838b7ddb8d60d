"""Posting and editing the core's outbox messages in Slack (the Transport the dispatcher uses)."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import history
from adapters.slack.blocks import fallback_text, message_blocks
from adapters.slack.files import UPLOAD_FAILURES, keyed_blocks, upload
from adapters.slack.history import EVENT_TYPE as EVENT_TYPE
from bot.delivery import DeliveryError, Receipt, RecipientUnreachable, Target
from bot.messages import Message
from bot.models import DestinationKind
from bot.pacing import Pacer
from bot.transport import SentWindow

log = logging.getLogger(__name__)

# chat.postMessage, "Rate limiting" (docs.slack.dev/reference/methods/chat.postMessage):
# "generally allow an app to post 1 message per second to a specific channel. There are
# limits governing your app's relationship with the entire workspace above that, limiting
# posting to several hundred messages per minute." We take the lowest reading of "several
# hundred", 300 a minute, for the workspace; the dispatcher paces every send and edit under it.
WORKSPACE_POSTS_PER_MINUTE = 300
# Pace a little below the limit, not on it: requests reach Slack with some jitter, and at
# exactly the limit any two that arrive close together would meet a 429.
PACE_SHARE = 0.9
CHANNEL_POST_INTERVAL = 1.0  # seconds between posts to one channel (1 per second)
# A file share also reads the channel's history back (conversations.history, Tier 3: "50+
# per minute"), so shares are paced under that, within the dispatcher's pace for all sends.
SHARES_PER_MINUTE = 50

# Slack shares an uploaded file a moment after completeUploadExternal answers: how long to
# wait before each look for the share's ts (then the outbox looks again on its next try).
# Outside the Marketplace history allows one read a minute (history.py): a second look meets
# a 429, and the row is then looked up at its workspace's turn.
SHARE_LOOKUPS = (0.0, 1.0, 2.0)
# A share's receipt when its message can't be read back: the file's id instead of a ts.
FILE_RECEIPT = "file:"

# The person can't be reached now but may be later (guest visibility, Slack Connect).
_UNREACHABLE = {"user_not_visible", "invalid_user_combination"}
# Posting to a member's user id: Slack couldn't find a DM to put it in.
_NO_DM = {"channel_not_found"}
# The person can never be reached: don't retry.
_GONE = {"user_not_found", "user_disabled", "cannot_dm_bot", "users_not_found"}
# Slack will refuse this exact payload every time: retrying can't help.
_BAD_PAYLOAD = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "too_many_attachments",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
    "invalid_arguments",
}
# Fixable only by an admin: the outbox keeps the post waiting (a day at a time, without using
# up its retries) and /admin channel releases it, to whatever channel the purpose points at.
_ADMIN_FIX = {
    "not_in_channel": "the bot isn't in channel {channel}: invite it with /invite @Crossfade",
    "channel_not_found": "channel {channel} is gone or private to the bot: invite the bot or "
    "run /admin channel in another channel",
    "is_archived": "channel {channel} is archived: run /admin channel in another channel",
    "messages_tab_disabled": "the app's Messages tab is off: turn it on under App Home",
    "invalid_auth": "Slack rejected the bot token: check SLACK_BOT_TOKEN",
    "not_authed": "no bot token was sent: check SLACK_BOT_TOKEN",
    "account_inactive": "the bot token belongs to a deactivated app or workspace",
    "token_revoked": "the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN",
    "token_expired": "the bot token expired: reinstall the app and update SLACK_BOT_TOKEN",
    "missing_scope": "the app lacks a scope: reinstall it from `crossfade slack-manifest`",
}


# Slack may have stored the post before answering so (chat.postMessage errors: "It's possible
# some aspect of the operation succeeded before the error was raised"): look before a retry.
_MAYBE_POSTED = {"internal_error", "fatal_error", "service_unavailable"}
# Network failures before the request left: retrying can't post twice. Any other (a reset,
# a dropped connection, no answer within the timeout) may come after Slack stored it.
_NEVER_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)
# slack_sdk retry handlers that only repeat what Slack refused (a 429 stores nothing). Any
# other retries a post behind the outbox's back, which may post it twice.
_SAFE_RETRIES = (AsyncRateLimitErrorRetryHandler,)


def _answer(exc: SlackApiError) -> tuple[int, dict[str, Any], Any]:
    """Status, Slack's JSON answer ({} when the body wasn't JSON) and headers of a failure.

    slack_sdk hands over its own response, whose data may be text or bytes for a body that
    isn't JSON (a load balancer's HTML page), or aiohttp's response when JSON didn't parse.
    """
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", 0)
    data = getattr(response, "data", None)
    return int(status or 0), data if isinstance(data, dict) else {}, response.headers


def _retry_after(headers: Any) -> float | None:
    """Slack's Retry-After in seconds, if it sent a usable one."""
    try:
        wait = headers.get("Retry-After") or headers.get("retry-after")
        return float(wait) if wait else None
    except (AttributeError, TypeError, ValueError):
        return None


def delivery_error(
    exc: SlackApiError | SlackRequestError | aiohttp.ClientError | TimeoutError,
    channel: str,
    *,
    dm: bool = False,
) -> DeliveryError:
    """What a failed Slack call means for the outbox: wait, retry later, look first, or give up."""
    if isinstance(exc, SlackRequestError):
        # The upload URL refused the bytes: nothing was shared yet, a retry can't post twice.
        return DeliveryError(f"Slack refused a file upload: {exc}")
    if not isinstance(exc, SlackApiError):
        if isinstance(exc, _NEVER_SENT):
            return DeliveryError(f"Slack unreachable: {type(exc).__name__}")
        return DeliveryError(f"no answer from Slack: {type(exc).__name__}", ambiguous=True)
    status, body, headers = _answer(exc)
    if status == 429:
        return DeliveryError("ratelimited", retry_after=_retry_after(headers))
    code = body.get("error")
    if not isinstance(code, str):
        # Not Slack's answer but a proxy's page: a 4xx refused the request, anything else
        # (a 5xx above all) may have come after Slack stored the post.
        return DeliveryError(
            f"HTTP {status} without an answer from Slack", ambiguous=status >= 500 or status < 400
        )
    if status >= 500 or code in _MAYBE_POSTED:
        return DeliveryError(f"{code} (HTTP {status})", ambiguous=True)
    if code in _UNREACHABLE or (dm and code in _NO_DM):
        return RecipientUnreachable(code)
    if code in _GONE:
        return DeliveryError(code, permanent=True)
    if code in _BAD_PAYLOAD:
        log.error("Slack refused a message payload (%s) for %s", code, channel)
        return DeliveryError(code, permanent=True)
    if code in _ADMIN_FIX:
        reason = _ADMIN_FIX[code].format(channel=channel)
        log.error("Slack delivery needs an admin: %s", reason)
        return DeliveryError(f"{code}: {reason}", needs_admin=True)
    return DeliveryError(code)


class SlackTransport:
    """Sends outbox messages as Block Kit posts to members' DMs and to channels.

    A first DM is posted to the member's user id, which Slack delivers to the app's DM with
    them and answers with that DM's channel id (the core remembers it for later posts). That
    saves a conversations.open (Tier 3, 50+ a minute) per member, which a weekly fan-out to
    thousands would soon exhaust.
    """

    platform = "slack"
    max_per_second = WORKSPACE_POSTS_PER_MINUTE / 60 * PACE_SHARE
    # Slack has no native events: the outbox marks their rows delivered, sending nothing.
    events = None
    # find_sent's conversations.history calls: one a minute per workspace (history.py).
    lookups_per_minute: float | None = history.LOOKUPS_PER_MINUTE

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        max_per_second: float | None = None,
        channel_interval: float = CHANNEL_POST_INTERVAL,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # The adapter's client, minus retries that would repeat a post Slack may have stored:
        # the outbox decides about those (it looks first).
        self.client = copy.copy(client)
        self.client.retry_handlers = [
            h for h in client.retry_handlers if isinstance(h, _SAFE_RETRIES)
        ]
        if max_per_second is not None:
            self.max_per_second = max_per_second
        self._channel_interval = channel_interval
        # The monotonic clock and sleep that pace one channel's posts (the event loop's by
        # default; tests pass a manual clock whose sleep moves it on).
        self._clock = clock
        self._sleep = sleep
        self._channel_locks: dict[str, asyncio.Lock] = {}
        self._channel_free_at: dict[str, float] = {}
        self.shares_per_second = SHARES_PER_MINUTE / 60 * PACE_SHARE
        self._share_pacer: Pacer | None = None

    @staticmethod
    def _post_to(target: Target) -> str:
        """Where to post: the DM's channel if known, else the member's id; or the channel."""
        if target.kind is DestinationKind.DM:
            if target.user_id is None:
                raise DeliveryError("a DM without a member", permanent=True)
            return target.channel_id or target.user_id
        if not target.channel_id:
            raise DeliveryError("no channel to post to")
        return target.channel_id

    async def _history_channel(self, target: Target) -> str:
        """A channel id to read history from (a DM not yet known needs conversations.open)."""
        posted_to = self._post_to(target)
        if target.kind is DestinationKind.DM and posted_to == target.user_id:
            response = await self.client.conversations_open(users=posted_to)
            posted_to = str(response["channel"]["id"])
        return posted_to

    async def _wait_channel_turn(self, channel: str) -> None:
        """Keep to Slack's one post per second per channel (bursts into one channel queue up)."""
        clock = self._clock or asyncio.get_running_loop().time
        lock = self._channel_locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._channel_free_at.get(channel, 0.0) - clock()
            if wait > 0:
                await self._sleep(wait)
            self._channel_free_at[channel] = clock() + self._channel_interval
        if len(self._channel_free_at) > 10_000:
            now = clock()
            for key in [k for k, t in self._channel_free_at.items() if t < now]:
                self._channel_free_at.pop(key, None)
                self._channel_locks.pop(key, None)

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        """Post a message; its outbox key goes into the message metadata.

        A message with attachments is one file share instead (``_share``).
        """
        if message.attachments:
            return await self._share(target, message, key)
        channel = self._post_to(target)
        dm = target.kind is DestinationKind.DM
        try:
            return await self._post(channel, message, key, dm=dm)
        except RecipientUnreachable as exc:
            if not (dm and exc.reason == "channel_not_found" and channel != target.user_id):
                raise
        # A remembered DM channel Slack no longer knows: post to the member's id instead.
        assert target.user_id is not None
        log.info("DM channel %s is gone; posting to %s", channel, target.user_id)
        return await self._post(target.user_id, message, key, dm=True)

    async def _post(self, channel: str, message: Message, key: str, *, dm: bool) -> Receipt:
        try:
            await self._wait_channel_turn(channel)
            response = await self.client.chat_postMessage(
                channel=channel,
                text=fallback_text(message),
                blocks=message_blocks(message),
                metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise delivery_error(exc, channel, dm=dm) from exc
        return Receipt(str(response["channel"]), str(response["ts"]))

    async def _share(self, target: Target, message: Message, key: str) -> Receipt:
        """Upload a message's files as one message showing its blocks, the key in a block id.

        The share goes to a channel id (a DM's is opened first: completeUploadExternal takes
        no user id). Its ts is read back from the channel's history. Once the upload is
        complete every failure is ambiguous, so the outbox looks (find_sent) before a retry.
        """
        dm = target.kind is DestinationKind.DM
        where = target.channel_id or target.user_id or "?"
        blocks = keyed_blocks(message_blocks(message), key)
        pacer = self._share_pacer
        if pacer is None or pacer.rate != self.shares_per_second:
            pacer = self._share_pacer = Pacer(self.shares_per_second, asyncio.sleep)
        await pacer.take()
        try:
            channel = await self._history_channel(target)
            where = channel
            try:
                await self._wait_channel_turn(channel)
                files = await upload(self.client, channel, message.attachments, blocks)
            except SlackApiError as exc:
                code = _answer(exc)[1].get("error")
                if not (dm and code == "channel_not_found" and channel == target.channel_id):
                    raise
                # A remembered DM channel Slack no longer knows: open the DM again.
                assert target.user_id is not None
                log.info("DM channel %s is gone; opening the DM with %s", channel, target.user_id)
                opened = await self.client.conversations_open(users=target.user_id)
                channel = where = str(opened["channel"]["id"])
                await self._wait_channel_turn(channel)
                files = await upload(self.client, channel, message.attachments, blocks)
        except UPLOAD_FAILURES as exc:
            raise delivery_error(exc, where, dm=dm) from exc
        return await self._shared(channel, key, files)

    async def _shared(self, channel: str, key: str, files: list[str]) -> Receipt:
        """The ts of a completed share, read from history (Slack shows it a moment later)."""
        try:
            for wait in SHARE_LOOKUPS:
                if wait:
                    await self._sleep(wait)
                messages, _ = await history.read_page(self.client, channel, None)
                found = history.keyed(messages, channel, key)
                if found is not None:
                    return found
            reason = "its message isn't in the channel's history yet"
        except SlackApiError as exc:
            code = _unreadable(exc)
            if code is not None:
                # Shared, but never to be found: delivered, with a receipt edits refuse.
                log.warning("files shared in %s; its history can't be read (%s)", channel, code)
                return Receipt(channel, FILE_RECEIPT + (files[0] if files else ""))
            reason = f"reading history failed: {exc}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = f"reading history failed: {type(exc).__name__}"
        raise DeliveryError(f"Slack took the files for {channel}, but {reason}", ambiguous=True)

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        """Replace a posted message in place (chat.update); files it was posted with stay."""
        if receipt.message_id.startswith(FILE_RECEIPT):
            raise DeliveryError(
                f"the files shared in {receipt.channel_id} can't be edited: their message "
                "was never seen (the bot can't read that channel's history)",
                permanent=True,
            )
        try:
            await self.client.chat_update(
                channel=receipt.channel_id,
                ts=receipt.message_id,
                text=fallback_text(message),
                blocks=message_blocks(message),
                # chat.update's parse defaults to "client"; user text must stay literal.
                parse="none",
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise delivery_error(exc, receipt.channel_id) from exc

    async def find_sent(
        self, target: Target, key: str, window: SentWindow | None = None
    ) -> Receipt | None:
        """The post carrying this outbox key in the channel's history around ``window``."""
        channel = target.channel_id or target.user_id or "?"
        try:
            channel = await self._history_channel(target)
            return await history.find_keyed(self.client, channel, key, window)
        except SlackApiError as exc:
            code = _unreadable(exc)
            if code is not None:
                # History can't be read here: sending again risks a duplicate, never a loss.
                log.warning("can't check %s for an earlier post (%s)", channel, code)
                return None
            failure = delivery_error(exc, channel)
            if _answer(exc)[0] == 429 and failure.retry_after is None:
                failure.retry_after = 60.0  # no Retry-After: the limit is per minute
            raise failure from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise delivery_error(exc, channel) from exc


def _unreadable(exc: SlackApiError) -> str | None:
    """Slack's reason the bot can't read a channel's history, if that is what it said."""
    status, body, _ = _answer(exc)
    code = body.get("error")
    if status != 429 and code in ("not_in_channel", "channel_not_found", "missing_scope"):
        return str(code)
    return None
