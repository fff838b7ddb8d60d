"""Slack for Crossfade: bolt listeners hand commands, buttons, modals and App Home to the core.

Every listener acknowledges first and works after, so Slack's 3-second limit is always met.
A modal submission's acknowledgement carries the field errors, so the core checks the answers
before it (with what the adapter already knows about the person, and a time budget); the
work itself runs after the ack.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import lifecycle
from adapters.slack.blocks import ACTION_PREFIX, home_view
from adapters.slack.distribution import Distribution
from adapters.slack.http import SignedRequests
from adapters.slack.modals import CALLBACK_ID, field_errors, submitted_values
from adapters.slack.people import NameUnknown, People
from adapters.slack.replies import Replies
from adapters.slack.requests import (
    Origin,
    action_origin,
    command_line,
    command_origin,
    home_origin,
    load_meta,
    view_origin,
)
from adapters.slack.socket_link import LABEL, SocketLink
from adapters.slack.transport import SlackTransport
from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery import Transport
from bot.errors import StartupError
from bot.installations import InstallationRows, Installations, cipher_for
from bot.messages import Response
from bot.models import Actor
from bot.notices import OOPS, STALE_FORM, notice
from bot.replay import SeenOnce, seen_once_for
from bot.status import Backoff, Status

log = logging.getLogger(__name__)

SLACK_API = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
# 429s are retried after Retry-After by slack_sdk; past this the outbox reschedules.
RATE_LIMIT_RETRIES = 2
# How long a modal submission's answers may take to check before the ack must go anyway
# (Slack allows 3 s for the whole round trip). Past it the modal closes and the answers are
# checked again by submit_form, whose field errors then come as a message.
FORM_CHECK_SECONDS = 2.0

_NO_MODAL = notice(
    "Slack didn't let me open the form in time. Please try again, or type the command "
    "with its options."
)


class SlackAdapter:
    """One Slack workspace: Socket Mode with an app token, otherwise signed HTTP requests
    (served on the process's web app: ``mount`` it before ``start``). With ``distribution``,
    any number of workspaces over HTTP, each installed through the OAuth flow."""

    def __init__(
        self,
        core: Crossfade,
        *,
        bot_token: str | None = None,
        app_token: str | None = None,
        signing_secret: str | None = None,
        api_url: str = SLACK_API,
        max_per_second: float | None = None,
        request_clock: Clock | None = None,
        seen: SeenOnce | None = None,
        reconnect: Backoff | None = None,
        distribution: Distribution | None = None,
    ) -> None:
        self.core = core
        self.client = AsyncWebClient(
            token=bot_token,
            base_url=api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ],
        )
        self.people = People(self.client)
        self.replies = Replies(self.client)
        self.distribution = distribution
        # Signatures are checked by SignedRequests before bolt parses a body (bolt's own
        # check came after parsing, and logged refused bodies).
        if distribution is not None:
            self.app = distribution.app(self.client, signing_secret or "", max_per_second)
            assert distribution.transport is not None
            # Typed as the protocol: PlatformAdapter's attribute is invariant.
            self.transport: Transport = distribution.transport
        else:
            if bot_token is None:
                raise ValueError("one workspace's Slack adapter needs its bot token")
            self.app = AsyncApp(
                client=self.client,
                signing_secret=signing_secret or "",
                request_verification_enabled=False,
            )
            self.app.middleware(self._only_our_workspace)
            self.transport = SlackTransport(self.client, max_per_second=max_per_second)
        self._app_token = app_token
        self._signing_secret = signing_secret or ""
        # Real time, as Slack's: signatures are only accepted for 5 minutes around it.
        self._request_clock = request_clock or SystemClock()
        # Signatures already used: in the database when several processes share it, so a
        # request replayed to another process is refused too.
        self.seen = seen or seen_once_for(core.store, self._request_clock)
        self.reconnect = reconnect or Backoff()
        # The workspace the bot token belongs to (auth.test); requests from others are refused.
        self.team_id = ""
        self._link = Status(core.clock).link(LABEL)
        self.form_check_seconds = FORM_CHECK_SECONDS
        # Form checks that ran past their budget, kept until they finish.
        self._late_checks: set[asyncio.Task[Mapping[str, str]]] = set()
        self._socket: SocketLink | None = None
        self._session: aiohttp.ClientSession | None = None
        self._web: WebApp | None = None
        self.app.command(re.compile(r"^/"))(self._on_command)
        self.app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(self._on_button)
        self.app.view(CALLBACK_ID)(self._on_form)
        self.app.event("app_home_opened")(self._on_home_opened)
        lifecycle.register(self.app, core)  # uninstalls and token revocations pause
        self.app.error(self._on_error)

    @classmethod
    def from_settings(
        cls, settings: Settings, core: Crossfade, *, api_url: str = SLACK_API
    ) -> SlackAdapter:
        """The adapter the environment configures."""
        if settings.slack_client_id is not None and settings.slack_client_secret is not None:
            # Both stores keep installations (bot/storage/sql/installations.py).
            rows = cast(InstallationRows, core.store)
            installations = Installations(rows, cipher_for(settings), core.clock)
            return cls(
                core,
                signing_secret=settings.slack_signing_secret,
                api_url=api_url,
                distribution=Distribution(
                    client_id=settings.slack_client_id,
                    client_secret=settings.slack_client_secret,
                    installations=installations,
                    public_url=settings.public_url or "",
                ),
            )
        if settings.slack_bot_token is None:
            raise StartupError("SLACK_BOT_TOKEN is not set.")
        return cls(
            core,
            bot_token=settings.slack_bot_token,
            app_token=settings.slack_app_token,
            signing_secret=settings.slack_signing_secret,
            api_url=api_url,
        )

    # ------------------------------------------------------------------ lifecycle

    def report_to(self, status: Status) -> None:
        """Report the Socket Mode connection into ``status`` (HTTP mode has none to report)."""
        if self._app_token:
            self._link = status.link(LABEL)

    def mount(self, web_app: WebApp) -> None:
        """Serve the Request URL on the process's web app (HTTP mode; Socket Mode needs none)."""
        if self._app_token:
            return
        gate = SignedRequests(
            self.app, self._signing_secret, clock=self._request_clock, seen=self.seen
        )
        web_app.add_post(EVENTS_PATH, gate.handle)
        if self.distribution is not None:
            self.distribution.mount(web_app)
        self._web = web_app

    async def start(self) -> None:
        """Check the token, then connect over Socket Mode or answer HTTP requests."""
        if not self._app_token and self._web is None:
            raise RuntimeError("Slack over HTTP: mount the web app before start()")
        if self.distribution is not None:
            self.distribution.share(self._shared_session())
            log.info("Slack: workspaces install the app at %s", self.distribution.install_url)
            return
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            raise StartupError(
                f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')})."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StartupError(f"Can't reach Slack: {exc}") from None
        self._shared_session()
        self.people.team_name = str(auth.get("team") or "")
        self.team_id = str(auth.get("team_id") or "")
        if self._app_token:
            self._socket = SocketLink(
                self.app,
                self._app_token,
                self.client,
                link=self._link,
                backoff=self.reconnect,
            )
            await self._socket.open()
            log.info("Slack: connected to %s over Socket Mode", self.people.team_name)
            return
        log.info("Slack: serving %s at %s", self.people.team_name, self.url)

    def _shared_session(self) -> aiohttp.ClientSession:
        """One connection pool for every call (bolt's per-request clients take it too)."""
        self._session = self._session or aiohttp.ClientSession()
        self.client.session = self._session
        if isinstance(self.transport, SlackTransport):
            self.transport.client.session = self._session
        return self._session

    async def stop(self) -> None:
        """Disconnect (the web app, shared, is stopped by whoever started it)."""
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def url(self) -> str:
        """The Request URL Slack's HTTP requests go to (at the web app's public address)."""
        if self._web is None:
            return ""
        return self._web.public_url.link(EVENTS_PATH)

    async def _only_our_workspace(
        self,
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
        next_: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        """Single-workspace mode: a request from another workspace is refused before any work."""
        if self.team_id and context.team_id == self.team_id:
            await next_()
            return None
        log.warning("refused a Slack request from another workspace (%s)", context.team_id)
        # Over Socket Mode the envelope is still acknowledged, so Slack doesn't resend it.
        return BoltResponse(status=200 if request.mode == "socket_mode" else 403, body="")

    # ------------------------------------------------------------------ listeners
    # ``client`` is bolt's client for the request's own workspace (its token).

    async def _people(self, origin: Origin) -> People:
        """Who looks people up for the request's workspace (its own token and cache)."""
        if self.distribution is None:
            return self.people
        return await self.distribution.people(origin.team_id)

    async def _on_command(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        origin, replies = command_origin(body), Replies(client)
        try:
            actor = await (await self._people(origin)).actor(origin)
            line = command_line(str(body.get("command", "")), str(body.get("text", "")))
            await self._answer(origin, await self.core.run_line(actor, line), replies)
        except Exception:
            await self._failed(origin, "slash command", replies)

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        origin, replies = action_origin(body), Replies(client)
        try:
            actions = body.get("actions") or [{}]
            actor = await (await self._people(origin)).actor(origin)
            value = str(actions[0].get("value", ""))
            await self._answer(origin, await self.core.press(actor, value), replies)
        except Exception:
            await self._failed(origin, "button", replies)

    async def _on_form(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        meta, replies = load_meta(str(view.get("private_metadata", ""))), Replies(client)
        if meta is None:
            await ack()
            await replies.direct(str((body.get("user") or {}).get("id", "")), notice(STALE_FORM))
            return
        origin = view_origin(body, meta)
        values = submitted_values(view)
        try:
            people = await self._people(origin)
            problems = await self._check_form(people, origin, meta.form_id, values)
        except Exception:
            await ack()
            await self._failed(origin, "form", replies)
            return
        shown = field_errors(view, problems)
        if shown:
            await ack(response_action="errors", errors=shown)
            return
        await ack()  # the modal closes; the work happens after
        if problems:
            # No field to show them under: say what was wrong (nothing was saved).
            await replies.send(origin, notice(" ".join(problems.values())))
            return
        try:
            actor = await people.actor(origin)
            response = await self.core.submit_form(actor, meta.form_id, values)
            if response.field_errors:
                # Checked late or changed since: the modal is closed, so say it in a message.
                await replies.send(origin, notice(" ".join(response.field_errors.values())))
                return
            await self._answer(origin, response, replies)
            if origin.from_home:
                await self._publish_home(actor, client)
        except Exception:
            await self._failed(origin, "form", replies)

    async def _check_form(
        self, people: People, origin: Origin, form_id: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        """The answers' problems by field, in time for the ack; {} if the check runs late."""
        actor = people.cached_actor(origin)
        check = asyncio.ensure_future(self.core.validate_form(actor, form_id, values))
        done, _ = await asyncio.wait({check}, timeout=self.form_check_seconds)
        if done:
            return check.result()
        # Not cancelled (it may be inside a database transaction): let it finish unheard.
        log.warning("checking a %s form took too long; acknowledging it unchecked", form_id)
        self._late_checks.add(check)
        check.add_done_callback(self._late_check_done)
        return {}

    def _late_check_done(self, check: asyncio.Task[Mapping[str, str]]) -> None:
        self._late_checks.discard(check)
        if not check.cancelled() and check.exception() is not None:
            log.warning("a late form check failed: %s", check.exception())

    async def _on_home_opened(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient | None = None
    ) -> None:
        if event.get("tab") != "home":
            return
        try:
            origin = home_origin(body, event)
            actor = await (await self._people(origin)).actor(origin)
            await self._publish_home(actor, client or self.client)
        except NameUnknown:
            # Publishing would store a nameless member; the next open tries again.
            log.warning(
                "App Home for %s not refreshed: Slack can't name them now", event.get("user")
            )
        except Exception:
            log.exception("App Home for %s failed", event.get("user"))

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed: %s (%s)", error, body.get("type"), exc_info=error)

    # ------------------------------------------------------------------ answering

    async def _answer(self, origin: Origin, response: Response, replies: Replies) -> None:
        """Show a core Response: open its form as a modal, or send its message."""
        if response.form is not None:
            if await replies.open_form(origin, response.form):
                return
            await replies.send(origin, response.message or _NO_MODAL)
            return
        if response.message is not None:
            await replies.send(
                origin, response.message, public=response.public, replace=response.replace_source
            )

    async def _publish_home(self, actor: Actor, client: AsyncWebClient) -> None:
        home = await self.core.home(actor)
        await client.views_publish(user_id=actor.user_id, view=home_view(home))

    async def _failed(self, origin: Origin, what: str, replies: Replies) -> None:
        log.exception("Slack %s from %s failed", what, origin.user_id)
        try:
            await replies.send(origin, notice(OOPS))
        except Exception:
            log.exception("could not tell %s about the failure", origin.user_id)
