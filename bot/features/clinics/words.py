"""Plain-word recurrences ("second-to-last monday", "third of tue/wed/thu") as RRULE text.

The RRULE text built here is checked and normalised by ``rules.normalise``, like one typed raw.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil import parser as dateparser

from bot.errors import OptionError

# Shown whenever a recurrence can't be read.
EXAMPLES = (
    "first friday, second-to-last monday, the 15th, every month on the first and last sunday, "
    "third of tue/wed/thu, once on 2027-03-05, or an RRULE like FREQ=MONTHLY;BYDAY=2TH"
)
_WEEKDAYS = {
    "monday": "MO", "mon": "MO", "tuesday": "TU", "tue": "TU", "tues": "TU",
    "wednesday": "WE", "wed": "WE", "thursday": "TH", "thu": "TH", "thur": "TH",
    "thurs": "TH", "friday": "FR", "fri": "FR", "saturday": "SA", "sat": "SA",
    "sunday": "SU", "sun": "SU",
}  # fmt: skip
_WEEK = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_FROM_END = {"last": -1, "penultimate": -2, "antepenultimate": -3}
_ORDINAL = r"first|second|third|fourth|fifth|\d{1,2}(?:st|nd|rd|th)"
_DAY_NAME = r"mon|tue|wed|thu|fri|sat|sun"
_DAY_SPAN = re.compile(
    rf"\b({_DAY_NAME})[a-z]*\s*(?:-|\bto\b|\bthrough\b|\bthru\b)\s*({_DAY_NAME})[a-z]*"
)
_FILLER = {"the", "on", "and", "or", "one", "at", "in", "each", "every", "a", "s"}


def read_date(raw: str) -> date | None:
    """A whole written date (``2027-03-05``, ``5 March 2027``), or None."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    # A written date must be complete: two different defaults must give the same day.
    try:
        first = dateparser.parse(raw, default=datetime(2000, 1, 1), dayfirst=True)
        second = dateparser.parse(raw, default=datetime(2001, 2, 2), dayfirst=True)
    except (ValueError, OverflowError):
        return None
    return first.date() if first == second else None


def _unreadable(option: str, typed: str, why: str = "") -> OptionError:
    shown = typed if len(typed) <= 60 else typed[:57] + "..."
    return OptionError(option, f"I can't read '{shown}' as a recurrence{why}. Try: {EXAMPLES}.")


def _take(text: str, pattern: str) -> tuple[str, re.Match[str] | None]:
    found = re.search(pattern, text)
    if found is None:
        return text, None
    return f"{text[: found.start()]} {text[found.end() :]}", found


def read_words(typed: str, option: str) -> str:
    """The RRULE text for a recurrence in plain words; raise ``OptionError`` if unreadable."""
    text = typed.lower().rstrip(".")
    text = re.sub(r"\bnext[\s-]+to[\s-]+(?:the[\s-]+)?last\b", "second-to-last", text)
    text = re.sub(rf"\b({_ORDINAL})[\s-]+(?:to[\s-]+(?:the[\s-]+)?)?last\b", r"\1-to-last", text)
    text = re.sub(r"\b(?:work|working|business)[\s-]?days?\b", "weekday", text)
    text = re.sub(r"\bweekend[\s-]days?\b", "weekendday", text)
    text = _DAY_SPAN.sub(lambda m: " ".join(_span(m.group(1), m.group(2))), text)
    parts: dict[str, str] = {}
    text, count = _take(text, r"\b(?:for )?(\d{1,4}) (?:sessions?|times|occurrences?|clinics?)\b")
    if count:
        parts["COUNT"] = count.group(1)
    text, until = _take(text, r"\buntil (\d{4}-\d{2}-\d{2})\b")
    if until:
        day = read_date(until.group(1))
        if day is None:
            raise _unreadable(option, typed, ": the end date isn't a date")
        parts["UNTIL"] = f"{day:%Y%m%d}"
    unit, interval, text = _read_period(text, option, typed)
    parts["INTERVAL"] = str(interval)
    words = re.findall(r"[a-z0-9]+(?:-to-last)?", text)
    return _read_days(words, unit, parts, option, typed)


def _span(first: str, last: str) -> list[str]:
    names = [_WEEKDAYS[first], _WEEKDAYS[last]]
    start, end = _WEEK.index(names[0]), _WEEK.index(names[1])
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    return (names * 2)[start : start + (end - start) % 7 + 1]


