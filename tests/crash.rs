//! Kill -9 in the middle of recording: runs the real `hailong rate` against one data directory
//! over and over, killing it (SIGKILL) at random moments, sometimes two processes at once.
//! Afterwards every id a process printed is in the database and sealed, sequence numbers are
//! 1..=N without gaps or doubles, the file passes SQLite's integrity check, and `hailong status`
//! agrees.
//!
//! HAILONG_CRASH_CYCLES sets the number of cycles (default 200); HAILONG_CRASH_SEED replays a
//! run (the seed is printed).
//!
//! A kill cannot tell synchronous=FULL from NORMAL (the OS cache survives a process kill); this
//! is about atomicity and numbering, not about power cuts.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

const HAILONG: &str = env!("CARGO_BIN_EXE_hailong");

/// xorshift64: tiny, seeded, good enough to pick delays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    )
}

fn seed() -> u64 {
    env_u64("HAILONG_CRASH_SEED").unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        // Never zero: xorshift would stay at zero.
        (nanos as u64 ^ u64::from(std::process::id())) | 1
    })
}

fn hailong(data: &Path) -> Command {
    let mut command = Command::new(HAILONG);
    command
        .env("HAILONG_DATA_DIR", data)
        .env("HAILONG_CONFIG_DIR", data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

fn spawn_rate(data: &Path, rng: &mut Rng) -> Child {
    let level = 1 + rng.below(3);
    let mut command = hailong(data);
    command.args(["rate", "--level", &level.to_string()]);
    if rng.below(2) == 0 {
        command.args(["--counter", "q2"]);
    }
    if rng.below(4) == 0 {
        command.args(["--dossier", &format!("HS-{:05}", rng.below(50))]);
    }
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hailong rate")
}

#[derive(Debug, Default)]
struct Tally {
    processes: usize,
    killed: usize,
    finished: usize,
    printed: BTreeSet<Uuid>,
}

/// Kills `child` (a no-op when it has already exited), then collects what it printed.
fn finish(mut child: Child, tally: &mut Tally, seed: u64) {
    // On Unix, Child::kill sends SIGKILL.
    let _ = child.kill();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout piped")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr piped")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    tally.processes += 1;
    if status.signal() == Some(9) {
        tally.killed += 1;
    } else {
        assert!(
            status.success(),
            "hailong rate failed on its own ({status}), seed {seed}: {stderr}"
        );
        tally.finished += 1;
        assert!(
            !stdout.trim().is_empty(),
            "a finished rate printed no id, seed {seed}"
        );
    }
    for line in stdout.lines() {
        let id = Uuid::parse_str(line.trim())
            .unwrap_or_else(|e| panic!("not an id: {line:?} ({e}), seed {seed}"));
        assert!(tally.printed.insert(id), "id {id} printed twice");
    }
}

#[test]
fn killed_rate_commands_leave_a_sound_database_with_every_printed_rating() {
    let cycles = env_u64("HAILONG_CRASH_CYCLES").unwrap_or(200);
    let seed = seed();
    eprintln!("crash test: {cycles} cycles, seed {seed} (HAILONG_CRASH_SEED={seed} to replay)");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    let started = Instant::now();
    let mut tally = Tally::default();

    for cycle in 0..cycles {
        // Every fourth cycle (and the very first, on a database that does not exist yet) two
        // processes race for the write lock.
        let together = if cycle == 0 || rng.below(4) == 0 {
            2
        } else {
            1
        };
        let mut children: Vec<(Duration, Child)> = (0..together)
            .map(|_| {
                let delay = Duration::from_micros(rng.below(30_001));
                (delay, spawn_rate(data, &mut rng))
            })
            .collect();
        let spawned = Instant::now();
        children.sort_by_key(|(delay, _)| *delay);
        for (delay, child) in children {
            if let Some(wait) = delay.checked_sub(spawned.elapsed()) {
                std::thread::sleep(wait);
            }
            finish(child, &mut tally, seed);
        }
    }
    let elapsed = started.elapsed();

    let database = data.join("hailong.db");
    let conn = Connection::open_with_flags(&database, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the database read-only");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity check");
    assert_eq!(integrity, "ok", "seed {seed}");

    let drafts: i64 = conn
        .query_row(
            "SELECT count(*) FROM ratings WHERE seq IS NULL",
            [],
            |row| row.get(0),
        )
        .expect("drafts");
    assert_eq!(drafts, 0, "rate writes and seals in one transaction");

    let seqs: Vec<i64> = conn
        .prepare("SELECT seq FROM ratings WHERE seq IS NOT NULL ORDER BY seq")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("seqs");
    let sealed = seqs.len();
    let expected: Vec<i64> = (1..=sealed as i64).collect();
    assert_eq!(
        seqs, expected,
        "sequence numbers not 1..={sealed}, seed {seed}"
    );
    let last_seq: i64 = conn
        .query_row(
            "SELECT last_seq FROM sequences WHERE terminal_id = 'demo'",
            [],
            |row| row.get(0),
        )
        .expect("last seq");
    assert_eq!(last_seq, sealed as i64);

    for id in &tally.printed {
        let cause: Option<String> = conn
            .query_row(
                "SELECT seal_cause FROM ratings WHERE id = ?1 AND seq IS NOT NULL",
                [id.to_string()],
                |row| row.get(0),
            )
            .unwrap_or_else(|e| panic!("printed id {id} is not sealed in the database ({e})"));
        assert_eq!(cause.as_deref(), Some("cli"));
    }
    assert!(sealed >= tally.printed.len());
    drop(conn);

    let leftovers: Vec<String> = std::fs::read_dir(data)
        .expect("list data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("corrupt"))
        .collect();
    assert!(leftovers.is_empty(), "moved aside: {leftovers:?}");

    let output = hailong(data)
        .args(["status", "--json"])
        .output()
        .expect("run hailong status");
    assert!(
        output.status.success(),
        "status failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("status --json is JSON");
    assert_eq!(status["ratings_total"], sealed, "{status:#}");
    assert_eq!(status["last_seq"], sealed, "{status:#}");
    assert_eq!(status["drafts"], 0, "{status:#}");
    assert_eq!(status["terminal"], "demo");
    assert!(status["database_moved_aside"].is_null(), "{status:#}");

    eprintln!(
        "crash test: {cycles} cycles, {} processes ({} killed, {} finished), {} ids printed, \
         {sealed} ratings sealed, {:.1} s, seed {seed}",
        tally.processes,
        tally.killed,
        tally.finished,
        tally.printed.len(),
        elapsed.as_secs_f64(),
    );
}
