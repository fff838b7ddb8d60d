"""Signed Slack slash commands at a steady rate against real `crossfade run` HTTP processes.

``--commands`` (500) slash commands in ``--seconds`` (10): each is sent at its moment
whether or not the earlier ones were answered, as Slack sends them, signed as Slack signs
them, from ``--members`` members per workspace, alternating between the workspaces and
round-robin over the processes as a load balancer would. First against one process, then
against two behind the same PostgreSQL database (a fresh one each run). Each process is a
real serving process (tests/fleet_serve.py: `crossfade run` with Slack's Web API at the
loopback fake, which takes the answers posted to each command's response_url).

Each member's first command starts a sprint (a write); then `/sprint status`, `/gig list`,
`/clinic list`, `/journey` and `/help`. Printed per run: the ack latency (the HTTP answer to
the signed request, which Slack wants within 3 s) p50/p99/max, the answer's latency (the
reply posted to the response_url) p50/p99, and the errors: requests refused or failed, acks
past 3 s, answers missing or saying something went wrong.

Workspaces: two when this Crossfade serves several (SLACK_CLIENT_ID/SECRET: each installs
the app through the OAuth flow first); until then the one of the bot token (said so).

Run: python -m benchmarks.slack_commands [--commands N] [--seconds S] [--members N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from tests.fakes.slack_fake import SlackFake
    from tests.fleet import Fleet
    from tests.postgres_server import PostgresServer

SLACK_ACK_LIMIT = 3.0  # seconds: Slack shows the member an error past this
OOPS_START = "Something went wrong"
PUBLIC = "https://crossfade.example.org"  # the deployment's address (distribution only)
SPRINT = (
    'start goal:"Mix a binaural podcast pilot" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A 45-minute workshop on binaural monitoring"'
)
# After a member's first command (their sprint), what they type, in turn.
READS = (
    ("/sprint", "status"),
    ("/gig", "list"),
    ("/sprint", "status"),
    ("/clinic", "list"),
    ("/journey", ""),
    ("/help", ""),
)


@dataclass(frozen=True)
class Workspace:
    """A workspace the commands come from: its team id and its members' user ids."""

    team_id: str
    users: tuple[str, ...]


@dataclass
class Sent:
    """One command as sent, and what came of it (monotonic seconds)."""

    team_id: str
    process: int
    at: float
    response_url: str
    status: int = 0
    acked: float | None = None
    error: str = ""


@dataclass
class Run:
    """One run's commands and the answers the fake received."""

    label: str
    workspaces: int
    processes: int
    sent: list[Sent] = field(default_factory=list)
    cpu_seconds: float | None = None  # the processes' CPU time over the timed part
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load, before and after
    answers: dict[str, tuple[float, str]] = field(default_factory=dict)  # url → (at, text)


