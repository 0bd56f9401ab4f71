//! Sync benchmark, kiosk to server over loopback with the real code on both sides (prints
//! figures; asserts only that every rating arrived, never timings).
//!
//! 1. A backlog of 100,000 ratings recorded through the kiosk's store, synced by one kiosk
//!    round (`hailong::sync::engine::Round`: status, gzip'd batches of 1,000, outcomes written
//!    back to the kiosk's SQLite, heartbeat) against `hailong-server` served in-process.
//! 2. In the same run, the same rows applied straight to a fresh server store
//!    (`Store::ingest`, batches of 1,000, decoding done beforehand): the raw insert rate.
//!    The ratio of the two is the figure: what the HTTP, gzip, JSON and kiosk bookkeeping
//!    cost on top of the server's own transaction.
//! 3. The naive baseline, one request per rating, with the kiosk's own client, measured on
//!    a sample of 2,000 and extrapolated.
//!
//! Run: `cargo bench --bench sync` (HAILONG_BENCH_N changes 100,000).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use hailong_protocol::{UploadBatch, encode_batch};
use hailong_server::batch::prepare;
use hailong_server::ratelimit::RateLimit;
use hailong_server::store::{IngestContext, NewTerminal, Store as _};
use hailong_server::{ServerOptions, SqliteStore, secret};
use support::{Kiosk, Server, now};

const BATCH: usize = 1_000;
const NAIVE_SAMPLE: usize = 2_000;

fn unlimited() -> ServerOptions {
    ServerOptions {
        terminal_rate: RateLimit::UNLIMITED,
        enroll_rate: RateLimit::UNLIMITED,
        ..ServerOptions::default()
    }
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

/// What the kiosk side measured.
struct KioskRun {
    recorded: Duration,
    synced: Duration,
    /// Time to seal one rating with the repeat check, on an empty store and after the backlog.
    seal_empty: Duration,
    seal_full: Duration,
    rows: Vec<hailong_protocol::Rating>,
}

const SEAL_SAMPLE: usize = 200;

/// The kiosk's round over a backlog of `n`.
async fn kiosk_round(n: usize) -> KioskRun {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("server.db");
    let server = Server::start(&db, unlimited()).await;
    let enrollment = server.add_terminal("bench").await;
    let mut kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    let sample = SEAL_SAMPLE.min(n);
    let started = Instant::now();
    kiosk.record(sample).await;
    let seal_empty = started.elapsed() / sample as u32;
    kiosk.repeat_check = false;
    let started = Instant::now();
    kiosk.record(n - sample).await;
    let recorded = started.elapsed();

    let started = Instant::now();
    let report = kiosk.round().run().await.expect("sync round");
    let synced = started.elapsed();
    assert_eq!(report.created, n as u64);
    assert_eq!(report.queued, 0);
    assert_eq!(
        support::server_count(&db, "ratings", kiosk.terminal()),
        n as u64
    );
    let rows = kiosk
        .sealed()
        .await
        .iter()
        .map(|r| hailong::sync::to_wire(r).expect("sealed"))
        .collect();
    // Tapped long after the backlog: no earlier rating is near, so the check looks at all.
    kiosk.repeat_check = true;
    let later = now() + chrono::TimeDelta::days(400);
    let started = Instant::now();
    kiosk
        .record_with(sample, move |i, draft| {
            draft.device_time = later + chrono::TimeDelta::seconds(30 * i as i64);
        })
        .await;
    let seal_full = started.elapsed() / sample as u32;
    server.stop().await;
    KioskRun {
        recorded,
        synced,
        seal_empty,
        seal_full,
        rows,
    }
}

/// The same rows straight into a fresh server store; only `Store::ingest` is timed.
async fn raw_store(rows: &[hailong_protocol::Rating]) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("raw.db")).expect("store");
    let code = secret::new_code().expect("code");
    let terminal = store
        .add_terminal(
            NewTerminal {
                commune_code: support::COMMUNE.into(),
                name: "raw".into(),
                counter_id: None,
                code_hash: secret::code_hash(&code),
                expires_at: Utc::now() + chrono::Duration::hours(1),
            },
            Utc::now(),
        )
        .await
        .expect("terminal");
    let prepared: Vec<_> = rows
        .chunks(BATCH)
        .map(|chunk| {
            let batch = UploadBatch {
                device_time: now().to_rfc3339(),
                ratings: chunk
                    .iter()
                    .cloned()
                    .map(|mut r| {
                        r.terminal_id.clone_from(&terminal.id);
                        r
                    })
                    .collect(),
            };
            prepare(
                &encode_batch(&batch, false),
                false,
                Default::default(),
                &terminal,
            )
            .expect("prepare")
            .items
        })
        .collect();
    let started = Instant::now();
    for items in prepared {
        let ctx = IngestContext {
            received_at: Utc::now(),
            clock_offset_s: Some(0),
            clock_suspect: false,
        };
        let out = store
            .ingest(terminal.id.clone(), items, ctx)
            .await
            .expect("ingest");
        assert_eq!(out.summary.created as usize, out.results.len());
    }
    let took = started.elapsed();
    let status = store
        .sync_status(terminal.id, Utc::now())
        .await
        .expect("status");
    assert_eq!(status.stored, rows.len() as u64);
    took
}

