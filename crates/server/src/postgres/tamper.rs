//! Tamper evidence in the PostgreSQL store: reads the rows the chain walk asks for and writes
//! what it found (the walk itself, and what it finds, is `crate::tamper`), over tokio-postgres.
//! Runs in the batch's or heartbeat's transaction, under the terminal's row lock, inside a
//! savepoint: a failure of its own is rolled back alone and logged, and the next batch or
//! heartbeat resumes from the head it stored.

use chrono::{DateTime, Utc};
use hailong_protocol::{ChainHead, MAX_SEQ};
use tokio_postgres::Transaction;

use crate::sqlite::to_ms;
use crate::tamper::{
    ANCHOR_MISSING, Anchor, AnchorChange, ChainState, Entry, Findings, Link, OpenGap, PAGE,
    Resolution, Walk,
};

type PgResult<T> = Result<T, tokio_postgres::Error>;

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

/// Walks the ratings of `terminal_id` that arrived since the last walk, page by page, then
/// the open gaps they filled.
async fn verify(tx: &Transaction<'_>, terminal_id: &str, at: DateTime<Utc>) -> PgResult<()> {
    let mut walk = Walk::new(terminal_id, state(tx, terminal_id).await?);
    walk_pages(tx, terminal_id, &mut walk, at).await?;
    for gap in open_gaps(tx, terminal_id).await? {
        let accounted: i64 = tx
            .query_one(
                "SELECT count(*) FROM seq_seen WHERE terminal_id = $1 AND seq BETWEEN $2 AND $3",
                &[&terminal_id, &(gap.first as i64), &(gap.last as i64)],
            )
            .await?
            .get(0);
        if !gap.filled(accounted as u64) {
            continue;
        }
        let before = entries(
            tx,
            terminal_id,
            gap.first.saturating_sub(2),
            gap.first.saturating_sub(1),
            1,
        )
        .await?;
        walk.fill(gap, before.first());
        walk_pages(tx, terminal_id, &mut walk, at).await?;
    }
    Ok(())
}

/// Feeds `walk` the pages it asks for until its stretch is walked, writing what each finds.
async fn walk_pages(
    tx: &Transaction<'_>,
    terminal_id: &str,
    walk: &mut Walk,
    at: DateTime<Utc>,
) -> PgResult<()> {
    while let Some((after, up_to)) = walk.next_rows() {
        let page = entries(tx, terminal_id, after, up_to, PAGE).await?;
        let more = page.len() as u64 == PAGE;
        let findings = crate::tamper::walk(walk, &page, more);
        write(tx, terminal_id, &findings, at).await?;
    }
    Ok(())
}

/// Stores the chain head a heartbeat reported as the terminal's anchor, and compares it with
/// the rating at its seq if the walk has passed it.
pub(super) async fn anchor(
    tx: &Transaction<'_>,
    terminal_id: &str,
    head: &ChainHead,
    at: DateTime<Utc>,
) -> PgResult<()> {
    let state = state(tx, terminal_id).await?;
    let held = if head.seq <= state.head.seq {
        entries(tx, terminal_id, head.seq.saturating_sub(1), head.seq, 1).await?
    } else {
        Vec::new()
    };
    let findings = crate::tamper::anchor(&state, head, to_ms(at), held.first());
    write(tx, terminal_id, &findings, at).await
}

/// The terminal's verification state.
async fn state(tx: &Transaction<'_>, terminal_id: &str) -> PgResult<ChainState> {
    let r = tx
        .query_one(
            "SELECT chain_seq, chain_hash, anchor_seq, anchor_hash, anchor_at, anchor_checked_at
             FROM terminals WHERE id = $1",
            &[&terminal_id],
        )
        .await?;
    let anchor = match (
        r.get::<_, Option<i64>>(2),
        r.get::<_, Option<String>>(3),
        r.get::<_, Option<i64>>(4),
    ) {
        (Some(seq), Some(hash), Some(at_ms)) => Some(Anchor {
            seq: seq as u64,
            hash,
            at_ms,
            checked: r.get::<_, Option<i64>>(5).is_some(),
        }),
        _ => None,
    };
    Ok(ChainState {
        head: Link {
            seq: r.get::<_, i64>(0) as u64,
            hash: r.get(1),
        },
        anchor,
    })
}

