-- The order rows were written in, as columns both SQLite and PostgreSQL keep (PostgreSQL has
-- no rowid): a member's skills in the order given, a session's answers in the order first given.
ALTER TABLE member_skills ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE member_skills SET position = rowid;
ALTER TABLE clinic_rsvps ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE clinic_rsvps SET seq = rowid;
