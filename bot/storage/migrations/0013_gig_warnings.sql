-- When a lead's poster is told it expires soon: two days before it does, or NULL when the
-- lead was open for less than that (a short lead gets no warning). Set with expires_at.
ALTER TABLE gigs ADD COLUMN warn_at TEXT;
CREATE INDEX gigs_to_warn ON gigs(warn_at) WHERE status = 'open' AND warned_at IS NULL;
CREATE INDEX gigs_hired ON gigs(hired_member_id) WHERE hired_member_id IS NOT NULL;
