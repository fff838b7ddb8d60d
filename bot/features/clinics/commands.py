"""The clinic commands and buttons, declared once for every platform."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.registry import (
    TIMEZONE_SOURCE,
    Choice,
    Command,
    Direction,
    Group,
    Option,
    OptionType,
    Permission,
    Registry,
    Role,
)
from bot.features.clinics import edits, hosting, manage, mirror, rsvp, views
from bot.features.clinics.access import may_host
from bot.features.clinics.cards import RSVP_ACTION
from bot.features.clinics.store import ClinicContext

# The type-ahead source of ``clinic:``: the community's clinics by number and title.
CLINIC_SOURCE = "clinic"
CLINIC = Option(
    "clinic",
    "The clinic's title or number",
    required=True,
    max_length=100,
    placeholder="3",
    suggest=CLINIC_SOURCE,
)


async def _hosts(ctx: ClinicContext, args: list[str]) -> bool:
    return await may_host(ctx)


# Who may create a clinic: the members an admin made hosts, and admins.
HOST_ROLE = Role(
    "host",
    _hosts,
    "Only hosts and admins can create a clinic: ask an admin to make you a host (/admin host).",
)


async def clinics_typed(ctx: ClinicContext, typed: str) -> list[Choice]:
    """Type-ahead for ``clinic:``: the community's clinics whose number or title matches."""
    current = {s.number: s for s in await ctx.store.community_series(ctx.community.id)}
    needle = typed.strip().lstrip("#").lower()
    return [
        Choice(str(s.number), f"#{s.number} {s.title}"[:100])
        for s in current.values()
        if not s.void and needle in f"{s.number} {s.title}".lower()
    ]


TITLE = Option(
    "title", "The clinic's name", required=True, max_length=100,
    placeholder="Room calibration clinic",
)  # fmt: skip
BRING = Option(
    "bring", "What members bring, in one sentence", required=True, max_length=200,
    placeholder="A room measurement or a mix to calibrate",
)  # fmt: skip
RULE = Option(
    "rule", "How often: first friday, the 15th, last sunday, or an RRULE", required=True,
    max_length=200, placeholder="first friday",
)  # fmt: skip
TIME = Option(
    "time", "Each session's local start time (HH:MM)", OptionType.TIME, required=True,
    placeholder="19:00",
)  # fmt: skip
ZONE = Option(
    "timezone", "The clinic's time zone (default: the host's)", OptionType.TIMEZONE,
    suggest=TIMEZONE_SOURCE, label="Time zone",
)  # fmt: skip
START = Option(
    "start", "The first date the rule counts from (default today)", OptionType.DATE,
    direction=Direction.FUTURE, label="Start date",
)  # fmt: skip
DURATION = Option(
    "duration", "How long each session lasts (default 90 min): 90, 2h, 1h30", max_length=20
)
WHERE = Option(
    "where", "Where it meets: a voice channel, a link or a place", max_length=200,
    placeholder="#studio-a or https://meet.example.org/clinic",
)  # fmt: skip
CAPACITY = Option(
    "capacity", "Seats, presenters included (default: no limit)", OptionType.INTEGER,
    min_value=1, max_value=500,
)  # fmt: skip
ANNOUNCE = Option(
    "announce-days", "Days before each session its announcement goes out (default 7)",
    OptionType.INTEGER, min_value=1, max_value=60, label="Announce days before",
)  # fmt: skip
HOST = Option("host", "Who hosts it (default: you; admins only)", OptionType.MEMBER)
ANSWER = Option(
    "answer",
    "Your answer",
    OptionType.CHOICE,
    required=True,
    choices=(
        Choice("going", "Going"),
        Choice("presenting", "Going and presenting"),
        Choice("cant", "Can't"),
    ),
)
PRESENTING = Option(
    "bring", "Presenting: what you bring, in one line (default: your sprint's deliverable)",
    max_length=200, label="What you bring",
)  # fmt: skip
REASON = Option("reason", "Why, in one line (members are told)", required=True, max_length=200)


def _session_date(description: str, *, required: bool, direction: Direction) -> Option:
    return Option(
        "date", description, OptionType.DATE, required=required, direction=direction,
        label="Session date",
    )  # fmt: skip


