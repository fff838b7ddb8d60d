-- Remember each member's DM channel, so a restarted bot doesn't have to open it again.
ALTER TABLE members ADD COLUMN dm_channel TEXT;
