//! What the staff screen's tallies cost on a full store: a year of a busy commune, 1,000,000
//! sealed ratings (about 2,740 a day over 365 days), then today's tally, the last 7 and 30 days'
//! tallies and a plain full-table scan (`SELECT count(*), sum(level) FROM ratings`) in the same
//! run, with ratios; and a month's export (rows listed, XLSX built) for scale.
//!
//! `cargo bench --bench tally`. HAILONG_BENCH_RATINGS sets the number of ratings (default
//! 1,000,000); HAILONG_BENCH_DIR puts the database on another disk (default: a temporary
//! directory). Each figure is the median of several runs after a warm-up, so the database is in
//! the page cache (a kiosk that shows tallies reads the same pages again and again).
//! Prints figures, never asserts on them.
//!
//! The ratings are written with raw SQL in one transaction (Store::save commits and fsyncs each
//! one: days for a million), into the schema the store created, with the columns it fills at
//! sealing: seq, sealed_at, seal_cause and the repeat flags. Columns later migrations add for
//! other purposes (the hash chain) are left NULL: the tallies do not read them.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeDelta, TimeZone};
use hailong::config::TerminalConfig;
use hailong::export::Report;
use hailong::i18n::{I18n, Language};
use hailong::store::Store;
use hailong::store::tally::TallyQuery;
use rusqlite::params;
use uuid::{NoContext, Timestamp, Uuid};

const DEFAULT_RATINGS: u64 = 1_000_000;
const DAYS: u64 = 365;
const RUNS: usize = 7;

const COUNTERS: [&str; 4] = ["q1", "q2", "q3", "q4"];
const STAFF: [&str; 6] = [
    "nv-lan", "nv-minh", "nv-hoa", "nv-tuan", "nv-mai", "nv-hung",
];
const FIELDS: [&str; 6] = [
    "ho-tich",
    "chung-thuc",
    "dat-dai",
    "xay-dung",
    "lao-dong",
    "kinh-doanh",
];
const REASONS: [&str; 8] = [
    "cho-lau",
    "thai-do",
    "huong-dan",
    "thu-tuc",
    "tre-hen",
    "chi-phi",
    "co-so",
    "khac",
];

fn vn() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("offset")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A level on a scale of `count`, with a realistic mix: most satisfied, some not.
fn level(rng: &mut fastrand::Rng, count: u8) -> u8 {
    let roll = rng.u8(0..100);
    match count {
        3 => match roll {
            0..7 => 1,
            7..40 => 2,
            _ => 3,
        },
        4 => match roll {
            0..6 => 1,
            6..20 => 2,
            20..55 => 3,
            _ => 4,
        },
        _ => match roll {
            0..3 => 1,
            3..9 => 2,
            9..22 => 3,
            22..60 => 4,
            _ => 5,
        },
    }
}

