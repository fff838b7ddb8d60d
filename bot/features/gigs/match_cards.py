"""What matching says: the alert DM, the weekly digest, the poster's intro, /gig list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.features.gigs.cards import INTERESTED_ACTION, gig_card, pay_text, when_text
from bot.features.gigs.models import Gig, GigStatus, Outcome
from bot.messages import Button, Field, Mention, Message, Part, Text, Timestamp, Tone, text
from bot.models import Member, Sprint

# A digest lists this many leads (the rest: /gig list) with a button for the first few.
DIGEST_LEADS = 10
DIGEST_BUTTONS = 5
LIST_LEADS = 10
_EXCERPT = 300


def _excerpt(words: str, limit: int = _EXCERPT) -> str:
    """The start of a lead's details, cut at a word."""
    if len(words) <= limit:
        return words
    return words[:limit].rsplit(" ", 1)[0].rstrip(",.;: ") + "…"


def summary(gig: Gig) -> Text:
    """A lead in one line: pay, where, when, and until when it is open."""
    return text(
        f"{pay_text(gig.draft.pay)} · {gig.draft.place or 'Remote'} · {when_text(gig)}"
        " · open until ",
        Timestamp(gig.expires_at),
    )


def alert_card(gig: Gig, fits: Sequence[str]) -> Message:
    """The DM telling a member of a lead that fits them."""
    card = gig_card(gig, 0)
    return replace(
        card,
        title=f"Gig lead for you: #{gig.number} {gig.title}",
        body=text(_excerpt(gig.draft.details)),
        fields=(*card.fields, Field("Fits your skills", text(", ".join(fits)), inline=False)),
        footer=text(
            "Open until ",
            Timestamp(gig.expires_at),
            " · /profile gig-alerts:digest (weekly) or off changes these",
        ),
        buttons=(Button("I'm interested", f"{INTERESTED_ACTION}:{gig.id}"),),
        tags=(),
    )


def digest_card(gigs: Sequence[Gig]) -> Message:
    """A member's weekly digest: the week's leads that fit them and are still open."""
    shown = gigs[:DIGEST_LEADS]
    more = len(gigs) - len(shown)
    footer: list[Part] = ["/gig list shows every open lead"]
    if more:
        footer.insert(0, f"and {more} more · ")
    return Message(
        title=f"Gig leads this week: {len(gigs)}",
        body=text("Leads that fit your skills, still open:"),
        fields=tuple(Field(f"#{g.number} {g.title}", summary(g), inline=False) for g in shown),
        footer=text(*footer, " · /profile gig-alerts:instant sends each as it comes"),
        buttons=tuple(
            Button(f"Interested in #{g.number}", f"{INTERESTED_ACTION}:{g.id}")
            for g in shown[:DIGEST_BUTTONS]
        ),
    )


def morning_card(leads: Sequence[tuple[Gig, Sequence[str]]]) -> Message:
    """One DM for the leads that fit a member overnight (held until their morning)."""
    shown = leads[:DIGEST_LEADS]
    more = len(leads) - len(shown)
    footer: list[Part] = ["/gig list shows every open lead"]
    if more:
        footer.insert(0, f"and {more} more · ")
    return Message(
        title=f"Gig leads for you overnight: {len(leads)}",
        body=text("Leads that fit your skills, posted while it was night for you:"),
        fields=tuple(
            Field(
                f"#{g.number} {g.title}",
                text(*summary(g), f"\nFits your skills: {', '.join(fits)}"),
                inline=False,
            )
            for g, fits in shown
        ),
        footer=text(*footer, " · /profile gig-alerts:digest (weekly) or off changes these"),
        buttons=tuple(
            Button(f"Interested in #{g.number}", f"{INTERESTED_ACTION}:{g.id}")
            for g, _ in shown[:DIGEST_BUTTONS]
        ),
    )


def role_line(member: Member) -> str | None:
    """Where a member is and where they are heading, as far as they said: "FOH engineer →
    spatial mixing", "FOH engineer", "→ spatial mixing"; None when they said neither."""
    now, heading = member.current_role or "", member.heading or ""
    if not (now or heading):
        return None
    return f"{now} → {heading}" if now and heading else now or f"→ {heading}"


