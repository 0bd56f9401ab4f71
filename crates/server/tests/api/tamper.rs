//! Tamper evidence: the server verifies each terminal's hash chain as batches arrive and
//! records what does not verify as tamper alerts, while storing every rating all the same.
//!
//! Each test proves three things: every rating sent is stored as sent (nothing quarantined,
//! the resume point at the top), the alert names the right kind and seq, and nothing else was
//! recorded.

use chrono::Utc;
use hailong_protocol::{Rating, SyncStatus, chain, paths};
use hailong_server::admin;
use hailong_server::store::{Store, TamperAlert, TamperKind};
use reqwest::StatusCode;

use super::support::{Kiosk, TestServer, expect_error, ratings};
use hailong_server::SqliteStore;

/// Uploads and expects every rating created.
async fn upload_all(server: &TestServer, kiosk: &Kiosk, batch: Vec<Rating>) {
    let n = batch.len() as u32;
    let resp = server.upload(kiosk, batch).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: hailong_protocol::UploadResponse = resp.json().await.unwrap();
    assert_eq!(body.summary.created, n, "{:?}", body.results);
}

async fn heartbeat(
    server: &TestServer,
    kiosk: &Kiosk,
    head: serde_json::Value,
) -> reqwest::Response {
    server
        .client
        .post(server.url(paths::HEARTBEAT))
        .bearer_auth(&kiosk.token)
        .json(&serde_json::json!({
            "device_time": Utc::now().to_rfc3339(),
            "queue_length": 0,
            "app_version": "0.1.0",
            "config_version": null,
            "chain_head": head,
        }))
        .send()
        .await
        .unwrap()
}

/// Anchors `rating` (seq and hash) with a heartbeat.
async fn anchor(server: &TestServer, kiosk: &Kiosk, rating: &Rating) {
    let resp = heartbeat(
        server,
        kiosk,
        serde_json::json!({ "seq": rating.seq, "hash": rating.hash }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn alerts(server: &TestServer, kiosk: &Kiosk) -> Vec<TamperAlert> {
    server
        .store
        .tamper_alerts(kiosk.id.clone())
        .await
        .unwrap()
        .expect("the terminal exists")
}

/// (kind, first, last, open) of each alert.
async fn found(server: &TestServer, kiosk: &Kiosk) -> Vec<(TamperKind, u64, u64, bool)> {
    alerts(server, kiosk)
        .await
        .iter()
        .map(|a| (a.kind, a.first_seq, a.last_seq, a.resolved_at.is_none()))
        .collect()
}

/// Every rating of `sent` is stored with exactly the content sent, nothing is quarantined, and
/// the server accounts for `contiguous` seqs from 1.
async fn assert_stored_as_sent(
    server: &TestServer,
    kiosk: &Kiosk,
    sent: &[Rating],
    contiguous: u64,
) {
    let dump = server.dump();
    assert_eq!(dump["ratings"].len(), sent.len(), "every rating stored");
    for rating in sent {
        let content = serde_json::to_string(rating).unwrap();
        assert!(
            dump["ratings"].iter().any(|row| row.contains(&content)),
            "seq {} stored as sent",
            rating.seq
        );
    }
    assert!(dump["quarantine"].is_empty(), "{:?}", dump["quarantine"]);
    let status: SyncStatus = server
        .get(&kiosk.token, paths::SYNC_STATUS)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status.stored, sent.len() as u64);
    assert_eq!(status.quarantined, 0);
    assert_eq!(status.highest_contiguous_seq, contiguous);
}

#[tokio::test]
async fn an_honest_chain_across_batches_and_anchors_raises_no_alert() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let chain = ratings(&kiosk, 1..=9);

    upload_all(&server, &kiosk, chain[..3].to_vec()).await;
    anchor(&server, &kiosk, &chain[4]).await; // ahead of the upload: sealed meanwhile
    upload_all(&server, &kiosk, chain[3..7].to_vec()).await;
    anchor(&server, &kiosk, &chain[6]).await; // already held: compared at once
    upload_all(&server, &kiosk, chain[7..].to_vec()).await;

    assert_eq!(found(&server, &kiosk).await, []);
    assert_stored_as_sent(&server, &kiosk, &chain, 9).await;
    let row = &server.store.list_terminals().await.unwrap()[0];
    assert_eq!((row.tamper_alerts, row.latest_alert.clone()), (0, None));
}

#[tokio::test]
async fn an_edited_rating_is_stored_and_alerted_as_edited() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=5);
    chain[2].level = chain[2].level % 3 + 1; // content changed, hash kept

    upload_all(&server, &kiosk, chain.clone()).await;

    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::Edited, 3, 3, true)]
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 5).await;

    // Resent (a lost reply): duplicates, and the alert is not recorded twice.
    let before = server.dump();
    let resp = server.upload(&kiosk, chain).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn a_rehashed_edit_breaks_the_link_of_the_next_rating() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=5);
    chain[1].level = chain[1].level % 3 + 1;
    let prev = chain[1].prev_hash.clone();
    chain[1].link(prev); // the attacker recomputes seq 2's hash

    upload_all(&server, &kiosk, chain.clone()).await;

    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::BrokenLink, 3, 3, true)]
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 5).await;
}

