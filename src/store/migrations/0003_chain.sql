-- Migration 0003: the tamper-evidence hash chain (see crates/protocol/src/chain.rs).
--
-- MIGRATIONS ARE APPEND-ONLY. Never edit or reorder a migration that has shipped: terminals in
-- the field have already applied it. Change the schema by adding the next numbered file.

-- Set when the rating is sealed, with its seq; NULL while a draft.
ALTER TABLE ratings ADD COLUMN prev_hash TEXT;
ALTER TABLE ratings ADD COLUMN hash TEXT;

-- The hash of the last sealed rating of each terminal: the head the next one links to.
ALTER TABLE sequences ADD COLUMN last_hash TEXT;
