//! Tamper evidence in the PostgreSQL store: the same walk of each terminal's hash chain as
//! the SQLite store (see `crate::sqlite::tamper`, whose documentation describes the findings),
//! over tokio-postgres. It runs in the batch's or heartbeat's transaction, under the
//! terminal's row lock, inside a savepoint: a failure of its own is rolled back alone and
//! logged, and the next batch or heartbeat resumes from the head it stored.

use chrono::{DateTime, Utc};
use hailong_protocol::{ChainHead, MAX_SEQ, Rating, chain};
use tokio_postgres::Transaction;

use crate::sqlite::{ms_to_rfc3339, to_ms};
use crate::store::TamperKind;

type PgResult<T> = Result<T, tokio_postgres::Error>;

/// Seqs walked per page (bounds memory).
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

/// Verifies, inside the caller's transaction and in a savepoint, what arrived since the last
/// walk. Never fails: a failure is logged and rolled back alone.
pub(super) async fn verify_in(tx: &mut Transaction<'_>, terminal_id: &str, at: DateTime<Utc>) {
    let result = async {
        let sp = tx.savepoint("tamper").await?;
        match verify(&sp, terminal_id, at).await {
            Ok(()) => sp.commit().await,
            Err(e) => {
                sp.rollback().await?;
                Err(e)
            }
        }
    }
    .await;
    if let Err(error) = result {
        tracing::error!(
            terminal = terminal_id,
            %error,
            "chain verification failed; resumed with the next batch or heartbeat"
        );
    }
}

async fn verify(tx: &Transaction<'_>, terminal_id: &str, at: DateTime<Utc>) -> PgResult<()> {
    while walk_forward(tx, terminal_id, at).await? {}
    fill_gaps(tx, terminal_id, at).await
}

/// Walks one page above the stored head and moves the head. True when there may be more.
async fn walk_forward(
    tx: &Transaction<'_>,
    terminal_id: &str,
    at: DateTime<Utc>,
) -> PgResult<bool> {
    let row = tx
        .query_one(
            "SELECT chain_seq, chain_hash FROM terminals WHERE id = $1",
            &[&terminal_id],
        )
        .await?;
    let (head_seq, head_hash): (i64, Option<String>) = (row.get(0), row.get(1));
    let head_seq = head_seq as u64;
    let entries = entries(tx, terminal_id, head_seq, MAX_SEQ, PAGE).await?;
    let Some(last) = entries.last() else {
        return Ok(false);
    };
    let new_head = (last.seq, last.hash.clone());
    let mut anchor = Anchor::load(tx, terminal_id).await?;
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
            record(tx, terminal_id, TamperKind::Gap, first, last, &detail, at).await?;
            if let Some(anchor) = &anchor {
                anchor.missing(tx, terminal_id, first, last, at).await?;
            }
        }
        check(tx, terminal_id, &prev, entry, true, at).await?;
        if let Some(anchor) = &mut anchor {
            anchor.compare(tx, terminal_id, entry, at).await?;
        }
        prev = (entry.seq, entry.hash.clone());
    }
    tx.execute(
        "UPDATE terminals SET chain_seq = $2, chain_hash = $3 WHERE id = $1",
        &[&terminal_id, &(new_head.0 as i64), &new_head.1],
    )
    .await?;
    Ok(entries.len() as u64 == PAGE)
}

/// Verifies each open gap whose seqs have all arrived, and resolves it.
async fn fill_gaps(tx: &Transaction<'_>, terminal_id: &str, at: DateTime<Utc>) -> PgResult<()> {
    let gaps: Vec<(i64, u64, u64)> = tx
        .query(
            "SELECT id, first_seq, last_seq FROM tamper_alerts
             WHERE terminal_id = $1 AND kind = 'gap' AND resolved_at IS NULL ORDER BY first_seq",
            &[&terminal_id],
        )
        .await?
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get::<_, i64>(1) as u64,
                r.get::<_, i64>(2) as u64,
            )
        })
        .collect();
    for (id, first, last) in gaps {
        let seen: i64 = tx
            .query_one(
                "SELECT count(*) FROM seq_seen WHERE terminal_id = $1 AND seq BETWEEN $2 AND $3",
                &[&terminal_id, &(first as i64), &(last as i64)],
            )
            .await?
            .get(0);
        if (seen as u64) < last - first + 1 {
            continue;
        }
        let clean = verify_segment(tx, terminal_id, first, last, at).await?;
        let resolution = if clean {
            "the missing ratings arrived later and the chain verifies across them"
        } else {
            "the missing ratings arrived later but do not verify: see the alerts recorded after this one"
        };
        tx.execute(
            "UPDATE tamper_alerts SET resolved_at = $2, resolution = $3 WHERE id = $1",
            &[&id, &to_ms(at), &resolution],
        )
        .await?;
        tracing::info!(terminal = terminal_id, first, last, clean, "gap filled");
    }
    Ok(())
}

