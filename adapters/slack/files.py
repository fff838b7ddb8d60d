"""A message's attachments on Slack: one file-share message, made by slack_sdk's upload flow.

``files_upload_v2`` (slack_sdk 3.48, web/async_client.py) makes these calls, in order:
``files.getUploadURLExternal`` per file (its name and length), a POST of the file's bytes to
the upload URL that answers, then one ``files.completeUploadExternal`` naming every file, with
``channel_id`` and the message's ``blocks``, which shares them as one message showing the blocks
above the files. Nothing is visible in Slack before that last call, and it is the only one that
posts: it is the call an outbox retry must not repeat blindly.

completeUploadExternal takes no ``text`` and no message metadata: the outbox key goes in the
first block's ``block_id`` instead (see ``keyed_blocks``), where conversations.history shows it.
slack_sdk sends that call's arguments as query parameters, so ``blocks`` go as a JSON string.
Slack learns each file's type from its name; the media type isn't sent.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Attachment

# Failures an upload can end in: Slack's answers, the upload URL refusing the bytes
# (SlackRequestError, before anything was shared), and the network.
UPLOAD_FAILURES = (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError)
# A block_id carrying an outbox key: "crossfade_outbox:cf-12" (block ids go up to 255).
KEY_BLOCK_PREFIX = "crossfade_outbox:"


def keyed_blocks(blocks: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The blocks with the outbox key as the first block's id (invisible to readers)."""
    first = {**blocks[0], "block_id": f"{KEY_BLOCK_PREFIX}{key}"}
    return [first, *blocks[1:]]


def block_key(message: dict[str, Any]) -> str | None:
    """The outbox key a file-share message carries in its first block, if any."""
    blocks = message.get("blocks") or []
    block_id = str(blocks[0].get("block_id", "")) if blocks else ""
    if not block_id.startswith(KEY_BLOCK_PREFIX):
        return None
    return block_id.removeprefix(KEY_BLOCK_PREFIX)


async def upload(
    client: AsyncWebClient,
    channel: str,
    attachments: tuple[Attachment, ...],
    blocks: list[dict[str, Any]],
) -> list[str]:
    """Share ``attachments`` in ``channel`` (a channel id) as one message; the files' ids."""
    response = await client.files_upload_v2(
        file_uploads=[
            {"filename": a.filename, "content": a.data, "title": a.filename} for a in attachments
        ],
        channel=channel,
        blocks=json.dumps(blocks),
    )
    return [str(f.get("id", "")) for f in response.get("files") or []]
