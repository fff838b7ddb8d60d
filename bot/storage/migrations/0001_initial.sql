-- Communities, members, sprints, check-in weeks, channel purposes and the outbox.
-- Times are UTC ISO-8601 text ("2026-11-30T10:00:00+00:00"), which sorts correctly.

CREATE TABLE communities (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    ext_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    checkin_weekday INTEGER NOT NULL DEFAULT 0 CHECK (checkin_weekday BETWEEN 0 AND 6),
    checkin_time TEXT NOT NULL DEFAULT '10:00',
    reminder_hours INTEGER NOT NULL DEFAULT 24,
    default_timezone TEXT NOT NULL DEFAULT 'UTC',
    created_at TEXT NOT NULL,
    UNIQUE (platform, ext_id)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    ext_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    timezone TEXT,
    current_role TEXT NOT NULL DEFAULT '',
    heading TEXT NOT NULL DEFAULT '',
    share_blockers INTEGER NOT NULL DEFAULT 0,
    paused INTEGER NOT NULL DEFAULT 0,
    dm_note_sent INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (community_id, ext_id)
);
CREATE INDEX members_by_name ON members(community_id, display_name COLLATE NOCASE);

CREATE TABLE member_skills (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    skill TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (member_id, skill)
);
CREATE INDEX member_skills_by_skill ON member_skills(skill);

CREATE TABLE channels (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    purpose TEXT NOT NULL,
    channel_ref TEXT NOT NULL,
    PRIMARY KEY (community_id, purpose)
);

CREATE TABLE sprints (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    goal TEXT NOT NULL,
    skill TEXT NOT NULL,
    deliverable_kind TEXT NOT NULL,
    deliverable TEXT NOT NULL,
    start_date TEXT NOT NULL,
    weeks INTEGER NOT NULL CHECK (weeks > 0),
    status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'abandoned')),
    created_at TEXT NOT NULL,
    next_week INTEGER NOT NULL DEFAULT 1,
    next_prompt_at TEXT,
    ended_at TEXT,
    outcome_url TEXT,
    abandon_reason TEXT
);
-- One active sprint per member, enforced by the database too.
CREATE UNIQUE INDEX one_active_sprint ON sprints(member_id) WHERE status = 'active';
CREATE INDEX sprints_due ON sprints(next_prompt_at) WHERE status = 'active';
CREATE INDEX sprints_by_member ON sprints(member_id, created_at);

CREATE TABLE checkin_weeks (
    id INTEGER PRIMARY KEY,
    sprint_id INTEGER NOT NULL REFERENCES sprints(id),
    community_id INTEGER NOT NULL REFERENCES communities(id),
    week INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'skipped', 'missed')),
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    community_week TEXT NOT NULL,
    progress TEXT NOT NULL DEFAULT '',
    blockers TEXT NOT NULL DEFAULT '',
    confidence INTEGER CHECK (confidence BETWEEN 1 AND 5),
    hours INTEGER,
    submitted_at TEXT,
    remind_at TEXT,
    reminded_at TEXT,
    prompt_outbox_id INTEGER REFERENCES outbox(id),
    skip_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (sprint_id, week)
);
CREATE INDEX weeks_by_community_week ON checkin_weeks(community_id, community_week);
CREATE INDEX weeks_to_remind ON checkin_weeks(remind_at) WHERE status = 'open' AND reminded_at IS NULL;
CREATE INDEX weeks_by_close ON checkin_weeks(closes_at);

CREATE TABLE summaries (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    community_week TEXT NOT NULL,
    outbox_id INTEGER REFERENCES outbox(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (community_id, community_week)
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    dest_kind TEXT NOT NULL CHECK (dest_kind IN ('dm', 'channel')),
    member_id INTEGER REFERENCES members(id),
    purpose TEXT,
    payload TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    edit_of INTEGER REFERENCES outbox(id),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    created_at TEXT NOT NULL,
    channel_ref TEXT,
    message_ref TEXT,
    last_error TEXT,
    delivered_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, not_before) WHERE status IN ('pending', 'sending');
