"""A sprint's progress as members see it: current week, counts, streak, end date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.models import CheckinWeek, Community, Sprint, WeekStatus
from bot.weekly import local_midnight, local_wall_to_utc, next_slot

# The first check-in comes at the first check-in time at least this many days into a sprint,
# so nobody reports on a "week" of a few hours.
FIRST_CHECKIN_MIN_DAYS = 3


def first_prompt_at(start: date, now: datetime, community: Community, zone: ZoneInfo) -> datetime:
    """When a sprint starting on ``start`` gets its first check-in prompt."""
    begins = max(now, local_midnight(start, zone))
    earliest = begins + timedelta(days=FIRST_CHECKIN_MIN_DAYS) - timedelta(seconds=1)
    return next_slot(earliest, community.checkin_weekday, community.checkin_time, zone)


def week_close(opens_at: datetime, community: Community, zone: ZoneInfo) -> datetime:
    """A check-in week stays open until the next check-in time."""
    return next_slot(opens_at, community.checkin_weekday, community.checkin_time, zone)


def streak(weeks: list[CheckinWeek], now: datetime) -> int:
    """Consecutive checked-in weeks up to now; skipped and still-open weeks don't break it."""
    count = 0
    for week in sorted(weeks, key=lambda w: w.week, reverse=True):
        status = week.effective_status(now)
        if week.opens_at > now or status in (WeekStatus.SKIPPED, WeekStatus.OPEN):
            continue
        if status is WeekStatus.DONE:
            count += 1
        else:
            break
    return count


@dataclass(frozen=True)
class Progress:
    """Everything `/sprint status` and the summaries show about a sprint."""

    current_week: int
    done: int
    skipped: int
    missed: int
    streak: int
    latest_confidence: int | None
    open_week: CheckinWeek | None
    final_checkin_at: datetime | None
    # When the last check-in week closes: the sprint's end.
    ends_at: datetime | None
    days_left: int | None
    finished: bool
    # The start date is still ahead (in the member's zone).
    before_start: bool


def final_checkin(sprint: Sprint, weeks: list[CheckinWeek], zone: ZoneInfo) -> datetime | None:
    """When the sprint's last check-in opens (its end), in UTC."""
    if sprint.next_prompt_at is not None:
        local = sprint.next_prompt_at.astimezone(zone)
        remaining = sprint.weeks - sprint.next_week
        day = local.date() + timedelta(days=7 * remaining)
        return local_wall_to_utc(day, local.time().replace(tzinfo=None), zone)
    last = next((w for w in reversed(weeks) if w.week == sprint.weeks), None)
    return last.opens_at if last else None


def sprint_end(sprint: Sprint, weeks: list[CheckinWeek], zone: ZoneInfo) -> datetime | None:
    """When the sprint's last check-in week closes, in UTC."""
    last = next((w for w in reversed(weeks) if w.week == sprint.weeks), None)
    if last is not None:
        return last.closes_at
    final = final_checkin(sprint, weeks, zone)
    if final is None:
        return None
    # A week runs from one check-in slot to the same slot a week later.
    local = final.astimezone(zone)
    return local_wall_to_utc(
        local.date() + timedelta(days=7), local.time().replace(tzinfo=None), zone
    )


def progress(sprint: Sprint, weeks: list[CheckinWeek], now: datetime, zone: ZoneInfo) -> Progress:
    """Work out a sprint's progress at ``now``."""
    opened = [w for w in weeks if w.opens_at <= now]
    statuses = [w.effective_status(now) for w in opened]
    done = statuses.count(WeekStatus.DONE)
    skipped = statuses.count(WeekStatus.SKIPPED)
    missed = statuses.count(WeekStatus.MISSED)
    open_week = next((w for w in reversed(opened) if w.opens_at <= now < w.closes_at), None)
    answered = [w for w in opened if w.confidence is not None and w.status is WeekStatus.DONE]
    latest = answered[-1].confidence if answered else None
    final = final_checkin(sprint, weeks, zone)
    ends = sprint_end(sprint, weeks, zone)
    today = now.astimezone(zone).date()
    days_left = None
    if ends is not None:
        days_left = max(0, (ends.astimezone(zone).date() - today).days)
    finished = sprint.next_prompt_at is None and open_week is None
    # The week being checked in for while its window is open, else the one being worked on.
    current = open_week.week if open_week else min(sprint.weeks, len(opened) + 1)
    return Progress(
        current_week=current,
        done=done,
        skipped=skipped,
        missed=missed,
        streak=streak(weeks, now),
        latest_confidence=latest,
        open_week=open_week,
        final_checkin_at=final,
        ends_at=ends,
        days_left=days_left,
        finished=finished,
        before_start=today < sprint.start_date,
    )
