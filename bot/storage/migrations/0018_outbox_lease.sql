-- Several processes may deliver one outbox (PostgreSQL): a row is leased to the process that
-- claimed it until lease_until, after which another may take it over (looking on the
-- platform first). send_pace holds each bot's shared send pacing (used on PostgreSQL only;
-- SQLite's one process paces in memory), kept here so both schemas stay one.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
CREATE TABLE send_pace (
    bucket TEXT PRIMARY KEY,
    next_slot REAL NOT NULL
);
