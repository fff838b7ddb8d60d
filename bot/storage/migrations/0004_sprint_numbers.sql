-- Sprints are numbered per member (#1, #2, …): existing ones in the order they were created.
ALTER TABLE sprints ADD COLUMN number INTEGER NOT NULL DEFAULT 0;
UPDATE sprints SET number = (
    SELECT COUNT(*) FROM sprints AS earlier
    WHERE earlier.member_id = sprints.member_id
      AND (earlier.created_at < sprints.created_at
           OR (earlier.created_at = sprints.created_at AND earlier.id <= sprints.id))
);
CREATE UNIQUE INDEX sprints_member_number ON sprints(member_id, number);
