//! Configuration served with an ETag, and heartbeats.

use chrono::{Duration, Utc};
use hailong_protocol::{ConfigEnvelope, HeartbeatResponse, paths};
use hailong_server::admin;
use hailong_server::store::Store;
use reqwest::StatusCode;

use super::support::{TestServer, expect_error};

const V1: &str = "[commune]\ncode = \"26734\"\nname = \"Xã Hòa Phú\"\n\n[[counters]]\nid = \"1\"\n";
const V2: &str = "[commune]\ncode = \"26734\"\nname = \"Phường Hòa Phú\"\n";

#[tokio::test]
async fn config_is_served_with_an_etag_and_304_when_unchanged() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;

    let resp = server.get(&kiosk.token, paths::CONFIG).await;
    expect_error(resp, StatusCode::NOT_FOUND, "no_config").await;

    admin::import_config(&server.store, V1, false)
        .await
        .unwrap();
    let resp = server.get(&kiosk.token, paths::CONFIG).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let v1: ConfigEnvelope = resp.json().await.unwrap();
    assert_eq!(etag, format!("\"{}\"", v1.version));
    assert_eq!(v1.document["counters"][0]["id"], "1");

    let get_if = |tag: String| {
        server
            .client
            .get(server.url(paths::CONFIG))
            .bearer_auth(&kiosk.token)
            .header("if-none-match", tag)
            .send()
    };
    let resp = get_if(etag.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);

    // Importing the same file again changes nothing; a new one changes the ETag.
    let before = server.dump();
    admin::import_config(&server.store, V1, false)
        .await
        .unwrap();
    assert_eq!(server.dump(), before);
    admin::import_config(&server.store, V2, false)
        .await
        .unwrap();
    let resp = get_if(etag.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_ne!(resp.headers()["etag"].to_str().unwrap(), etag);
    let v2: ConfigEnvelope = resp.json().await.unwrap();
    assert_eq!(v2.document["commune"]["name"], "Phường Hòa Phú");
}

#[tokio::test]
async fn config_import_refuses_a_file_without_commune() {
    let server = TestServer::start().await;
    let before = server.dump();
    let err = admin::import_config(&server.store, "[commune]\ncode = \"1\"\n", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`name`"), "{err}");
    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn heartbeat_records_backlog_and_flags_a_wrong_clock() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    admin::import_config(&server.store, V1, false)
        .await
        .unwrap();

    let resp = server
        .client
        .post(server.url(paths::HEARTBEAT))
        .bearer_auth(&kiosk.token)
        .json(&serde_json::json!({
            "device_time": (Utc::now() + Duration::hours(26)).to_rfc3339(),
            "queue_length": 42,
            "app_version": "0.1.0",
            "config_version": null,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let hb: HeartbeatResponse = resp.json().await.unwrap();
    assert!(hb.clock_suspect);
    assert!((26 * 3600 - 60..=26 * 3600 + 60).contains(&hb.clock_offset_seconds));
    assert!(
        hb.config_version.is_some(),
        "tells the kiosk a config is waiting"
    );

    let rows = server.store.list_terminals().await.unwrap();
    let row = rows.iter().find(|r| r.id == kiosk.id).unwrap();
    assert_eq!(row.queue_length, Some(42));
    assert_eq!(row.app_version.as_deref(), Some("0.1.0"));
    assert!(row.clock_offset_s.unwrap() > 3600);
    let table = admin::list_terminals(&server.store, false).await.unwrap();
    assert!(
        table.contains("+26h00m!") || table.contains("+25h59m!"),
        "{table}"
    );
}

#[tokio::test]
async fn heartbeat_with_a_bad_clock_string_gets_400_and_changes_nothing() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let before = server.dump();
    let resp = server
        .client
        .post(server.url(paths::HEARTBEAT))
        .bearer_auth(&kiosk.token)
        .json(&serde_json::json!({
            "device_time": "yesterday",
            "queue_length": 1,
            "app_version": "0.1.0",
        }))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
    let resp = server
        .client
        .post(server.url(paths::HEARTBEAT))
        .bearer_auth(&kiosk.token)
        .json(&serde_json::json!({ "device_time": Utc::now().to_rfc3339(), "queue_length": -1, "app_version": "x" }))
        .send()
        .await
        .unwrap();
    let body = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
    assert!(body.message.contains("queue_length"), "{}", body.message);
    assert_eq!(server.dump(), before);
}