/// Verifies seqs `first..=last` (all present) and the link of the rating after them. True
/// when nothing was found.
async fn verify_segment(
    tx: &Transaction<'_>,
    terminal_id: &str,
    first: u64,
    last: u64,
    at: DateTime<Utc>,
) -> PgResult<bool> {
    let mut prev: Prev = if first == 1 {
        (0, Some(chain::genesis(terminal_id)))
    } else {
        let before = entries(tx, terminal_id, first - 2, first - 1, 1).await?;
        (first - 1, before.into_iter().next().and_then(|e| e.hash))
    };
    let mut anchor = Anchor::load(tx, terminal_id).await?;
    let mut clean = true;
    // The rating after the gap: its content was checked when it arrived, its link was not.
    let end = last.saturating_add(1);
    while prev.0 < end {
        let page = entries(tx, terminal_id, prev.0, end, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for entry in &page {
            let inside = entry.seq <= last;
            clean &= check(tx, terminal_id, &prev, entry, inside, at).await?;
            if inside && let Some(anchor) = &mut anchor {
                anchor.compare(tx, terminal_id, entry, at).await?;
            }
            prev = (entry.seq, entry.hash.clone());
        }
    }
    Ok(clean)
}

/// Checks one entry's content (when `content`) and its link to `prev`; records what is wrong.
/// True when nothing was found.
async fn check(
    tx: &Transaction<'_>,
    terminal_id: &str,
    prev: &Prev,
    entry: &Entry,
    content: bool,
    at: DateTime<Utc>,
) -> PgResult<bool> {
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
        )
        .await?;
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
        )
        .await?;
        clean = false;
    }
    Ok(clean)
}

