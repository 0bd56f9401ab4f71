-- Migration 0004: who is on duty at each counter.
--
-- MIGRATIONS ARE APPEND-ONLY. Never edit or reorder a migration that has shipped: terminals in
-- the field have already applied it. Change the schema by adding the next numbered file.

-- The current shift per counter. staff_id NULL: the shift was ended and nobody is on duty.
-- No row: the configuration's default staff member for the counter.
CREATE TABLE duty (
    counter_id TEXT PRIMARY KEY NOT NULL,
    staff_id   TEXT,
    since      TEXT NOT NULL  -- RFC 3339, device clock
);

-- Every change of shift, for the record.
CREATE TABLE duty_log (
    counter_id TEXT NOT NULL,
    staff_id   TEXT,
    at         TEXT NOT NULL
);
