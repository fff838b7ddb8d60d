-- Each community's clinic calendar feed: the unguessable token of its address
-- (/calendar/<token>.ics). Rotating it replaces the token, so the old address stops working.
CREATE TABLE clinic_feeds (
    community_id INTEGER PRIMARY KEY REFERENCES communities(id),
    token TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
