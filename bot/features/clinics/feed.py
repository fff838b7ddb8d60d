"""The clinics' calendar feed on the web app: GET /calendar/<token>.ics, one per community.

An unknown or malformed token answers 404 like any unknown address, saying nothing of why.
The answer carries a weak ETag of what the calendar says (its series, cancels and moves), so
a calendar app asking again with If-None-Match gets 304 without the file being written; the
file itself is kept per community and written again only when that changes or a day passes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, date

from bot.clock import Clock
from bot.features.clinics.calendar import (
    FEED_REFRESH,
    FEED_ROUTE,
    CalendarStore,
    calendar_name,
    entries_of,
)
from bot.features.clinics.ical import MEDIA_TYPE, calendar_file
from bot.web_routes import Route, WebRequest, WebResponse

CONTENT_TYPE = f"{MEDIA_TYPE}; charset=utf-8"
# A token as secrets.token_urlsafe makes them; anything else is not looked up.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Cache it, but ask again each time (the ETag makes that cheap); never in a shared cache.
_CACHING = {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"}


def _not_found() -> WebResponse:
    return WebResponse.text("Not found\n", 404, **{"Cache-Control": "no-store"})


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names this ETag (compared weakly, as RFC 9110 says for it)."""
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def routes(store: CalendarStore, clock: Clock) -> Sequence[Route]:
    """The feed route, answered from ``store`` at ``clock``'s time."""
    # Per community: (ETag, UTC date written, file). Writing a file of years of sessions is
    # most of an answer's time; the same entries on the same day give the same calendar.
    written: dict[int, tuple[str, date, bytes]] = {}

    async def feed(request: WebRequest) -> WebResponse:
        token = request.path_params.get("token", "")
        if not _TOKEN.fullmatch(token):
            return _not_found()
        community_id = await store.clinic_feed_community(token)
        if community_id is None:
            return _not_found()
        community = await store.get_community(community_id)
        entries = await entries_of(store, await store.community_series(community_id))
        name = calendar_name(community)
        # The file differs only in its DTSTAMPs while the entries stay the same: a weak tag.
        digest = hashlib.sha256(repr((name, entries)).encode("utf-8")).hexdigest()[:32]
        etag = f'W/"{digest}"'
        headers = {**_CACHING, "ETag": etag}
        if _matches(request.headers.get("if-none-match", ""), etag):
            return WebResponse(304, CONTENT_TYPE, b"", headers)
        now = clock.now()
        kept = written.get(community_id)
        if kept is not None and kept[:2] == (etag, now.astimezone(UTC).date()):
            body = kept[2]
        else:
            body = calendar_file(entries, stamp=now, name=name, refresh=FEED_REFRESH)
            written[community_id] = (etag, now.astimezone(UTC).date(), body)
        headers["Content-Disposition"] = 'inline; filename="clinics.ics"'
        return WebResponse(200, CONTENT_TYPE, body, headers)

    return (Route("GET", FEED_ROUTE, feed),)
