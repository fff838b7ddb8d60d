"""SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET distribute the Slack app.

Half-set combinations get one line each naming what to change; without CROSSFADE_SECRET_KEY a
distributed app doesn't start (its tokens couldn't be stored); the client secret is hidden in
logs; SLACK_BOT_TOKEN alone keeps one workspace's mode.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from adapters.platforms import build_adapters
from adapters.slack.adapter import SlackAdapter
from adapters.slack.transport import SlackTransport
from adapters.slack.workspaces import WorkspaceTransports
from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.config import load_settings
from bot.errors import StartupError
from bot.logs import RedactingFormatter
from bot.storage.sqlite import SqliteStore
from tests.slack_stack import START

CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
DISTRIBUTED = {
    "SLACK_CLIENT_ID": "1000000000.2000000000",
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "SLACK_SIGNING_SECRET": "signing-s3cr3t",
    "CROSSFADE_PUBLIC_URL": "https://crossfade.example.org",
    # A fixed, valid Fernet key (32 zero bytes): generated ones differ per xdist worker.
    "CROSSFADE_SECRET_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
}


def test_client_id_secret_and_signing_secret_distribute_the_app() -> None:
    settings = load_settings(DISTRIBUTED)
    assert settings.wants_slack
    assert settings.slack_distributed
    assert settings.slack_bot_token is None
    assert CLIENT_SECRET in settings.secrets()
    formatter = RedactingFormatter("%(message)s", settings.secrets())
    assert CLIENT_SECRET not in formatter.format(
        _record(f"oauth.v2.access client_secret={CLIENT_SECRET}")
    )


def _record(message: str) -> logging.LogRecord:
    return logging.getLogger("t").makeRecord("t", logging.INFO, __file__, 1, message, (), None)


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"SLACK_CLIENT_SECRET": ""}, "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together"),
        ({"SLACK_CLIENT_ID": ""}, "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together"),
        ({"SLACK_SIGNING_SECRET": ""}, "needs SLACK_SIGNING_SECRET"),
        ({"CROSSFADE_PUBLIC_URL": ""}, "needs CROSSFADE_PUBLIC_URL"),
        ({"CROSSFADE_SECRET_KEY": ""}, "set CROSSFADE_SECRET_KEY"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "unset SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}, "unset SLACK_APP_TOKEN"),
    ],
    ids=["no-secret", "no-id", "no-signing", "no-public-url", "no-key", "bot-token", "socket"],
)
def test_a_half_set_distribution_is_one_clear_line(change: dict[str, str], line: str) -> None:
    with pytest.raises(StartupError) as caught:
        load_settings({**DISTRIBUTED, **change})
    problems = str(caught.value).splitlines()[1:]
    assert len(problems) == 1, problems
    assert line in problems[0]
    assert "Traceback" not in str(caught.value)


def test_the_bot_token_alone_keeps_one_workspace() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s"})
    assert settings.wants_slack
    assert not settings.slack_distributed


@pytest.mark.asyncio
async def test_the_composition_root_serves_the_install_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in production, the variables are in the environment bolt reads too.
    for name, value in DISTRIBUTED.items():
        monkeypatch.setenv(name, value)
    settings = load_settings({**DISTRIBUTED, "CROSSFADE_DB": str(tmp_path / "c.db")})
    store = await SqliteStore.open(settings.db_path)
    core = Crossfade(store, FakeClock(START))
    web_app = WebApp(host="127.0.0.1", port=0, public_url=settings.public_url)
    (adapter,) = build_adapters(settings, core, web_app=web_app)
    assert isinstance(adapter, SlackAdapter)
    assert isinstance(adapter.transport, WorkspaceTransports)
    assert not isinstance(adapter.transport, SlackTransport)
    # bolt uses our flow and stores, not defaults of its own built from SLACK_CLIENT_ID.
    assert adapter.distribution is not None
    assert adapter.app.oauth_flow is adapter.distribution.flow
    assert adapter.app.installation_store is adapter.distribution.installation_store
    try:
        await adapter.start()  # no token to check: nothing is called
        await web_app.start()
        async with (
            aiohttp.ClientSession() as http,
            http.get(web_app.local_url("/slack/install"), allow_redirects=False) as resp,
        ):
            assert resp.status == 302
            to = urlsplit(resp.headers["Location"])
        assert (to.scheme, to.netloc, to.path) == ("https", "slack.com", "/oauth/v2/authorize")
        asked = parse_qs(to.query)
        assert asked["client_id"] == [DISTRIBUTED["SLACK_CLIENT_ID"]]
        assert asked["redirect_uri"] == ["https://crossfade.example.org/slack/oauth_redirect"]
    finally:
        await adapter.stop()
        await web_app.stop()
        await store.close()
