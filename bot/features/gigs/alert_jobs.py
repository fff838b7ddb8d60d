"""Gig alerts' timed work, each ``run`` beside its ``next_due`` so both read the same state.

- Alerts: each lead once published (status open, ``matched_at`` unset) goes to the members
  it fits, best first: one transaction records every member's alert and queues the instant
  DMs in rank order, and sets ``matched_at`` guarded on the lead as read, so it happens once
  across restarts. Where it is night for a member (21:00-08:00) the alert is only recorded,
  due at 08:00: then the same job re-checks it and queues it as the lead is (held_alerts).
  Members on the weekly digest get the lead held for it instead.
- Digests: on the community's check-in weekday (at its check-in time in the member's zone,
  08:00 if that falls at night), one DM per member listing the week's held leads still
  open; none when none is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.features.base import Job
from bot.features.gigs.held_alerts import plan_held
from bot.features.gigs.match_cards import alert_card, digest_card
from bot.features.gigs.match_store import DigestDecision, NewAlert, PendingDigestAlert
from bot.features.gigs.matching import (
    DAY_STARTS,
    NIGHT_STARTS,
    Match,
    SkillTable,
    daytime_from,
    lead_keys,
    matching_names,
    rank,
)
from bot.features.gigs.models import NAME, AlertMode, Gig, GigStatus
from bot.features.gigs.skills import Aliases
from bot.features.gigs.store import GigStore
from bot.models import Community, Destination, NewOutbox
from bot.weekly import slot_at_or_after


def digest_time(community: Community) -> time:
    """The local time digests go out: the check-in time, or 08:00 if that is at night."""
    at = community.checkin_time
    return at if DAY_STARTS <= at < NIGHT_STARTS else DAY_STARTS


def digest_due(now: datetime, community: Community, zone: ZoneInfo) -> datetime:
    """The first digest moment at or after ``now`` for a member in ``zone``."""
    return slot_at_or_after(now, community.checkin_weekday, digest_time(community), zone)


def plan_alerts(
    gig: Gig,
    community: Community,
    matches: Sequence[Match],
    table: SkillTable,
    aliases: Aliases,
    now: datetime,
) -> tuple[list[NewAlert], list[NewOutbox]]:
    """Each matched member's alert, and the instant DMs in rank order."""
    zones: dict[str, ZoneInfo] = {}
    night: dict[str, datetime | None] = {}
    digests: dict[str, datetime] = {}
    payloads: dict[frozenset[str], str] = {}
    alerts: list[NewAlert] = []
    messages: list[NewOutbox] = []
    for place, match in enumerate(matches, start=1):
        reader = table.readers[match.member_id]
        zone = zones.get(reader.zone) or zones.setdefault(reader.zone, ZoneInfo(reader.zone))
        if reader.mode is AlertMode.DIGEST:
            if reader.zone not in digests:
                digests[reader.zone] = digest_due(now, community, zone)
            alerts.append(NewAlert(match.member_id, AlertMode.DIGEST, place, digests[reader.zone]))
            continue
        if reader.zone not in night:
            night[reader.zone] = daytime_from(now, zone)
        held = night[reader.zone]
        alerts.append(NewAlert(match.member_id, AlertMode.INSTANT, place, send_at=held))
        if held is not None:
            continue
        payload = payloads.get(match.keys)
        if payload is None:
            card = alert_card(gig, matching_names(gig, match.keys, aliases))
            payload = payloads[match.keys] = json.dumps(card.to_dict())
        messages.append(
            NewOutbox(
                community_id=gig.community_id,
                destination=Destination.dm(match.member_id),
                payload=payload,
                dedupe_key=f"gig-alert:{gig.id}:{match.member_id}",
                feature=NAME,
            )
        )
    return alerts, messages


async def send_alerts(store: GigStore, now: datetime) -> int:
    """Decide the alerts of every lead published and not matched yet, then the held alerts
    due by now; how many leads and held alerts.

    A lead that changed since it was read (an edit, a close) writes nothing and counts as
    handled: the next tick reads it again, as it now is.
    """
    done = await _match_leads(store, now)
    while held := await store.send_held_alerts(now, lambda batch: plan_held(batch, now)):
        done += held
    return done


