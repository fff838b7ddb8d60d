"""Links to the bot's web app: the address people open them at (CROSSFADE_PUBLIC_URL)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

# The web app's port when none is configured (Slack's HTTP mode used it before, as SLACK_PORT).
DEFAULT_HTTP_PORT = 3000


@dataclass(frozen=True)
class PublicUrl:
    """Where the web app is reached from outside; every link to it starts with ``base``."""

    base: str  # "https://crossfade.example.org" or "https://example.org/crossfade", no "/" last

    @classmethod
    def local(cls, port: int = DEFAULT_HTTP_PORT, host: str = "127.0.0.1") -> PublicUrl:
        """This machine's own address for the web app (what links say with no public URL)."""
        host = f"[{host}]" if ":" in host else host
        return cls(f"http://{host}:{port}")

    def link(self, path: str) -> str:
        """The full address of ``path`` on the web app: ``link("/healthz")``."""
        return f"{self.base}/{path.lstrip('/')}"


def public_base(raw: str) -> str:
    """CROSSFADE_PUBLIC_URL as links use it (no trailing "/"); ValueError says what to fix."""
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 -- raises for a port that isn't a number
    except ValueError:
        raise ValueError("is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must start with https:// (or http://) and name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold a user name or password")
    if any(c.isspace() or c in "?#" for c in raw.strip()):
        raise ValueError("must be a plain address, without spaces, ? or #")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
