//! Tamper evidence end to end (issue 8): a real kiosk data directory filled by the real
//! `hailong` binary, provisioned against the real provincial server served in this process,
//! then tampered with exactly as an attacker with the disk would: with the `sqlite3` CLI,
//! dropping the triggers that refuse changes to sealed ratings first.
//!
//! Proves that both sides catch it: the kiosk (`Store::verify_chain`, `hailong doctor`) and the
//! server (tamper alerts after `hailong sync`), and that the server still stores every rating
//! it received.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use hailong::store::Store;
use hailong_protocol::chain::Break;
use hailong_server::store::{Store as _, TamperAlert, TamperKind};
use hailong_server::{ServerOptions, SqliteStore, admin};
use tokio::sync::oneshot;

const HAILONG: &str = env!("CARGO_BIN_EXE_hailong");
/// The demo configuration's commune and first counter: the kiosk records valid ratings for a
/// terminal of this commune while it still runs the demo configuration.
const COMMUNE: &str = "00004";
const COUNTER: &str = "q1";

/// The provincial server, in this process on a loopback port, over a temporary database.
struct Server {
    url: String,
    store: SqliteStore,
    db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("server.db");
        let store = SqliteStore::open(&db).expect("open the server's database");
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(hailong_server::serve(
            listener,
            store.clone(),
            ServerOptions::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            url,
            store,
            db,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// `hailong-server terminal add --commune 00004 --counter q1 --json`: the one-time code.
    async fn enrollment_code(&self) -> String {
        let out = admin::add_terminal(
            &self.store,
            admin::AddTerminal {
                commune: COMMUNE.into(),
                name: "Quầy 1".into(),
                counter: Some(COUNTER.into()),
                expires_hours: 1,
            },
            true,
        )
        .await
        .expect("terminal add");
        let json: serde_json::Value = serde_json::from_str(&out).expect("terminal add --json");
        json["code"].as_str().expect("code").to_owned()
    }

    async fn alerts(&self, terminal: &str) -> Vec<TamperAlert> {
        self.store
            .tamper_alerts(terminal.to_owned())
            .await
            .expect("tamper alerts")
            .expect("the terminal exists")
    }

    /// (seq, level) of every rating of `terminal` the server holds, read from its file.
    fn held(&self, terminal: &str) -> Vec<(i64, i64)> {
        let conn = rusqlite::Connection::open(&self.db).expect("open the server's database");
        let mut stmt = conn
            .prepare("SELECT seq, level FROM ratings WHERE terminal_id = ?1 ORDER BY seq")
            .expect("prepare");
        stmt.query_map([terminal], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A kiosk's directories, used by the `hailong` binary through HAILONG_DATA_DIR and
/// HAILONG_CONFIG_DIR.
struct Kiosk {
    dir: Arc<tempfile::TempDir>,
}

impl Kiosk {
    fn new() -> Self {
        Self {
            dir: Arc::new(tempfile::tempdir().expect("temp dir")),
        }
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("data").join("hailong.db")
    }

    /// Runs the binary off the async workers (the server runs on them).
    async fn run(&self, args: &[&str]) -> Output {
        let dir = Arc::clone(&self.dir);
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            Command::new(HAILONG)
                .args(&args)
                .env("HAILONG_DATA_DIR", dir.path().join("data"))
                .env("HAILONG_CONFIG_DIR", dir.path().join("config"))
                .env("RUST_LOG", "warn")
                .output()
                .expect("run hailong")
        })
        .await
        .expect("join")
    }

    /// Runs a `--json` command that must succeed; returns its JSON.
    async fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "`hailong {}` failed: {}",
            args.join(" "),
            text(&out)
        );
        parse(&out, args)
    }

    /// `hailong rate --level N` for each level, in order (seqs 1, 2, ...).
    async fn rate(&self, levels: &[u8]) {
        for level in levels {
            let out = self.run(&["rate", "--level", &level.to_string()]).await;
            assert!(out.status.success(), "hailong rate: {}", text(&out));
        }
    }

    /// What the kiosk's own chain verification finds.
    fn verify_chain(&self, terminal: &str) -> (u64, Vec<Break>) {
        let now = chrono::Local::now().fixed_offset();
        let (store, _) = Store::open(&self.database(), now).expect("open the kiosk's store");
        store.verify_chain(terminal).expect("verify the chain")
    }

    /// `hailong doctor --json`: whether it exited 0, and its "chain" check.
    async fn doctor_chain(&self) -> (bool, serde_json::Value) {
        let args = ["doctor", "--json"];
        let out = self.run(&args).await;
        let json = parse(&out, &args);
        let chain = json["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == "chain")
            .unwrap_or_else(|| panic!("doctor has no \"chain\" check: {json:#}"))
            .clone();
        assert_eq!(json["ok"].as_bool(), Some(out.status.success()), "{json:#}");
        (out.status.success(), chain)
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn parse(out: &Output, args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`hailong {}` printed no JSON ({e}): {}",
            args.join(" "),
            text(out)
        )
    })
}

/// Runs SQL on `db` with the sqlite3 CLI, as an attacker would.
fn sqlite3(db: &Path, sql: &str) {
    let out = match Command::new("sqlite3").arg(db).arg(sql).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "the sqlite3 CLI is missing: this test tampers with the kiosk's database exactly as \
             an attacker would. Install it: apt-get install sqlite3"
        ),
        Err(e) => panic!("cannot run sqlite3: {e}"),
    };
    assert!(out.status.success(), "sqlite3 {sql}: {}", text(&out));
}

