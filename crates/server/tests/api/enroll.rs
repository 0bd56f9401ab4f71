//! Enrollment: a one-time code becomes a terminal id, a token and the configuration.

use chrono::Duration;
use hailong_protocol::{EnrollResponse, SyncStatus, paths};
use hailong_server::admin;
use reqwest::StatusCode;

use super::support::{TestServer, expect_error};

#[tokio::test]
async fn good_code_enrolls_and_the_token_works() {
    let server = TestServer::start().await;
    admin::import_config(
        &server.store,
        "[commune]\ncode = \"26734\"\nname = \"Xã Hòa Phú\"\n",
        false,
    )
    .await
    .unwrap();
    let (id, code) = server.add_terminal("26734", Duration::hours(24)).await;

    let resp = server.enroll_raw(&code).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: EnrollResponse = resp.json().await.unwrap();
    assert_eq!(body.terminal_id, id);
    assert_eq!(body.commune_code, "26734");
    assert_eq!(body.counter_id.as_deref(), Some("1"));
    assert_eq!(body.token.len(), 43);
    let config = body
        .config
        .expect("the commune's configuration comes along");
    assert_eq!(config.document["commune"]["name"], "Xã Hòa Phú");

    let status: SyncStatus = server
        .get(&body.token, paths::SYNC_STATUS)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status.terminal_id, id);
    assert_eq!(status.highest_contiguous_seq, 0);

    let dump = server.dump();
    assert!(
        !dump["terminals"][0].contains(&body.token),
        "the token is stored only hashed"
    );
}

#[tokio::test]
async fn code_typed_without_dash_works_too() {
    let server = TestServer::start().await;
    let (_, code) = server.add_terminal("26734", Duration::hours(1)).await;
    let resp = server.enroll_raw(&code.replace('-', " ")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn reused_code_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let (_, code) = server.add_terminal("26734", Duration::hours(24)).await;
    let first: EnrollResponse = server.enroll_raw(&code).await.json().await.unwrap();
    let before = server.dump();

    expect_error(
        server.enroll_raw(&code).await,
        StatusCode::CONFLICT,
        "code_used",
    )
    .await;

    assert_eq!(server.dump(), before);
    let still = server.get(&first.token, paths::SYNC_STATUS).await;
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "the first token keeps working"
    );
}

#[tokio::test]
async fn expired_code_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let (_, code) = server.add_terminal("26734", Duration::seconds(-1)).await;
    let before = server.dump();

    expect_error(
        server.enroll_raw(&code).await,
        StatusCode::GONE,
        "code_expired",
    )
    .await;

    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn unknown_or_garbled_codes_are_refused() {
    let server = TestServer::start().await;
    server.add_terminal("26734", Duration::hours(24)).await;
    let before = server.dump();
    for code in ["00000-00000", "123", "abcde-fghij", ""] {
        expect_error(
            server.enroll_raw(code).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
    }
    assert_eq!(server.dump(), before);
}

#[tokio::test]
async fn malformed_and_mistyped_enrollment_bodies_get_400() {
    let server = TestServer::start().await;
    let (_, code) = server.add_terminal("26734", Duration::hours(24)).await;
    let before = server.dump();
    let post = |body: &'static str| {
        server
            .client
            .post(server.url(paths::ENROLL))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    expect_error(
        post("{\"code\": ").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    let body = expect_error(
        post("{\"code\": 1234567890}").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    assert!(body.message.contains("`code`"), "{}", body.message);

    assert_eq!(server.dump(), before);
    assert_eq!(
        server.enroll_raw(&code).await.status(),
        StatusCode::CREATED,
        "the code is still unused"
    );
}

#[tokio::test]
async fn unknown_endpoints_and_methods_answer_json() {
    let server = TestServer::start().await;
    let resp = server
        .client
        .get(server.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = server
        .client
        .get(server.url(paths::ENROLL))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}
