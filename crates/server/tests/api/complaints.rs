//! The complaints list for the call-back team: only ratings with a complaint, by receive day;
//! the call-back numbers only when asked for; the same over both stores.

use chrono::{NaiveDate, Utc};
use hailong_protocol::Callback;
use hailong_server::complaints::{self, ComplaintQuery};
use hailong_server::store::Store as _;

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

/// Once the call-backs are done the numbers are erased: gone from every table, shown as erased
/// in the list, and the chain walk raises nothing, also when a gap below the erased ratings is
/// filled afterwards. (That an erased rating's content still hashes to its chain hash is the
/// unit test `an_erased_number_keeps_the_chain_hash` in src/complaints.rs.)
#[tokio::test]
async fn erased_numbers_are_gone_and_the_chain_still_verifies() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut all = ratings(&kiosk, 1..=5);
    for r in all.iter_mut().skip(3) {
        // Seqs 4 and 5: complaints with a call-back, above the gap at 3.
        r.complaint = true;
        r.callback = Some(Callback {
            phone: "0987654321".into(),
            consent_version: "pakn-2026-01:vi".into(),
        });
    }
    let mut prev = hailong_protocol::chain::genesis(&kiosk.id);
    for rating in &mut all {
        rating.link(prev.clone());
        prev = rating.hash.clone();
    }
    // Seq 3 arrives last: a gap the walk comes back to.
    let first: Vec<_> = all.iter().filter(|r| r.seq != 3).cloned().collect();
    assert_eq!(server.upload(&kiosk, first).await.status(), 200);

    let tomorrow = today().succ_opt().unwrap();
    let erased = server
        .store
        .erase_call_back_numbers(hailong_server::report::day_start_ms(tomorrow))
        .await
        .unwrap();
    assert_eq!(erased, 2);
    let again = server
        .store
        .erase_call_back_numbers(hailong_server::report::day_start_ms(tomorrow))
        .await
        .unwrap();
    assert_eq!(again, 0, "already erased");
    let dump = format!("{:?}", server.dump());
    assert!(
        !dump.contains("0987654321"),
        "the number is gone from every table"
    );

    // The gap is filled: the walk checks 3 and the link from 3 to the erased 4.
    let third: Vec<_> = all.iter().filter(|r| r.seq == 3).cloned().collect();
    assert_eq!(server.upload(&kiosk, third).await.status(), 200);
    assert!(
        server
            .dump()
            .get("tamper_alerts")
            .is_none_or(|alerts| alerts.iter().all(|a| !a.contains("edited"))),
        "no rating reads as edited: {:?}",
        server.dump().get("tamper_alerts")
    );

    let lines = complaints::list(
        &server.store,
        &ComplaintQuery {
            from: today(),
            to: today(),
            commune: None,
            with_phone: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.phone.as_deref() == Some("(đã xóa)")));
}
