-- A platform's app installed in a workspace (Slack distribution): each row one record of it
-- (kind 'bot', or 'installer' per installing user, '' for the latest), stored as JSON
-- encrypted with CROSSFADE_SECRET_KEY, since it holds the workspace's tokens.
CREATE TABLE installations (
    platform TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (platform, enterprise_id, team_id, kind, user_id)
);
-- An OAuth install flow's state, issued when it starts and taken once when it comes back.
CREATE TABLE oauth_states (
    state TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
