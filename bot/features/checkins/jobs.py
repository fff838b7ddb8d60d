"""The check-ins' jobs: deciding prompts, reminders and summaries from the database.

Nothing here remembers anything in memory: what is due is read from storage, decided in
one transaction with the message it queues, so a restart neither loses nor repeats a step.
Each job's due query and its next-due moment sit side by side in
bot/storage/sql/checkins.py.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta

from bot.features.base import Job
from bot.features.checkins.cards import prompt_card, reminder_card
from bot.features.checkins.store import (
    CHECKINS,
    NAME,
    CheckinStore,
    PromptGroup,
    ReminderDecision,
    SlotDecision,
)
from bot.messages import Field, Mention, Message, Part, text
from bot.models import Destination, NewOutbox, WeekStatus
from bot.payload_templates import Template
from bot.progress import streak, week_close

log = logging.getLogger(__name__)

# Bounds one pass (whole slot groups, earliest first, until they hold this many sprints) so a
# long outage catches up in steps instead of one huge transaction. A community of 10,000
# is one pass (about 0.3 s of writing on SQLite): a pass's fixed costs (its reads, its
# commit) are paid once a week, not twice.
BATCH = 10_000


class _Cards:
    """The prompt and reminder templates of one pass (bot/payload_templates.py), each made
    once: the holes are the sprint, the week and the goal (free text, last)."""

    def __init__(self) -> None:
        self._prompts: dict[tuple[int, datetime], Template] = {}
        self._reminders: dict[datetime, Template] = {}

    def prompt(self, weeks: int, closes_at: datetime) -> Template:
        """The prompt of a sprint this long for a week closing then."""
        found = self._prompts.get((weeks, closes_at))
        if found is None:
            found = Template(lambda s, w, g: prompt_card(s, g, w, weeks, closes_at), 3)
            self._prompts[(weeks, closes_at)] = found
        return found

    def reminder(self, closes_at: datetime) -> Template:
        """The reminder for a week closing then."""
        found = self._reminders.get(closes_at)
        if found is None:
            found = Template(lambda s, w, g: reminder_card(s, g, w, closes_at), 3)
            self._reminders[closes_at] = found
        return found


async def decide_prompts(store: CheckinStore, now: datetime) -> int:
    """Open every week whose check-in time has come, queueing its prompt DM.

    Returns how many week slots were passed (prompted, skipped or missed).
    """
    cards = _Cards()
    moved = 0
    # Loops because a bot that was down for weeks has several slots per sprint to catch up.
    while due := await store.due_prompts(now, BATCH):
        passed = await store.open_weeks([_decide(group, now, cards) for group in due], now)
        if passed == 0:
            break
        moved += passed
    if moved:
        log.info("check-in slots at %s: %d passed", now.isoformat(), moved)
    return moved


def _decide(group: PromptGroup, now: datetime, cards: _Cards) -> SlotDecision:
    """What happens at a group's slot: the week's window, and a prompt unless it's too late."""
    community = group.community
    opens = group.opens
    closes = week_close(opens, community, group.zone)
    community_week = opens.astimezone(group.zone).date()
    # The whole window passed while the bot was down: too late to ask.
    missed = now >= closes
    remind = None
    if community.reminder_hours:
        remind = opens + timedelta(hours=community.reminder_hours)
        remind = remind if remind < closes else None
    template = None if missed else cards.prompt(group.weeks, closes)
    return SlotDecision(group, closes, community_week, remind, missed, template)


async def decide_reminders(store: CheckinStore, now: datetime) -> int:
    """Queue the one reminder for each unanswered week whose reminder time has come.

    Returns how many weeks were decided (a paused member's week gets no message).
    """
    cards = _Cards()
    decided_count = 0
    while due := await store.due_reminders(now, BATCH):
        decided = [ReminderDecision(g, cards.reminder(g.closes_at)) for g in due]
        recorded = await store.mark_reminded(decided, now)
        if recorded == 0:
            break
        decided_count += recorded
    return decided_count


