"""A loopback fake of Slack for tests: Web API, response_url, Socket Mode and request signing.

The fake is an aiohttp server bound to 127.0.0.1 on an ephemeral port. Point the real
slack_sdk clients at it::

    async with SlackFake() as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        call = await fake.wait_for("chat.postMessage")

Everything the bot sends is recorded in order; tests wait for records with
``await fake.wait_for(...)`` (an asyncio.Condition, never a sleep loop).

Files go through Slack's external upload, as slack_sdk's files_upload_v2 makes it:
files.getUploadURLExternal hands out an upload URL served by the fake itself, the bytes are
POSTed there (each POST is kept, ``fake.upload_posts``), and files.completeUploadExternal shares
the files as one message (``fake.files`` has each file with its bytes and where it went).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import mimetypes
import secrets
import socket
import struct
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.web_request import FileField

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SIGNING_SECRET",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "DEFAULT_USER_ID",
    "HISTORY_MAX_LIMIT",
    "HISTORY_PER_MINUTE",
    "HTML_ERROR_PAGE",
    "POST_MESSAGE_BURST",
    "POST_MESSAGE_PER_CHANNEL_PER_SECOND",
    "SIGNATURE_MAX_AGE_SECONDS",
    "ApiCall",
    "FakeTeam",
    "FaultKind",
    "ManualClock",
    "PostStats",
    "ResponseUrlPost",
    "SignedRequest",
    "SlackFake",
    "UploadedFile",
    "block_actions_payload",
    "new_trigger_id",
    "sign_request",
    "signed_form_request",
    "signed_payload_request",
    "slash_command_body",
    "view_submission_payload",
]

DEFAULT_BOT_TOKEN = "xoxb-0000-crossfade-test"
DEFAULT_APP_TOKEN = "xapp-1-A0CROSSFD-0000-crossfade-test"
DEFAULT_SIGNING_SECRET = "crossfade-test-signing-secret"
DEFAULT_TEAM_ID = "T0CROSSFD"
DEFAULT_TEAM_DOMAIN = "crossfade-test"
DEFAULT_APP_ID = "A0CROSSFD"
DEFAULT_BOT_USER_ID = "U0CROSSBOT"
DEFAULT_BOT_ID = "B0CROSSBOT"
DEFAULT_USER_ID = "U0TESTUSER"

# Slack docs, "Rate limits" (docs.slack.dev/apis/web-api/rate-limits): chat.postMessage is in the
# "Special" tier - "generally allows posting one message per second per channel, while also
# maintaining a workspace-wide limit"; "Posting messages: 1 per second. Short bursts >1 allowed."
# The page gives no burst size and no number for the workspace-wide limit, so the burst of 3
# below is our assumption and the workspace limit is opt-in (None = not enforced).
POST_MESSAGE_PER_CHANNEL_PER_SECOND = 1.0
POST_MESSAGE_BURST = 3

# Slack docs, "Rate limits" (App types and rate limits) and its 2025-05-29 changelog: for apps
# outside the Marketplace, conversations.history allows 1 request per minute, and its ``limit``
# defaults to and is at most 15; limits apply per method per workspace per app. Opt-in here
# (SlackFake.enable_history_limit), as a 60-second sliding window per workspace's token.
HISTORY_PER_MINUTE = 1
HISTORY_MAX_LIMIT = 15

# slack_sdk.signature.SignatureVerifier rejects timestamps more than five minutes off.
SIGNATURE_MAX_AGE_SECONDS = 60 * 5

# Fields Slack accepts as JSON strings inside form-encoded bodies; decoded so tests see lists/dicts.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata", "files"})
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})

_T = TypeVar("_T")
_ids = itertools.count(1)

# Faults the fake can answer a call with (see SlackFake.inject_fault).
FaultKind = Literal["server_error", "html", "reset", "lost"]
# What a load balancer in front of Slack answers with when it has no answer of Slack's.
HTML_ERROR_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"


def _next_id(prefix: str) -> str:
    """Return a unique Slack-looking ID such as ``V000000007``."""
    return f"{prefix}{next(_ids):09d}"


def new_trigger_id() -> str:
    """Return a fresh trigger_id in Slack's ``<ts>.<team-ish>.<hex>`` shape."""
    return f"{int(time.time())}.{next(_ids)}.{secrets.token_hex(16)}"


# --------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Web API request as the fake saw it, with what it answered."""

    method: str
    params: dict[str, Any]
    token: str | None
    status: int  # 0 when no answer was sent (a reset or lost response)
    response: dict[str, Any]
    # The injected fault this call met, if any; ``stored`` says whether Slack kept the post.
    fault: FaultKind | None = None
    stored: bool = True

    @property
    def ok(self) -> bool:
        """True when the fake answered ``{"ok": true}``."""
        return bool(self.response.get("ok"))


@dataclass(frozen=True, slots=True)
class ResponseUrlPost:
    """One JSON body the bot POSTed to a minted response_url."""

    response_id: str
    url: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic clock)


@dataclass(slots=True)
class UploadedFile:
    """A file the bot started with files.getUploadURLExternal, as far as it got."""

    id: str
    filename: str
    length: int
    upload_url: str
    data: bytes | None = None  # what its upload URL received
    title: str = ""
    completed: bool = False  # files.completeUploadExternal took it
    channel: str | None = None  # where it was shared (None: private)
    ts: str | None = None  # the share's message


