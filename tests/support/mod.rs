//! Shared harness of the kiosk<->server tests (tests/sync.rs) and the sync benchmark
//! (benches/sync.rs): the real provincial server in-process on a loopback port over a SQLite
//! file, a kiosk enrolled with the real client code, ratings recorded through the kiosk's own
//! store path, and checks made on the server's database file.

#![allow(dead_code)]

pub mod proxy;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta};
use hailong::config::{ServerLink, TerminalConfig};
use hailong::store::{RatingDraft, Seal, SealCause, StoredRating, Writer};
use hailong::survey::Level;
use hailong::sync::client::{Client, Endpoint, enroll};
use hailong::sync::engine::Round;
use hailong_server::admin;
use hailong_server::ratelimit::RateLimit;
use hailong_server::{ServerOptions, SqliteStore};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The demo configuration's commune: a terminal enrolled for it records valid ratings while
/// it still runs the demo configuration.
pub const COMMUNE: &str = "00004";
/// The demo configuration's first counter.
pub const COUNTER: &str = "q1";

/// The kiosk's clock (device time).
pub fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Server options with rate limits high enough not to interfere.
pub fn generous() -> ServerOptions {
    let rate = RateLimit {
        burst: 100_000,
        per_second: 100_000.0,
    };
    ServerOptions {
        terminal_rate: rate,
        enroll_rate: rate,
        ..ServerOptions::default()
    }
}

/// The real server, served in this process on 127.0.0.1:0.
pub struct Server {
    pub addr: SocketAddr,
    pub store: SqliteStore,
    pub db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// A terminal added on the server, with its one-time code.
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub terminal_id: String,
    pub code: String,
}

