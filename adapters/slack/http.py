"""Slack's HTTP requests: the signature is checked before anything reads the body.

bolt would parse the body before checking the signature, so a malformed unsigned body
(``payload={``, a JSON list, bytes that aren't UTF-8, a timestamp that isn't a number) ended
in a 500 and a traceback. Here the request is refused first, quietly: 401 without a valid
signature, 401 for a signature already used (a replay; on a shared database, by any process),
400 for a signed body bolt can't read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import Clock as SdkClock
from slack_sdk.signature import SignatureVerifier

from bot.clock import Clock
from bot.replay import SeenOnce

log = logging.getLogger(__name__)

# slack_sdk's SignatureVerifier accepts a timestamp this far from now, either way.
SIGNATURE_WINDOW = timedelta(minutes=5)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class _SdkClock(SdkClock):
    """Our clock in the shape slack_sdk's verifier asks for (seconds since the epoch)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.now().timestamp()


def _refuse(status: int, error: str) -> web.Response:
    return web.json_response({"error": error}, status=status)


class SignedRequests:
    """The Request URL's handler: signature, then replay, then bolt (which acks first)."""

    def __init__(self, app: AsyncApp, signing_secret: str, *, clock: Clock, seen: SeenOnce):
        self.app = app
        self.seen = seen
        self.verifier = SignatureVerifier(signing_secret, clock=_SdkClock(clock))

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one POST from Slack."""
        raw = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        problem, body = self._unsigned(raw, timestamp, signature)
        if problem:
            log.info("refused a Slack request: %s", problem)
            return _refuse(401, "invalid request")
        until = datetime.fromtimestamp(int(timestamp), UTC) + SIGNATURE_WINDOW
        if not await self.seen.first_use(signature, until):
            log.warning("refused a Slack request: its signature was already used (a replay)")
            return _refuse(401, "invalid request")
        headers: dict[str, str | Sequence[str]] = dict(request.headers)
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            # Signed but unreadable: only someone holding the signing secret can send one.
            log.warning("refused a signed Slack request bolt can't read (%s)", type(exc).__name__)
            return _refuse(400, "malformed request")
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    def _unsigned(self, raw: bytes, timestamp: str, signature: str) -> tuple[str, str]:
        """Why the request isn't validly signed ("" if it is), and its body as text."""
        if not _TIMESTAMP.fullmatch(timestamp):
            return "no valid X-Slack-Request-Timestamp", ""
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Slack signs UTF-8 text; bytes that aren't can't carry its signature.
            return "the body is not UTF-8", ""
        if not self.verifier.is_valid(body, timestamp, signature):
            return "bad or expired signature", ""
        return "", body
