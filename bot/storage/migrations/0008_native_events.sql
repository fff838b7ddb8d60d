-- Native platform events (Discord's scheduled events) mirrored from outbox rows, by key:
-- the platform's id for each, and members' interest in them as last answered.
CREATE TABLE native_events (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    key TEXT NOT NULL,
    ref TEXT,
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    event TEXT,
    ends_at TEXT,
    applied_outbox_id INTEGER NOT NULL DEFAULT 0,
    creating INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (community_id, key)
);
CREATE UNIQUE INDEX native_events_ref ON native_events(community_id, ref) WHERE ref IS NOT NULL;
CREATE TABLE native_event_interest (
    community_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id),
    interested INTEGER NOT NULL,
    answers INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (community_id, key, member_id),
    FOREIGN KEY (community_id, key) REFERENCES native_events(community_id, key)
);
