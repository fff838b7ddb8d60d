"""Slack distribution: the OAuth install flow over real HTTP against the Slack fake.

An install begun on one process finishes on another over the same database; a forged, reused
or expired state is refused; an install missing scopes is not kept and says which; a request
signed for a workspace that hasn't installed the app is refused quietly.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.oauth_stores import CrossfadeInstallationStore
from bot.clock import FakeClock
from bot.installations import STATE_TTL, Installations
from bot.logs import RedactingFormatter
from bot.secrets_at_rest import TokenCipher
from tests.fakes.slack_fake import SlackFake
from tests.slack_distribution_stack import PUBLIC, DistributedStack, distributed_stack
from tests.slack_stack import START
from tests.stores import Database, query

pytestmark = pytest.mark.asyncio

KEY = Fernet.generate_key().decode()


async def bot_token(stack: DistributedStack, team_id: str) -> str | None:
    """The bot token the database holds for a workspace, decrypted (None if not installed)."""
    store = CrossfadeInstallationStore(Installations(stack.store, TokenCipher([KEY]), stack.clock))
    bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
    return None if bot is None else bot.bot_token


async def test_an_install_begun_on_one_process_finishes_on_another(
    slack_fake: SlackFake, database: Database
) -> None:
    team = slack_fake.add_team("T0AAA", name="Atmos Guild")
    slack_fake.add_user("U0ALICE", name="Alice", team_id="T0AAA")
    clock = FakeClock(START)
    async with (
        distributed_stack(slack_fake, database, KEY, clock=clock) as one,
        distributed_stack(slack_fake, database, KEY, clock=clock) as two,
    ):
        started = await one.get(one.web.local_url("/slack/install?team=T0AAA"))
        assert started.status == 302
        asked = parse_qs(urlsplit(started.location).query)
        # Slack is asked for the manifest's scopes, and to send the installer back to the
        # public address (CROSSFADE_PUBLIC_URL), not this process's own.
        assert asked["scope"] == [",".join(BOT_SCOPES)]
        assert asked["redirect_uri"] == [f"{PUBLIC}/slack/oauth_redirect"]
        assert asked["state"] == [started.state_cookie]
        consent = await one.get(started.location)
        assert consent.location.startswith(f"{PUBLIC}/slack/oauth_redirect?")

        done = await two.get(two.local(consent.location), cookie=started.state_cookie)

        assert done.status == 200, done.text
        assert "installed in <strong>Atmos Guild</strong>" in done.text
        assert await bot_token(one, "T0AAA") == team.bot_token
        # Kept encrypted: the token is nowhere in the database in clear.
        rows = await query(database, "SELECT secret FROM installations")
        assert rows
        assert all(team.bot_token not in str(row) for row in rows)

        # The workspace is served by either process, with its own token.
        reply, url = await one.command("status", team="T0AAA", user="U0ALICE")
        assert reply.status == 200
        await slack_fake.wait_for_response(url)
        (lookup,) = slack_fake.calls("users.info")
        assert lookup.token == team.bot_token


async def test_a_forged_reused_or_expired_state_is_refused_with_a_friendly_page(
    slack_fake: SlackFake, database: Database
) -> None:
    slack_fake.add_team("T0AAA", name="Atmos Guild")
    clock = FakeClock(START)
    async with distributed_stack(slack_fake, database, KEY, clock=clock) as stack:
        # Forged: a state we never issued, with a cookie to match.
        back, _ = await stack.begin("T0AAA")
        forged = back.replace(parse_qs(urlsplit(back).query)["state"][0], "forged-state")
        page = await stack.get(stack.local(forged), cookie="forged-state")
        assert page.status == 401
        assert "expired or was already used" in page.text
        assert "Start the install again" in page.text

        # Another browser: the state cookie doesn't match.
        back, _ = await stack.begin("T0AAA")
        page = await stack.get(stack.local(back), cookie="someone-elses-state")
        assert page.status == 400
        assert "Nothing was installed" in page.text

        # Expired: left longer than the state lives.
        back, cookie = await stack.begin("T0AAA")
        clock.advance(STATE_TTL + STATE_TTL / 10)
        page = await stack.get(stack.local(back), cookie=cookie)
        assert page.status == 401
        assert "expired or was already used" in page.text
        assert await bot_token(stack, "T0AAA") is None

        # Reused: the same callback a second time is refused, once the first installed.
        back, cookie = await stack.begin("T0AAA")
        assert (await stack.get(stack.local(back), cookie=cookie)).status == 200
        again = await stack.get(stack.local(back), cookie=cookie)
        assert again.status == 401
        assert "expired or was already used" in again.text
        # Each refusal exchanged no code with Slack: only the one install did.
        assert len(slack_fake.calls("oauth.v2.access")) == 1


async def test_an_install_missing_scopes_is_not_kept_and_says_which(
    slack_fake: SlackFake, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    granted = [s for s in BOT_SCOPES if s not in ("files:write", "groups:history")]
    slack_fake.add_team("T0LESS", name="Half Studio", grants=granted)
    async with distributed_stack(slack_fake, database, KEY) as stack:
        with caplog.at_level(logging.INFO):
            page = await stack.install("T0LESS")
        assert page.status == 400
        assert "not installed in <strong>Half Studio</strong>" in page.text
        assert "groups:history, files:write" in page.text
        assert "Start the install again" in page.text
        (line,) = [r for r in caplog.records if "missing scopes" in r.getMessage()]
        assert "groups:history, files:write" in line.getMessage()
        assert "reinstall" in line.getMessage()
        assert await bot_token(stack, "T0LESS") is None

        # Not kept as working: its requests are refused like any workspace's without it.
        reply, url = await stack.command("status", team="T0LESS", user="U0HALF")
        assert reply.status == 403
        assert slack_fake.response_posts(url) == []


async def test_a_code_slack_refuses_installs_nothing(
    slack_fake: SlackFake, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    slack_fake.add_team("T0AAA")
    async with distributed_stack(slack_fake, database, KEY, client_secret="wrong") as stack:
        with caplog.at_level(logging.DEBUG):
            page = await stack.install("T0AAA")
        # bolt logs the refused one-time code; what reaches the log never shows it.
        (asked,) = slack_fake.calls("oauth.v2.access")
        code = str(asked.params["code"])
        formatter = RedactingFormatter("%(message)s", [])
        shown = "\n".join(formatter.format(r) for r in caplog.records)
        assert any(code in r.getMessage() for r in caplog.records)
        assert code not in shown
        assert page.status == 401
        assert "Slack didn't confirm the install" in page.text
        (call,) = slack_fake.calls("oauth.v2.access")
        assert call.response["error"] == "bad_client_secret"
        assert await bot_token(stack, "T0AAA") is None


async def test_a_request_for_a_workspace_that_has_not_installed_is_refused_quietly(
    slack_fake: SlackFake, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    slack_fake.add_team("T0AAA")
    async with distributed_stack(slack_fake, database, KEY) as stack:
        assert (await stack.install("T0AAA")).status == 200
        calls_before = len(slack_fake.calls())
        with caplog.at_level(logging.DEBUG):
            reply, url = await stack.command("status", team="T0NOPE", user="U0NOPE")
        # Signed correctly, but nobody there installed the app: no reply, no work.
        assert (reply.status, reply.body) == (403, "")
        assert slack_fake.response_posts(url) == []
        assert len(slack_fake.calls()) == calls_before
        refused = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.getMessage() for r in refused] == [
            "refused a Slack request from workspace T0NOPE: the app isn't installed there"
        ]
        assert all(r.exc_info is None for r in caplog.records)
