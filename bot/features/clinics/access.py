"""Finding the clinic and session a command names, and who may change them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.commands.values import row_id
from bot.errors import UserError
from bot.features.clinics.inputs import find_clinic
from bot.features.clinics.models import Series, SessionRow, Upcoming
from bot.features.clinics.store import ClinicContext
from bot.features.clinics.timeline import clinic_sessions, on_date

# How far back a command looks for a past session (notes) when no date is given.
_LOOKBACK = timedelta(days=62)


async def clinic_parts(ctx: ClinicContext, ref: str) -> list[Series]:
    """The parts of the clinic a member named by title or number, oldest first."""
    return find_clinic(await ctx.store.community_series(ctx.community.id), ref)


async def may_host(ctx: ClinicContext) -> bool:
    """Admins and the members an admin made hosts may create clinics."""
    if ctx.actor.is_admin:
        return True
    return await ctx.store.is_clinic_host(ctx.community.id, ctx.member.id)


def require_manager(ctx: ClinicContext, series: Series, doing: str) -> None:
    """Only the clinic's host or an admin may change it."""
    if not (ctx.actor.is_admin or ctx.member.id == series.host_id):
        raise UserError(f"Only {series.host_name}, the clinic's host, or an admin can {doing}.")


async def next_sessions(
    ctx: ClinicContext, parts: list[Series], count: int, *, with_cancelled: bool = True
) -> list[Upcoming]:
    """A clinic's next sessions from now, with their stored state."""
    rows = await ctx.store.session_rows([p.id for p in parts], ctx.now)
    return clinic_sessions(
        parts, rows, not_before=ctx.now, count=count, with_cancelled=with_cancelled
    )


async def session_on_day(ctx: ClinicContext, parts: list[Series], day: date) -> Upcoming:
    """A clinic's session on a date (where it takes place, or the date its rule gave it)."""
    since = min(ctx.now, datetime.combine(day, time.min, UTC)) - timedelta(days=3)
    rows = await ctx.store.session_rows([p.id for p in parts], since)
    found = on_date(parts, rows, day)
    if not found:
        number = parts[-1].number
        raise UserError(
            f"Clinic #{number} has no session on {day:%a %d %b %Y}. "
            f"/clinic dates clinic:{number} lists its dates."
        )
    return next((u for u in found if not u.cancelled), found[0])


async def next_open(ctx: ClinicContext, parts: list[Series]) -> Upcoming:
    """The clinic's next session not yet started and not cancelled."""
    found = await next_sessions(ctx, parts, 1, with_cancelled=False)
    if not found or found[0].starts_at <= ctx.now:
        raise UserError(f"Clinic #{parts[-1].number} has no coming session.")
    return found[0]


async def latest_started(ctx: ClinicContext, parts: list[Series]) -> SessionRow:
    """The clinic's most recent session that has begun."""
    rows = await ctx.store.session_rows([p.id for p in parts], ctx.now - _LOOKBACK)
    begun = [r for r in rows if r.starts_at <= ctx.now and not r.cancelled]
    if not begun:
        raise UserError(
            f"Clinic #{parts[-1].number} has had no session lately: give its date with date:."
        )
    return max(begun, key=lambda r: r.starts_at)


async def stored(ctx: ClinicContext, item: Upcoming) -> SessionRow:
    """The session's row, storing it first if only its rule gave it so far."""
    if item.row is not None:
        return item.row
    return await ctx.store.ensure_session(item.series, item.day, item.starts_at, ctx.now)


async def pressed_session(ctx: ClinicContext, args: list[str]) -> SessionRow | None:
    """The session a button names, if it is one of this community's clinics.

    A button's session id is a row id shared by every community, so it is checked here.
    """
    session_id = row_id(args[0]) if args else None
    session = await ctx.store.get_session(session_id) if session_id is not None else None
    if session is None:
        return None
    series = await ctx.store.get_series(session.series_id)
    return session if series is not None and series.community_id == ctx.community.id else None