def _trend(current: float | None, previous: float | None) -> str:
    if current is None:
        return "no check-ins"
    if previous is None:
        return f"{current:.1f} / 5"
    delta = current - previous
    arrow = "\u2191" if delta > 0.05 else "\u2193" if delta < -0.05 else "\u2192"
    return f"{current:.1f} / 5 {arrow} (last week {previous:.1f})"


async def summary_message(
    store: CheckinStore, community_id: int, week_of: date, now: datetime
) -> Message:
    """The weekly summary for the check-ins channel."""
    rows = await store.summary_rows(community_id, week_of)
    by_sprint = await store.streak_weeks([r.sprint.id for r in rows])
    done: list[Part] = []
    skipped: list[Part] = []
    missed: list[Part] = []
    blocked: list[Part] = []
    for row in rows:
        who = Mention(row.member.ext_id, row.member.display_name)
        status = row.week.effective_status(now)
        if status is WeekStatus.DONE:
            run = streak([w for w in by_sprint[row.sprint.id] if w.week <= row.week.week], now)
            done += [", "] if done else []
            done += [who, f" ({run}\U0001f525)" if run > 1 else ""]
            if row.week.blockers:
                blocked += ["\n"] if blocked else []
                if row.member.share_blockers:
                    blocked += ["\u2022 ", who, f": {row.week.blockers}"]
                else:
                    blocked += ["\u2022 ", who, " (details private)"]
        elif status is WeekStatus.SKIPPED:
            skipped += ([", "] if skipped else []) + [who]
        else:
            missed += ([", "] if missed else []) + [who]
    average = await store.average_confidence(community_id, week_of)
    previous = await store.average_confidence(community_id, week_of - timedelta(days=7))
    checked = sum(1 for r in rows if r.week.effective_status(now) is WeekStatus.DONE)
    fields = [
        Field("Checked in", tuple(done) or text("nobody this week"), inline=False),
        Field("Confidence", text(_trend(average, previous))),
    ]
    if skipped:
        fields.append(Field("Skipped", tuple(skipped)))
    if missed:
        fields.append(Field("Missed", tuple(missed)))
    if checked:
        # Nobody checked in: nobody said what blocks them, so nothing to report either way.
        fields.append(Field("Blocked", tuple(blocked) or text("nobody, nice"), inline=False))
    return Message(
        title=f"Weekly check-ins · week of {week_of:%a %d %b %Y}",
        body=text(f"{checked} of {len(rows)} checked in."),
        fields=tuple(fields),
        footer=text("Keep going: small steps compound."),
    )


async def decide_summaries(store: CheckinStore, now: datetime) -> int:
    """Queue a summary for every community week whose check-in windows have all closed."""
    queued = 0
    for community_id, week_of in await store.due_summaries(now):
        message = await summary_message(store, community_id, week_of, now)
        item = NewOutbox(
            community_id=community_id,
            destination=Destination.channel(CHECKINS),
            payload=json.dumps(message.to_dict()),
            dedupe_key=f"summary:{community_id}:{week_of.isoformat()}",
            feature=NAME,
        )
        if await store.record_summary(community_id, week_of, item, now):
            queued += 1
    return queued


async def _next_prompt(store: CheckinStore, now: datetime) -> datetime | None:
    return await store.next_prompt_at(now)


async def _next_reminder(store: CheckinStore, now: datetime) -> datetime | None:
    return await store.next_reminder_at(now)


async def _next_summary(store: CheckinStore, now: datetime) -> datetime | None:
    return await store.next_summary_at(now)


JOBS = (
    Job("checkins.prompts", decide_prompts, _next_prompt),
    Job("checkins.reminders", decide_reminders, _next_reminder),
    Job("checkins.summaries", decide_summaries, _next_summary),
)
