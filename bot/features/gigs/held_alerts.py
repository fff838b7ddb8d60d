"""Alerts held for the morning, decided when they go out: as the lead and the member are then.

A held alert is dropped when its lead is no longer open (closed, deleted, hidden, expired),
its member turned instant alerts off or to the digest, said they're interested already, or
no longer holds any of the lead's (edited) skills. What is left goes with the lead's current
content; several leads due for one member go as one DM.
"""

from __future__ import annotations

import json
from datetime import datetime

from bot.features.gigs.match_cards import alert_card, morning_card
from bot.features.gigs.match_store import HeldAlert, HeldBatch
from bot.features.gigs.matching import lead_keys, matching_names, weights
from bot.features.gigs.models import NAME, AlertMode, Gig, GigStatus
from bot.features.gigs.skills import Aliases
from bot.models import Destination, NewOutbox


def _still_due(alert: HeldAlert, gig: Gig | None, now: datetime) -> bool:
    return (
        gig is not None
        and gig.status is GigStatus.OPEN
        and gig.expires_at > now
        and alert.mode is AlertMode.INSTANT
        and not alert.interested
        and alert.member_id != gig.poster_id
    )


def plan_held(batch: HeldBatch, now: datetime) -> list[NewOutbox]:
    """The DMs of a batch of due held alerts, members in the order of their first alert."""
    aliases = {cid: Aliases(found) for cid, found in batch.aliases.items()}
    leads: dict[int, list[tuple[Gig, tuple[str, ...]]]] = {}
    communities: dict[int, int] = {}
    # Each member's skills and each lead's keys are worked out once per batch.
    held_by: dict[int, dict[str, int]] = {}
    keys_of: dict[int, tuple[str, ...]] = {}
    for alert in batch.alerts:
        gig = batch.gigs.get(alert.gig_id)
        if gig is None or not _still_due(alert, gig, now):
            continue
        names = aliases.get(alert.community_id) or Aliases()
        held = held_by.get(alert.member_id)
        if held is None:
            held = held_by[alert.member_id] = weights(batch.skills.get(alert.member_id, []), names)
        keys = keys_of.get(gig.id)
        if keys is None:
            keys = keys_of[gig.id] = lead_keys(gig, names)
        fits = matching_names(gig, [k for k in keys if k in held], names)
        if fits:
            leads.setdefault(alert.member_id, []).append((gig, fits))
            communities[alert.member_id] = alert.community_id
    messages = []
    for member_id, found in leads.items():
        if len(found) == 1:
            only, skills = found[0]
            card, key = alert_card(only, skills), f"gig-alert:{only.id}:{member_id}"
        else:
            newest = sorted(found, key=lambda f: f[0].id, reverse=True)
            card = morning_card(newest)
            key = f"gig-alerts:{member_id}:" + ",".join(str(g.id) for g, _ in newest)
        messages.append(
            NewOutbox(
                community_id=communities[member_id],
                destination=Destination.dm(member_id),
                payload=json.dumps(card.to_dict()),
                dedupe_key=key,
                feature=NAME,
            )
        )
    return messages
