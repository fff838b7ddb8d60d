"""`crossfade health`, the container healthcheck."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.health import heartbeat_path, problems
from bot.storage.sqlite import SqliteStore


@pytest.mark.asyncio
async def test_healthy_then_stale_heartbeat_then_broken_file(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    assert problems(db) == [f"no database at {db} yet"]
    store = await SqliteStore.open(db)
    await store.close()
    assert problems(db) == []
    beat = heartbeat_path(db)
    beat.touch()
    old = (datetime.now(UTC) - timedelta(minutes=20)).timestamp()
    os.utime(beat, (old, old))
    assert problems(db) == ["the scheduler last ticked 20 minutes ago"]
    beat.unlink()
    db.write_bytes(b"not sqlite" * 100)
    assert "not a readable Crossfade database" in problems(db)[0]