@dataclass(slots=True)
class PostStats:
    """chat.postMessage outcomes: accepted posts and posts answered with HTTP 429."""

    accepted: int = 0
    rejected: int = 0


class ManualClock:
    """A monotonic clock tests advance by hand, so rate-limit tests never sleep."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


@dataclass(slots=True)
class _TokenBucket:
    """Classic token bucket: ``rate`` tokens/second refill, at most ``capacity`` stored."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_seconds(self) -> int:
        # Slack's Retry-After is whole seconds; never answer 0 for a real rejection.
        return max(1, math.ceil((1.0 - self.tokens) / self.rate))


@dataclass(slots=True)
class _PostLimit:
    per_channel_rate: float
    per_channel_burst: int
    workspace_rate: float | None
    workspace_burst: int | None
    clock: Callable[[], float]
    channels: dict[str, _TokenBucket] = field(default_factory=dict)
    workspace: _TokenBucket | None = None


@dataclass(slots=True)
class _HistoryLimit:
    clock: Callable[[], float]
    per_minute: int
    max_limit: int
    # Each token's (workspace's) accepted calls, by the clock.
    calls: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Fault:
    kind: FaultKind
    stored: bool
    status: int
    content_type: str


@dataclass(slots=True)
class _SocketConnection:
    ticket: str
    ws: web.WebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)


class _ApiError(Exception):
    """Raised inside method handlers to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# --------------------------------------------------------------------------------------
# Distribution: several workspaces, each installing the app through Slack's OAuth flow
# (docs.slack.dev/authentication/installing-with-oauth). The installer's browser visits
# /oauth/v2/authorize, which sends it back to the redirect_uri with a one-time code;
# oauth.v2.access (client id and secret in HTTP Basic auth, as slack_sdk sends them) trades
# the code for that workspace's bot token and the scopes granted.

DEFAULT_CLIENT_ID = "1000000000.2000000000"
DEFAULT_CLIENT_SECRET = "crossfade-test-client-secret"
_NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})


@dataclass
class FakeTeam:
    """A workspace the app can be installed in, with its own bot token."""

    team_id: str
    domain: str
    name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    # The scopes an install here grants: None grants every scope the app asks for.
    grants: tuple[str, ...] | None = None
    installer: str = "U0INSTALLER"
    # What its last install granted ("" before it was installed through OAuth).
    scope: str = ""


@dataclass
class _Code:
    team: FakeTeam
    scopes: tuple[str, ...]
    redirect_uri: str


class _Workspaces:
    """The fake's workspaces and OAuth (mixed into SlackFake)."""

    client_id: str
    client_secret: str
    app_id: str
    valid_bot_tokens: set[str]
    teams: dict[str, FakeTeam]
    _token_teams: dict[str, FakeTeam]
    _codes: dict[str, _Code]
    # The token of the call being answered (handlers are synchronous: no interleaving).
    _caller: str | None

    def add_team(
        self,
        team_id: str,
        *,
        name: str | None = None,
        grants: Iterable[str] | None = None,
    ) -> FakeTeam:
        """A workspace the app can be installed in; its bot token works once it installs."""
        team = FakeTeam(
            team_id=team_id,
            domain=team_id.lower(),
            name=name or f"Workspace {team_id}",
            bot_token=f"xoxb-{team_id}-{secrets.token_hex(8)}",
            bot_user_id=f"U{team_id[1:]}BOT",
            bot_id=f"B{team_id[1:]}BOT",
            grants=tuple(grants) if grants is not None else None,
        )
        self.teams[team_id] = team
        self._token_teams[team.bot_token] = team
        return team

    def revoke_token(self, team_id: str) -> str:
        """Revoke a workspace's bot token (as an uninstall does); its next install gets another."""
        team = self.teams[team_id]
        self.valid_bot_tokens.discard(team.bot_token)
        team.bot_token = f"xoxb-{team_id}-{secrets.token_hex(8)}"
        self._token_teams[team.bot_token] = team
        return team.bot_token

    def team_of(self, token: str | None) -> FakeTeam | None:
        """The workspace a bot token belongs to (None for tokens the tests added loose)."""
        return self._token_teams.get(token or "")

    async def _handle_authorize(self, request: web.Request) -> web.Response:
        """Slack's consent page, agreed at once: back to redirect_uri with a code."""
        query = request.query
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        team = self.teams.get(query.get("team", ""))
        redirect_uri = query.get("redirect_uri", "")
        if team is None or not redirect_uri:
            return web.Response(status=400, text="unknown team or no redirect_uri")
        asked = tuple(s for s in query.get("scope", "").split(",") if s)
        code = secrets.token_hex(12)
        self._codes[code] = _Code(team, asked if team.grants is None else team.grants, redirect_uri)
        back = f"{redirect_uri}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        raise web.HTTPFound(back)

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        client_id, _, client_secret = (self._caller or "").partition(":")
        if client_id != self.client_id:
            raise _ApiError("invalid_client_id")
        if client_secret != self.client_secret:
            raise _ApiError("bad_client_secret")
        found = self._codes.pop(str(params.get("code", "")), None)
        if found is None:
            raise _ApiError("invalid_code")
        if params.get("redirect_uri") and params["redirect_uri"] != found.redirect_uri:
            raise _ApiError("bad_redirect_uri")
        team = found.team
        team.scope = ",".join(found.scopes)
        self.valid_bot_tokens.add(team.bot_token)
        return {
            "access_token": team.bot_token,
            "token_type": "bot",
            "scope": team.scope,
            "bot_user_id": team.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": team.team_id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": team.installer},
        }


