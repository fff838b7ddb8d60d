-- Monthly calibration clinics: hosts, series, sessions, RSVPs, reminders and settings.
-- Times are UTC ISO-8601 text; a series' start and a session's day are local to its zone.

-- Members an admin made hosts: they may create clinics.
CREATE TABLE clinic_hosts (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (community_id, member_id)
);

-- One row per series. A clinic is numbered per community (#1, #2, ...); editing it from a
-- date on ends the row and adds the next part under the same number, so calendars see two
-- series (two UIDs). 'void' marks a part left with no session at all.
CREATE TABLE clinic_series (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    number INTEGER NOT NULL,
    part INTEGER NOT NULL DEFAULT 1,
    title TEXT NOT NULL,
    bring TEXT NOT NULL,
    host_id INTEGER NOT NULL REFERENCES members(id),
    rrule TEXT NOT NULL,
    start_local TEXT NOT NULL,
    timezone TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 720),
    location TEXT NOT NULL DEFAULT '',
    capacity INTEGER CHECK (capacity > 0),
    announce_days INTEGER NOT NULL DEFAULT 7,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'void')),
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (community_id, number, part)
);

-- A session once it matters: announced, answered, cancelled or moved. Keyed by the local
-- date its rule gives it (its RECURRENCE-ID), wherever it moved to.
CREATE TABLE clinic_sessions (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES clinic_series(id),
    day TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'moved', 'cancelled')),
    reason TEXT NOT NULL DEFAULT '',
    sequence INTEGER NOT NULL DEFAULT 0,
    announcement_id INTEGER REFERENCES outbox(id),
    notes TEXT NOT NULL DEFAULT '',
    recording TEXT,
    -- Set when attendance was recorded after the session ended.
    closed_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (series_id, day)
);
CREATE INDEX clinic_sessions_by_start ON clinic_sessions(starts_at);
CREATE INDEX clinic_sessions_to_close ON clinic_sessions(ends_at)
    WHERE closed_at IS NULL AND status != 'cancelled';

CREATE TABLE clinic_rsvps (
    session_id INTEGER NOT NULL REFERENCES clinic_sessions(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    answer TEXT NOT NULL CHECK (answer IN ('going', 'presenting', 'waitlist', 'cant')),
    bring TEXT NOT NULL DEFAULT '',
    -- A waitlisted member who asked to present presents once promoted.
    wants_present INTEGER NOT NULL DEFAULT 0,
    waitlist_order INTEGER,
    attended INTEGER CHECK (attended IN (0, 1)),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (session_id, member_id)
);
CREATE INDEX clinic_rsvps_by_member ON clinic_rsvps(member_id);

-- Each reminder of a session (minutes before its start), recorded in the transaction that
-- queues its DMs, so none goes twice and none is lost across restarts.
CREATE TABLE clinic_reminders (
    session_id INTEGER NOT NULL REFERENCES clinic_sessions(id),
    minutes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, minutes)
);

-- A community's reminder times (minutes before, comma-separated; '' = none).
CREATE TABLE clinic_settings (
    community_id INTEGER PRIMARY KEY REFERENCES communities(id),
    reminders TEXT NOT NULL
);

-- A member who turned clinic reminders off (/profile clinic-reminders:off).
CREATE TABLE clinic_member_settings (
    member_id INTEGER PRIMARY KEY REFERENCES members(id),
    reminders INTEGER NOT NULL DEFAULT 1
);
