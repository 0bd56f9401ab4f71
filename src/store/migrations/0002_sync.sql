-- Migration 0002: what the provincial server said about each rating, and the sync's own state.
--
-- MIGRATIONS ARE APPEND-ONLY. Never edit or reorder a migration that has shipped: terminals in
-- the field have already applied it. Change the schema by adding the next numbered file.

-- One row per rating the server has answered for. No row: still queued.
-- 'sent': the server holds it (created or duplicate). 'quarantined': the server refused it
-- (conflict or invalid) and kept it for technicians; it is not sent again and never blocks
-- the ratings behind it.
CREATE TABLE sync_outcomes (
    rating_id TEXT PRIMARY KEY NOT NULL REFERENCES ratings (id),
    status    TEXT NOT NULL CHECK (status IN ('sent', 'quarantined')),
    detail    TEXT,
    at        TEXT NOT NULL  -- RFC 3339, device clock
);

-- Small facts of the sync: last success, last error, last attempt, server's clock offset.
CREATE TABLE sync_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
