//! The complaints list for the call-back team: only ratings with a complaint, by receive day;
//! the call-back numbers only when asked for; the same over both stores.

use chrono::{NaiveDate, Utc};
use hailong_protocol::Callback;
use hailong_server::complaints::{self, ComplaintQuery};

use super::support::*;

fn today() -> NaiveDate {
    // Receive days are Vietnam days.
    (Utc::now() + chrono::Duration::hours(7)).date_naive()
}

#[tokio::test]
async fn complaints_are_listed_and_numbers_only_when_asked() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut batch = ratings(&kiosk, 1..=4);
    batch[1].complaint = true;
    batch[1].comment = Some("Chờ hơn một tiếng".into());
    batch[3].complaint = true;
    batch[3].callback = Some(Callback {
        phone: "0912345678".into(),
        consent_version: "pakn-2026-01:vi".into(),
    });
    // Fields changed after linking: relink the chain so that it stays honest.
    let mut prev = hailong_protocol::chain::genesis(&kiosk.id);
    for rating in &mut batch {
        rating.link(prev.clone());
        prev = rating.hash.clone();
    }
    let resp = server.upload(&kiosk, batch.clone()).await;
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let resp: hailong_protocol::UploadResponse = resp.json().await.unwrap();
    assert_eq!(resp.summary.created, 4);

    let query = |with_phone| ComplaintQuery {
        from: today(),
        to: today(),
        commune: None,
        with_phone,
    };
    let lines = complaints::list(&server.store, &query(false))
        .await
        .unwrap();
    let seqs: Vec<u64> = lines.iter().map(|l| l.seq).collect();
    assert_eq!(seqs, [2, 4], "only the complaints");
    assert_eq!(lines[0].comment.as_deref(), Some("Chờ hơn một tiếng"));
    assert!(
        lines
            .iter()
            .all(|l| l.phone.is_none() && l.consent_version.is_none())
    );
    let csv = String::from_utf8(complaints::to_csv(&lines, false).unwrap()).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(!csv.contains("0912345678") && !csv.contains("Số điện thoại"));
    let json = String::from_utf8(complaints::to_json(&lines).unwrap()).unwrap();
    assert!(!json.contains("0912345678") && !json.contains("phone"));

    let with = complaints::list(&server.store, &query(true)).await.unwrap();
    assert_eq!(with[1].phone.as_deref(), Some("0912345678"));
    assert_eq!(with[1].consent_version.as_deref(), Some("pakn-2026-01:vi"));
    assert_eq!(with[0].phone, None, "a complaint without a call-back");
    let csv = String::from_utf8(complaints::to_csv(&with, true).unwrap()).unwrap();
    assert!(csv.contains("Số điện thoại gọi lại") && csv.contains("0912345678"));

    // Another commune, another day: nothing.
    let mut other = query(true);
    other.commune = Some("00001".into());
    assert!(
        complaints::list(&server.store, &other)
            .await
            .unwrap()
            .is_empty()
    );
    let mut yesterday = query(true);
    yesterday.from = today().pred_opt().unwrap();
    yesterday.to = yesterday.from;
    assert!(
        complaints::list(&server.store, &yesterday)
            .await
            .unwrap()
            .is_empty()
    );
    // Bad input is refused before the database is read.
    let mut backwards = query(false);
    backwards.from = today().succ_opt().unwrap();
    assert!(complaints::list(&server.store, &backwards).await.is_err());
    // The server verified the chain with the feedback fields: no alert.
    assert!(server.dump()["tamper_alerts"].is_empty());
}
