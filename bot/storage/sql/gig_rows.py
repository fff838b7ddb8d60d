"""Reading gig rows: the columns every gig query selects and the record they make."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from bot.features.gigs.models import Gig, GigDraft, GigStatus, Outcome, Pay, Per
from bot.storage.sql.db import dt, opt_dt

GIG_COLUMNS = (
    "g.id, g.community_id, g.number, g.poster_id, g.title, g.details, g.skills, g.pay_min,"
    " g.pay_max, g.currency, g.pay_per, g.place, g.starts_on, g.ends_on, g.link, g.status,"
    " g.outcome, g.hired_member_id, g.hired_name, g.reason, g.created_at, g.published_at,"
    " g.edited_at, g.expires_at, g.closed_at, g.warned_at, g.matched_at, g.version,"
    " g.post_id, g.review_id"
)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _amount(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def gig_from(row: Sequence[Any]) -> Gig:
    """A gig from a row selected with ``GIG_COLUMNS``."""
    draft = GigDraft(
        title=str(row[4]),
        details=str(row[5]),
        skills=tuple(str(s) for s in json.loads(row[6])),
        pay=Pay(
            _amount(row[7]),
            _amount(row[8]),
            None if row[9] is None else str(row[9]),
            None if row[10] is None else Per(row[10]),
        ),
        place=str(row[11]),
        starts_on=_day(row[12]),
        ends_on=_day(row[13]),
        link=None if row[14] is None else str(row[14]),
    )
    return Gig(
        id=int(row[0]),
        community_id=int(row[1]),
        number=int(row[2]),
        poster_id=int(row[3]),
        draft=draft,
        status=GigStatus(row[15]),
        outcome=None if row[16] is None else Outcome(row[16]),
        hired_member_id=None if row[17] is None else int(row[17]),
        hired_name=None if row[18] is None else str(row[18]),
        reason=str(row[19]),
        created_at=dt(row[20]),
        published_at=opt_dt(row[21]),
        edited_at=opt_dt(row[22]),
        expires_at=dt(row[23]),
        closed_at=opt_dt(row[24]),
        warned_at=opt_dt(row[25]),
        matched_at=opt_dt(row[26]),
        version=int(row[27]),
        post_id=None if row[28] is None else int(row[28]),
        review_id=None if row[29] is None else int(row[29]),
    )


def draft_values(draft: GigDraft) -> tuple[Any, ...]:
    """A draft's column values, in the order title .. link of ``GIG_COLUMNS``."""
    pay = draft.pay
    return (
        draft.title,
        draft.details,
        json.dumps(list(draft.skills)),
        None if pay.low is None else str(pay.low),
        None if pay.high is None else str(pay.high),
        pay.currency,
        None if pay.per is None else pay.per.value,
        draft.place,
        None if draft.starts_on is None else draft.starts_on.isoformat(),
        None if draft.ends_on is None else draft.ends_on.isoformat(),
        draft.link,
    )
