"""What admins and posters are told about a lead: review cards, reports and direct messages."""

from __future__ import annotations

import json

from bot.features.gigs.cards import gig_card
from bot.features.gigs.models import GIG_REVIEW, NAME, Gig
from bot.messages import Button, ButtonStyle, Message, Timestamp, Tone, text
from bot.models import Destination, NewOutbox
from bot.wording import plural

# Admins' buttons; the lead's id follows a colon ("gig.approve:12").
APPROVE_ACTION = "gig.approve"
REJECT_ACTION = "gig.reject"
KEEP_ACTION = "gig.keep"
REMOVE_ACTION = "gig.remove"
# The poster's button on the expiry warning.
EXTEND_ACTION = "gig.extend"


def _queued(
    gig: Gig,
    destination: Destination,
    message: Message,
    key: str | None = None,
    edit_of: int | None = None,
) -> NewOutbox:
    return NewOutbox(
        community_id=gig.community_id,
        destination=destination,
        payload=json.dumps(message.to_dict()),
        dedupe_key=key,
        edit_of=edit_of,
        feature=NAME,
    )


def dm(gig: Gig, member_id: int, message: Message, key: str | None = None) -> NewOutbox:
    """A direct message about a lead (``key`` makes sure it is queued once)."""
    return _queued(gig, Destination.dm(member_id), message, key=key)


def to_review(gig: Gig, message: Message) -> NewOutbox:
    """A card in the admins' gig-review channel."""
    return _queued(gig, Destination.channel(GIG_REVIEW), message)


def review_edit(gig: Gig, message: Message) -> NewOutbox | None:
    """The lead's review card changed in place, if it has one."""
    if gig.review_id is None:
        return None
    return _queued(gig, Destination.channel(GIG_REVIEW), message, edit_of=gig.review_id)


def review_card(gig: Gig, poster: str, decided: str = "") -> Message:
    """A lead waiting for approval: what members would see, with Approve and Reject."""
    shown = gig_card(gig, 0)
    buttons: tuple[Button, ...] = ()
    if not decided:
        buttons = (
            Button("Approve", f"{APPROVE_ACTION}:{gig.id}"),
            Button("Reject", f"{REJECT_ACTION}:{gig.id}", ButtonStyle.DANGER),
        )
    return Message(
        title=f"Gig #{gig.number} to review: {gig.title}",
        body=text(
            f"Posted by {poster}. ",
            decided or "Members see nothing of it until an admin approves it.",
            "\n\n",
            *shown.body,
        ),
        fields=shown.fields,
        buttons=buttons,
        tone=Tone.SUCCESS if decided.startswith("Approved") else Tone.INFO,
        tags=gig.skills,
    )


def report_card(
    gig: Gig, reporter: str, reason: str, count: int, hidden: bool, decided: str = ""
) -> Message:
    """A member's report to the admins; the one that hides the lead asks Keep or Remove."""
    lines = [f"{reporter} reported it: ", reason, f"\n{plural(count, 'report')} so far."]
    buttons: tuple[Button, ...] = ()
    if hidden:
        lines.append(" It is hidden from members until an admin keeps it or removes it.")
        if not decided:
            buttons = (
                Button("Keep", f"{KEEP_ACTION}:{gig.id}"),
                Button("Remove", f"{REMOVE_ACTION}:{gig.id}", ButtonStyle.DANGER),
            )
    if decided:
        lines.append(f"\n{decided}")
    return Message(
        title=f"Report on gig #{gig.number}: {gig.title}",
        body=text(*lines),
        buttons=buttons,
        tone=Tone.WARNING,
    )


def poster_note(gig: Gig, title: str, *lines: str, tone: Tone = Tone.INFO) -> Message:
    """A direct message to a lead's poster about it."""
    return Message(title=f"{title}: #{gig.number} {gig.title}", body=text(*lines), tone=tone)


def extend_action(gig: Gig) -> str:
    """The "Extend" button's action: the lead and the expiry (epoch seconds) it was sent for."""
    return f"{EXTEND_ACTION}:{gig.id}:{int(gig.expires_at.timestamp())}"


def warning_card(gig: Gig, days: int) -> Message:
    """Two days before a lead expires: its poster may extend it."""
    return Message(
        title=f"Gig #{gig.number} expires soon: {gig.title}",
        body=text(
            "It stops taking interest and matching members on ",
            Timestamp(gig.expires_at),
            f". Still looking? Extend it by {days} days, or close it with /gig close.",
        ),
        # The button names the expiry it extends: once extended, pressing it again does nothing.
        buttons=(Button(f"Extend {days} days", extend_action(gig)),),
        tone=Tone.WARNING,
    )


def undeliverable(name: str) -> Message:
    """The note posted when a member's DMs are closed and a gig DM can't reach them."""
    return Message(
        title="Direct messages are closed",
        body=text(
            name,
            ", I can't send you direct messages, so gig leads that fit you and news about "
            "your own leads are waiting. Please allow direct messages from this community's "
            "members and apps; meanwhile /gig list and /gig mine show where things stand.",
        ),
        tone=Tone.WARNING,
    )
