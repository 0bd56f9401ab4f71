//! Shared test harness: a running server, enrolled terminals, sample ratings, and
//! assertions on error bodies and on "nothing changed".

use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::{Duration, Utc};
use hailong_protocol::{
    EnrollResponse, ErrorBody, Rating, SealCause, Stage, UploadBatch, encode_batch, paths,
};
use hailong_server::ratelimit::RateLimit;
use hailong_server::store::{NewTerminal, Store};
use hailong_server::{AnyStore, PostgresStore, ServerOptions, SqliteStore, secret};
use reqwest::StatusCode;
use tokio::sync::oneshot;
use uuid::Uuid;

/// Table dump as returned by `SqliteStore::dump_tables` (and `PostgresStore::dump_tables`).
pub type Dump = BTreeMap<&'static str, Vec<String>>;

/// A server running in this process on a loopback port, over a fresh database: a SQLite
/// file, or a PostgreSQL database of its own when this test binary runs the suite over
/// PostgreSQL (`crate::POSTGRES`).
pub struct TestServer {
    pub base: String,
    pub store: AnyStore,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
    /// The test's own PostgreSQL database, dropped with the server.
    pg: Option<PgTestDb>,
}

/// An enrolled terminal.
#[derive(Debug, Clone)]
pub struct Kiosk {
    pub id: String,
    pub commune: String,
    pub token: String,
}

impl TestServer {
    /// A server with a rate limit high enough not to interfere.
    pub async fn start() -> Self {
        Self::start_with(generous()).await
    }

    pub async fn start_with(options: ServerOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if crate::POSTGRES {
            let db = PgTestDb::create().await;
            let store = PostgresStore::connect_config(db.config()).await.unwrap();
            let mut server = Self::start_inner(store.into(), options, dir).await;
            server.pg = Some(db);
            return server;
        }
        let store = SqliteStore::open(&dir.path().join("server.db")).unwrap();
        Self::start_inner(store.into(), options, dir).await
    }

    /// A server over an existing store (restart tests).
    pub async fn start_on(store: impl Into<AnyStore>) -> Self {
        Self::start_inner(store.into(), generous(), tempfile::tempdir().unwrap()).await
    }

    async fn start_inner(store: AnyStore, options: ServerOptions, dir: tempfile::TempDir) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel();
        let served = store.clone();
        tokio::spawn(async move {
            hailong_server::serve(listener, served, options, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            store,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            _dir: dir,
            pg: None,
        }
    }

    /// The `--db` of this server's database, for the CLI.
    pub fn db_uri(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url(),
            None => format!("sqlite://{}", self._dir.path().join("server.db").display()),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn dump(&self) -> Dump {
        match &self.store {
            AnyStore::Sqlite(store) => store.dump_tables().unwrap(),
            AnyStore::Postgres(_) => self.pg.as_ref().expect("a test database").dump(),
        }
    }

    /// Registers a terminal whose code expires after `valid_for`; returns (id, code).
    pub async fn add_terminal(&self, commune: &str, valid_for: Duration) -> (String, String) {
        let code = secret::new_code().unwrap();
        let now = Utc::now();
        let terminal = self
            .store
            .add_terminal(
                NewTerminal {
                    commune_code: commune.into(),
                    name: "Quầy 1".into(),
                    counter_id: Some("1".into()),
                    code_hash: secret::code_hash(&code),
                    expires_at: now + valid_for,
                },
                now,
            )
            .await
            .unwrap();
        (terminal.id, secret::display_code(&code))
    }

    pub async fn enroll_raw(&self, code: &str) -> reqwest::Response {
        self.client
            .post(self.url(paths::ENROLL))
            .json(&serde_json::json!({ "code": code, "app_version": "test" }))
            .send()
            .await
            .unwrap()
    }

    /// A freshly enrolled terminal of `commune`.
    pub async fn kiosk(&self, commune: &str) -> Kiosk {
        let (_, code) = self.add_terminal(commune, Duration::hours(24)).await;
        let resp = self.enroll_raw(&code).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: EnrollResponse = resp.json().await.unwrap();
        Kiosk {
            id: body.terminal_id,
            commune: body.commune_code,
            token: body.token,
        }
    }

    /// POSTs raw bytes to the ratings endpoint.
    pub async fn post_ratings(&self, token: &str, body: Vec<u8>, gzip: bool) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(paths::RATINGS))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        if gzip {
            req = req.header("content-encoding", "gzip");
        }
        req.send().await.unwrap()
    }

