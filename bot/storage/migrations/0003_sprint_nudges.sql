-- Sprint nudges. A row is written in the transaction that queues its message, so each nudge
-- is decided once, across restarts.
-- The DM when a sprint's last check-in week ends, and its one reminder a week later. Keyed by
-- the sprint's length then, so an extended sprint is told again when its new last week ends.
CREATE TABLE sprint_endings (
    sprint_id INTEGER NOT NULL REFERENCES sprints(id),
    last_week INTEGER NOT NULL,
    outbox_id INTEGER REFERENCES outbox(id),
    created_at TEXT NOT NULL,
    remind_at TEXT NOT NULL,
    reminded_at TEXT,
    PRIMARY KEY (sprint_id, last_week)
);
CREATE INDEX endings_to_remind ON sprint_endings(remind_at) WHERE reminded_at IS NULL;

-- The question whether to pause after three missed weeks in a row: once per sprint.
CREATE TABLE pause_offers (
    sprint_id INTEGER PRIMARY KEY REFERENCES sprints(id),
    week INTEGER NOT NULL,
    outbox_id INTEGER REFERENCES outbox(id),
    created_at TEXT NOT NULL
);
