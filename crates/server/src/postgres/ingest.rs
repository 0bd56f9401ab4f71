//! Applying an upload batch in one PostgreSQL transaction, with the semantics of the SQLite
//! store (`crate::sqlite::ingest`): classify each rating (created, duplicate, conflict,
//! invalid), quarantine the bad ones, advance the terminal's contiguous sequence, verify the
//! hash chain, and answer with the new sync status.
//!
//! The terminal's row is locked first: batches of one terminal, whichever server process
//! received them, apply one after the other. The batch's valid ratings go in with ONE
//! `INSERT ... SELECT FROM UNNEST(...) ON CONFLICT DO NOTHING RETURNING id`, in batch order, and
//! their sequence numbers with one more statement: a round trip per batch instead of two per
//! rating. A rating that was not inserted (the rare case: a retry, a conflict) is classified on
//! its own by comparing what is held.

use std::collections::HashSet;

use hailong_protocol::{Flag, MAX_SEQ, Rating, RatingOutcome, RatingResult, UploadSummary};
use serde::Serialize;
use tokio_postgres::{Statement, Transaction};

use super::sync_status;
use crate::sqlite::to_ms;
use crate::store::{IngestContext, IngestItem, IngestOutcome};

/// Prepared statements.
struct Stmts {
    by_id: Statement,
    by_key: Statement,
    insert_all: Statement,
    seen_all: Statement,
    quarantine: Statement,
}

