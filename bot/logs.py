"""Logging set-up that never writes a secret."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# Token shapes, hidden even when a library logs one we were never told about.
_PATTERNS = [
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"),
]


# One-time OAuth codes: bolt logs one when Slack refuses it ("… with code: <code> - …");
# slack_sdk's DEBUG lines show it as {'code': '<code>'}, a callback URL as code=<code>.
# Only long values: "status code 429" stays readable.
_CODE = re.compile(r"(\bcode['\"]?[\s:=]+['\"]?)[A-Za-z0-9._-]{12,}", re.IGNORECASE)


def redact(message: str, secrets: Iterable[str]) -> str:
    """Hide known secrets and token-shaped strings in a string."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "[redacted]")
    for pattern in _PATTERNS:
        message = pattern.sub("[redacted]", message)
    return _CODE.sub(r"\1[redacted]", message)


class RedactingFormatter(logging.Formatter):
    """Formats records, tracebacks included, then hides secrets in the result."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record with every secret replaced."""
        return redact(super().format(record), self.secrets)


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr, secrets hidden."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler logs every job run at INFO; our engine logs what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    # Platform SDKs log request bodies at DEBUG, which hold members' private answers.
    for name in ("slack_sdk", "slack_bolt", "discord.http", "discord.gateway"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
