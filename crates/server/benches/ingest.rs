//! Ingest benchmark (prints figures; asserts only correctness, never timings).
//!
//! 1. raw store: 100,000 ratings applied straight to the SQLite store in batches of 1,000;
//! 2. HTTP: the same backlog synced over loopback as gzip'd batches of 1,000, as the kiosk
//!    does (status, then uploads), including encoding and compression;
//! 3. naive: one request per rating on a smaller sample, extrapolated.
//!
//! Run: `cargo bench -p hailong-server --bench ingest` (HAILONG_BENCH_N to change 100,000).

use std::net::SocketAddr;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use hailong_protocol::{
    EnrollResponse, Rating, SealCause, Stage, SyncStatus, UploadBatch, UploadResponse,
    encode_batch, paths,
};
use hailong_server::batch::prepare;
use hailong_server::ratelimit::RateLimit;
use hailong_server::store::{IngestContext, NewTerminal, Store, Terminal};
use hailong_server::{ServerOptions, SqliteStore, secret};
use uuid::Uuid;

const BATCH: usize = 1_000;
const NAIVE_SAMPLE: usize = 2_000;

fn rating(terminal: &Terminal, seq: u64) -> Rating {
    let mut rating = Rating {
        id: Uuid::now_v7(),
        seq,
        terminal_id: terminal.id.clone(),
        commune_code: terminal.commune_code.clone(),
        counter_id: Some("1".into()),
        staff_id: Some("cb-07".into()),
        field_id: Some("ho-tich".into()),
        dossier_code: Some(format!("000.00.26.H55-260105-{seq:06}")),
        stage: if seq.is_multiple_of(2) {
            Stage::Receipt
        } else {
            Stage::Return
        },
        question_set_id: "quick".into(),
        question_set_version: 1,
        level: (seq % 3 + 1) as u8,
        level_count: 3,
        answers: vec![],
        reasons: if seq.is_multiple_of(3) {
            vec!["wait".into()]
        } else {
            vec![]
        },
        language: "vi".into(),
        device_time: "2026-01-05T09:12:00+07:00".into(),
        sealed_at: "2026-01-05T09:12:20+07:00".into(),
        seal_cause: SealCause::Completed,
        flags: vec![],
        prev_hash: String::new(),
        hash: String::new(),
        comment: None,
        complaint: false,
        callback: None,
    };
    // Linked to the genesis for seq 1; otherwise to a stand-in (see `chain`).
    let prev = if seq == 1 {
        hailong_protocol::chain::genesis(&rating.terminal_id)
    } else {
        "0".repeat(64)
    };
    rating.link(prev);
    rating
}

/// Ratings 1..=n of `terminal` forming an honest hash chain, as a kiosk uploads them: the
/// server verifies the chain as it ingests, and finds nothing.
fn chain(terminal: &Terminal, n: usize) -> Vec<Rating> {
    let mut prev = hailong_protocol::chain::genesis(&terminal.id);
    (1..=n as u64)
        .map(|seq| {
            let mut rating = rating(terminal, seq);
            rating.link(prev.clone());
            prev.clone_from(&rating.hash);
            rating
        })
        .collect()
}

fn batch(ratings: &[Rating]) -> UploadBatch {
    UploadBatch {
        device_time: Utc::now().to_rfc3339(),
        ratings: ratings.to_vec(),
    }
}

async fn new_terminal(store: &SqliteStore) -> (Terminal, String) {
    let code = secret::new_code().unwrap();
    let now = Utc::now();
    let terminal = store
        .add_terminal(
            NewTerminal {
                commune_code: "26734".into(),
                name: "bench".into(),
                counter_id: Some("1".into()),
                code_hash: secret::code_hash(&code),
                expires_at: now + Duration::hours(1),
            },
            now,
        )
        .await
        .unwrap();
    (terminal, code)
}

/// Raw store rate: decoding and fingerprinting done beforehand, only `Store::ingest` timed.
async fn raw_store(n: usize) -> StdDuration {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("raw.db")).unwrap();
    let (terminal, _) = new_terminal(&store).await;
    let ratings: Vec<Rating> = chain(&terminal, n);
    let prepared: Vec<_> = ratings
        .chunks(BATCH)
        .map(|c| {
            let body = encode_batch(&batch(c), false);
            prepare(&body, false, Default::default(), &terminal)
                .unwrap()
                .items
        })
        .collect();
    let start = Instant::now();
    for items in prepared {
        let ctx = IngestContext {
            received_at: Utc::now(),
            clock_offset_s: Some(0),
            clock_suspect: false,
        };
        let out = store.ingest(terminal.id.clone(), items, ctx).await.unwrap();
        assert_eq!(out.summary.created as usize, out.results.len());
    }
    let elapsed = start.elapsed();
    let alerts = store.tamper_alerts(terminal.id.clone()).await.unwrap();
    assert_eq!(alerts, Some(vec![]), "an honest chain verifies");
    let status = store.sync_status(terminal.id, Utc::now()).await.unwrap();
    assert_eq!(status.highest_contiguous_seq, n as u64);
    elapsed
}

