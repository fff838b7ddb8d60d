"""Reading what a poster types for a lead, field by field, with the rules each must keep.

Every failure is an ``OptionError`` naming the field and what to fix, raised before anything
is written; posting and editing read through the same functions, so an edit keeps the rules.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from bot.commands.registry import Direction
from bot.commands.values import parse_date
from bot.errors import OptionError
from bot.features.gigs.models import Pay, Per

MAX_TITLE = 100
MAX_DETAILS = 1500
MAX_PLACE = 100
MAX_SKILLS = 5
MAX_SKILL = 40
MAX_LINK = 300
MAX_REASON = 300
DEFAULT_OPEN_DAYS = 14
MAX_OPEN_DAYS = 60
# A range may span at most this many times its minimum ("400-1200" at most).
MAX_SPREAD = 3
MAX_AMOUNT = Decimal(1_000_000)

# ISO 4217 codes of the currencies in use.
_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    ZWL
"""
CURRENCIES = frozenset(_CODES.split())
SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD"}
# Link shorteners hide where a link goes; members should see it.
_SHORT_HOSTS = """
    bit.ly bitly.com tinyurl.com t.co goo.gl ow.ly is.gd buff.ly rebrand.ly cutt.ly
    shorturl.at tiny.cc t.ly rb.gy v.gd s.id lnkd.in bl.ink short.io trib.al soo.gd
    clck.ru qr.ae adf.ly shorte.st tr.im x.co
"""
SHORTENERS = frozenset(_SHORT_HOSTS.split())
UNPAID_WORDS = ("unpaid", "volunteer", "no pay")
REMOTE_WORDS = ("remote", "anywhere", "online")
ONGOING_WORDS = ("ongoing", "open-ended", "any time", "anytime")

_PAY_EXAMPLES = 'write it like "400-600 EUR per day", "£250 per project", "$40/hour" or "unpaid"'
_AMOUNT = r"\d[\d,]*(?:\.\d{1,2})?"
_PAY = re.compile(
    rf"""
    (?P<sym1>[£€$])?\s*(?P<cur1>[a-z]{{3}}(?=[\s\d]))?\s*(?P<low>{_AMOUNT})
    (?:\s*(?:-|–|—|to)\s*(?P<sym2>[£€$])?\s*(?P<high>{_AMOUNT}))?
    \s*(?P<cur2>[a-z]{{3}}\b)?
    \s*(?:(?:per|/|an|a|each)\s*(?P<per>hour|hr|h|day|d|project|job|gig)\b|(?P<adv>hourly|daily))?
    """,
    re.VERBOSE,
)
_PERS = {"hour": Per.HOUR, "hr": Per.HOUR, "h": Per.HOUR, "hourly": Per.HOUR}
_PERS |= {"day": Per.DAY, "d": Per.DAY, "daily": Per.DAY}
_PERS |= {"project": Per.PROJECT, "job": Per.PROJECT, "gig": Per.PROJECT}
_DATES_APART = re.compile(r"\s+(?:to|until|till|–|—)\s+")


def skill_key(name: str) -> str:
    """A skill compared case- and spacing-insensitively: "Spatial-Mixing" is "spatial mixing"."""
    return " ".join(name.casefold().replace("-", " ").replace("_", " ").split())


def _short(raw: str, length: int = 40) -> str:
    shown = " ".join(raw.split())
    return shown if len(shown) <= length else shown[: length - 1] + "…"


def read_title(raw: str) -> str:
    """A lead's title: one line, at most 100 characters."""
    title = " ".join(raw.split())
    if not title:
        raise OptionError("title", 'Give the lead a title, e.g. title:"Spatial mix for a podcast".')
    if len(title) > MAX_TITLE:
        raise OptionError(
            "title", f"Keep the title to {MAX_TITLE} characters (it has {len(title)})."
        )
    return title


