"""A community's life on its platform: paused when the app is uninstalled there (or its bot
token revoked), resumed when it is installed again, forgotten when its admins ask.

The rules, in one place:

- **Paused**: nothing is sent to it, at once. The outbox's claims pass its rows by and keep
  them (neither sent, retried hot, nor lost); a row claimed just before the pause is refused
  at its send (``claim_outbox`` reads the pause), and a send the platform refuses meanwhile
  waits without its try counted (``Dispatcher._failed``). Its data is kept.
- **While paused** the timed jobs keep the community's calendar (sprints reach their last
  week, gig leads expire, clinic sessions pass, as they would for members who stayed
  quiet), but check-ins treat it like a member's ``/checkin pause``: each week slot that
  comes is recorded as skipped ("paused", the streak kept, no "missed" run towards a pause
  offer), and no prompt or reminder is queued. What other jobs queue waits with its rows.
- **Resumed** (a new installation for the workspace): the messages held that came due more
  than ``RESUME_GRACE`` before are marked not sent, so members aren't flooded with last
  week's reminders and announcements; those due within it, and later ones, go out. Edits
  and native events go whatever their age: they correct what a message or event shows and
  notify nobody.
- **Forgotten** (``crossfade forget-community``): every row of it, in every table a foreign
  key links to it (bot/storage/sql/communities.py), in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.errors import StartupError
from bot.models import Community
from bot.storage.sql.communities import Schema, forget_plan

log = logging.getLogger(__name__)

UNINSTALLED = "app uninstalled"
TOKENS_REVOKED = "bot token revoked"
# Held messages due longer ago than this before the resume are stale: not sent.
RESUME_GRACE = timedelta(hours=1)

Plan = list[tuple[str, str, tuple[str, ...]]]


class Pausable(Protocol):
    """Pausing and resuming (part of every store: bot/storage/base.py)."""

    async def pause_community(
        self, platform: str, ext_id: str, reason: str, now: datetime
    ) -> Community | None:
        """Pause one."""
        ...

    async def resume_community(
        self, platform: str, ext_id: str, stale_before: datetime
    ) -> tuple[Community, int] | None:
        """Resume one, dropping held rows due before ``stale_before``."""
        ...


class CommunityStore(Pausable, Protocol):
    """The storage methods of whole communities (bot/storage/sql/communities.py)."""

    async def communities(self) -> list[Community]:
        """Every community."""
        ...

    async def find_community(self, platform: str, ext_id: str) -> Community | None:
        """One community by platform id."""
        ...

    async def schema(self) -> Schema:
        """Tables and foreign keys."""
        ...

    async def community_footprint(self, community: Community, plan: Plan) -> list[tuple[str, int]]:
        """Rows per table."""
        ...

    async def forget_rows(self, plan: Plan) -> list[tuple[str, int]]:
        """Delete them."""
        ...


async def pause(
    store: Pausable, clock: Clock, platform: str, ext_id: str, reason: str
) -> Community | None:
    """Stop all sending to the community now; None if it never used the bot (nothing to stop)."""
    community = await store.pause_community(platform, ext_id, reason, clock.now())
    if community is not None:
        log.warning(
            "%s paused (%s): nothing is sent to it; its data is kept", label(community), reason
        )
    return community


async def resume(store: Pausable, clock: Clock, platform: str, ext_id: str) -> int | None:
    """Send to the community again; how many stale held messages were dropped (None: not paused)."""
    resumed = await store.resume_community(platform, ext_id, clock.now() - RESUME_GRACE)
    if resumed is None:
        return None
    community, dropped = resumed
    log.warning(
        "%s resumed; %d held message(s) too old to send were dropped", label(community), dropped
    )
    return dropped


def label(community: Community) -> str:
    """How an operator names a community: ``platform:id``."""
    return f"{community.platform}:{community.ext_id}"


def listing(community: Community) -> str:
    """One line about a community for ``crossfade communities``."""
    name = f" {community.name}" if community.name else ""
    state = (
        ""
        if community.paused_at is None
        else f" (paused since {community.paused_at:%Y-%m-%d %H:%M} UTC: {community.paused_reason})"
    )
    return f"{label(community)}{name}{state}"


@dataclass(frozen=True)
class Forgetting:
    """What forgetting a community will delete: its plan and each table's count."""

    community: Community
    plan: Plan
    counts: list[tuple[str, int]]


async def find(store: CommunityStore, ref: str) -> Community:
    """The community named ``platform:id``, or one line naming the known ones."""
    platform, _, ext_id = ref.partition(":")
    community = await store.find_community(platform, ext_id) if ext_id else None
    if community is not None:
        return community
    known = ", ".join(label(c) for c in await store.communities()) or "none yet"
    raise StartupError(
        f"No community {ref!r} here: name one as platform:id (known: {known}; "
        "`crossfade communities` lists them)."
    )


async def plan_forget(store: CommunityStore, ref: str) -> Forgetting:
    """Everything ``forget`` would delete of the community named ``ref``, counted."""
    community = await find(store, ref)
    plan = forget_plan(await store.schema(), community)
    return Forgetting(community, plan, await store.community_footprint(community, plan))


async def forget(store: CommunityStore, forgetting: Forgetting) -> list[tuple[str, int]]:
    """Delete every row of the community, in one transaction: how many from each table."""
    deleted = await store.forget_rows(forgetting.plan)
    log.warning(
        "%s forgotten: %d rows deleted", label(forgetting.community), sum(n for _, n in deleted)
    )
    return deleted
