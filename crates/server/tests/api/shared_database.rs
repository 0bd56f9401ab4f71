//! Several servers on one PostgreSQL database: two in this process (each with its own
//! connection pool) and two `hailong-server serve` processes. Every rating lands exactly once,
//! whichever server receives it and however the uploads overlap, and an enrollment code works
//! once.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

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

/// Kiosks enrolled through `admin` upload overlapping batches to the two servers at `servers`
/// at once; every rating must land exactly once.
async fn overlapping_uploads_land_once(db: &PgTestDb, admin: &TestServer, servers: [String; 2]) {
    const KIOSKS: usize = 6;
    const RATINGS: u64 = 120;
    let mut kiosks: Vec<Kiosk> = Vec::new();
    for i in 0..KIOSKS {
        kiosks.push(admin.kiosk(&format!("2673{i}")).await);
    }

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
        for base in &servers {
            let status: hailong_protocol::SyncStatus = reqwest::Client::new()
                .get(format!("{base}{}", paths::SYNC_STATUS))
                .bearer_auth(&kiosk.token)
                .send()
                .await
                .unwrap()
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
async fn two_servers_and_concurrent_kiosks_store_every_rating_exactly_once() {
    let db = PgTestDb::create().await;
    let (a, b) = two_servers(&db).await;
    let servers = [a.base.clone(), b.base.clone()];
    overlapping_uploads_land_once(&db, &a, servers).await;
}

/// A `hailong-server serve` process, killed when dropped.
struct Process(Child, String);

impl Process {
    fn serve(db: &PgTestDb) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hailong-server"))
            .args(["serve", "--db", &db.url(), "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        Self(child, base)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_store_every_rating_exactly_once() {
    let db = PgTestDb::create().await;
    // Migrates the database before the two processes start (they would also race to).
    let admin =
        TestServer::start_on(PostgresStore::connect_config(db.config()).await.unwrap()).await;
    let (p, q) = (Process::serve(&db), Process::serve(&db));
    overlapping_uploads_land_once(&db, &admin, [p.1.clone(), q.1.clone()]).await;
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
