//! Rating upload: per-rating outcomes, quarantine, sequence accounting, and refusals of
//! whole requests that change nothing.

use std::io::Write as _;

use chrono::{Duration, Utc};
use hailong_protocol::{
    RatingOutcome, SeqRange, SyncStatus, UploadBatch, UploadResponse, encode_batch, paths,
};
use hailong_server::store::Store;
use reqwest::StatusCode;

use super::support::{TestServer, expect_error, rating, ratings};

async fn ok(resp: reqwest::Response) -> UploadResponse {
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

fn statuses(resp: &UploadResponse) -> Vec<&'static str> {
    resp.results
        .iter()
        .map(|r| match r.outcome {
            RatingOutcome::Created => "created",
            RatingOutcome::Duplicate => "duplicate",
            RatingOutcome::Conflict { .. } => "conflict",
            RatingOutcome::Invalid { .. } => "invalid",
            RatingOutcome::Unknown => "unknown",
        })
        .collect()
}

#[tokio::test]
async fn new_ratings_are_created_and_the_resume_point_advances() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;

    let resp = ok(server.upload(&kiosk, ratings(&kiosk, 1..=3)).await).await;

    assert_eq!(statuses(&resp), ["created"; 3]);
    assert_eq!(resp.summary.created, 3);
    assert_eq!(resp.sync.highest_contiguous_seq, 3);
    assert_eq!(resp.sync.stored, 3);
    assert!(!resp.clock_suspect);
    assert_eq!(server.dump()["ratings"].len(), 3);
}

#[tokio::test]
async fn resending_a_batch_answers_duplicate_and_changes_nothing() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let batch = ratings(&kiosk, 1..=5);
    ok(server.upload(&kiosk, batch.clone()).await).await;
    let before = server.dump();

    let resp = ok(server.upload(&kiosk, batch).await).await;

    assert_eq!(statuses(&resp), ["duplicate"; 5]);
    assert!(resp.results.iter().all(|r| r.outcome.is_stored()));
    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn conflicts_are_quarantined_and_do_not_block_the_rest() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let first = ratings(&kiosk, 1..=2);
    ok(server.upload(&kiosk, first.clone()).await).await;

    // Same key (seq 2), different content; same id as seq 1 under another seq; then new ones.
    let mut same_key = rating(&kiosk, 2);
    same_key.level = 1;
    let mut same_id = first[0].clone();
    same_id.seq = 3;
    let mut batch = vec![same_key, same_id];
    batch.extend(ratings(&kiosk, 4..=5));
    let resp = ok(server.upload(&kiosk, batch).await).await;

    assert_eq!(
        statuses(&resp),
        ["conflict", "conflict", "created", "created"]
    );
    let dump = server.dump();
    assert_eq!(dump["ratings"].len(), 4, "the held ratings are untouched");
    assert!(
        dump["ratings"]
            .iter()
            .any(|r| r.contains(&first[1].id.to_string()))
    );
    assert_eq!(dump["quarantine"].len(), 2);
    assert!(dump["quarantine"].iter().all(|q| q.contains("|conflict|")));
    assert_eq!(
        resp.sync.highest_contiguous_seq, 5,
        "seq 3 is accounted for"
    );
    assert_eq!(resp.sync.quarantined, 2);
}

/// Within one batch, as one by one: the first of two copies is stored and the second is a
/// duplicate; the first of two ratings with one seq is stored and the other quarantined.
#[tokio::test]
async fn repeats_inside_one_batch_are_answered_in_order() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let good = ratings(&kiosk, 1..=3);
    let mut other_two = rating(&kiosk, 2);
    other_two.level = 1;
    let batch = vec![
        good[0].clone(),
        good[0].clone(),
        good[1].clone(),
        other_two,
        good[2].clone(),
    ];
    let resp = ok(server.upload(&kiosk, batch).await).await;
    assert_eq!(
        statuses(&resp),
        ["created", "duplicate", "created", "conflict", "created"]
    );
    let dump = server.dump();
    assert_eq!(dump["ratings"].len(), 3);
    assert!(
        dump["ratings"]
            .iter()
            .any(|r| r.contains(&good[1].id.to_string())),
        "the first rating with seq 2 is the one held"
    );
    assert_eq!(dump["quarantine"].len(), 1);
    assert_eq!(resp.sync.highest_contiguous_seq, 3);
}

