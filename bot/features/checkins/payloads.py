"""Outbox payloads rendered once per shape and filled in per member (thousands a batch).

A week's prompts differ from member to member only in a few words (the goal, the sprint and
week numbers); rendering and serialising a whole message for each of 10,000 members is most
of a batch's time. A template renders the message once with holes in those places and
splices each member's words in, already JSON-escaped: JSON escapes text character by
character, so the escaped parts joined are the escaped whole, the very payload
``json.dumps(message.to_dict())`` gives (checked when each template is made).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii

from bot.messages import Message

# A hole's mark: NUL never appears in a card's own words, and JSON writes it as \u0000.
_MARK = "\x00"
_MARK_JSON = "\\u0000"


def payload(message: Message) -> str:
    """A message as the outbox stores it."""
    return json.dumps(message.to_dict())


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
        self._format = "".join(pattern).format
        # A card that does anything to a value but show it (trims it, drops an empty one)
        # can't be filled in: refuse it rather than queue something the card wouldn't say.
        sample = tuple(f'\u201c{n}\u201d \\ "x" \U0001f3a7' for n in range(holes))
        if self.fill(*sample) != payload(build(*sample)):
            raise ValueError("this message can't be filled in: it changes its values")

    def fill(self, *values: str) -> str:
        """The payload with these values in its holes (the same as rendering it with them)."""
        return self._format(*[encode_basestring_ascii(v)[1:-1] for v in values])
