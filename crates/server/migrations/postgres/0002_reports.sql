-- NEVER EDIT THIS FILE ONCE SHIPPED. Servers in the field have already applied it.
-- Change the schema by adding the next numbered file (0003_....sql) and listing it in
-- src/postgres/migrations.rs. Keep the SQLite schema (migrations/sqlite/) in step.
--
-- Reports (issue 7): the same columns, in the same order, as migrations/sqlite/0003_reports.sql,
-- backfilled from the canonical JSON in `content` for ratings stored before it. Flags are 0/1
-- integers. ADD COLUMN with a constant default rewrites no row; the UPDATE touches only rows
-- that carry a complaint or a flag.

ALTER TABLE ratings
    ADD COLUMN complaint        BIGINT NOT NULL DEFAULT 0,  -- phản ánh, kiến nghị: against 766
    ADD COLUMN suspected_repeat BIGINT NOT NULL DEFAULT 0,  -- kiosk flag "suspected_repeat"
    ADD COLUMN dossier_repeat   BIGINT NOT NULL DEFAULT 0;  -- kiosk flag "dossier_repeat"

UPDATE ratings SET
    complaint = CASE WHEN content::jsonb -> 'complaint' = 'true'::jsonb THEN 1 ELSE 0 END,
    suspected_repeat = CASE WHEN content::jsonb -> 'flags' ? 'suspected_repeat' THEN 1 ELSE 0 END,
    dossier_repeat = CASE WHEN content::jsonb -> 'flags' ? 'dossier_repeat' THEN 1 ELSE 0 END
WHERE content::jsonb -> 'complaint' = 'true'::jsonb
   OR jsonb_array_length(COALESCE(content::jsonb -> 'flags', '[]'::jsonb)) > 0;

-- Reports over all communes select by the server's receive time.
CREATE INDEX ratings_received ON ratings (received_at);
