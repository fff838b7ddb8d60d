-- A lead held for a member's weekly digest records when that digest is due (the community's
-- check-in day in the member's zone), so the digest job's due query reads one index.
ALTER TABLE gig_alerts ADD COLUMN digest_at TEXT;
CREATE INDEX gig_alerts_digest_due ON gig_alerts(digest_at)
    WHERE kind = 'digest' AND digest_sent_at IS NULL;
