-- When a post was last attempted (set by its claim), so a lookup (find_sent) reads only the
-- platform's history around that moment; and where a lookup needing more than one history
-- call reads on at its next turn (Slack's cursor).
ALTER TABLE outbox ADD COLUMN attempted_at TEXT;
ALTER TABLE outbox ADD COLUMN lookup_cursor TEXT;
