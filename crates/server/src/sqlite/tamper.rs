//! Tamper evidence on the server (issue 8): walks each terminal's hash chain (see
//! `hailong_protocol::chain`) as its ratings arrive and records what does not verify as tamper
//! alerts.
//!
//! Verification never refuses, drops or changes a rating: it runs in the batch's transaction
//! (one commit, one fsync) but inside a savepoint, so a failure of its own is rolled back alone
//! and logged, and the next batch or heartbeat resumes from the head it stored.
//!
//! Findings, each recorded once:
//! - `edited`: a rating's content does not match its hash (changed after sealing, hash kept).
//! - `broken_link`: a rating's `prev_hash` is not the hash of the rating before it (or the
//!   terminal's genesis for seq 1): the one before was edited and rehashed, or replaced.
//! - `gap`: seqs missing below a stored higher one (ratings deleted). The walk goes on past it;
//!   when every missing seq has arrived, the segment is verified, the rating after it
//!   included, and the gap is resolved (the findings in the segment, if any, are recorded).
//! - `anchor`: the rating a heartbeat anchored (the kiosk's chain head then) arrives with
//!   another hash, or is missing while higher seqs arrived (resolved if it arrives later with
//!   the anchored hash), or the kiosk anchors the same seq with another hash, or its head goes
//!   backwards. Only the latest anchor is kept: a kiosk uploads before each heartbeat, so the
//!   rating of an anchor arrives before the next anchor replaces it.
//!
//! A seq the server quarantined (no stored rating) is walked with the hash its raw JSON
//! carries, if readable; without one, the next rating's link cannot be checked.

use chrono::{DateTime, Utc};
use hailong_protocol::{ChainHead, MAX_SEQ, Rating, chain};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{ms_to_rfc3339, to_ms};
use crate::store::TamperKind;

/// Seqs walked per step (bounds the memory a long backlog takes).
const PAGE: u64 = 1000;

/// How an anchor-missing alert's detail starts: found again to resolve it.
const ANCHOR_MISSING: &str = "anchored seq";

/// A seq the server accounted for, as the walk sees it.
struct Entry {
    seq: u64,
    /// The stored rating; `None` when the seq was quarantined instead.
    rating: Option<Rating>,
    /// The hash the next rating must link to, when known.
    hash: Option<String>,
}

/// The position the walk compares the next rating with.
type Prev = (u64, Option<String>);

/// Verifies, inside the caller's write transaction, what arrived since the last walk: in a
/// savepoint, so that a failure of the check is logged and rolled back alone and never costs
/// the batch or heartbeat (the next one resumes from the stored head). `at` is the server clock
/// of the batch or heartbeat.
pub(super) fn verify_in(tx: &mut Transaction<'_>, terminal_id: &str, at: DateTime<Utc>) {
    let result = tx.savepoint().and_then(|sp| {
        verify(&sp, terminal_id, at)?;
        sp.commit()
    });
    if let Err(error) = result {
        tracing::error!(
            terminal = terminal_id,
            %error,
            "chain verification failed; resumed with the next batch or heartbeat"
        );
    }
}

/// Walks the ratings of `terminal_id` that arrived since the last walk, page by page, then
/// verifies the gaps they filled.
fn verify(conn: &Connection, terminal_id: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    while walk_forward(conn, terminal_id, at)? {}
    fill_gaps(conn, terminal_id, at)
}

