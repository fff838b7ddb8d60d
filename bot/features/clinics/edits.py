"""Changing a whole series: edited from a date on (split in two), or ended.

A split ends the old series before the date (its RRULE gets an UNTIL) and starts a new one
under the same clinic number, which every calendar app understands. Stored sessions from
the date on move to the new series when it meets that day (their RSVPs kept), and are
cancelled otherwise; everyone who answered is told, and each announcement is updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from bot.commands.args import Args
from bot.errors import OptionError, UserError
from bot.features.clinics import cards, mirror
from bot.features.clinics.access import clinic_parts, require_manager
from bot.features.clinics.inputs import read_duration
from bot.features.clinics.manage import RETRY, checked_plan, first_start, told
from bot.features.clinics.models import (
    Fate,
    NewSeries,
    Roster,
    Series,
    SeriesChange,
    SessionStatus,
)
from bot.features.clinics.recurrence import Schedule, end_before, session_on, sessions, wall_to_utc
from bot.features.clinics.rules import Rule, read_rule, split_rrule
from bot.features.clinics.store import ClinicContext, SessionChanged
from bot.features.clinics.wording import describe
from bot.messages import Field, Message, Response, Tone, text
from bot.models import NewOutbox
from bot.wording import plural

# What /clinic edit may change from a date on.
EDITABLE = (
    "title", "bring", "rule", "time", "timezone", "duration", "where", "capacity",
    "announce-days", "host",
)  # fmt: skip


async def _current(ctx: ClinicContext, ref: str, doing: str) -> Series:
    parts = await clinic_parts(ctx, ref)
    current = parts[-1]
    require_manager(ctx, current, doing)
    if current.void:
        raise UserError(f"Clinic #{current.number} has ended.")
    return current


def _continued(schedule: Schedule, from_day: date) -> Rule:
    """The same rule from a date on; a COUNT keeps only the sessions still to come."""
    parts = split_rrule(schedule.rrule)
    if "COUNT" in parts:
        cut = wall_to_utc(datetime.combine(from_day, time.min), schedule.tz)
        left = int(parts["COUNT"]) - len(sessions(schedule, before=cut))
        if left <= 0:
            raise OptionError("from", "The clinic has no sessions left from that date on.")
        parts["COUNT"] = str(left)
    rule = ";".join(f"{k}={v}" for k, v in parts.items())
    return Rule(rule, describe(rule))


async def edit(ctx: ClinicContext, args: Args) -> Response:
    """Change a series from a date on: the old series ends, a new one starts."""
    current = await _current(ctx, args.text("clinic"), "edit it")
    from_day = args.day("from")
    assert from_day is not None
    if not any(args.has(name) for name in EDITABLE):
        raise UserError(
            "Say what changes from then on, e.g. "
            f"/clinic edit clinic:{current.number} from:{from_day.isoformat()} time:18:30."
        )
    host = args.member("host")
    if host is not None and host.id != current.host_id and not ctx.actor.is_admin:
        raise OptionError("host", "Only an admin can hand a clinic to another host.")
    title = args.text("title", current.title) or current.title
    others = await ctx.store.community_series(ctx.community.id)
    if any(s.title.lower() == title.lower() and s.number != current.number for s in others):
        raise OptionError("title", "Another clinic is called that already: choose another title.")
    old = current.schedule
    cut = end_before(old, from_day)
    if cut is old:
        raise OptionError("from", f"Clinic #{current.number} has no sessions from that date on.")
    rule = read_rule(args.text("rule")) if args.has("rule") else _continued(old, from_day)
    zone = args.text("timezone", old.zone) or old.zone
    at = args.clock_time("time") or old.start.time()
    new = NewSeries(
        community_id=current.community_id,
        title=title,
        bring=args.text("bring", current.bring) or current.bring,
        host_id=host.id if host is not None else current.host_id,
        schedule=checked_plan(ctx, rule, from_day, at, zone),
        duration=read_duration(args.text("duration")) if args.has("duration") else current.duration,
        location=args.text("where", current.location),
        capacity=args.integer("capacity", current.capacity),
        announce_days=args.integer("announce-days", current.announce_days) or 7,
    )
    reason = args.text("reason") or f"the clinic changes from {from_day:%d %B %Y} on"
    part, count = await _change(ctx, current, cut, new, from_day, reason)
    assert part is not None
    first = first_start(part.schedule, ctx.now)
    return Response(
        Message(
            title=f"Clinic #{part.number} changes from {from_day:%d %B %Y}",
            body=text(
                f"From then on it meets {describe(part.schedule.rrule)}, at "
                f"{part.schedule.start:%H:%M} {part.schedule.zone}. "
                f"Sessions before stay as they were. {plural(count, 'member')} told."
            ),
            fields=(Field("Next session", cards.when(first) if first else text("none")),),
            tone=Tone.SUCCESS,
        )
    )


async def end(ctx: ClinicContext, args: Args) -> Response:
    """End a series after a date: later sessions are cancelled and their members told."""
    current = await _current(ctx, args.text("clinic"), "end it")
    after = args.day("after")
    assert after is not None
    day_after = after + timedelta(days=1)
    cut = end_before(current.schedule, day_after)
    if cut is current.schedule:
        raise OptionError("after", f"Clinic #{current.number} has no sessions after that date.")
    reason = args.text("reason") or f"the clinic ends after {after:%d %B %Y}"
    _, count = await _change(ctx, current, cut, None, day_after, reason)
    return Response(
        Message(
            title=f"Clinic #{current.number} ends after {after:%d %B %Y}",
            body=text(f"Later sessions are off. {plural(count, 'member')} told."),
            tone=Tone.SUCCESS,
        )
    )


async def _change(
    ctx: ClinicContext,
    series: Series,
    cut: Schedule | None,
    new: NewSeries | None,
    from_day: date,
    reason: str,
) -> tuple[Series | None, int]:
    """Cut a series before ``from_day``; its stored later sessions rehome to ``new`` or end."""
    store = ctx.store
    rows = await store.session_rows([series.id], ctx.now - timedelta(days=1))
    later = [r for r in rows if r.day >= from_day]
    if any(r.starts_at <= ctx.now and not r.cancelled for r in later):
        raise UserError("A session on or after that date has started: pick a later date.")
    fates: list[Fate] = []
    for row in later:
        ruled = session_on(new.schedule, row.day) if new is not None else None
        if new is not None and ruled is not None and ruled.starts_at > ctx.now:
            moved = row.status is SessionStatus.MOVED
            starts = row.starts_at if moved else ruled.starts_at
            length = row.ends_at - row.starts_at if moved else new.duration
            fates.append(Fate(row, starts, starts + length))
        elif not row.cancelled:
            fates.append(Fate(row))
    count = 0

    def messages(roster: Roster, fate: Fate) -> Sequence[NewOutbox]:
        nonlocal count
        if roster.session.cancelled and fate.starts_at is not None:
            return []  # a cancelled session stays cancelled in the new series
        if fate.starts_at is None:
            card = cards.cancelled_card(roster, reason)
            members = told(roster, cant_too=False)
        else:
            card = cards.changed_card(roster, fate.read.starts_at, reason)
            members = told(roster, cant_too=True)
        count += len(members)
        dms = [cards.dm(roster.series, m, card) for m in members]
        return cards.edit_announcement(roster) + dms + mirror.followed(roster)

    change = SeriesChange(series, cut.rrule if cut else None, new, tuple(fates), reason)
    try:
        return await store.change_series(change, ctx.now, messages), count
    except SessionChanged:
        raise UserError(RETRY) from None
