"""Moving running sprints to a changed check-in slot, keeping every rule a new sprint obeys.

A sprint's slot changes when an admin sets another check-in day, time or default zone, and
when a member moves to another zone. A moved sprint keeps the rules of a new one:

- Before its first week opens, its first check-in is the first slot at least three days after
  it began (its start date in the member's zone, or its creation if later): a sprint that
  starts in March is not asked in January, and nobody reports on a "week" of a day.
- Once weeks have opened, the next one opens at the first new slot at or after the close of
  the week opened last. An open week is never shortened: it stays open until that slot, its
  original close or up to a week past it. Extending it (rather than closing it on time and
  leaving a gap before the next prompt) keeps the rule that a week is open until the next
  prompt, so there is never a stretch in which nobody can check in. Its prompt DM is edited
  to show the new close, and a week already skipped ahead moves with the slot.
- Nothing is scheduled in the past: a slot that has gone by gives way to the next one.

With an unchanged slot nothing moves. A move is decided from the sprint as it was read and
written only if the sprint is still so (``SprintMove``); when it is not (a week opened in
between), the caller reads again and decides again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.features.checkins.cards import answered_prompt, prompt_message, skipped_prompt
from bot.features.checkins.store import NAME, SprintMove, WeekTimes
from bot.features.sprints.store import ScheduleChanged
from bot.messages import Message
from bot.models import CheckinWeek, Community, Destination, NewOutbox, Sprint, WeekStatus
from bot.progress import first_prompt_at, week_close
from bot.weekly import slot_at_or_after

log = logging.getLogger(__name__)

# Reads and decisions are retried this often when a week keeps opening under them.
ATTEMPTS = 3

T = TypeVar("T")


def _week(weeks: list[CheckinWeek], number: int) -> CheckinWeek | None:
    return next((w for w in weeks if w.week == number), None)


def next_prompt_at(
    sprint: Sprint, weeks: list[CheckinWeek], now: datetime, community: Community, zone: ZoneInfo
) -> datetime | None:
    """When the sprint's next week opens on ``community``'s slot in ``zone`` (None: no more)."""
    if sprint.next_week > sprint.weeks:
        return None
    last = _week(weeks, sprint.next_week - 1)
    if last is None:
        first = first_prompt_at(sprint.start_date, sprint.created_at, community, zone)
        if first >= now:
            return first
        bound = now
    else:
        bound = max(last.closes_at, now)
    return slot_at_or_after(bound, community.checkin_weekday, community.checkin_time, zone)


def plan_move(
    sprint: Sprint, weeks: list[CheckinWeek], now: datetime, community: Community, zone: ZoneInfo
) -> SprintMove | None:
    """How a sprint follows ``community``'s slot in ``zone``; None when no week is ahead."""
    upcoming = next_prompt_at(sprint, weeks, now, community, zone)
    if sprint.next_prompt_at is None or upcoming is None:
        return None
    moved: list[WeekTimes] = []
    edits: list[NewOutbox] = []
    last = _week(weeks, sprint.next_week - 1)
    if last is not None and now < last.closes_at < upcoming:
        held = replace(last, closes_at=upcoming)
        moved.append(WeekTimes(last, held.opens_at, held.closes_at, held.community_week))
        edits += _prompt_edit(sprint, held, community)
    ahead = _week(weeks, sprint.next_week)
    if ahead is not None:
        closes = week_close(upcoming, community, zone)
        if (ahead.opens_at, ahead.closes_at) != (upcoming, closes):
            moved.append(WeekTimes(ahead, upcoming, closes, upcoming.astimezone(zone).date()))
    return SprintMove(sprint, upcoming, now, tuple(moved), tuple(edits))


def _prompt_edit(sprint: Sprint, week: CheckinWeek, community: Community) -> list[NewOutbox]:
    """The week's prompt DM as it reads with its new close, if one was sent."""
    if week.prompt_outbox_id is None:
        return []
    message: Message
    if week.status is WeekStatus.OPEN:
        message = prompt_message(sprint, week)
    elif week.status is WeekStatus.DONE:
        message = answered_prompt(sprint, week)
    elif week.status is WeekStatus.SKIPPED:
        message = skipped_prompt(sprint, week)
    else:
        return []
    return [
        NewOutbox(
            community_id=community.id,
            destination=Destination.dm(sprint.member_id),
            payload=json.dumps(message.to_dict()),
            edit_of=week.prompt_outbox_id,
            feature=NAME,
        )
    ]


async def retry_on_change(step: Callable[[], Awaitable[T]], give_up: str) -> T:
    """Run a read-decide-write step again while what it read changes before it writes."""
    for _ in range(ATTEMPTS):
        try:
            return await step()
        except ScheduleChanged as exc:
            log.info("sprint %s changed while moving its schedule; deciding again", exc)
    raise UserError(give_up)