/// Walks one page above the stored head and moves the head. True when there may be more.
fn walk_forward(tx: &Connection, terminal_id: &str, at: DateTime<Utc>) -> rusqlite::Result<bool> {
    let (head_seq, head_hash): (i64, Option<String>) = tx.query_row(
        "SELECT chain_seq, chain_hash FROM terminals WHERE id = ?1",
        [terminal_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let head_seq = head_seq as u64;
    let entries = entries(tx, terminal_id, head_seq, MAX_SEQ, PAGE)?;
    let Some(last) = entries.last() else {
        return Ok(false);
    };
    let new_head = (last.seq, last.hash.clone());
    let mut anchor = Anchor::load(tx, terminal_id)?;
    let mut prev: Prev = if head_seq == 0 {
        (0, Some(chain::genesis(terminal_id)))
    } else {
        (head_seq, head_hash)
    };
    for entry in &entries {
        if entry.seq > prev.0 + 1 {
            let (first, last) = (prev.0 + 1, entry.seq - 1);
            let detail = format!(
                "{} missing below seq {}: ratings removed from the terminal (resolved if they arrive later and verify)",
                seqs(first, last),
                entry.seq
            );
            record(tx, terminal_id, TamperKind::Gap, first, last, &detail, at)?;
            if let Some(anchor) = &anchor {
                anchor.missing(tx, terminal_id, first, last, at)?;
            }
        }
        check(tx, terminal_id, &prev, entry, true, at)?;
        if let Some(anchor) = &mut anchor {
            anchor.compare(tx, terminal_id, entry, at)?;
        }
        prev = (entry.seq, entry.hash.clone());
    }
    tx.execute(
        "UPDATE terminals SET chain_seq = ?2, chain_hash = ?3 WHERE id = ?1",
        params![terminal_id, new_head.0 as i64, new_head.1],
    )?;
    Ok(entries.len() as u64 == PAGE)
}

/// Verifies each open gap whose seqs have all arrived, and resolves it.
fn fill_gaps(tx: &Connection, terminal_id: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    let gaps: Vec<(i64, u64, u64)> = tx
        .prepare_cached(
            "SELECT id, first_seq, last_seq FROM tamper_alerts
             WHERE terminal_id = ?1 AND kind = 'gap' AND resolved_at IS NULL ORDER BY first_seq",
        )?
        .query_map([terminal_id], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
            ))
        })?
        .collect::<Result<_, _>>()?;
    for (id, first, last) in gaps {
        let seen: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM seq_seen WHERE terminal_id = ?1 AND seq BETWEEN ?2 AND ?3",
            )?
            .query_row(params![terminal_id, first as i64, last as i64], |r| {
                r.get(0)
            })?;
        if (seen as u64) < last - first + 1 {
            continue;
        }
        let clean = verify_segment(tx, terminal_id, first, last, at)?;
        let resolution = if clean {
            "the missing ratings arrived later and the chain verifies across them"
        } else {
            "the missing ratings arrived later but do not verify: see the alerts recorded after this one"
        };
        tx.execute(
            "UPDATE tamper_alerts SET resolved_at = ?2, resolution = ?3 WHERE id = ?1",
            params![id, to_ms(at), resolution],
        )?;
        tracing::info!(terminal = terminal_id, first, last, clean, "gap filled");
    }
    Ok(())
}

/// Verifies seqs `first..=last` (all present) and the link of the rating after them. True
/// when nothing was found.
fn verify_segment(
    tx: &Connection,
    terminal_id: &str,
    first: u64,
    last: u64,
    at: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let mut prev: Prev = if first == 1 {
        (0, Some(chain::genesis(terminal_id)))
    } else {
        let before = entries(tx, terminal_id, first - 2, first - 1, 1)?;
        (first - 1, before.into_iter().next().and_then(|e| e.hash))
    };
    let mut anchor = Anchor::load(tx, terminal_id)?;
    let mut clean = true;
    // The rating after the gap: its content was checked when it arrived, its link was not.
    let end = last.saturating_add(1);
    while prev.0 < end {
        let page = entries(tx, terminal_id, prev.0, end, PAGE)?;
        if page.is_empty() {
            break;
        }
        for entry in &page {
            let inside = entry.seq <= last;
            clean &= check(tx, terminal_id, &prev, entry, inside, at)?;
            if inside && let Some(anchor) = &mut anchor {
                anchor.compare(tx, terminal_id, entry, at)?;
            }
            prev = (entry.seq, entry.hash.clone());
        }
    }
    Ok(clean)
}

/// Checks one entry's content (when `content`) and its link to `prev`; records what is wrong.
/// True when nothing was found.
fn check(
    tx: &Connection,
    terminal_id: &str,
    prev: &Prev,
    entry: &Entry,
    content: bool,
    at: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let Some(rating) = &entry.rating else {
        return Ok(true);
    };
    let mut clean = true;
    if content && chain::rating_hash(rating) != rating.hash {
        let detail = format!(
            "seq {}: the content does not match its hash {}: changed after sealing",
            entry.seq,
            short(&rating.hash)
        );
        record(
            tx,
            terminal_id,
            TamperKind::Edited,
            entry.seq,
            entry.seq,
            &detail,
            at,
        )?;
        clean = false;
    }
    if let (true, Some(prev_hash)) = (entry.seq == prev.0 + 1, &prev.1)
        && rating.prev_hash != *prev_hash
    {
        let detail = if prev.0 == 0 {
            format!(
                "seq 1 links to {}, not to the terminal's genesis {}: the chain was restarted or replaced",
                short(&rating.prev_hash),
                short(prev_hash)
            )
        } else {
            format!(
                "seq {} links to {}, but seq {} has hash {}: seq {} was changed and rehashed, or replaced",
                entry.seq,
                short(&rating.prev_hash),
                prev.0,
                short(prev_hash),
                prev.0
            )
        };
        record(
            tx,
            terminal_id,
            TamperKind::BrokenLink,
            entry.seq,
            entry.seq,
            &detail,
            at,
        )?;
        clean = false;
    }
    Ok(clean)
}

