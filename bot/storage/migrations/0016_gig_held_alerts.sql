-- An instant alert decided at night waits here, not in the outbox: ``send_at`` is when it is
-- due (08:00 in the member's zone; the moment it was decided by day), ``sent_at`` when the
-- alerts job queued it (or found it no longer due: lead gone, alerts changed, interested).
ALTER TABLE gig_alerts ADD COLUMN send_at TEXT;
ALTER TABLE gig_alerts ADD COLUMN sent_at TEXT;
-- Alerts decided before this were queued when they were decided.
UPDATE gig_alerts SET send_at = created_at, sent_at = created_at WHERE kind = 'instant';
CREATE INDEX gig_alerts_held ON gig_alerts(send_at) WHERE kind = 'instant' AND sent_at IS NULL;
