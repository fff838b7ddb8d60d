-- Small named values kept with the database, such as the console's fast-forwarded clock.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
