"""What the core serves over HTTP, in plain terms: routes, requests and answers.

A feature declares a ``Route`` (a method, an aiohttp-style path pattern such as
``/calendar/{token}.ics``, and an async handler); the web adapter (adapters/web.py) mounts
every route on the process's one web app and translates requests and answers. The core never
sees the HTTP library.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

# HEAD is answered for every GET route by the web app itself.
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
TEXT = "text/plain; charset=utf-8"
# A path of literal parts and {name} or {name:regex} placeholders, as aiohttp reads them.
_PATH = re.compile(r"/(?:[^{}\s]|\{[A-Za-z_][A-Za-z0-9_]*(?::[^{}\s]+)?\})*")


@dataclass(frozen=True)
class WebRequest:
    """One HTTP request as a route handler sees it."""

    path_params: Mapping[str, str] = field(default_factory=dict)
    # The first value of each query parameter.
    query: Mapping[str, str] = field(default_factory=dict)
    # Header names in lower case.
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class WebResponse:
    """A route handler's answer."""

    status: int = 200
    content_type: str = TEXT
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, body: str, status: int = 200, **headers: str) -> WebResponse:
        """A plain-text answer (UTF-8)."""
        return cls(status, TEXT, body.encode("utf-8"), headers)


Handler = Callable[[WebRequest], Awaitable[WebResponse]]


@dataclass(frozen=True)
class Route:
    """One thing the web app serves: ``handler`` answers ``method`` requests on ``path``."""

    method: str
    path: str
    handler: Handler


def check_routes(routes: Iterable[Route]) -> tuple[Route, ...]:
    """The routes, once each is known to be well formed and no two claim the same request."""
    checked: list[Route] = []
    seen: set[tuple[str, str]] = set()
    for route in routes:
        if route.method not in METHODS:
            raise ValueError(f"route {route.path}: method {route.method!r} is not one of {METHODS}")
        if not _PATH.fullmatch(route.path):
            raise ValueError(f"route path {route.path!r} must start with / and use {{name}} parts")
        # "/a/{x}" and "/a/{y}" match the same requests: compare the patterns without names.
        shape = re.sub(r"\{[A-Za-z0-9_]+", "{", route.path)
        if (route.method, shape) in seen:
            raise ValueError(f"two routes answer {route.method} {route.path}")
        seen.add((route.method, shape))
        checked.append(route)
    return tuple(checked)
