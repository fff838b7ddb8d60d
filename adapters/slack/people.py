"""Slack users as the core's Actors: name, admin flag and time zone from users.info, cached.

When users.info can't answer, a person keeps the name Slack gave us last (the cache), or else
the name in the request itself; never their user id, which would replace their stored name.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.requests import Origin
from bot.commands.values import all_timezones
from bot.models import Actor

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Profiles change rarely; a short cache keeps users.info (Tier 4) off most requests.
CACHE_SECONDS = 600.0
# Don't keep a person waiting on a slow users.info: use what we know after this long.
LOOKUP_TIMEOUT = 1.5


class NameUnknown(Exception):
    """Nothing names this person: users.info failed, nothing cached, no name in the request."""


@dataclass(frozen=True)
class Profile:
    """What users.info told us about someone."""

    name: str
    is_admin: bool
    timezone: str | None


def profile_from(user: dict[str, Any]) -> Profile:
    """A users.info ``user`` object as a Profile."""
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or str(user.get("id", ""))
    )
    admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    zone = user.get("tz")
    return Profile(str(name), admin, zone if zone in all_timezones() else None)


class People:
    """Looks people up with users.info, briefly cached, and builds the core's Actor."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Profile]] = {}
        # The workspace's name from auth.test, when the adapter has it.
        self.team_name = ""

    async def profile(self, user_id: str) -> Profile | None:
        """The person's profile, from the cache when fresh; None if Slack can't say now."""
        cached = self._cache.get(user_id)
        now = self._clock()
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT):
                response = await self.client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("users.info for %s failed (%s); using what we knew", user_id, exc)
            return self.cached(user_id)
        found = profile_from(response["user"])
        self._cache[user_id] = (now, found)
        return found

    def cached(self, user_id: str) -> Profile | None:
        """What users.info last said about someone, however old; never calls Slack."""
        cached = self._cache.get(user_id)
        return cached[1] if cached is not None else None

    async def actor(self, origin: Origin) -> Actor:
        """The person behind a request, as the core sees them (may call users.info)."""
        return self._actor(origin, await self.profile(origin.user_id))

    def cached_actor(self, origin: Origin) -> Actor:
        """The person from the cache and the request alone, without waiting on Slack.

        Without a cached profile they count as a non-admin with no time zone hint: enough to
        check a form's answers, not to act on them.
        """
        return self._actor(origin, self.cached(origin.user_id))

    def _actor(self, origin: Origin, found: Profile | None) -> Actor:
        name = found.name if found else origin.user_name
        if not name:
            raise NameUnknown(origin.user_id)
        return Actor(
            platform=PLATFORM,
            community_id=origin.team_id,
            user_id=origin.user_id,
            display_name=name,
            community_name=self.team_name or origin.team_name,
            is_admin=found.is_admin if found else False,
            channel_id=origin.channel_id,
            timezone_hint=found.timezone if found else None,
        )
