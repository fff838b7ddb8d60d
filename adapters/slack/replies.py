"""Answering a person where they asked: by response_url, ephemerally, in the channel or by DM.

Files can't go in an ephemeral message or a response_url answer. A reply with attachments is
shared as a message of its own (adapters/slack/files.py): in the channel when the reply is
public, otherwise in the member's DM with the app, where they keep it. The usual private reply
then says where the files went, unless the member asked in that DM.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import fallback_text, message_blocks
from adapters.slack.files import UPLOAD_FAILURES, upload
from adapters.slack.modals import form_view
from adapters.slack.requests import Origin, dump_meta
from bot.messages import Form, Message, Text

log = logging.getLogger(__name__)

_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError)


class Replies:
    """Sends a Response's message back to the person, and opens its forms as modals."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send(
        self, origin: Origin, message: Message, *, public: bool = False, replace: bool = False
    ) -> None:
        """Answer: the response_url first (works in any channel), then the channel, then DMs."""
        if message.attachments:
            await self._send_files(origin, message, public=public, replace=replace)
            return
        text, blocks = fallback_text(message), message_blocks(message)
        if origin.response_url and await self._respond(
            origin.response_url, text, blocks, public, replace
        ):
            return
        if origin.channel_id:
            try:
                if public:
                    await self.client.chat_postMessage(
                        channel=origin.channel_id, text=text, blocks=blocks
                    )
                else:
                    await self.client.chat_postEphemeral(
                        channel=origin.channel_id, user=origin.user_id, text=text, blocks=blocks
                    )
                return
            except _FAILURES as exc:
                log.info("reply in %s failed (%s); sending it by DM", origin.channel_id, exc)
        await self.direct(origin.user_id, message)

    async def _send_files(
        self, origin: Origin, message: Message, *, public: bool, replace: bool
    ) -> None:
        """A reply with files: shared in the channel (public) or the member's DM, then said."""
        names = ", ".join(a.filename for a in message.attachments)
        if public and origin.channel_id:
            try:
                await upload(
                    self.client, origin.channel_id, message.attachments, message_blocks(message)
                )
                return
            except UPLOAD_FAILURES as exc:
                log.info("files in %s refused (%s); sending them by DM", origin.channel_id, exc)
        try:
            dm = await self._dm_channel(origin.user_id)
            await upload(self.client, dm, message.attachments, message_blocks(message))
        except UPLOAD_FAILURES as exc:
            log.warning("could not share %s with %s: %s", names, origin.user_id, exc)
            note = f"\U0001f4ce I couldn't attach {names}: Slack refused the upload. Try again?"
            await self.send(origin, _noted(message, note), replace=replace)
            return
        if origin.channel_id == dm and not replace:
            return  # asked in the DM: the shared message is the answer
        note = (
            f"\U0001f4ce {names}: in your direct messages with me "
            "(Slack can't attach files to a reply only you can see)."
        )
        await self.send(origin, _noted(message, note), replace=replace)

    async def _dm_channel(self, user_id: str) -> str:
        """The channel id of the app's DM with someone (a share needs a channel id)."""
        response = await self.client.conversations_open(users=user_id)
        return str(response["channel"]["id"])

    async def direct(self, user_id: str, message: Message) -> None:
        """Send a message to someone's DMs with the app."""
        if message.attachments:
            try:
                dm = await self._dm_channel(user_id)
                await upload(self.client, dm, message.attachments, message_blocks(message))
            except UPLOAD_FAILURES:
                log.exception("could not share files with %s at all", user_id)
            return
        try:
            # A user id as the channel posts to the app's DM with them.
            await self.client.chat_postMessage(
                channel=user_id,
                text=fallback_text(message),
                blocks=message_blocks(message),
            )
        except _FAILURES:
            log.exception("could not reply to %s at all", user_id)

    async def _respond(
        self, url: str, text: str, blocks: list[dict[str, Any]], public: bool, replace: bool
    ) -> bool:
        body = {
            "text": text,
            "blocks": blocks,
            "response_type": "in_channel" if public else "ephemeral",
            "replace_original": replace,
        }
        try:
            response = await AsyncWebhookClient(url).send_dict(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("response_url failed (%s); answering another way", exc)
            return False
        if response.status_code != 200:
            # Expired (30 minutes, 5 uses) or refused: answer another way.
            log.info("response_url answered %s; answering another way", response.status_code)
            return False
        return True

    async def open_form(self, origin: Origin, form: Form) -> bool:
        """Open a form as a modal on the request's trigger; False if Slack wouldn't."""
        if not origin.trigger_id:
            return False
        view = form_view(form, metadata=dump_meta(form.form_id, origin))
        try:
            await self.client.views_open(trigger_id=origin.trigger_id, view=view)
        except _FAILURES as exc:
            log.warning("views.open failed: %s", exc)
            return False
        return True


def _noted(message: Message, note: str) -> Message:
    """The message without its files, saying where they went in its footer."""
    footer: Text = (*message.footer, "\n", note) if message.footer else (note,)
    return replace(message, attachments=(), footer=footer)
