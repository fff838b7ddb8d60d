"""Creating a clinic series, and changing one of its sessions: cancelled or moved."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.args import Args
from bot.errors import OptionError, UserError
from bot.features.clinics import cards, mirror
from bot.features.clinics.access import (
    clinic_parts,
    require_manager,
    session_on_day,
)
from bot.features.clinics.inputs import DEFAULT_DURATION, read_duration, read_moment
from bot.features.clinics.models import Answer, NewSeries, Roster, SessionChange, SessionStatus
from bot.features.clinics.recurrence import Schedule, plan, sessions, wall_to_utc
from bot.features.clinics.rules import Rule, read_rule
from bot.features.clinics.store import ClinicContext, SessionChanged
from bot.features.clinics.wording import describe
from bot.messages import Field, Message, Response, Timestamp, Tone, text
from bot.models import NewOutbox
from bot.wording import plural

RETRY = "The clinic changed while I was saving, so nothing was changed. Please try again."


def first_start(schedule: Schedule, now: datetime) -> datetime | None:
    """When a schedule's first session from now starts."""
    found = sessions(schedule, not_before=now, count=1)
    return found[0].starts_at if found else None


async def create(ctx: ClinicContext, args: Args) -> Response:
    """Create a clinic series (hosts and admins)."""
    store = ctx.store
    host = args.member("host") or ctx.member
    # Only hosts and admins get here (the command's HOST_ROLE).
    if host.id != ctx.member.id and not ctx.actor.is_admin:
        raise OptionError("host", "Only an admin can create a clinic for another host.")
    title = args.text("title")
    taken = {s.number: s for s in await store.community_series(ctx.community.id)}
    clash = next((s for s in taken.values() if s.title.lower() == title.lower()), None)
    if clash is not None:
        raise OptionError(
            "title", f"Clinic #{clash.number} is called that already: choose another title."
        )
    zone = args.optional_text("timezone") or host.timezone or ctx.community.default_timezone
    schedule = _schedule(ctx, read_rule(args.text("rule")), args, zone)
    new = NewSeries(
        community_id=ctx.community.id,
        title=title,
        bring=args.text("bring"),
        host_id=host.id,
        schedule=schedule,
        duration=read_duration(args.text("duration")) if args.has("duration") else DEFAULT_DURATION,
        location=args.text("where"),
        capacity=args.integer("capacity"),
        announce_days=args.integer("announce-days", 7) or 7,
    )
    series = await store.create_series(new, ctx.now)
    first = first_start(series.schedule, ctx.now)
    return Response(
        Message(
            title=f"Clinic #{series.number} created: {series.title}",
            body=text(
                f"Meets {describe(schedule.rrule)}, at {schedule.start:%H:%M} {schedule.zone}. "
                f"Each session is announced {plural(series.announce_days, 'day')} before, "
                "with RSVP buttons."
            ),
            fields=(
                Field("First session", cards.when(first) if first else text("none")),
                Field("Host", text(series.host_name)),
                Field("Length", text(cards.length(series.duration))),
                Field("Where", cards.place(series.location)),
                Field("Seats", text(str(series.capacity) if series.capacity else "no limit")),
            ),
            tone=Tone.SUCCESS,
        )
    )


def _schedule(ctx: ClinicContext, rule: Rule, args: Args, zone: str) -> Schedule:
    """The series' schedule from the options (start: today in its zone)."""
    at = args.clock_time("time")
    assert at is not None
    first_day = args.day("start") or rule.on or ctx.now.astimezone(zone_info(zone)).date()
    return checked_plan(ctx, rule, first_day, at, zone)


def checked_plan(ctx: ClinicContext, rule: Rule, first_day: date, at: time, zone: str) -> Schedule:
    """A schedule from a start date, refused if it has no session from now on."""
    schedule = plan(rule, first_day, at, zone)
    if first_start(schedule, ctx.now) is None:
        raise OptionError("rule", "Every session of that rule is in the past: choose a later date.")
    return schedule


