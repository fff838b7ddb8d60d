-- What a process remembered in memory, kept where every process sharing the database sees it.
-- A key used once within a window (a Slack request's signature) until its window closes;
-- rows past ``until`` are purged now and then, so the table stays as small as the window.
CREATE TABLE seen_once (
    key TEXT PRIMARY KEY,
    until TEXT NOT NULL
);
CREATE INDEX seen_once_by_until ON seen_once(until);
-- A member's form filled in over several steps (Discord's five-input modals): the form as
-- shown (JSON) and the answers so far (a JSON object), until it is submitted or expires.
CREATE TABLE form_drafts (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    form_id TEXT NOT NULL,
    form TEXT NOT NULL,
    answers TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (community_id, member_id, form_id)
);
CREATE INDEX form_drafts_by_expiry ON form_drafts(expires_at);
