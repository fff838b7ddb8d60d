"""The weekly check-in cycle: deciding prompts, reminders and summaries from the database.

Nothing here remembers anything in memory: what is due is read from storage, decided in
one transaction with the message it queues, so a restart neither loses nor repeats a step.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.features.checkins import prompt_message, reminder_message
from bot.messages import Field, Mention, Message, Part, text
from bot.models import (
    ChannelPurpose,
    CheckinWeek,
    Destination,
    NewOutbox,
    NewWeek,
    WeekStatus,
)
from bot.progress import streak, week_close
from bot.sprint_nudges import decide_ending_reminders, decide_endings, decide_pause_offers
from bot.storage.base import DuePrompt, Store, WeekOpening

log = logging.getLogger(__name__)

# Bounds one pass so a long outage catches up in steps instead of one huge transaction.
BATCH = 5000


@dataclass
class CycleReport:
    """What one pass decided."""

    prompts: int = 0
    skipped: int = 0
    missed: int = 0
    reminders: int = 0
    summaries: int = 0
    endings: int = 0
    ending_reminders: int = 0
    pause_offers: int = 0


async def decide_prompts(store: Store, now: datetime, report: CycleReport) -> None:
    """Open every week whose check-in time has come, queueing its prompt DM."""
    # Loops because a bot that was down for weeks has several slots per sprint to catch up.
    while due := await store.due_prompts(now, BATCH):
        openings = [_decide(item, now, report) for item in due]
        if await store.open_weeks(openings, now) == 0:
            return


def _decide(item: DuePrompt, now: datetime, report: CycleReport) -> WeekOpening:
    """What happens at one sprint's week slot: a prompt, or a skipped or missed week."""
    sprint, member, community = item.sprint, item.member, item.community
    assert sprint.next_prompt_at is not None
    zone = member.zone(community)
    opens = sprint.next_prompt_at
    closes = week_close(opens, community, zone)
    next_at = closes if sprint.next_week < sprint.weeks else None
    if item.skipped_ahead:
        report.skipped += 1
        return WeekOpening(sprint, None, None, next_at)
    week = NewWeek(
        sprint_id=sprint.id,
        community_id=community.id,
        week=sprint.next_week,
        status=WeekStatus.OPEN,
        opens_at=opens,
        closes_at=closes,
        community_week=opens.astimezone(zone).date(),
    )
    if now >= closes:
        # The whole window passed while the bot was down: too late to ask.
        report.missed += 1
        return WeekOpening(sprint, replace(week, status=WeekStatus.MISSED), None, next_at)
    if member.paused:
        report.skipped += 1
        week = replace(week, status=WeekStatus.SKIPPED, skip_reason="paused")
        return WeekOpening(sprint, week, None, next_at)
    if community.reminder_hours:
        remind = opens + timedelta(hours=community.reminder_hours)
        week = replace(week, remind_at=remind if remind < closes else None)
    prompt = NewOutbox(
        community_id=community.id,
        destination=Destination.dm(member.id),
        payload=json.dumps(prompt_message(sprint, week).to_dict()),
        dedupe_key=f"prompt:{sprint.id}:{week.week}",
    )
    report.prompts += 1
    return WeekOpening(sprint, week, prompt, next_at)


async def decide_reminders(store: Store, now: datetime, report: CycleReport) -> None:
    """Queue the one reminder for each unanswered week whose reminder time has come."""
    while due := await store.due_reminders(now, BATCH):
        decided: list[tuple[CheckinWeek, NewOutbox | None]] = []
        for item in due:
            reminder = None
            if not item.member.paused:
                reminder = NewOutbox(
                    community_id=item.community.id,
                    destination=Destination.dm(item.member.id),
                    payload=json.dumps(reminder_message(item.sprint, item.week).to_dict()),
                    dedupe_key=f"reminder:{item.sprint.id}:{item.week.week}",
                )
                report.reminders += 1
            decided.append((item.week, reminder))
        await store.mark_reminded(decided, now)


def _trend(current: float | None, previous: float | None) -> str:
    if current is None:
        return "no check-ins"
    if previous is None:
        return f"{current:.1f} / 5"
    delta = current - previous
    arrow = "\u2191" if delta > 0.05 else "\u2193" if delta < -0.05 else "\u2192"
    return f"{current:.1f} / 5 {arrow} (last week {previous:.1f})"


async def summary_message(store: Store, community_id: int, week_of: date, now: datetime) -> Message:
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


async def decide_summaries(store: Store, now: datetime, report: CycleReport) -> None:
    """Queue a summary for every community week whose check-in windows have all closed."""
    for community_id, week_of in await store.due_summaries(now):
        message = await summary_message(store, community_id, week_of, now)
        item = NewOutbox(
            community_id=community_id,
            destination=Destination.channel(ChannelPurpose.CHECKINS),
            payload=json.dumps(message.to_dict()),
            dedupe_key=f"summary:{community_id}:{week_of.isoformat()}",
        )
        if await store.record_summary(community_id, week_of, item, now):
            report.summaries += 1


async def run_cycle(store: Store, now: datetime) -> CycleReport:
    """Decide everything due at ``now``."""
    report = CycleReport()
    await decide_prompts(store, now, report)
    await decide_reminders(store, now, report)
    await decide_summaries(store, now, report)
    # After the prompts, so a week opened at this moment counts as the one after a closed week.
    report.endings = await decide_endings(store, now)
    report.ending_reminders = await decide_ending_reminders(store, now)
    report.pause_offers = await decide_pause_offers(store, now)
    nudged = report.endings + report.ending_reminders + report.pause_offers
    if report.prompts or report.reminders or report.summaries or report.missed or nudged:
        log.info("cycle at %s: %s", now.isoformat(), report)
    return report
