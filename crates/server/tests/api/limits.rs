//! Per-terminal rate limiting.

use hailong_protocol::{DecodeLimits, paths};
use hailong_server::ServerOptions;
use hailong_server::ratelimit::RateLimit;
use reqwest::StatusCode;

use super::support::{TestServer, expect_error, ratings};

#[tokio::test]
async fn requests_beyond_the_rate_get_429_with_retry_after() {
    let server = TestServer::start_with(ServerOptions {
        terminal_rate: RateLimit {
            burst: 3,
            per_second: 0.01,
        },
        enroll_rate: RateLimit {
            burst: 100,
            per_second: 100.0,
        },
        limits: DecodeLimits::default(),
        ..ServerOptions::default()
    })
    .await;
    let kiosk = server.kiosk("26734").await;
    let other = server.kiosk("26734").await;
    for _ in 0..3 {
        assert_eq!(
            server.get(&kiosk.token, paths::SYNC_STATUS).await.status(),
            StatusCode::OK
        );
    }
    let before = server.dump();

    let resp = server.upload(&kiosk, ratings(&kiosk, 1..=2)).await;
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=100).contains(&retry_after), "{retry_after}");
    expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(server.dump(), before, "the refused batch wrote nothing");

    assert_eq!(
        server.get(&other.token, paths::SYNC_STATUS).await.status(),
        StatusCode::OK,
        "the limit is per terminal"
    );
}
