"""Several real `crossfade run` processes on one PostgreSQL database, posting to the Slack fake.

The fake runs in the calling process and records every post; each serving process is its own
OS process (``tests/fleet_serve.py``: the product's `crossfade run`, pointed at the fake).
They serve Slack over HTTP (a signing secret, no app token): the prompts are outbound posts,
so `run` needs Slack only for auth.test at start, and Socket Mode would hold a websocket
per process for nothing.
``fan_out`` seeds members whose weekly prompt is due now, starts the processes, optionally
SIGKILLs one mid-fan-out, and waits (polling, with a deadline) until every prompt is in.
The test (tests/test_fleet.py) and the benchmark (benchmarks/multi_process.py) both run it.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bot.models import Actor
from bot.progress import first_prompt_at
from bot.storage.postgres import PostgresStore
from bot.storage.sql.db import ts
from tests.fakes.slack_fake import DEFAULT_TEAM_ID, SlackFake

ROOT = Path(__file__).resolve().parent.parent
# The transport paces at this share of the fake's limit, as it does of Slack's.
PACE_SHARE = 0.9
# Unfinished outbox rows (the lease columns are B's: bot/storage/sql/outbox.py).
_OPEN = "status IN ('pending', 'sending')"


def user_ids(members: int) -> list[str]:
    """The Slack user ids of the seeded members."""
    return [f"U{n:08d}" for n in range(1, members + 1)]


async def seed_due_prompts(url: str, members: int, now: datetime) -> datetime:
    """A Slack workspace whose ``members`` (in UTC) each have a sprint prompted at one slot.

    The slot is this minute (floored), the community's check-in time; the sprints started a
    week ago, so by the product's own rule (``first_prompt_at``) their first prompt is that
    slot, due at once. Rows go in with a few bulk statements (3,000 members through the store
    one by one take half a minute); returns the slot.
    """
    slot = now.replace(second=0, microsecond=0)
    week_ago = slot - timedelta(days=7)
    store = await PostgresStore.open(url)
    try:
        admin = Actor("slack", DEFAULT_TEAM_ID, "U0ADMIN", "admin", is_admin=True)
        community, _ = await store.ensure_member(admin, week_ago)
        community = replace(
            community, checkin_weekday=slot.weekday(), checkin_time=slot.time(), reminder_hours=24
        )
        await store.update_schedule(community, [])
    finally:
        await store.close()
    prompt = first_prompt_at(week_ago.date(), week_ago, community, ZoneInfo("UTC"))
    assert prompt == slot, (prompt, slot)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO members (community_id, ext_id, display_name, timezone, created_at)"
                " VALUES ($1, $2, $3, 'UTC', $4)",
                [(community.id, u, f"member {u}", ts(week_ago)) for u in user_ids(members)],
            )
            await conn.execute(
                "INSERT INTO sprints (member_id, goal, skill, deliverable_kind, deliverable,"
                " start_date, weeks, status, created_at, next_week, next_prompt_at, number)"
                " SELECT id, 'Mix a binaural podcast pilot', 'spatial mixing', 'workshop',"
                " 'A 45-minute workshop on binaural monitoring', $2, 12, 'active', $3, 1, $4, 1"
                " FROM members WHERE community_id = $1 AND ext_id <> 'U0ADMIN'",
                community.id,
                week_ago.date().isoformat(),
                ts(week_ago),
                ts(prompt),
            )
    finally:
        await conn.close()
    return slot


def child_env(url: str, fake: SlackFake, folder: Path) -> dict[str, str]:
    """A deployment's environment: the database, Slack over HTTP, nothing else inherited."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "CROSSFADE_"))
        and k.lower() not in ("http_proxy", "https_proxy")
    }
    env.update(
        CROSSFADE_DATABASE_URL=url,
        # Each process's status record (beside CROSSFADE_DB) in its own folder.
        CROSSFADE_DB=str(folder / "crossfade.db"),
        CROSSFADE_HTTP_PORT="0",
        CROSSFADE_LOG_LEVEL="INFO",
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=fake.signing_secret,
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@dataclass
class Served:
    """One running `crossfade run` process."""

    number: int
    process: asyncio.subprocess.Process
    folder: Path

    @property
    def pid(self) -> int:
        """Its OS process id (part of its outbox lease owner: host:pid:random)."""
        return self.process.pid

    @property
    def log(self) -> Path:
        """Where its stdout and stderr go."""
        return self.folder / "log.txt"

    def tail(self, lines: int = 15) -> str:
        """The end of its log, for a failure's message."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- process {self.number} (pid {self.pid}) ---\n" + "\n".join(
            text.splitlines()[-lines:]
        )


class Fleet:
    """Serving processes on one database, started and stopped (or killed) by the test."""

    def __init__(
        self,
        fake: SlackFake,
        url: str,
        folder: Path,
        *,
        per_second: float,
        lease: float | None = None,
    ) -> None:
        self.fake = fake
        self.url = url
        self.folder = folder
        self.per_second = per_second
        self.lease = lease
        self.processes: list[Served] = []

    async def start(
        self, count: int, env: Callable[[int], Mapping[str, str | None]] | None = None
    ) -> list[Served]:
        """Start ``count`` more processes (returns at once; they connect on their own).

        ``env`` changes process number n's environment (its own HTTP port); None unsets.
        """
        started = []
        for _ in range(count):
            number = len(self.processes) + 1
            folder = self.folder / f"process-{number}"
            folder.mkdir(parents=True, exist_ok=True)
            argv = [
                sys.executable, "-m", "tests.fleet_serve",
                "--slack-api-url", self.fake.api_url,
                "--per-second", str(self.per_second),
            ]  # fmt: skip
            if self.lease is not None:
                argv += ["--lease", str(self.lease)]
            with (folder / "log.txt").open("wb") as log:
                process = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                    env=_changed(child_env(self.url, self.fake, folder), env, number),
                    cwd=folder,  # no .env file there
                )
            served = Served(number, process, folder)
            self.processes.append(served)
            started.append(served)
        return started

    def alive(self) -> list[Served]:
        """The processes still running."""
        return [p for p in self.processes if p.process.returncode is None]

    async def kill(self, served: Served) -> None:
        """SIGKILL: no clean-up of any kind, as a machine losing power."""
        served.process.send_signal(signal.SIGKILL)
        await served.process.wait()

    async def stop(self, timeout: float = 15.0) -> dict[int, int | None]:  # noqa: ASYNC109
        """SIGTERM every live process and wait for it (SIGKILL past ``timeout``); exit codes."""
        for served in self.alive():
            served.process.send_signal(signal.SIGTERM)
        for served in self.processes:
            try:
                await asyncio.wait_for(served.process.wait(), timeout)
            except TimeoutError:
                await self.kill(served)
        return {p.number: p.process.returncode for p in self.processes}

    def tails(self) -> str:
        """Every process's last log lines."""
        return "\n".join(p.tail() for p in self.processes)


def _changed(
    base: dict[str, str], env: Callable[[int], Mapping[str, str | None]] | None, number: int
) -> dict[str, str]:
    """``base`` with process ``number``'s changes (None unsets a variable)."""
    for name, value in (env(number) if env else {}).items():
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return base


async def wait_until(
    probe: Callable[[], Awaitable[bool]],
    *,
    deadline: float,
    what: str,
    fleet: Fleet,
    every: float = 0.05,
) -> None:
    """Poll ``probe`` until it holds; past ``deadline`` (monotonic) fail with the logs.

    Separate OS processes can't notify the test, so it polls them, within a deadline.
    """
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{fleet.tails()}")
        if not fleet.alive():
            raise AssertionError(f"every process exited while waiting for {what}\n{fleet.tails()}")
        await asyncio.sleep(every)


@dataclass
class FanOut:
    """What one run did, read from the fake and the database once every process stopped."""

    members: list[str]
    started: float  # monotonic, when the processes were started
    first_post: float = 0.0
    last_post: float = 0.0
    killed: Served | None = None
    # The killed process's unfinished rows (leased or sending) the moment it died.
    held_at_kill: list[int] = field(default_factory=list)
    # Those of them it had claimed ('sending'): it may have posted them before it died.
    sending_at_kill: list[int] = field(default_factory=list)
    # From the kill until another process leased the first of them, and until the last
    # of them was delivered.
    takeover_began: float | None = None
    takeover_seconds: float | None = None
    posts: Counter[str] = field(default_factory=Counter)
    rows: list[Any] = field(default_factory=list)
    exit_codes: dict[int, int | None] = field(default_factory=dict)
    rejected: int = 0  # 429s the fake answered
    lookups: int = 0  # conversations.history calls: posts looked for before sending again
    served: list[Served] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """From the first prompt posted to the last."""
        return self.last_post - self.first_post

    @property
    def per_second(self) -> float:
        """Prompts delivered per second over the fan-out."""
        return len(self.members) / self.seconds if self.seconds > 0 else math.inf

    def duplicates(self) -> int:
        """Posts beyond the first in any one DM."""
        return sum(n - 1 for n in self.posts.values() if n > 1)


def enable_limits(fake: SlackFake, per_second: float) -> float:
    """Raise the fake's chat.postMessage limits to ``per_second`` for the workspace (one post a
    second per channel, as Slack's); returns the pace the processes keep under it."""
    fake.enable_post_limit(
        workspace_per_second=per_second, workspace_burst=max(1, math.ceil(per_second))
    )
    return per_second * PACE_SHARE


async def fan_out(
    fake: SlackFake,
    url: str,
    folder: Path,
    *,
    members: int,
    processes: int,
    limit: float,
    lease: float | None = None,
    kill_after: int | None = None,
    timeout: float = 60.0,  # noqa: ASYNC109 - the whole run's deadline
) -> FanOut:
    """Seed ``members`` due prompts, serve them with ``processes`` processes under the fake's
    ``limit`` (posts a second), SIGKILL one once ``kill_after`` prompts are in."""
    await seed_due_prompts(url, members, datetime.now(UTC))
    fleet = Fleet(fake, url, folder, per_second=enable_limits(fake, limit), lease=lease)
    deadline = time.monotonic() + timeout
    result = FanOut(user_ids(members), time.monotonic())
    conn = await asyncpg.connect(url)
    try:
        result.served = await fleet.start(processes)
        await _watch(fake, fleet, conn, result, kill_after, deadline)
        result.exit_codes = await fleet.stop()
        result.posts = Counter(m["channel"] for m in fake.messages)
        result.rejected = fake.post_stats.rejected
        result.lookups = len(fake.calls("conversations.history"))
        result.rows = await conn.fetch(
            "SELECT o.id, o.status, o.attempts, o.channel_ref, o.message_ref, m.ext_id"
            " FROM outbox o LEFT JOIN members m ON m.id = o.member_id ORDER BY o.id"
        )
    finally:
        await fleet.stop()
        await conn.close()
    return result


async def _watch(
    fake: SlackFake,
    fleet: Fleet,
    conn: Any,
    result: FanOut,
    kill_after: int | None,
    deadline: float,
) -> None:
    """Follow the fan-out to its end, killing one process on the way if asked."""
    total = len(result.members)

    async def posted(count: int) -> bool:
        return fake.post_stats.accepted >= count

    await wait_until(lambda: posted(1), deadline=deadline, what="the first prompt", fleet=fleet)
    result.first_post = time.monotonic()
    if kill_after is not None:
        await wait_until(
            lambda: posted(kill_after), deadline=deadline, what="the kill point", fleet=fleet
        )
        await _kill_one(fleet, conn, result, deadline)
    killed_at = time.monotonic()
    pending = set(result.held_at_kill)
    victim = f"%:{result.killed.pid}:%" if result.killed is not None else ""

    async def all_in() -> bool:
        nonlocal pending
        if pending:
            still = await conn.fetch(
                f"SELECT id, lease_owner LIKE $2 AS theirs FROM outbox"
                f" WHERE id = ANY($1::bigint[]) AND {_OPEN}",
                list(pending),
                victim,
            )
            if result.takeover_began is None and not all(r["theirs"] for r in still):
                result.takeover_began = time.monotonic() - killed_at
            pending = {int(r["id"]) for r in still}
            if not pending:
                result.takeover_seconds = time.monotonic() - killed_at
                if result.takeover_began is None:
                    result.takeover_began = result.takeover_seconds
        if fake.post_stats.accepted >= total and not result.last_post:
            result.last_post = time.monotonic()
        if pending or not result.last_post:
            return False
        left = await conn.fetchval(f"SELECT count(*) FROM outbox WHERE {_OPEN}")
        return int(left) == 0

    await wait_until(all_in, deadline=deadline, what=f"all {total} prompts", fleet=fleet)


async def _kill_one(fleet: Fleet, conn: Any, result: FanOut, deadline: float) -> None:
    """SIGKILL the process holding the most unfinished rows, and note which it held."""
    by_pid: dict[int, Served] = {p.pid: p for p in fleet.alive()}
    holders: Sequence[Any] = []

    async def someone_holds() -> bool:
        nonlocal holders
        holders = await conn.fetch(
            "SELECT split_part(lease_owner, ':', 2) AS pid, count(*) AS n FROM outbox"
            f" WHERE {_OPEN} AND lease_owner IS NOT NULL AND lease_until > $1"
            " GROUP BY 1 ORDER BY 2 DESC",
            ts(datetime.now(UTC)),
        )
        return any(int(h["pid"]) in by_pid for h in holders)

    await wait_until(someone_holds, deadline=deadline, what="a process holding rows", fleet=fleet)
    victim = next(by_pid[int(h["pid"])] for h in holders if int(h["pid"]) in by_pid)
    await fleet.kill(victim)
    result.killed = victim
    rows = await conn.fetch(
        f"SELECT id, status FROM outbox WHERE {_OPEN} AND split_part(lease_owner, ':', 2) = $1",
        str(victim.pid),
    )
    result.held_at_kill = [int(r["id"]) for r in rows]
    result.sending_at_kill = [int(r["id"]) for r in rows if r["status"] == "sending"]
