"""Looking at clinics: the coming sessions of all of them, one clinic's dates, its details."""

from __future__ import annotations

from bot.commands.args import Args
from bot.features.clinics import cards
from bot.features.clinics.access import clinic_parts, next_sessions
from bot.features.clinics.models import Answer, Series, Upcoming
from bot.features.clinics.store import ClinicContext
from bot.features.clinics.timeline import clinic_sessions
from bot.features.clinics.wording import describe
from bot.messages import Field, Message, Response, Text, Timestamp, text
from bot.wording import plural

LISTED = 10
DEFAULT_DATES = 6


def _state(item: Upcoming, counts: dict[int, tuple[int, int]]) -> str:
    if item.cancelled:
        reason = item.row.reason if item.row else ""
        return f" · cancelled: {reason}" if reason else " · cancelled"
    said = " · moved" if item.moved else ""
    seated, waiting = counts.get(item.row.id, (0, 0)) if item.row else (0, 0)
    capacity = item.series.capacity
    if capacity is not None:
        said += f" · {seated} of {capacity} seats taken"
    elif seated:
        said += f" · {seated} going"
    return said + (f" · {waiting} waiting" if waiting else "")


async def _counts(ctx: ClinicContext, items: list[Upcoming]) -> dict[int, tuple[int, int]]:
    ids = [u.row.id for u in items if u.row is not None]
    return await ctx.store.seat_counts(ids)


def _line(item: Upcoming, counts: dict[int, tuple[int, int]]) -> Text:
    return text(Timestamp(item.starts_at), _state(item, counts))


async def list_sessions(ctx: ClinicContext, args: Args) -> Response:
    """The coming sessions of every clinic, in each reader's own time."""
    store = ctx.store
    live = [s for s in await store.community_series(ctx.community.id) if not s.void]
    rows = await store.session_rows([s.id for s in live], ctx.now)
    items = clinic_sessions(live, rows, not_before=ctx.now, count=LISTED)
    if not items:
        return Response(
            Message(
                title="Clinics",
                body=text(
                    "No clinic sessions are coming up. Hosts and admins start one with "
                    "/clinic create."
                ),
            )
        )
    counts = await _counts(ctx, items)
    fields = tuple(
        Field(cards.clinic_name(u.series), _line(u, counts), inline=False) for u in items
    )
    return Response(
        Message(
            title="Coming clinic sessions",
            fields=fields,
            footer=text("Answer with /clinic rsvp clinic:<number> answer:going"),
        )
    )


async def dates(ctx: ClinicContext, args: Args) -> Response:
    """The next dates of one clinic."""
    parts = await clinic_parts(ctx, args.text("clinic"))
    count = args.integer("count", DEFAULT_DATES) or DEFAULT_DATES
    items = await next_sessions(ctx, parts, count)
    current = parts[-1]
    if not items:
        return Response(
            Message(
                title=cards.clinic_name(current),
                body=text("No sessions are coming up: the series has ended."),
            )
        )
    counts = await _counts(ctx, items)
    return Response(
        Message(
            title=f"{cards.clinic_name(current)}: next {len(items)} dates",
            body=text(_schedule_line(current)),
            fields=tuple(
                # The session's own date, as /clinic cancel and /clinic move take it; the
                # value shows the time in the reader's zone.
                Field(f"date:{u.day.isoformat()}", _line(u, counts))
                for u in items
            ),
        )
    )


def _schedule_line(series: Series) -> str:
    start = series.schedule.start
    return f"Meets {describe(series.schedule.rrule)}, at {start:%H:%M} {series.schedule.zone}."


async def info(ctx: ClinicContext, args: Args) -> Response:
    """Everything about one clinic: host, schedule, place, seats, the next session."""
    parts = await clinic_parts(ctx, args.text("clinic"))
    series = parts[-1]
    found = await next_sessions(ctx, parts, 1, with_cancelled=False)
    fields = [
        Field("Host", text(series.host_name)),
        Field("Length", text(cards.length(series.duration))),
        Field("Where", cards.place(series.location)),
        Field("Seats", text(str(series.capacity) if series.capacity else "no limit")),
        Field("Bring", text(series.bring), inline=False),
        Field("Announced", text(f"{plural(series.announce_days, 'day')} before each session")),
    ]
    if found:
        item = found[0]
        line = cards.when(item.starts_at)
        if item.row is not None:
            roster = await ctx.store.roster(item.row.id)
            line = text(*line, f" · {cards.seats(roster)}")
            mine = roster.of(ctx.member.id)
            if mine is not None:
                said = {
                    Answer.WAITLIST: f"#{roster.place(ctx.member.id)} on the waitlist",
                    Answer.CANT: "can't come",
                }.get(mine.answer, mine.answer.value)
                line = text(*line, f" · your answer: {said}")
        fields.insert(0, Field("Next session", line, inline=False))
    else:
        fields.insert(0, Field("Next session", text("none: the series has ended"), inline=False))
    return Response(
        Message(
            title=cards.clinic_name(series),
            body=text(_schedule_line(series)),
            fields=tuple(fields),
            footer=text(f"/clinic dates clinic:{series.number} lists the next dates."),
        )
    )
