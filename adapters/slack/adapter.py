"""Slack for Crossfade: bolt listeners hand commands, buttons, modals and App Home to the core.

Every listener acknowledges first and works after, so Slack's 3-second limit is always met;
the one exception is a modal submission, whose acknowledgement carries the core's field
errors, so the core checks it before the ack (a local database call, well within 3 s).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import ACTION_PREFIX, home_view
from adapters.slack.modals import CALLBACK_ID, field_errors, submitted_values
from adapters.slack.people import People
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
from adapters.slack.transport import SlackTransport
from bot.app import Crossfade
from bot.config import Settings
from bot.delivery import Transport
from bot.errors import StartupError
from bot.messages import Message, Response, Tone, text
from bot.models import Actor

log = logging.getLogger(__name__)

SLACK_API = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
# 429s are retried after Retry-After by slack_sdk; past this the outbox reschedules.
RATE_LIMIT_RETRIES = 2


def _notice(words: str) -> Message:
    return Message(body=text(words), tone=Tone.ERROR)


_SORRY = _notice(
    "Something went wrong on my side and nothing was changed. Please try again; "
    "if it keeps happening, tell a community admin."
)
_NO_MODAL = _notice(
    "Slack didn't let me open the form in time. Please try again, or type the command "
    "with its options."
)
_STALE_FORM = _notice("That form is out of date; please start again.")


class SlackAdapter:
    """One Slack workspace: Socket Mode with an app token, otherwise signed HTTP requests."""

    def __init__(
        self,
        core: Crossfade,
        *,
        bot_token: str,
        app_token: str | None = None,
        signing_secret: str | None = None,
        host: str = "0.0.0.0",
        port: int = 3000,
        api_url: str = SLACK_API,
        max_per_second: float | None = None,
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
        # Typed as the protocol: PlatformAdapter's attribute is invariant.
        self.transport: Transport = SlackTransport(self.client, max_per_second=max_per_second)
        self.people = People(self.client)
        self.replies = Replies(self.client)
        self.app = AsyncApp(client=self.client, signing_secret=signing_secret or "")
        self.host = host
        self.port = port
        self._app_token = app_token
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.app.command(re.compile(r"^/"))(self._on_command)
        self.app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(self._on_button)
        self.app.view(CALLBACK_ID)(self._on_form)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.error(self._on_error)

    @classmethod
    def from_settings(
        cls, settings: Settings, core: Crossfade, *, api_url: str = SLACK_API
    ) -> SlackAdapter:
        """The adapter the environment configures."""
        if settings.slack_bot_token is None:
            raise StartupError("SLACK_BOT_TOKEN is not set.")
        return cls(
            core,
            bot_token=settings.slack_bot_token,
            app_token=settings.slack_app_token,
            signing_secret=settings.slack_signing_secret,
            port=settings.slack_port,
            api_url=api_url,
        )

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Check the token, then connect over Socket Mode or start serving HTTP."""
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            raise StartupError(
                f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')})."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StartupError(f"Can't reach Slack: {exc}") from None
        self.people.team_name = str(auth.get("team") or "")
        if self._app_token:
            self._socket = AsyncSocketModeHandler(
                self.app, app_token=self._app_token, web_client=self.client
            )
            # bolt leaves connect_async unannotated.
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: connected to %s over Socket Mode", self.people.team_name)
            return
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._on_http)
        self._runner = web.AppRunner(web_app)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("Slack: serving %s on %s", self.people.team_name, self.url)

    async def stop(self) -> None:
        """Disconnect and stop serving."""
        if self._socket is not None:
            # bolt leaves close_async unannotated.
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Where Slack's HTTP requests go (Request URL), once serving."""
        port = self.port
        if self._runner is not None and self._runner.addresses:
            port = int(self._runner.addresses[0][1])
        return f"http://{self.host}:{port}{EVENTS_PATH}"

    async def _on_http(self, request: web.Request) -> web.Response:
        # bolt verifies the signature and timestamp (401 otherwise) before any listener runs.
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # ------------------------------------------------------------------ listeners

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        origin = command_origin(body)
        try:
            actor = await self.people.actor(origin)
            line = command_line(str(body.get("command", "")), str(body.get("text", "")))
            await self._answer(origin, await self.core.run_line(actor, line))
        except Exception:
            await self._failed(origin, "slash command")

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        origin = action_origin(body)
        try:
            actions = body.get("actions") or [{}]
            actor = await self.people.actor(origin)
            await self._answer(
                origin, await self.core.press(actor, str(actions[0].get("value", "")))
            )
        except Exception:
            await self._failed(origin, "button")

    async def _on_form(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = load_meta(str(view.get("private_metadata", "")))
        if meta is None:
            await ack()
            await self.replies.direct(str((body.get("user") or {}).get("id", "")), _STALE_FORM)
            return
        origin = view_origin(body, meta)
        try:
            actor = await self.people.actor(origin)
            response = await self.core.submit_form(actor, meta.form_id, submitted_values(view))
        except Exception:
            await ack()
            await self._failed(origin, "form")
            return
        if response.field_errors:
            errors = field_errors(view, response.field_errors)
            if errors:
                await ack(response_action="errors", errors=errors)
                return
            # No field to show them under: keep the modal's answer, say what was wrong.
            await ack()
            await self.replies.send(origin, _notice(" ".join(response.field_errors.values())))
            return
        await ack()
        try:
            await self._answer(origin, response)
            if origin.from_home:
                await self._publish_home(actor)
        except Exception:
            await self._failed(origin, "form reply")

    async def _on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home":
            return
        try:
            await self._publish_home(await self.people.actor(home_origin(body, event)))
        except Exception:
            log.exception("App Home for %s failed", event.get("user"))

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed: %s (%s)", error, body.get("type"), exc_info=error)

    # ------------------------------------------------------------------ answering

    async def _answer(self, origin: Origin, response: Response) -> None:
        """Show a core Response: open its form as a modal, or send its message."""
        if response.form is not None:
            if await self.replies.open_form(origin, response.form):
                return
            await self.replies.send(origin, response.message or _NO_MODAL)
            return
        if response.message is not None:
            await self.replies.send(
                origin,
                response.message,
                public=response.public,
                replace=response.replace_source,
            )

    async def _publish_home(self, actor: Actor) -> None:
        home = await self.core.home(actor)
        await self.client.views_publish(user_id=actor.user_id, view=home_view(home))

    async def _failed(self, origin: Origin, what: str) -> None:
        log.exception("Slack %s from %s failed", what, origin.user_id)
        try:
            await self.replies.send(origin, _SORRY)
        except Exception:
            log.exception("could not tell %s about the failure", origin.user_id)
