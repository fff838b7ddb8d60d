-- A member's request to complete or abandon a sprint, kept until they confirm or cancel it
-- (a button can't carry a long link or reason: Discord's custom_id holds 100 characters).
CREATE TABLE sprint_end_requests (
    id INTEGER PRIMARY KEY,
    sprint_id INTEGER NOT NULL REFERENCES sprints(id),
    status TEXT NOT NULL CHECK (status IN ('completed', 'abandoned')),
    outcome_url TEXT,
    reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX end_requests_by_sprint ON sprint_end_requests(sprint_id);
