"""What the core asks of a platform to deliver the outbox: where to post, and the transport.

Adapters implement ``Transport``; the Dispatcher (bot/delivery.py) drives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot import native_events as native
from bot.messages import Message
from bot.models import DestinationKind


@dataclass(frozen=True)
class Target:
    """Where a transport should post: a member's DMs or a channel, in platform ids."""

    community_id: str
    kind: DestinationKind
    user_id: str | None = None
    channel_id: str | None = None
    # The reader's zone, for transports that print times as text (the console).
    timezone: str | None = None


@dataclass(frozen=True)
class Receipt:
    """A posted message's platform ids, kept so it can be edited later."""

    channel_id: str
    message_id: str


@dataclass(frozen=True)
class SentWindow:
    """When an earlier attempt may have put the post on the platform, for ``find_sent``.

    From the attempt's claim (``after``) to the end of its lease (``before``), on the core's
    clock (UTC): the platform allows for its own clock. ``resume`` is where a lookup that
    read one page of that history reads on (the platform's cursor).
    """

    after: datetime
    before: datetime
    resume: str | None = None


class DeliveryError(Exception):
    """Sending failed.

    ``retry_after`` is the platform's wait; ``permanent`` means don't retry; ``needs_admin``
    means an admin must fix something (invite the bot, pick another channel): the message
    waits without using up its retries, and ``/admin channel`` releases it. ``ambiguous``
    means the platform may have stored the message anyway (a 5xx, a reset connection, an
    answer lost past the timeout): like a crash mid-send, the next try looks it up first.
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        needs_admin: bool = False,
        ambiguous: bool = False,
    ):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        self.needs_admin = needs_admin
        self.ambiguous = ambiguous


class RecipientUnreachable(DeliveryError):
    """The member can't receive direct messages from the bot (closed DMs)."""


class LookupUnfinished(DeliveryError):
    """``find_sent`` read what one history call may: it reads on from ``resume`` next turn."""

    def __init__(self, resume: str) -> None:
        super().__init__("looked through one page of history; reading on at the next turn")
        self.resume = resume


class Transport(Protocol):
    """A platform's way of posting and editing messages; adapters implement it."""

    platform: str
    # Sustained sends per second the platform allows this bot.
    max_per_second: float
    # History reads (find_sent) the platform allows per minute per community; None: no
    # limit of their own (they count against max_per_second, or cost nothing).
    lookups_per_minute: float | None

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        """Post a message; ``key`` identifies it so a retry can be recognised."""
        ...

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        """Replace a message posted earlier."""
        ...

    async def find_sent(
        self, target: Target, key: str, window: SentWindow | None = None
    ) -> Receipt | None:
        """After a crash or an ambiguous failure: the message with this key, if it got there.

        ``window``: when the attempt was made (None: unknown, look at the recent messages).
        Raises ``LookupUnfinished`` when the platform needs another turn to finish looking.
        """
        ...

    @property
    def events(self) -> native.EventTransport | None:
        """The platform's native events (bot/native_events.py); None where it has none."""
        ...
