"""Matching gig leads in SQLite: skills and aliases, alert settings, alerts, digests, interest.

``GigMatchSql`` is a mixin of ``SqliteStore``.
"""

from __future__ import annotations

from bot.storage.sqlite.connection import ConnectionBase


class GigMatchSql(ConnectionBase):
    """Every matching query of SqliteStore."""
