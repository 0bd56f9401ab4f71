//! The kiosk's sync against the real provincial server, end to end: each test serves
//! `hailong-server` in-process on 127.0.0.1:0 over a temporary SQLite file, enrolls a kiosk
//! with a code made by the server's admin API, records ratings through the kiosk's store and
//! syncs with the kiosk's own round (`hailong::sync::engine::Round`), as the background
//! worker does. Faults come from an in-process TCP proxy between the two (tests/support).
//!
//! What every test proves in the end: each sealed rating is on the server exactly once, with
//! the content the kiosk sealed, and the kiosk never marks as sent what the server does not
//! hold.

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use hailong::config::{ConfigSource, DEMO_CONFIG, ServerLink, TerminalConfig};
use hailong::store::Writer;
use hailong::store::sync_state::meta;
use hailong::sync::SyncError;
use hailong::sync::client::Client;
use hailong::sync::engine::Round;
use hailong::sync::worker::{self, next_delay};
use hailong_protocol::{RatingOutcome, UploadBatch, UploadResponse, encode_batch, paths};
use hailong_server::admin;
use support::proxy::{Fault, Proxy};
use support::{Kiosk, Server, generous, now, server_count, server_quarantine, server_ratings};
use uuid::Uuid;

/// What a run of rounds did.
#[derive(Debug, Default)]
struct Drive {
    rounds: u32,
    errors: Vec<SyncError>,
    created: u64,
    duplicates: u64,
    accounted: u64,
    quarantined: u64,
}

