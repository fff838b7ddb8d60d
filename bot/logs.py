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


class RedactSecrets(logging.Filter):
    """Replaces known secrets and token-shaped strings in log records."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, message: str) -> str:
        """Hide secrets in a string."""
        for secret in self.secrets:
            message = message.replace(secret, "[redacted]")
        for pattern in _PATTERNS:
            message = pattern.sub("[redacted]", message)
        return message

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without secrets."""
        record.msg = self.redact(record.getMessage())
        record.args = None
        return True


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr, secrets hidden."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler logs every job run at INFO; our engine logs what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