struct Running {
    base: String,
    store: SqliteStore,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start_server() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("http.db")).unwrap();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = ServerOptions {
        terminal_rate: RateLimit::UNLIMITED,
        enroll_rate: RateLimit::UNLIMITED,
        ..ServerOptions::default()
    };
    let served = store.clone();
    tokio::spawn(async move {
        hailong_server::serve(listener, served, options, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Running {
        base,
        store,
        _dir: dir,
        _stop: stop,
    }
}

async fn enroll(client: &reqwest::Client, server: &Running) -> (Terminal, String) {
    let (terminal, code) = new_terminal(&server.store).await;
    let resp: EnrollResponse = client
        .post(format!("{}{}", server.base, paths::ENROLL))
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (terminal, resp.token)
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: Vec<u8>,
    gzip: bool,
) -> UploadResponse {
    let mut req = client
        .post(format!("{base}{}", paths::RATINGS))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body);
    if gzip {
        req = req.header("content-encoding", "gzip");
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    resp.json().await.unwrap()
}

/// A backlog synced as the kiosk does: ask the status, upload gzip'd batches above it.
async fn http_batches(n: usize) -> (StdDuration, usize) {
    let server = start_server().await;
    let client = reqwest::Client::new();
    let (terminal, token) = enroll(&client, &server).await;
    let backlog: Vec<Rating> = chain(&terminal, n);
    let start = Instant::now();
    let status: SyncStatus = client
        .get(format!("{}{}", server.base, paths::SYNC_STATUS))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut wire_bytes = 0;
    for chunk in backlog[status.highest_contiguous_seq as usize..].chunks(BATCH) {
        let body = encode_batch(&batch(chunk), true);
        wire_bytes += body.len();
        let out = post(&client, &server.base, &token, body, true).await;
        assert_eq!(out.summary.created as usize, chunk.len());
    }
    let elapsed = start.elapsed();
    let held = server
        .store
        .sync_status(terminal.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (held.highest_contiguous_seq, held.stored),
        (n as u64, n as u64)
    );
    (elapsed, wire_bytes)
}

/// One POST per rating (plain JSON), sequentially.
async fn http_one_by_one(n: usize) -> StdDuration {
    let server = start_server().await;
    let client = reqwest::Client::new();
    let (terminal, token) = enroll(&client, &server).await;
    let ratings: Vec<Rating> = chain(&terminal, n);
    let start = Instant::now();
    for r in &ratings {
        let body = encode_batch(&batch(std::slice::from_ref(r)), false);
        let out = post(&client, &server.base, &token, body, false).await;
        assert_eq!(out.summary.created, 1);
    }
    start.elapsed()
}

fn rate(n: usize, d: StdDuration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let n: usize = std::env::var("HAILONG_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!("ingest benchmark: {n} ratings, batches of {BATCH}, SQLite WAL synchronous=FULL");

    let raw = raw_store(n).await;
    let raw_rate = rate(n, raw);
    println!(
        "raw store insert    : {:>8.2} s  {:>9.0} ratings/s",
        raw.as_secs_f64(),
        raw_rate
    );

    let (http, wire) = http_batches(n).await;
    let http_rate = rate(n, http);
    println!(
        "HTTP gzip batches   : {:>8.2} s  {:>9.0} ratings/s  ({:.1} MiB on the wire, {:.0} B/rating)",
        http.as_secs_f64(),
        http_rate,
        wire as f64 / (1 << 20) as f64,
        wire as f64 / n as f64
    );

    let sample = NAIVE_SAMPLE.min(n);
    let naive = http_one_by_one(sample).await;
    let naive_rate = rate(sample, naive);
    println!(
        "HTTP one per request: {:>8.2} s  {:>9.0} ratings/s  (measured on {sample}; {n} extrapolated: {:.1} s)",
        naive.as_secs_f64(),
        naive_rate,
        n as f64 / naive_rate
    );
    println!(
        "ratios: HTTP batches / raw store = {:.2}; raw store / one-per-request = {:.0}x; \
         HTTP batches / one-per-request = {:.0}x",
        http_rate / raw_rate,
        raw_rate / naive_rate,
        http_rate / naive_rate
    );
}