def zone_info(name: str) -> ZoneInfo:
    """A time zone by name, or the friendly refusal."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise OptionError("timezone", f"'{name[:60]}' is not a time zone I know.") from None


def told(roster: Roster, *, cant_too: bool) -> list[int]:
    """Who hears of a change: everyone who answered (those who can't come only if asked)."""
    return [r.member_id for r in roster.answered if cant_too or r.answer is not Answer.CANT]


async def cancel(ctx: ClinicContext, args: Args) -> Response:
    """Cancel one session with a reason; the series stays as it is."""
    parts = await clinic_parts(ctx, args.text("clinic"))
    day = args.day("date")
    assert day is not None
    item = await session_on_day(ctx, parts, day)
    require_manager(ctx, item.series, "cancel its sessions")
    if item.cancelled:
        raise UserError("That session is cancelled already.")
    if item.starts_at <= ctx.now:
        raise UserError("That session has started, so it can't be cancelled any more.")
    reason = args.text("reason")
    ends = item.row.ends_at if item.row else item.starts_at + item.series.duration
    change = SessionChange(
        item.series, item.day, item.row, SessionStatus.CANCELLED, item.starts_at, ends, reason
    )

    def messages(roster: Roster) -> list[NewOutbox]:
        card = cards.cancelled_card(roster, reason)
        dms = [cards.dm(roster.series, m, card) for m in told(roster, cant_too=False)]
        return cards.edit_announcement(roster) + dms + mirror.followed(roster)

    try:
        roster = await ctx.store.change_session(change, ctx.now, messages)
    except SessionChanged:
        raise UserError(RETRY) from None
    return Response(
        Message(
            title=f"Cancelled: {item.series.title}",
            body=text(
                "The session of ",
                Timestamp(item.starts_at),
                f" is off. {plural(len(told(roster, cant_too=False)), 'member')} told.",
            ),
            tone=Tone.SUCCESS,
        )
    )


async def move(ctx: ClinicContext, args: Args) -> Response:
    """Move one session (keeping its RSVPs) with a reason; everyone who answered is told."""
    parts = await clinic_parts(ctx, args.text("clinic"))
    day = args.day("date")
    assert day is not None
    item = await session_on_day(ctx, parts, day)
    series = item.series
    require_manager(ctx, series, "move its sessions")
    if item.cancelled:
        raise UserError("That session is cancelled; create a one-off clinic instead.")
    if item.starts_at <= ctx.now:
        raise UserError("That session has started, so it can't be moved any more.")
    zone = series.schedule.tz
    new_day, at = read_moment(args.text("to"), ctx.now.astimezone(zone).date())
    starts = wall_to_utc(datetime.combine(new_day, at or series.schedule.start.time()), zone)
    if starts <= ctx.now:
        raise OptionError("to", "That time has passed already: pick a later one.")
    if starts == item.starts_at:
        raise OptionError("to", "The session is at that time already.")
    length = item.row.ends_at - item.row.starts_at if item.row else series.duration
    reason = args.text("reason")
    change = SessionChange(
        series, item.day, item.row, SessionStatus.MOVED, starts, starts + length, reason
    )

    def messages(roster: Roster) -> list[NewOutbox]:
        dms = [
            cards.dm(roster.series, r.member_id, cards.moved_card(roster, r, item.starts_at))
            for r in roster.answered
        ]
        return cards.edit_announcement(roster) + dms + mirror.followed(roster)

    try:
        roster = await ctx.store.change_session(change, ctx.now, messages)
    except SessionChanged:
        raise UserError(RETRY) from None
    return Response(
        Message(
            title=f"Moved: {series.title}",
            body=text(
                "The session now starts ",
                *cards.when(starts),
                f". {plural(len(roster.answered), 'member')} told; their answers stand.",
            ),
            tone=Tone.SUCCESS,
        )
    )
