-- Gig leads: paid work posted to the community, sent to the members whose skills fit.
-- Times are UTC ISO-8601 text; amounts are decimal text.

-- A lead, numbered per community (#1, #2, ...). A deleted lead keeps its row (status
-- 'deleted'), so it still counts against its poster's posting limit.
CREATE TABLE gigs (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    number INTEGER NOT NULL,
    poster_id INTEGER NOT NULL REFERENCES members(id),
    title TEXT NOT NULL,
    details TEXT NOT NULL,
    -- The skills wanted as typed (1-5), a JSON list of strings.
    skills TEXT NOT NULL,
    -- Unpaid: pay_min, pay_max, currency and pay_per all NULL.
    pay_min TEXT,
    pay_max TEXT,
    currency TEXT,
    pay_per TEXT CHECK (pay_per IN ('hour', 'day', 'project')),
    -- '' is remote.
    place TEXT NOT NULL DEFAULT '',
    -- Both NULL: ongoing.
    starts_on TEXT,
    ends_on TEXT,
    link TEXT,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'open', 'hidden', 'closed', 'expired', 'rejected', 'deleted')),
    outcome TEXT CHECK (outcome IN ('filled', 'withdrawn')),
    hired_member_id INTEGER REFERENCES members(id),
    hired_name TEXT,
    -- An admin's reason for rejecting it, told to the poster.
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    -- When members could first see it (at once, or when an admin approved it).
    published_at TEXT,
    edited_at TEXT,
    expires_at TEXT NOT NULL,
    closed_at TEXT,
    -- The poster was told it expires soon (reset when it is extended).
    warned_at TEXT,
    -- Its alerts were decided (set once, when it is first published).
    matched_at TEXT,
    -- Bumped by every change: writes are compare-and-set on it.
    version INTEGER NOT NULL DEFAULT 0,
    -- The lead's post in the gigs channel, and its card to admins when it waits for them.
    post_id INTEGER REFERENCES outbox(id),
    review_id INTEGER REFERENCES outbox(id),
    UNIQUE (community_id, number)
);
CREATE INDEX gigs_by_poster ON gigs(poster_id, created_at);
CREATE INDEX gigs_open ON gigs(community_id, expires_at) WHERE status = 'open';
CREATE INDEX gigs_to_match ON gigs(published_at) WHERE matched_at IS NULL AND status = 'open';

-- "I'm interested": once per member and lead.
CREATE TABLE gig_interest (
    gig_id INTEGER NOT NULL REFERENCES gigs(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (gig_id, member_id)
);

-- Reports, once per member and lead; three from different members hide it.
CREATE TABLE gig_reports (
    gig_id INTEGER NOT NULL REFERENCES gigs(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (gig_id, member_id)
);

-- Who a lead was sent to, and how: at most one alert per member and lead.
CREATE TABLE gig_alerts (
    gig_id INTEGER NOT NULL REFERENCES gigs(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    kind TEXT NOT NULL CHECK (kind IN ('instant', 'digest')),
    -- Its rank among the members it matched (1 is the best fit).
    rank INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    -- A digest alert waits here until its digest goes out.
    digest_sent_at TEXT,
    PRIMARY KEY (gig_id, member_id)
);
CREATE INDEX gig_alerts_digest ON gig_alerts(member_id) WHERE kind = 'digest'
    AND digest_sent_at IS NULL;

-- A member's weekly gig digests, once per community week.
CREATE TABLE gig_digests (
    member_id INTEGER NOT NULL REFERENCES members(id),
    week TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_id, week)
);

-- How a member wants leads: 'instant' (no row), 'digest' or 'off'.
CREATE TABLE gig_member_settings (
    member_id INTEGER PRIMARY KEY REFERENCES members(id),
    alerts TEXT NOT NULL CHECK (alerts IN ('instant', 'digest', 'off'))
);

-- The limits an admin sets (/admin gigs); no row: the defaults.
CREATE TABLE gig_settings (
    community_id INTEGER PRIMARY KEY REFERENCES communities(id),
    posts_per_week INTEGER NOT NULL DEFAULT 3 CHECK (posts_per_week >= 0),
    min_member_days INTEGER NOT NULL DEFAULT 0 CHECK (min_member_days >= 0),
    approval INTEGER NOT NULL DEFAULT 0
);

-- Another name for a skill in this community (/admin skill-alias); keyed normalised.
CREATE TABLE skill_aliases (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    alias_key TEXT NOT NULL,
    alias TEXT NOT NULL,
    skill TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (community_id, alias_key)
);
