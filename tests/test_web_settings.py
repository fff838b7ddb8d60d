"""The web app's settings and start-up: one port (SLACK_PORT still read), a port in use, links."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from adapters.platforms import run_platforms
from adapters.slack.adapter import SlackAdapter
from bot.config import load_settings
from bot.errors import StartupError
from tests.startup_env import TIMEOUT, crossfade, env_for, one_line

SLACK_HTTP = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cr3t"}


def test_one_port_for_everything_and_its_defaults() -> None:
    settings = load_settings({})
    assert (settings.http_port, settings.http_port_from, settings.notes()) == (3000, "", [])
    assert settings.web_host(console=True) == "127.0.0.1"
    assert settings.web_host(console=False) == "0.0.0.0"
    assert settings.public_url is None
    chosen = load_settings(
        {"CROSSFADE_HTTP_PORT": "8080", "CROSSFADE_HTTP_HOST": "0.0.0.0", **SLACK_HTTP}
    )
    assert (chosen.http_port, chosen.slack_port, chosen.http_port_from) == (
        8080,
        8080,
        "CROSSFADE_HTTP_PORT",
    )
    assert chosen.web_host(console=True) == "0.0.0.0"
    assert load_settings({"CROSSFADE_HTTP_PORT": "0"}).http_port == 0  # any free port


def test_slack_port_alone_is_read_as_the_web_port_and_said_so() -> None:
    old = load_settings({"SLACK_PORT": "3100", **SLACK_HTTP})
    assert (old.http_port, old.http_port_from) == (3100, "SLACK_PORT")
    assert old.notes() == [
        "SLACK_PORT is read as CROSSFADE_HTTP_PORT, its new name: the web app (Slack's "
        "Request URL, /healthz, calendar feeds) listens on port 3100."
    ]
    both = load_settings({"SLACK_PORT": "3100", "CROSSFADE_HTTP_PORT": "3100"})
    assert (both.http_port, both.notes()) == (3100, [])
    with pytest.raises(StartupError) as caught:
        load_settings({"SLACK_PORT": "3100", "CROSSFADE_HTTP_PORT": "8080"})
    assert "CROSSFADE_HTTP_PORT (8080) and SLACK_PORT (3100) differ" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "base"),
    [
        ("https://crossfade.example.org", "https://crossfade.example.org"),
        ("https://crossfade.example.org/", "https://crossfade.example.org"),
        (" http://192.168.1.20:3000/crossfade// ", "http://192.168.1.20:3000/crossfade"),
    ],
)
def test_the_public_url_is_kept_without_its_trailing_slash(raw: str, base: str) -> None:
    assert load_settings({"CROSSFADE_PUBLIC_URL": raw}).public_url == base


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("crossfade.example.org", "must start with https://"),
        ("ftp://crossfade.example.org", "must start with https://"),
        ("https://", "must start with https://"),
        ("https://bot:hunter2@crossfade.example.org", "must not hold a user name or password"),
        ("https://crossfade.example.org/?x=1", "must be a plain address, without spaces, ? or #"),
        ("https://crossfade example.org", "must be a plain address, without spaces, ? or #"),
        ("https://crossfade.example.org:port", "is not a URL"),
    ],
)
def test_a_public_url_that_isnt_one_is_refused_with_what_to_fix(raw: str, why: str) -> None:
    with pytest.raises(StartupError) as caught:
        load_settings({"CROSSFADE_PUBLIC_URL": raw})
    message = str(caught.value)
    assert f"CROSSFADE_PUBLIC_URL {why}" in message
    assert "e.g. https://crossfade.example.org" in message
    assert "hunter2" not in message


def test_bad_ports_and_hosts_are_listed_with_the_other_problems() -> None:
    with pytest.raises(StartupError) as caught:
        load_settings(
            {
                "CROSSFADE_HTTP_PORT": "70000",
                "SLACK_PORT": "0",
                "CROSSFADE_HTTP_HOST": "http://0.0.0.0",
            }
        )
    message = str(caught.value)
    assert "CROSSFADE_HTTP_PORT must be a port number between 0 and 65535." in message
    assert "SLACK_PORT must be a port number between 1 and 65535." in message
    assert "CROSSFADE_HTTP_HOST must be an address to listen on" in message


# ---------------------------------------------------------------------- `crossfade run`


@contextmanager
def console(db: Path, **env: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A running console (waiting for input) and the web address it printed."""
    environment = {k: v for k, v in env_for(db).items() if not k.endswith("_PORT")}
    environment.update(env)
    with subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=db.parent,
    ) as bot:
        try:
            assert bot.stdout is not None
            assert bot.stdout.readline().startswith("Crossfade console on"), bot.stderr
            web_line = bot.stdout.readline()
            assert web_line.startswith("Web app on http://127.0.0.1:"), web_line
            yield bot, web_line.split()[3].rstrip("/")
        finally:
            if bot.poll() is None:
                bot.kill()
            bot.wait(timeout=TIMEOUT)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_console_serves_healthz_on_this_machine(tmp_path: Path) -> None:
    db = tmp_path / "crossfade.db"
    with console(db, CROSSFADE_HTTP_PORT="0") as (_, base):
        assert fetch(f"{base}/healthz") == (200, "healthy\n")
        health = crossfade(db, "health", cwd=str(tmp_path))
        assert (health.returncode, health.stdout) == (0, "healthy\n")
        assert fetch(f"{base}/no-such-page")[0] == 404