def portfolio(sprints: Sequence[Sprint]) -> Text | None:
    """A member's completed sprints' deliverables, with their links (None: none yet)."""
    done = [s for s in sprints if s.outcome_url]
    if not done:
        return None
    lines = [f"• {s.deliverable} ({s.skill}): {s.outcome_url}" for s in done[-5:]]
    return text("\n".join(lines))


def intro_fields(
    member: Member, fits: Sequence[str], sprints: Sequence[Sprint]
) -> tuple[Field, ...]:
    """What the intro tells the poster of a member, leaving out what the member hasn't got."""
    role, work = role_line(member), portfolio(sprints)
    found = [
        Field("Role → heading", text(role), inline=False) if role else None,
        Field("Matching skills", text(", ".join(fits)), inline=False) if fits else None,
        Field("Portfolio", work, inline=False) if work else None,
    ]
    return tuple(f for f in found if f is not None)


_SENT_AS = {
    "Role → heading": "role",
    "Matching skills": "matching skills",
    "Portfolio": "portfolio",
}


def intro_card(gig: Gig, member: Member, fits: Sequence[str], sprints: Sequence[Sprint]) -> Message:
    """The private intro the poster gets when a member says they are interested."""
    return Message(
        title=f"Interested in #{gig.number} {gig.title}: {member.display_name}",
        body=text(
            Mention(member.ext_id, member.display_name),
            " says they're interested in your lead. Reply to them directly.",
        ),
        fields=intro_fields(member, fits, sprints),
        footer=text("Only you see this; the post shows how many are interested, never who."),
        tone=Tone.SUCCESS,
    )


def intro_sent(gig: Gig, poster: Member, sent: Sequence[Field]) -> Message:
    """The member's answer: their intro went to the poster, saying what it held."""
    parts = ["name", *(_SENT_AS[f.name] for f in sent)]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return Message(
        title=f"Intro sent: #{gig.number} {gig.title}",
        body=text(
            f"{poster.display_name} got your {listed} privately. They'll reply to you directly."
        ),
        tone=Tone.SUCCESS,
    )


def already_interested(gig: Gig, poster: Member) -> Message:
    """Pressing again: nothing more is sent."""
    return Message(
        title=f"Already sent: #{gig.number} {gig.title}",
        body=text(
            f"{poster.display_name} has your intro from the first time; nothing more was sent."
        ),
    )


def not_open_line(gig: Gig) -> str:
    """Why a lead takes no interest, in one friendly line."""
    name = f"Gig #{gig.number}"
    if gig.status is GigStatus.CLOSED:
        how = "filled" if gig.outcome is Outcome.FILLED else "withdrawn"
        return f"{name} was {how}, so it takes no more interest. See open leads with /gig list."
    if gig.status is GigStatus.HIDDEN:
        return f"{name} is hidden while admins look at reports about it. Try again later."
    if gig.status is GigStatus.PENDING:
        return f"{name} is waiting for an admin's approval; try again once it is posted."
    if gig.status in (GigStatus.DELETED, GigStatus.REJECTED):
        return f"{name} was taken down. See open leads with /gig list."
    return f"{name} has expired, so it takes no more interest. See open leads with /gig list."


def list_card(gigs: Sequence[tuple[Gig, int, Sequence[str]]], skill: str | None) -> Message:
    """/gig list: open leads with their pay, place and dates, best fit for the reader first."""
    if not gigs:
        body = f"No open leads want {skill} right now." if skill else "No open leads right now."
        return Message(title="Gig leads", body=text(body, " Post one with /gig post."))
    shown = gigs[:LIST_LEADS]
    more = len(gigs) - len(shown)
    fields = []
    for gig, interested, fits in shown:
        value: list[Part] = [*summary(gig)]
        value.append(f"\nSkills: {', '.join(gig.skills)}")
        if fits:
            value.append(f" · fits you: {', '.join(fits)}")
        if interested:
            value.append(f" · {interested} interested")
        fields.append(Field(f"#{gig.number} {gig.title}", text(*value), inline=False))
    title = f"Gig leads wanting {skill}" if skill else "Gig leads"
    footer = f"and {more} more · " if more else ""
    return Message(
        title=f"{title}: {len(gigs)} open",
        fields=tuple(fields),
        footer=text(footer, "Say you're interested with /gig interested gig:<number>"),
    )
