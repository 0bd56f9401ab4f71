//! Applying an upload batch in one SQLite transaction: classify each rating (created,
//! duplicate, conflict, invalid), quarantine the bad ones, advance the terminal's contiguous
//! sequence, verify the terminal's hash chain (see `tamper`), and answer with the new sync
//! status.

use hailong_protocol::{Flag, MAX_SEQ, Rating, RatingOutcome, RatingResult, UploadSummary};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;

use super::{sync_status, to_ms};
use crate::store::{IngestContext, IngestItem, IngestOutcome};

/// Prepared statements used per rating.
struct Stmts<'t> {
    by_id: CachedStatement<'t>,
    by_key: CachedStatement<'t>,
    insert: CachedStatement<'t>,
    seen: CachedStatement<'t>,
    quarantine: CachedStatement<'t>,
}

impl<'t> Stmts<'t> {
    fn new(tx: &'t Transaction<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            by_id: tx.prepare_cached(
                "SELECT terminal_id, seq, content_hash FROM ratings WHERE id = ?1",
            )?,
            by_key: tx
                .prepare_cached("SELECT id FROM ratings WHERE terminal_id = ?1 AND seq = ?2")?,
            insert: tx.prepare_cached(
                "INSERT INTO ratings (id, terminal_id, seq, content, content_hash, commune_code,
                     counter_id, staff_id, field_id, dossier_code, stage, level, level_count,
                     device_time, received_at, clock_offset_s, clock_suspect, complaint,
                     suspected_repeat, dossier_repeat)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                         ?18, ?19, ?20)",
            )?,
            seen: tx.prepare_cached(
                "INSERT OR IGNORE INTO seq_seen (terminal_id, seq) VALUES (?1, ?2)",
            )?,
            quarantine: tx.prepare_cached(
                "INSERT OR IGNORE INTO quarantine
                     (terminal_id, seq, rating_id, kind, field, message, raw, raw_hash, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
        })
    }
}

/// Running totals of one batch.
#[derive(Default)]
struct Tally {
    summary: UploadSummary,
    stored: i64,
    quarantined: i64,
}

pub(super) fn ingest(
    conn: &mut Connection,
    terminal_id: &str,
    items: Vec<IngestItem>,
    ctx: &IngestContext,
) -> rusqlite::Result<IngestOutcome> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut tally = Tally::default();
    let mut results = Vec::with_capacity(items.len());
    {
        let mut stmts = Stmts::new(&tx)?;
        for item in items {
            results.push(apply(&mut stmts, terminal_id, item, ctx, &mut tally)?);
        }
    }
    let contiguous = advance_contiguous(&tx, terminal_id)?;
    tx.execute(
        "UPDATE terminals SET contiguous_seq = ?2, stored_count = stored_count + ?3,
                quarantined_count = quarantined_count + ?4, last_seen_at = ?5
         WHERE id = ?1",
        params![
            terminal_id,
            contiguous,
            tally.stored,
            tally.quarantined,
            to_ms(ctx.received_at)
        ],
    )?;
    // Tamper evidence: walk the chain as far as it now reaches. Never costs the batch.
    super::tamper::verify_in(&mut tx, terminal_id, ctx.received_at);
    let sync = sync_status(&tx, terminal_id, ctx.received_at)?;
    tx.commit()?;
    Ok(IngestOutcome {
        results,
        summary: tally.summary,
        sync,
    })
}

fn apply(
    stmts: &mut Stmts<'_>,
    terminal_id: &str,
    item: IngestItem,
    ctx: &IngestContext,
    tally: &mut Tally,
) -> rusqlite::Result<RatingResult> {
    match item {
        IngestItem::Valid {
            index,
            rating,
            canonical,
            content_hash,
        } => {
            let outcome = classify(stmts, terminal_id, &rating, &content_hash)?;
            let seq = rating.seq as i64;
            match &outcome {
                RatingOutcome::Created => {
                    insert(stmts, terminal_id, &rating, &canonical, &content_hash, ctx)?;
                    tally.stored += 1;
                    tally.summary.created += 1;
                }
                RatingOutcome::Duplicate => tally.summary.duplicate += 1,
                RatingOutcome::Conflict { message } => {
                    let q = Quarantined {
                        seq: Some(seq),
                        rating_id: Some(rating.id.to_string()),
                        kind: "conflict",
                        field: None,
                        message,
                        raw: &canonical,
                        raw_hash: &content_hash,
                    };
                    tally.quarantined += quarantine(stmts, terminal_id, &q, ctx)?;
                    tally.summary.conflict += 1;
                }
                RatingOutcome::Invalid { .. } | RatingOutcome::Unknown => {
                    unreachable!("classify only answers created, duplicate or conflict")
                }
            }
            stmts.seen.execute(params![terminal_id, seq])?;
            Ok(RatingResult {
                index,
                id: Some(rating.id),
                seq: Some(rating.seq),
                outcome,
            })
        }
        IngestItem::Invalid {
            index,
            id,
            seq,
            field,
            message,
            raw,
            raw_hash,
        } => {
            let seq = seq.filter(|s| (1..=MAX_SEQ).contains(s));
            let q = Quarantined {
                seq: seq.map(|s| s as i64),
                rating_id: id.map(|i| i.to_string()),
                kind: "invalid",
                field: Some(&field),
                message: &message,
                raw: &raw,
                raw_hash: &raw_hash,
            };
            tally.quarantined += quarantine(stmts, terminal_id, &q, ctx)?;
            tally.summary.invalid += 1;
            if let Some(s) = seq {
                // Accounted for, so the terminal's resume point moves past it: a bad rating
                // never blocks the ones behind it.
                stmts.seen.execute(params![terminal_id, s as i64])?;
            }
            Ok(RatingResult {
                index,
                id,
                seq,
                outcome: RatingOutcome::Invalid { field, message },
            })
        }
    }
}