# Each pattern: (regex, unit, interval or None to read it from the match's first group).
_PERIODS: tuple[tuple[str, str, int | None], ...] = (
    (r"\b(?:of |in )?(?:every|each) other month\b", "MONTHLY", 2),
    (r"\b(?:of |in )?every (\d{1,3})(?:st|nd|rd|th)? months?\b", "MONTHLY", None),
    (r"\b(?:of |in )?(?:every|each|a|the|per) month\b|\bmonthly\b", "MONTHLY", 1),
    (r"\bevery other week\b|\bfortnightly\b", "WEEKLY", 2),
    (r"\bevery (\d{1,3}) weeks\b", "WEEKLY", None),
    (r"\b(?:weekly|(?:every|each|a|per) week)\b", "WEEKLY", 1),
    (r"\bevery other day\b", "DAILY", 2),
    (r"\bevery (\d{1,3}) days\b", "DAILY", None),
    (r"\b(?:daily|every day)\b", "DAILY", 1),
    (r"\bevery other\b", "", 2),
)


def _read_period(text: str, option: str, typed: str) -> tuple[str, int, str]:
    unit, interval, found_any = "", 1, False
    for pattern, kind, every in _PERIODS:
        text, found = _take(text, pattern)
        if found is None:
            continue
        if found_any:
            raise _unreadable(option, typed, ": say how often only once")
        found_any, unit = True, kind
        interval = every if every is not None else int(found.group(1))
    if interval < 1:
        raise _unreadable(option, typed, ": the interval must be at least 1")
    return unit, interval, text


def _ordinal(word: str) -> int | None:
    if word in _FROM_END:
        return _FROM_END[word]
    if word.endswith("-to-last"):
        number = _ordinal(word.removesuffix("-to-last"))
        return -number if number and number > 0 else None
    if word in _ORDINALS:
        return _ORDINALS[word]
    found = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", word)
    return int(found.group(1)) if found else None


def _weekday(word: str) -> str | None:
    return _WEEKDAYS.get(word) or (_WEEKDAYS.get(word[:-1]) if word.endswith("s") else None)


def _read_days(words: list[str], unit: str, parts: dict[str, str], option: str, typed: str) -> str:
    numbered: list[str] = []  # 1SU, -1SU
    plain: list[str] = []  # FR (with a month day: "friday the 13th")
    month_days: list[int] = []
    positions: list[int] = []  # BYSETPOS among set_days
    set_days: list[str] = []
    pending: list[int] = []
    last_numbers: list[int] = []
    after_of = False
    for word in words:
        number = _ordinal(word)
        day = _weekday(word)
        if word in _FILLER:
            continue
        if number is not None:
            pending.append(number)
        elif word == "of" and pending:
            positions, pending, after_of = pending, [], True
        elif word in {"weekday", "weekdays", "weekendday", "weekenddays"}:
            days = list(_WEEK[:5] if word.startswith("weekday") else _WEEK[5:])
            if pending or after_of:
                positions, set_days = positions or pending, set_days + days
                pending = []
            else:
                plain += days
        elif day is not None:
            if after_of:
                set_days.append(day)
            elif pending or last_numbers:
                last_numbers = pending or last_numbers
                numbered += [f"{n}{day}" for n in last_numbers]
                pending = []
            else:
                plain.append(day)
        elif word in {"day", "days"} and pending:
            month_days += pending
            pending = []
        else:
            raise _unreadable(option, typed)
        if day is None:
            last_numbers = [] if number is None else last_numbers
    month_days += pending
    return _assemble(numbered, plain, month_days, positions, set_days, unit, parts, option, typed)


def _assemble(
    numbered: list[str],
    plain: list[str],
    month_days: list[int],
    positions: list[int],
    set_days: list[str],
    unit: str,
    parts: dict[str, str],
    option: str,
    typed: str,
) -> str:
    kinds = [bool(numbered), bool(plain or month_days), bool(positions)]
    if sum(kinds) != 1 and not (unit == "DAILY" and not any(kinds)):
        why = "" if sum(kinds) == 0 else ": it mixes kinds of days; make two clinics instead"
        raise _unreadable(option, typed, why)
    if positions and not set_days:
        raise _unreadable(option, typed)
    if any(not 1 <= abs(n) <= 31 for n in month_days):
        raise OptionError(option, "A month has at most 31 days: pick a day from 1 to 31.")
    if any(not 1 <= abs(int(d[:-2])) <= 5 for d in numbered):
        raise OptionError(option, "A month has at most five of each weekday: use first to fifth.")
    freq = unit or ("WEEKLY" if plain and not month_days else "MONTHLY")
    if freq == "WEEKLY" and (numbered or month_days or positions):
        raise _unreadable(option, typed, ": weekly rules take weekdays, like every other friday")
    rule = {"FREQ": freq, **parts}
    if numbered or plain:
        rule["BYDAY"] = ",".join(dict.fromkeys(numbered or plain))
    if month_days:
        rule["BYMONTHDAY"] = ",".join(str(n) for n in dict.fromkeys(month_days))
    if positions:
        rule["BYDAY"] = ",".join(d for d in _WEEK if d in set_days)
        rule["BYSETPOS"] = ",".join(str(n) for n in dict.fromkeys(positions))
    return ";".join(f"{k}={v}" for k, v in rule.items())
