"""CROSSFADE_DATABASE_URL: `crossfade run` on PostgreSQL, and the start-ups it refuses.

Each refusal is one line naming the server and what failed, exit 2, no traceback and no
password; a database it refuses is left as it was.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer
from tests.startup_env import TIMEOUT, env_for, one_line
from tests.stores import query, snapshot, write

pytestmark = pytest.mark.asyncio


def run_on(
    url: str, tmp_path: Path, lines: str = "", command: str = "run"
) -> subprocess.CompletedProcess[str]:
    """`crossfade run` (the console) on the database at ``url``, typing ``lines``."""
    env = env_for(tmp_path / "unused.db")
    env["CROSSFADE_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", command],
        input=lines,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=TIMEOUT,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_url_selects_postgresql_and_the_quick_start_file_stays_unmade(
    postgres_url: str, tmp_path: Path
) -> None:
    done = run_on(postgres_url, tmp_path, "/profile skills:mixing\n")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Crossfade console on PostgreSQL 't_" in done.stdout
    assert len(await query(postgres_url, "SELECT id FROM members")) == 1
    assert await query(postgres_url, "SELECT skill FROM member_skills") == [("mixing",)]
    assert not (tmp_path / "unused.db").exists()


async def test_an_unreachable_server_is_named_in_one_line(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    port = free_port()
    url = f"postgresql://crossfade:s3cret-pw@127.0.0.1:{port}/crossfade"
    line = one_line(run_on(url, tmp_path))
    assert f"127.0.0.1:{port}" in line
    assert "Cannot reach PostgreSQL" in line
    assert "s3cret-pw" not in line


async def test_a_wrong_password_is_named_without_showing_it(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.url(password="not-the-password")
    line = one_line(run_on(url, tmp_path))
    assert "refused the password for user 'crossfade'" in line
    assert f"127.0.0.1:{postgres_server.port}" in line
    assert "not-the-password" not in line


async def test_health_names_a_server_it_cannot_reach_or_log_in_to(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    port = free_port()
    gone = run_on(
        f"postgresql://crossfade:s3cret-pw@127.0.0.1:{port}/crossfade", tmp_path, command="health"
    )
    assert gone.returncode == 1
    assert gone.stdout.startswith(f"Cannot reach PostgreSQL at 'crossfade' on 127.0.0.1:{port}")
    assert "s3cret-pw" not in gone.stdout + gone.stderr
    wrong = run_on(postgres_server.url(password="not-the-password"), tmp_path, command="health")
    assert wrong.returncode == 1
    assert "refused the password for user 'crossfade'" in wrong.stdout
    assert "not-the-password" not in wrong.stdout + wrong.stderr
    assert "Traceback" not in gone.stderr + wrong.stderr


async def test_a_port_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    line = one_line(run_on("postgresql://crossfade:s3cret-pw@127.0.0.1:notaport/live", tmp_path))
    assert "no valid port ('notaport')" in line
    assert "s3cret-pw" not in line
    assert "int()" not in line


async def test_a_url_without_a_password_says_none_was_given(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = f"postgresql://crossfade@127.0.0.1:{postgres_server.port}/postgres"
    line = one_line(run_on(url, tmp_path))
    assert "wants a password for user 'crossfade'" in line
    assert "gives none" in line


async def test_ssl_asked_of_a_server_without_it_is_named_as_the_problem(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    # The test server runs without SSL.
    line = one_line(run_on(postgres_server.url() + "?sslmode=require", tmp_path))
    assert "does not accept SSL" in line
    assert f"127.0.0.1:{postgres_server.port}" in line
    assert postgres_server.password not in line


async def test_an_unknown_database_is_named(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    line = one_line(run_on(postgres_server.url("no_such_db"), tmp_path))
    assert "'no_such_db'" in line
    assert "does not exist" in line


async def test_a_database_from_a_newer_crossfade_is_left_untouched(
    postgres_db: str, tmp_path: Path
) -> None:
    await write(postgres_db, "INSERT INTO schema_version (version) VALUES (?)", (999,))
    before = await snapshot(postgres_db)
    line = one_line(run_on(postgres_db, tmp_path, "/profile skills:mixing\n"))
    assert "schema version 999, newer than this Crossfade knows" in line
    assert await snapshot(postgres_db) == before


async def test_another_programs_database_is_refused_and_untouched(
    postgres_url: str, tmp_path: Path
) -> None:
    await write(postgres_url, "CREATE TABLE invoices (id int PRIMARY KEY, total int)")
    line = one_line(run_on(postgres_url, tmp_path))
    assert "not a Crossfade database" in line
    assert "invoices" in line
    assert await query(
        postgres_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    ) == [("invoices",)]


async def test_several_processes_serve_the_same_database_together(
    postgres_db: str, tmp_path: Path
) -> None:
    from bot.storage.postgres import PostgresStore

    # One process already serves it, running the timed jobs; two more start beside it.
    serving = await PostgresStore.open(postgres_db)
    try:
        assert await serving.lead_jobs()
        env = env_for(tmp_path / "unused.db")
        env["CROSSFADE_DATABASE_URL"] = postgres_db

        async def console(typed: str) -> tuple[int | None, str, str]:
            run = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "adapters.cli",
                "run",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=str(tmp_path),
            )
            out, err = await asyncio.wait_for(run.communicate(typed.encode()), TIMEOUT)
            return run.returncode, out.decode(), err.decode()

        done = await asyncio.gather(
            console("/as alice\n/profile skills:mixing\n"),
            console("/as ravi\n/profile skills:mastering\n"),
        )
        for code, out, err in done:
            assert code == 0, err[-2000:]
            assert "Crossfade console on PostgreSQL" in out
            assert "Another Crossfade" not in out + err
        assert await serving.lead_jobs()  # still the one running the jobs
    finally:
        await serving.close()
    skills = await query(
        postgres_db,
        "SELECT m.ext_id, s.skill FROM member_skills s JOIN members m ON m.id = s.member_id"
        " ORDER BY m.ext_id",
    )
    assert skills == [("alice", "mixing"), ("ravi", "mastering")]