/// Stores the chain head a heartbeat reported as the terminal's anchor, and compares it with
/// the rating at its seq if the walk has passed it.
pub(super) fn anchor(
    tx: &Connection,
    terminal_id: &str,
    head: &ChainHead,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let mut contradicted = false;
    if let Some(old) = Anchor::load(tx, terminal_id)? {
        if old.seq == head.seq && old.hash == head.hash {
            return Ok(());
        }
        if head.seq < old.seq {
            let detail = format!(
                "the kiosk's chain head went back from seq {} to seq {} (anchored {}): ratings it had sealed were removed or its database was replaced",
                old.seq,
                head.seq,
                ms_to_rfc3339(old.at)
            );
            record(
                tx,
                terminal_id,
                TamperKind::Anchor,
                head.seq + 1,
                old.seq,
                &detail,
                at,
            )?;
        } else if head.seq == old.seq {
            let detail = format!(
                "seq {} was anchored with hash {} ({}) and now with {}: rewritten after anchoring",
                head.seq,
                short(&old.hash),
                ms_to_rfc3339(old.at),
                short(&head.hash)
            );
            record(
                tx,
                terminal_id,
                TamperKind::Anchor,
                head.seq,
                head.seq,
                &detail,
                at,
            )?;
            contradicted = true;
        }
    }
    // A contradicted anchor is not compared again: one alert says it.
    tx.execute(
        "UPDATE terminals SET anchor_seq = ?2, anchor_hash = ?3, anchor_at = ?4,
                anchor_checked_at = ?5
         WHERE id = ?1",
        params![
            terminal_id,
            head.seq as i64,
            head.hash,
            to_ms(at),
            contradicted.then(|| to_ms(at))
        ],
    )?;
    if contradicted {
        return Ok(());
    }
    let walked: i64 = tx.query_row(
        "SELECT chain_seq FROM terminals WHERE id = ?1",
        [terminal_id],
        |r| r.get(0),
    )?;
    if head.seq > walked as u64 {
        return Ok(());
    }
    let Some(mut anchor) = Anchor::load(tx, terminal_id)? else {
        return Ok(());
    };
    match entries(tx, terminal_id, head.seq - 1, head.seq, 1)?.first() {
        Some(entry) => anchor.compare(tx, terminal_id, entry, at),
        // Walked past but not held: it is inside a gap.
        None => anchor.missing(tx, terminal_id, head.seq, head.seq, at),
    }
}

/// The terminal's latest anchor.
struct Anchor {
    seq: u64,
    hash: String,
    at: i64,
    checked: bool,
}

