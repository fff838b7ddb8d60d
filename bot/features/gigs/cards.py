"""A lead's public post: its words, its state and its buttons, and the edit that updates it."""

from __future__ import annotations

import json
from decimal import Decimal

from bot.features.gigs.models import GIGS, NAME, Gig, GigStatus, Outcome, Pay
from bot.messages import Button, ButtonStyle, Field, Message, Part, Text, Timestamp, Tone, text
from bot.models import Destination, NewOutbox
from bot.wording import plural

# Button actions; the lead's id follows a colon ("gig.interested:12").
INTERESTED_ACTION = "gig.interested"
REPORT_ACTION = "gig.report"

_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def amount_text(value: Decimal) -> str:
    """An amount as people write it: 400, 37.50, 1,200."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def pay_text(pay: Pay) -> str:
    """Pay shown plainly: "€400–600 per day", "£250 per project", "Unpaid"."""
    if pay.low is None:
        return "Unpaid"
    low = amount_text(pay.low)
    span = low if pay.high is None or pay.high == pay.low else f"{low}–{amount_text(pay.high)}"
    currency = pay.currency or ""
    symbol = _SYMBOLS.get(currency)
    shown = f"{symbol}{span}" if symbol else f"{span} {currency}".strip()
    return f"{shown} per {pay.per.value}" if pay.per else shown


def when_text(gig: Gig) -> str:
    """The work's dates, or "Ongoing"."""
    start, end = gig.draft.starts_on, gig.draft.ends_on
    if start is None and end is None:
        return "Ongoing"
    if start is not None and end is not None and start != end:
        return f"{start:%a %d %b %Y} to {end:%a %d %b %Y}"
    day = start or end
    assert day is not None
    return f"{day:%a %d %b %Y}"


def _state(gig: Gig) -> tuple[str, Tone]:
    """The word the title starts with for a lead that isn't plainly open, and its tone."""
    if gig.status is GigStatus.CLOSED:
        return ("Filled" if gig.outcome is Outcome.FILLED else "Withdrawn"), Tone.SUCCESS
    if gig.status is GigStatus.EXPIRED:
        return "Expired", Tone.WARNING
    if gig.status is GigStatus.PENDING:
        return "Waiting for approval", Tone.INFO
    return "", Tone.INFO


def gig_card(gig: Gig, interested: int) -> Message:
    """The lead as the gigs channel shows it: buttons only while it is open."""
    if gig.status in (GigStatus.HIDDEN, GigStatus.DELETED, GigStatus.REJECTED):
        why = {
            GigStatus.HIDDEN: "This lead is hidden while admins look at reports about it.",
            GigStatus.DELETED: "This lead was removed.",
            GigStatus.REJECTED: "This lead was not approved.",
        }[gig.status]
        return Message(title=f"Gig #{gig.number}", body=text(why), tone=Tone.WARNING)
    state, tone = _state(gig)
    title = f"#{gig.number} {gig.title}"
    fields = [
        Field("Pay", text(pay_text(gig.draft.pay))),
        Field("Where", text(gig.draft.place or "Remote")),
        Field("When", text(when_text(gig))),
    ]
    if gig.draft.link:
        fields.append(Field("Link", text(gig.draft.link), inline=False))
    buttons: tuple[Button, ...] = ()
    if gig.status is GigStatus.OPEN:
        buttons = (
            Button("I'm interested", f"{INTERESTED_ACTION}:{gig.id}"),
            Button("Report", f"{REPORT_ACTION}:{gig.id}", ButtonStyle.SECONDARY),
        )
    return Message(
        title=f"{state}: {title}" if state else title,
        body=text(gig.draft.details),
        fields=tuple(fields),
        footer=_footer(gig, interested),
        buttons=buttons,
        tone=tone,
        tags=gig.skills,
    )


def _footer(gig: Gig, interested: int) -> Text:
    """How many are interested (never who), until when it is open, and whether it was edited."""
    notes: list[Part] = []
    if interested:
        notes.append(f"{plural(interested, 'member')} interested")
    if gig.status is GigStatus.OPEN:
        notes += [" · " if notes else "", "Open until ", Timestamp(gig.expires_at)]
    if gig.edited_at is not None:
        notes.append(" · edited" if notes else "Edited")
    return text(*notes)


def post_edit(gig: Gig, interested: int) -> NewOutbox | None:
    """The edit that brings the lead's channel post up to date, or None if it has none yet."""
    if gig.post_id is None:
        return None
    return NewOutbox(
        community_id=gig.community_id,
        destination=Destination.channel(GIGS),
        payload=json.dumps(gig_card(gig, interested).to_dict()),
        edit_of=gig.post_id,
        feature=NAME,
    )
