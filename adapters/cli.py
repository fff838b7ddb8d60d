"""The `crossfade` command: run the bot (console when no platform is configured) or the demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import timedelta

from bot.config import Settings, load_dotenv_file, load_settings, public_url_from
from bot.errors import StartupError
from bot.logs import setup_logging
from bot.web_routes import Route
from bot.wording import plural

log = logging.getLogger(__name__)


def _write(line: str) -> None:
    print(line, flush=True)


async def run_console(settings: Settings, routes: Sequence[Route] = ()) -> None:
    """The console adapter on the database: a REPL in this terminal, and the web app."""
    from adapters.console.files import beside as files_beside
    from adapters.console.lines import LineSource, PromptSource, StreamSource
    from adapters.console.session import CONSOLE_HELP
    from adapters.console.wiring import build_session, console_clock
    from adapters.web import WebApp
    from bot.app import build_registry
    from bot.features import FEATURES
    from bot.features.base import routes_of
    from bot.health import HEALTH_PATH
    from bot.scheduler import Scheduler
    from bot.storage.opening import open_store

    store = await open_store(settings)
    scheduler: Scheduler | None = None
    try:
        clock = await console_clock(store)
    except BaseException:
        await store.close()
        raise
    # The console serves the web app too, so a feed can be tried from this machine.
    served = [*routes, *routes_of(FEATURES, store, clock)]
    web_app = WebApp.from_settings(settings, console=True, routes=served)
    try:
        web_app.listen()
        interactive = sys.stdin.isatty()
        source: LineSource
        if interactive:
            source = PromptSource(build_registry(), settings.db_path.parent / ".console_history")
        else:
            source = StreamSource(sys.stdin, _write)
        session = build_session(
            store,
            clock,
            source,
            _write,
            public_url=web_app.public_url,
            files_dir=files_beside(settings.db_path),
        )
        await web_app.start()
        _write(f"Crossfade console on {settings.database_label}. Type /help. {CONSOLE_HELP}")
        _write(f"Web app on {web_app.local_url()} (health: {web_app.local_url(HEALTH_PATH)}).")
        if clock.offset:
            _write(
                f"\u23e9 The clock resumes {_span(clock.offset)} ahead of real time, where "
                f"/advance left it: {clock.now():%a %d %b %Y %H:%M} UTC."
            )
        scheduler = Scheduler(session.engine)
        await session.engine.tick()
        if interactive:
            from prompt_toolkit.patch_stdout import patch_stdout

            scheduler.start()
            await store.watch_outbox(scheduler.poke)
            with patch_stdout():
                await session.run()
        else:
            await session.run()
    finally:
        if scheduler is not None:
            scheduler.shutdown()
        await web_app.stop()
        await store.close()


def _span(delta: timedelta) -> str:
    days, minutes = divmod(round(delta.total_seconds() / 60), 24 * 60)
    return f"{days}d {minutes // 60}h {minutes % 60}m"


async def run(settings: Settings, routes: Sequence[Route] = ()) -> None:
    """Serve the database: every configured platform, or the console when none is.

    Either way the web app serves /healthz and ``routes`` (the features' web routes).
    """
    from bot.storage.serve_lock import ServeLock

    for note in settings.notes():
        log.warning(note)
    # One serving process per file: a second would send everything again. Several may
    # serve one PostgreSQL database (outbox leases, one leader for the jobs, shared pacing).
    with ServeLock(settings.db_path) if settings.database_url is None else nullcontext():
        if not (settings.wants_slack or settings.wants_discord):
            await run_console(settings, routes)
            return
        from adapters.platforms import run_platforms

        await run_platforms(settings, routes)


async def migrate_to_postgres(settings: Settings) -> int:
    """Copy the SQLite file into the empty PostgreSQL database, then print every count."""
    if settings.database_url is None:
        raise StartupError(
            "Set CROSSFADE_DATABASE_URL to the empty PostgreSQL database to copy "
            f"{settings.db_path} into."
        )
    from bot.storage.postgres.copy import copy_to_postgres

    counts = await copy_to_postgres(settings.db_path, settings.database_url)
    _write(f"Copied {settings.db_path} into {settings.database_label}:")
    for table, count in counts:
        _write(f"  {table}: {plural(count, 'row')}")
    _write("Every table's count matches the file's.")
    return 0


async def list_communities(settings: Settings) -> int:
    """Print every community the database holds, as forget-community names them."""
    from bot.communities import listing
    from bot.storage.opening import open_store

    store = await open_store(settings)
    try:
        found = await store.communities()
    finally:
        await store.close()
    for community in found:
        _write(listing(community))
    if not found:
        _write(f"No communities in {settings.database_label} yet.")
    return 0


async def forget_community(
    settings: Settings, ref: str | None, *, yes: bool, ask: Callable[[str], str] = input
) -> int:
    """Delete every row of one community, after saying what and asking (unless ``yes``)."""
    from bot.communities import forget, label, plan_forget
    from bot.storage.opening import open_store

    if not ref:
        raise StartupError(
            "Name the community to forget as platform:id, e.g. `crossfade forget-community "
            "slack:T0123ABCD` (`crossfade communities` lists them)."
        )
    store = await open_store(settings)
    try:
        forgetting = await plan_forget(store, ref)
        held = [(table, n) for table, n in forgetting.counts if n]
        name = label(forgetting.community)
        _write(f"Forgetting {name} deletes, for good, from {settings.database_label}:")
        for table, count in held:
            _write(f"  {table}: {count} row{'' if count == 1 else 's'}")
        if not yes:
            try:
                answer = ask(f"Type {name} to delete it all, anything else to keep it: ")
            except EOFError:
                answer = ""
            if answer.strip() != name:
                _write("Nothing was deleted.")
                return 1
        deleted = await forget(store, forgetting)
    finally:
        await store.close()
    _write(f"Deleted {sum(n for _, n in deleted)} rows of {name}; other communities untouched.")
    return 0


async def resume_community(settings: Settings, ref: str | None) -> int:
    """Resume a paused community by hand (a single-workspace token replaced after a revoke)."""
    from bot import communities
    from bot.clock import SystemClock
    from bot.storage.opening import open_store

    store = await open_store(settings)
    try:
        community = await communities.find(store, ref or "")
        name = communities.label(community)
        dropped = await communities.resume(
            store, SystemClock(), community.platform, community.ext_id
        )
    finally:
        await store.close()
    if dropped is None:
        _write(f"{name} isn't paused: nothing to resume.")
        return 0
    _write(f"{name} resumed; {dropped} held message(s) too old to send were dropped.")
    return 0


async def rotate_secret_key(settings: Settings) -> int:
    """Re-encrypt every stored installation with the newest CROSSFADE_SECRET_KEY."""
    from bot.installations import rotate_secret_key as rotate
    from bot.storage.opening import open_store

    store = await open_store(settings)
    try:
        count = await rotate(store, settings)
    finally:
        await store.close()
    _write(
        f"Re-encrypted {count} installation record{'' if count == 1 else 's'} with the newest "
        "key of CROSSFADE_SECRET_KEY: the keys after it can now be dropped."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `crossfade` command."""
    parser = argparse.ArgumentParser(
        prog="crossfade",
        description="Crossfade: learning sprints and weekly check-ins for audio communities.",
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=[
            "run",
            "demo",
            "health",
            "slack-manifest",
            "discord-invite",
            "migrate-to-postgres",
            "communities",
            "forget-community",
            "resume-community",
            "rotate-secret-key",
        ],
        help="run the bot (default; the console when no platform tokens are set), "
        "play a scripted demo, check a running bot's health, print the Slack app manifest, "
        "print the link that adds the bot to a Discord server, or copy the SQLite database "
        "(CROSSFADE_DB) into the empty PostgreSQL one at CROSSFADE_DATABASE_URL, list the "
        "communities (platform:id), delete every row of one (forget-community platform:id), "
        "resume a paused one (resume-community platform:id), "
        "or re-encrypt the stored tokens with the newest CROSSFADE_SECRET_KEY",
    )
    parser.add_argument(
        "community", nargs="?", help="forget-community, resume-community: platform:id"
    )
    parser.add_argument(
        "--yes", action="store_true", help="forget-community: delete without asking"
    )
    parser.add_argument(
        "--pid",
        type=int,
        help="health: check the crossfade run with this process id (default: every one "
        "running on this machine or in this container)",
    )
    parser.add_argument(
        "--request-url",
        help="slack-manifest: serve Slack over HTTP at this URL instead of Socket Mode",
    )
    args = parser.parse_args(argv)
    if args.command == "slack-manifest":
        from adapters.slack.manifest import manifest_yaml
        from bot.app import build_registry

        load_dotenv_file()
        try:
            public = public_url_from(os.environ)
        except StartupError as exc:
            _write(str(exc))
            return 2
        manifest = manifest_yaml(build_registry(), request_url=args.request_url, public_url=public)
        print(manifest, end="")
        return 0
    try:
        load_dotenv_file()
        settings = load_settings()
        # In the console, log lines would interleave with the chat; keep them to problems
        # unless asked for.
        console = not (settings.wants_slack or settings.wants_discord)
        quiet = args.command != "run" or (console and "CROSSFADE_LOG_LEVEL" not in os.environ)
        setup_logging("WARNING" if quiet else settings.log_level, settings.secrets())
        if args.command == "discord-invite":
            from adapters.discord.invite import invite_url_for

            _write(invite_url_for(settings.discord_token, os.environ.get("DISCORD_CLIENT_ID")))
            return 0
        if args.command == "health":
            from bot.health import deployment_jobs, problems, verdict

            jobs = deployment_jobs(settings.db_path, settings.database_url)
            found = problems(
                settings.db_path, file=settings.database_url is None, jobs=jobs, pid=args.pid
            )
            _write(verdict(found))
            return 1 if found else 0
        if args.command == "migrate-to-postgres":
            return asyncio.run(migrate_to_postgres(settings))
        if args.command == "communities":
            return asyncio.run(list_communities(settings))
        if args.command == "forget-community":
            return asyncio.run(forget_community(settings, args.community, yes=args.yes))
        if args.command == "resume-community":
            return asyncio.run(resume_community(settings, args.community))
        if args.command == "rotate-secret-key":
            return asyncio.run(rotate_secret_key(settings))
        if args.command == "demo":
            from adapters.console.demo import run_demo

            return 0 if asyncio.run(run_demo(_write)) else 1
        asyncio.run(run(settings))
    except StartupError as exc:
        print(f"crossfade: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