impl Anchor {
    fn load(tx: &Connection, terminal_id: &str) -> rusqlite::Result<Option<Self>> {
        let row: Option<(Option<i64>, Option<String>, Option<i64>, Option<i64>)> = tx
            .prepare_cached(
                "SELECT anchor_seq, anchor_hash, anchor_at, anchor_checked_at
                 FROM terminals WHERE id = ?1",
            )?
            .query_row([terminal_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        Ok(match row {
            Some((Some(seq), Some(hash), Some(at), checked)) => Some(Self {
                seq: seq as u64,
                hash,
                at,
                checked: checked.is_some(),
            }),
            _ => None,
        })
    }

    /// Compares the anchor with the entry at its seq, once.
    fn compare(
        &mut self,
        tx: &Connection,
        terminal_id: &str,
        entry: &Entry,
        at: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        if self.checked || entry.seq != self.seq {
            return Ok(());
        }
        match &entry.hash {
            Some(hash) if *hash == self.hash => {
                tx.execute(
                    "UPDATE tamper_alerts SET resolved_at = ?3,
                            resolution = 'the anchored rating arrived later with the anchored hash'
                     WHERE terminal_id = ?1 AND kind = 'anchor' AND first_seq = ?2
                       AND last_seq = ?2 AND resolved_at IS NULL AND detail LIKE ?4",
                    params![
                        terminal_id,
                        self.seq as i64,
                        to_ms(at),
                        format!("{ANCHOR_MISSING}%")
                    ],
                )?;
            }
            Some(hash) => {
                let detail = format!(
                    "seq {} arrived with hash {}, but the kiosk anchored it with {} at {}: rewritten after anchoring",
                    self.seq,
                    short(hash),
                    short(&self.hash),
                    ms_to_rfc3339(self.at)
                );
                record(
                    tx,
                    terminal_id,
                    TamperKind::Anchor,
                    self.seq,
                    self.seq,
                    &detail,
                    at,
                )?;
            }
            // Quarantined without a readable hash: nothing to compare.
            None => {}
        }
        self.checked = true;
        tx.execute(
            "UPDATE terminals SET anchor_checked_at = ?2 WHERE id = ?1",
            params![terminal_id, to_ms(at)],
        )?;
        Ok(())
    }

    /// Records that the anchored seq is missing if it lies in `first..=last`.
    fn missing(
        &self,
        tx: &Connection,
        terminal_id: &str,
        first: u64,
        last: u64,
        at: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        if self.checked || !(first..=last).contains(&self.seq) {
            return Ok(());
        }
        let detail = format!(
            "{ANCHOR_MISSING} {} (hash {}, {}) is missing while higher seqs arrived: rewritten after anchoring",
            self.seq,
            short(&self.hash),
            ms_to_rfc3339(self.at)
        );
        record(
            tx,
            terminal_id,
            TamperKind::Anchor,
            self.seq,
            self.seq,
            &detail,
            at,
        )
    }
}

/// The accounted-for seqs of `terminal_id` in `after+1..=up_to`, at most `limit`, ascending.
fn entries(
    tx: &Connection,
    terminal_id: &str,
    after: u64,
    up_to: u64,
    limit: u64,
) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = tx.prepare_cached(
        "SELECT s.seq, r.content,
                CASE WHEN r.content IS NULL THEN
                    (SELECT q.raw FROM quarantine q
                     WHERE q.terminal_id = s.terminal_id AND q.seq = s.seq ORDER BY q.qid LIMIT 1)
                END
         FROM seq_seen s
         LEFT JOIN ratings r ON r.terminal_id = s.terminal_id AND r.seq = s.seq
         WHERE s.terminal_id = ?1 AND s.seq > ?2 AND s.seq <= ?3
         ORDER BY s.seq LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![
            terminal_id,
            after.min(MAX_SEQ) as i64,
            up_to.min(MAX_SEQ) as i64,
            limit as i64
        ],
        |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, content, raw) = row?;
        out.push(match content {
            Some(content) => match serde_json::from_str::<Rating>(&content) {
                Ok(rating) => Entry {
                    seq,
                    hash: Some(rating.hash.clone()),
                    rating: Some(rating),
                },
                Err(error) => {
                    // Stored from a parsed Rating: cannot happen short of a damaged database.
                    tracing::error!(terminal = terminal_id, seq, %error, "stored rating does not parse; not verified");
                    Entry {
                        seq,
                        rating: None,
                        hash: None,
                    }
                }
            },
            None => Entry {
                seq,
                rating: None,
                hash: raw.as_deref().and_then(raw_hash),
            },
        });
    }
    Ok(out)
}

/// The `hash` a quarantined rating's raw JSON carries, if well formed.
fn raw_hash(raw: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    value
        .get("hash")
        .and_then(serde_json::Value::as_str)
        .filter(|h| chain::is_hash(h))
        .map(str::to_owned)
}

/// Inserts an alert.
fn record(
    tx: &Connection,
    terminal_id: &str,
    kind: TamperKind,
    first: u64,
    last: u64,
    detail: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO tamper_alerts (terminal_id, kind, first_seq, last_seq, detail, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        terminal_id,
        kind.as_str(),
        first.min(MAX_SEQ) as i64,
        last.min(MAX_SEQ) as i64,
        detail,
        to_ms(at)
    ])?;
    tracing::warn!(
        terminal = terminal_id,
        kind = kind.as_str(),
        first,
        last,
        detail,
        "tamper alert"
    );
    Ok(())
}

/// "seq 7" or "seqs 7-9".
fn seqs(first: u64, last: u64) -> String {
    if first == last {
        format!("seq {first}")
    } else {
        format!("seqs {first}-{last}")
    }
}

/// The first 12 hex digits of a hash, enough to tell two apart in a message.
fn short(hash: &str) -> String {
    let head: String = hash.chars().take(12).collect();
    if head.len() < hash.len() {
        format!("{head}…")
    } else {
        head
    }
}
