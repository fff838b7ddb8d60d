"""Clinics in people's calendars: an .ics file by command, and a community's subscribable feed.

``/clinic calendar`` attaches one clinic's file (every part of it, if edited) or all of the
community's; ``/admin calendar-link`` shows the feed's address, which holds an unguessable
token per community (``rotate`` replaces it, so the old address stops working). Both are
written by ``entries.series_entries`` and ``ical.calendar_file``; the feed is served by
``feed.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.commands.args import Args
from bot.commands.registry import Command, Option, OptionType, Permission, Registry
from bot.context import Context
from bot.errors import UserError
from bot.features.clinics.cards import clinic_name
from bot.features.clinics.commands import CLINIC
from bot.features.clinics.entries import series_entries
from bot.features.clinics.ical import MEDIA_TYPE, SeriesEntry, calendar_file
from bot.features.clinics.inputs import find_clinic
from bot.features.clinics.models import Series, SessionRow
from bot.features.clinics.store import ClinicStore
from bot.messages import Attachment, AttachmentError, Field, Message, Response, Tone, text
from bot.models import Community

# The feed's address on the web app; the token is its only secret.
FEED_ROUTE = "/calendar/{token}.ics"
# How often subscribed calendar apps are asked to fetch the feed again.
FEED_REFRESH = timedelta(hours=1)
# secrets.token_urlsafe(24): 32 characters, 192 random bits.
TOKEN_BYTES = 24


class CalendarStore(ClinicStore, Protocol):
    """What clinic calendars ask of storage (SQLite: bot/storage/sql/clinic_calendar.py)."""

    async def calendar_sessions(self, series_ids: Sequence[int]) -> list[SessionRow]:
        """Every cancelled or moved session of these series, past ones included."""
        ...

    async def clinic_feed_token(self, community_id: int) -> str | None:
        """The community's feed token, if it has one."""
        ...

    async def ensure_clinic_feed_token(self, community_id: int, token: str, now: datetime) -> str:
        """The community's feed token, ``token`` becoming it if it had none."""
        ...

    async def replace_clinic_feed_token(self, community_id: int, token: str, now: datetime) -> None:
        """Give the community a new feed token; the old one stops naming it."""
        ...

    async def clinic_feed_community(self, token: str) -> int | None:
        """The community whose feed token this is, if any."""
        ...


CalendarContext = Context[CalendarStore]


def feed_path(token: str) -> str:
    """The feed's path on the web app for a token."""
    return FEED_ROUTE.replace("{token}", token)


def calendar_name(community: Community) -> str:
    """What calendar apps call a community's clinics."""
    return f"{community.name} clinics"


async def entries_of(store: CalendarStore, series: Sequence[Series]) -> list[SeriesEntry]:
    """These series as calendar entries, with their cancelled and moved sessions (one query)."""
    live = [s for s in series if not s.void]
    return series_entries(live, await store.calendar_sessions([s.id for s in live]))


async def clinic_calendar(ctx: CalendarContext, args: Args) -> Response:
    """An .ics file of one clinic (``clinic:``), or of every clinic of the community."""
    every = await ctx.store.community_series(ctx.community.id)
    ref = args.text("clinic").strip()
    if ref:
        parts = find_clinic(every, ref)
        title, filename = clinic_name(parts[-1]), f"clinic-{parts[-1].number}.ics"
        name = f"{calendar_name(ctx.community)}: {parts[-1].title}"
    elif every:
        parts, title, filename = every, "Every clinic", "clinics.ics"
        name = calendar_name(ctx.community)
    else:
        raise UserError("There are no clinics yet. Hosts and admins start one with /clinic create.")
    entries = await entries_of(ctx.store, parts)
    if not entries:
        raise UserError(f"{title} has no sessions to put in a calendar.")
    data = calendar_file(entries, stamp=ctx.now, name=name)
    try:
        attachment = Attachment(filename, MEDIA_TYPE, data)
    except AttachmentError:
        raise UserError(
            "That calendar is too big to attach: name one clinic with clinic:, or ask an admin "
            "for the calendar link (/admin calendar-link)."
        ) from None
    return Response(
        Message(
            title=f"{title}: calendar file",
            body=text(
                "Open the attached file to add every session to your calendar: cancelled "
                "sessions are left out, moved ones are at their new time."
            ),
            footer=text(
                "The file doesn't follow later changes; the community's calendar link does "
                "(admins: /admin calendar-link)."
            ),
            attachments=(attachment,),
        )
    )


async def calendar_link(ctx: CalendarContext, args: Args) -> Response:
    """The community's feed address (admins); ``rotate`` replaces it with a new one."""
    community_id = ctx.community.id
    fresh = secrets.token_urlsafe(TOKEN_BYTES)
    rotated = bool(args.boolean("rotate"))
    if rotated:
        await ctx.store.replace_clinic_feed_token(community_id, fresh, ctx.now)
        token = fresh
    else:
        token = await ctx.store.ensure_clinic_feed_token(community_id, fresh, ctx.now)
    url = ctx.public_url.link(feed_path(token))
    fields = [Field("Address", text(url), inline=False)]
    if url.startswith("https://"):
        # webcal:// opens the subscribe dialog of Apple Calendar and Outlook directly.
        fields.append(Field("Subscribe", text("webcal://" + url.removeprefix("https://")), False))
    intro = "A new link: the old one no longer works. " if rotated else ""
    return Response(
        Message(
            title="Clinic calendar link",
            body=text(
                f"{intro}Subscribe to this address in a calendar app to follow every clinic "
                "here, with cancellations and moves as they happen."
            ),
            fields=tuple(fields),
            footer=text(
                "Anyone with the link can read the clinics' dates: share it with members "
                "only. /admin calendar-link rotate replaces it."
            ),
            tone=Tone.SUCCESS if rotated else Tone.INFO,
        )
    )


def register_calendar(registry: Registry) -> None:
    """Declare /clinic calendar and /admin calendar-link."""
    registry.add(
        Command(
            ("clinic", "calendar"),
            "A calendar file (.ics) of one clinic, or of every clinic",
            clinic_calendar,
            options=(
                replace(
                    CLINIC,
                    description="The clinic's title or number (default: every clinic)",
                    required=False,
                ),
            ),
            positional="clinic",
        )
    )
    registry.add(
        Command(
            ("admin", "calendar-link"),
            "The clinics' calendar feed address (rotate:yes replaces it)",
            calendar_link,
            options=(
                Option(
                    "rotate",
                    "Replace the address; the old one stops working",
                    OptionType.BOOLEAN,
                ),
            ),
            permission=Permission.ADMIN,
        )
    )