def read_details(raw: str) -> str:
    """What the work is: at most 1,500 characters."""
    details = raw.strip()
    if not details:
        raise OptionError("details", "Say what the work is in details:… (up to 1,500 characters).")
    if len(details) > MAX_DETAILS:
        raise OptionError(
            "details",
            f"Keep the details to {MAX_DETAILS:,} characters (they have {len(details):,}).",
        )
    return details


def read_skills(raw: str) -> tuple[str, ...]:
    """The skills wanted, comma-separated: 1 to 5, each at most 40 characters, no repeats."""
    seen: dict[str, str] = {}
    for piece in raw.split(","):
        skill = " ".join(piece.split())
        if not skill:
            continue
        if len(skill) > MAX_SKILL:
            raise OptionError(
                "skills",
                f"The skill '{_short(skill, 20)}' is too long: "
                f"keep each to {MAX_SKILL} characters.",
            )
        seen.setdefault(skill_key(skill), skill)
    if not seen:
        raise OptionError("skills", 'Name at least one skill, e.g. skills:"spatial mixing".')
    if len(seen) > MAX_SKILLS:
        raise OptionError(
            "skills", f"Name at most {MAX_SKILLS} skills (you gave {len(seen)}): keep the key ones."
        )
    return tuple(seen.values())


