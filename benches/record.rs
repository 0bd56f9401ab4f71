//! What recording one rating costs: `Store::save(draft, Some(seal))` beside a raw rusqlite
//! INSERT of a comparable row (same PRAGMAs: WAL, synchronous=FULL), and through the `Writer`
//! the screens use (adds the hop to the store's thread and back). Each commit waits for fsync,
//! so the figures mostly measure the disk; the ratio shows what the store adds on top. The
//! tamper-evidence hash (`chain::rating_hash`, once per seal) is timed alone and shown as a
//! share of the recording latency.
//!
//! `cargo bench --bench record`. HAILONG_BENCH_N sets the ratings per path (default 2000);
//! HAILONG_BENCH_DIR puts the files on another disk (default: a temporary directory).
//! Prints figures, never asserts on them.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use futures::executor::block_on;
use hailong::config::Stage;
use hailong::store::{RatingDraft, Seal, SealCause, Store, Writer};
use hailong::survey::Level;
use rusqlite::{Connection, params};
use uuid::Uuid;

const WARMUP: usize = 100;

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

fn draft(i: usize) -> RatingDraft {
    RatingDraft {
        id: Uuid::now_v7(),
        terminal_id: "bench".to_owned(),
        commune_code: "00004".to_owned(),
        counter_id: Some(if i.is_multiple_of(2) { "q1" } else { "q2" }.to_owned()),
        staff_id: Some("nv-lan".to_owned()),
        field_id: Some("ho-tich".to_owned()),
        dossier_code: i.is_multiple_of(3).then(|| format!("HS-{i:06}")),
        stage: Stage::Return,
        question_set_id: "nhanh-3".to_owned(),
        question_set_version: 1,
        level: Level::new(u8::try_from(i % 3).unwrap_or(0) + 1, 3).expect("level"),
        answers: Vec::new(),
        reasons: if i.is_multiple_of(3) {
            vec!["cho-lau".to_owned()]
        } else {
            Vec::new()
        },
        language: "vi".to_owned(),
        device_time: now(),
        feedback: Default::default(),
    }
}

fn seal() -> Seal {
    Seal {
        cause: SealCause::Completed,
        at: now(),
        // The demo's interval: the repeat check runs as on a kiosk.
        repeat_interval: Duration::from_secs(20),
    }
}

/// A table with the ratings' columns and the store's PRAGMAs, written with one plain INSERT.
struct Raw {
    conn: Connection,
    seq: i64,
}

impl Raw {
    fn open(path: &Path) -> Self {
        let conn = Connection::open(path).expect("open raw db");
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .expect("wal");
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("synchronous");
        conn.execute_batch(
            "CREATE TABLE ratings (
                id TEXT PRIMARY KEY NOT NULL, seq INTEGER, terminal_id TEXT NOT NULL,
                commune_code TEXT NOT NULL, counter_id TEXT, staff_id TEXT, field_id TEXT,
                dossier_code TEXT, stage TEXT NOT NULL, question_set_id TEXT NOT NULL,
                question_set_version INTEGER NOT NULL, level INTEGER NOT NULL,
                level_count INTEGER NOT NULL, answers TEXT NOT NULL, reasons TEXT NOT NULL,
                language TEXT NOT NULL, device_time TEXT NOT NULL, device_time_ms INTEGER NOT NULL,
                sealed_at TEXT, sealed_at_ms INTEGER, seal_cause TEXT,
                suspected_repeat INTEGER NOT NULL DEFAULT 0,
                dossier_repeat INTEGER NOT NULL DEFAULT 0)",
        )
        .expect("create raw table");
        Self { conn, seq: 0 }
    }

    fn insert(&mut self, draft: &RatingDraft, seal: &Seal) {
        self.seq += 1;
        let answers = serde_json::to_string(&draft.answers).expect("answers");
        let reasons = serde_json::to_string(&draft.reasons).expect("reasons");
        self.conn
            .prepare_cached(
                "INSERT INTO ratings (id, seq, terminal_id, commune_code, counter_id, staff_id,
                     field_id, dossier_code, stage, question_set_id, question_set_version, level,
                     level_count, answers, reasons, language, device_time, device_time_ms,
                     sealed_at, sealed_at_ms, seal_cause)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21)",
            )
            .expect("prepare")
            .execute(params![
                draft.id.to_string(),
                self.seq,
                draft.terminal_id,
                draft.commune_code,
                draft.counter_id,
                draft.staff_id,
                draft.field_id,
                draft.dossier_code,
                draft.stage.as_str(),
                draft.question_set_id,
                draft.question_set_version,
                draft.level.value,
                draft.level.count,
                answers,
                reasons,
                draft.language,
                draft.device_time.to_rfc3339(),
                draft.device_time.timestamp_millis(),
                seal.at.to_rfc3339(),
                seal.at.timestamp_millis(),
                seal.cause.as_str(),
            ])
            .expect("raw insert");
    }
}

