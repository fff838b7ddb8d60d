-- Hours spent may be a decimal (5.5, 1.75): the column becomes REAL, keeping every value.
-- SQLite can't change a column's type, so copy it into a new one and swap the names.
ALTER TABLE checkin_weeks ADD COLUMN hours_decimal REAL;
UPDATE checkin_weeks SET hours_decimal = hours;
ALTER TABLE checkin_weeks DROP COLUMN hours;
ALTER TABLE checkin_weeks RENAME COLUMN hours_decimal TO hours;