/// One upload per rating with the kiosk's client (gzip'd, as the kiosk sends), sequential.
async fn one_per_request(n: usize) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("server.db");
    let server = Server::start(&db, unlimited()).await;
    let enrollment = server.add_terminal("naive").await;
    let mut kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    kiosk.repeat_check = false;
    kiosk.record(n).await;
    let rows: Vec<_> = kiosk
        .sealed()
        .await
        .iter()
        .map(|r| hailong::sync::to_wire(r).expect("sealed"))
        .collect();
    let started = Instant::now();
    for rating in rows {
        let batch = UploadBatch {
            device_time: now().to_rfc3339(),
            ratings: vec![rating],
        };
        let answer = kiosk.client.upload(&batch).await.expect("upload");
        assert_eq!(answer.summary.created, 1);
    }
    let took = started.elapsed();
    assert_eq!(
        support::server_count(&db, "ratings", kiosk.terminal()),
        n as u64
    );
    server.stop().await;
    took
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; arguments are ignored.
    let n: usize = std::env::var("HAILONG_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!(
        "sync benchmark: {n} ratings, kiosk -> server over loopback, batches of {BATCH}, \
         SQLite WAL synchronous=FULL on both sides"
    );

    let KioskRun {
        recorded,
        synced,
        seal_empty,
        seal_full,
        rows,
    } = kiosk_round(n).await;
    let raw = raw_store(&rows).await;
    let sample = NAIVE_SAMPLE.min(n);
    let naive = one_per_request(sample).await;
    let naive_rate = rate(sample, naive);
    let naive_full = Duration::from_secs_f64(n as f64 / naive_rate);

    println!();
    println!("{:<58} {:>10} {:>12}", "", "time (s)", "ratings/s");
    println!(
        "{:<58} {:>10.2} {:>12.0}",
        "rest of backlog recorded (setup: no fsync, no repeat check)",
        recorded.as_secs_f64(),
        rate(n - SEAL_SAMPLE.min(n), recorded)
    );
    println!(
        "{:<58} {:>10.2} {:>12.0}",
        format!("kiosk round: {n} synced over HTTP"),
        synced.as_secs_f64(),
        rate(n, synced)
    );
    println!(
        "{:<58} {:>10.2} {:>12.0}",
        "raw server store insert, same rows",
        raw.as_secs_f64(),
        rate(n, raw)
    );
    println!(
        "{:<58} {:>10.2} {:>12.0}",
        format!("one request per rating, {sample} measured"),
        naive.as_secs_f64(),
        naive_rate
    );
    println!(
        "{:<58} {:>10.1} {:>12}",
        format!("  extrapolated to {n}"),
        naive_full.as_secs_f64(),
        ""
    );
    println!();
    println!(
        "kiosk seal with the repeat check (fsync off): {:.3} ms on an empty store, \
         {:.3} ms after the {n}-rating backlog",
        seal_empty.as_secs_f64() * 1e3,
        seal_full.as_secs_f64() * 1e3
    );
    println!(
        "kiosk round / raw store insert: {:.2} of the raw rate ({:.1}x slower)",
        rate(n, synced) / rate(n, raw),
        synced.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "kiosk round / one request per rating: {:.0}x faster",
        rate(n, synced) / naive_rate
    );
}
