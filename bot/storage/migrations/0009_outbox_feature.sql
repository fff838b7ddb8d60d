-- Each queued message names the feature that queued it, so the note posted when a member's
-- DMs are closed is worded by that feature. Everything queued before was a check-in's.
ALTER TABLE outbox ADD COLUMN feature TEXT NOT NULL DEFAULT 'checkins';