/// Created, duplicate (same id, key and content) or conflict (the id or the key is held with
/// something else).
fn classify(
    stmts: &mut Stmts<'_>,
    terminal_id: &str,
    rating: &Rating,
    content_hash: &str,
) -> rusqlite::Result<RatingOutcome> {
    let seq = rating.seq as i64;
    let held: Option<(String, i64, String)> = stmts
        .by_id
        .query_row([rating.id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if let Some((t, s, hash)) = held {
        return Ok(if t == terminal_id && s == seq && hash == content_hash {
            RatingOutcome::Duplicate
        } else if t == terminal_id && s == seq {
            RatingOutcome::Conflict {
                message: "this id and seq are held with different content".into(),
            }
        } else {
            RatingOutcome::Conflict {
                message: "this id is held under another terminal or seq".into(),
            }
        });
    }
    let other: Option<String> = stmts
        .by_key
        .query_row(params![terminal_id, seq], |r| r.get(0))
        .optional()?;
    Ok(match other {
        Some(other_id) => RatingOutcome::Conflict {
            message: format!("seq {seq} is held by another rating ({other_id})"),
        },
        None => RatingOutcome::Created,
    })
}

fn insert(
    stmts: &mut Stmts<'_>,
    terminal_id: &str,
    r: &Rating,
    canonical: &str,
    content_hash: &str,
    ctx: &IngestContext,
) -> rusqlite::Result<()> {
    stmts.insert.execute(params![
        r.id.to_string(),
        terminal_id,
        r.seq as i64,
        canonical,
        content_hash,
        r.commune_code,
        r.counter_id,
        r.staff_id,
        r.field_id,
        r.dossier_code,
        wire_name(&r.stage),
        r.level,
        r.level_count,
        r.device_time,
        to_ms(ctx.received_at),
        ctx.clock_offset_s,
        ctx.clock_suspect,
        r.complaint,
        r.flags.contains(&Flag::SuspectedRepeat),
        r.flags.contains(&Flag::DossierRepeat),
    ])?;
    Ok(())
}

/// A quarantine row.
struct Quarantined<'a> {
    seq: Option<i64>,
    rating_id: Option<String>,
    kind: &'static str,
    field: Option<&'a str>,
    message: &'a str,
    raw: &'a str,
    raw_hash: &'a str,
}

/// Quarantines once per distinct content; returns 1 when a new row was written.
fn quarantine(
    stmts: &mut Stmts<'_>,
    terminal_id: &str,
    q: &Quarantined<'_>,
    ctx: &IngestContext,
) -> rusqlite::Result<i64> {
    let n = stmts.quarantine.execute(params![
        terminal_id,
        q.seq,
        q.rating_id,
        q.kind,
        q.field,
        q.message,
        q.raw,
        q.raw_hash,
        to_ms(ctx.received_at),
    ])?;
    Ok(n as i64)
}

/// Moves the terminal's contiguous seq to the end of the run that starts right above it.
fn advance_contiguous(tx: &Transaction<'_>, terminal_id: &str) -> rusqlite::Result<i64> {
    let current: i64 = tx.query_row(
        "SELECT contiguous_seq FROM terminals WHERE id = ?1",
        [terminal_id],
        |r| r.get(0),
    )?;
    let next_held: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM seq_seen WHERE terminal_id = ?1 AND seq = ?2)",
        )?
        .query_row(params![terminal_id, current + 1], |r| r.get(0))?;
    if !next_held {
        return Ok(current);
    }
    // The first seq above `current` whose successor is missing ends the run.
    tx.prepare_cached(
        "SELECT s.seq FROM seq_seen s
         WHERE s.terminal_id = ?1 AND s.seq > ?2
           AND NOT EXISTS (SELECT 1 FROM seq_seen n WHERE n.terminal_id = ?1 AND n.seq = s.seq + 1)
         ORDER BY s.seq LIMIT 1",
    )?
    .query_row(params![terminal_id, current], |r| r.get(0))
}

/// The serde name of a unit enum value ("receipt").
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