/// Runs rounds one after another as the background worker does, until a round ends with an
/// empty queue. After an error it waits what `worker::next_delay` says, the exponential
/// back-off scaled down a hundred times, a Retry-After honoured in full.
async fn drive(kiosk: &Kiosk, max_rounds: u32) -> Drive {
    let mut drive = Drive::default();
    let mut failures = 0;
    loop {
        drive.rounds += 1;
        assert!(
            drive.rounds <= max_rounds,
            "the queue is not empty after {max_rounds} rounds; errors: {:#?}",
            drive.errors
        );
        let result = kiosk.round().run().await;
        failures = if result.is_ok() { 0 } else { failures + 1 };
        let delay = next_delay(&result, failures, 1.0);
        let wait = match &result {
            Ok(report) => {
                drive.created += report.created;
                drive.duplicates += report.duplicates;
                drive.accounted += report.accounted;
                drive.quarantined += report.quarantined;
                if report.queued == 0 {
                    return drive;
                }
                Duration::from_millis(10)
            }
            Err(error) => {
                drive.errors.push(error.clone());
                match error.retry_after() {
                    Some(asked) => {
                        assert!(delay >= asked, "{delay:?} is shorter than Retry-After");
                        asked
                    }
                    None => delay / 100,
                }
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// Every rating the kiosk marks sent is held by the server under the same id.
async fn assert_sent_means_held(kiosk: &Kiosk, db: &std::path::Path) {
    let held: BTreeSet<String> = server_ratings(db, kiosk.terminal())
        .into_iter()
        .map(|h| h.id)
        .collect();
    for (id, (status, detail)) in kiosk.outcomes().await {
        if status == "sent" {
            assert!(
                held.contains(&id.to_string()),
                "the kiosk marked {id} sent ({detail:?}) but the server does not hold it"
            );
        }
    }
}

fn server_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("server.db");
    (dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_ratings_arrive_exactly_once() {
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let enrollment = server.add_terminal("Quầy 1 - Hộ tịch").await;
    let kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    assert_eq!(kiosk.terminal(), enrollment.terminal_id);

    let recorded = kiosk.record(10_000).await;
    assert_eq!(kiosk.queue_len().await, 10_000);
    let seqs: Vec<u64> = recorded.iter().map(|r| r.1).collect();
    assert_eq!(seqs, (1..=10_000).collect::<Vec<u64>>());

    let started = Instant::now();
    let report = kiosk.round().run().await.expect("sync");
    let took = started.elapsed();
    eprintln!("10,000 ratings synced in {took:.2?} ({:?})", report);
    assert_eq!(report.created, 10_000);
    assert_eq!(
        (report.duplicates, report.quarantined, report.queued),
        (0, 0, 0)
    );
    assert_eq!(report.batches, 10);
    assert_eq!(kiosk.queue_len().await, 0);

    kiosk.assert_server_holds_exactly_mine(&db).await;
    let held: BTreeSet<String> = server_ratings(&db, kiosk.terminal())
        .into_iter()
        .map(|h| h.id)
        .collect();
    for (id, _) in &recorded {
        assert!(held.contains(&id.to_string()), "{id} is missing");
    }
    assert_eq!(server_count(&db, "quarantine", kiosk.terminal()), 0);
    assert_sent_means_held(&kiosk, &db).await;

    // Nothing left to send: the next round uploads nothing.
    let again = kiosk.round().run().await.expect("second round");
    assert_eq!((again.created, again.duplicates, again.batches), (0, 0, 0));
    assert_eq!(again.queued, 0);
    assert_eq!(server_count(&db, "ratings", kiosk.terminal()), 10_000);
}

/// Runs the real `hailong` binary with the kiosk's directories.
fn hailong(dirs: &tempfile::TempDir, args: &[&str]) -> (bool, serde_json::Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_hailong"))
        .args(args)
        .env("HAILONG_DATA_DIR", dirs.path().join("data"))
        .env("HAILONG_CONFIG_DIR", dirs.path().join("config"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run hailong");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "`hailong {}` printed no JSON ({e}): {stdout}\n{stderr}",
            args.join(" ")
        )
    });
    (output.status.success(), json, stderr)
}

/// Runs the binary off the async workers (the server runs on them).
async fn hailong_async(
    dirs: &std::sync::Arc<tempfile::TempDir>,
    args: &[&str],
) -> (bool, serde_json::Value, String) {
    let dirs = std::sync::Arc::clone(dirs);
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        hailong(&dirs, &args)
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_binary_provisions_records_syncs_and_reports_the_queue() {
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let proxy = Proxy::start(server.addr).await;
    let enrollment = server.add_terminal("Quầy 1").await;
    let dirs = std::sync::Arc::new(tempfile::tempdir().expect("temp dir"));

    let (ok, provisioned, err) = hailong_async(
        &dirs,
        &[
            "provision",
            "--server",
            &proxy.url(),
            "--code",
            &enrollment.code,
            "--json",
        ],
    )
    .await;
    assert!(ok, "provision failed: {err}");
    assert_eq!(provisioned["terminal"], enrollment.terminal_id.as_str());
    assert_eq!(provisioned["commune"], support::COMMUNE);

    let mut ids = Vec::new();
    for level in [1, 2, 3, 3, 2] {
        let (ok, rated, err) =
            hailong_async(&dirs, &["rate", "--level", &level.to_string(), "--json"]).await;
        assert!(ok, "rate failed: {err}");
        ids.push(rated["id"].as_str().expect("id").to_owned());
    }
    let (_, status, _) = hailong_async(&dirs, &["status", "--json"]).await;
    assert_eq!(status["terminal"], enrollment.terminal_id.as_str());
    assert_eq!(status["queued"], 5);
    assert_eq!(status["ratings_total"], 5);
    assert!(status["last_sync"].is_null());

    // The server is unavailable: the sync fails, says so, and keeps the queue.
    proxy.set_rule(|request| {
        if request.path == paths::RATINGS {
            Fault::Status(503)
        } else {
            Fault::Pass
        }
    });
    let (ok, failed, _) = hailong_async(&dirs, &["sync", "--json"]).await;
    assert!(!ok, "a failed sync must exit non-zero");
    assert_eq!(failed["ok"], false);
    assert!(failed["error"].as_str().expect("error").contains("503"));
    let (_, status, _) = hailong_async(&dirs, &["status", "--json"]).await;
    assert_eq!(status["queued"], 5);
    assert!(status["last_sync"].is_null());
    assert!(status["last_sync_error"].is_string());

    proxy.set_rule(|_| Fault::Pass);
    let (ok, synced, err) = hailong_async(&dirs, &["sync", "--json"]).await;
    assert!(ok, "sync failed: {err}");
    assert_eq!(synced["ok"], true);
    assert_eq!(synced["created"], 5);
    assert_eq!(synced["queued"], 0);

    let (_, status, _) = hailong_async(&dirs, &["status", "--json"]).await;
    assert_eq!(status["queued"], 0);
    assert!(
        status["last_sync"].is_string(),
        "last_sync is not set: {status}"
    );
    assert!(status["last_sync_error"].is_null());

    let held: BTreeSet<String> = server_ratings(&db, &enrollment.terminal_id)
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(held, ids.into_iter().collect::<BTreeSet<_>>());

    let (ok, synced, _) = hailong_async(&dirs, &["sync", "--json"]).await;
    assert!(ok);
    assert_eq!(
        (synced["created"].as_u64(), synced["batches"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cut_delayed_and_refused_requests_never_lose_or_double_a_rating() {
    const N: usize = 12_000;
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let proxy = Proxy::start(server.addr).await;
    let enrollment = server.add_terminal("Quầy 2").await;
    let kiosk = Kiosk::provision(&proxy.url(), &enrollment.code).await;
    kiosk.record(N).await;

    proxy.set_rule(|request| {
        let upload = [
            Fault::Pass,
            // The head and the start of the gzip'd batch: the server sees half a request.
            Fault::CutRequest(600),
            Fault::Pass,
            // The status line only: the server committed, the kiosk never learns it.
            Fault::CutResponse(12),
            Fault::Status(500),
            Fault::Delay(Duration::from_millis(300)),
            Fault::Status(429),
            Fault::Status(503),
            // The whole head and part of the body.
            Fault::CutResponse(400),
            Fault::Replay,
        ];
        let status = [
            Fault::Pass,
            Fault::Status(503),
            Fault::Pass,
            Fault::CutResponse(30),
        ];
        let heartbeat = [Fault::CutRequest(50), Fault::Status(500)];
        let script: &[Fault] = match request.path.as_str() {
            paths::RATINGS => &upload,
            paths::SYNC_STATUS => &status,
            paths::HEARTBEAT => &heartbeat,
            _ => &[],
        };
        script.get(request.nth).copied().unwrap_or(Fault::Pass)
    });

    let drive = drive(&kiosk, 60).await;
    eprintln!(
        "faults: {} rounds, {} errors, created {} / duplicates {} / accounted {} in successful rounds",
        drive.rounds,
        drive.errors.len(),
        drive.created,
        drive.duplicates,
        drive.accounted
    );

    // Exactly once, and the kiosk knows it.
    kiosk.assert_server_holds_exactly_mine(&db).await;
    assert_eq!(kiosk.queue_len().await, 0);
    let outcomes = kiosk.outcomes().await;
    assert_eq!(outcomes.len(), N);
    assert!(outcomes.values().all(|(status, _)| status == "sent"));
    assert_eq!(server_count(&db, "quarantine", kiosk.terminal()), 0);
    assert_sent_means_held(&kiosk, &db).await;

    // Every fault fired and was met with the right error.
    let network = |e: &SyncError| matches!(e, SyncError::Network(_));
    let server_error = |code: u16| move |e: &SyncError| matches!(e, SyncError::Server { status, .. } if *status == code);
    assert!(drive.errors.iter().any(network), "{:?}", drive.errors);
    assert!(drive.errors.iter().any(server_error(500)));
    assert!(drive.errors.iter().any(server_error(503)));
    let limited: Vec<&SyncError> = drive
        .errors
        .iter()
        .filter(|e| matches!(e, SyncError::RateLimited { .. }))
        .collect();
    assert_eq!(limited.len(), 1, "{:?}", drive.errors);
    assert_eq!(limited[0].retry_after(), Some(Duration::from_secs(1)));
    assert!(next_delay(&Err(limited[0].clone()), 1, 0.5) >= Duration::from_secs(1));
    for fault in [
        Fault::CutRequest(600),
        Fault::CutResponse(12),
        Fault::CutResponse(400),
        Fault::Delay(Duration::from_millis(300)),
        Fault::Status(429),
        Fault::Replay,
    ] {
        assert_eq!(
            proxy.count("POST", paths::RATINGS, |f| *f == fault),
            1,
            "{fault:?} did not fire"
        );
    }

    // Batches whose answer was lost are accounted for from the server's status, not sent
    // again (at least the one cut right after the status line).
    let accounted = outcomes
        .values()
        .filter(|(_, detail)| detail.as_deref() == Some("accounted for by the server"))
        .count();
    assert!(accounted >= 1_000, "only {accounted} accounted for");

    // The replayed batch was answered "duplicate" rating by rating, and the kiosk counts
    // those as sent.
    let replayed = proxy.replayed_answers();
    assert_eq!(replayed.len(), 1);
    let answer: UploadResponse = serde_json::from_slice(&replayed[0]).expect("upload answer");
    assert!(!answer.results.is_empty());
    assert_eq!(answer.summary.duplicate as usize, answer.results.len());
    assert_eq!(answer.summary.created, 0);
    for result in &answer.results {
        assert_eq!(result.outcome, RatingOutcome::Duplicate);
        let id = result.id.expect("id");
        assert_eq!(
            outcomes.get(&id),
            Some(&("sent".to_owned(), None)),
            "duplicate {id} is not marked sent from the answer"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_rounds_at_once_count_the_servers_duplicates_as_sent() {
    // `hailong sync` run by a technician while the kiosk's own worker is syncing: two
    // writers on one database, two rounds uploading the same queue.
    const N: usize = 5_000;
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let enrollment = server.add_terminal("Quầy 3").await;
    let kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    kiosk.record(N).await;

    let (writer, opened) = Writer::spawn_with(&kiosk.data_dir.join("hailong.db"), now, false);
    opened.await.expect("second writer");
    let client = Client::new(&kiosk.link).expect("client");
    let beside = Round {
        writer: &writer,
        client: &client,
        link: &kiosk.link,
        config_dir: &kiosk.config_dir,
        clock: now,
    };
    let own = kiosk.round();
    let (a, b) = tokio::join!(own.run(), beside.run());
    let (a, b) = (a.expect("kiosk round"), b.expect("cli round"));
    eprintln!(
        "two rounds: created {} + {}, duplicates {} + {}, accounted {} + {}",
        a.created, b.created, a.duplicates, b.duplicates, a.accounted, b.accounted
    );
    assert_eq!(
        a.created + b.created,
        N as u64,
        "each rating is created once"
    );
    assert_eq!(kiosk.queue_len().await, 0);
    kiosk.assert_server_holds_exactly_mine(&db).await;
    assert_sent_means_held(&kiosk, &db).await;
    assert!(kiosk.outcomes().await.values().all(|(s, _)| s == "sent"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_restart_in_the_middle_of_a_sync_loses_and_doubles_nothing() {
    const N: usize = 10_000;
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let proxy = Proxy::start(server.addr).await;
    let enrollment = server.add_terminal("Quầy 4").await;
    let kiosk = Kiosk::provision(&proxy.url(), &enrollment.code).await;
    kiosk.record(N).await;
    // Slow uploads, so that the restart falls inside a round.
    proxy.set_rule(|request| {
        if request.path == paths::RATINGS {
            Fault::Delay(Duration::from_millis(100))
        } else {
            Fault::Pass
        }
    });

    let terminal = kiosk.terminal().to_owned();
    let restart = async {
        while proxy.count("POST", paths::RATINGS, |_| true) < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Graceful shutdown in the middle of the round: the batch in flight finishes, then
        // nobody listens on the old port.
        server.stop().await;
        let held_at_stop = server_count(&db, "ratings", &terminal);
        tokio::time::sleep(Duration::from_millis(400)).await;
        // A new server process on the same database, behind the same address.
        let again = Server::start(&db, generous()).await;
        proxy.set_upstream(again.addr);
        (again, held_at_stop)
    };
    let (drive, (_again, held_at_stop)) = tokio::join!(drive(&kiosk, 60), restart);
    eprintln!(
        "restart: the server held {held_at_stop} at the stop; {} rounds, errors {:?}",
        drive.rounds, drive.errors
    );
    assert!(
        held_at_stop > 0 && held_at_stop < N as u64,
        "the stop was not mid-backlog ({held_at_stop})"
    );
    assert!(
        drive.errors.iter().any(|e| matches!(
            e,
            SyncError::Server { status: 502, .. } | SyncError::Network(_)
        )),
        "the kiosk never noticed the restart: {:?}",
        drive.errors
    );
    kiosk.assert_server_holds_exactly_mine(&db).await;
    assert_eq!(kiosk.queue_len().await, 0);
    assert_sent_means_held(&kiosk, &db).await;
}

/// Uploads `ratings` straight to the server with the kiosk's token.
async fn upload_directly(
    server: &Server,
    kiosk: &Kiosk,
    ratings: Vec<hailong_protocol::Rating>,
) -> UploadResponse {
    let batch = UploadBatch {
        device_time: now().to_rfc3339(),
        ratings,
    };
    let response = reqwest::Client::new()
        .post(format!("{}{}", server.url(), paths::RATINGS))
        .bearer_auth(&kiosk.link.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(encode_batch(&batch, true))
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.json().await.expect("upload answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conflicting_and_invalid_ratings_are_quarantined_without_blocking_the_queue() {
    const N: usize = 3_000;
    const INVALID_SEQ: u64 = 2_200;
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let enrollment = server.add_terminal("Quầy 5").await;
    let kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    // One rating the server refuses: the same reason twice (a screen bug, say).
    kiosk
        .record_with(N, |i, draft| {
            if i as u64 + 1 == INVALID_SEQ {
                draft.reasons = vec!["cho-lau".into(), "cho-lau".into()];
            }
        })
        .await;
    let mine = kiosk.sealed().await;

    // Before the kiosk syncs, something else uploads other ratings under two of its keys
    // (terminal, seq): the first one, and one in the middle.
    let impostors: Vec<_> = [1u64, 1_500]
        .iter()
        .map(|&seq| {
            let mut wire = hailong::sync::to_wire(&mine[seq as usize - 1]).expect("sealed");
            wire.id = Uuid::now_v7();
            wire.level = wire.level % wire.level_count + 1;
            wire
        })
        .collect();
    let answer = upload_directly(&server, &kiosk, impostors.clone()).await;
    assert_eq!(answer.summary.created, 2);

    let report = kiosk.round().run().await.expect("sync");
    assert_eq!(report.quarantined, 3, "{report:?}");
    assert_eq!(report.created, N as u64 - 3);
    assert_eq!(report.queued, 0);
    assert_eq!(kiosk.queue_len().await, 0);

    // Quarantined on the kiosk: kept, with the reason, for technicians.
    let quarantined = kiosk
        .writer
        .run(|store| store?.quarantined(100))
        .await
        .expect("quarantined");
    let seqs: BTreeSet<u64> = quarantined.iter().map(|q| q.seq).collect();
    assert_eq!(seqs, BTreeSet::from([1, 1_500, INVALID_SEQ]));
    for q in &quarantined {
        assert_eq!(q.id, mine[q.seq as usize - 1].draft.id);
        let expected = if q.seq == INVALID_SEQ {
            "invalid reasons[1]"
        } else {
            "conflict"
        };
        assert!(q.detail.starts_with(expected), "{q:?}");
    }

    // Quarantined on the server: the kiosk's own ratings, kept verbatim.
    let on_server = server_quarantine(&db, kiosk.terminal());
    assert_eq!(
        on_server,
        vec![
            (
                Some(1),
                Some(mine[0].draft.id.to_string()),
                "conflict".into(),
                None
            ),
            (
                Some(1_500),
                Some(mine[1_499].draft.id.to_string()),
                "conflict".into(),
                None
            ),
            (
                Some(INVALID_SEQ),
                Some(mine[INVALID_SEQ as usize - 1].draft.id.to_string()),
                "invalid".into(),
                Some("reasons[1]".into())
            ),
        ]
    );

    // Everything else is stored, the ratings behind the bad ones included; the impostors
    // keep their keys.
    let held = server_ratings(&db, kiosk.terminal());
    assert_eq!(held.len(), N - 1);
    for h in &held {
        let expected = match h.seq {
            1 => impostors[0].id,
            1_500 => impostors[1].id,
            seq => mine[seq as usize - 1].draft.id,
        };
        assert_eq!(h.id, expected.to_string(), "seq {}", h.seq);
    }
    assert!(!held.iter().any(|h| h.seq == INVALID_SEQ));
    assert_sent_means_held(&kiosk, &db).await;

    // Nothing is sent again; the quarantine stays as it is.
    let again = kiosk.round().run().await.expect("second round");
    assert_eq!(
        (
            again.created,
            again.quarantined,
            again.batches,
            again.queued
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(server_quarantine(&db, kiosk.terminal()).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_answer_about_a_quarantined_rating_is_asked_again() {
    // The answer to the batch holding an invalid rating is cut: the server quarantined it,
    // the kiosk does not know. The next round must not take it for held.
    const N: usize = 1_500;
    const INVALID_SEQ: u64 = 700;
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let proxy = Proxy::start(server.addr).await;
    let enrollment = server.add_terminal("Quầy 9").await;
    let kiosk = Kiosk::provision(&proxy.url(), &enrollment.code).await;
    kiosk
        .record_with(N, |i, draft| {
            if i as u64 + 1 == INVALID_SEQ {
                draft.language = " ".into();
            }
        })
        .await;
    proxy.set_rule(|request| match (request.path.as_str(), request.nth) {
        (paths::RATINGS, 0) => Fault::CutResponse(12),
        _ => Fault::Pass,
    });

    let drive = drive(&kiosk, 10).await;
    assert!(!drive.errors.is_empty());
    assert_eq!(kiosk.queue_len().await, 0);
    assert_sent_means_held(&kiosk, &db).await;
    let quarantined = kiosk
        .writer
        .run(|store| store?.quarantined(10))
        .await
        .expect("quarantined");
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert_eq!(quarantined[0].seq, INVALID_SEQ);
    assert!(
        quarantined[0].detail.starts_with("invalid language"),
        "{quarantined:?}"
    );
    assert_eq!(server_quarantine(&db, kiosk.terminal()).len(), 1);
    assert_eq!(server_count(&db, "ratings", kiosk.terminal()), N as u64 - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reinstalled_terminal_never_marks_unsent_ratings_as_held() {
    // The terminal's PC is replaced (or its disk wiped): a new code for the same terminal, a
    // fresh database whose first ratings are recorded before it reaches the server. The
    // server already holds seqs 1..=50 of the old database, other ratings under the same keys.
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let enrollment = server.add_terminal("Quầy 6").await;
    let old = Kiosk::provision(&server.url(), &enrollment.code).await;
    old.record(50).await;
    assert_eq!(old.round().run().await.expect("old sync").created, 50);

    let code = admin::new_code(&server.store, &enrollment.terminal_id, 1, true)
        .await
        .expect("terminal code");
    let code: serde_json::Value = serde_json::from_str(&code).expect("json");
    let new = Kiosk::provision(&server.url(), code["code"].as_str().expect("code")).await;
    assert_eq!(new.terminal(), enrollment.terminal_id);
    let offline = new.record(5).await;
    assert_eq!(
        offline.iter().map(|r| r.1).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );

    let report = new.round().run().await.expect("first sync of the new PC");
    eprintln!("reinstalled: {report:?}");
    assert_sent_means_held(&new, &db).await;
    // They collide with the old database's keys: quarantined on both sides, not dropped.
    assert_eq!(report.quarantined, 5, "{report:?}");
    assert_eq!(new.queue_len().await, 0);
    assert_eq!(server_quarantine(&db, new.terminal()).len(), 5);

    // New ratings continue above what the server holds and arrive.
    let later = new.record(3).await;
    assert_eq!(later.iter().map(|r| r.1).collect::<Vec<_>>(), [51, 52, 53]);
    assert_eq!(new.round().run().await.expect("sync").created, 3);
    assert_eq!(server_count(&db, "ratings", new.terminal()), 53);
    assert_sent_means_held(&new, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_terminal_is_refused_and_keeps_its_queue() {
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let enrollment = server.add_terminal("Quầy 7").await;
    let kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    kiosk.record(200).await;
    assert_eq!(kiosk.round().run().await.expect("sync").created, 200);
    kiosk.record(300).await;

    admin::revoke_terminal(&server.store, &enrollment.terminal_id, false)
        .await
        .expect("revoke");
    for _ in 0..2 {
        let error = kiosk.round().run().await.expect_err("a revoked terminal");
        match &error {
            SyncError::Refused { code, .. } => assert_eq!(code, "terminal_revoked"),
            other => panic!("expected Refused, got {other:?}"),
        }
        assert_eq!(error.retry_after(), None);
    }
    assert_eq!(kiosk.queue_len().await, 300);
    let outcomes = kiosk.outcomes().await;
    assert_eq!(outcomes.len(), 200, "nothing more is marked");
    assert!(outcomes.values().all(|(s, _)| s == "sent"));
    assert_eq!(server_count(&db, "ratings", kiosk.terminal()), 200);
    let last_error = kiosk
        .writer
        .run(|store| store?.sync_meta(meta::LAST_ERROR))
        .await
        .expect("meta")
        .unwrap_or_default();
    assert!(last_error.contains("revoked"), "{last_error}");
    assert_sent_means_held(&kiosk, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_configuration_is_fetched_once_and_written() {
    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let enrollment = server.add_terminal("Quầy 8").await;
    let kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    assert_eq!(kiosk.link.config_version, None, "no configuration yet");
    kiosk.record(10).await;

    let source = DEMO_CONFIG
        .replace("demo = true", "demo = false")
        .replace("Phường Ba Đình", "Phường Thử Nghiệm");
    assert_ne!(source, DEMO_CONFIG);
    let imported = admin::import_config(&server.store, &source, true)
        .await
        .expect("config import");
    let imported: serde_json::Value = serde_json::from_str(&imported).expect("json");
    let version = imported["version"].as_str().expect("version").to_owned();

    // As the background worker runs rounds: one link carried from round to round.
    let settings = worker::Settings {
        writer: kiosk.writer.clone(),
        link: kiosk.link.clone(),
        config_dir: kiosk.config_dir.clone(),
        clock: now,
    };
    let mut link = settings.link.clone();
    let first = worker::run_round(&settings, &mut link, &kiosk.client)
        .await
        .expect("first round");
    assert_eq!(first.created, 10);
    let config = first
        .new_config
        .expect("the round picks up the configuration");
    assert_eq!(config.commune.name, "Phường Thử Nghiệm");
    assert!(!config.demo);
    assert_eq!(config.terminal.id, enrollment.terminal_id);
    assert_eq!(config.terminal.counter.as_deref(), Some(support::COUNTER));
    assert_eq!(link.config_version.as_deref(), Some(version.as_str()));

    let (written, source_of) = TerminalConfig::load(&kiosk.config_dir).expect("terminal.toml");
    assert!(matches!(source_of, ConfigSource::File(_)));
    assert_eq!(written.commune.name, "Phường Thử Nghiệm");
    assert_eq!(written.terminal.id, enrollment.terminal_id);
    let saved = ServerLink::load(&kiosk.config_dir)
        .expect("server.toml")
        .expect("linked");
    assert_eq!(saved.config_version.as_deref(), Some(version.as_str()));

    let second = worker::run_round(&settings, &mut link, &kiosk.client)
        .await
        .expect("second round");
    assert!(
        second.new_config.is_none(),
        "fetched the same configuration again"
    );
    // The heartbeat now reports the version the terminal runs.
    let rows = admin::list_terminals(&server.store, true)
        .await
        .expect("terminal list");
    let rows: serde_json::Value = serde_json::from_str(&rows).expect("json");
    let row = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["id"] == enrollment.terminal_id.as_str())
        .expect("the terminal");
    assert_eq!(row["config_version"], version.as_str());
    assert_eq!(row["queue_length"], 0);
    assert_eq!(server_count(&db, "ratings", kiosk.terminal()), 10);
}

/// A comment, a complaint and a consented call-back travel to the server with the rating,
/// verify there (the chain covers them), and the number then leaves the terminal: erased from
/// the store and from the database file, the local chain still whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn call_back_numbers_reach_the_server_and_then_leave_the_terminal() {
    use hailong::store::Feedback;
    use hailong_protocol::Callback;

    let (_dir, db) = server_db();
    let server = Server::start(&db, generous()).await;
    let enrollment = server.add_terminal("Quầy 1").await;
    let kiosk = Kiosk::provision(&server.url(), &enrollment.code).await;
    let _ = kiosk
        .record_with(3, |i, draft| match i {
            0 => draft.feedback.comment = Some("Thái độ tốt".to_owned()),
            1 => {
                draft.feedback = Feedback {
                    comment: Some("Chờ lâu quá".to_owned()),
                    complaint: true,
                    callback: Some(Callback {
                        phone: "0912345678".to_owned(),
                        consent_version: "pakn-2026-01:vi".to_owned(),
                    }),
                };
            }
            _ => {}
        })
        .await;
    let sealed = kiosk.sealed().await;
    assert!(
        files_holding(&kiosk.data_dir, b"0912345678") > 0,
        "the number is on disk until the server holds it"
    );
    let report = kiosk.round().run().await.expect("sync");
    assert_eq!((report.created, report.queued), (3, 0));

    let held = server_ratings(&db, kiosk.terminal());
    for (stored, held) in sealed.iter().zip(&held) {
        let wire = hailong::sync::to_wire(stored).expect("sealed");
        assert_eq!(held.rating, wire, "seq {}", wire.seq);
    }
    assert_eq!(held[0].rating.comment.as_deref(), Some("Thái độ tốt"));
    assert!(held[1].rating.complaint);
    assert_eq!(
        held[1]
            .rating
            .callback
            .as_ref()
            .map(|c| (c.phone.as_str(), c.consent_version.as_str())),
        Some(("0912345678", "pakn-2026-01:vi"))
    );
    assert_eq!(
        server_count(&db, "tamper_alerts", kiosk.terminal()),
        0,
        "the server verifies the feedback fields' hashes"
    );

    // The server holds the number: the terminal no longer does.
    let after = kiosk.sealed().await;
    assert!(after[1].phone_erased());
    assert_eq!(
        after[1]
            .draft
            .feedback
            .callback
            .as_ref()
            .map(|c| c.phone.as_str()),
        Some("")
    );
    let terminal = kiosk.terminal().to_owned();
    let (checked, breaks) = kiosk
        .writer
        .run(move |store| {
            let store = store?;
            let verified = store.verify_chain(&terminal)?;
            store
                .connection()
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
            Ok(verified)
        })
        .await
        .expect("verify");
    assert_eq!((checked, breaks.len()), (3, 0));
    assert_eq!(
        files_holding(&kiosk.data_dir, b"0912345678"),
        0,
        "the number is gone from every file of the data directory"
    );
}

/// How many files directly in `dir` contain `needle`.
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> usize {
    std::fs::read_dir(dir)
        .expect("data dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file())
        .filter(|path| {
            std::fs::read(path)
                .expect("read")
                .windows(needle.len())
                .any(|w| w == needle)
        })
        .count()
}
