"""What clinics say: the announcement (edited in place as people answer), DMs and replies."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from bot.features.clinics.models import Answer, Roster, Rsvp, Series, SessionStatus
from bot.features.clinics.store import CLINICS, NAME
from bot.messages import (
    Button,
    ButtonStyle,
    ChannelLink,
    Field,
    Message,
    Text,
    Timestamp,
    Tone,
    text,
)
from bot.models import Destination, NewOutbox
from bot.wording import plural

RSVP_ACTION = "clinic.rsvp"
# A channel named in "where": Discord's <#123>, Slack's <#C123|name>.
_CHANNEL = re.compile(r"<#([A-Za-z0-9]+)(?:\|[^>]*)?>")
# Longest presenters' list an announcement shows before "and N more".
_SHOWN_PRESENTERS = 10


def length(duration: timedelta) -> str:
    """A duration as people say it: "90 min", "2 h", "1 h 30 min"."""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 60 or (minutes % 60 and minutes < 120):
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def place(location: str) -> Text:
    """Where a clinic meets: a channel becomes a link to it, anything else stays literal."""
    found = _CHANNEL.fullmatch(location.strip())
    if found:
        return text(ChannelLink(found.group(1)))
    return text(location or "to be announced")


def when(starts_at: datetime) -> Text:
    """A session's start in each reader's own time, and how far off it is."""
    return text(Timestamp(starts_at), " (", Timestamp(starts_at, "relative"), ")")


def clinic_name(series: Series) -> str:
    """A clinic as listings name it: "#3 Room calibration"."""
    return f"#{series.number} {series.title}"


def channel_post(series: Series, message: Message, key: str | None = None) -> NewOutbox:
    """A post in the community's clinics channel."""
    return NewOutbox(
        community_id=series.community_id,
        destination=Destination.channel(CLINICS),
        payload=json.dumps(message.to_dict()),
        dedupe_key=key,
        feature=NAME,
    )


def dm(series: Series, member_id: int, message: Message, key: str | None = None) -> NewOutbox:
    """A direct message to a member about a clinic."""
    return NewOutbox(
        community_id=series.community_id,
        destination=Destination.dm(member_id),
        payload=json.dumps(message.to_dict()),
        dedupe_key=key,
        feature=NAME,
    )


def edit_announcement(roster: Roster) -> list[NewOutbox]:
    """The session's announcement brought up to date in place, if it went out."""
    announcement = roster.session.announcement_id
    if announcement is None:
        return []
    item = channel_post(roster.series, announcement_card(roster))
    return [
        NewOutbox(
            community_id=item.community_id,
            destination=item.destination,
            payload=item.payload,
            edit_of=announcement,
            feature=NAME,
        )
    ]


def rsvp_buttons(session_id: int) -> tuple[Button, ...]:
    """Going, Going and presenting, Can't: one press each."""
    action = f"{RSVP_ACTION}:{session_id}"
    return (
        Button("Going", f"{action}:going"),
        Button("Going and presenting", f"{action}:presenting", ButtonStyle.SECONDARY),
        Button("Can't", f"{action}:cant", ButtonStyle.SECONDARY),
    )


def cant_button(session_id: int) -> Button:
    """The one-press "can't make it"."""
    return Button("Can't make it", f"{RSVP_ACTION}:{session_id}:cant", ButtonStyle.SECONDARY)


def seats(roster: Roster) -> str:
    """Seats taken and the waitlist: "3 of 5 seats taken · 2 on the waitlist"."""
    taken = len(roster.seated)
    capacity = roster.series.capacity
    said = (
        f"{taken} going"
        if capacity is None
        else f"{taken} of {capacity} {'seat' if capacity == 1 else 'seats'} taken"
    )
    waiting = len(roster.waitlist)
    return f"{said} · {waiting} on the waitlist" if waiting else said


def _presenters(roster: Roster) -> str:
    shown = [f"{r.name}: {r.bring}" if r.bring else r.name for r in roster.presenters]
    more = len(shown) - _SHOWN_PRESENTERS
    lines = shown[:_SHOWN_PRESENTERS] + ([f"and {more} more"] if more > 0 else [])
    return "\n".join(lines) or "nobody yet"


def announcement_card(roster: Roster) -> Message:
    """The session in the clinics channel, as it stands: counts, presenters, state."""
    series, session = roster.series, roster.session
    fields = [
        Field("When", when(session.starts_at), inline=False),
        Field("Length", text(length(session.ends_at - session.starts_at))),
        Field("Where", place(series.location)),
        Field("Seats", text(seats(roster))),
        Field("Presenting", text(_presenters(roster)), inline=False),
    ]
    body = text(f"Hosted by {series.host_name}. Bring: {series.bring}")
    title = f"Clinic: {series.title}"
    buttons = rsvp_buttons(session.id)
    tone = Tone.INFO
    if session.status is SessionStatus.CANCELLED:
        title, buttons, tone = f"Cancelled: {series.title}", (), Tone.WARNING
        body = text(f"This session is off: {session.reason or 'cancelled by the host'}.")
        fields = fields[:1]
    elif session.closed_at is not None or session.notes or session.recording:
        came = sum(1 for r in roster.seated if r.attended is not False)
        title, buttons = f"Held: {series.title}", ()
        fields = [
            Field("When", text(Timestamp(session.starts_at)), inline=False),
            Field("Attended", text(plural(came, "member"))),
        ]
        if session.notes:
            fields.append(Field("Notes", text(session.notes), inline=False))
        if session.recording:
            fields.append(Field("Recording", text(session.recording), inline=False))
    elif session.status is SessionStatus.MOVED:
        body = text(*body, f"\nMoved: {session.reason}" if session.reason else "\nMoved.")
    return Message(
        title=title,
        body=body,
        fields=tuple(fields),
        footer=text(f"Or type /clinic rsvp clinic:{series.number} answer:going") if buttons else (),
        buttons=buttons,
        tone=tone,
    )


