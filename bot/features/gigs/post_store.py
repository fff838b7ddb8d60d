"""What posting leads, moderating them and expiring them ask of storage."""

from __future__ import annotations

from typing import Protocol


class GigPostStore(Protocol):
    """Posting, editing, closing, reports, approval, limits and expiry."""
