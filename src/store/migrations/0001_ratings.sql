-- Migration 0001: ratings and their per-terminal sequence.
--
-- MIGRATIONS ARE APPEND-ONLY. Never edit or reorder a migration that has shipped: terminals in
-- the field have already applied it. Change the schema by adding the next numbered file.

CREATE TABLE ratings (
    id                   TEXT PRIMARY KEY NOT NULL,  -- UUIDv7, made on the terminal
    seq                  INTEGER,                    -- per-terminal, given when sealed; NULL while a draft
    terminal_id          TEXT NOT NULL,
    commune_code         TEXT NOT NULL,
    counter_id           TEXT,
    staff_id             TEXT,
    field_id             TEXT,
    dossier_code         TEXT,
    stage                TEXT NOT NULL CHECK (stage IN ('receipt', 'return')),
    question_set_id      TEXT NOT NULL,
    question_set_version INTEGER NOT NULL,
    level                INTEGER NOT NULL,
    level_count          INTEGER NOT NULL CHECK (level_count BETWEEN 3 AND 5),
    answers              TEXT NOT NULL DEFAULT '[]', -- JSON [{criterion_id, value, points}]
    reasons              TEXT NOT NULL DEFAULT '[]', -- JSON [reason id]
    language             TEXT NOT NULL,
    device_time          TEXT NOT NULL,              -- RFC 3339, device clock, when tapped
    device_time_ms       INTEGER NOT NULL,
    sealed_at            TEXT,                       -- RFC 3339, device clock
    sealed_at_ms         INTEGER,
    seal_cause           TEXT CHECK (seal_cause IN ('completed', 'idle', 'recovered', 'cli')),
    suspected_repeat     INTEGER NOT NULL DEFAULT 0,
    dossier_repeat       INTEGER NOT NULL DEFAULT 0,
    CHECK (level BETWEEN 1 AND level_count),
    CHECK ((seq IS NULL) = (sealed_at IS NULL))
);

CREATE UNIQUE INDEX ratings_terminal_seq ON ratings (terminal_id, seq);
CREATE INDEX ratings_device_time ON ratings (device_time_ms);
CREATE INDEX ratings_dossier ON ratings (dossier_code) WHERE dossier_code IS NOT NULL;
CREATE INDEX ratings_drafts ON ratings (id) WHERE seq IS NULL;

-- The last sequence number given per terminal. Kept apart from the ratings so that it only
-- grows, whatever happens to rows.
CREATE TABLE sequences (
    terminal_id TEXT PRIMARY KEY NOT NULL,
    last_seq    INTEGER NOT NULL
);

-- A sealed rating is never changed: the store refuses any UPDATE of one.
CREATE TRIGGER ratings_sealed_are_immutable
BEFORE UPDATE ON ratings
WHEN OLD.seq IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'sealed rating is immutable');
END;

CREATE TRIGGER ratings_sealed_are_kept
BEFORE DELETE ON ratings
WHEN OLD.seq IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'sealed rating cannot be deleted');
END;