/// (kind, first seq, last seq) of each open alert.
fn open(alerts: &[TamperAlert]) -> Vec<(TamperKind, u64, u64)> {
    alerts
        .iter()
        .filter(|a| a.resolved_at.is_none())
        .map(|a| (a.kind, a.first_seq, a.last_seq))
        .collect()
}

/// A provisioned kiosk (`hailong provision`) with ten ratings (`hailong rate`); its terminal id.
async fn provisioned(server: &Server, kiosk: &Kiosk) -> String {
    let code = server.enrollment_code().await;
    let provisioned = kiosk
        .json(&[
            "provision",
            "--server",
            &server.url,
            "--code",
            &code,
            "--json",
        ])
        .await;
    let terminal = provisioned["terminal"]
        .as_str()
        .expect("terminal")
        .to_owned();
    // Seq 5 is rated 1, so that setting it to 3 changes it.
    kiosk.rate(&[3, 2, 3, 2, 1, 3, 2, 3, 2, 3]).await;
    assert_eq!(
        kiosk.verify_chain(&terminal),
        (10, vec![]),
        "an honest chain"
    );
    terminal
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_and_deleting_with_sqlite3_is_caught_by_the_kiosk_and_the_server() {
    let server = Server::start().await;
    let kiosk = Kiosk::new();
    let terminal = provisioned(&server, &kiosk).await;
    let (healthy, chain) = kiosk.doctor_chain().await;
    assert_eq!(
        chain["status"], "ok",
        "before tampering: {chain:#} (doctor ok: {healthy})"
    );

    let db = kiosk.database();
    sqlite3(
        &db,
        "DROP TRIGGER ratings_sealed_are_immutable; UPDATE ratings SET level = 3 WHERE seq = 5;",
    );
    sqlite3(
        &db,
        "DROP TRIGGER ratings_sealed_are_kept; DELETE FROM ratings WHERE seq = 7;",
    );

    // The kiosk: its own verification and the doctor name both places.
    let (checked, breaks) = kiosk.verify_chain(&terminal);
    assert_eq!(checked, 9);
    assert_eq!(
        breaks,
        [Break::Edited { seq: 5 }, Break::Gap { first: 7, last: 7 }]
    );
    let (healthy, chain) = kiosk.doctor_chain().await;
    assert!(!healthy, "doctor exits non-zero on a broken chain");
    assert_eq!(chain["status"], "fail", "{chain:#}");
    let detail = chain["detail"].as_str().expect("detail");
    assert!(
        detail.contains("seq 5") && detail.contains("seq 7"),
        "{detail}"
    );
    assert!(
        !chain["fix"].as_str().unwrap_or_default().is_empty(),
        "{chain:#}"
    );

    // The server: every rating the kiosk still has is stored as sent, the edit included, and
    // both findings are alerts of this terminal.
    let synced = kiosk.json(&["sync", "--json"]).await;
    assert_eq!(synced["created"], 9, "{synced:#}");
    assert_eq!(synced["quarantined"], 0, "{synced:#}");
    assert_eq!(
        server.held(&terminal),
        [
            (1, 3),
            (2, 2),
            (3, 3),
            (4, 2),
            (5, 3),
            (6, 3),
            (8, 3),
            (9, 2),
            (10, 3)
        ]
    );
    let alerts = server.alerts(&terminal).await;
    assert_eq!(
        open(&alerts),
        [(TamperKind::Edited, 5, 5), (TamperKind::Gap, 7, 7)],
        "{alerts:#?}"
    );
    let list: serde_json::Value =
        serde_json::from_str(&admin::list_terminals(&server.store, true).await.unwrap()).unwrap();
    assert_eq!(list[0]["tamper_alerts"], 2, "{list:#}");
    assert_eq!(list[0]["latest_alert"]["kind"], "gap", "{list:#}");

    // Syncing again sends nothing and records nothing again.
    let again = kiosk.json(&["sync", "--json"]).await;
    assert_eq!(
        (again["created"].as_u64(), again["queued"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(server.alerts(&terminal).await, alerts);
}

/// An attacker who knows the chain rewrites the tail consistently after a sync: the kiosk's
/// chain verifies again, so only the server can tell, from the head the kiosk anchored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tail_rewritten_after_sync_is_caught_by_the_servers_anchor() {
    let server = Server::start().await;
    let kiosk = Kiosk::new();
    let terminal = provisioned(&server, &kiosk).await;
    let synced = kiosk.json(&["sync", "--json"]).await;
    assert_eq!(synced["created"], 10, "{synced:#}");
    assert_eq!(server.alerts(&terminal).await, [], "an honest sync");

    // Remove seqs 9 and 10, rewind the sequence, and rate again: a valid chain of ten.
    sqlite3(
        &kiosk.database(),
        "DROP TRIGGER ratings_sealed_are_kept;
         DELETE FROM sync_outcomes WHERE rating_id IN (SELECT id FROM ratings WHERE seq > 8);
         DELETE FROM ratings WHERE seq > 8;
         UPDATE sequences SET last_seq = 8, last_hash = (SELECT hash FROM ratings WHERE seq = 8);",
    );
    kiosk.rate(&[1, 1]).await;
    assert_eq!(
        kiosk.verify_chain(&terminal),
        (10, vec![]),
        "the kiosk cannot tell"
    );

    // The server accounts for seqs 1..=10 already, so the kiosk uploads nothing: only the
    // heartbeat's anchor carries the rewritten head.
    let synced = kiosk.json(&["sync", "--json"]).await;
    assert_eq!(
        (synced["created"].as_u64(), synced["accounted"].as_u64()),
        (Some(0), Some(2)),
        "{synced:#}"
    );
    assert_eq!(
        server.held(&terminal),
        [
            (1, 3),
            (2, 2),
            (3, 3),
            (4, 2),
            (5, 1),
            (6, 3),
            (7, 2),
            (8, 3),
            (9, 2),
            (10, 3)
        ],
        "the server keeps what it received"
    );
    let alerts = server.alerts(&terminal).await;
    assert_eq!(open(&alerts), [(TamperKind::Anchor, 10, 10)], "{alerts:#?}");
    assert!(
        alerts[0].detail.contains("rewritten after anchoring"),
        "{}",
        alerts[0].detail
    );
}
