"""Reading a channel's history back to find an outbox post by its key (conversations.history).

Slack's rate-limit page (docs.slack.dev/apis/web-api/rate-limits, "App types and rate
limits", and its changelog of 2025-05-29): for commercially distributed apps not approved
for the Marketplace, conversations.history is limited to 1 request per minute, and its
``limit`` to at most (and by default) 15 messages; limits apply "per API method per
workspace/team per app". So a lookup reads one page of at most 15 messages, of only the
moments around the attempt (``oldest``/``latest``, ``inclusive``), and the core's outbox
gives each workspace one lookup a minute (bot/lookups.py). A page that doesn't settle it
hands its cursor back (``LookupUnfinished``): the next page waits for the next turn.

Every function takes the client to use, so each workspace's own client (token) can be given.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.files import block_key
from bot.transport import LookupUnfinished, Receipt, SentWindow

# Each outbox message carries its key in message metadata, so after a crash the
# dispatcher can ask Slack whether the post went out before sending it again.
EVENT_TYPE = "crossfade_outbox"
# Messages per conversations.history call: Slack's maximum for apps outside the Marketplace.
HISTORY_PAGE = 15
# conversations.history calls a workspace allows the app per minute (outside the Marketplace).
LOOKUPS_PER_MINUTE = 1.0
# Slack stamps a message's ts on its own clock; the window comes from ours. Five minutes is
# the skew slack_sdk's SignatureVerifier tolerates in Slack's requests (and our replay guard
# allows for): a host further off refuses every request Slack signs. A wider window only
# costs another page where more than 15 messages fall inside it; a narrower one could miss a
# post and send it twice.
CLOCK_SKEW = timedelta(minutes=5)


def _bare(client: AsyncWebClient) -> AsyncWebClient:
    """The client without retry handlers: a 429 goes back to the outbox, never slept on here."""
    bare = copy.copy(client)
    bare.retry_handlers = []
    return bare


def _slack_ts(seconds: float) -> str:
    return f"{seconds:.6f}"


async def read_page(
    client: AsyncWebClient, channel: str, window: SentWindow | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One call: the window's messages (or the newest), newest first, and a cursor if more."""
    params: dict[str, Any] = {
        "channel": channel,
        "include_all_metadata": True,
        "limit": HISTORY_PAGE,
    }
    if window is not None:
        params["oldest"] = _slack_ts((window.after - CLOCK_SKEW).timestamp())
        params["latest"] = _slack_ts((window.before + CLOCK_SKEW).timestamp())
        params["inclusive"] = True
        if window.resume:
            params["cursor"] = window.resume
    response = await _bare(client).conversations_history(**params)
    messages = list(response.get("messages") or [])
    cursor = (response.get("response_metadata") or {}).get("next_cursor")
    more = bool(response.get("has_more")) and isinstance(cursor, str) and bool(cursor)
    return messages, cursor if more else None


async def find_keyed(
    client: AsyncWebClient, channel: str, key: str, window: SentWindow | None
) -> Receipt | None:
    """The post carrying this key in the window; LookupUnfinished if a page isn't enough."""
    messages, cursor = await read_page(client, channel, window)
    found = keyed(messages, channel, key)
    if found is None and cursor is not None:
        raise LookupUnfinished(cursor)
    return found


def keyed(messages: list[dict[str, Any]], channel: str, key: str) -> Receipt | None:
    """The message carrying this key: in its metadata (a post) or first block id (a share)."""
    for posted in messages:
        metadata = posted.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
            return Receipt(channel, str(posted["ts"]))
        if block_key(posted) == key:
            return Receipt(channel, str(posted["ts"]))
    return None