#[tokio::test]
async fn a_first_rating_not_linked_to_the_genesis_is_a_broken_link() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=2);
    chain[0].link("ab".repeat(32));
    let first = chain[0].hash.clone();
    chain[1].link(first);

    upload_all(&server, &kiosk, chain.clone()).await;

    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::BrokenLink, 1, 1, true)]
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 2).await;
}

#[tokio::test]
async fn a_deleted_rating_leaves_a_gap_recorded_once() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=6);
    chain.remove(3); // seq 4 deleted on the terminal

    upload_all(&server, &kiosk, chain[..3].to_vec()).await;
    upload_all(&server, &kiosk, chain[3..].to_vec()).await;

    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::Gap, 4, 4, true)]
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 3).await;
    let before = server.dump();
    let resp = server.upload(&kiosk, chain).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(server.dump(), before, "a resend records nothing again");
}

#[tokio::test]
async fn ratings_arriving_late_in_order_resolve_their_gap() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let chain = ratings(&kiosk, 1..=7);
    let (late, rest): (Vec<Rating>, Vec<Rating>) = chain
        .iter()
        .cloned()
        .partition(|r| (3..=4).contains(&r.seq));

    upload_all(&server, &kiosk, rest).await;
    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::Gap, 3, 4, true)]
    );
    upload_all(&server, &kiosk, late[..1].to_vec()).await;
    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::Gap, 3, 4, true)],
        "still open while seq 4 is missing"
    );
    upload_all(&server, &kiosk, late[1..].to_vec()).await;

    let alerts = alerts(&server, &kiosk).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (alerts[0].kind, alerts[0].first_seq, alerts[0].last_seq),
        (TamperKind::Gap, 3, 4)
    );
    assert!(alerts[0].resolved_at.is_some());
    assert!(
        alerts[0]
            .resolution
            .as_deref()
            .unwrap()
            .contains("verifies"),
        "{:?}",
        alerts[0].resolution
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 7).await;
    let row = &server.store.list_terminals().await.unwrap()[0];
    assert_eq!(row.tamper_alerts, 0, "a resolved gap is no open alert");
}

#[tokio::test]
async fn a_late_rating_that_does_not_fit_the_chain_breaks_the_link_after_it() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=5);
    let missing = chain.remove(2);
    upload_all(&server, &kiosk, chain.clone()).await;

    // Another seq 3, properly linked to seq 2: seq 4 still links to the original.
    let mut forged = missing.clone();
    forged.level = forged.level % 3 + 1;
    forged.link(missing.prev_hash.clone());
    upload_all(&server, &kiosk, vec![forged.clone()]).await;

    assert_eq!(
        found(&server, &kiosk).await,
        [
            (TamperKind::Gap, 3, 3, false),
            (TamperKind::BrokenLink, 4, 4, true)
        ]
    );
    chain.insert(2, forged);
    assert_stored_as_sent(&server, &kiosk, &chain, 5).await;
}

#[tokio::test]
async fn a_rating_rewritten_after_anchoring_is_an_anchor_alert() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=5);
    upload_all(&server, &kiosk, chain[..4].to_vec()).await;
    anchor(&server, &kiosk, &chain[4]).await;

    // Seq 5 rewritten and properly relinked: the chain itself verifies.
    chain[4].level = chain[4].level % 3 + 1;
    let prev = chain[4].prev_hash.clone();
    chain[4].link(prev);
    upload_all(&server, &kiosk, chain[4..].to_vec()).await;

    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::Anchor, 5, 5, true)]
    );
    let alert = &alerts(&server, &kiosk).await[0];
    assert!(
        alert.detail.contains("rewritten after anchoring"),
        "{}",
        alert.detail
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 5).await;
}

#[tokio::test]
async fn an_anchored_rating_missing_while_higher_ones_arrive_is_an_anchor_alert() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=7);
    anchor(&server, &kiosk, &chain[4]).await;
    chain.remove(4);

    upload_all(&server, &kiosk, chain.clone()).await;

    assert_eq!(
        found(&server, &kiosk).await,
        [
            (TamperKind::Gap, 5, 5, true),
            (TamperKind::Anchor, 5, 5, true)
        ]
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 4).await;
}

