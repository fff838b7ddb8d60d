"""A stand-in for one `crossfade run` on this machine: it writes its own heartbeat and waits.

``python -m tests.heartbeat_child <db> <minutes>``: the heartbeat says Discord has been down
for ``minutes`` (0: connected). It prints "ready" once written, and runs until its stdin
closes or it is killed, as a process the health check may find alive or gone.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.heartbeats import heartbeat_path
from bot.status import Status


def main(db: Path, down_minutes: float) -> None:
    """Write this process's heartbeat, then wait for stdin to close."""
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(minutes=down_minutes))
    status = Status(clock)
    link = status.link("Discord")
    link.up()
    if down_minutes:
        link.down("the gateway closed")
    clock.set(now)
    status.tick_finished()
    status.write(heartbeat_path(db))
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]))
