"""Outbox payloads rendered once per shape and filled in per member (thousands a batch).

A week's prompts differ from member to member only in a few words (the goal, the sprint and
week numbers); rendering and serialising a whole message for each of 10,000 members is most
of a batch's time. A template renders the message once with holes in those places and
splices each member's words in, already JSON-escaped: JSON escapes text character by
character, so the escaped parts joined are the escaped whole, the very payload
``json.dumps(message.to_dict())`` gives (checked when each template is made).

A batch queues such a row as a reference to its template (table outbox_templates) and the
member's words (``stored``: the values joined by ``SEPARATOR``, the last one free text),
which the database writes itself; reading the row fills the template in again, so the
outbox's readers see the whole payload as before.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Callable
from functools import lru_cache
from json.encoder import encode_basestring_ascii

from bot.messages import Message

# A hole's mark: NUL never appears in a card's own words, and JSON writes it as \u0000.
_MARK = "\x00"
_MARK_JSON = "\\u0000"
# Between a stored row's values: every value but the last is a number (never holds one), so
# splitting at the first few finds them and leaves the last, free text, whole.
SEPARATOR = ":"


def payload(message: Message) -> str:
    """A message as the outbox stores it."""
    return json.dumps(message.to_dict())


def _filled(pattern_format: Callable[..., str], values: list[str]) -> str:
    return pattern_format(*[encode_basestring_ascii(v)[1:-1] for v in values])


class Template:
    """A message's payload with holes for the words that differ from member to member."""

    def __init__(self, build: Callable[..., Message], holes: int) -> None:
        parts = payload(build(*(f"{_MARK}{n}{_MARK}" for n in range(holes)))).split(_MARK_JSON)
        # Around each hole: the text before it, then the hole's number, and so on.
        holes_seen = [int(n) for n in parts[1::2]]
        if sorted(set(holes_seen)) != list(range(holes)):
            raise ValueError("every hole must appear inside the message's text")
        # As a str.format pattern (the card's own braces doubled): filled in C.
        pattern = [parts[0].replace("{", "{{").replace("}", "}}")]
        for hole, after in zip(holes_seen, parts[2::2], strict=True):
            pattern.append(f"{{{hole}}}" + after.replace("{", "{{").replace("}", "}}"))
        self.pattern = "".join(pattern)
        # What names the template in outbox_templates: the same pattern is stored once.
        self.digest = hashlib.sha256(self.pattern.encode()).hexdigest()
        self._format = self.pattern.format
        # A card that does anything to a value but show it (trims it, drops an empty one)
        # can't be filled in: refuse it rather than queue something the card wouldn't say.
        sample = tuple(f'\u201c{n}\u201d \\ "x" \U0001f3a7' for n in range(holes))
        if self.fill(*sample) != payload(build(*sample)):
            raise ValueError("this message can't be filled in: it changes its values")

    def fill(self, *values: str) -> str:
        """The payload with these values in its holes (the same as rendering it with them)."""
        return _filled(self._format, list(values))


@lru_cache(maxsize=256)
def _holes(pattern: str) -> int:
    return len({name for _, name, _, _ in string.Formatter().parse(pattern) if name})


def render(pattern: str, stored: str) -> str:
    """A stored row's payload: its template ``pattern`` filled with its ``stored`` values."""
    return _filled(pattern.format, stored.split(SEPARATOR, _holes(pattern) - 1))
