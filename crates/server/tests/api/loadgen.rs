//! The load generator against the test server: every rating lands, the figures add up; and
//! its CLI.

use std::process::Command;

use hailong_server::loadgen::{self, LoadOptions};
use hailong_server::store::Store;

use super::support::TestServer;

#[tokio::test]
async fn loadgen_uploads_every_rating_of_every_terminal() {
    let server = TestServer::start().await;
    let options = LoadOptions {
        url: server.base.clone(),
        terminals: 3,
        ratings_per_terminal: 20,
        batch: 7,
        commune: "99999".into(),
    };
    let report = loadgen::run(&server.store, &options).await.unwrap();
    assert_eq!(report.ratings, 60);
    // 20 ratings in batches of 7: 7 + 7 + 6, per terminal.
    assert_eq!(report.batches, 9);
    assert!(report.batch_p50_ms <= report.batch_p99_ms);
    assert!(report.batch_p99_ms <= report.batch_max_ms);
    assert!(report.wire_bytes_per_rating > 0.0);
    let terminals = server.store.list_terminals().await.unwrap();
    assert_eq!(terminals.len(), 3);
    for t in terminals {
        assert_eq!(
            (t.stored, t.highest_contiguous_seq, t.tamper_alerts),
            (20, 20, 0)
        );
    }

    let bad = LoadOptions {
        batch: 1001,
        ..options
    };
    let err = loadgen::run(&server.store, &bad).await.unwrap_err();
    assert!(err.to_string().contains("--batch"), "{err}");
}

#[tokio::test]
async fn loadgen_from_the_command_line() {
    let server = TestServer::start().await;
    let (db, base) = (server.db_uri(), server.base.clone());
    // Off the test's runtime, which serves the requests.
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_hailong-server"))
            .env("HAILONG_SERVER_DB", db)
            .args(["--json", "loadgen", "--url", &base])
            .args([
                "--terminals",
                "2",
                "--ratings-per-terminal",
                "5",
                "--batch",
                "2",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ratings"], 10);
    assert_eq!(report["batches"], 6);
    assert!(report["ratings_per_s"].as_f64().unwrap() > 0.0);
}