impl Server {
    /// Opens (or creates) the database `db` and serves it on a fresh loopback port.
    pub async fn start(db: &Path, options: ServerOptions) -> Self {
        let store = SqliteStore::open(db).expect("open the server's database");
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(hailong_server::serve(
            listener,
            store.clone(),
            options,
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            store,
            db: db.to_path_buf(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful shutdown: stop accepting, let requests in flight finish, wait for the end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("the server task panicked")
                .expect("the server failed");
        }
    }

    /// `hailong-server terminal add --commune 00004 --counter q1 --json`, through the
    /// server's admin API.
    pub async fn add_terminal(&self, name: &str) -> Enrollment {
        let out = admin::add_terminal(
            &self.store,
            admin::AddTerminal {
                commune: COMMUNE.into(),
                name: name.into(),
                counter: Some(COUNTER.into()),
                expires_hours: 1,
            },
            true,
        )
        .await
        .expect("terminal add");
        let json: serde_json::Value = serde_json::from_str(&out).expect("terminal add --json");
        Enrollment {
            terminal_id: json["terminal_id"].as_str().expect("terminal_id").into(),
            code: json["code"].as_str().expect("code").into(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One rating as the server's database holds it.
#[derive(Debug, Clone)]
pub struct Held {
    pub id: String,
    pub seq: u64,
    pub rating: hailong_protocol::Rating,
}

/// The ratings of `terminal` in the server's database file, by seq (read with a connection
/// of its own, as a technician's `sqlite3` would).
pub fn server_ratings(db: &Path, terminal: &str) -> Vec<Held> {
    let conn = rusqlite::Connection::open(db).expect("open the server's database");
    conn.busy_timeout(Duration::from_secs(10)).expect("busy");
    let mut stmt = conn
        .prepare("SELECT id, seq, content FROM ratings WHERE terminal_id = ?1 ORDER BY seq")
        .expect("prepare");
    stmt.query_map([terminal], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
        ))
    })
    .expect("query")
    .map(|row| {
        let (id, seq, content) = row.expect("row");
        Held {
            id,
            seq: u64::try_from(seq).expect("seq"),
            rating: serde_json::from_str(&content).expect("stored content is a wire rating"),
        }
    })
    .collect()
}

/// Number of rows of `table` in the server's database whose `terminal_id` is `terminal`.
pub fn server_count(db: &Path, table: &str, terminal: &str) -> u64 {
    let conn = rusqlite::Connection::open(db).expect("open the server's database");
    conn.busy_timeout(Duration::from_secs(10)).expect("busy");
    let n: i64 = conn
        .query_row(
            &format!("SELECT count(*) FROM {table} WHERE terminal_id = ?1"),
            [terminal],
            |row| row.get(0),
        )
        .expect("count");
    u64::try_from(n).expect("count")
}

/// The server's quarantine rows of `terminal`: (seq, rating id, kind, field).
pub fn server_quarantine(
    db: &Path,
    terminal: &str,
) -> Vec<(Option<u64>, Option<String>, String, Option<String>)> {
    let conn = rusqlite::Connection::open(db).expect("open the server's database");
    let mut stmt = conn
        .prepare(
            "SELECT seq, rating_id, kind, field FROM quarantine WHERE terminal_id = ?1
             ORDER BY seq",
        )
        .expect("prepare");
    stmt.query_map([terminal], |row| {
        Ok((
            row.get::<_, Option<i64>>(0)?
                .map(|s| u64::try_from(s).expect("seq")),
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
        ))
    })
    .expect("query")
    .map(|row| row.expect("row"))
    .collect()
}

/// A kiosk: its own data and configuration directories, the store's writer thread, and the
/// HTTP client of its server link.
pub struct Kiosk {
    pub dir: tempfile::TempDir,
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
    pub link: ServerLink,
    pub config: TerminalConfig,
    pub writer: Writer,
    pub client: Client,
    /// Whether recording checks for suspected repeats (the configuration's repeat interval).
    /// The check costs a scan of the terminal's ratings per seal (see the bench), so a large
    /// backlog is recorded without it.
    pub repeat_check: bool,
}

impl Kiosk {
    /// Enrolls at `url` with `code` as `hailong provision` does (the real enrollment client),
    /// writes server.toml (and terminal.toml when the server has a configuration), and opens
    /// the kiosk's store.
    pub async fn provision(url: &str, code: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let config_dir = dir.path().join("config");
        std::fs::create_dir_all(&config_dir).expect("config dir");
        let endpoint = Endpoint {
            url: url.to_owned(),
            ..Endpoint::default()
        };
        let enrolled = enroll(&endpoint, code).await.expect("enroll");
        let mut link = ServerLink {
            url: url.to_owned(),
            terminal_id: enrolled.terminal_id.clone(),
            token: enrolled.token.clone(),
            counter: enrolled.counter_id.clone(),
            ca_cert: None,
            proxy: None,
            config_version: None,
        };
        let config = match &enrolled.config {
            Some(envelope) => {
                let config = TerminalConfig::from_server(&envelope.document, &link)
                    .expect("the server's configuration");
                config.save(&config_dir).expect("write terminal.toml");
                link.config_version = Some(envelope.version.clone());
                config
            }
            None => {
                // As `hailong::cli::load`: a linked terminal records under its enrolled id,
                // even while it still runs the demo configuration.
                let mut config = TerminalConfig::demo();
                config.terminal.id.clone_from(&link.terminal_id);
                config
            }
        };
        link.save(&config_dir).expect("write server.toml");
        let (writer, opened) = Writer::spawn_with(&data_dir.join("hailong.db"), now, false);
        opened.await.expect("open the kiosk's store");
        let client = Client::new(&link).expect("client");
        Self {
            dir,
            data_dir,
            config_dir,
            link,
            config,
            writer,
            client,
            repeat_check: true,
        }
    }

    pub fn terminal(&self) -> &str {
        &self.link.terminal_id
    }

    /// One sync round as the background worker runs it.
    pub fn round(&self) -> Round<'_> {
        Round {
            writer: &self.writer,
            client: &self.client,
            link: &self.link,
            config_dir: &self.config_dir,
            clock: now,
        }
    }

    /// Records `n` sealed ratings through the kiosk's store (`Store::save` with a seal, as
    /// `hailong rate` and the screens do). Recording speed is not what is tested: the writes
    /// skip the fsync (`synchronous=OFF`) and the store goes back to FULL afterwards.
    pub async fn record(&self, n: usize) -> Vec<(Uuid, u64)> {
        self.record_with(n, |_, _| {}).await
    }

    /// Like [`Kiosk::record`]; `edit(i, draft)` may change each draft before it is sealed.
    pub async fn record_with(
        &self,
        n: usize,
        edit: impl Fn(usize, &mut RatingDraft) + Send + 'static,
    ) -> Vec<(Uuid, u64)> {
        let config = self.config.clone();
        let repeat_check = self.repeat_check;
        self.writer
            .run(move |store| {
                let store = store?;
                store
                    .connection()
                    .pragma_update(None, "synchronous", "OFF")?;
                let repeat = if repeat_check {
                    Duration::from_secs(config.timing.repeat_interval_secs)
                } else {
                    Duration::ZERO
                };
                let start = now();
                let mut saved = Vec::with_capacity(n);
                for i in 0..n {
                    let tapped = start + TimeDelta::seconds(30 * i as i64);
                    let mut draft = draft(&config, i, tapped);
                    edit(i, &mut draft);
                    let seal = Seal {
                        cause: SealCause::Completed,
                        at: tapped + TimeDelta::seconds(4),
                        repeat_interval: repeat,
                    };
                    let done = store.save(&draft, Some(&seal))?;
                    saved.push((draft.id, done.seq.expect("sealed")));
                }
                store
                    .connection()
                    .pragma_update(None, "synchronous", "FULL")?;
                Ok(saved)
            })
            .await
            .expect("record ratings")
    }

    /// Every sealed rating of this terminal, by seq.
    pub async fn sealed(&self) -> Vec<StoredRating> {
        let terminal = self.terminal().to_owned();
        self.writer
            .run(move |store| store?.sealed_after(&terminal, 0, usize::MAX))
            .await
            .expect("sealed ratings")
    }

    /// Sealed ratings the server has not answered for.
    pub async fn queue_len(&self) -> u64 {
        let terminal = self.terminal().to_owned();
        self.writer
            .run(move |store| store?.queue_len(&terminal))
            .await
            .expect("queue length")
    }

    /// The kiosk's sync outcomes: rating id -> (status, detail).
    pub async fn outcomes(&self) -> BTreeMap<Uuid, (String, Option<String>)> {
        self.writer
            .run(|store| {
                let store = store?;
                let mut stmt = store
                    .connection()
                    .prepare("SELECT rating_id, status, detail FROM sync_outcomes")?;
                let rows = stmt
                    .query_map([], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, Option<String>>(2)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows
                    .into_iter()
                    .map(|(id, status, detail)| {
                        (Uuid::parse_str(&id).expect("uuid"), (status, detail))
                    })
                    .collect())
            })
            .await
            .expect("sync outcomes")
    }

    /// Asserts that the server holds every sealed rating of this kiosk exactly once, with the
    /// content the kiosk sealed, and nothing else of this terminal.
    pub async fn assert_server_holds_exactly_mine(&self, db: &Path) {
        let mine = self.sealed().await;
        let held = server_ratings(db, self.terminal());
        let ids: BTreeSet<&str> = held.iter().map(|h| h.id.as_str()).collect();
        let seqs: BTreeSet<u64> = held.iter().map(|h| h.seq).collect();
        assert_eq!(ids.len(), held.len(), "a rating id is held twice");
        assert_eq!(seqs.len(), held.len(), "a seq is held twice");
        assert_eq!(
            held.len(),
            mine.len(),
            "the server holds {} ratings of {}, the kiosk sealed {}",
            held.len(),
            self.terminal(),
            mine.len()
        );
        for (stored, held) in mine.iter().zip(&held) {
            let wire = hailong::sync::to_wire(stored).expect("sealed");
            assert_eq!(held.id, wire.id.to_string(), "seq {}", wire.seq);
            assert_eq!(held.seq, wire.seq);
            assert_eq!(
                held.rating, wire,
                "the server holds other content for {}",
                wire.id
            );
        }
    }
}

/// A draft as the citizen screens write one, for `config`'s default counter.
pub fn draft(config: &TerminalConfig, i: usize, tapped: DateTime<FixedOffset>) -> RatingDraft {
    let set = config.active_question_set();
    let counter = config.default_counter();
    let value = u8::try_from(i % usize::from(set.levels)).expect("level") + 1;
    RatingDraft {
        id: Uuid::now_v7(),
        terminal_id: config.terminal.id.clone(),
        commune_code: config.commune.code.clone(),
        counter_id: counter.map(|c| c.id.clone()),
        staff_id: counter.and_then(|c| c.staff.clone()),
        field_id: counter.and_then(|c| c.field.clone()),
        dossier_code: None,
        stage: config.terminal.stage,
        question_set_id: set.id.clone(),
        question_set_version: set.version,
        level: Level::new(value, set.levels).expect("level"),
        answers: Vec::new(),
        reasons: Vec::new(),
        language: hailong::i18n::DEFAULT_LANGUAGE.to_owned(),
        device_time: tapped,
        feedback: Default::default(),
    }
}
