"""Pytest fixtures for the Slack fake; import ``slack_fake`` into a conftest or test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.fakes.slack_fake import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_SIGNING_SECRET,
    SlackFake,
)

BOT_TOKEN = DEFAULT_BOT_TOKEN
APP_TOKEN = DEFAULT_APP_TOKEN
SIGNING_SECRET = DEFAULT_SIGNING_SECRET

# slack_sdk's web and Socket Mode clients read these and would route loopback traffic
# through a proxy (aiohttp then ignores NO_PROXY because the proxy is passed explicitly).
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest_asyncio.fixture
async def slack_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlackFake]:
    """A started SlackFake with BOT_TOKEN, APP_TOKEN and SIGNING_SECRET; closed afterwards."""
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    async with SlackFake(
        bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET
    ) as fake:
        yield fake