def _basic_auth(request: web.Request) -> str | None:
    """``client_id:client_secret`` from an HTTP Basic Authorization header."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        return base64.b64decode(value.strip()).decode()
    return None


# --------------------------------------------------------------------------------------
# The fake


class SlackFake(_Workspaces):
    """Loopback fake of Slack's Web API, response_urls and Socket Mode for tests."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        team_id: str = DEFAULT_TEAM_ID,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        app_id: str = DEFAULT_APP_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_id: str = DEFAULT_BOT_ID,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        # Tests may add more tokens (e.g. a second workspace); membership decides invalid_auth.
        self.valid_bot_tokens: set[str] = {bot_token}
        self.valid_app_tokens: set[str] = {app_token}
        # Distribution: the app's credentials, its workspaces and the codes handed out.
        self.client_id = DEFAULT_CLIENT_ID
        self.client_secret = DEFAULT_CLIENT_SECRET
        self.teams: dict[str, FakeTeam] = {}
        self._token_teams: dict[str, FakeTeam] = {}
        self._codes: dict[str, _Code] = {}
        self._caller: str | None = None
        self.post_stats = PostStats()

        self._calls: list[ApiCall] = []
        self._response_posts: list[ResponseUrlPost] = []
        self._response_ids: set[str] = set()
        self._users: dict[str, dict[str, Any]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._files: dict[str, UploadedFile] = {}
        self._upload_posts: list[tuple[str, bytes]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._home_views: dict[str, dict[str, Any]] = {}
        self._forced_rate_limits: dict[str, list[int]] = {}
        self._forced_errors: dict[str, list[str]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        # Set at close: held ("lost") requests give up then.
        self._closing = asyncio.Event()
        self._post_limit: _PostLimit | None = None
        self._history_limit: _HistoryLimit | None = None
        # Stamps new messages' ts (epoch seconds) when set; else the wall clock at start.
        self.ts_clock: Callable[[], float] | None = None
        self._tickets: set[str] = set()
        self._sockets: list[_SocketConnection] = []
        self._ts_base = int(time.time())
        self._ts_seq = itertools.count(1)
        # One condition for every state change; waiters re-check their predicate on notify.
        self._changed = asyncio.Condition()

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "oauth.v2.access": self._oauth_v2_access,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> Self:
        """Start serving on 127.0.0.1 with an ephemeral port."""
        if self._runner is not None:
            return self
        # Long request lines: slack_sdk sends files.completeUploadExternal's blocks in the query.
        app = web.Application(handler_args={"max_line_size": 1 << 20})
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{response_id}", self._handle_response_url)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_get("/socket", self._handle_socket)
        app.router.add_get("/oauth/v2/authorize", self._handle_authorize)
        # A short shutdown timeout: a hung handler must not stall test teardown for 60 s.
        runner = web.AppRunner(app, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Close open Socket Mode connections and stop the server (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        # Close websockets first; otherwise the server waits for their handlers at shutdown.
        for conn in self._sockets:
            if not conn.ws.closed:
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"fake shutting down")
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def port(self) -> int:
        """The ephemeral TCP port the fake listens on."""
        if self._port is None:
            raise RuntimeError("SlackFake is not started; use 'async with SlackFake()' or start()")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Web API base for ``AsyncWebClient(base_url=...)``; ends with ``/api/``."""
        return f"{self.base_url}/api/"

    # ---------------------------------------------------------------- workspace setup

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "UTC",
        real_name: str | None = None,
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        locale: str = "en-US",
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Register a user that users.info will return; tz is an IANA name.

        ``team_id`` puts them in another workspace (``add_team``): only its token sees them.
        """
        name = name or user_id.lower()
        real_name = real_name or name.title()
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": tz,
            "tz_label": now.tzname() or tz,
            # Slack reports the offset in effect now, in seconds (DST included).
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "locale": locale,
            "profile": {
                "real_name": real_name,
                "display_name": name,
                "team": team_id or self.team_id,
            },
        }
        self._users[user_id] = user
        return user

    @staticmethod
    def dm_channel_for(user_id: str) -> str:
        """The stable D... channel id the fake uses for the bot's DM with ``user_id``."""
        return "D" + user_id[1:]

    # ---------------------------------------------------------------- fault injection

    def rate_limit_next(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        self._forced_rate_limits.setdefault(method, []).extend([retry_after] * times)

    def fail_next(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``.

        ``method`` ``"upload"`` means the upload URLs: they answer HTTP 500 with ``error``.
        """
        self._forced_errors.setdefault(method, []).extend([error] * times)

    def inject_fault(
        self,
        method: str,
        kind: FaultKind,
        *,
        times: int = 1,
        stored: bool = True,
        status: int | None = None,
        content_type: str = "text/html",
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a fault, by default after doing
        the work (a post is stored, as Slack sometimes does before failing to answer).

        ``server_error``: HTTP ``status`` (500) with Slack's ``internal_error``; ``html``: a
        load balancer's page (502) as ``content_type``; ``reset``: the connection is reset
        with no answer; ``lost``: no answer at all until the client gives up.
        """
        default = {"server_error": 500, "html": 502}.get(kind, 0)
        fault = _Fault(kind, stored, status or default, content_type)
        self._faults.setdefault(method, []).extend([fault] * times)

    def enable_post_limit(
        self,
        *,
        per_channel_per_second: float = POST_MESSAGE_PER_CHANNEL_PER_SECOND,
        per_channel_burst: int = POST_MESSAGE_BURST,
        workspace_per_second: float | None = None,
        workspace_burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Enforce token-bucket limits on chat.postMessage, answering 429 + Retry-After.

        Buckets start full. Pass a ManualClock to test refills without sleeping.
        """
        self._post_limit = _PostLimit(
            per_channel_rate=per_channel_per_second,
            per_channel_burst=per_channel_burst,
            workspace_rate=workspace_per_second,
            workspace_burst=workspace_burst,
            clock=clock,
        )

    def disable_post_limit(self) -> None:
        """Stop enforcing the chat.postMessage limits (counters are kept)."""
        self._post_limit = None

    # ---------------------------------------------------------------- inspection

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[ApiCall]:
        """Recorded Web API calls in order, optionally filtered by method and outcome."""
        return [
            c
            for c in self._calls
            if (method is None or c.method == method) and (ok is None or c.ok == ok)
        ]

    async def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        ok: bool | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline stops broken tests hanging
    ) -> ApiCall:
        """Wait until ``method`` has been called ``count`` times and return that call."""

        def probe() -> ApiCall | None:
            matching = self.calls(method, ok=ok)
            return matching[count - 1] if len(matching) >= count else None

        return await self._wait_until(probe, timeout, f"call #{count} of {method}")

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage (as edited by chat.update), oldest first."""
        return list(self._messages.values())

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The stored message at ``channel``/``ts`` or None."""
        return self._messages.get((channel, ts))

    @property
    def files(self) -> list[UploadedFile]:
        """Files the bot started uploading, oldest first (shared or not)."""
        return list(self._files.values())

    @property
    def upload_posts(self) -> list[tuple[str, bytes]]:
        """Every POST to an upload URL: the file id and the bytes received."""
        return list(self._upload_posts)

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """Messages sent with chat.postEphemeral, oldest first."""
        return list(self._ephemerals)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Modal views opened/updated through views.open/views.update, by view id."""
        return dict(self._views)

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """App Home views published with views.publish, by user id."""
        return dict(self._home_views)

    # ---------------------------------------------------------------- response_url

    def mint_response_url(self) -> str:
        """Return a fresh response_url served by the fake (as in slash commands/interactions)."""
        response_id = _next_id("R")
        self._response_ids.add(response_id)
        return f"{self.base_url}/response/{response_id}"

    def response_posts(self, url: str | None = None) -> list[ResponseUrlPost]:
        """Bodies POSTed to response_urls, optionally only those for ``url``."""
        return [p for p in self._response_posts if url is None or p.url == url]

    async def wait_for_response(
        self,
        url: str | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for
    ) -> ResponseUrlPost:
        """Wait for the ``count``-th POST to ``url`` (or to any response_url)."""

        def probe() -> ResponseUrlPost | None:
            posts = self.response_posts(url)
            return posts[count - 1] if len(posts) >= count else None

        return await self._wait_until(probe, timeout, f"response_url post #{count}")

    # ---------------------------------------------------------------- Socket Mode

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode websockets have ever connected."""
        return len(self._sockets)

    async def wait_for_socket(
        self,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for
    ) -> None:
        """Wait until ``count`` websockets have connected (and been sent ``hello``)."""

        def probe() -> bool | None:
            return True if len(self._sockets) >= count else None

        await self._wait_until(probe, timeout, f"Socket Mode connection #{count}")

    async def push_envelope(
        self,
        envelope_type: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool = False,
        envelope_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Send an envelope (slash_commands, interactive, events_api) to the live socket."""
        conn = self._live_socket()
        envelope_id = envelope_id or secrets.token_hex(16)
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": dict(payload),
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            # Slack adds retry info to Events API envelopes only.
            envelope.update({"retry_attempt": 0, "retry_reason": ""})
        envelope.update(extra or {})
        await conn.ws.send_str(json.dumps(envelope))
        return envelope_id

    async def wait_for_ack(
        self,
        envelope_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for
    ) -> dict[str, Any]:
        """Wait for the client's ack ``{"envelope_id": ..., "payload"?: ...}`` and return it."""

        def probe() -> dict[str, Any] | None:
            return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)

        return await self._wait_until(probe, timeout, f"ack of envelope {envelope_id}")

    @property
    def acks(self) -> list[dict[str, Any]]:
        """Every envelope ack received over any Socket Mode connection, in order."""
        return [m for c in self._sockets for m in c.received if "envelope_id" in m]

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message; slack_sdk then reconnects to a new URL."""
        conn = self._live_socket()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "slack-fake"}}
        await conn.ws.send_str(json.dumps(message))

    async def drop_socket(self, code: int = WSCloseCode.INTERNAL_ERROR) -> None:
        """Close the live Socket Mode connection from Slack's side, with no ``disconnect``."""
        conn = self._live_socket()
        await conn.ws.close(code=code, message=b"slack-fake dropped the connection")

    # ---------------------------------------------------------------- internals: waiting

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_until(self, probe: Callable[[], _T | None], seconds: float, what: str) -> _T:
        try:
            async with asyncio.timeout(seconds), self._changed:
                while (result := probe()) is None:
                    await self._changed.wait()
                return result
        except TimeoutError:
            seen = ", ".join(f"{c.method}:{c.status}" for c in self._calls) or "none"
            raise TimeoutError(
                f"SlackFake: timed out after {seconds}s waiting for {what}; calls seen: {seen}"
            ) from None

    def _live_socket(self) -> _SocketConnection:
        for conn in reversed(self._sockets):
            if not conn.ws.closed:
                return conn
        raise RuntimeError("no Socket Mode client connected; await fake.wait_for_socket() first")

    # ---------------------------------------------------------------- internals: HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, body_token = await _read_params(request)
        token = _bearer_token(request)
        if token is None and method not in _APP_TOKEN_METHODS:
            # Slack also accepts the token as a form field (but not for apps.connections.open).
            token = body_token
        if method in _NO_TOKEN_METHODS:
            # The app's id and secret instead of a token (Basic auth, or the form's fields).
            token = _basic_auth(request) or (
                f"{params.pop('client_id', '')}:{params.pop('client_secret', '')}"
            )
        faults = self._faults.get(method)
        fault = faults.pop(0) if faults else None
        if fault is not None:
            return await self._faulty(request, method, params, token, fault)
        status, headers, body = self._answer(method, params, token)
        self._calls.append(ApiCall(method, params, token, status, body))
        await self._notify()
        return web.json_response(body, status=status, headers=headers)

    async def _faulty(
        self,
        request: web.Request,
        method: str,
        params: dict[str, Any],
        token: str | None,
        fault: _Fault,
    ) -> web.Response:
        """Do the call's work (if ``stored``), then answer it with ``fault`` instead."""
        if fault.stored:
            self._answer(method, params, token)
        answered: dict[str, Any] = {}
        if fault.kind == "server_error":
            answered = {"ok": False, "error": "internal_error"}
            reply = web.json_response(answered, status=fault.status)
        elif fault.kind == "html":
            reply = web.Response(
                body=HTML_ERROR_PAGE.encode(), status=fault.status, content_type=fault.content_type
            )
        else:
            reply = web.Response(status=200)
        status = fault.status if fault.kind in ("server_error", "html") else 0
        self._calls.append(
            ApiCall(method, params, token, status, answered, fault.kind, fault.stored)
        )
        await self._notify()
        if fault.kind == "lost":
            # Hold the answer past any client timeout (until the fake closes).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(60):
                    await self._closing.wait()
        elif fault.kind == "reset":
            transport = request.transport
            if transport is not None:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    # Linger 0: closing sends a TCP reset, as a dropped connection does.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
        return reply

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        handler = self._handlers.get(method)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method", "req_method": method}
        auth_error = self._auth_error(method, token)
        if auth_error is not None:
            return 200, {}, {"ok": False, "error": auth_error}
        forced = self._forced_rate_limits.get(method)
        if forced:
            return self._rate_limited(method, forced.pop(0))
        errors = self._forced_errors.get(method)
        if errors:
            return 200, {}, {"ok": False, "error": errors.pop(0)}
        if method == "chat.postMessage" and params.get("channel"):
            wait = self._take_post_slot(self._resolve_channel(str(params["channel"])))
            if wait is not None:
                return self._rate_limited(method, wait)
        if method == "conversations.history":
            wait = self._take_history_call(token or "")
            if wait is not None:
                return self._rate_limited(method, wait)
        try:
            self._caller = token
            body = handler(params)
        except _ApiError as exc:
            return 200, {}, {"ok": False, "error": exc.error}
        finally:
            self._caller = None
        headers = {}
        if method == "auth.test":
            # Bolt reads granted scopes from this header after auth.test.
            team = self.team_of(token)
            scopes = team.scope if team else "chat:write,commands,im:write,users:read"
            headers["X-OAuth-Scopes"] = scopes
        if method == "chat.postMessage":
            self.post_stats.accepted += 1
        return 200, headers, {"ok": True, **body}

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if method in _NO_TOKEN_METHODS:
            return None
        if not token:
            return "not_authed"
        wants_app_token = method in _APP_TOKEN_METHODS
        if token in self.valid_app_tokens:
            return None if wants_app_token else "not_allowed_token_type"
        if token in self.valid_bot_tokens:
            return "not_allowed_token_type" if wants_app_token else None
        return "invalid_auth"

    def _rate_limited(
        self, method: str, retry_after: int
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if method == "chat.postMessage":
            self.post_stats.rejected += 1
        return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}

    def _take_post_slot(self, channel: str) -> int | None:
        """Consume one post from the buckets; return Retry-After seconds when over the limit."""
        limit = self._post_limit
        if limit is None:
            return None
        now = limit.clock()
        bucket = limit.channels.get(channel)
        if bucket is None:
            burst = float(limit.per_channel_burst)
            bucket = limit.channels[channel] = _TokenBucket(
                limit.per_channel_rate, burst, burst, now
            )
        buckets = [bucket]
        if limit.workspace_rate is not None:
            if limit.workspace is None:
                burst = float(limit.workspace_burst or max(1, math.ceil(limit.workspace_rate)))
                limit.workspace = _TokenBucket(limit.workspace_rate, burst, burst, now)
            buckets.append(limit.workspace)
        for b in buckets:
            b.refill(now)
        empty = [b for b in buckets if b.tokens < 1.0]
        if empty:
            return max(b.wait_seconds() for b in empty)
        for b in buckets:
            b.tokens -= 1.0
        return None

    # ---------------------------------------------------------------- method handlers

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        team = self.team_of(self._caller)
        if team is not None:
            return {
                "url": f"https://{team.domain}.slack.com/",
                "team": team.name,
                "user": "crossfade",
                "team_id": team.team_id,
                "user_id": team.bot_user_id,
                "bot_id": team.bot_id,
                "is_enterprise_install": False,
            }
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": "crossfade",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        if self.ts_clock is not None:
            return self._ts_at(self.ts_clock())
        return f"{self._ts_base}.{next(self._ts_seq):06d}"

    def _resolve_channel(self, channel: str) -> str:
        # Posting to a user id lands in the bot's DM with them, as on real Slack.
        if channel[:1] in ("U", "W"):
            return self.dm_channel_for(channel)
        return channel

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise _ApiError("no_text")
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": params.get("text", ""),
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in params:
                message[key] = params[key]
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": dict(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        message = self._messages.get((channel, ts))
        if message is None:
            raise _ApiError("message_not_found")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": message["text"], "message": dict(message)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _required(params, "channel", "channel_not_found")
        user = _required(params, "user", "user_not_in_channel")
        ts = self._next_ts()
        self._ephemerals.append({**params, "channel": channel, "user": user, "message_ts": ts})
        return {"message_ts": ts}

    def _build_view(
        self, view: Any, view_id: str, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        if not isinstance(view, dict):
            raise _ApiError("invalid_arguments")
        return {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "app_installed_team_id": self.team_id,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "root_view_id": previous["root_view_id"] if previous else view_id,
            "previous_view_id": None,
        }

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not (params.get("trigger_id") or params.get("interactivity_pointer")):
            raise _ApiError("invalid_arguments")
        view_id = _next_id("V")
        built = self._build_view(params.get("view"), view_id, None)
        self._views[view_id] = built
        return {"view": built}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        current: dict[str, Any] | None = None
        if params.get("view_id"):
            current = self._views.get(str(params["view_id"]))
        elif params.get("external_id"):
            current = next(
                (v for v in self._views.values() if v["external_id"] == params["external_id"]),
                None,
            )
        if current is None:
            raise _ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        built = self._build_view(params.get("view"), current["id"], current)
        self._views[current["id"]] = built
        return {"view": built}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = _required(params, "user_id", "invalid_arguments")
        previous = self._home_views.get(user_id)
        view_id = previous["id"] if previous else _next_id("V")
        built = self._build_view(params.get("view"), view_id, previous)
        self._home_views[user_id] = built
        return {"view": built}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": {"id": params["channel"]}, "already_open": True}
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) == 1:
            channel_id = self.dm_channel_for(users[0])
            channel: dict[str, Any] = {"id": channel_id}
            if str(params.get("return_im", "")).lower() in ("1", "true"):
                channel.update({"is_im": True, "user": users[0], "created": self._ts_base})
            return {"no_op": False, "already_open": False, "channel": channel}
        group_id = "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:9].upper()
        return {"no_op": False, "already_open": False, "channel": {"id": group_id}}

    # ---------------------------------------------------------------- conversations.history
    # Slack's parameters (docs.slack.dev/reference/methods/conversations.history): ``oldest``
    # and ``latest`` bound the messages by ts (latest defaults to now), ``inclusive`` keeps
    # messages exactly at either, ``limit`` caps the page, newest first; ``cursor`` reads on
    # from ``response_metadata.next_cursor`` while ``has_more``. With the history limit on,
    # each workspace's token gets one call a minute and at most 15 messages a page.

    def enable_history_limit(
        self,
        clock: Callable[[], float],
        *,
        per_minute: int = HISTORY_PER_MINUTE,
        max_limit: int = HISTORY_MAX_LIMIT,
    ) -> None:
        """Enforce the non-Marketplace conversations.history limits on ``clock`` (epoch s).

        New messages' ts follow the same clock, so windows and ts agree in tests.
        """
        self._history_limit = _HistoryLimit(clock, per_minute, max_limit)
        self.ts_clock = clock

    def plant_message(
        self, channel: str, *, at: float, text: str = "", metadata: Any = None
    ) -> dict[str, Any]:
        """A message already in ``channel``, posted at ``at`` (epoch seconds) by the bot."""
        channel = self._resolve_channel(channel)
        ts = self._ts_at(at)
        message: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": text,
        }
        if metadata is not None:
            message["metadata"] = metadata
        self._messages[(channel, ts)] = message
        return message

    def _ts_at(self, seconds: float) -> str:
        # The counter keeps two messages of one second apart, in the order they came.
        return f"{int(seconds)}.{next(self._ts_seq):06d}"

    def _take_history_call(self, token: str) -> int | None:
        """Count one call for the token's workspace; Retry-After seconds when over the limit."""
        limit = self._history_limit
        if limit is None:
            return None
        now = limit.clock()
        recent = [t for t in limit.calls.get(token, []) if t > now - 60]
        if len(recent) >= limit.per_minute:
            return max(1, math.ceil(recent[0] + 60 - now))
        limit.calls[token] = [*recent, now]
        return None

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _required(params, "channel", "channel_not_found")
        cap = self._history_limit.max_limit if self._history_limit else 1000
        limit = min(int(params.get("limit") or min(100, cap)), cap)
        with_metadata = _flag(params.get("include_all_metadata"))
        inclusive = _flag(params.get("inclusive"))
        oldest = Decimal(str(params.get("oldest") or "0"))
        latest = Decimal(str(params["latest"])) if params.get("latest") else None
        cursor = str(params.get("cursor") or "")
        # A cursor is the ts the previous page ended at: this page reads on from below it.
        below = Decimal(base64.urlsafe_b64decode(cursor).decode()) if cursor else None

        def wanted(ts: Decimal) -> bool:
            if ts < oldest or (ts == oldest and not inclusive):
                return False
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                return False
            return below is None or ts < below

        # Newest first, as Slack returns them; metadata only when include_all_metadata is set.
        found = sorted(
            (m for (c, ts), m in self._messages.items() if c == channel and wanted(Decimal(ts))),
            key=lambda m: Decimal(m["ts"]),
            reverse=True,
        )
        page = []
        for message in found[:limit]:
            shown = {k: v for k, v in message.items() if k != "channel"}
            if not with_metadata:
                shown.pop("metadata", None)
            page.append(shown)
        more = len(found) > limit
        next_cursor = base64.urlsafe_b64encode(page[-1]["ts"].encode()).decode() if more else ""
        return {
            "messages": page,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = _required(params, "filename", "invalid_arguments")
        try:
            length = int(_required(params, "length", "invalid_arguments"))
        except ValueError:
            raise _ApiError("invalid_arguments") from None
        file_id = _next_id("F")
        url = f"{self.base_url}/upload/{file_id}"
        self._files[file_id] = UploadedFile(file_id, filename, length, url)
        return {"upload_url": url, "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        files: list[UploadedFile] = []
        for entry in entries:
            found = self._files.get(str(entry.get("id", ""))) if isinstance(entry, dict) else None
            if found is None or found.data is None or found.completed:
                raise _ApiError("file_not_found")
            files.append(found)
        channel = params.get("channel_id")
        if channel and str(channel)[:1] not in ("C", "G", "D"):
            raise _ApiError("invalid_channel")  # a channel id, never a user id
        for found, entry in zip(files, entries, strict=True):
            found.title = str(entry.get("title") or found.filename)
            found.completed = True
        shown = [
            {
                "id": f.id,
                "name": f.filename,
                "title": f.title,
                "mimetype": mimetypes.guess_type(f.filename)[0] or "application/octet-stream",
                "size": f.length,
            }
            for f in files
        ]
        if channel:
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "channel": str(channel),
                "ts": ts,
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "text": str(params.get("initial_comment") or ""),
                "files": shown,
                "upload": True,
            }
            # Slack: "If the initial_comment field is provided, the blocks field is ignored."
            if "blocks" in params and not params.get("initial_comment"):
                message["blocks"] = params["blocks"]
            self._messages[(str(channel), ts)] = message
            for found in files:
                found.channel, found.ts = str(channel), ts
        return {"files": [{"id": f.id, "title": f.title} for f in files]}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        found = self._files.get(request.match_info["file_id"])
        data = await request.read()
        if found is None or found.completed:
            return web.Response(status=404, text="upload URL not found", content_type="text/plain")
        self._upload_posts.append((found.id, data))
        await self._notify()
        errors = self._forced_errors.get("upload")
        if errors:
            return web.Response(status=500, text=errors.pop(0), content_type="text/plain")
        if len(data) != found.length:
            return web.Response(status=400, text="length mismatch", content_type="text/plain")
        found.data = data
        # As files.slack.com answers, in plain text (slack_sdk reads it as such).
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = _required(params, "user", "user_not_found")
        user = self._users.get(user_id)
        team = self.team_of(self._caller)
        if user is None or (team is not None and user["team_id"] != team.team_id):
            # A workspace's token sees only that workspace's people.
            raise _ApiError("user_not_found")
        return {"user": user}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        return {"url": f"ws://127.0.0.1:{self.port}/socket?ticket={ticket}"}

    # ---------------------------------------------------------------- response_url + socket

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        if response_id not in self._response_ids:
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        try:
            body = json.loads(await request.text())
        except json.JSONDecodeError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        url = f"{self.base_url}/response/{response_id}"
        self._response_posts.append(ResponseUrlPost(response_id, url, body))
        await self._notify()
        return web.json_response({"ok": True})

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            # Only URLs handed out by apps.connections.open are valid, as on Slack.
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(timeout=2.0)
        await ws.prepare(request)
        conn = _SocketConnection(ticket=request.query["ticket"], ws=ws)
        self._sockets.append(conn)
        live = sum(1 for c in self._sockets if not c.ws.closed)
        hello = {
            "type": "hello",
            "num_connections": live,
            "debug_info": {
                "host": "slack-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        await ws.send_str(json.dumps(hello))
        await self._notify()
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                try:
                    data = json.loads(msg.data)
                except json.JSONDecodeError:
                    data = {"_raw": msg.data}
                conn.received.append(data if isinstance(data, dict) else {"_raw": data})
                await self._notify()
        await self._notify()
        return ws


# --------------------------------------------------------------------------------------
# Request parsing helpers


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


async def _read_params(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Merge query string and body (JSON or form) into one dict; return it and a body token."""
    params: dict[str, Any] = dict(request.query)
    body_token: str | None = None
    if request.content_type == "application/json":
        data = await request.json() if request.can_read_body else {}
        if isinstance(data, dict):
            params.update(data)
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, FileField):
                params[key] = {"filename": value.filename, "content_type": value.content_type}
            elif isinstance(value, bytes):
                params[key] = value.decode("utf-8", "replace")
            else:
                params[key] = value
        token_field = params.pop("token", None)
        body_token = token_field if isinstance(token_field, str) else None
    params.pop("token", None)  # never keep credentials in recorded params
    for key in _JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # Malformed JSON stays the raw string so tests can see what was sent.
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(value)
    return params, body_token


def _flag(value: Any) -> bool:
    """A boolean parameter as slack_sdk sends it (``1``/``true``) or a test passes it."""
    return value is True or str(value).lower() in ("1", "true")


def _required(params: Mapping[str, Any], key: str, error: str) -> str:
    value = params.get(key)
    if not value:
        raise _ApiError(error)
    return str(value)


# --------------------------------------------------------------------------------------
# Request signing (what Slack does to HTTP requests it sends to a bot)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request body plus the headers Slack would send with it."""

    body: str
    headers: dict[str, str]


def sign_request(
    signing_secret: str, body: str | bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """Return ``X-Slack-Request-Timestamp``/``X-Slack-Signature`` headers for ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    # v0 scheme: hex HMAC-SHA256 of "v0:{timestamp}:{raw body}" keyed by the signing secret.
    digest = hmac.new(
        signing_secret.encode(), f"v0:{ts}:{text}".encode(), hashlib.sha256
    ).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_form_request(
    signing_secret: str, fields: Mapping[str, str], *, timestamp: int | None = None
) -> SignedRequest:
    """Form-encode ``fields`` (e.g. a slash command) and sign the body."""
    body = urlencode(dict(fields))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    headers.update(sign_request(signing_secret, body, timestamp=timestamp))
    return SignedRequest(body, headers)


def signed_payload_request(
    signing_secret: str, payload: Mapping[str, Any], *, timestamp: int | None = None
) -> SignedRequest:
    """Encode an interaction as ``payload=<json>`` (how Slack sends them) and sign it."""
    return signed_form_request(
        signing_secret, {"payload": json.dumps(payload)}, timestamp=timestamp
    )


# --------------------------------------------------------------------------------------
# Payload builders (field names from Slack's slash command / interaction payload docs)


def slash_command_body(
    *,
    command: str,
    text: str = "",
    response_url: str,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "testuser",
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
    token: str = "verification-token-unused",
) -> dict[str, str]:
    """Form fields Slack POSTs for a slash command (also the Socket Mode payload)."""
    return {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_actions_payload(
    *,
    action_id: str,
    value: str | None = None,
    block_id: str = "actions",
    action_type: str = "button",
    response_url: str | None = None,
    message: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "testuser",
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A block_actions payload for a click on a message (default) or inside ``view``."""
    action_ts = f"{time.time():.6f}"
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action],
    }
    if view is not None:
        # Clicks inside a modal/home tab carry the view, and no channel/message/response_url.
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        payload["view"] = dict(view)
        return payload
    msg = dict(message) if message is not None else {}
    msg.setdefault("type", "message")
    msg.setdefault("ts", f"{int(time.time())}.000100")
    msg.setdefault("user", DEFAULT_BOT_USER_ID)
    msg.setdefault("text", "")
    payload["container"] = {
        "type": "message",
        "message_ts": msg["ts"],
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    payload["channel"] = {"id": channel_id, "name": channel_name}
    payload["message"] = msg
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def _plain_text_state(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def view_submission_payload(
    *,
    callback_id: str | None = None,
    values: Mapping[str, Mapping[str, str | Mapping[str, Any] | None]] | None = None,
    private_metadata: str | None = None,
    view: Mapping[str, Any] | None = None,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "testuser",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
    response_urls: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A view_submission payload; ``values`` is {block_id: {action_id: text or element state}}.

    Pass ``view`` (e.g. ``fake.views[view_id]``) to submit a modal the bot really opened;
    its id, callback_id, private_metadata, blocks and hash are reused.
    """
    base: dict[str, Any] = dict(view) if view is not None else {}
    state_values: dict[str, dict[str, Any]] = {}
    for block_id, actions in (values or {}).items():
        # A bare string is what a plain_text_input reports; dicts pass through (selects...).
        state_values[block_id] = {
            action_id: dict(v) if isinstance(v, Mapping) else _plain_text_state(v)
            for action_id, v in actions.items()
        }
    view_id = base.get("id") or _next_id("V")
    submitted = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Crossfade"},
        "blocks": [],
        "close": None,
        "submit": {"type": "plain_text", "text": "Submit"},
        "clear_on_close": False,
        "notify_on_close": False,
        "external_id": "",
        "previous_view_id": None,
        **base,
        "id": view_id,
        "team_id": team_id,
        "app_id": api_app_id,
        "app_installed_team_id": team_id,
        "bot_id": base.get("bot_id", DEFAULT_BOT_ID),
        "root_view_id": base.get("root_view_id", view_id),
        "hash": base.get("hash", f"{int(time.time())}.{secrets.token_hex(4)}"),
        "callback_id": callback_id if callback_id is not None else base.get("callback_id", ""),
        "private_metadata": (
            private_metadata if private_metadata is not None else base.get("private_metadata", "")
        ),
        "state": {"values": state_values},
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "trigger_id": trigger_id or new_trigger_id(),
        "view": submitted,
        "response_urls": [dict(r) for r in response_urls],
        "enterprise": None,
        "is_enterprise_install": False,
    }
