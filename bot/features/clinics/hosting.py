"""Hosts and what they keep: who may host, the community's reminder times, a session's notes,
a member's reminders switch, and the clinics on a member's journey."""

from __future__ import annotations

from bot.commands.args import Args
from bot.commands.values import MemberLookup
from bot.context import Context
from bot.errors import OptionError, UserError
from bot.features.clinics import cards
from bot.features.clinics.access import (
    clinic_parts,
    latest_started,
    session_on_day,
    stored,
)
from bot.features.clinics.inputs import offsets_text, read_offsets
from bot.features.clinics.models import Tally
from bot.features.clinics.store import ClinicContext, ClinicSettingsStore, ClinicTallyStore
from bot.messages import Field, Message, Response, Tone, text
from bot.models import Member
from bot.wording import plural


async def host(ctx: ClinicContext, args: Args) -> Response:
    """Make a member a host (or, with remove:yes, take them off)."""
    member = args.member("member")
    assert member is not None
    store = ctx.store
    if args.boolean("remove"):
        if not await store.remove_clinic_host(ctx.community.id, member.id):
            raise UserError(f"{member.display_name} isn't a host.")
        return Response(
            Message(
                title="Host removed",
                body=text(
                    f"{member.display_name} can no longer create clinics. "
                    "The clinics they host keep running."
                ),
                tone=Tone.SUCCESS,
            )
        )
    if not await store.add_clinic_host(ctx.community.id, member.id, ctx.now):
        raise UserError(f"{member.display_name} is a host already.")
    return Response(
        Message(
            title="Host added",
            body=text(f"{member.display_name} can now create clinics with /clinic create."),
            tone=Tone.SUCCESS,
        )
    )


async def hosts(ctx: ClinicContext, args: Args) -> Response:
    """The community's hosts."""
    found = await ctx.store.clinic_hosts(ctx.community.id)
    return Response(
        Message(
            title="Clinic hosts",
            body=text(
                ", ".join(p.name for p in found)
                if found
                else "No hosts yet: /admin host member:<name> makes one."
            ),
            footer=text("Admins can always create clinics too."),
        )
    )


async def settings(ctx: ClinicContext, args: Args) -> Response:
    """Show or change when clinic reminders go out."""
    store = ctx.store
    if args.has("reminders"):
        offsets = read_offsets(args.text("reminders"))
        await store.set_clinic_reminders(ctx.community.id, offsets)
        title, tone = "Clinic reminders saved", Tone.SUCCESS
    else:
        offsets = await store.clinic_reminders(ctx.community.id)
        title, tone = "Clinic settings", Tone.INFO
    said = f"{offsets_text(offsets)} before each session" if offsets else "off"
    return Response(
        Message(
            title=title,
            fields=(Field("Reminders to those going", text(said)),),
            footer=text("Members turn theirs off with /profile clinic-reminders:off."),
            tone=tone,
        )
    )


async def _absent(ctx: ClinicContext, raw: str, find: MemberLookup) -> list[int]:
    found: list[int] = []
    for name in (n.strip().lstrip("@") for n in raw.split(",")):
        if not name:
            continue
        member = await find(name)
        if member is None:
            raise OptionError("absent", f"I don't know a member called '{name[:40]}' here.")
        found.append(member.id)
    return found


async def notes(ctx: ClinicContext, args: Args) -> Response:
    """After a session, its host keeps notes and a recording link; going members attended."""
    parts = await clinic_parts(ctx, args.text("clinic"))
    day = args.day("date")
    if day is not None:
        item = await session_on_day(ctx, parts, day)
        if item.cancelled:
            raise UserError("That session was cancelled, so it has no notes.")
        row = await stored(ctx, item) if item.starts_at <= ctx.now else None
        if row is None:
            raise UserError("That session hasn't started yet: record its notes afterwards.")
    else:
        row = await latest_started(ctx, parts)
    series = next(p for p in parts if p.id == row.series_id)
    if ctx.member.id != series.host_id:
        raise UserError(f"Only {series.host_name}, the clinic's host, can record its notes.")
    if not (args.has("notes") or args.has("recording") or args.has("absent")):
        raise UserError("Give notes:, recording: or absent: (who didn't come).")

    async def find(ref: str) -> Member | None:
        return await ctx.store.find_member(ctx.community.id, ref)

    absent = await _absent(ctx, args.text("absent"), find)
    roster = await ctx.store.record_notes(
        row.id,
        args.text("notes", row.notes),
        args.optional_text("recording") or row.recording,
        absent,
        ctx.now,
        cards.edit_announcement,
    )
    came = [r.name for r in roster.seated if r.attended is not False]
    return Response(
        Message(
            title=f"Notes saved: {series.title}",
            body=text(f"Attended: {', '.join(came) or 'nobody'}."),
            tone=Tone.SUCCESS,
        )
    )


def tally_line(tally: Tally) -> str | None:
    """The clinics on a member's journey, or None if they have none."""
    if not (tally.attended or tally.presented or tally.hosted):
        return None
    return (
        f"attended {plural(tally.attended, 'session')} · presented at {tally.presented} · "
        f"hosted {tally.hosted}"
    )


async def journey_field(ctx: Context[ClinicTallyStore], member: Member) -> Field | None:
    """/journey's clinics line for a member."""
    line = tally_line(await ctx.store.clinic_tally(member.id))
    return Field("Clinics", text(line), inline=False) if line else None


async def set_reminders(ctx: Context[ClinicSettingsStore], on: bool) -> None:
    """/profile clinic-reminders:on|off."""
    await ctx.store.set_member_clinic_reminders(ctx.member.id, on)


async def profile_field(ctx: Context[ClinicSettingsStore]) -> Field:
    """The clinic line of the caller's profile card."""
    on = await ctx.store.member_clinic_reminders(ctx.member.id)
    return Field("Clinic reminders", text("on" if on else "off"))
