//! Re-provisioning a terminal to another terminal id and server, with ratings of the old id
//! not yet sent: they still reach the server they belong to, with the old id's token, while
//! the new ratings go to the new server; when the old server is gone they are held on the
//! terminal and shown as held by `hailong status` and `hailong doctor`, never dropped. Two real
//! servers on loopback ports (tests/support).

mod support;

use std::path::Path;
use std::process::Command;

use chrono::TimeDelta;
use hailong::config::{ServerLink, TerminalConfig};
use hailong::store::{Seal, SealCause};
use hailong::sync::earlier;
use hailong::sync::worker::{self, Settings};
use support::{Kiosk, Server, draft, generous, now, server_ratings};

fn server_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("server.db");
    (dir, db)
}

/// Records `n` sealed ratings under `config`'s terminal id, as the screens do.
async fn record_as(kiosk: &Kiosk, config: &TerminalConfig, n: usize) {
    let config = config.clone();
    kiosk
        .writer
        .run(move |store| {
            let store = store?;
            let start = now();
            for i in 0..n {
                let tapped = start + TimeDelta::seconds(30 * i as i64);
                let seal = Seal {
                    cause: SealCause::Completed,
                    at: tapped + TimeDelta::seconds(4),
                    repeat_interval: std::time::Duration::ZERO,
                };
                let _ = store.save(&draft(&config, i, tapped), Some(&seal))?;
            }
            Ok(())
        })
        .await
        .expect("record");
}

/// Enrolls the kiosk's configuration folder with `server` as `hailong provision` does. The
/// server already serves another terminal of the commune, so the new id differs from the old
/// one (an id both servers gave is the same terminal to the kiosk: the new link takes its
/// queue over, as when a province moves its server).
async fn reprovision(kiosk: &Kiosk, server: &Server) -> (ServerLink, TerminalConfig) {
    let _other = server.add_terminal("Quầy 2").await;
    let enrollment = server.add_terminal("Quầy 1 (máy mới)").await;
    let enrolled = hailong::provision::enroll(
        &kiosk.config_dir,
        &server.url(),
        &enrollment.code,
        None,
        None,
    )
    .await
    .expect("re-provision");
    let mut config = kiosk.config.clone();
    config.terminal.id.clone_from(&enrolled.link.terminal_id);
    (enrolled.link, config)
}

fn settings(kiosk: &Kiosk, link: &ServerLink) -> Settings {
    Settings {
        writer: kiosk.writer.clone(),
        link: link.clone(),
        config_dir: kiosk.config_dir.clone(),
        clock: now,
    }
}

fn hailong_json(kiosk: &Kiosk, args: &[&str]) -> (bool, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_hailong"))
        .args(args)
        .env("HAILONG_DATA_DIR", &kiosk.data_dir)
        .env("HAILONG_CONFIG_DIR", &kiosk.config_dir)
        .output()
        .expect("run hailong");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), json)
}

async fn queue_of(kiosk: &Kiosk, terminal: &str) -> u64 {
    let terminal = terminal.to_owned();
    kiosk
        .writer
        .run(move |store| store?.queue_len(&terminal))
        .await
        .expect("queue")
}

