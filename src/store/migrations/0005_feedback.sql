-- Migration 0005: comments, complaints and call-backs (wire fields `comment`, `complaint`,
-- `callback`; see crates/protocol/src/rating.rs and chain.rs).
--
-- MIGRATIONS ARE APPEND-ONLY. Never edit or reorder a migration that has shipped: terminals in
-- the field have already applied it. Change the schema by adding the next numbered file.

-- The citizen's free comment (góp ý), as composed on screen.
ALTER TABLE ratings ADD COLUMN comment TEXT;
-- 1 when the citizen filed a complaint or petition (phản ánh, kiến nghị) with the rating.
ALTER TABLE ratings ADD COLUMN complaint INTEGER NOT NULL DEFAULT 0;
-- With a call-back: the version of the consent text the citizen agreed to, and the digest of
-- the number that the hash chain covers (chain::phone_digest). NULL without a call-back.
ALTER TABLE ratings ADD COLUMN callback_consent TEXT;
ALTER TABLE ratings ADD COLUMN callback_digest TEXT;

-- The call-back number itself: personal data (Law 91/2025/QH15), kept apart from the sealed
-- rating so that it can be erased once the server holds it. Never shown on the terminal.
CREATE TABLE callback_phones (
    rating_id TEXT PRIMARY KEY NOT NULL REFERENCES ratings (id),
    phone     TEXT NOT NULL
) STRICT;