/// Writes `total` sealed ratings over the `DAYS` days ending `today`, 07:30 to 17:00 local.
fn fill(store: &mut Store, total: u64, today: NaiveDate) -> Duration {
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(766);
    let tx = store.connection_mut().transaction().expect("transaction");
    let mut seq: i64 = 0;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO ratings (id, seq, terminal_id, commune_code, counter_id, staff_id,
                     field_id, dossier_code, stage, question_set_id, question_set_version, level,
                     level_count, answers, reasons, language, device_time, device_time_ms,
                     sealed_at, sealed_at_ms, seal_cause, suspected_repeat, dossier_repeat)
                 VALUES (?1, ?2, 'bench', '00004', ?3, ?4, ?5, ?6, 'return', ?7, 1, ?8, ?9, '[]',
                     ?10, 'vi', ?11, ?12, ?13, ?14, 'completed', ?15, ?16)",
            )
            .expect("prepare");
        let first = today
            .checked_sub_days(Days::new(DAYS - 1))
            .expect("a year back");
        let mut last_code: Option<String> = None;
        for d in 0..DAYS {
            let date = first.checked_add_days(Days::new(d)).expect("day");
            let opens = vn()
                .from_local_datetime(&date.and_hms_opt(7, 30, 0).expect("07:30"))
                .single()
                .expect("local time");
            // Spread the remainder over the first days so that the total is exact.
            let count = total / DAYS + u64::from(d < total % DAYS);
            let step_ms = (9.5 * 3600.0 * 1000.0 / count.max(1) as f64) as i64;
            for i in 0..count {
                seq += 1;
                let jitter = rng.i64(0..step_ms.max(1));
                let tapped: DateTime<FixedOffset> =
                    opens + TimeDelta::milliseconds(i as i64 * step_ms + jitter);
                let sealed = tapped + TimeDelta::seconds(rng.i64(3..40));
                let counter = rng.usize(0..COUNTERS.len());
                let staff = (counter + usize::from(rng.u8(0..10) == 0)) % STAFF.len();
                let field = (counter * 2 + rng.usize(0..2)) % FIELDS.len();
                let (set, scale) = match rng.u8(0..100) {
                    0..85 => ("nhanh-3", 3),
                    85..95 => ("sipas-5", 5),
                    _ => ("bon-muc", 4),
                };
                let value = level(&mut rng, scale);
                let negative = if scale == 5 { value <= 2 } else { value == 1 };
                let reasons: Vec<&str> = if negative {
                    (0..rng.usize(1..3))
                        .map(|_| REASONS[rng.usize(0..REASONS.len())])
                        .collect()
                } else {
                    Vec::new()
                };
                let roll = rng.u16(0..1000);
                let dossier_repeat = roll < 5 && last_code.is_some();
                let code = if dossier_repeat {
                    last_code.clone()
                } else if roll < 750 {
                    Some(format!(
                        "H{:02}.{}-{d:03}{i:04}",
                        counter + 1,
                        date.format("%y%m")
                    ))
                } else {
                    None
                };
                if !dossier_repeat && code.is_some() {
                    last_code.clone_from(&code);
                }
                let suspected_repeat = (5..15).contains(&roll);
                let millis = u64::try_from(tapped.timestamp_millis()).expect("after 1970");
                let id = Uuid::new_v7(Timestamp::from_unix(
                    NoContext,
                    millis / 1000,
                    u32::try_from(millis % 1000).expect("ms") * 1_000_000,
                ));
                insert
                    .execute(params![
                        id.to_string(),
                        seq,
                        COUNTERS[counter],
                        STAFF[staff],
                        FIELDS[field],
                        code,
                        set,
                        value,
                        scale,
                        serde_json::to_string(&reasons).expect("reasons"),
                        tapped.to_rfc3339(),
                        tapped.timestamp_millis(),
                        sealed.to_rfc3339(),
                        sealed.timestamp_millis(),
                        suspected_repeat,
                        dossier_repeat,
                    ])
                    .expect("insert");
            }
        }
    }
    tx.execute(
        "INSERT INTO sequences (terminal_id, last_seq) VALUES ('bench', ?1)
         ON CONFLICT (terminal_id) DO UPDATE SET last_seq = excluded.last_seq",
        [seq],
    )
    .expect("sequence");
    tx.commit().expect("commit");
    started.elapsed()
}