fn earlier_link_kept(config_dir: &Path, terminal: &str) -> bool {
    earlier::links(config_dir)
        .iter()
        .any(|l| l.terminal_id == terminal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unsent_ratings_of_the_earlier_id_reach_their_own_server() {
    let (_a_dir, a_db) = server_db();
    let (_b_dir, b_db) = server_db();
    let a = Server::start(&a_db, generous()).await;
    let b = Server::start(&b_db, generous()).await;
    let first = a.add_terminal("Quầy 1").await;
    let kiosk = Kiosk::provision(&a.url(), &first.code).await;
    kiosk.record(5).await;
    kiosk.round().run().await.expect("first sync");
    // Three more before the terminal is moved: they never reached A.
    kiosk.record(3).await;
    assert_eq!(queue_of(&kiosk, &first.terminal_id).await, 3);

    let (link, config) = reprovision(&kiosk, &b).await;
    assert_ne!(link.terminal_id, first.terminal_id);
    assert!(earlier_link_kept(&kiosk.config_dir, &first.terminal_id));
    record_as(&kiosk, &config, 2).await;

    // The terminal's rounds, as the background worker (and "sync now") run them.
    let mut current = link.clone();
    let client = hailong::sync::client::Client::new(&link);
    let report = worker::run_all(&settings(&kiosk, &link), &mut current, &client)
        .await
        .expect("sync");
    assert_eq!(report.created, 2, "{report:?}");
    assert_eq!(report.earlier_sent, 3, "{report:?}");
    assert_eq!(report.earlier_held, 0, "{report:?}");

    // Each server holds exactly the ratings of its own terminal id.
    kiosk.assert_server_holds_exactly_mine(&a_db).await;
    assert_eq!(server_ratings(&a_db, &first.terminal_id).len(), 8);
    assert!(server_ratings(&a_db, &link.terminal_id).is_empty());
    assert_eq!(server_ratings(&b_db, &link.terminal_id).len(), 2);
    assert!(server_ratings(&b_db, &first.terminal_id).is_empty());
    assert_eq!(queue_of(&kiosk, &first.terminal_id).await, 0);
    // All delivered: the old link (and its token) is forgotten.
    assert!(!earlier_link_kept(&kiosk.config_dir, &first.terminal_id));
    let (_, status) = hailong_json(&kiosk, &["status", "--json"]);
    assert_eq!(status["terminal"], link.terminal_id.as_str());
    assert_eq!(status["ratings_total"], 10);
    assert_eq!(status["earlier_terminals"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_the_earlier_server_is_gone_its_ratings_are_held_and_shown() {
    let (_a_dir, a_db) = server_db();
    let (_b_dir, b_db) = server_db();
    let a = Server::start(&a_db, generous()).await;
    let b = Server::start(&b_db, generous()).await;
    let first = a.add_terminal("Quầy 1").await;
    let kiosk = Kiosk::provision(&a.url(), &first.code).await;
    let a_url = a.url();
    kiosk.record(4).await;
    let (link, config) = reprovision(&kiosk, &b).await;
    a.stop().await;
    record_as(&kiosk, &config, 2).await;

    let mut current = link.clone();
    let client = hailong::sync::client::Client::new(&link);
    let report = worker::run_all(&settings(&kiosk, &link), &mut current, &client)
        .await
        .expect("the new server takes its ratings");
    assert_eq!(report.created, 2);
    assert_eq!(report.earlier_sent, 0);
    assert_eq!(report.earlier_held, 4);
    assert_eq!(queue_of(&kiosk, &first.terminal_id).await, 4);
    assert!(earlier_link_kept(&kiosk.config_dir, &first.terminal_id));
    assert!(server_ratings(&b_db, &first.terminal_id).is_empty());

    let (_, status) = hailong_json(&kiosk, &["status", "--json"]);
    assert_eq!(status["ratings_total"], 6);
    let held = &status["earlier_terminals"][0];
    assert_eq!(held["terminal"], first.terminal_id.as_str(), "{status:#}");
    assert_eq!(held["queued"], 4, "{status:#}");
    assert_eq!(held["server"], a_url.as_str(), "{status:#}");
    assert!(
        held["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot reach")),
        "{status:#}"
    );

    let (_, doctor) = hailong_json(&kiosk, &["doctor", "--json"]);
    let line = doctor["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "earlier")
        .unwrap_or_else(|| panic!("an earlier-terminal line: {doctor:#}"));
    assert_eq!(line["status"], "warn", "{line:#}");
    let detail = line["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with(&format!(
            "4 unsent ratings of the earlier terminal id {} are held",
            first.terminal_id
        )),
        "{detail}"
    );
    assert!(
        line["fix"]
            .as_str()
            .expect("fix")
            .contains("stay on this terminal"),
        "{line:#}"
    );
}
