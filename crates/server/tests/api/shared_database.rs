//! Several server processes on one PostgreSQL database (each with its own connection pool,
//! as separate processes would have): every rating lands exactly once, whichever server
//! receives it and however the uploads overlap, and an enrollment code works once.

use std::collections::BTreeSet;

use chrono::Duration;
use hailong_protocol::{UploadResponse, paths};
use hailong_server::PostgresStore;
use reqwest::StatusCode;

use super::support::{Kiosk, PgTestDb, TestServer, ratings};

/// Two servers over one fresh database.
async fn two_servers(db: &PgTestDb) -> (TestServer, TestServer) {
    let a = PostgresStore::connect_config(db.config()).await.unwrap();
    let b = PostgresStore::connect_config(db.config()).await.unwrap();
    (TestServer::start_on(a).await, TestServer::start_on(b).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_and_concurrent_kiosks_store_every_rating_exactly_once() {
    const KIOSKS: usize = 6;
    const RATINGS: u64 = 120;
    let db = PgTestDb::create().await;
    let (a, b) = two_servers(&db).await;
    let mut kiosks: Vec<Kiosk> = Vec::new();
    for i in 0..KIOSKS {
        let server = if i % 2 == 0 { &a } else { &b };
        kiosks.push(server.kiosk(&format!("2673{i}")).await);
    }
    let servers = [a.base.clone(), b.base.clone()];

    // Each kiosk sends overlapping batches to both servers at once: every rating is in two
    // or three of them.
    let windows = [(1, 60), (31, 90), (61, RATINGS), (1, RATINGS), (45, 75)];
    let mut tasks = Vec::new();
    for kiosk in &kiosks {
        let all = ratings(kiosk, 1..=RATINGS);
        for (w, &(first, last)) in windows.iter().enumerate() {
            let batch = all[(first - 1) as usize..last as usize].to_vec();
            let base = servers[w % 2].clone();
            let token = kiosk.token.clone();
            tasks.push(tokio::spawn(async move {
                let body = hailong_protocol::encode_batch(
                    &hailong_protocol::UploadBatch {
                        device_time: chrono::Utc::now().to_rfc3339(),
                        ratings: batch,
                    },
                    true,
                );
                let resp = reqwest::Client::new()
                    .post(format!("{base}{}", paths::RATINGS))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .header("content-encoding", "gzip")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                resp.json::<UploadResponse>().await.unwrap()
            }));
        }
    }
    let mut created = 0;
    for task in tasks {
        let resp = task.await.unwrap();
        assert!(
            resp.results.iter().all(|r| r.outcome.is_stored()),
            "every rating created or a duplicate: {:?}",
            resp.results
        );
        assert_eq!(resp.summary.conflict + resp.summary.invalid, 0);
        created += resp.summary.created;
    }
    let expected = KIOSKS as u32 * RATINGS as u32;
    assert_eq!(
        created, expected,
        "each rating created once across all uploads"
    );

    let dump = db.dump();
    assert_eq!(dump["ratings"].len(), expected as usize);
    assert!(dump["quarantine"].is_empty(), "{:?}", dump["quarantine"]);
    // A batch that overtook an earlier one leaves a gap alert, resolved once the earlier one
    // lands and the chain verifies across it; nothing else.
    assert!(
        dump["tamper_alerts"].iter().all(|a| a.contains("|gap|")
            && a.ends_with(
                "|the missing ratings arrived later and the chain verifies across them"
            )),
        "{:?}",
        dump["tamper_alerts"]
    );
    for kiosk in &kiosks {
        for server in [&a, &b] {
            let status: hailong_protocol::SyncStatus = server
                .get(&kiosk.token, paths::SYNC_STATUS)
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(
                (status.highest_contiguous_seq, status.max_seq, status.stored),
                (RATINGS, RATINGS, RATINGS)
            );
            assert!(status.gaps.is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_enrollment_code_works_once_across_servers() {
    let db = PgTestDb::create().await;
    let (a, b) = two_servers(&db).await;
    for _ in 0..5 {
        let (_, code) = a.add_terminal("26734", Duration::hours(1)).await;
        let (ra, rb) = tokio::join!(a.enroll_raw(&code), b.enroll_raw(&code));
        let statuses: BTreeSet<u16> = [ra.status().as_u16(), rb.status().as_u16()].into();
        assert!(
            statuses.contains(&StatusCode::CREATED.as_u16()) && statuses.len() == 2,
            "exactly one enrollment succeeds: {statuses:?}"
        );
    }
}
