"""Time zones as people type them: IANA names, cities, and abbreviations or offsets we ask about.

An abbreviation ("IST") or an offset ("UTC+5") names no place, and places sharing one today
differ at the next daylight-saving change; so both get a question listing what they may mean,
never a silent guess. A fixed ``Etc/GMT…`` zone is saved only when typed as such.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources

from bot.errors import OptionError

# Common abbreviations and the zones each may mean, most likely first. Curated: the tz
# database has no such table, and the same letters mean different places (IST, CST, BST).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "et": ("America/New_York", "America/Toronto"),
    "est": ("America/New_York", "America/Toronto", "America/Panama", "America/Cancun"),
    "edt": ("America/New_York", "America/Toronto"),
    "ct": ("America/Chicago", "America/Winnipeg"),
    "cst": ("America/Chicago", "America/Mexico_City", "Asia/Shanghai", "America/Havana"),
    "cdt": ("America/Chicago", "America/Winnipeg", "America/Havana"),
    "mt": ("America/Denver", "America/Edmonton"),
    "mst": ("America/Denver", "America/Phoenix", "America/Edmonton"),
    "mdt": ("America/Denver", "America/Edmonton"),
    "pt": ("America/Los_Angeles", "America/Vancouver"),
    "pst": ("America/Los_Angeles", "America/Vancouver", "America/Tijuana", "Asia/Manila"),
    "pdt": ("America/Los_Angeles", "America/Vancouver", "America/Tijuana"),
    "akst": ("America/Anchorage",),
    "akdt": ("America/Anchorage",),
    "hst": ("Pacific/Honolulu",),
    "ast": ("America/Halifax", "America/Puerto_Rico", "Asia/Riyadh"),
    "adt": ("America/Halifax",),
    "nst": ("America/St_Johns",),
    "ndt": ("America/St_Johns",),
    "brt": ("America/Sao_Paulo",),
    "art": ("America/Argentina/Buenos_Aires",),
    "gmt": ("Europe/London", "Europe/Dublin", "Africa/Accra", "UTC"),
    "bst": ("Europe/London", "Asia/Dhaka"),
    "wet": ("Europe/Lisbon", "Atlantic/Canary"),
    "west": ("Europe/Lisbon", "Atlantic/Canary"),
    "cet": ("Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw"),
    "cest": ("Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw"),
    "eet": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Bucharest", "Africa/Cairo"),
    "eest": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Bucharest"),
    "msk": ("Europe/Moscow",),
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "idt": ("Asia/Jerusalem",),
    "pkt": ("Asia/Karachi",),
    "gst": ("Asia/Dubai",),
    "wat": ("Africa/Lagos",),
    "cat": ("Africa/Maputo", "Africa/Harare"),
    "eat": ("Africa/Nairobi",),
    "sast": ("Africa/Johannesburg",),
    "ict": ("Asia/Bangkok", "Asia/Ho_Chi_Minh"),
    "wib": ("Asia/Jakarta",),
    "sgt": ("Asia/Singapore",),
    "hkt": ("Asia/Hong_Kong",),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    "awst": ("Australia/Perth",),
    "acst": ("Australia/Adelaide", "Australia/Darwin"),
    "acdt": ("Australia/Adelaide",),
    "aest": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "aedt": ("Australia/Sydney", "Australia/Melbourne"),
    "nzst": ("Pacific/Auckland",),
    "nzdt": ("Pacific/Auckland",),
}

# Well-known places, offered first when someone types an offset.
WELL_KNOWN = (
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Tijuana",
    "America/Denver",
    "America/Phoenix",
    "America/Edmonton",
    "America/Chicago",
    "America/Mexico_City",
    "America/Winnipeg",
    "America/New_York",
    "America/Toronto",
    "America/Bogota",
    "America/Lima",
    "America/Halifax",
    "America/Santiago",
    "America/Caracas",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Atlantic/South_Georgia",
    "Atlantic/Azores",
    "Atlantic/Cape_Verde",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Africa/Accra",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Warsaw",
    "Africa/Lagos",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Asia/Jerusalem",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Africa/Nairobi",
    "Asia/Riyadh",
    "Asia/Tehran",
    "Asia/Dubai",
    "Asia/Baku",
    "Asia/Kabul",
    "Asia/Karachi",
    "Asia/Tashkent",
    "Asia/Yekaterinburg",
    "Asia/Kolkata",
    "Asia/Colombo",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Almaty",
    "Asia/Yangon",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Ho_Chi_Minh",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Manila",
    "Australia/Perth",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Darwin",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Melbourne",
    "Pacific/Noumea",
    "Pacific/Auckland",
    "Pacific/Fiji",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)

_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)
# "UTC+5", "gmt-08:00", "+5:30", "utc +5"; minutes optional.
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+\-\u2212])\s*(\d{1,2})(?:[:.h]?(\d{2}))?$")
_FIXED = re.compile(r"^Etc/GMT([+-])(\d{1,2})$")
OFFERED = 5


@cache
def all_timezones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


@cache
def countries() -> dict[str, str]:
    """Each canonical zone's country, from the tz database's zone.tab and iso3166.tab."""
    try:
        folder = resources.files("tzdata.zoneinfo")
        names = dict(
            line.split("\t")[:2]
            for line in folder.joinpath("iso3166.tab").read_text("utf-8").splitlines()
            if line and not line.startswith("#")
        )
        rows = [
            line.split("\t")
            for line in folder.joinpath("zone.tab").read_text("utf-8").splitlines()
            if line and not line.startswith("#")
        ]
    except (ModuleNotFoundError, OSError, ValueError):
        return {}  # no tzdata package: zones are offered without their country
    return {row[2]: names.get(row[0], row[0]) for row in rows if len(row) >= 3}


def _named(zone: str) -> str:
    country = countries().get(zone)
    return f"{zone} ({country})" if country else zone


def _offset(typed: str) -> timedelta | None:
    match = _OFFSET.match(typed.strip().lower())
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return delta if sign == "+" else -delta


def offset_text(delta: timedelta) -> str:
    """An offset as people write it: ``UTC+5``, ``UTC-3:30``, ``UTC``."""
    if not delta:
        return "UTC"
    sign = "-" if delta < timedelta() else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _fixed_zone(delta: timedelta) -> str | None:
    """The Etc zone for a whole-hour offset; its sign is inverted (Etc/GMT-5 is UTC+5)."""
    seconds = int(delta.total_seconds())
    if seconds % 3600 or not -12 <= seconds // 3600 <= 14:
        return None
    hours = seconds // 3600
    if hours == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"


def zones_at_offset(delta: timedelta, when: datetime) -> list[str]:
    """Places whose UTC offset is ``delta`` at ``when``: well-known ones first."""
    moment = when.astimezone(UTC)

    def matches(name: str) -> bool:
        return moment.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() == delta

    canonical = countries() or {z: "" for z in all_timezones() if z.startswith(_AREAS)}
    known = [z for z in WELL_KNOWN if matches(z)]
    rest = [
        z
        for z in sorted(canonical)
        if z not in known and not z.startswith("Antarctica/") and matches(z)
    ]
    return known + rest


def fixed_zone_note(zone: str) -> str | None:
    """A warning for a fixed-offset zone: it never moves for daylight saving."""
    match = _FIXED.match(zone)
    if match is None:
        return None
    # Etc/GMT signs are POSIX-style, the reverse of what people write.
    hours = int(match.group(2)) * (-1 if match.group(1) == "+" else 1)
    return (
        f"{zone} is a fixed {offset_text(timedelta(hours=hours))}: it ignores daylight saving, "
        "so check-ins stay at the same UTC time all year."
    )


def timezone_matches(typed: str, limit: int = 5, *, when: datetime | None = None) -> list[str]:
    """Zones matching a partly typed name, an abbreviation, or (given ``when``) an offset."""
    needle = typed.strip().lower().replace(" ", "_")
    if not needle:
        return list(all_timezones()[:limit])
    if needle in ABBREVIATIONS:
        return list(ABBREVIATIONS[needle][:limit])
    delta = _offset(typed)
    if delta is not None:
        fixed = _fixed_zone(delta)
        found = zones_at_offset(delta, when)[: limit - 1] if when is not None else []
        return (found + ([fixed] if fixed else []))[:limit]
    zones = all_timezones()
    starts = [z for z in zones if z.lower().startswith(needle)]
    city = [z for z in zones if z.lower().split("/")[-1].startswith(needle) and z not in starts]
    inside = [z for z in zones if needle in z.lower() and z not in starts and z not in city]
    found = (starts + city + inside)[:limit]
    if not found:
        # Misspellings: "lodnon" or "Europe/Lodnon".
        by_name = {z.split("/")[-1].lower(): z for z in zones} | {z.lower(): z for z in zones}
        close = difflib.get_close_matches(needle, list(by_name), n=limit, cutoff=0.7)
        found += [by_name[c] for c in close if by_name[c] not in found]
    return found[:limit]


def _listing(zones: list[str]) -> str:
    named = [_named(z) for z in zones]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"


def parse_timezone(option: str, raw: str, when: datetime | None = None) -> str:
    """Validate an IANA zone name; a city alone is taken, an abbreviation or offset is asked.

    ``when`` is the moment whose offsets an offset is matched against (without it, only the
    fixed zone is offered).
    """
    typed = raw.strip()
    exact = {z.lower(): z for z in all_timezones()}
    if typed.lower() in exact:
        return exact[typed.lower()]
    key = typed.lower().replace(" ", "_")
    if key in ABBREVIATIONS:
        zones = list(ABBREVIATIONS[key])
        meaning = (
            f"several places share: {_listing(zones)}"
            if len(zones) > 1
            else f"not a place: it means {_listing(zones)}"
        )
        raise OptionError(
            option,
            f"'{typed}' is an abbreviation {meaning}. Type the zone you mean, e.g. {zones[0]}.",
        )
    delta = _offset(typed)
    if delta is not None:
        places = zones_at_offset(delta, when)[:OFFERED] if when is not None else []
        fixed = _fixed_zone(delta)
        at = offset_text(delta)
        found = f" Places at {at} today: {_listing(places)}." if places else ""
        choice = (
            f"Type the place you mean (e.g. {places[0]}) so daylight saving is followed"
            if places
            else "Type the place you mean as Area/City"
        )
        fixed_text = (
            f"; or {fixed} for a fixed {at} that ignores daylight saving." if fixed else "."
        )
        raise OptionError(
            option, f"'{typed}' is an offset, not a place.{found} {choice}{fixed_text}"
        )
    cities = [z for z in countries() if z.lower().split("/")[-1] == key] or [
        z for z in all_timezones() if z.lower().split("/")[-1] == key
    ]
    if len(cities) == 1 and "/" not in typed:
        # "kolkata" or "adelaide" names one zone; take it.
        return cities[0]
    matches = timezone_matches(typed, 3)
    hint = f" Did you mean {', '.join(matches)}?" if matches else ""
    raise OptionError(
        option, f"'{typed}' is not a time zone I know.{hint} Use an IANA name like Europe/London."
    )
