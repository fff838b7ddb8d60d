"""Reading a clinic's recurrence, typed in plain words or as an RFC 5545 RRULE, into one RRULE.

Every form ends as a normalised RFC 5545 RECUR value (``FREQ=MONTHLY;BYDAY=2TH``), checked by
python-dateutil, plus a sentence saying what it means. Clinics meet at most once a day: the
time of day comes from the clinic's own time option, so sub-daily frequencies and
BYHOUR/BYMINUTE/BYSECOND are refused, and any FREQ from DAILY to YEARLY is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.rrule import rrule, rrulestr

from bot.errors import OptionError
from bot.features.clinics.wording import describe
from bot.features.clinics.words import EXAMPLES, read_date, read_words

# A one-off session: the series' start is its only date.
ONCE = "FREQ=DAILY;COUNT=1"
MAX_LENGTH = 200

# RFC 5545 rule parts; dateutil also reads BYEASTER, which no calendar app knows.
_PARTS = {
    "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
    "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
}  # fmt: skip
_SUB_DAILY_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
_FREQS = {"YEARLY", "MONTHLY", "WEEKLY", "DAILY"}
_RANGES = {
    "INTERVAL": (1, 999), "COUNT": (1, 9999), "BYMONTH": (1, 12), "BYMONTHDAY": (-31, 31),
    "BYYEARDAY": (-366, 366), "BYWEEKNO": (-53, 53), "BYSETPOS": (-366, 366),
}  # fmt: skip
# Where RFC 5545 (3.3.10) allows a part: it MUST NOT appear with other frequencies.
_ONLY_WITH = {
    "BYMONTHDAY": {"DAILY", "MONTHLY", "YEARLY"},
    "BYYEARDAY": {"YEARLY"},
    "BYWEEKNO": {"YEARLY"},
}
_WEEK = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"\d{8}(?:T\d{6}Z?)?")


@dataclass(frozen=True)
class Rule:
    """A recurrence as read: its normalised RRULE, what it means, and a one-off's own date."""

    rrule: str
    description: str
    on: date | None = None


def read_rule(text: str, *, option: str = "rule") -> Rule:
    """Read a recurrence in plain words or as an RRULE; raise ``OptionError`` if unreadable."""
    typed = " ".join(text.split())
    if not typed:
        raise OptionError(option, f"Say how often the clinic meets, e.g. {EXAMPLES}.")
    if len(typed) > MAX_LENGTH:
        raise OptionError(option, f"Keep the recurrence under {MAX_LENGTH} characters.")
    if "freq=" in typed.lower():
        rule = read_rrule(typed, option=option)
        return Rule(rule, describe(rule))
    once = _read_once(typed, option)
    if once is not None:
        return once
    rule = normalise(read_words(typed, option), option=option)
    return Rule(rule, describe(rule))