def distributed() -> bool:
    """Whether this Crossfade serves several workspaces (and the fake has workspaces)."""
    from bot.config import Settings
    from tests.fakes.slack_fake import SlackFake

    names = {f.name for f in dataclasses.fields(Settings)}
    return "slack_client_id" in names and hasattr(SlackFake, "add_team")


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def commands(workspaces: Sequence[Workspace], count: int) -> list[tuple[str, str, str, str]]:
    """(team, user, command, text) in sending order: workspaces alternate, members take turns."""
    made: list[tuple[str, str, str, str]] = []
    turns: dict[str, int] = {}
    while len(made) < count:
        workspace = workspaces[len(made) % len(workspaces)]
        user = workspace.users[(len(made) // len(workspaces)) % len(workspace.users)]
        turn = turns[user] = turns.get(user, -1) + 1
        command, text = ("/sprint", SPRINT) if turn == 0 else READS[(turn - 1) % len(READS)]
        made.append((workspace.team_id, user, command, text))
    return made


async def serve(fake: SlackFake, url: str, folder: Path, count: int) -> tuple[Fleet, list[str]]:
    """``count`` `crossfade run` processes on the database at ``url``; their local addresses."""
    from tests.fleet import Fleet

    ports = [free_port() for _ in range(count)]
    extra: dict[str, str] = {"CROSSFADE_LOG_LEVEL": "WARNING"}
    if distributed():
        from cryptography.fernet import Fernet

        extra.update(
            SLACK_CLIENT_ID=fake.client_id,
            SLACK_CLIENT_SECRET=fake.client_secret,
            CROSSFADE_SECRET_KEY=Fernet.generate_key().decode(),
            CROSSFADE_PUBLIC_URL=PUBLIC,
        )
    fleet = Fleet(fake, url, folder, per_second=50.0)

    def env(number: int) -> Mapping[str, str | None]:
        more: dict[str, str | None] = {**extra, "CROSSFADE_HTTP_PORT": str(ports[number - 1])}
        if distributed():
            more["SLACK_BOT_TOKEN"] = None  # each workspace's own, from its installation
        return more

    await fleet.start(count, env)
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    async with aiohttp.ClientSession() as http:
        for base in bases:
            await _ready(http, base, fleet)
    return fleet, bases


async def _ready(http: aiohttp.ClientSession, base: str, fleet: Fleet) -> None:
    """Wait until a process answers /healthz (it has connected and serves)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            async with http.get(f"{base}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline or not fleet.alive():
            raise RuntimeError(f"a process did not start serving\n{fleet.tails()}")
        await asyncio.sleep(0.1)


async def install(http: aiohttp.ClientSession, base: str, team_id: str) -> None:
    """The OAuth install flow as a browser runs it: /slack/install, consent, back."""
    cookie = "slack-app-oauth-state"
    async with http.get(f"{base}/slack/install?team={team_id}", allow_redirects=False) as first:
        state = first.cookies[cookie].value
        consent = first.headers["Location"]
    async with http.get(consent, allow_redirects=False) as agreed:
        back = agreed.headers["Location"].replace(PUBLIC, base, 1)
    async with http.get(back, headers={"Cookie": f"{cookie}={state}"}) as done:
        if done.status != 200:
            raise RuntimeError(f"installing {team_id}: {done.status} {await done.text()}")


def workspaces_of(fake: SlackFake, members: int) -> list[Workspace]:
    """Two workspaces where several are served, else the token's; their members in the fake."""
    from tests.fakes.slack_fake import DEFAULT_TEAM_ID

    teams = ["T0BENCHA", "T0BENCHB"] if distributed() else [DEFAULT_TEAM_ID]
    found = []
    for team_id in teams:
        more: dict[str, Any] = {}
        if distributed():
            fake.add_team(team_id)  # type: ignore[attr-defined]
            more["team_id"] = team_id
        users = tuple(f"U{team_id[-1]}{n:06d}" for n in range(members))
        for user in users:
            fake.add_user(user, tz="Europe/London", **more)
        found.append(Workspace(team_id, users))
    return found


async def one_run(
    server: PostgresServer, folder: Path, name: str, processes: int, args: argparse.Namespace
) -> Run:
    """A fresh database, fake and ``processes`` processes; the commands sent on schedule."""
    from tests.fakes.slack_fake import SlackFake, signed_form_request, slash_command_body

    await server.create_database(name)
    async with SlackFake() as fake:
        workspaces = workspaces_of(fake, args.members)
        fleet, bases = await serve(fake, server.url(name), folder / name, processes)
        run = Run(name, len(workspaces), processes)
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                if distributed():
                    for workspace in workspaces:
                        await install(http, bases[0], workspace.team_id)
                await _warm_up(http, fake, bases, workspaces)
                planned = commands(workspaces, args.commands)
                cpu_before, load_before = _cpu(fleet), os.getloadavg()[0]
                gap = args.seconds / len(planned)
                began = time.monotonic()
                tasks = []
                for n, (team, user, command, text) in enumerate(planned):
                    await asyncio.sleep(max(0.0, began + n * gap - time.monotonic()))
                    url = fake.mint_response_url()
                    fields = slash_command_body(
                        command=command,
                        text=text,
                        response_url=url,
                        user_id=user,
                        team_id=team,
                        team_domain=team.lower(),
                    )
                    signed = signed_form_request(fake.signing_secret, fields)
                    sent = Sent(team, n % processes, time.monotonic(), url)
                    run.sent.append(sent)
                    tasks.append(
                        asyncio.create_task(_post(http, bases[sent.process], signed, sent))
                    )
                await asyncio.gather(*tasks)
                await _answers(fake, run, deadline=time.monotonic() + 30)
                cpu_after, run.load = _cpu(fleet), (load_before, os.getloadavg()[0])
                if cpu_before is not None and cpu_after is not None:
                    run.cpu_seconds = cpu_after - cpu_before
        finally:
            await fleet.stop()
    return run


def _cpu(fleet: Fleet) -> float | None:
    """The serving processes' CPU seconds so far (user + system; None without /proc)."""
    total = 0.0
    for served in fleet.alive():
        try:
            fields = Path(f"/proc/{served.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _warm_up(
    http: aiohttp.ClientSession, fake: SlackFake, bases: Sequence[str], spaces: Sequence[Workspace]
) -> None:
    """One /help per process and workspace before the clock starts (first-request costs)."""
    from tests.fakes.slack_fake import signed_form_request, slash_command_body

    for base in bases:
        for space in spaces:
            fields = slash_command_body(
                command="/help",
                response_url=fake.mint_response_url(),
                user_id=space.users[0],
                team_id=space.team_id,
                team_domain=space.team_id.lower(),
            )
            signed = signed_form_request(fake.signing_secret, fields)
            warm = Sent(space.team_id, 0, time.monotonic(), "")
            await _post(http, base, signed, warm)
            if warm.status != 200:
                raise RuntimeError(f"warm-up refused: {warm.status} {warm.error}")


async def _post(http: aiohttp.ClientSession, base: str, signed: Any, sent: Sent) -> None:
    """POST one signed command to a process's Request URL; note its ack."""
    try:
        timeout = aiohttp.ClientTimeout(total=30)
        async with http.post(
            f"{base}/slack/events", data=signed.body, headers=signed.headers, timeout=timeout
        ) as resp:
            await resp.read()
            sent.status, sent.acked = resp.status, time.monotonic()
    except (aiohttp.ClientError, TimeoutError) as exc:
        sent.error = type(exc).__name__


async def _answers(fake: SlackFake, run: Run, deadline: float) -> None:
    """Collect the answers posted to the response_urls, waiting for the late ones."""
    wanted = {s.response_url for s in run.sent if s.status == 200}
    while True:
        for post in fake.response_posts():
            if post.url in wanted and post.url not in run.answers:
                run.answers[post.url] = (post.at, _text(post.body))
        if len(run.answers) >= len(wanted) or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.1)


def _text(body: Mapping[str, Any]) -> str:
    """The words of an answer (its blocks' texts, else its text)."""
    parts = [str(body.get("text") or "")]
    for block in body.get("blocks") or []:
        inner = block.get("text")
        if isinstance(inner, dict):
            parts.append(str(inner.get("text") or ""))
    return "\n".join(p for p in parts if p)


def _ms(values: Sequence[float], share: float) -> str:
    if not values:
        return "      —"
    if len(values) == 1:
        return f"{values[0] * 1000:>7.1f}"
    cut = statistics.quantiles(values, n=100, method="inclusive")
    return f"{cut[round(share * 100) - 1] * 1000:>7.1f}"


def report(run: Run, seconds: float) -> int:
    """Print one run's figures; returns its error count."""
    acks = [s.acked - s.at for s in run.sent if s.acked is not None and s.status == 200]
    answered = [
        run.answers[s.response_url][0] - s.at for s in run.sent if s.response_url in run.answers
    ]
    refused = sum(1 for s in run.sent if s.error or (s.acked is not None and s.status != 200))
    late = sum(1 for a in acks if a > SLACK_ACK_LIMIT)
    missing = sum(1 for s in run.sent if s.status == 200 and s.response_url not in run.answers)
    oops = sum(1 for _, said in run.answers.values() if said.startswith(OOPS_START))
    errors = refused + late + missing + oops
    spread = run.sent[-1].at - run.sent[0].at if len(run.sent) > 1 else 0.0
    print(
        f"{run.processes} process{'es' if run.processes > 1 else ''}, "
        f"{run.workspaces} workspace{'s' if run.workspaces > 1 else ''}"
    )
    print(
        f"  commands sent                 {len(run.sent):>7}   over {spread:.1f} s"
        f" (planned {seconds:g} s)"
    )
    print(
        f"  ack latency p50 / p99 / max   {_ms(acks, 0.5)} / {_ms(acks, 0.99).strip()} /"
        f" {max(acks, default=0) * 1000:.1f} ms"
    )
    print(
        f"  answer latency p50 / p99      {_ms(answered, 0.5)} / {_ms(answered, 0.99).strip()}"
        " ms   (posted to the response_url)"
    )
    if run.cpu_seconds is not None:
        each = run.cpu_seconds / len(run.sent) * 1000 if run.sent else 0.0
        print(
            f"  CPU of the processes          {run.cpu_seconds:>7.1f} s   ({each:.1f} ms a command;"
            f" machine load {run.load[0]:.1f} → {run.load[1]:.1f} on {os.cpu_count()} cores)"
        )
    print(
        f"  errors                        {errors:>7}   ({refused} refused or failed,"
        f" {late} acks past 3 s, {missing} unanswered, {oops} 'something went wrong')"
    )
    sys.stdout.flush()
    return errors


async def run(args: argparse.Namespace) -> bool:
    """One process, then two on one database, on a throwaway PostgreSQL server."""
    from tests.postgres_server import NoPostgres, start

    try:
        server = start()
    except NoPostgres as exc:
        print(f"slack_commands: {exc}", file=sys.stderr)
        return False
    print(
        f"commands                        {args.commands:>7}   in {args.seconds:g} s"
        f" ({args.commands / args.seconds:.0f}/s), {args.members} members a workspace"
    )
    if not distributed():
        print(
            "workspaces                            1   (this Crossfade serves its token's"
            " only: two once multi-workspace Slack is in)"
        )
    sys.stdout.flush()
    errors = 0
    try:
        with tempfile.TemporaryDirectory() as folder:
            for count in args.processes:
                found = await one_run(server, Path(folder), f"commands{count}", count, args)
                errors += report(found, args.seconds)
    finally:
        server.stop()
    return errors == 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(prog="slack_commands", description=__doc__)
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--members", type=int, default=100, help="members a workspace")
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[1, 2], help="one run per count"
    )
    args = parser.parse_args(argv)
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
