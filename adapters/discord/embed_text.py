"""Text for Discord: lengths as Discord counts them, clipping, user text that can't ping,
timestamps, rich text cut into pieces that keep mention syntax whole, and the hidden key marker.

Split out of ``embeds`` (which lays these out as embeds and buttons) and re-exported there.
"""

from __future__ import annotations

import re

from bot.messages import ChannelLink, Part, Text, Timestamp, utc_text

ELLIPSIS = "\u2026"
_TIMESTAMP_STYLES = {"date": "D", "time": "t", "relative": "R"}
_MASS_PING = re.compile(r"@(everyone|here)", re.IGNORECASE)
SNOWFLAKE = re.compile(r"\d{15,21}")

# The outbox key, hidden at the end of a sent message's footer so crash recovery can find it:
# eight zero-width characters per byte between two word joiners.
_BIT = {"0": "\u200b", "1": "\u200c"}
_EDGE = "\u2060"
_MARKER = re.compile(f"{_EDGE}([\u200b\u200c]+){_EDGE}")


def size(value: str) -> int:
    """Length as Discord counts it; UTF-16 code units, so it never undercounts."""
    return len(value.encode("utf-16-le")) // 2


def prefix(value: str, units: int) -> str:
    """The longest start of ``value`` within ``units``."""
    total = 0
    for index, char in enumerate(value):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > units:
            return value[:index]
    return value


def clip(value: str, limit: int) -> str:
    """Cut to ``limit`` with a visible ellipsis when too long."""
    if size(value) <= limit:
        return value
    return prefix(value, limit - 1) + ELLIPSIS


def safe(value: str) -> str:
    """Literal user text that can't ping: @everyone, @here and <@…> mention syntax broken up."""
    return _MASS_PING.sub("@\u200b\\1", value).replace("<@", "<\u200b@")


def timestamp(stamp: Timestamp) -> str:
    """A moment every reader sees in their own zone: full date and time, plus how long from now."""
    epoch = int(stamp.at.timestamp())
    if stamp.style == "datetime":
        return f"<t:{epoch}:F> (<t:{epoch}:R>)"
    return f"<t:{epoch}:{_TIMESTAMP_STYLES[stamp.style]}>"


def merged(value: Text) -> list[Part]:
    """Adjacent strings joined, and a repeated relative time after a full one dropped."""
    # Adjacent strings are joined first, so "<" + "@1>" can't form a mention across parts.
    out: list[Part] = []
    for part in value:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(part)
    return _without_repeated_relative(out)


def _without_repeated_relative(parts: list[Part]) -> list[Part]:
    """Drop "(relative)" right after a full time of the same moment: Discord's full time shows
    it already, and the core writes it out for platforms that don't."""
    out: list[Part] = []
    for part in parts:
        last = out[-3:]
        if (
            isinstance(part, str)
            and part.startswith(")")
            and len(last) == 3
            and last[1] == " ("
            and isinstance(last[2], Timestamp)
            and last[2].style == "relative"
            and last[0] == Timestamp(last[2].at)
        ):
            del out[-2:]
            part = part[1:]
        if part:
            out.append(part)
    return out


def plain_text(value: str | Text) -> str:
    """Text for places Discord shows literally (titles, field names, footers, labels)."""
    if isinstance(value, str):
        return safe(value)
    out: list[str] = []
    for part in value:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Timestamp):
            out.append(utc_text(part))
        elif isinstance(part, ChannelLink):
            out.append(f"#{part.channel_id}")
        else:
            out.append(f"@{part.name}")
    return safe("".join(out))


# A rendered piece of rich text, and whether it may be split (mention syntax may not).
Piece = tuple[str, bool]


def pieces(value: Text) -> list[Piece]:
    """Rich text as pieces: user text made safe, mention and timestamp syntax kept whole."""
    found: list[Piece] = []
    for part in merged(value):
        if isinstance(part, str):
            found.append((safe(part), True))
        elif isinstance(part, Timestamp):
            found.append((timestamp(part), False))
        elif isinstance(part, ChannelLink):
            # A channel mention links to the channel and notifies nobody.
            shown = part.channel_id
            link = f"<#{shown}>" if SNOWFLAKE.fullmatch(shown) else safe(f"#{shown}")
            found.append((link, False))
        elif SNOWFLAKE.fullmatch(part.user_id):
            found.append((f"<@{part.user_id}>", False))
        else:
            found.append((safe(f"@{part.name}"), False))
    return found


def take(parts: list[Piece], limit: int) -> tuple[str, list[Piece]]:
    """As much of ``parts`` as fits in ``limit`` (cut at a space where possible), and the rest."""
    taken = ""
    rest = list(parts)
    while rest:
        text, splittable = rest[0]
        room = limit - size(taken)
        if size(text) <= room:
            taken += text
            rest.pop(0)
            continue
        if splittable and room > 0:
            head = prefix(text, room)
            space = max(head.rfind(" "), head.rfind("\n"))
            if space > len(head) // 2:
                head = head[: space + 1]
            taken += head
            rest[0] = (text[len(head) :], True)
        # Mention and timestamp syntax is never split: it waits for the next chunk.
        break
    return taken, rest


def key_marker(key: str) -> str:
    """An invisible rendering of an outbox key."""
    bits = "".join(f"{byte:08b}" for byte in key.encode())
    return _EDGE + "".join(_BIT[b] for b in bits) + _EDGE


def read_marker(text: str) -> str | None:
    """The outbox key hidden in a text by :func:`key_marker`, if any."""
    found = _MARKER.search(text)
    if found is None:
        return None
    bits = "".join("0" if c == "\u200b" else "1" for c in found.group(1))
    if len(bits) % 8:
        return None
    data = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    return data.decode(errors="replace")
