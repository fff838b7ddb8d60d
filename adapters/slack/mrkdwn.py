"""The core's rich text as Slack mrkdwn: literal user text, date tokens, mentions, safe cuts.

Every ``str`` part is escaped (&, <, >), so user text can never form ``<!channel>``,
``<!here>``, ``<!subteam^…>``, a user mention or a link; text objects are sent with
``verbatim: true`` so Slack doesn't turn a bare ``@here`` or ``#channel`` into one either.
Channel links (``<#C…>``) come only from the core's ChannelLink parts, never from user text.
"""

from __future__ import annotations

import re

from bot.messages import ChannelLink, Mention, Text, Timestamp, utc_text

ELLIPSIS = "…"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# Public (C) and private (G) channel ids; anything else is shown as text, never as markup.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
# A URL in already-escaped text: stops at whitespace, "|" and an escaped < or >.
_URL = re.compile(r"https?://(?:(?!&lt;|&gt;)[^\s|])+")
_URL_TAIL = ".,;:!?)]}'\""
# Slack date tokens: each reader sees the moment in their own time zone.
_DATE_FORMATS = {
    "datetime": "{date_short_pretty} at {time}",
    "date": "{date_short_pretty}",
    "time": "{time}",
    "relative": "{ago}",
}


def escape(value: str) -> str:
    """Make text literal: &, < and > can't start a mention, a link or a special command."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    trimmed = url.rstrip(_URL_TAIL)
    return f"<{trimmed}>{url[len(trimmed) :]}"


def literal(value: str) -> str:
    """User text as mrkdwn: escaped, with its web links made explicit (verbatim skips autolinks)."""
    return _URL.sub(_link, escape(value))


def date_token(stamp: Timestamp) -> str:
    """``<!date^…>``: shown in the reader's zone, with a UTC fallback for old clients."""
    epoch = int(stamp.at.timestamp())
    return f"<!date^{epoch}^{_DATE_FORMATS[stamp.style]}|{utc_text(stamp)}>"


def mention(who: Mention) -> str:
    """A member: a real ping only when the core asks for one, otherwise their name."""
    if who.ping and _USER_ID.match(who.user_id):
        return f"<@{who.user_id}>"
    return escape(who.name)


def channel_link(link: ChannelLink) -> str:
    """A channel as ``<#C123>``: a link each reader sees as #its-name; it notifies nobody."""
    if _CHANNEL_ID.match(link.channel_id):
        return f"<#{link.channel_id}>"
    return escape(f"#{link.channel_id}")


def render(value: Text) -> str:
    """Rich text as mrkdwn."""
    out: list[str] = []
    for part in value:
        if isinstance(part, str):
            out.append(literal(part))
        elif isinstance(part, Timestamp):
            out.append(date_token(part))
        elif isinstance(part, ChannelLink):
            out.append(channel_link(part))
        else:
            out.append(mention(part))
    return "".join(out)


def _safe_cut(value: str, at: int) -> int:
    """Move a cut point back so it never lands inside a ``<…>`` token or an ``&…;`` entity."""
    opened = value.rfind("<", 0, at)
    if opened > value.rfind(">", 0, at):
        at = opened
    amp = value.rfind("&", 0, at)
    if amp > value.rfind(";", 0, at) and at - amp < len("&amp;"):
        at = amp
    return at


def fit(value: str, limit: int, *, markup: bool = True) -> str:
    """Shorten to ``limit`` characters, visibly (ending in …).

    In mrkdwn (``markup``) the cut never lands inside a ``<…>`` token or an ``&…;`` entity;
    plain_text (headers, labels, buttons) is cut exactly at the limit.
    """
    if len(value) <= limit:
        return value
    cut = limit - len(ELLIPSIS)
    if markup:
        cut = _safe_cut(value, cut)
    return value[:cut].rstrip() + ELLIPSIS


def split(value: str, limit: int) -> list[str]:
    """Split into chunks of at most ``limit`` characters, at a line, comma or space when near."""
    chunks: list[str] = []
    rest = value
    while len(rest) > limit:
        cut = _safe_cut(rest, limit)
        for mark in ("\n", ", ", " "):
            found = rest.rfind(mark, 0, cut)
            if found > limit // 2:
                cut = found + len(mark)
                break
        if cut <= 0:
            # A single token longer than the limit (never produced here): cut it visibly.
            return [*chunks, fit(rest, limit)]
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" \n")
    if rest:
        chunks.append(rest)
    return chunks
