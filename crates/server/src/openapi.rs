//! The OpenAPI document of /api/v1, generated from the handlers and the protocol types.
//! A copy is checked in at crates/server/openapi.json; `tests/openapi.rs` fails when it is
//! stale (regenerate with `hailong-server openapi > crates/server/openapi.json`).

use hailong_protocol as p;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hài Lòng provincial server API",
        description = "Enrollment, configuration and rating sync for Hài Lòng kiosks. \
                       Version 1: fields are never renamed or removed; only optional fields are added.",
    ),
    paths(
        crate::http::enroll,
        crate::http::sync_status,
        crate::http::upload,
        crate::http::heartbeat,
        crate::http::config,
        crate::http::reports,
        crate::http::openapi,
    ),
    components(schemas(
        p::Rating,
        p::Answer,
        p::Stage,
        p::SealCause,
        p::Flag,
        p::ErrorBody,
        p::EnrollRequest,
        p::EnrollResponse,
        p::ConfigEnvelope,
        p::UploadBatch,
        p::UploadResponse,
        p::RatingResult,
        p::RatingOutcome,
        p::UploadSummary,
        p::SyncStatus,
        p::SeqRange,
        p::HeartbeatRequest,
        p::ChainHead,
        p::HeartbeatResponse,
        crate::report::Report,
        crate::report::GroupRow,
        crate::report::Figures,
        crate::report::GroupBy,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "terminal", description = "Enrollment, heartbeat and configuration"),
        (name = "sync", description = "Rating upload"),
        (name = "reports", description = "Figures for the province's dashboards (report token)"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Declares the per-terminal bearer token scheme.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Per-terminal token from POST /api/v1/enroll"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "report_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The report token the server was started with (--report-token-file)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON with a trailing newline (the checked-in form).
pub fn pretty_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document always serialises");
    json.push('\n');
    json
}
