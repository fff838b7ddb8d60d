-- The summaries job reads each recent week's community and community week by its close:
-- carried in the index, it reads a few weeks' entries instead of every row of every year.
-- The same leading column serves every query the old index did.
DROP INDEX weeks_by_close;
CREATE INDEX weeks_by_close ON checkin_weeks(closes_at, community_id, community_week);
