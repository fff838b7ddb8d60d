"""Small pieces of English the messages share: plurals and articles."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """A count with its noun in the right number: "1 week", "3 weeks", "2 check-ins"."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def article(number: int) -> str:
    """The article before a number as it is read aloud: an 8-week, an 11-week, a 12-week."""
    digits = str(abs(number))
    # The number is read from its leading group of up to three digits: "eleven thousand".
    lead = int(digits[: len(digits) % 3 or 3])
    return "an" if lead in (8, 11, 18) or 80 <= lead <= 89 or 800 <= lead <= 899 else "a"
