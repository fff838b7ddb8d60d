"""`crossfade run` as one process of a test's fleet, posting to the loopback Slack fake.

Run: ``python -m tests.fleet_serve --slack-api-url URL --per-second N [--lease S]``, with the
environment a real deployment has (CROSSFADE_DATABASE_URL, SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, ...). It serves exactly as `crossfade run` does (``adapters.cli.main``:
settings, logging, the store, the web app, the adapters, the scheduler), changing only what
a test must and an operator never does:

- Slack's Web API address, the fake's instead of slack.com;
- the bot's posting pace, raised with the fake's limits so thousands of prompts take seconds,
  and its lookups unpaced (the fake here doesn't limit conversations.history);
- the outbox lease, shortened so a killed process's rows come back within the test's time.

A test-only entry point rather than settings: none of the three is something a deployment
sets (slack.com is Slack's one address for every workspace we serve; Slack's limits are
Slack's), and it keeps the product's configuration free of test knobs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from datetime import timedelta

from adapters.cli import main as crossfade_main
from adapters.slack.adapter import SlackAdapter
from adapters.slack.transport import SlackTransport
from bot.app import Crossfade
from bot.config import Settings
from bot.storage import base


def to_fake(api_url: str) -> None:
    """Build every Slack adapter with the fake's Web API address."""
    built = SlackAdapter.from_settings.__func__  # type: ignore[attr-defined]

    def from_settings(
        cls: type[SlackAdapter], settings: Settings, core: Crossfade, /, **_: object
    ) -> SlackAdapter:
        adapter: SlackAdapter = built(cls, settings, core, api_url=api_url)
        return adapter

    SlackAdapter.from_settings = classmethod(from_settings)  # type: ignore[method-assign,assignment]


def shorten_lease(seconds: float) -> None:
    """Lease outbox rows for ``seconds``: in every loaded module that took the constant."""
    # The serving path's modules, loaded first so that none reading the lease is missed.
    for name in ("adapters.platforms", "bot.storage.postgres"):
        importlib.import_module(name)
    default, lease = base.OUTBOX_LEASE, timedelta(seconds=seconds)
    for module in list(sys.modules.values()):
        if getattr(module, "OUTBOX_LEASE", None) is default:
            setattr(module, "OUTBOX_LEASE", lease)  # noqa: B010 - any module, by name


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the test's knobs, apply them, then run `crossfade run`."""
    parser = argparse.ArgumentParser(prog="fleet_serve", description=__doc__)
    parser.add_argument("--slack-api-url", required=True)
    parser.add_argument("--per-second", type=float, required=True)
    parser.add_argument("--lease", type=float, default=None, help="outbox lease in seconds")
    args = parser.parse_args(argv)
    to_fake(args.slack_api_url)
    SlackTransport.max_per_second = args.per_second
    # The fake here limits no history reads: a minute per lookup would only make the test
    # wait (the turns themselves are tested in test_slack_history_window.py).
    SlackTransport.lookups_per_minute = None
    if args.lease is not None:
        shorten_lease(args.lease)
    return crossfade_main(["run"])


if __name__ == "__main__":
    sys.exit(main())