/// Reads the rows a tally of `query` reads, as it reads them (a run of rowids bounded by the
/// time index), touching every column and keeping nothing: the floor under the tally.
fn read_range(store: &Store, query: &TallyQuery) -> u64 {
    let first = |day: NaiveDate| {
        vn().from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("local")
            .timestamp_millis()
    };
    let after = query.to.checked_add_days(Days::new(1)).expect("day");
    let (start, end) = (first(query.from), first(after));
    let (low, high): (i64, i64) = store
        .connection()
        .query_row(
            "SELECT min(rowid), max(rowid) FROM ratings
             WHERE device_time_ms >= ?1 AND device_time_ms < ?2",
            params![start, end],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("bounds");
    let mut stmt = store
        .connection()
        .prepare_cached(
            "SELECT level, level_count, counter_id, staff_id, field_id, dossier_code, reasons,
                    device_time_ms, suspected_repeat OR dossier_repeat, rowid
             FROM ratings NOT INDEXED
             WHERE rowid >= ?3 AND rowid <= ?4
               AND device_time_ms >= ?1 AND device_time_ms < ?2 AND seq IS NOT NULL",
        )
        .expect("prepare");
    let mut rows = stmt.query(params![start, end, low, high]).expect("query");
    let mut count = 0;
    while let Some(row) = rows.next().expect("row") {
        for column in 0..10 {
            let _ = row.get_ref(column).expect("column");
        }
        count += 1;
    }
    count
}

/// The median of `RUNS` runs after one warm-up, and the last result.
fn measure<T>(mut run: impl FnMut() -> T) -> (Duration, T) {
    let _ = run();
    let mut samples = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        last = Some(run());
        samples.push(started.elapsed());
    }
    samples.sort();
    (samples[RUNS / 2], last.expect("ran"))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn main() {
    let total = env_number("HAILONG_BENCH_RATINGS", DEFAULT_RATINGS);
    let temp = tempfile::tempdir_in(
        std::env::var_os("HAILONG_BENCH_DIR").unwrap_or_else(|| std::env::temp_dir().into()),
    )
    .expect("temp dir");
    let path = temp.path().join("hailong.db");
    let today = chrono::Utc::now().with_timezone(&vn()).date_naive();
    let (mut store, _) = Store::open(&path, chrono::Utc::now().with_timezone(&vn())).expect("open");
    println!("Filling {total} ratings over {DAYS} days ending {today} (+07:00)...");
    let filled = fill(&mut store, total, today);
    // Checkpoint so that reads come from the database file, as on a kiosk running for a while.
    store
        .connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    println!(
        "  written in {:.1} s ({:.0} ratings/s); database {:.0} MB",
        filled.as_secs_f64(),
        total as f64 / filled.as_secs_f64(),
        file_size(&path) as f64 / 1e6
    );

    let (scan, (count, sum)) = measure(|| {
        store
            .connection()
            .query_row("SELECT count(*), sum(level) FROM ratings", [], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
            })
            .expect("scan")
    });
    let (day, day_tally) = measure(|| store.tally(&TallyQuery::day(today, vn())).expect("tally"));
    let (week, week_tally) = measure(|| {
        store
            .tally(&TallyQuery::last_days(today, 7, vn()))
            .expect("tally")
    });
    let (month, month_tally) = measure(|| {
        store
            .tally(&TallyQuery::last_days(today, 30, vn()))
            .expect("tally")
    });
    let month_query = TallyQuery::last_days(today, 30, vn());
    // The floor under any tally done in Rust: the tally's own query, every column touched,
    // nothing kept.
    let (month_sql, read) = measure(|| read_range(&store, &month_query));
    let (listed, rows) = measure(|| store.ratings_in(&month_query).expect("ratings").len());
    let config = TerminalConfig::demo();
    let i18n = I18n::embedded().expect("i18n");
    let vi = Language::default_language();
    let started = Instant::now();
    let report = Report::build(&store, &config, &i18n, &vi, &month_query, false).expect("report");
    let built = started.elapsed();
    let started = Instant::now();
    let xlsx = report.to_xlsx().expect("xlsx");
    let written = started.elapsed();

    println!();
    println!("Median of {RUNS} runs (warm page cache):");
    println!(
        "  full-table scan          {:>9.2} ms   ({count} ratings, sum of levels {sum})",
        ms(scan)
    );
    let line = |name: &str, took: Duration, counted: u64, flagged: u64| {
        println!(
            "  {name:<24} {:>9.2} ms   {:>6.3}x the scan   ({counted} counted, {flagged} flagged apart)",
            ms(took),
            took.as_secs_f64() / scan.as_secs_f64(),
        );
    };
    line("today's tally", day, day_tally.all.total, day_tally.flagged);
    line(
        "7-day tally",
        week,
        week_tally.all.total,
        week_tally.flagged,
    );
    line(
        "30-day tally",
        month,
        month_tally.all.total,
        month_tally.flagged,
    );
    println!(
        "  30-day rows read (SQL)   {:>9.2} ms   {:>6.3}x the scan   ({read} rows)",
        ms(month_sql),
        month_sql.as_secs_f64() / scan.as_secs_f64()
    );
    println!(
        "  30-day rows listed       {:>9.2} ms   {:>6.3}x the scan   ({rows} rows)",
        ms(listed),
        listed.as_secs_f64() / scan.as_secs_f64()
    );
    println!(
        "  30-day export: sheets laid out in {:.0} ms, XLSX built in {:.0} ms ({:.1} MB)",
        ms(built),
        ms(written),
        xlsx.len() as f64 / 1e6
    );
}
