"""Skill names as people type them: one key per skill, and a community's aliases.

"Spatial Mixing", "spatial-mixing" and "spatial  mixing" are one skill; an admin may say
that "atmos" is another name for it (``/admin skill-alias``). Matching compares resolved keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s_\-]+")
# Aliases may point at aliases; a chain this long is a mistake (creating a loop is refused).
_MAX_HOPS = 8


def skill_key(name: str) -> str:
    """A skill's key: case-folded, hyphens and underscores as spaces, spaces collapsed."""
    return _SEPARATORS.sub(" ", name.casefold()).strip()


@dataclass(frozen=True)
class SkillAlias:
    """Another name for a skill in one community."""

    alias: str  # as the admin typed it
    skill: str  # the skill it stands for, as typed


class Aliases:
    """A community's aliases, resolving any name to the key it is matched by."""

    def __init__(self, aliases: Iterable[SkillAlias] = ()) -> None:
        self._to: dict[str, str] = {skill_key(a.alias): skill_key(a.skill) for a in aliases}

    @classmethod
    def of(cls, pairs: Mapping[str, str]) -> Aliases:
        """Aliases from alias -> skill names."""
        return cls(SkillAlias(a, s) for a, s in pairs.items())

    def resolve(self, name: str) -> str:
        """The key a skill name is matched by, through the community's aliases."""
        key = skill_key(name)
        seen = {key}
        for _ in range(_MAX_HOPS):
            target = self._to.get(key)
            if target is None or target in seen:
                return key
            seen.add(target)
            key = target
        return key

    def would_loop(self, alias: str, skill: str) -> bool:
        """Whether pointing ``alias`` at ``skill`` would make names stand for each other."""
        start = skill_key(alias)
        return start == self.resolve(skill) or start == skill_key(skill)


def skill_keys(names: Iterable[str], aliases: Aliases) -> tuple[str, ...]:
    """Resolved keys of several names, in order, without repeats."""
    return tuple(dict.fromkeys(aliases.resolve(n) for n in names if skill_key(n)))