def test_slack_port_alone_still_sets_the_port_and_the_log_names_the_new_one(
    tmp_path: Path,
) -> None:
    port = free_port()
    with console(tmp_path / "crossfade.db", SLACK_PORT=str(port)) as (bot, base):
        assert base == f"http://127.0.0.1:{port}"
        assert fetch(f"{base}/healthz") == (200, "healthy\n")
        _, stderr = bot.communicate("/quit\n", timeout=TIMEOUT)
    assert bot.returncode == 0
    assert stderr.count("SLACK_PORT is read as CROSSFADE_HTTP_PORT, its new name") == 1
    assert "Traceback" not in stderr


def test_a_port_in_use_stops_start_up_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "crossfade.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"CROSSFADE_DB": str(db), "CROSSFADE_HTTP_PORT": str(port)}
        done = subprocess.run(
            [sys.executable, "-m", "adapters.cli", "run"],
            input="/quit\n",
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            cwd=tmp_path,
            timeout=TIMEOUT,
            check=False,
        )
    assert one_line(done) == (
        f"crossfade: Port {port} (CROSSFADE_HTTP_PORT) is already in use on 127.0.0.1: "
        "stop what uses it, or set CROSSFADE_HTTP_PORT to a free port."
    )
    assert "Crossfade console on" not in done.stdout


@pytest.mark.asyncio
async def test_with_platforms_a_port_in_use_stops_start_up_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def connect(self: SlackAdapter) -> None:
        raise AssertionError("Slack was contacted before the port was taken")

    monkeypatch.setattr(SlackAdapter, "start", connect)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings(
            {
                "CROSSFADE_DB": str(tmp_path / "crossfade.db"),
                "SLACK_PORT": str(port),
                "CROSSFADE_HTTP_HOST": "127.0.0.1",
                **SLACK_HTTP,
            }
        )
        with pytest.raises(StartupError) as caught:
            await run_platforms(settings)
    assert str(caught.value) == (
        f"Port {port} (SLACK_PORT) is already in use on 127.0.0.1: stop what uses it, or set "
        "CROSSFADE_HTTP_PORT to a free port."
    )


def test_a_host_that_isnt_this_machine_is_named(tmp_path: Path) -> None:
    db = tmp_path / "crossfade.db"
    env = {**env_for(db), "CROSSFADE_HTTP_HOST": "192.0.2.1"}  # TEST-NET-1: no one's address
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "run"],
        input="/quit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=TIMEOUT,
        check=False,
    )
    line = one_line(done)
    assert line.startswith("crossfade: Can't listen on 192.0.2.1 port 0 (")
    assert line.endswith(
        "set CROSSFADE_HTTP_HOST to an address of this machine, such as 0.0.0.0 or 127.0.0.1."
    )