#[tokio::test]
async fn an_anchor_contradicting_a_held_rating_or_going_back_is_an_anchor_alert() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let chain = ratings(&kiosk, 1..=4);
    upload_all(&server, &kiosk, chain.clone()).await;

    let mut other = chain[3].clone();
    other.level = other.level % 3 + 1;
    let prev = other.prev_hash.clone();
    other.link(prev);
    anchor(&server, &kiosk, &other).await; // seq 4 is held with another hash
    anchor(&server, &kiosk, &chain[1]).await; // the kiosk's head went from 4 back to 2

    assert_eq!(
        found(&server, &kiosk).await,
        [
            (TamperKind::Anchor, 4, 4, true),
            (TamperKind::Anchor, 3, 4, true)
        ]
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 4).await;
}

#[tokio::test]
async fn a_malformed_chain_head_gets_400_and_changes_nothing() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    upload_all(&server, &kiosk, ratings(&kiosk, 1..=2)).await;
    let before = server.dump();

    let resp = heartbeat(
        &server,
        &kiosk,
        serde_json::json!({ "seq": 2, "hash": "ABC" }),
    )
    .await;
    let body = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
    assert!(body.message.contains("chain_head.hash"), "{}", body.message);
    let resp = heartbeat(
        &server,
        &kiosk,
        serde_json::json!({ "seq": 0, "hash": chain::genesis(&kiosk.id) }),
    )
    .await;
    let body = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
    assert!(body.message.contains("chain_head.seq"), "{}", body.message);

    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn terminal_list_and_alerts_show_the_alerts() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let honest = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=6);
    chain[1].level = chain[1].level % 3 + 1;
    chain.remove(4);
    upload_all(&server, &kiosk, chain).await;
    upload_all(&server, &honest, ratings(&honest, 1..=2)).await;

    let list: serde_json::Value =
        serde_json::from_str(&admin::list_terminals(&server.store, true).await.unwrap()).unwrap();
    let row = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row(&kiosk.id)["tamper_alerts"], 2);
    assert_eq!(row(&kiosk.id)["latest_alert"]["kind"], "gap");
    assert_eq!(row(&kiosk.id)["latest_alert"]["first_seq"], 5);
    assert_eq!(row(&honest.id)["tamper_alerts"], 0);
    assert!(row(&honest.id)["latest_alert"].is_null());

    let table = admin::list_terminals(&server.store, false).await.unwrap();
    let line = table.lines().find(|l| l.starts_with(&kiosk.id)).unwrap();
    assert!(
        line.contains(" 2! ") && line.ends_with("gap seq 5"),
        "{table}"
    );
    assert!(table.contains("terminal alerts ID"), "{table}");

    let json: serde_json::Value = serde_json::from_str(
        &admin::list_alerts(&server.store, &kiosk.id, true)
            .await
            .unwrap(),
    )
    .unwrap();
    let kinds: Vec<(&str, u64)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap(),
                a["first_seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [("edited", 2), ("gap", 5)]);
    assert!(json[0]["received_at"].as_str().unwrap().ends_with('Z'));
    let text = admin::list_alerts(&server.store, &kiosk.id, false)
        .await
        .unwrap();
    assert!(text.contains("2 tamper alerts, 2 open"), "{text}");
    assert!(text.contains("edited seq 2"), "{text}");
    let none = admin::list_alerts(&server.store, &honest.id, false)
        .await
        .unwrap();
    assert!(none.contains("no tamper alerts"), "{none}");
    let err = admin::list_alerts(&server.store, "nope", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no terminal `nope`"), "{err}");
}

#[tokio::test]
async fn a_failing_check_never_costs_the_batch_and_resumes_with_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let server = TestServer::start_on(SqliteStore::open(&path).unwrap()).await;
    let kiosk = server.kiosk("26734").await;
    let mut chain = ratings(&kiosk, 1..=6);
    chain[2].level = chain[2].level % 3 + 1;
    // Recording an alert fails for now.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TRIGGER no_alerts BEFORE INSERT ON tamper_alerts
         BEGIN SELECT RAISE(ABORT, 'disk trouble'); END;",
    )
    .unwrap();

    upload_all(&server, &kiosk, chain[..4].to_vec()).await;
    assert_eq!(found(&server, &kiosk).await, []);
    assert_stored_as_sent(&server, &kiosk, &chain[..4], 4).await;

    raw.execute_batch("DROP TRIGGER no_alerts").unwrap();
    upload_all(&server, &kiosk, chain[4..].to_vec()).await;
    assert_eq!(
        found(&server, &kiosk).await,
        [(TamperKind::Edited, 3, 3, true)]
    );
    assert_stored_as_sent(&server, &kiosk, &chain, 6).await;
}