impl Stmts {
    /// From the connection's statement cache: parsed once per connection, not once a batch.
    async fn new(tx: &CachingTx<'_>) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            by_id: tx
                .prepare_cached("SELECT terminal_id, seq, content_hash FROM ratings WHERE id = $1")
                .await?,
            by_key: tx
                .prepare_cached("SELECT id FROM ratings WHERE terminal_id = $1 AND seq = $2")
                .await?,
            // One row per array element, in array order (WITH ORDINALITY), so that of two
            // ratings of the batch with one id or one seq the first is the one stored, as when
            // they are applied one by one. Batch-wide values ($14..$17) are scalars.
            insert_all: tx
                .prepare_cached(
                    "INSERT INTO ratings (id, terminal_id, seq, content, content_hash,
                         commune_code, counter_id, staff_id, field_id, dossier_code, stage, level,
                         level_count, device_time, received_at, clock_offset_s, clock_suspect,
                         complaint, suspected_repeat, dossier_repeat)
                     SELECT u.id, $14, u.seq, u.content, u.content_hash, u.commune_code,
                            u.counter_id, u.staff_id, u.field_id, u.dossier_code, u.stage,
                            u.level, u.level_count, u.device_time, $15, $16, $17,
                            u.complaint, u.suspected_repeat, u.dossier_repeat
                     FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                                 $11::bigint[], $12::bigint[], $13::text[], $18::bigint[],
                                 $19::bigint[], $20::bigint[])
                          WITH ORDINALITY AS u(id, seq, content, content_hash, commune_code,
                              counter_id, staff_id, field_id, dossier_code, stage, level,
                              level_count, device_time, complaint, suspected_repeat,
                              dossier_repeat, n)
                     ORDER BY u.n
                     ON CONFLICT DO NOTHING
                     RETURNING id",
                )
                .await?,
            seen_all: tx
                .prepare_cached(
                    "INSERT INTO seq_seen (terminal_id, seq)
                     SELECT $1, s FROM UNNEST($2::bigint[]) AS s
                     ON CONFLICT DO NOTHING",
                )
                .await?,
            quarantine: tx
                .prepare_cached(
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

/// A transaction of a pooled connection, which keeps prepared statements across batches.
type CachingTx<'a> = deadpool_postgres::Transaction<'a>;

pub(super) async fn ingest(
    tx: &mut CachingTx<'_>,
    terminal_id: &str,
    items: &[IngestItem],
    ctx: &IngestContext,
) -> Result<IngestOutcome, tokio_postgres::Error> {
    // Orders this batch after any other of the same terminal, in any server process.
    let lock = tx
        .prepare_cached("SELECT 1 FROM terminals WHERE id = $1 FOR UPDATE")
        .await?;
    tx.execute(&lock, &[&terminal_id]).await?;
    let mut tally = Tally::default();
    let mut results = Vec::with_capacity(items.len());
    let stmts = Stmts::new(tx).await?;
    let mut created = insert_all(tx, &stmts, terminal_id, items, ctx).await?;
    let mut seen = Vec::with_capacity(items.len());
    for item in items {
        results.push(
            apply(
                tx,
                &stmts,
                terminal_id,
                item,
                ctx,
                &mut created,
                &mut seen,
                &mut tally,
            )
            .await?,
        );
    }
    // Accounted for, stored or not: a bad rating never blocks the ones behind it.
    tx.execute(&stmts.seen_all, &[&terminal_id, &seen]).await?;
    let contiguous = advance_contiguous(tx, terminal_id).await?;
    let update = tx
        .prepare_cached(
            "UPDATE terminals SET contiguous_seq = $2, stored_count = stored_count + $3,
                    quarantined_count = quarantined_count + $4, last_seen_at = $5
             WHERE id = $1",
        )
        .await?;
    tx.execute(
        &update,
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
    let sync = sync_status(&**tx, terminal_id, ctx.received_at).await?;
    Ok(IngestOutcome {
        results,
        summary: tally.summary,
        sync,
    })
}

/// Answers one item of the batch, in order. `created` holds the ids the bulk insert stored,
/// each taken by the first valid rating carrying it; `seen` gathers the sequence numbers
/// accounted for.
#[allow(clippy::too_many_arguments)]
async fn apply(
    tx: &Transaction<'_>,
    stmts: &Stmts,
    terminal_id: &str,
    item: &IngestItem,
    ctx: &IngestContext,
    created: &mut HashSet<String>,
    seen: &mut Vec<i64>,
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
            let inserted = created.remove(&rating.id.to_string());
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
            seen.push(seq);
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
                seen.push(s as i64);
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

/// Inserts the batch's valid ratings in one statement, in batch order; returns the ids
/// stored (a rating whose id or (terminal, seq) is already held, in the table or earlier in
/// the batch, is not).
async fn insert_all(
    tx: &Transaction<'_>,
    stmts: &Stmts,
    terminal_id: &str,
    items: &[IngestItem],
    ctx: &IngestContext,
) -> Result<HashSet<String>, tokio_postgres::Error> {
    let valid: Vec<(&Rating, &str, &str)> = items
        .iter()
        .filter_map(|item| match item {
            IngestItem::Valid {
                rating,
                canonical,
                content_hash,
                ..
            } => Some((rating, canonical.as_str(), content_hash.as_str())),
            IngestItem::Invalid { .. } => None,
        })
        .collect();
    if valid.is_empty() {
        return Ok(HashSet::new());
    }
    let column = |f: &dyn Fn(&(&Rating, &str, &str)) -> String| -> Vec<String> {
        valid.iter().map(f).collect()
    };
    let optional = |f: &dyn Fn(&Rating) -> Option<String>| -> Vec<Option<String>> {
        valid.iter().map(|(r, _, _)| f(r)).collect()
    };
    let number =
        |f: &dyn Fn(&Rating) -> i64| -> Vec<i64> { valid.iter().map(|(r, _, _)| f(r)).collect() };
    let ids = column(&|(r, _, _)| r.id.to_string());
    let seqs = number(&|r| r.seq as i64);
    let contents = column(&|(_, c, _)| (*c).to_owned());
    let hashes = column(&|(_, _, h)| (*h).to_owned());
    let communes = column(&|(r, _, _)| r.commune_code.clone());
    let counters = optional(&|r| r.counter_id.clone());
    let staff = optional(&|r| r.staff_id.clone());
    let fields = optional(&|r| r.field_id.clone());
    let dossiers = optional(&|r| r.dossier_code.clone());
    let stages = column(&|(r, _, _)| wire_name(&r.stage));
    let levels = number(&|r| i64::from(r.level));
    let level_counts = number(&|r| i64::from(r.level_count));
    let device_times = column(&|(r, _, _)| r.device_time.clone());
    let complaints = number(&|r| i64::from(r.complaint));
    let suspected = number(&|r| i64::from(r.flags.contains(&Flag::SuspectedRepeat)));
    let repeated = number(&|r| i64::from(r.flags.contains(&Flag::DossierRepeat)));
    let rows = tx
        .query(
            &stmts.insert_all,
            &[
                &ids,
                &seqs,
                &contents,
                &hashes,
                &communes,
                &counters,
                &staff,
                &fields,
                &dossiers,
                &stages,
                &levels,
                &level_counts,
                &device_times,
                &terminal_id,
                &to_ms(ctx.received_at),
                &ctx.clock_offset_s,
                &i64::from(ctx.clock_suspect),
                &complaints,
                &suspected,
                &repeated,
            ],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get::<_, String>(0)).collect())
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
    tx: &CachingTx<'_>,
    terminal_id: &str,
) -> Result<i64, tokio_postgres::Error> {
    let current = tx
        .prepare_cached("SELECT contiguous_seq FROM terminals WHERE id = $1")
        .await?;
    let current: i64 = tx.query_one(&current, &[&terminal_id]).await?.get(0);
    let next = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM seq_seen WHERE terminal_id = $1 AND seq = $2)",
        )
        .await?;
    let next_held: bool = tx
        .query_one(&next, &[&terminal_id, &(current + 1)])
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
