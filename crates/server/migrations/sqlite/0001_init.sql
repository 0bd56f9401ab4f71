-- NEVER EDIT THIS FILE ONCE SHIPPED. Servers in the field have already applied it.
-- Change the schema by adding the next numbered file (0002_....sql) and listing it in
-- src/sqlite/migrations.rs.
--
-- Times are INTEGER milliseconds since the Unix epoch, server clock (UTC).

CREATE TABLE terminals (
    id              TEXT PRIMARY KEY,
    commune_code    TEXT NOT NULL,
    name            TEXT NOT NULL,
    counter_id      TEXT,
    token_hash      TEXT UNIQUE,            -- SHA-256 hex of the bearer token; NULL until enrolled
    created_at      INTEGER NOT NULL,
    enrolled_at     INTEGER,
    revoked_at      INTEGER,
    last_seen_at    INTEGER,                -- last enrollment, upload or heartbeat
    heartbeat_at    INTEGER,
    queue_length    INTEGER,
    app_version     TEXT,
    config_version  TEXT,
    clock_offset_s  INTEGER,                -- device minus server, at the last heartbeat
    contiguous_seq  INTEGER NOT NULL DEFAULT 0,  -- every seq 1..=this is accounted for
    stored_count    INTEGER NOT NULL DEFAULT 0,
    quarantined_count INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX terminals_commune ON terminals (commune_code);

CREATE TABLE enrollment_codes (
    code_hash   TEXT PRIMARY KEY,           -- SHA-256 hex of the 10 digits
    terminal_id TEXT NOT NULL REFERENCES terminals (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;

-- Accepted ratings. (terminal_id, seq) is the key; id is unique too.
CREATE TABLE ratings (
    id              TEXT PRIMARY KEY,       -- UUIDv7 from the kiosk
    terminal_id     TEXT NOT NULL REFERENCES terminals (id),
    seq             INTEGER NOT NULL,
    content         TEXT NOT NULL,          -- canonical JSON of the wire Rating
    content_hash    TEXT NOT NULL,          -- SHA-256 hex of content
    commune_code    TEXT NOT NULL,
    counter_id      TEXT,
    staff_id        TEXT,
    field_id        TEXT,
    dossier_code    TEXT,
    stage           TEXT NOT NULL,
    level           INTEGER NOT NULL,
    level_count     INTEGER NOT NULL,
    device_time     TEXT NOT NULL,          -- as sent, untrusted
    received_at     INTEGER NOT NULL,       -- server clock
    clock_offset_s  INTEGER,                -- batch device clock minus server clock
    clock_suspect   INTEGER NOT NULL,       -- 1 when more than an hour off
    UNIQUE (terminal_id, seq)
) STRICT;

CREATE INDEX ratings_commune_received ON ratings (commune_code, received_at);
CREATE INDEX ratings_dossier ON ratings (dossier_code) WHERE dossier_code IS NOT NULL;

-- Conflicting and invalid ratings, kept verbatim for technicians. Never blocks the queue.
CREATE TABLE quarantine (
    qid         INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL REFERENCES terminals (id),   -- the uploading terminal
    seq         INTEGER,
    rating_id   TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('conflict', 'invalid')),
    field       TEXT,
    message     TEXT NOT NULL,
    raw         TEXT NOT NULL,
    raw_hash    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (terminal_id, raw_hash)
) STRICT;

-- Every seq of a terminal the server has accounted for (stored or quarantined); the sync
-- status is computed from it.
CREATE TABLE seq_seen (
    terminal_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (terminal_id, seq)
) STRICT, WITHOUT ROWID;

-- Terminal configurations per commune; the highest id of a commune is current.
CREATE TABLE configs (
    id           INTEGER PRIMARY KEY,
    commune_code TEXT NOT NULL,
    version      TEXT NOT NULL,             -- SHA-256 hex of source
    source       TEXT NOT NULL,             -- TOML as imported
    document     TEXT NOT NULL,             -- the same as JSON
    imported_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX configs_commune ON configs (commune_code, id);