/// Stores the chain head a heartbeat reported as the terminal's anchor, and compares it with
/// the rating at its seq if the walk has passed it.
pub(super) async fn anchor(
    tx: &Transaction<'_>,
    terminal_id: &str,
    head: &ChainHead,
    at: DateTime<Utc>,
) -> PgResult<()> {
    let mut contradicted = false;
    if let Some(old) = Anchor::load(tx, terminal_id).await? {
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
            )
            .await?;
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
            )
            .await?;
            contradicted = true;
        }
    }
    // A contradicted anchor is not compared again: one alert says it.
    tx.execute(
        "UPDATE terminals SET anchor_seq = $2, anchor_hash = $3, anchor_at = $4,
                anchor_checked_at = $5
         WHERE id = $1",
        &[
            &terminal_id,
            &(head.seq as i64),
            &head.hash,
            &to_ms(at),
            &contradicted.then(|| to_ms(at)),
        ],
    )
    .await?;
    if contradicted {
        return Ok(());
    }
    let walked: i64 = tx
        .query_one(
            "SELECT chain_seq FROM terminals WHERE id = $1",
            &[&terminal_id],
        )
        .await?
        .get(0);
    if head.seq > walked as u64 {
        return Ok(());
    }
    let Some(mut anchor) = Anchor::load(tx, terminal_id).await? else {
        return Ok(());
    };
    match entries(tx, terminal_id, head.seq - 1, head.seq, 1)
        .await?
        .first()
    {
        Some(entry) => anchor.compare(tx, terminal_id, entry, at).await,
        // Walked past but not held: it is inside a gap.
        None => {
            anchor
                .missing(tx, terminal_id, head.seq, head.seq, at)
                .await
        }
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
    async fn load(tx: &Transaction<'_>, terminal_id: &str) -> PgResult<Option<Self>> {
        let row = tx
            .query_opt(
                "SELECT anchor_seq, anchor_hash, anchor_at, anchor_checked_at
                 FROM terminals WHERE id = $1",
                &[&terminal_id],
            )
            .await?;
        Ok(row.and_then(|r| {
            match (
                r.get::<_, Option<i64>>(0),
                r.get::<_, Option<String>>(1),
                r.get::<_, Option<i64>>(2),
                r.get::<_, Option<i64>>(3),
            ) {
                (Some(seq), Some(hash), Some(at), checked) => Some(Self {
                    seq: seq as u64,
                    hash,
                    at,
                    checked: checked.is_some(),
                }),
                _ => None,
            }
        }))
    }

    /// Compares the anchor with the entry at its seq, once.
    async fn compare(
        &mut self,
        tx: &Transaction<'_>,
        terminal_id: &str,
        entry: &Entry,
        at: DateTime<Utc>,
    ) -> PgResult<()> {
        if self.checked || entry.seq != self.seq {
            return Ok(());
        }
        match &entry.hash {
            Some(hash) if *hash == self.hash => {
                tx.execute(
                    "UPDATE tamper_alerts SET resolved_at = $3,
                            resolution = 'the anchored rating arrived later with the anchored hash'
                     WHERE terminal_id = $1 AND kind = 'anchor' AND first_seq = $2
                       AND last_seq = $2 AND resolved_at IS NULL AND detail LIKE $4",
                    &[
                        &terminal_id,
                        &(self.seq as i64),
                        &to_ms(at),
                        &format!("{ANCHOR_MISSING}%"),
                    ],
                )
                .await?;
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
                )
                .await?;
            }
            // Quarantined without a readable hash: nothing to compare.
            None => {}
        }
        self.checked = true;
        tx.execute(
            "UPDATE terminals SET anchor_checked_at = $2 WHERE id = $1",
            &[&terminal_id, &to_ms(at)],
        )
        .await?;
        Ok(())
    }

    /// Records that the anchored seq is missing if it lies in `first..=last`.
    async fn missing(
        &self,
        tx: &Transaction<'_>,
        terminal_id: &str,
        first: u64,
        last: u64,
        at: DateTime<Utc>,
    ) -> PgResult<()> {
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
        .await
    }
}

/// The accounted-for seqs of `terminal_id` in `after+1..=up_to`, at most `limit`, ascending.
async fn entries(
    tx: &Transaction<'_>,
    terminal_id: &str,
    after: u64,
    up_to: u64,
    limit: u64,
) -> PgResult<Vec<Entry>> {
    let rows = tx
        .query(
            "SELECT s.seq, r.content,
                    CASE WHEN r.content IS NULL THEN
                        (SELECT q.raw FROM quarantine q
                         WHERE q.terminal_id = s.terminal_id AND q.seq = s.seq
                         ORDER BY q.qid LIMIT 1)
                    END
             FROM seq_seen s
             LEFT JOIN ratings r ON r.terminal_id = s.terminal_id AND r.seq = s.seq
             WHERE s.terminal_id = $1 AND s.seq > $2 AND s.seq <= $3
             ORDER BY s.seq LIMIT $4",
            &[
                &terminal_id,
                &(after.min(MAX_SEQ) as i64),
                &(up_to.min(MAX_SEQ) as i64),
                &(limit as i64),
            ],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let seq = row.get::<_, i64>(0) as u64;
        let content: Option<String> = row.get(1);
        let raw: Option<String> = row.get(2);
        out.push(match content {
            Some(content) => match serde_json::from_str::<Rating>(&content) {
                Ok(rating) => Entry {
                    seq,
                    hash: Some(rating.hash.clone()),
                    rating: Some(rating),
                },
                Err(error) => {
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
async fn record(
    tx: &Transaction<'_>,
    terminal_id: &str,
    kind: TamperKind,
    first: u64,
    last: u64,
    detail: &str,
    at: DateTime<Utc>,
) -> PgResult<()> {
    tx.execute(
        "INSERT INTO tamper_alerts (terminal_id, kind, first_seq, last_seq, detail, received_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &terminal_id,
            &kind.as_str(),
            &(first.min(MAX_SEQ) as i64),
            &(last.min(MAX_SEQ) as i64),
            &detail,
            &to_ms(at),
        ],
    )
    .await?;
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