#[tokio::test]
async fn one_invalid_rating_among_good_ones_is_quarantined_by_field() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let mut batch = ratings(&kiosk, 1..=4);
    batch[1].level = 9;
    let mut json = serde_json::to_value(UploadBatch {
        device_time: Utc::now().to_rfc3339(),
        ratings: batch,
    })
    .unwrap();
    json["ratings"][2]["answers"] =
        serde_json::json!([{ "criterion_id": "x", "value": 1, "points": "two" }]);

    let resp = ok(server
        .post_ratings(&kiosk.token, serde_json::to_vec(&json).unwrap(), false)
        .await)
    .await;

    assert_eq!(
        statuses(&resp),
        ["created", "invalid", "invalid", "created"]
    );
    let RatingOutcome::Invalid { field, .. } = &resp.results[1].outcome else {
        unreachable!()
    };
    assert_eq!(field, "level");
    let RatingOutcome::Invalid { field, .. } = &resp.results[2].outcome else {
        unreachable!()
    };
    assert_eq!(field, "answers[0].points");
    assert_eq!(
        resp.results[2].seq,
        Some(3),
        "seq read even from a bad rating"
    );
    let dump = server.dump();
    assert_eq!(dump["ratings"].len(), 2);
    assert_eq!(dump["quarantine"].len(), 2);
    assert!(
        dump["quarantine"]
            .iter()
            .any(|q| q.contains(r#""points":"two""#)),
        "raw JSON kept: {:?}",
        dump["quarantine"]
    );
    assert_eq!(
        resp.sync.highest_contiguous_seq, 4,
        "bad ratings never block the queue"
    );

    // Sending the same bad ratings again does not pile up quarantine rows.
    let again = ok(server
        .post_ratings(&kiosk.token, serde_json::to_vec(&json).unwrap(), false)
        .await)
    .await;
    assert_eq!(
        statuses(&again),
        ["duplicate", "invalid", "invalid", "duplicate"]
    );
    assert_eq!(server.dump()["quarantine"].len(), 2);
}

#[tokio::test]
async fn another_terminals_rating_is_refused_and_theirs_is_untouched() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let other = server.kiosk("26734").await;
    let mut batch = ratings(&kiosk, 1..=2);
    batch.push(rating(&other, 1));
    batch[2].seq = 3;

    let resp = ok(server.upload(&kiosk, batch).await).await;

    assert_eq!(statuses(&resp), ["created", "created", "invalid"]);
    let RatingOutcome::Invalid { field, .. } = &resp.results[2].outcome else {
        unreachable!()
    };
    assert_eq!(field, "terminal_id");
    let theirs: SyncStatus = server
        .get(&other.token, paths::SYNC_STATUS)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((theirs.max_seq, theirs.stored), (0, 0));
    assert!(
        !server.dump()["ratings"]
            .iter()
            .any(|r| r.contains(&other.id))
    );
}

#[tokio::test]
async fn sequence_gaps_are_accepted_and_reported() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;

    let resp = ok(server.upload(&kiosk, ratings(&kiosk, [1, 2, 5, 8])).await).await;
    assert_eq!(statuses(&resp), ["created"; 4]);
    assert_eq!(resp.sync.highest_contiguous_seq, 2);
    assert_eq!(resp.sync.max_seq, 8);
    assert_eq!(
        resp.sync.gaps,
        [
            SeqRange { first: 3, last: 4 },
            SeqRange { first: 6, last: 7 }
        ]
    );

    let resp = ok(server.upload(&kiosk, ratings(&kiosk, [3, 4, 6, 7])).await).await;
    assert_eq!(resp.sync.highest_contiguous_seq, 8);
    assert!(resp.sync.gaps.is_empty());

    let status: SyncStatus = server
        .get(&kiosk.token, paths::SYNC_STATUS)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        status,
        SyncStatus {
            server_time: status.server_time.clone(),
            ..resp.sync
        }
    );
}

#[tokio::test]
async fn a_missing_first_seq_keeps_the_resume_point_at_zero() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let resp = ok(server.upload(&kiosk, ratings(&kiosk, [2, 3])).await).await;
    assert_eq!(resp.sync.highest_contiguous_seq, 0);
    assert_eq!(resp.sync.gaps, [SeqRange { first: 1, last: 1 }]);
}

#[tokio::test]
async fn a_device_clock_hours_off_is_flagged() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let batch = UploadBatch {
        device_time: (Utc::now() - Duration::hours(3)).to_rfc3339(),
        ratings: ratings(&kiosk, 1..=1),
    };
    let resp = ok(server
        .post_ratings(&kiosk.token, encode_batch(&batch, false), false)
        .await)
    .await;
    assert!(resp.clock_suspect);
    let row = &server.dump()["ratings"][0];
    // clock_suspect, then complaint, suspected_repeat, dossier_repeat (migration 0003).
    assert!(row.ends_with("|1|0|0|0"), "clock_suspect stored: {row}");
}

