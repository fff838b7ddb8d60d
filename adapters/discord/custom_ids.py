"""What a component's custom_id carries, so buttons and forms keep working after a restart.

Discord hands a component's custom_id (at most 100 characters) back with every click, so the
state lives there, never in memory. Each id names the community (the guild: a click in a DM has
no guild of its own) and the core's state:

- ``cf:<guild>:<action>``: a core button, e.g. ``cf:81:checkin.open:12:3``
- ``cfo:<guild>:<step>:<form_id>``: a button opening step ``step`` of a form (continue, fix)
- ``cfm:<guild>:<step>:<form_id>``: a form step shown as a modal, coming back submitted
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Discord: "custom_id ... max 100 characters" (Component Reference, Custom ID).
MAX_CUSTOM_ID = 100
_BUTTON = re.compile(r"cf:(\d*):(.+)", re.DOTALL)
_STEP = re.compile(r"cf([om]):(\d*):(\d+):(.+)", re.DOTALL)


@dataclass(frozen=True)
class ButtonId:
    """A core button: the community it was sent in and the core's action id."""

    community: str
    action: str


@dataclass(frozen=True)
class StepId:
    """A form step: ``opens`` for a button opening it, else the modal being submitted."""

    community: str
    step: int
    form_id: str
    opens: bool


def _fits(custom_id: str) -> str | None:
    return custom_id if len(custom_id) <= MAX_CUSTOM_ID else None


def button_id(community: str, action: str) -> str | None:
    """The custom_id of a core button; None when the action is too long to carry."""
    return _fits(f"cf:{community}:{action}")


def open_step_id(community: str, step: int, form_id: str) -> str | None:
    """The custom_id of a button that opens a step of a form."""
    return _fits(f"cfo:{community}:{step}:{form_id}")


def modal_id(community: str, step: int, form_id: str) -> str | None:
    """The custom_id of a modal showing a step of a form."""
    return _fits(f"cfm:{community}:{step}:{form_id}")


def parse(custom_id: str) -> ButtonId | StepId | None:
    """Read a custom_id this adapter made; None for anything else."""
    step = _STEP.fullmatch(custom_id)
    if step:
        kind, community, number, form_id = step.groups()
        return StepId(community, int(number), form_id, opens=kind == "o")
    button = _BUTTON.fullmatch(custom_id)
    if button:
        return ButtonId(button.group(1), button.group(2))
    return None