    /// Uploads ratings as a gzip'd batch with the current device time.
    pub async fn upload(&self, kiosk: &Kiosk, ratings: Vec<Rating>) -> reqwest::Response {
        let batch = UploadBatch {
            device_time: Utc::now().to_rfc3339(),
            ratings,
        };
        self.post_ratings(&kiosk.token, encode_batch(&batch, true), true)
            .await
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The PostgreSQL server the suite runs against, as `HAILONG_TEST_POSTGRES` names it (a
/// role allowed to create databases, e.g. postgres://hailong:hailong@127.0.0.1/postgres).
pub fn postgres_url() -> Option<String> {
    std::env::var("HAILONG_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A fresh PostgreSQL database of one test, `test_<random>`, dropped when the test ends.
pub struct PgTestDb {
    admin: tokio_postgres::Config,
    name: String,
}

impl PgTestDb {
    /// Creates the database on the server `HAILONG_TEST_POSTGRES` names.
    pub async fn create() -> Self {
        let url = postgres_url().expect("HAILONG_TEST_POSTGRES is set");
        let admin: tokio_postgres::Config = url.parse().expect("HAILONG_TEST_POSTGRES is a URL");
        let name = format!("test_{}", Uuid::now_v7().simple());
        let client = connect(&admin).await;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        Self { admin, name }
    }

    /// The connection settings of the test database.
    pub fn config(&self) -> tokio_postgres::Config {
        let mut config = self.admin.clone();
        config.dbname(&self.name);
        config
    }

    /// The URL of the test database: `HAILONG_TEST_POSTGRES` with its database name replaced.
    pub fn url(&self) -> String {
        let url = postgres_url().expect("HAILONG_TEST_POSTGRES is set");
        let (url, query) = url.split_once('?').unwrap_or((&url, ""));
        let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
        let server = rest.split_once('/').map_or(rest, |(server, _)| server);
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!("{scheme}://{server}/{}{query}", self.name)
    }

    /// Every table as text (blocking: runs on a thread of its own, any runtime or none).
    pub fn dump(&self) -> Dump {
        let config = self.config();
        std::thread::spawn(move || {
            block_on(async move {
                let client = connect(&config).await;
                hailong_server::postgres::dump_tables(&client)
                    .await
                    .unwrap()
            })
        })
        .join()
        .unwrap()
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            block_on(async move { connect(&admin).await.batch_execute(&sql).await })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

/// A plain connection, its connection task spawned on the current runtime.
pub async fn connect(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect to HAILONG_TEST_POSTGRES");
    tokio::spawn(connection);
    client
}

/// Runs a future on a runtime of its own.
fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Rate limits high enough not to interfere.
pub fn generous() -> ServerOptions {
    let rate = RateLimit {
        burst: 10_000,
        per_second: 10_000.0,
    };
    ServerOptions {
        terminal_rate: rate,
        enroll_rate: rate,
        ..ServerOptions::default()
    }
}

/// A valid rating of `kiosk` with sequence `seq`.
pub fn rating(kiosk: &Kiosk, seq: u64) -> Rating {
    let mut rating = Rating {
        id: Uuid::now_v7(),
        seq,
        terminal_id: kiosk.id.clone(),
        commune_code: kiosk.commune.clone(),
        counter_id: Some("1".into()),
        staff_id: Some("cb-07".into()),
        field_id: Some("ho-tich".into()),
        dossier_code: Some(format!("H55-{seq:06}")),
        stage: Stage::Return,
        question_set_id: "quick".into(),
        question_set_version: 1,
        level: (seq % 3 + 1) as u8,
        level_count: 3,
        answers: vec![],
        reasons: vec![],
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
    // Linked to the genesis for seq 1; otherwise to a stand-in (see `ratings` for a chain).
    let prev = if seq == 1 {
        hailong_protocol::chain::genesis(&rating.terminal_id)
    } else {
        "0".repeat(64)
    };
    rating.link(prev);
    rating
}

/// Ratings `seqs` of `kiosk`.
/// Consecutive seqs form a proper hash chain.
pub fn ratings(kiosk: &Kiosk, seqs: impl IntoIterator<Item = u64>) -> Vec<Rating> {
    let mut out: Vec<Rating> = Vec::new();
    for seq in seqs {
        let mut rating = rating(kiosk, seq);
        if let Some(prev) = out.last().filter(|p| p.seq + 1 == seq) {
            rating.link(prev.hash.clone());
        }
        out.push(rating);
    }
    out
}

/// Asserts the status and the JSON error code; returns the body.
pub async fn expect_error(resp: reqwest::Response, status: StatusCode, code: &str) -> ErrorBody {
    assert_eq!(resp.status(), status, "status");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "error bodies are JSON"
    );
    let body: ErrorBody = resp.json().await.expect("error body is {error, message}");
    assert_eq!(body.error, code, "error code ({})", body.message);
    assert!(!body.message.is_empty());
    body
}
