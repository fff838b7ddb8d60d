"""What matching leads to members, their alerts, digests and interest ask of storage."""

from __future__ import annotations

from typing import Protocol


class GigMatchStore(Protocol):
    """Skills and aliases, alert settings, alerts, digests and interest."""
