"""Several processes on one PostgreSQL database: a week's prompts with one process killed.

3,000 members' weekly prompts come due at once. First one `crossfade run` process delivers
them alone; then three share a fresh copy of the same data, and one is SIGKILLed once
``--kill-after`` prompts are in (mid-fan-out, holding leased rows). Each process is a real
serving process (tests/fleet_serve.py) posting to the loopback Slack fake, which enforces
chat.postMessage's limits: one post a second per channel, and the workspace limit raised
from Slack's 300 a minute to ``--limit`` a second (default 30, so a run takes under two
minutes); the bot paces at 90% of it, shared by the processes through the database.

Printed: each run's throughput (first prompt to last), the three's share of the one's (the
issue asks at least 90%), the killed process's rows and how long their takeover took (the
outbox lease, 60 s unless ``--lease``), how many it had already posted (found on Slack by
the takeover, not posted again), and duplicates and losses (both must be 0).

Run: python -m benchmarks.multi_process [--members N] [--limit N] [--kill-after N] [--lease S]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fleet import FanOut
    from tests.postgres_server import PostgresServer

TARGET = 0.9  # the three together at least 90% as fast as one alone
FOUND_LINE = "had reached the platform already"


async def one_run(
    server: PostgresServer,
    folder: Path,
    name: str,
    *,
    members: int,
    processes: int,
    limit: float,
    lease: float | None,
    kill_after: int | None,
) -> FanOut:
    """A fresh database and fake; the fan-out with ``processes`` processes."""
    from tests.fakes.slack_fake import SlackFake
    from tests.fleet import fan_out

    await server.create_database(name)
    async with SlackFake() as fake:
        return await fan_out(
            fake,
            server.url(name),
            folder / name,
            members=members,
            processes=processes,
            limit=limit,
            lease=lease,
            kill_after=kill_after,
            timeout=900,
        )
    return run


def report(label: str, run: FanOut) -> bool:
    """Print one run's figures; True if every prompt went out exactly once."""
    lost = len(run.members) - len(run.posts)
    undelivered = sum(1 for r in run.rows if r["status"] != "delivered")
    print(label)
    print(f"  first prompt after start      {run.first_post - run.started:>8.1f} s")
    print(f"  prompts delivered             {len(run.posts):>8,}   in {run.seconds:.1f} s")
    print(f"  throughput                    {run.per_second:>8.1f} /s")
    print(f"  duplicates / lost / 429s      {run.duplicates():>4} / {lost} / {run.rejected}")
    if run.killed is not None:
        found = sum(
            p.log.read_text(errors="replace").count(FOUND_LINE)
            for p in run.served
            if p is not run.killed
        )
        began, done = run.takeover_began, run.takeover_seconds
        print(f"  killed                        process {run.killed.number} (SIGKILL)")
        print(
            f"  its rows at the kill          {len(run.held_at_kill):>8}   leased,"
            f" {len(run.sending_at_kill)} of them sending"
        )
        print(f"  found on Slack, not reposted  {found:>8}   ({run.lookups} history lookups)")
        if began is not None and done is not None:
            print(f"  taken over after the kill     {began:>8.1f} s   (the first row leased again)")
            print(f"  all of them delivered after   {done:>8.1f} s")
    sys.stdout.flush()
    return run.duplicates() == 0 and lost == 0 and undelivered == 0


async def run(args: argparse.Namespace) -> bool:
    """Both runs on one throwaway PostgreSQL server; print the figures."""
    from tests.postgres_server import NoPostgres, start

    try:
        server = start()
    except NoPostgres as exc:
        print(f"multi_process: {exc}", file=sys.stderr)
        return False
    lease = f"{args.lease:g} s" if args.lease is not None else "the default, 60 s"
    print(f"members, prompts due at once    {args.members:>8,}")
    print(f"posting limit at the fake       {args.limit:>8.1f} /s   (paced at 90%)")
    print(f"outbox lease                    {lease}", flush=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            alone = await one_run(
                server,
                Path(folder),
                "alone",
                members=args.members,
                processes=1,
                limit=args.limit,
                lease=args.lease,
                kill_after=None,
            )
            ok = report("one process alone", alone)
            shared = await one_run(
                server,
                Path(folder),
                "shared",
                members=args.members,
                processes=args.processes,
                limit=args.limit,
                lease=args.lease,
                kill_after=args.kill_after,
            )
            ok = report(f"{args.processes} processes, one killed", shared) and ok
            ratio = shared.per_second / alone.per_second
            verdict = "met" if ratio >= TARGET else "NOT met"
            share = f"{ratio:>8.0%}   (target 90%: {verdict})"
            print(f"{args.processes} processes vs one alone     {share}")
            return ok
    finally:
        server.stop()


def main() -> int:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument(
        "--limit", type=float, default=30.0, help="the fake's workspace posts a second"
    )
    parser.add_argument("--kill-after", type=int, default=600, help="prompts in before the kill")
    parser.add_argument("--lease", type=float, default=None, help="outbox lease, seconds")
    args = parser.parse_args()
    # Loopback only: slack_sdk would send it through a proxy named in the environment.
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(var, None)
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)  # the fake and the fleet live in tests/
    began = time.monotonic()
    ok = asyncio.run(run(args))
    print(f"total run time                  {time.monotonic() - began:>8.1f} s")
    print("result                          " + ("OK" if ok else "FAILED: see above"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
