//! Applying an upload batch in one PostgreSQL transaction, with the semantics of the SQLite
//! store (`crate::sqlite::ingest`): classify each rating (created, duplicate, conflict,
//! invalid), quarantine the bad ones, advance the terminal's contiguous sequence, verify the
//! hash chain, and answer with the new sync status.
//!
//! The terminal's row is locked first: batches of one terminal, whichever server process
//! received them, apply one after the other. Inserts are `ON CONFLICT DO NOTHING`; a rating
//! that was not inserted is classified by comparing what is held.

use hailong_protocol::{Flag, MAX_SEQ, Rating, RatingOutcome, RatingResult, UploadSummary};
use serde::Serialize;
use tokio_postgres::{Statement, Transaction};

use super::sync_status;
use crate::sqlite::to_ms;
use crate::store::{IngestContext, IngestItem, IngestOutcome};

/// Prepared statements used per rating.
struct Stmts {
    by_id: Statement,
    by_key: Statement,
    insert: Statement,
    seen: Statement,
    quarantine: Statement,
}

impl Stmts {
    async fn new(tx: &Transaction<'_>) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            by_id: tx
                .prepare("SELECT terminal_id, seq, content_hash FROM ratings WHERE id = $1")
                .await?,
            by_key: tx
                .prepare("SELECT id FROM ratings WHERE terminal_id = $1 AND seq = $2")
                .await?,
            insert: tx
                .prepare(
                    "INSERT INTO ratings (id, terminal_id, seq, content, content_hash,
                         commune_code, counter_id, staff_id, field_id, dossier_code, stage, level,
                         level_count, device_time, received_at, clock_offset_s, clock_suspect,
                         complaint, suspected_repeat, dossier_repeat)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                             $16, $17, $18, $19, $20)
                     ON CONFLICT DO NOTHING",
                )
                .await?,
            seen: tx
                .prepare(
                    "INSERT INTO seq_seen (terminal_id, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .await?,
            quarantine: tx
                .prepare(
                    "INSERT INTO quarantine
                         (terminal_id, seq, rating_id, kind, field, message, raw, raw_hash,
                          received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (terminal_id, raw_hash) DO NOTHING",
                )
                .await?,
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

pub(super) async fn ingest(
    tx: &mut Transaction<'_>,
    terminal_id: &str,
    items: &[IngestItem],
    ctx: &IngestContext,
) -> Result<IngestOutcome, tokio_postgres::Error> {
    // Orders this batch after any other of the same terminal, in any server process.
    tx.execute(
        "SELECT 1 FROM terminals WHERE id = $1 FOR UPDATE",
        &[&terminal_id],
    )
    .await?;
    let mut tally = Tally::default();
    let mut results = Vec::with_capacity(items.len());
    let stmts = Stmts::new(tx).await?;
    for item in items {
        results.push(apply(tx, &stmts, terminal_id, item, ctx, &mut tally).await?);
    }
    let contiguous = advance_contiguous(tx, terminal_id).await?;
    tx.execute(
        "UPDATE terminals SET contiguous_seq = $2, stored_count = stored_count + $3,
                quarantined_count = quarantined_count + $4, last_seen_at = $5
         WHERE id = $1",
        &[
            &terminal_id,
            &contiguous,
            &tally.stored,
            &tally.quarantined,
            &to_ms(ctx.received_at),
        ],
    )
    .await?;
    // Tamper evidence: walk the chain as far as it now reaches. Never costs the batch.
    super::tamper::verify_in(tx, terminal_id, ctx.received_at).await;
    let sync = sync_status(&*tx, terminal_id, ctx.received_at).await?;
    Ok(IngestOutcome {
        results,
        summary: tally.summary,
        sync,
    })
}

async fn apply(
    tx: &Transaction<'_>,
    stmts: &Stmts,
    terminal_id: &str,
    item: &IngestItem,
    ctx: &IngestContext,
    tally: &mut Tally,
) -> Result<RatingResult, tokio_postgres::Error> {
    match item {
        IngestItem::Valid {
            index,
            rating,
            canonical,
            content_hash,
        } => {
            let seq = rating.seq as i64;
            let inserted =
                insert(tx, stmts, terminal_id, rating, canonical, content_hash, ctx).await?;
            let outcome = if inserted {
                RatingOutcome::Created
            } else {
                classify(tx, stmts, terminal_id, rating, content_hash).await?
            };
            match &outcome {
                RatingOutcome::Created => {
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
                        raw: canonical,
                        raw_hash: content_hash,
                    };
                    tally.quarantined += quarantine(tx, stmts, terminal_id, &q, ctx).await?;
                    tally.summary.conflict += 1;
                }
                RatingOutcome::Invalid { .. } | RatingOutcome::Unknown => {
                    unreachable!("classify only answers duplicate or conflict")
                }
            }
            tx.execute(&stmts.seen, &[&terminal_id, &seq]).await?;
            Ok(RatingResult {
                index: *index,
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
                field: Some(field),
                message,
                raw,
                raw_hash,
            };
            tally.quarantined += quarantine(tx, stmts, terminal_id, &q, ctx).await?;
            tally.summary.invalid += 1;
            if let Some(s) = seq {
                // Accounted for: a bad rating never blocks the ones behind it.
                tx.execute(&stmts.seen, &[&terminal_id, &(s as i64)])
                    .await?;
            }
            Ok(RatingResult {
                index: *index,
                id: *id,
                seq,
                outcome: RatingOutcome::Invalid {
                    field: field.clone(),
                    message: message.clone(),
                },
            })
        }
    }
}

/// A rating that was not inserted: duplicate (same id, key and content) or conflict (the id
/// or the key is held with something else).
async fn classify(
    tx: &Transaction<'_>,
    stmts: &Stmts,
    terminal_id: &str,
    rating: &Rating,
    content_hash: &str,
) -> Result<RatingOutcome, tokio_postgres::Error> {
    let seq = rating.seq as i64;
    if let Some(held) = tx
        .query_opt(&stmts.by_id, &[&rating.id.to_string()])
        .await?
    {
        let (t, s, hash): (String, i64, String) = (held.get(0), held.get(1), held.get(2));
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
    Ok(
        match tx.query_opt(&stmts.by_key, &[&terminal_id, &seq]).await? {
            Some(other) => RatingOutcome::Conflict {
                message: format!(
                    "seq {seq} is held by another rating ({})",
                    other.get::<_, String>(0)
                ),
            },
            // Not inserted, yet neither its id nor its key is held: cannot happen under the
            // terminal's lock; say conflict rather than claim it stored.
            None => RatingOutcome::Conflict {
                message: "the rating could not be stored; send it again".into(),
            },
        },
    )
}

/// Inserts a rating; false when its id or its (terminal, seq) is already held.
async fn insert(
    tx: &Transaction<'_>,
    stmts: &Stmts,
    terminal_id: &str,
    r: &Rating,
    canonical: &str,
    content_hash: &str,
    ctx: &IngestContext,
) -> Result<bool, tokio_postgres::Error> {
    let n = tx
        .execute(
            &stmts.insert,
            &[
                &r.id.to_string(),
                &terminal_id,
                &(r.seq as i64),
                &canonical,
                &content_hash,
                &r.commune_code,
                &r.counter_id,
                &r.staff_id,
                &r.field_id,
                &r.dossier_code,
                &wire_name(&r.stage),
                &i64::from(r.level),
                &i64::from(r.level_count),
                &r.device_time,
                &to_ms(ctx.received_at),
                &ctx.clock_offset_s,
                &i64::from(ctx.clock_suspect),
                &i64::from(r.complaint),
                &i64::from(r.flags.contains(&Flag::SuspectedRepeat)),
                &i64::from(r.flags.contains(&Flag::DossierRepeat)),
            ],
        )
        .await?;
    Ok(n == 1)
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
async fn quarantine(
    tx: &Transaction<'_>,
    stmts: &Stmts,
    terminal_id: &str,
    q: &Quarantined<'_>,
    ctx: &IngestContext,
) -> Result<i64, tokio_postgres::Error> {
    let n = tx
        .execute(
            &stmts.quarantine,
            &[
                &terminal_id,
                &q.seq,
                &q.rating_id,
                &q.kind,
                &q.field,
                &q.message,
                &q.raw,
                &q.raw_hash,
                &to_ms(ctx.received_at),
            ],
        )
        .await?;
    Ok(n as i64)
}

/// Moves the terminal's contiguous seq to the end of the run that starts right above it.
async fn advance_contiguous(
    tx: &Transaction<'_>,
    terminal_id: &str,
) -> Result<i64, tokio_postgres::Error> {
    let current: i64 = tx
        .query_one(
            "SELECT contiguous_seq FROM terminals WHERE id = $1",
            &[&terminal_id],
        )
        .await?
        .get(0);
    let next_held: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM seq_seen WHERE terminal_id = $1 AND seq = $2)",
            &[&terminal_id, &(current + 1)],
        )
        .await?
        .get(0);
    if !next_held {
        return Ok(current);
    }
    // The first seq above `current` whose successor is missing ends the run.
    Ok(tx
        .query_one(
            "SELECT s.seq FROM seq_seen s
             WHERE s.terminal_id = $1 AND s.seq > $2
               AND NOT EXISTS (SELECT 1 FROM seq_seen n
                               WHERE n.terminal_id = $1 AND n.seq = s.seq + 1)
             ORDER BY s.seq LIMIT 1",
            &[&terminal_id, &current],
        )
        .await?
        .get(0))
}

/// The serde name of a unit enum value ("receipt").
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
