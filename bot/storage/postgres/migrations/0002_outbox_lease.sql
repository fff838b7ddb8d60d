-- Several processes share one database: outbox rows are leased to the process that claimed
-- them (lease_owner until lease_until), each bot's sends are paced in send_pace (the
-- theoretical arrival time of its next send, in seconds since the epoch on the server's
-- clock), and new rows wake every process (LISTEN crossfade_outbox), notified at commit.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
CREATE TABLE send_pace (
    bucket TEXT PRIMARY KEY,
    next_slot DOUBLE PRECISION NOT NULL
);
CREATE FUNCTION crossfade_outbox_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crossfade_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_queued AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION crossfade_outbox_queued();
