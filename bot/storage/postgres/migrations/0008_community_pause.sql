-- A community the app was uninstalled from (or whose bot token was revoked) is paused:
-- nothing is sent to it until it is resumed (reinstalled), and its data is kept.
ALTER TABLE communities ADD COLUMN paused_at TEXT;
ALTER TABLE communities ADD COLUMN paused_reason TEXT NOT NULL DEFAULT '';
