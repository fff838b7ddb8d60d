"""Sprint nudges: the DM when a sprint's last week ends, its one reminder, the pause question.

Decided like the check-ins' jobs: what is due is read from the database (the queries and
their next-due moments are side by side in bot/storage/sql/nudges.py), each decision is
pure, and its message is queued in the one guarded write that records it, so a restart
neither loses nor repeats a nudge. They run after the check-ins' prompts in a tick, so a
week opened at that moment counts as the one after a closed week.

- When a sprint's last check-in week closes, the member is asked to complete it with a link
  to the deliverable, extend it, or abandon it; one reminder follows a week after that DM if
  the sprint is still active and wasn't extended. An extended sprint is asked again when its
  new last week closes.
- After three missed weeks in a row (prompted, unanswered; a skipped or paused week breaks
  the run), the member is asked once per sprint whether to pause: asking again after every
  run of misses would nag someone who already chose to carry on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.features.base import Job
from bot.features.sprints.store import NAME, DueNudge, NudgeDecision, SprintStore
from bot.features.sprints.wrapup import (
    ending_message,
    ending_reminder_message,
    pause_offer_message,
)
from bot.messages import Message
from bot.models import Destination, NewOutbox

# The reminder follows the ending DM by a week.
ENDING_REMINDER_AFTER = timedelta(days=7)
# Bounds one pass, like the weekly cycle's.
BATCH = 5000


def _dm(item: DueNudge, message: Message, dedupe_key: str) -> NewOutbox:
    return NewOutbox(
        community_id=item.community.id,
        destination=Destination.dm(item.member.id),
        payload=json.dumps(message.to_dict()),
        dedupe_key=dedupe_key,
        feature=NAME,
    )


def decide_ending(item: DueNudge, now: datetime) -> NudgeDecision:
    """A sprint's last week closed: ask to wrap it up, and remind a week after asking."""
    message = ending_message(item.sprint, item.week.closes_at)
    key = f"sprint-end:{item.sprint.id}:{item.week.week}"
    return NudgeDecision(item, _dm(item, message, key), remind_at=now + ENDING_REMINDER_AFTER)


def decide_ending_reminder(item: DueNudge, now: datetime) -> NudgeDecision:
    """A week after the ending DM the sprint still waits: remind once."""
    message = ending_reminder_message(item.sprint, item.week.closes_at)
    key = f"sprint-end-reminder:{item.sprint.id}:{item.week.week}"
    return NudgeDecision(item, _dm(item, message, key))


def decide_pause_offer(item: DueNudge, now: datetime) -> NudgeDecision:
    """A third missed week in a row closed: ask whether to pause."""
    key = f"pause-offer:{item.sprint.id}"
    return NudgeDecision(item, _dm(item, pause_offer_message(item.sprint), key))


Due = Callable[[datetime, int], Awaitable[list[DueNudge]]]
Record = Callable[[Sequence[NudgeDecision], datetime], Awaitable[int]]


async def _run(
    due: Due, decide: Callable[[DueNudge, datetime], NudgeDecision], record: Record, now: datetime
) -> int:
    total = 0
    while items := await due(now, BATCH):
        recorded = await record([decide(item, now) for item in items], now)
        if recorded == 0:
            break
        total += recorded
        # A short batch all recorded was everything due: reading it again finds nothing
        # (and costs a pass over every active sprint).
        if len(items) < BATCH and recorded == len(items):
            break
    return total


async def decide_endings(store: SprintStore, now: datetime) -> int:
    """Queue the wrap-up DM of every sprint whose last week has closed; returns how many."""
    return await _run(store.due_sprint_endings, decide_ending, store.record_sprint_endings, now)


async def decide_ending_reminders(store: SprintStore, now: datetime) -> int:
    """Queue the reminder of every sprint still waiting a week after its wrap-up DM."""
    return await _run(
        store.due_ending_reminders, decide_ending_reminder, store.record_ending_reminders, now
    )


async def decide_pause_offers(store: SprintStore, now: datetime) -> int:
    """Queue the pause question of every sprint with three missed weeks in a row."""
    return await _run(store.due_pause_offers, decide_pause_offer, store.record_pause_offers, now)


async def _next_ending(store: SprintStore, now: datetime) -> datetime | None:
    return await store.next_sprint_ending_at(now)


async def _next_ending_reminder(store: SprintStore, now: datetime) -> datetime | None:
    return await store.next_ending_reminder_at(now)


async def _next_pause_offer(store: SprintStore, now: datetime) -> datetime | None:
    return await store.next_pause_offer_at(now)


# After the check-in prompts, so a week opened at this moment counts as the one after a
# closed week (a long outage's catch-up records the missed weeks before a pause is offered).
_AFTER_PROMPTS = ("checkins.prompts",)
JOBS = (
    Job("sprints.endings", decide_endings, _next_ending, after=_AFTER_PROMPTS),
    Job(
        "sprints.ending_reminders",
        decide_ending_reminders,
        _next_ending_reminder,
        after=_AFTER_PROMPTS,
    ),
    Job("sprints.pause_offers", decide_pause_offers, _next_pause_offer, after=_AFTER_PROMPTS),
)
