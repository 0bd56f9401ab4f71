-- NEVER EDIT THIS FILE ONCE SHIPPED. Servers in the field have already applied it.
--
-- Tamper evidence (issue 8): the server walks each terminal's hash chain as its ratings arrive
-- (see src/sqlite/tamper.rs) and records what does not verify. Ratings are stored whatever the
-- walk finds.

-- How far the walk has got: the last seq it passed (a stored or a quarantined rating) and that
-- rating's hash; NULL hash when unknown (a quarantined rating without a readable hash).
ALTER TABLE terminals ADD COLUMN chain_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE terminals ADD COLUMN chain_hash TEXT;

-- The latest anchor: the kiosk's own chain head as its last heartbeat reported it. Checked
-- (anchor_checked_at set) once the rating at anchor_seq is compared with it.
ALTER TABLE terminals ADD COLUMN anchor_seq INTEGER;
ALTER TABLE terminals ADD COLUMN anchor_hash TEXT;
ALTER TABLE terminals ADD COLUMN anchor_at INTEGER;
ALTER TABLE terminals ADD COLUMN anchor_checked_at INTEGER;

-- Findings, one row each, never deleted. A gap whose ratings arrive later and verify, and an
-- anchor reported missing whose rating arrives later with the anchored hash, are resolved.
CREATE TABLE tamper_alerts (
    id          INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL REFERENCES terminals (id),
    kind        TEXT NOT NULL CHECK (kind IN ('edited', 'broken_link', 'gap', 'anchor')),
    first_seq   INTEGER NOT NULL,           -- the seq concerned, or the first of a gap
    last_seq    INTEGER NOT NULL,           -- the last of a gap; first_seq otherwise
    detail      TEXT NOT NULL,
    received_at INTEGER NOT NULL,           -- server clock of the batch or heartbeat that revealed it
    resolved_at INTEGER,
    resolution  TEXT,
    CHECK (last_seq >= first_seq)
) STRICT;

CREATE INDEX tamper_alerts_terminal ON tamper_alerts (terminal_id, kind, resolved_at);

-- The walk reads quarantined seqs (no stored rating) by terminal and seq.
CREATE INDEX quarantine_terminal_seq ON quarantine (terminal_id, seq) WHERE seq IS NOT NULL;