def register(registry: Registry) -> None:
    """Declare the clinic commands, the RSVP buttons, and the admins' clinic settings."""
    registry.add_group(Group("clinic", "Monthly calibration clinics: sessions and RSVPs", "list"))
    add = registry.add
    add(
        Command(
            ("clinic", "create"),
            "Start a clinic series (hosts and admins)",
            manage.create,
            options=(
                TITLE,
                BRING,
                RULE,
                TIME,
                ZONE,
                START,
                DURATION,
                WHERE,
                CAPACITY,
                ANNOUNCE,
                HOST,
            ),
            permission=HOST_ROLE,
            form_title="Create a clinic",
        )
    )
    add(Command(("clinic", "list"), "The coming sessions of every clinic", views.list_sessions))
    add(
        Command(
            ("clinic", "dates"),
            "The next dates of one clinic",
            views.dates,
            options=(
                CLINIC,
                Option(
                    "count",
                    "How many dates (up to 24)",
                    OptionType.INTEGER,
                    min_value=1,
                    max_value=24,
                ),
            ),
        )
    )
    add(Command(("clinic", "info"), "Everything about one clinic", views.info, options=(CLINIC,)))
    add(
        Command(
            ("clinic", "rsvp"),
            "Answer a clinic's next session: going, presenting or can't",
            rsvp.rsvp,
            options=(
                CLINIC,
                ANSWER,
                PRESENTING,
                _session_date(
                    "Which session (default: the next)",
                    required=False,
                    direction=Direction.FUTURE,
                ),
            ),
            form_title="Answer a clinic",
        )
    )
    add(
        Command(
            ("clinic", "cancel"),
            "Cancel one session (host or admin); the series goes on",
            manage.cancel,
            options=(
                CLINIC,
                _session_date("The session's date", required=True, direction=Direction.FUTURE),
                REASON,
            ),
        )
    )
    add(
        Command(
            ("clinic", "move"),
            "Move one session (host or admin); answers are kept and members told",
            manage.move,
            options=(
                CLINIC,
                _session_date("The session's date", required=True, direction=Direction.FUTURE),
                Option(
                    "to",
                    "The new date, with a time if it changes (2027-03-12 18:30)",
                    required=True,
                    max_length=60,
                    label="New date",
                ),
                REASON,
            ),
        )
    )
    add(
        Command(
            ("clinic", "edit"),
            "Change a clinic from a date on (host or admin); earlier sessions stay",
            edits.edit,
            options=(
                CLINIC,
                Option(
                    "from",
                    "The first date the change applies to",
                    OptionType.DATE,
                    required=True,
                    direction=Direction.FUTURE,
                    label="From",
                ),
                *(replace(o, required=False) for o in (TITLE, BRING, RULE, TIME)),
                ZONE,
                DURATION,
                WHERE,
                CAPACITY,
                ANNOUNCE,
                Option("host", "A new host (admins only)", OptionType.MEMBER),
                Option("reason", "Why, in one line (members are told)", max_length=200),
            ),
            form_when_incomplete=False,
        )
    )
    add(
        Command(
            ("clinic", "end"),
            "End a clinic after a date (host or admin); later sessions are cancelled",
            edits.end,
            options=(
                CLINIC,
                Option(
                    "after",
                    "The last date sessions may still be on",
                    OptionType.DATE,
                    required=True,
                    direction=Direction.FUTURE,
                    label="After",
                ),
                Option("reason", "Why, in one line (members are told)", max_length=200),
            ),
        )
    )
    add(
        Command(
            ("clinic", "notes"),
            "After a session (its host): notes, recording, who didn't come",
            hosting.notes,
            options=(
                CLINIC,
                _session_date(
                    "The session's date (default: the latest)",
                    required=False,
                    direction=Direction.PAST,
                ),
                Option("notes", "What was covered", max_length=1000, paragraph=True),
                Option("recording", "A link to the recording", OptionType.URL),
                Option(
                    "absent",
                    "Who said they'd come but didn't (names, comma-separated)",
                    max_length=500,
                ),
            ),
            form_when_incomplete=False,
        )
    )
    registry.action(RSVP_ACTION, rsvp.press)
    registry.action(mirror.INTEREST_ACTION, mirror.interested)
    register_admin(registry)


def register_admin(registry: Registry) -> None:
    """The admins' clinic commands, in the admin feature's group."""
    admin = Permission.ADMIN
    registry.add(
        Command(
            ("admin", "host"),
            "Let a member create clinics (remove:yes takes them off)",
            hosting.host,
            options=(
                Option("member", "Who", OptionType.MEMBER, required=True),
                Option("remove", "Take them off the hosts", OptionType.BOOLEAN),
            ),
            permission=admin,
        )
    )
    registry.add(Command(("admin", "hosts"), "Who may create clinics", hosting.hosts,
                         permission=admin))  # fmt: skip
    registry.add(
        Command(
            ("admin", "clinics"),
            "When clinic reminders go out, e.g. reminders:24h,1h (or off)",
            hosting.settings,
            options=(
                Option("reminders", "Times before each session: 24h,1h or off", max_length=60),
            ),
            permission=admin,
            form_when_incomplete=False,
        )
    )
