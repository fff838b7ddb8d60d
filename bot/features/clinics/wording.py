"""Saying what an RRULE means in a sentence: "the second Thursday of every month"."""

from __future__ import annotations

import re
from datetime import date

_NAMES = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
    "FR": "Friday", "SA": "Saturday", "SU": "Sunday",
}  # fmt: skip
_WORK_WEEK = ["MO", "TU", "WE", "TH", "FR"]
_WEEKEND = ["SA", "SU"]
_COUNTED = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
_DESCRIBED = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH"}


def describe(rrule: str) -> str:
    """One sentence for a normalised RRULE; rules beyond the common shapes are quoted as is."""
    parts = dict(p.partition("=")[::2] for p in rrule.split(";"))
    if parts.get("COUNT") == "1":
        return "once"
    if set(parts) - _DESCRIBED or parts.get("WKST", "MO") != "MO":
        return f"by the rule {rrule}"
    interval = int(parts.get("INTERVAL", "1"))
    days = [_weekday(d) for d in _values(parts, "BYDAY")]
    month_days = [int(n) for n in _values(parts, "BYMONTHDAY")]
    positions = [int(n) for n in _values(parts, "BYSETPOS")]
    months = [_MONTHS[int(n) - 1] for n in _values(parts, "BYMONTH")]
    freq = parts["FREQ"]
    sentence: str | None = None
    if freq == "MONTHLY":
        period = _month_period(interval, months)
        sentence = period and _monthly(days, month_days, positions, period)
    elif freq == "WEEKLY" and not (month_days or positions or months):
        sentence = _weekly(days, interval)
    elif freq == "DAILY" and not (month_days or positions or months or days):
        sentence = _every(interval, "day", "days")
    elif freq == "YEARLY" and not (positions or days or month_days or months):
        sentence = _every(interval, "year", "years") + ", on the start date"
    if not sentence:
        return f"by the rule {rrule}"
    return sentence + _ending(parts)


def _values(parts: dict[str, str], name: str) -> list[str]:
    return parts[name].split(",") if name in parts else []


def _weekday(code: str) -> tuple[int, str]:
    found = re.fullmatch(r"([+-]?\d{1,2})?([A-Z]{2})", code)
    if found is None:
        raise ValueError(f"not a BYDAY value: {code}")
    return int(found.group(1) or 0), found.group(2)


def join(items: list[str], word: str = "and") -> str:
    """Join words as a sentence does: "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def ordinal(number: int) -> str:
    """A number as a counted position: 2 -> "second", -1 -> "last", -3 -> "third-to-last"."""
    if number == -1:
        return "last"
    word = _COUNTED.get(abs(number)) or _numbered(abs(number))
    return word if number > 0 else f"{word}-to-last"


def _numbered(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _every(interval: int, one: str, many: str) -> str:
    if interval == 1:
        return f"every {one}"
    return f"every other {one}" if interval == 2 else f"every {interval} {many}"


def _month_period(interval: int, months: list[str]) -> str | None:
    if months:
        return join(months) if interval == 1 else None
    return _every(interval, "month", "months")


def _monthly(
    days: list[tuple[int, str]], month_days: list[int], positions: list[int], period: str
) -> str | None:
    numbers = {n for n, _ in days}
    if positions and days and numbers == {0} and not month_days:
        codes = [code for _, code in days]
        if codes in (_WORK_WEEK, _WEEKEND):
            kind = "weekday" if codes == _WORK_WEEK else "weekend day"
            return f"the {join([ordinal(p) for p in positions])} {kind} of {period}"
        plural = join([f"{_NAMES[c]}s" for c in codes])
        return f"the {join([ordinal(p) for p in positions])} of the {plural} in {period}"
    if positions:
        return None
    if days and 0 not in numbers and not month_days:
        groups: dict[str, list[int]] = {}
        for number, code in days:
            groups.setdefault(code, []).append(number)
        said = [f"{join([ordinal(n) for n in ns])} {_NAMES[c]}" for c, ns in groups.items()]
        return f"the {join(said, 'and the')} of {period}"
    if days and numbers == {0}:
        named = join([_NAMES[c] for _, c in days])
        if not month_days:
            return f"every {named} of {period}"
        dates = join([_numbered(n) if n > 0 else f"{ordinal(n)} day" for n in month_days], "or")
        where = "" if period == "every month" else f", in {period}"
        return f"every {named} that falls on the {dates}{where}"
    if month_days and not days:
        said = [_numbered(n) for n in month_days if n > 0]
        said += [f"{ordinal(n)} day" for n in month_days if n < 0]
        if said[-1].endswith("day") and len(said) > 1 and not said[0].endswith("day"):
            said[-1] = said[-1].removesuffix(" day")
            return f"the {join(said)} day of {period}"
        return f"the {join(said)} of {period}"
    return None


def _weekly(days: list[tuple[int, str]], interval: int) -> str | None:
    if not days:
        return _every(interval, "week", "weeks") + ", on the start date's weekday"
    codes = [c for _, c in days]
    named = "weekday" if codes == _WORK_WEEK else join([_NAMES[c] for c in codes])
    if interval == 1:
        return f"every {named}"
    return f"every other {named}" if interval == 2 else f"every {interval} weeks on {named}"


def _ending(parts: dict[str, str]) -> str:
    if "COUNT" in parts:
        return f", {parts['COUNT']} times"
    if "UNTIL" in parts:
        raw = parts["UNTIL"]
        day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
        return f", until {day.day} {day:%B %Y}"
    return ""
