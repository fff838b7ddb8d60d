"""Posting gig leads in SQLite: numbering, limits, edits, closing, reports, approval, expiry.

``GigPostSql`` is a mixin of ``SqliteStore``.
"""

from __future__ import annotations

from bot.storage.sqlite.connection import ConnectionBase


class GigPostSql(ConnectionBase):
    """Every posting and moderation query of SqliteStore."""
