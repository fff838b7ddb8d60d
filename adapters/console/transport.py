"""The console's transport: scheduled DMs and channel posts printed, clearly labelled.

A post's attachments are written beside the database (adapters/console/files.py) and their
paths printed with it; an edit prints where the post's files went, without writing them again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from zoneinfo import ZoneInfo

from adapters.console.files import FileDrop, save_all
from adapters.console.render import render_message
from bot.clock import Clock
from bot.delivery import Receipt, Target
from bot.messages import Message
from bot.models import DestinationKind
from bot.transport import SentWindow


class ConsoleTransport:
    """Prints what the bot posts; remembers posts so edits can refer to them."""

    platform = "console"
    max_per_second = float("inf")
    lookups_per_minute: float | None = None
    # No native events in a terminal: the outbox marks their rows delivered.
    events = None

    def __init__(
        self,
        clock: Clock,
        write: Callable[[str], None],
        buttons: Callable[[Message], list[str]],
        default_zone: Callable[[], str],
        files: FileDrop | None = None,
    ) -> None:
        self.clock = clock
        self._write = write
        # Numbers a message's buttons for /press.
        self._buttons = buttons
        self._default_zone = default_zone
        self.files = files
        self._ids = itertools.count(1)
        self.sent: dict[str, Receipt] = {}
        # What each post's attachments became, by message id, for its edits.
        self._file_lines: dict[str, list[str]] = {}

    def _show(self, target: Target, message: Message, header: str, files: list[str]) -> None:
        zone = ZoneInfo(target.timezone or self._default_zone())
        now = self.clock.now()
        local = now.astimezone(zone).strftime("%a %d %b %H:%M %Z")
        lines = [f"\u2500\u2500 {header} \u00b7 {local} \u2500\u2500"]
        lines += render_message(message, zone, now, self._buttons(message), files)
        self._write("\n".join(lines))

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        """Print a DM or a channel post."""
        if target.kind is DestinationKind.DM:
            assert target.user_id is not None
            header, channel = f"DM to {target.user_id}", f"dm-{target.user_id}"
        else:
            channel = target.channel_id or "?"
            header = f"#{channel}"
        files = [saved.line() for saved in save_all(self.files, message.attachments)]
        self._show(target, message, header, files)
        receipt = Receipt(channel, str(next(self._ids)))
        self.sent[key] = receipt
        if files:
            self._file_lines[receipt.message_id] = files
        return receipt

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        """Print the new version of an earlier message."""
        where = f"DM to {target.user_id}" if target.user_id else f"#{receipt.channel_id}"
        files = self._file_lines.get(receipt.message_id, [])
        self._show(target, message, f"{where} (message updated)", files)

    async def find_sent(
        self, target: Target, key: str, window: SentWindow | None = None
    ) -> Receipt | None:
        """Whether this session already printed the message."""
        return self.sent.get(key)
