"""The process's one web app (aiohttp): /healthz, the core's routes and Slack's Request URL.

Everything is served on one port (CROSSFADE_HTTP_PORT). The core declares its routes in plain
terms (bot/web_routes.py); this module alone turns them into aiohttp handlers. The port is
taken first, before anything connects, so a port in use stops start-up in one line; serving
begins once every route is mounted. A handler that fails answers 500 and logs one line (its
traceback only at DEBUG); request paths are never logged, since a feed's path is its secret.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from aiohttp import web

from bot.config import HTTP_PORT, Settings
from bot.errors import StartupError
from bot.health import health_route
from bot.links import PublicUrl
from bot.web_routes import Route, WebRequest, WebResponse, check_routes

log = logging.getLogger(__name__)

AiohttpHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# How long stopping waits for requests still being answered.
SHUTDOWN_SECONDS = 5.0
_EVERYWHERE = ("0.0.0.0", "::", "")


class WebApp:
    """One HTTP server for the process; routes are added before ``start``."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        routes: Sequence[Route] = (),
        public_url: str | None = None,
        port_from: str = "",
    ) -> None:
        self.host = host
        self._port = port
        self._port_from = port_from
        self._public = public_url
        self.app = web.Application(middlewares=[_one_line_errors])
        for route in check_routes(routes):
            if route.method == "GET":
                self.app.router.add_get(route.path, _aiohttp(route))  # HEAD too
            else:
                self.app.router.add_route(route.method, route.path, _aiohttp(route))
        self._sock: socket.socket | None = None
        self._runner: web.AppRunner | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        console: bool,
        routes: Sequence[Route] = (),
        jobs: Callable[[], Awaitable[datetime | None]] | None = None,
    ) -> WebApp:
        """The web app the settings configure: /healthz first, then ``routes``.

        ``jobs`` reads when the deployment last completed its timed jobs, for /healthz.
        """
        file = settings.database_url is None
        return cls(
            host=settings.web_host(console=console),
            port=settings.http_port,
            routes=[health_route(settings.db_path, file=file, jobs=jobs), *routes],
            public_url=settings.public_url,
            port_from=settings.http_port_from,
        )

    def add_post(self, path: str, handler: AiohttpHandler) -> None:
        """Serve a platform's own endpoint (Slack's Request URL) with an aiohttp handler."""
        self.app.router.add_post(path, handler)

    def add_get(self, path: str, handler: AiohttpHandler) -> None:
        """Serve a platform's own page (Slack's install flow) with an aiohttp handler."""
        self.app.router.add_get(path, handler)

    def listen(self) -> None:
        """Take the port now (StartupError naming what to change if it can't be had)."""
        if self._sock is not None:
            return
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.host or None, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            sock = socket.socket(family, kind, proto)
        except OSError as exc:
            raise StartupError(self._why_not(exc)) from None
        try:
            # As asyncio does: a restarted bot gets its port back at once.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError as exc:
            sock.close()
            raise StartupError(self._why_not(exc)) from None
        self._sock = sock

    def _why_not(self, exc: OSError) -> str:
        named = self._port_from or f"the default of {HTTP_PORT}"
        if exc.errno == errno.EADDRINUSE:
            return (
                f"Port {self._port} ({named}) is already in use on {self.host}: stop what "
                f"uses it, or set {HTTP_PORT} to a free port."
            )
        if exc.errno == errno.EACCES:
            return (
                f"Not allowed to listen on port {self._port} ({named}): ports below 1024 "
                f"need privileges; set {HTTP_PORT} to 1024 or above."
            )
        reason = exc.strerror or str(exc)
        return (
            f"Can't listen on {self.host} port {self._port} ({reason}): set "
            "CROSSFADE_HTTP_HOST to an address of this machine, such as 0.0.0.0 or 127.0.0.1."
        )

    @property
    def port(self) -> int:
        """The port served (the one the system picked when configured as 0), once listening."""
        if self._sock is None:
            return self._port
        return int(self._sock.getsockname()[1])

    @property
    def public_url(self) -> PublicUrl:
        """The address links show: CROSSFADE_PUBLIC_URL, else this machine's own."""
        if self._public:
            return PublicUrl(self._public)
        host = "127.0.0.1" if self.host in _EVERYWHERE else self.host
        return PublicUrl.local(self.port, host)

    def local_url(self, path: str = "/") -> str:
        """``path`` at the address this machine reaches the web app on (tests, logs)."""
        host = "127.0.0.1" if self.host in _EVERYWHERE else self.host
        return PublicUrl.local(self.port, host).link(path)

    async def start(self) -> None:
        """Listen if not yet, and serve every route mounted so far."""
        self.listen()
        assert self._sock is not None
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        await web.SockSite(runner, self._sock).start()
        self._runner = runner
        paths = sorted({r.canonical for r in self.app.router.resources()})
        log.info("web: serving %s on %s:%d", ", ".join(paths), self.host, self.port)
        if not self._public:
            log.info(
                "CROSSFADE_PUBLIC_URL is not set: links to the web app use %s, which only "
                "this machine can open",
                self.public_url.base,
            )

    async def stop(self) -> None:
        """Stop serving and give the port back."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        elif self._sock is not None:
            self._sock.close()
        self._sock = None


def _aiohttp(route: Route) -> AiohttpHandler:
    """An aiohttp handler that hands ``route`` a WebRequest and sends back its WebResponse."""

    async def handle(request: web.Request) -> web.StreamResponse:
        answer = await route.handler(
            WebRequest(
                path_params=dict(request.match_info),
                query={key: request.query[key] for key in request.query},
                headers={key.lower(): value for key, value in request.headers.items()},
                body=await request.read() if request.can_read_body else b"",
            )
        )
        if not isinstance(answer, WebResponse):
            raise TypeError(f"the handler returned {type(answer).__name__}, not a WebResponse")
        return web.Response(
            status=answer.status,
            body=answer.body,
            headers={**answer.headers, "Content-Type": answer.content_type},
        )

    return handle


@web.middleware
async def _one_line_errors(request: web.Request, handler: AiohttpHandler) -> web.StreamResponse:
    """A failing handler answers 500 and logs one line, not a traceback (that only at DEBUG)."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise  # 404, 405 …: aiohttp's own answers
    except Exception as exc:
        # The route's pattern, not the path: a calendar feed's path holds its token.
        route = request.match_info.route.resource
        where = route.canonical if route is not None else "?"
        problem = " ".join(str(exc).split())[:200]
        log.error("web: %s %s failed: %s: %s", request.method, where, type(exc).__name__, problem)
        log.debug("web: %s %s traceback", request.method, where, exc_info=True)
        return web.Response(status=500, text="Internal error\n")