#[tokio::test]
async fn malformed_or_misshapen_batches_get_400_and_change_nothing() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    ok(server.upload(&kiosk, ratings(&kiosk, 1..=2)).await).await;
    let before = server.dump();

    let cases: [(&[u8], bool, &str); 5] = [
        (
            b"{\"device_time\": \"x\", \"ratings\": [",
            false,
            "malformed_json",
        ),
        (b"not json at all", false, "malformed_json"),
        (
            b"{\"device_time\": \"x\", \"ratings\": {}}",
            false,
            "invalid_body",
        ),
        (b"{\"ratings\": []}", false, "invalid_body"),
        (b"\x1f\x8b\x08\x00garbage", true, "invalid_gzip"),
    ];
    for (body, gzip, code) in cases {
        let resp = server.post_ratings(&kiosk.token, body.to_vec(), gzip).await;
        expect_error(resp, StatusCode::BAD_REQUEST, code).await;
    }
    assert_eq!(server.dump(), before);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn oversized_bodies_get_413_and_change_nothing() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    ok(server.upload(&kiosk, ratings(&kiosk, 1..=2)).await).await;
    let before = server.dump();

    // 1,001 ratings (small enough in bytes).
    let many = UploadBatch {
        device_time: Utc::now().to_rfc3339(),
        ratings: ratings(&kiosk, 3..=1003),
    };
    let resp = server
        .post_ratings(&kiosk.token, encode_batch(&many, true), true)
        .await;
    expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // More than 1 MiB of plain JSON: pad a valid batch with whitespace.
    let mut big = encode_batch(
        &UploadBatch {
            ratings: ratings(&kiosk, 3..=4),
            ..many.clone()
        },
        false,
    );
    big.extend(std::iter::repeat_n(b' ', 1 << 20));
    let resp = server.post_ratings(&kiosk.token, big.clone(), false).await;
    expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // A gzip bomb: about 10 KiB on the wire, 10 MiB inflated.
    let bomb = gzip(&vec![b' '; 10 << 20]);
    assert!(bomb.len() < 64 * 1024);
    let resp = server.post_ratings(&kiosk.token, bomb, true).await;
    let body = expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(body.message.contains("decompressed"), "{}", body.message);

    // More than 1 MiB even compressed (incompressible bytes).
    let noise: Vec<u8> = (0..(1usize << 20) + 4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let resp = server.post_ratings(&kiosk.token, gzip(&noise), true).await;
    expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn unsupported_encoding_gets_415() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let before = server.dump();
    let resp = server
        .client
        .post(server.url(paths::RATINGS))
        .bearer_auth(&kiosk.token)
        .header("content-encoding", "br")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_encoding",
    )
    .await;
    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn wrong_or_missing_token_gets_401_and_changes_nothing() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    let before = server.dump();
    let body = encode_batch(
        &UploadBatch {
            device_time: Utc::now().to_rfc3339(),
            ratings: ratings(&kiosk, 1..=2),
        },
        false,
    );

    let resp = server
        .post_ratings("not-a-real-token", body.clone(), false)
        .await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let resp = server
        .client
        .post(server.url(paths::RATINGS))
        .body(body)
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let resp = server.get("", paths::SYNC_STATUS).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;

    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn revoked_terminal_is_refused_at_once() {
    let server = TestServer::start().await;
    let kiosk = server.kiosk("26734").await;
    ok(server.upload(&kiosk, ratings(&kiosk, 1..=1)).await).await;

    assert!(
        server
            .store
            .revoke_terminal(kiosk.id.clone(), Utc::now())
            .await
            .unwrap()
    );
    let before = server.dump();

    let resp = server.upload(&kiosk, ratings(&kiosk, 2..=3)).await;
    expect_error(resp, StatusCode::FORBIDDEN, "terminal_revoked").await;
    let resp = server.get(&kiosk.token, paths::SYNC_STATUS).await;
    expect_error(resp, StatusCode::FORBIDDEN, "terminal_revoked").await;
    assert_eq!(server.dump(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overlapping_uploads_store_each_rating_exactly_once() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let kiosk = server.kiosk("26734").await;
    let all = ratings(&kiosk, 1..=300);
    // Eight uploaders race over overlapping windows of the same backlog (retries after lost
    // replies look exactly like this).
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (server, kiosk) = (server.clone(), kiosk.clone());
            let window = all[i * 25..(i * 25 + 150).min(all.len())].to_vec();
            tokio::spawn(async move { ok(server.upload(&kiosk, window).await).await })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let resp = t.await.unwrap();
        assert!(resp.results.iter().all(|r| r.outcome.is_stored()));
        created += resp.summary.created;
    }
    let rest = ok(server.upload(&kiosk, all.clone()).await).await;
    created += rest.summary.created;

    assert_eq!(created, 300, "each rating created once across all uploads");
    assert_eq!(server.dump()["ratings"].len(), 300);
    assert_eq!(rest.sync.highest_contiguous_seq, 300);
    assert!(server.dump()["quarantine"].is_empty());
}

#[tokio::test]
async fn ratings_survive_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let (kiosk_id, stored) = {
        let store = hailong_server::SqliteStore::open(&path).unwrap();
        let server = TestServer::start_on(store).await;
        let kiosk = server.kiosk("26734").await;
        let resp = ok(server.upload(&kiosk, ratings(&kiosk, 1..=10)).await).await;
        (kiosk.id, resp.sync)
    };
    let store = hailong_server::SqliteStore::open(&path).unwrap();
    let status = store.sync_status(kiosk_id, Utc::now()).await.unwrap();
    assert_eq!(
        (status.highest_contiguous_seq, status.stored),
        (stored.highest_contiguous_seq, 10)
    );
}
