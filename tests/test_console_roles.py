"""The console's /as keeps who is an admin, and says so when a role changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_console import play


@pytest.mark.asyncio
async def test_switching_back_to_the_host_keeps_admin(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "roles.db",
        [
            "/as alice",
            "/admin schedule",
            "/as host",
            "/admin schedule",
        ],
    )
    assert "You are now alice, in #general." in transcript
    assert transcript.count("/admin schedule is for community admins only.") == 1
    assert "You are now host (admin), in #general." in transcript
    assert "Community settings" in transcript


@pytest.mark.asyncio
async def test_a_role_change_is_said_out_loud(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "roles.db",
        [
            "/as host member",
            "/admin schedule",
            "/as bob admin",
            "/as alice",
            "/as bob",
            "/whoami",
            "/as bob boss",
        ],
    )
    assert "You are now host (no longer an admin), in #general." in transcript
    assert "/admin schedule is for community admins only." in transcript
    assert "You are now bob (now an admin), in #general." in transcript
    assert "You are now bob (admin), in #general." in transcript
    assert "bob (admin) in #general" in transcript
    assert "Usage: /as <name> [admin|member]" in transcript