def _amount(raw: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise OptionError("pay", f"I can't read '{raw}' as an amount: {_PAY_EXAMPLES}.") from None
    if value > MAX_AMOUNT:
        raise OptionError("pay", f"{raw} is more than any lead here pays: check the amount.")
    return value


def _currency(found: re.Match[str]) -> str:
    named = {SYMBOLS[s] for s in (found["sym1"], found["sym2"]) if s}
    for code in (found["cur1"], found["cur2"]):
        if code:
            upper = code.upper()
            if upper not in CURRENCIES:
                raise OptionError(
                    "pay",
                    f"{upper} is not a currency I know: use its ISO code (EUR, GBP, USD, …) "
                    "or £, € or $.",
                )
            named.add(upper)
    if not named:
        raise OptionError("pay", f"Name the currency of the pay: {_PAY_EXAMPLES}.")
    if len(named) > 1:
        raise OptionError(
            "pay", f"Give the pay in one currency, not {' and '.join(sorted(named))}."
        )
    return named.pop()


def read_pay(raw: str) -> Pay:
    """Pay as typed: an amount or a range, a currency, per hour/day/project; or "unpaid"."""
    typed = " ".join(raw.strip().lower().split())
    if not typed:
        raise OptionError("pay", f"Say what the work pays: {_PAY_EXAMPLES}.")
    if typed in UNPAID_WORDS:
        return Pay.unpaid()
    found = _PAY.fullmatch(typed)
    if found is None:
        raise OptionError("pay", f"I can't read '{_short(raw)}' as pay: {_PAY_EXAMPLES}.")
    currency = _currency(found)
    low = _amount(found["low"])
    high = _amount(found["high"]) if found["high"] else None
    per_word = found["per"] or found["adv"]
    if per_word is None:
        raise OptionError(
            "pay", f"Say what the pay is for: per hour, per day or per project ({_PAY_EXAMPLES})."
        )
    if low == 0 and (high is None or high == 0):
        raise OptionError("pay", "An amount of 0 is no pay: write pay:unpaid instead.")
    if high is not None:
        if low > high:
            raise OptionError(
                "pay",
                f"The minimum ({found['low']}) is above the maximum ({found['high']}): swap them.",
            )
        if low == 0 or high > low * MAX_SPREAD:
            most = f"{low * MAX_SPREAD:,.0f}" if low else "a minimum above 0"
            raise OptionError(
                "pay",
                f"A pay range may be at most {MAX_SPREAD}× its minimum ({found['low']} to {most}): "
                "narrow it, or give one amount.",
            )
        if high == low:
            high = None
    return Pay(low, high, currency, _PERS[per_word])


def read_place(raw: str) -> str:
    """Where the work is: "remote" (stored as "") or a place, at most 100 characters."""
    place = " ".join(raw.split())
    if not place or place.lower() in REMOTE_WORDS:
        return ""
    if len(place) > MAX_PLACE:
        raise OptionError(
            "where", f"Keep where to {MAX_PLACE} characters: a city or venue, or remote."
        )
    return place


def read_when(raw: str, today: date) -> tuple[date | None, date | None]:
    """When the work is: "ongoing", a date, or "date to date"; not in the past."""
    typed = " ".join(raw.strip().split())
    if not typed or typed.lower() in ONGOING_WORDS:
        return None, None
    pieces = _DATES_APART.split(typed, maxsplit=1)
    days: list[date] = []
    for piece in pieces:
        try:
            day = parse_date("when", piece, today, Direction.FUTURE)
        except OptionError:
            raise OptionError(
                "when",
                f"I can't read '{_short(piece)}' as a date: write when:ongoing, a date "
                "(2027-01-15) or two (2027-01-15 to 2027-01-20).",
            ) from None
        if day < today:
            raise OptionError("when", f"{day:%d %b %Y} is in the past: give a date from today on.")
        days.append(day)
    start, end = days[0], days[-1]
    if end < start:
        raise OptionError(
            "when", f"The work ends ({end:%d %b %Y}) before it starts: swap the dates."
        )
    return start, end


def read_open_days(days: int | None) -> int:
    """How many days the lead stays open: 14 unless given, at most 60."""
    if days is None:
        return DEFAULT_OPEN_DAYS
    if days < 1 or days > MAX_OPEN_DAYS:
        fix = "open-days:1 or more" if days < 1 else f"open-days:{MAX_OPEN_DAYS} or fewer"
        raise OptionError("open-days", f"A lead stays open 1 to {MAX_OPEN_DAYS} days: give {fix}.")
    return days


def read_link(raw: str) -> str | None:
    """An optional link: https only, never a link shortener, at most 300 characters."""
    value = raw.strip()
    if value.startswith("<") and value.endswith(">"):
        # Slack sends links as <https://…> or <https://…|label>.
        value = value[1:-1].split("|", 1)[0]
    if not value or value.lower() in ("none", "-"):
        return None
    if len(value) > MAX_LINK:
        raise OptionError("link", f"Keep the link to {MAX_LINK} characters.")
    plain_problem = (
        "The link must be a web address starting with https://, as your browser shows it."
    )
    if re.search(r'[\s<>"{}|\\^`]', value) or any(ord(c) < 32 for c in value):
        raise OptionError("link", plain_problem)
    try:
        parsed = urlparse(value)
        host = (parsed.hostname or "").lower()
        parsed.port  # noqa: B018 -- raises for a port that isn't a number
    except ValueError:
        raise OptionError("link", plain_problem) from None
    if parsed.scheme.lower() == "http":
        raise OptionError("link", "Links must be secure: use the https:// address, not http://.")
    if parsed.scheme.lower() != "https" or not host or "." not in host:
        raise OptionError("link", plain_problem)
    # Compared as DNS reads it: no trailing dots, case-folded, Unicode names as IDNA.
    try:
        host = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise OptionError("link", plain_problem) from None
    if "." not in host.strip("."):
        raise OptionError("link", plain_problem)
    bare = host.removeprefix("www.")
    if bare in SHORTENERS:
        raise OptionError(
            "link",
            f"Give the full link, not a shortened one ({bare}): members should see where it goes.",
        )
    return value


def read_reason(raw: str, option: str = "reason") -> str:
    """A reason given in one line (a report, a rejection): at most 300 characters."""
    reason = " ".join(raw.split())
    if not reason:
        raise OptionError(option, "Give a reason in one line.")
    if len(reason) > MAX_REASON:
        raise OptionError(option, f"Keep the reason to {MAX_REASON} characters.")
    return reason
