"""A distributed Slack app: bolt's OAuth install flow on the web app, per-workspace requests.

``/slack/install`` sends the installer to Slack with a one-time state (kept in the database,
and in a cookie bolt checks on the way back), ``/slack/oauth_redirect`` exchanges Slack's code
for the workspace's bot token and stores it encrypted; any process can finish an install.
An install granted fewer scopes than the manifest asks for is refused, naming them. Each
request is authorized from the installation store; one for a workspace that hasn't installed
the app is refused quietly: one log line, no reply.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast
from urllib.parse import urljoin

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.manifest import BOT_SCOPES, REDIRECT_PATH
from adapters.slack.oauth_stores import CrossfadeInstallationStore, CrossfadeStateStore
from adapters.slack.people import People
from adapters.slack.workspaces import Workspaces, WorkspaceTransports
from adapters.web import WebApp
from bot.installations import STATE_TTL, Installations
from bot.links import PublicUrl

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
# Requests bolt serves without a workspace's token: Slack's checks, and the revocation events
# (sent once the token is gone).
_NO_TOKEN_TYPES = frozenset({"url_verification", "ssl_check"})
_REVOCATION_EVENTS = frozenset({"app_uninstalled", "tokens_revoked", "team_access_revoked"})


class NotInstalled(Exception):
    """The workspace has no installation of the app (any more)."""


class MissingScopes(BoltError):
    """Slack granted the install fewer scopes than the manifest asks for."""

    def __init__(self, team: str, missing: Sequence[str]) -> None:
        super().__init__(f"{team} was installed without {', '.join(missing)}")
        self.team = team
        self.missing = tuple(missing)


def missing_scopes(granted: Sequence[str] | str | None) -> list[str]:
    """The manifest's bot scopes an install's ``scope`` (comma-separated) lacks."""
    have = granted.split(",") if isinstance(granted, str) else list(granted or ())
    held = {scope.strip() for scope in have}
    return [scope for scope in BOT_SCOPES if scope not in held]


class _OAuthClient(AsyncWebClient):
    """oauth.v2.access with the app's id and secret as form fields, which Slack accepts too.

    slack_sdk sends them with aiohttp's BasicAuth, deprecated since aiohttp 3.13 (a warning
    on every install).
    """

    async def oauth_v2_access(
        self,
        *,
        client_id: str,
        client_secret: str,
        code: str | None = None,
        redirect_uri: str | None = None,
        grant_type: str | None = None,
        refresh_token: str | None = None,
        **kwargs: Any,
    ) -> AsyncSlackResponse:
        """Exchange an install's code for its workspace's bot token."""
        fields = {"code": code, "redirect_uri": redirect_uri, "grant_type": grant_type}
        fields["refresh_token"] = refresh_token
        data = {key: value for key, value in fields.items() if value is not None}
        data.update(kwargs, client_id=client_id, client_secret=client_secret)
        return await self.api_call("oauth.v2.access", data=data)


class InstallFlow(AsyncOAuthFlow):
    """bolt's flow, except an install missing scopes is refused instead of stored."""

    def __init__(
        self, *, client: AsyncWebClient, settings: AsyncOAuthSettings, workspaces: Workspaces
    ):
        super().__init__(client=client, logger=log, settings=settings)
        self.workspaces = workspaces

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
        """Keep the installation (its token encrypted) if it has every scope we need."""
        missing = missing_scopes(installation.bot_scopes)
        if missing:
            raise MissingScopes(installation.team_name or installation.team_id or "?", missing)
        await super().store_installation(request, installation)
        self.workspaces.forget(installation.team_id or "")


class InstalledAuthorize(AsyncAuthorize):
    """bolt's authorize: the workspace's bot token from the installation store (cached)."""

    def __init__(self, workspaces: Workspaces) -> None:
        self.workspaces = workspaces

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        """The request's workspace's bot, or None if it hasn't installed the app."""
        installed = await self.workspaces.find(team_id or "", enterprise_id)
        if installed is None:
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=installed.team_id,
            team=installed.team_name,
            bot_id=installed.bot_id,
            bot_user_id=installed.bot_user_id,
            bot_token=installed.bot_token,
            bot_scopes=list(installed.scopes),
            user_id=user_id,
        )