def reminder_card(roster: Roster, rsvp: Rsvp) -> Message:
    """The DM reminding a going member that the session is coming."""
    series, session = roster.series, roster.session
    body = text("Starts ", *when(session.starts_at), ".")
    if rsvp.answer is Answer.PRESENTING:
        body = text(*body, f" You're presenting: {rsvp.bring or 'your work'}.")
    return Message(
        title=f"Reminder: {series.title}",
        body=body,
        fields=(Field("Where", place(series.location)), Field("Bring", text(series.bring))),
        buttons=(cant_button(session.id),),
    )


def roster_card(roster: Roster) -> Message:
    """The host's DM: who is coming and what the presenters bring."""
    series, session = roster.series, roster.session
    going = [r.name for r in roster.seated if r.answer is Answer.GOING]
    return Message(
        title=f"Your clinic: {series.title}",
        body=text("Starts ", *when(session.starts_at), f". {seats(roster)}."),
        fields=(
            Field("Presenting", text(_presenters(roster)), inline=False),
            Field("Going", text(", ".join(going) or "nobody yet"), inline=False),
            Field(
                "Waitlist",
                text(", ".join(r.name for r in roster.waitlist) or "nobody"),
                inline=False,
            ),
        ),
    )


def promoted_card(roster: Roster, rsvp: Rsvp) -> Message:
    """The DM telling a waitlisted member a seat opened for them."""
    role = "presenting" if rsvp.answer is Answer.PRESENTING else "going"
    return Message(
        title=f"A seat opened: {roster.series.title}",
        body=text(
            f"You're off the waitlist and {role}. It starts ",
            *when(roster.session.starts_at),
            ".",
        ),
        buttons=(cant_button(roster.session.id),),
        tone=Tone.SUCCESS,
    )


def moved_card(roster: Roster, rsvp: Rsvp, was: datetime) -> Message:
    """The DM telling someone who answered that their session moved."""
    session = roster.session
    button = (
        Button("Going", f"{RSVP_ACTION}:{session.id}:going")
        if rsvp.answer is Answer.CANT
        else cant_button(session.id)
    )
    return Message(
        title=f"Moved: {roster.series.title}",
        body=text(
            "The session of ",
            Timestamp(was),
            " now starts ",
            *when(session.starts_at),
            f". {session.reason}" if session.reason else ".",
            " Your answer stands.",
        ),
        buttons=(button,),
        tone=Tone.WARNING,
    )


def cancelled_card(roster: Roster, reason: str) -> Message:
    """The DM telling someone who answered that their session is off."""
    return Message(
        title=f"Cancelled: {roster.series.title}",
        body=text("The session of ", Timestamp(roster.session.starts_at), f" is off: {reason}."),
        tone=Tone.WARNING,
    )


def answered_card(
    roster: Roster, member_id: int, answer: Answer, place_in_line: int | None
) -> Message:
    """The reply to the member who answered."""
    series, session = roster.series, roster.session
    if answer is Answer.WAITLIST:
        return Message(
            title=f"Waitlisted: {series.title}",
            body=text(
                f"The session is full: you're #{place_in_line or '?'} on the waitlist. "
                "I'll message you if a seat opens."
            ),
            tone=Tone.WARNING,
        )
    if answer is Answer.CANT:
        return Message(
            title=f"Noted: you can't make {series.title}",
            body=text("Thanks for telling the host. Changed your mind? Press Going."),
        )
    role = "presenting" if answer is Answer.PRESENTING else "going"
    bring = roster.of(member_id)
    presenting = (
        f" You're presenting: {bring.bring}."
        if bring and bring.bring and role == "presenting"
        else ""
    )
    return Message(
        title=f"You're {role}: {series.title}",
        body=text("It starts ", *when(session.starts_at), f".{presenting}"),
        fields=(Field("Seats", text(seats(roster))),),
        tone=Tone.SUCCESS,
    )


def changed_card(roster: Roster, was: datetime, reason: str) -> Message:
    """The DM telling someone who answered that the series changed under their session."""
    series, session = roster.series, roster.session
    return Message(
        title=f"Changed: {series.title}",
        body=text(
            "The session of ",
            Timestamp(was),
            f" changed ({reason}). It now starts ",
            *when(session.starts_at),
            f", {length(session.ends_at - session.starts_at)}. Your answer stands.",
        ),
        fields=(Field("Where", place(series.location)),),
        buttons=(cant_button(session.id),),
        tone=Tone.WARNING,
    )


def undeliverable(name: str) -> Message:
    """The note posted when a member's DMs are closed and a clinic DM can't reach them."""
    return Message(
        title="Direct messages are closed",
        body=text(
            name,
            ", I can't send you direct messages, so your clinic reminders and RSVP news are "
            "waiting. Please allow direct messages from this community's members and apps; "
            "meanwhile /clinic list and /clinic info show where you stand.",
        ),
        tone=Tone.WARNING,
    )