def read_rrule(text: str, *, option: str = "rule") -> str:
    """Check a raw RRULE (``RRULE:`` prefix optional) and return it normalised."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[len("RRULE:") :]
    if "\n" in value or ":" in value:
        raise _rrule_error(option, "paste only the rule itself, without DTSTART or other lines")
    return normalise(value, option=option)


def normalise(value: str, *, option: str = "rule") -> str:
    """Validate an RRULE value against RFC 5545 and clinics' limits; return its canonical form."""
    parts = split_rrule(value.replace(" ", "").upper(), option=option)
    _check_parts(parts, option)
    until = parts.pop("UNTIL", None)
    body = ";".join(f"{key}={val}" for key, val in parts.items())
    try:
        parsed = rrulestr(body, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise _rrule_error(option, str(exc)) from None
    if not isinstance(parsed, rrule):
        raise _rrule_error(option, "give a single rule")
    # dateutil checks the rule and writes its parts in a fixed order; each list is then
    # sorted as a month reads (1, 2, ..., -2, -1) since a rule's lists are sets.
    line = str(parsed).splitlines()[-1].removeprefix("RRULE:")
    canonical = split_rrule(line, option=option)
    for name in ("BYSETPOS", "BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY"):
        if name in canonical:
            values = {v.removeprefix("+") for v in _values(parts, name)}
            canonical[name] = ",".join(sorted(values, key=_in_order))
    if until:
        canonical["UNTIL"] = until
    return ";".join(f"{key}={val}" for key, val in canonical.items())


def _in_order(value: str) -> tuple[int, int, int]:
    found = _BYDAY.fullmatch(value)
    number = int(found.group(1) or 0) if found else int(value)
    weekday = _WEEK.index(found.group(2)) if found else 0
    return (0 if number > 0 else 1 if number < 0 else 2, number, weekday)


def split_rrule(value: str, *, option: str = "rule") -> dict[str, str]:
    """The parts of an RRULE value, in order (``{"FREQ": "MONTHLY", "BYDAY": "2TH"}``)."""
    parts: dict[str, str] = {}
    for piece in value.strip().strip(";").split(";"):
        name, sep, part = piece.partition("=")
        name = name.strip().upper()
        if not sep or not name or not part:
            raise _rrule_error(option, f"'{piece[:40]}' should look like NAME=VALUE")
        if name in parts:
            raise _rrule_error(option, f"{name} is given twice")
        parts[name] = part.strip().upper()
    return parts


def _values(parts: dict[str, str], name: str) -> list[str]:
    return parts[name].split(",") if name in parts else []


def _check_parts(parts: dict[str, str], option: str) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise _rrule_error(option, "it needs a FREQ, e.g. FREQ=MONTHLY")
    if freq in {"HOURLY", "MINUTELY", "SECONDLY"} or _SUB_DAILY_PARTS & parts.keys():
        raise _rrule_error(
            option,
            "a clinic meets at most once a day, at the time you give in time: "
            "use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY without BYHOUR, BYMINUTE or BYSECOND",
        )
    if freq not in _FREQS:
        raise _rrule_error(option, f"FREQ={freq[:20]} isn't a frequency; use MONTHLY or WEEKLY")
    unknown = sorted(parts.keys() - _PARTS)
    if unknown:
        raise _rrule_error(option, f"{unknown[0][:20]} isn't an RFC 5545 rule part")
    if "BYSETPOS" in parts and not {n for n in parts if n.startswith("BY")} - {"BYSETPOS"}:
        raise _rrule_error(option, "BYSETPOS picks among the days of another BY part, e.g. BYDAY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _rrule_error(option, "give COUNT or UNTIL, not both")
    for name, allowed in _ONLY_WITH.items():
        if name in parts and freq not in allowed:
            raise _rrule_error(option, f"{name} can't be used with FREQ={freq}")
    for name, (low, high) in _RANGES.items():
        for raw in _values(parts, name):
            if not re.fullmatch(r"[+-]?\d{1,4}", raw) or not (low <= int(raw) <= high and int(raw)):
                raise _rrule_error(option, f"{name}={raw[:20]} is out of range ({low} to {high})")
    for day in _values(parts, "BYDAY"):
        found = _BYDAY.fullmatch(day)
        if not found:
            raise _rrule_error(option, f"BYDAY={day[:20]} isn't a weekday like MO or 2TH")
        if found.group(1) is not None:
            _check_weekday_number(int(found.group(1)), freq, parts, option)
    if "UNTIL" in parts and not _UNTIL.fullmatch(parts["UNTIL"]):
        raise _rrule_error(option, "UNTIL should look like 20271231 or 20271231T235959Z")


def _check_weekday_number(number: int, freq: str, parts: dict[str, str], option: str) -> None:
    if freq not in {"MONTHLY", "YEARLY"} or (freq == "YEARLY" and "BYWEEKNO" in parts):
        raise _rrule_error(option, "a numbered weekday like 2TH needs FREQ=MONTHLY or YEARLY")
    in_month = freq == "MONTHLY" or "BYMONTH" in parts
    limit = 5 if in_month else 53
    if not number or abs(number) > limit:
        raise _rrule_error(option, f"a weekday's number must be 1 to {limit} or -1 to -{limit}")


def _rrule_error(option: str, reason: str) -> OptionError:
    return OptionError(
        option, f"That RRULE doesn't work: {reason}. Example: FREQ=MONTHLY;BYDAY=2TH."
    )


def _read_once(typed: str, option: str) -> Rule | None:
    lowered = typed.lower().rstrip(".")
    found = re.fullmatch(r"(?:once|one[ -]off)(?: on)?(?: (.+))?", lowered)
    if found is not None and found.group(1) is None:
        return Rule(ONCE, "once, on the start date")
    if found is not None:
        day = read_date(found.group(1))
        if day is None:
            raise OptionError(
                option, "I can't read that date. Write the whole date, e.g. once on 2027-03-05."
            )
    else:
        # A bare date (with its year) is a one-off too.
        day = read_date(lowered.removeprefix("on ")) if re.search(r"\d{4}", lowered) else None
        if day is None:
            return None
    return Rule(ONCE, f"once, on {day:%A} {day.day} {day:%B %Y}", on=day)
