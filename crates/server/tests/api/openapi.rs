//! The checked-in OpenAPI document must match the code.

use std::path::Path;

use hailong_protocol::paths;
use hailong_server::openapi::pretty_json;

use super::support::TestServer;

#[test]
fn checked_in_openapi_json_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = pretty_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "crates/server/openapi.json is stale. Regenerate it with\n  \
         UPDATE_OPENAPI=1 cargo test -p hailong-server --test api openapi\n\
         (or `hailong-server openapi > crates/server/openapi.json`) and review the diff: \
         /api/v1 may only gain optional fields."
    );
}

#[tokio::test]
async fn served_openapi_is_the_generated_one() {
    let server = TestServer::start().await;
    let served: serde_json::Value = server
        .client
        .get(server.url(paths::OPENAPI))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let generated: serde_json::Value = serde_json::from_str(&pretty_json()).unwrap();
    assert_eq!(served, generated);
}
