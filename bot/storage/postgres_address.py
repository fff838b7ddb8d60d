"""Naming a PostgreSQL database in messages (no asyncpg needed): name, host and port only."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def where(url: str) -> str:
    """The database an address names, for messages: name, host and port, never a password."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    name = unquote(parts.path.lstrip("/")) or unquote(parts.username or "") or "postgres"
    return f"{name!r} on {parts.hostname or 'localhost'}:{port}"
