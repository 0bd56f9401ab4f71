-- NEVER EDIT THIS FILE ONCE SHIPPED. Servers in the field have already applied it.
-- Change the schema by adding the next numbered file (0004_....sql) and listing it in
-- src/sqlite/migrations.rs. Keep migrations/postgres/ in step (its 0002_reports.sql).
--
-- Reports (issue 7): the facts a report counts that only lived in `content` become columns.
-- Ratings stored before this migration are backfilled from their canonical JSON; ingest fills
-- the columns from then on. Only rows that carry a complaint or a flag are rewritten.

-- The citizen filed a complaint (phản ánh, kiến nghị): the dossier counts against the
-- Decision 766 rate. 0/1.
ALTER TABLE ratings ADD COLUMN complaint INTEGER NOT NULL DEFAULT 0;
-- The kiosk flagged it as a suspected repeat of the previous citizen's rating. 0/1.
ALTER TABLE ratings ADD COLUMN suspected_repeat INTEGER NOT NULL DEFAULT 0;
-- The kiosk flagged its dossier code as already rated at this stage. 0/1.
ALTER TABLE ratings ADD COLUMN dossier_repeat INTEGER NOT NULL DEFAULT 0;

UPDATE ratings SET
    complaint = CASE WHEN json_extract(content, '$.complaint') = 1 THEN 1 ELSE 0 END,
    suspected_repeat = EXISTS (SELECT 1 FROM json_each(content, '$.flags')
                               WHERE value = 'suspected_repeat'),
    dossier_repeat = EXISTS (SELECT 1 FROM json_each(content, '$.flags')
                             WHERE value = 'dossier_repeat')
WHERE json_extract(content, '$.complaint') = 1
   OR json_array_length(content, '$.flags') > 0;

-- Reports over all communes select by the server's receive time.
CREATE INDEX ratings_received ON ratings (received_at);