async def _match_leads(store: GigStore, now: datetime) -> int:
    done = 0
    loaded: dict[int, tuple[Community, Aliases, dict[str, str]]] = {}
    for gig in await store.gigs_to_match(now):
        if gig.community_id not in loaded:
            aliases = Aliases(await store.skill_aliases(gig.community_id))
            names = await store.community_skill_names(gig.community_id)
            loaded[gig.community_id] = (
                await store.get_community(gig.community_id),
                aliases,
                {name: aliases.resolve(name) for name in names},
            )
        community, aliases, keyed = loaded[gig.community_id]
        wanted = lead_keys(gig, aliases)
        # Only the members holding a name the lead's skills resolve to are read.
        table = await store.skill_table(
            gig.community_id, [n for n, k in keyed.items() if k in wanted]
        )
        matches = rank(table, wanted, aliases, gig.poster_id)
        if gig.edited_at is not None:
            # Matched again after an edit to its skills: only members who never had it.
            sent = await store.gig_alerted(gig.id)
            matches = [m for m in matches if m.member_id not in sent]
        alerts, messages = plan_alerts(gig, community, matches, table, aliases, now)
        await store.record_gig_alerts(gig, alerts, messages, now)
        done += 1
    return done


async def next_alerts(store: GigStore, now: datetime) -> datetime | None:
    """When a published lead waits for its alerts, or a held alert is due."""
    moments = [await store.next_gig_match_at(now), await store.next_held_alert_at()]
    return min((m for m in moments if m is not None), default=None)


def _open(gig: Gig | None, now: datetime) -> bool:
    return gig is not None and gig.status is GigStatus.OPEN and gig.expires_at > now


def plan_digest(
    held: Sequence[PendingDigestAlert], gigs: dict[int, Gig], community: Community, now: datetime
) -> DigestDecision:
    """One member's digest from their held leads that are due (one member's rows)."""
    first = held[0]
    zone = ZoneInfo(first.zone)
    week = max(a.digest_at for a in held).astimezone(zone).date()
    listed = sorted(
        (g for g in (gigs.get(a.gig_id) for a in held) if g is not None and _open(g, now)),
        key=lambda g: (g.published_at or g.created_at, g.id),
        reverse=True,
    )
    already = first.last_week is not None and first.last_week >= week
    if not listed or first.mode is AlertMode.OFF or already:
        return DigestDecision(first.member_id, week, None)
    message = NewOutbox(
        community_id=community.id,
        destination=Destination.dm(first.member_id),
        payload=json.dumps(digest_card(listed).to_dict()),
        dedupe_key=f"gig-digest:{first.member_id}:{week.isoformat()}",
        feature=NAME,
        not_before=daytime_from(now, zone),
    )
    return DigestDecision(first.member_id, week, message)


async def send_digests(store: GigStore, now: datetime) -> int:
    """Decide every digest that is due (sent, or nothing left open to list); how many."""
    due = await store.due_digest_alerts(now)
    if not due:
        return 0
    gigs = await store.gigs_by_id([a.gig_id for a in due])
    communities = {cid: await store.get_community(cid) for cid in {a.community_id for a in due}}
    by_member: dict[int, list[PendingDigestAlert]] = {}
    for alert in due:
        by_member.setdefault(alert.member_id, []).append(alert)
    decided = [
        plan_digest(held, gigs, communities[held[0].community_id], now)
        for held in by_member.values()
    ]
    return await store.record_digests(decided, now)


async def next_digest(store: GigStore, now: datetime) -> datetime | None:
    """When the next digest with a held lead is due."""
    return await store.next_digest_at()


JOBS = (
    Job("gigs.alerts", send_alerts, next_alerts),
    # Digests list the leads the alerts job held for them.
    Job("gigs.digests", send_digests, next_digest, after=("gigs.alerts",)),
)
