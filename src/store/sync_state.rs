//! The sync's side of the store: which sealed ratings the server holds or quarantined, the
//! queue of the rest, and the sync's last success and error.

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Store, StoreError, StoredRating, rating};

/// What the server said about one rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server holds it (created or duplicate).
    Sent,
    /// The server refused and kept it (conflict or invalid); `detail` says why.
    Quarantined { detail: String },
}

/// A rating the server quarantined, for technicians.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Quarantined {
    pub id: Uuid,
    pub seq: u64,
    pub detail: String,
    pub at: String,
}

/// Keys of `sync_meta`.
pub mod meta {
    /// RFC 3339 time of the last round that reached the server and finished.
    pub const LAST_SUCCESS: &str = "last_success";
    /// Text of the last error, empty after a success.
    pub const LAST_ERROR: &str = "last_error";
    /// RFC 3339 time of the last attempt.
    pub const LAST_ATTEMPT: &str = "last_attempt";
    /// Device clock minus server clock, seconds, from the last heartbeat.
    pub const CLOCK_OFFSET: &str = "clock_offset_seconds";
    /// Followed by a terminal id: the highest seq of it this database has put in an upload.
    pub const UPLOADED_THROUGH_PREFIX: &str = "uploaded_through/";
}

impl Store {
    /// Sealed ratings of `terminal` above `after` that the server has not answered for, in
    /// sequence order.
    pub fn unsent(
        &self,
        terminal: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredRating>, StoreError> {
        rating::select(
            self.connection(),
            "WHERE r.terminal_id = ?1 AND r.seq > ?2
               AND NOT EXISTS (SELECT 1 FROM sync_outcomes o WHERE o.rating_id = r.id)
             ORDER BY r.seq LIMIT ?3",
            params![
                terminal,
                i64::try_from(after).unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
        )
    }

    /// Records the server's answers, in one transaction.
    pub fn record_outcomes(
        &mut self,
        outcomes: &[(Uuid, Outcome)],
        at: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let tx = self.connection_mut().transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO sync_outcomes (rating_id, status, detail, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (rating_id) DO UPDATE SET status = excluded.status,
                     detail = excluded.detail, at = excluded.at",
            )?;
            // The server holds a sent rating's call-back number now: the terminal no longer
            // needs it (its digest stays, for the chain).
            let mut erase = tx.prepare("DELETE FROM callback_phones WHERE rating_id = ?1")?;
            for (id, outcome) in outcomes {
                let (status, detail) = match outcome {
                    Outcome::Sent => ("sent", None),
                    Outcome::Quarantined { detail } => ("quarantined", Some(detail.as_str())),
                };
                let _ = stmt.execute(params![id.to_string(), status, detail, at.to_rfc3339()])?;
                if matches!(outcome, Outcome::Sent) {
                    let _ = erase.execute([id.to_string()])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks every unanswered sealed rating of `terminal` up to `seq` as held by the server
    /// (the server said it accounts for all of 1..=seq). Returns how many were marked.
    pub fn mark_accounted(
        &mut self,
        terminal: &str,
        seq: u64,
        at: DateTime<FixedOffset>,
    ) -> Result<usize, StoreError> {
        let marked = self.connection().execute(
            "INSERT INTO sync_outcomes (rating_id, status, detail, at)
             SELECT r.id, 'sent', 'accounted for by the server', ?3 FROM ratings r
             WHERE r.terminal_id = ?1 AND r.seq IS NOT NULL AND r.seq <= ?2
               AND NOT EXISTS (SELECT 1 FROM sync_outcomes o WHERE o.rating_id = r.id)",
            params![
                terminal,
                i64::try_from(seq).unwrap_or(i64::MAX),
                at.to_rfc3339()
            ],
        )?;
        let _ = self.connection().execute(
            "DELETE FROM callback_phones WHERE EXISTS (
                 SELECT 1 FROM ratings r JOIN sync_outcomes o ON o.rating_id = r.id
                 WHERE r.id = callback_phones.rating_id AND r.terminal_id = ?1
                   AND r.seq <= ?2 AND o.status = 'sent')",
            params![terminal, i64::try_from(seq).unwrap_or(i64::MAX)],
        )?;
        Ok(marked)
    }

    /// Erases the call-back numbers of ratings sealed before `cutoff` that never reached a
    /// server (an unlinked or long-offline terminal): a number is kept only as long as it can
    /// still serve its call-back. Returns how many were erased; the digests stay, so the chain
    /// still verifies.
    pub fn erase_old_callback_numbers(
        &mut self,
        cutoff: DateTime<FixedOffset>,
    ) -> Result<usize, StoreError> {
        // Driven by the (small) table of numbers, each looked up by the ratings' key: never a
        // scan of all ratings.
        let erased = self.connection().execute(
            "DELETE FROM callback_phones WHERE (
                 SELECT r.sealed_at_ms FROM ratings r
                 WHERE r.id = callback_phones.rating_id AND r.seq IS NOT NULL) < ?1",
            [cutoff.timestamp_millis()],
        )?;
        if erased > 0 {
            tracing::info!(erased, "erased call-back numbers past their keeping time");
        }
        Ok(erased)
    }

    /// Sealed ratings of `terminal` the server has not answered for.
    pub fn queue_len(&self, terminal: &str) -> Result<u64, StoreError> {
        let n: i64 = self.connection().query_row(
            "SELECT count(*) FROM ratings r WHERE r.terminal_id = ?1 AND r.seq IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM sync_outcomes o WHERE o.rating_id = r.id)",
            [terminal],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Sealed ratings the server has not answered for, per terminal id (every id this
    /// database has recorded under, the earlier ones of a re-provisioned terminal included).
    pub fn queues(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self.connection().prepare(
            "SELECT r.terminal_id, count(*) FROM ratings r WHERE r.seq IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM sync_outcomes o WHERE o.rating_id = r.id)
             GROUP BY r.terminal_id ORDER BY r.terminal_id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        let mut queues = Vec::new();
        for row in rows {
            let (terminal, n) = row?;
            queues.push((terminal, u64::try_from(n).unwrap_or(0)));
        }
        Ok(queues)
    }

    /// Ratings the server quarantined, most recent first.
    pub fn quarantined(&self, limit: usize) -> Result<Vec<Quarantined>, StoreError> {
        let mut stmt = self.connection().prepare(
            "SELECT r.id, r.seq, coalesce(o.detail, ''), o.at FROM sync_outcomes o
             JOIN ratings r ON r.id = o.rating_id
             WHERE o.status = 'quarantined' ORDER BY r.seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, seq, detail, at) = row?;
            out.push(Quarantined {
                id: Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt {
                    id: id.clone(),
                    message: e.to_string(),
                })?,
                seq: u64::try_from(seq).unwrap_or(0),
                detail,
                at,
            });
        }
        Ok(out)
    }

    /// Makes the next sequence number of `terminal` at least `above + 1` (the server already
    /// holds numbers up to `above`, e.g. after this terminal's database was replaced).
    pub fn raise_sequence(&mut self, terminal: &str, above: u64) -> Result<bool, StoreError> {
        let above = i64::try_from(above).unwrap_or(i64::MAX);
        let changed = self.connection().execute(
            "INSERT INTO sequences (terminal_id, last_seq) VALUES (?1, ?2)
             ON CONFLICT (terminal_id) DO UPDATE SET last_seq = ?2 WHERE last_seq < ?2",
            params![terminal, above],
        )?;
        Ok(changed > 0)
    }

    /// A value of `sync_meta`.
    pub fn sync_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .connection()
            .query_row("SELECT value FROM sync_meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Sets values of `sync_meta`, in one transaction.
    pub fn set_sync_meta(&mut self, values: &[(&str, &str)]) -> Result<(), StoreError> {
        let tx = self.connection_mut().transaction()?;
        for (key, value) in values {
            let _ = tx.execute(
                "INSERT INTO sync_meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// The highest seq of `terminal` this database has put in an upload (0 when none).
    pub fn uploaded_through(&self, terminal: &str) -> Result<u64, StoreError> {
        Ok(self
            .sync_meta(&format!("{}{terminal}", meta::UPLOADED_THROUGH_PREFIX))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Notes, before a batch is sent, that seqs of `terminal` up to `seq` have been uploaded.
    pub fn note_upload(&mut self, terminal: &str, seq: u64) -> Result<(), StoreError> {
        if seq <= self.uploaded_through(terminal)? {
            return Ok(());
        }
        let key = format!("{}{terminal}", meta::UPLOADED_THROUGH_PREFIX);
        self.set_sync_meta(&[(&key, &seq.to_string())])
    }

    /// Ratings of `terminal` the server quarantined.
    pub fn quarantined_count(&self, terminal: &str) -> Result<u64, StoreError> {
        let n: i64 = self.connection().query_row(
            "SELECT count(*) FROM sync_outcomes o JOIN ratings r ON r.id = o.rating_id
             WHERE r.terminal_id = ?1 AND o.status = 'quarantined'",
            [terminal],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The highest seq of `terminal` marked sent (0 when none).
    pub fn highest_sent(&self, terminal: &str) -> Result<u64, StoreError> {
        let n: Option<i64> = self.connection().query_row(
            "SELECT max(r.seq) FROM ratings r JOIN sync_outcomes o ON o.rating_id = r.id
             WHERE r.terminal_id = ?1 AND o.status = 'sent'",
            [terminal],
            |row| row.get(0),
        )?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// Forgets the 'sent' marks of `terminal` above `seq`, so those ratings are sent again
    /// (the server lost them). Quarantine marks stay.
    pub fn forget_sent_above(&mut self, terminal: &str, seq: u64) -> Result<usize, StoreError> {
        let forgotten = self.connection().execute(
            "DELETE FROM sync_outcomes WHERE status = 'sent' AND rating_id IN
                 (SELECT id FROM ratings WHERE terminal_id = ?1 AND seq > ?2)",
            params![terminal, i64::try_from(seq).unwrap_or(i64::MAX)],
        )?;
        Ok(forgotten)
    }
}

impl Store {
    /// The chain head of `terminal`, sent with each heartbeat as an anchor: the last sealed
    /// seq and hash from `sequences`, which survive the rating rows. `None` before the first
    /// rating (or when the sequence was raised above the server's before any rating).
    pub fn chain_head(
        &self,
        terminal: &str,
    ) -> Result<Option<hailong_protocol::ChainHead>, StoreError> {
        let head: Option<(i64, Option<String>)> = self
            .connection()
            .query_row(
                "SELECT last_seq, last_hash FROM sequences WHERE terminal_id = ?1",
                [terminal],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((mut seq, Some(hash))) = head else {
            return Ok(None);
        };
        // `raise_sequence` moves last_seq past the rating last_hash belongs to: anchor that
        // rating. When no rating has the hash, the rows were removed: anchor what was sealed.
        let held: Option<i64> = self.connection().query_row(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM ratings
                                      WHERE terminal_id = ?1 AND seq = ?2 AND hash = ?3)
                         THEN ?2
                         ELSE (SELECT max(seq) FROM ratings WHERE terminal_id = ?1 AND hash = ?3)
                    END",
            params![terminal, seq, hash],
            |row| row.get(0),
        )?;
        if let Some(held) = held {
            seq = held;
        }
        Ok(u64::try_from(seq)
            .ok()
            .filter(|seq| *seq > 0)
            .map(|seq| hailong_protocol::ChainHead { seq, hash }))
    }
}
