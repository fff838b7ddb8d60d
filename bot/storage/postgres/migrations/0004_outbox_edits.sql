-- Queueing an edit drops the older edits of the same message still waiting to go
-- (DELETE … WHERE edit_of = ? AND status = 'pending'): without an index that read every
-- row of the outbox, which grows with every message ever sent (/checkin's slowest step).
CREATE INDEX outbox_edits ON outbox(edit_of) WHERE edit_of IS NOT NULL AND status = 'pending';