/// The open gap alerts of `terminal_id`, by first seq.
async fn open_gaps(tx: &Transaction<'_>, terminal_id: &str) -> PgResult<Vec<OpenGap>> {
    Ok(tx
        .query(
            "SELECT id, first_seq, last_seq FROM tamper_alerts
             WHERE terminal_id = $1 AND kind = 'gap' AND resolved_at IS NULL ORDER BY first_seq",
            &[&terminal_id],
        )
        .await?
        .iter()
        .map(|r| OpenGap {
            id: r.get(0),
            first: r.get::<_, i64>(1) as u64,
            last: r.get::<_, i64>(2) as u64,
        })
        .collect())
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
    Ok(rows
        .into_iter()
        .map(|row| {
            Entry::from_row(
                terminal_id,
                row.get::<_, i64>(0) as u64,
                row.get(1),
                row.get(2),
            )
        })
        .collect())
}

/// Writes what a page of the walk or a heartbeat found.
async fn write(
    tx: &Transaction<'_>,
    terminal_id: &str,
    findings: &Findings,
    at: DateTime<Utc>,
) -> PgResult<()> {
    for alert in &findings.alerts {
        tx.execute(
            "INSERT INTO tamper_alerts (terminal_id, kind, first_seq, last_seq, detail, received_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &terminal_id,
                &alert.kind.as_str(),
                &(alert.first.min(MAX_SEQ) as i64),
                &(alert.last.min(MAX_SEQ) as i64),
                &alert.detail,
                &to_ms(at),
            ],
        )
        .await?;
        alert.log(terminal_id);
    }
    for resolution in &findings.resolved {
        match resolution {
            Resolution::Gap { id, .. } => {
                tx.execute(
                    "UPDATE tamper_alerts SET resolved_at = $2, resolution = $3 WHERE id = $1",
                    &[id, &to_ms(at), &resolution.text()],
                )
                .await?
            }
            Resolution::AnchorArrived { seq } => {
                tx.execute(
                    "UPDATE tamper_alerts SET resolved_at = $3, resolution = $5
                     WHERE terminal_id = $1 AND kind = 'anchor' AND first_seq = $2
                       AND last_seq = $2 AND resolved_at IS NULL AND detail LIKE $4",
                    &[
                        &terminal_id,
                        &(*seq as i64),
                        &to_ms(at),
                        &format!("{ANCHOR_MISSING}%"),
                        &resolution.text(),
                    ],
                )
                .await?
            }
        };
        resolution.log(terminal_id);
    }
    if let Some(head) = &findings.head {
        tx.execute(
            "UPDATE terminals SET chain_seq = $2, chain_hash = $3 WHERE id = $1",
            &[&terminal_id, &(head.seq as i64), &head.hash],
        )
        .await?;
    }
    match &findings.anchor {
        None => {}
        Some(AnchorChange::Checked) => {
            tx.execute(
                "UPDATE terminals SET anchor_checked_at = $2 WHERE id = $1",
                &[&terminal_id, &to_ms(at)],
            )
            .await?;
        }
        Some(AnchorChange::Replaced(anchor)) => {
            tx.execute(
                "UPDATE terminals SET anchor_seq = $2, anchor_hash = $3, anchor_at = $4,
                        anchor_checked_at = $5
                 WHERE id = $1",
                &[
                    &terminal_id,
                    &(anchor.seq as i64),
                    &anchor.hash,
                    &anchor.at_ms,
                    &anchor.checked.then(|| to_ms(at)),
                ],
            )
            .await?;
        }
    }
    Ok(())
}