class Distribution:
    """Everything a distributed app adds to the Slack adapter: stores, flow, routes, lookups."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        installations: Installations,
        public_url: str,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.installation_store = CrossfadeInstallationStore(installations)
        self.state_store = CrossfadeStateStore(installations)
        # CROSSFADE_PUBLIC_URL: where Slack sends installers back to, and where they begin.
        self.public_url = PublicUrl(public_url.rstrip("/"))
        self.install_url = self.public_url.link(INSTALL_PATH)
        self.workspaces: Workspaces | None = None
        self.transport: WorkspaceTransports | None = None
        self.flow: InstallFlow | None = None

    def app(
        self, client: AsyncWebClient, signing_secret: str, max_per_second: float | None
    ) -> AsyncApp:
        """The bolt app: every request authorized from the installation store."""
        self.workspaces = Workspaces(self.installation_store, client)
        self.transport = WorkspaceTransports(self.workspaces, max_per_second=max_per_second)
        self.transport.install_url = self.install_url
        settings = AsyncOAuthSettings(
            client_id=self.client_id,
            client_secret=self._client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            redirect_uri=self.public_url.link(REDIRECT_PATH),
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            # Straight to Slack's consent page: our own page would only hold its link.
            install_page_rendering_enabled=False,
            authorization_url=urljoin(str(client.base_url), "/oauth/v2/authorize"),
            callback_options=AsyncCallbackOptions(success=self._installed, failure=self._refused),
            installation_store=self.installation_store,
            installation_store_bot_only=True,
            state_store=self.state_store,
            state_expiration_seconds=int(STATE_TTL.total_seconds()),
            logger=log,
        )
        oauth_client = _OAuthClient(
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=list(client.retry_handlers),
        )
        self.flow = InstallFlow(client=oauth_client, settings=settings, workspaces=self.workspaces)
        # Given the flow, bolt doesn't build one of its own from SLACK_CLIENT_ID (with file
        # stores in the home directory).
        return AsyncApp(
            client=client,
            signing_secret=signing_secret,
            request_verification_enabled=False,
            oauth_flow=self.flow,
            # bolt types authorize as a plain callable; an AsyncAuthorize is what it calls.
            authorize=cast(
                Callable[..., Awaitable[AuthorizeResult]], InstalledAuthorize(self.workspaces)
            ),
            before_authorize=self._installed_only,
        )

    def mount(self, web_app: WebApp) -> None:
        """Serve the install flow on the web app."""
        assert self.flow is not None
        web_app.add_get(INSTALL_PATH, self._bolt(self.flow.handle_installation))
        web_app.add_get(REDIRECT_PATH, self._bolt(self.flow.handle_callback))

    def share(self, session: aiohttp.ClientSession) -> None:
        """Every call this app makes goes through ``session`` (one connection pool)."""
        assert self.workspaces is not None
        self.workspaces.adopt(session)
        if self.flow is not None:
            self.flow.client.session = session

    @staticmethod
    def _bolt(
        handler: Callable[[AsyncBoltRequest], Awaitable[BoltResponse]],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await handler(await to_bolt_request(request)))

        return handle

    async def people(self, team_id: str) -> People:
        """The workspace's People (users.info with its own token)."""
        assert self.workspaces is not None
        installed = await self.workspaces.find(team_id)
        if installed is None:
            raise NotInstalled(team_id)
        return self.workspaces.people(installed)

    async def _installed_only(
        self,
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
        next_: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        """A request from a workspace that hasn't installed the app goes no further."""
        assert self.workspaces is not None
        body = request.body or {}
        event = body.get("event") or {}
        if body.get("type") in _NO_TOKEN_TYPES or event.get("type") in _REVOCATION_EVENTS:
            await next_()
            return None
        team_id = context.team_id or ""
        if team_id and await self.workspaces.find(team_id, context.enterprise_id) is not None:
            await next_()
            return None
        log.warning(
            "refused a Slack request from workspace %s: the app isn't installed there",
            team_id or "?",
        )
        return BoltResponse(status=200 if request.mode == "socket_mode" else 403, body="")

    # ------------------------------------------------------------------ pages

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        name = installation.team_name or installation.team_id or "your workspace"
        log.info("Slack: installed in %s (%s)", name, installation.team_id)
        return _page(
            args,
            200,
            "Crossfade is installed",
            f"Crossfade is now installed in <strong>{html.escape(name)}</strong>. Open Slack "
            "and type <code>/sprint</code> in any channel to begin.",
        )

    async def _refused(self, args: AsyncFailureArgs) -> BoltResponse:
        again = f'<a href="{html.escape(self.install_url)}">Start the install again</a>.'
        error = args.error
        if isinstance(error, MissingScopes):
            missing = ", ".join(error.missing)
            log.warning(
                "Slack: install in %s refused: missing scopes %s (reinstall, allowing them)",
                error.team,
                missing,
            )
            text = (
                f"Crossfade was not installed in <strong>{html.escape(error.team)}</strong>: "
                f"Slack granted it without these permissions: <code>{html.escape(missing)}"
                f"</code>. Crossfade needs every one of them. {again} and allow them all "
                "(if they aren't offered, update the app from <code>crossfade "
                "slack-manifest</code> first)."
            )
            return _page(args, 400, "Permissions missing", text)
        log.warning("Slack: an install was refused (%s)", args.reason)
        if args.reason in ("invalid_state", "invalid_browser"):
            text = (
                "This install link has expired or was already used, or it was opened in "
                f"another browser. Nothing was installed. {again}"
            )
        elif args.reason in ("missing_code", "invalid_code"):
            text = f"Slack didn't confirm the install, so nothing was installed. {again}"
        elif args.reason == "storage_error":
            text = f"The installation couldn't be saved; nothing was installed. {again}"
        else:  # Slack's own error: most often the installer pressed Cancel
            text = f"The install was cancelled in Slack ({html.escape(args.reason)}). {again}"
        return _page(args, args.suggested_status_code, "Not installed", text)


def _page(
    args: AsyncSuccessArgs | AsyncFailureArgs, status: int, title: str, text: str
) -> BoltResponse:
    """A small HTML page; the state cookie is cleared (it is good for one try)."""
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{text}</p></body></html>"
    )
    return BoltResponse(
        status=status,
        body=body,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
    )
