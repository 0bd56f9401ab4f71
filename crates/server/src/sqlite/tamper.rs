//! Tamper evidence in the SQLite store: reads the rows the chain walk asks for and writes what
//! it found (the walk itself, and what it finds, is `crate::tamper`). Runs in the batch's or
//! heartbeat's write transaction, inside a savepoint: a failure of its own is rolled back alone
//! and logged, and the next batch or heartbeat resumes from the head it stored.

use chrono::{DateTime, Utc};
use hailong_protocol::{ChainHead, MAX_SEQ};
use rusqlite::{Connection, Transaction, params};

use super::to_ms;
use crate::tamper::{
    ANCHOR_MISSING, Anchor, AnchorChange, ChainState, Entry, Findings, Link, OpenGap, PAGE,
    Resolution, Walk,
};

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
/// the open gaps they filled.
fn verify(tx: &Connection, terminal_id: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    let mut walk = Walk::new(terminal_id, state(tx, terminal_id)?);
    walk_pages(tx, terminal_id, &mut walk, at)?;
    for gap in open_gaps(tx, terminal_id)? {
        let accounted: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM seq_seen WHERE terminal_id = ?1 AND seq BETWEEN ?2 AND ?3",
            )?
            .query_row(
                params![terminal_id, gap.first as i64, gap.last as i64],
                |r| r.get(0),
            )?;
        if !gap.filled(accounted as u64) {
            continue;
        }
        let before = entries(
            tx,
            terminal_id,
            gap.first.saturating_sub(2),
            gap.first.saturating_sub(1),
            1,
        )?;
        walk.fill(gap, before.first());
        walk_pages(tx, terminal_id, &mut walk, at)?;
    }
    Ok(())
}

/// Feeds `walk` the pages it asks for until its stretch is walked, writing what each finds.
fn walk_pages(
    tx: &Connection,
    terminal_id: &str,
    walk: &mut Walk,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    while let Some((after, up_to)) = walk.next_rows() {
        let page = entries(tx, terminal_id, after, up_to, PAGE)?;
        let more = page.len() as u64 == PAGE;
        write(tx, terminal_id, &crate::tamper::walk(walk, &page, more), at)?;
    }
    Ok(())
}

/// Stores the chain head a heartbeat reported as the terminal's anchor, and compares it with
/// the rating at its seq if the walk has passed it.
pub(super) fn anchor(
    tx: &Connection,
    terminal_id: &str,
    head: &ChainHead,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let state = state(tx, terminal_id)?;
    let held = if head.seq <= state.head.seq {
        entries(tx, terminal_id, head.seq.saturating_sub(1), head.seq, 1)?
    } else {
        Vec::new()
    };
    let findings = crate::tamper::anchor(&state, head, to_ms(at), held.first());
    write(tx, terminal_id, &findings, at)
}

/// The terminal's verification state.
fn state(tx: &Connection, terminal_id: &str) -> rusqlite::Result<ChainState> {
    tx.prepare_cached(
        "SELECT chain_seq, chain_hash, anchor_seq, anchor_hash, anchor_at, anchor_checked_at
         FROM terminals WHERE id = ?1",
    )?
    .query_row([terminal_id], |r| {
        let anchor = match (
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ) {
            (Some(seq), Some(hash), Some(at_ms)) => Some(Anchor {
                seq: seq as u64,
                hash,
                at_ms,
                checked: r.get::<_, Option<i64>>(5)?.is_some(),
            }),
            _ => None,
        };
        Ok(ChainState {
            head: Link {
                seq: r.get::<_, i64>(0)? as u64,
                hash: r.get(1)?,
            },
            anchor,
        })
    })
}

/// The open gap alerts of `terminal_id`, by first seq.
fn open_gaps(tx: &Connection, terminal_id: &str) -> rusqlite::Result<Vec<OpenGap>> {
    tx.prepare_cached(
        "SELECT id, first_seq, last_seq FROM tamper_alerts
         WHERE terminal_id = ?1 AND kind = 'gap' AND resolved_at IS NULL ORDER BY first_seq",
    )?
    .query_map([terminal_id], |r| {
        Ok(OpenGap {
            id: r.get(0)?,
            first: r.get::<_, i64>(1)? as u64,
            last: r.get::<_, i64>(2)? as u64,
        })
    })?
    .collect()
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
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)),
    )?;
    rows.map(|row| row.map(|(seq, content, raw)| Entry::from_row(terminal_id, seq, content, raw)))
        .collect()
}

/// Writes what a page of the walk or a heartbeat found.
fn write(
    tx: &Connection,
    terminal_id: &str,
    findings: &Findings,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    for alert in &findings.alerts {
        tx.prepare_cached(
            "INSERT INTO tamper_alerts (terminal_id, kind, first_seq, last_seq, detail, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            terminal_id,
            alert.kind.as_str(),
            alert.first.min(MAX_SEQ) as i64,
            alert.last.min(MAX_SEQ) as i64,
            alert.detail,
            to_ms(at)
        ])?;
        alert.log(terminal_id);
    }
    for resolution in &findings.resolved {
        match resolution {
            Resolution::Gap { id, .. } => tx.execute(
                "UPDATE tamper_alerts SET resolved_at = ?2, resolution = ?3 WHERE id = ?1",
                params![id, to_ms(at), resolution.text()],
            )?,
            Resolution::AnchorArrived { seq } => tx.execute(
                "UPDATE tamper_alerts SET resolved_at = ?3, resolution = ?5
                 WHERE terminal_id = ?1 AND kind = 'anchor' AND first_seq = ?2
                   AND last_seq = ?2 AND resolved_at IS NULL AND detail LIKE ?4",
                params![
                    terminal_id,
                    *seq as i64,
                    to_ms(at),
                    format!("{ANCHOR_MISSING}%"),
                    resolution.text()
                ],
            )?,
        };
        resolution.log(terminal_id);
    }
    if let Some(head) = &findings.head {
        tx.execute(
            "UPDATE terminals SET chain_seq = ?2, chain_hash = ?3 WHERE id = ?1",
            params![terminal_id, head.seq as i64, head.hash],
        )?;
    }
    match &findings.anchor {
        None => {}
        Some(AnchorChange::Checked) => {
            tx.execute(
                "UPDATE terminals SET anchor_checked_at = ?2 WHERE id = ?1",
                params![terminal_id, to_ms(at)],
            )?;
        }
        Some(AnchorChange::Replaced(anchor)) => {
            tx.execute(
                "UPDATE terminals SET anchor_seq = ?2, anchor_hash = ?3, anchor_at = ?4,
                        anchor_checked_at = ?5
                 WHERE id = ?1",
                params![
                    terminal_id,
                    anchor.seq as i64,
                    anchor.hash,
                    anchor.at_ms,
                    anchor.checked.then(|| to_ms(at))
                ],
            )?;
        }
    }
    Ok(())
}