struct Figures {
    median: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    mean: Duration,
}

fn figures(samples: &mut [Duration]) -> Figures {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let total: Duration = samples.iter().sum();
    Figures {
        median: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: samples[samples.len() - 1],
        mean: total / u32::try_from(samples.len()).expect("sample count"),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n: usize = std::env::var("HAILONG_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let temp = match std::env::var_os("HAILONG_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("bench dir");
    let dir = temp.path();

    let mut raw = Raw::open(&dir.join("raw.db"));
    let (mut store, _) = Store::open(&dir.join("store.db"), now()).expect("open store");
    let (writer, opened) = Writer::spawn(&dir.join("writer.db"), now);
    block_on(opened).expect("writer opened");

    let mut raw_times = Vec::with_capacity(n);
    let mut store_times = Vec::with_capacity(n);
    let mut writer_times = Vec::with_capacity(n);
    // Interleaved, in rotating order, so that the disk's moods fall on all three alike.
    for i in 0..WARMUP + n {
        let keep = i >= WARMUP;
        for turn in 0..3 {
            let rating = draft(i);
            let sealing = seal();
            match (i + turn) % 3 {
                0 => {
                    let start = Instant::now();
                    raw.insert(&rating, &sealing);
                    if keep {
                        raw_times.push(start.elapsed());
                    }
                }
                1 => {
                    let start = Instant::now();
                    store.save(&rating, Some(&sealing)).expect("store save");
                    if keep {
                        store_times.push(start.elapsed());
                    }
                }
                _ => {
                    let start = Instant::now();
                    block_on(writer.save(rating, Some(sealing))).expect("writer save");
                    if keep {
                        writer_times.push(start.elapsed());
                    }
                }
            }
        }
    }

    let raw_f = figures(&mut raw_times);
    let store_f = figures(&mut store_times);
    let writer_f = figures(&mut writer_times);
    println!(
        "Recording one rating: {n} per path after {WARMUP} warm-up, WAL + synchronous=FULL, in {}",
        dir.display()
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "path", "median", "p90", "p99", "max", "mean"
    );
    for (name, f) in [
        ("raw INSERT (autocommit)", &raw_f),
        ("Store::save(draft, Some(seal))", &store_f),
        ("Writer::save (thread hop)", &writer_f),
    ] {
        println!(
            "{name:<34} {:>10} {:>10} {:>10} {:>10} {:>10}",
            ms(f.median),
            ms(f.p90),
            ms(f.p99),
            ms(f.max),
            ms(f.mean)
        );
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "Store::save / raw INSERT: median x{:.2}, p99 x{:.2}",
        ratio(store_f.median, raw_f.median),
        ratio(store_f.p99, raw_f.p99)
    );
    println!(
        "Writer::save / Store::save: median x{:.2}, p99 x{:.2}",
        ratio(writer_f.median, store_f.median),
        ratio(writer_f.p99, store_f.p99)
    );
    let hash = hash_median(&store);
    println!(
        "chain::rating_hash of a typical rating: median {:.2} us = {:.2}% of Store::save, {:.2}% of Writer::save",
        hash.as_secs_f64() * 1e6,
        100.0 * ratio(hash, store_f.median),
        100.0 * ratio(hash, writer_f.median)
    );
    let sealed = store.counts().expect("counts").sealed;
    assert_eq!(sealed as usize, WARMUP + n, "every rating recorded");
}

/// Median time of one `chain::rating_hash` over a rating just recorded (as sealing does it,
/// once per rating), from 1,000 samples of 100 calls each.
fn hash_median(store: &Store) -> Duration {
    let rating = store
        .sealed_after("bench", 0, 1)
        .expect("a recorded rating")
        .first()
        .and_then(hailong::store::StoredRating::to_wire)
        .expect("its wire form");
    let mut samples: Vec<Duration> = (0..1000)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(hailong_protocol::chain::rating_hash(std::hint::black_box(
                    &rating,
                )));
            }
            start.elapsed() / 100
        })
        .collect();
    figures(&mut samples).median
}
