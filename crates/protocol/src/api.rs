//! Request and response bodies of the /api/v1 endpoints, the error body, and the paths.
//!
//! SHIPPED WIRE FORMAT: see the crate documentation. Never rename or remove a field; only
//! optional fields may be added.
//!
//! Times are RFC 3339 strings. Server times are UTC (`...Z`); device times carry the device's
//! offset and are never trusted for ordering.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rating::Rating;

/// Endpoint paths, relative to the server's base URL.
pub mod paths {
    /// `POST`: exchange an enrollment code for a terminal id, token and configuration.
    pub const ENROLL: &str = "/api/v1/enroll";
    /// `GET` (bearer token): what the server holds of this terminal's ratings.
    pub const SYNC_STATUS: &str = "/api/v1/sync/status";
    /// `POST` (bearer token): upload a batch of ratings, optionally gzip'd.
    pub const RATINGS: &str = "/api/v1/ratings";
    /// `POST` (bearer token): report queue length, versions and device clock.
    pub const HEARTBEAT: &str = "/api/v1/heartbeat";
    /// `GET` (bearer token): the terminal's configuration, with an ETag.
    pub const CONFIG: &str = "/api/v1/config";
    /// `GET`: the OpenAPI document of this API.
    pub const OPENAPI: &str = "/api/v1/openapi.json";
}

/// A device clock further than this from the server's clock is flagged as suspect.
pub const CLOCK_SUSPECT_SECONDS: i64 = 3600;

/// Machine-readable `error` codes of [`ErrorBody`].
pub mod error_code {
    /// 400: the body is not JSON.
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// 400: the body is JSON of the wrong shape (missing field, wrong type).
    pub const INVALID_BODY: &str = "invalid_body";
    /// 400: the gzip stream is corrupt.
    pub const INVALID_GZIP: &str = "invalid_gzip";
    /// 401: missing, malformed or unknown bearer token.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 403: the terminal was revoked by an administrator.
    pub const TERMINAL_REVOKED: &str = "terminal_revoked";
    /// 401: the enrollment code is unknown.
    pub const INVALID_CODE: &str = "invalid_code";
    /// 409: the enrollment code was already used.
    pub const CODE_USED: &str = "code_used";
    /// 410: the enrollment code expired.
    pub const CODE_EXPIRED: &str = "code_expired";
    /// 404: no configuration was imported for the terminal's commune.
    pub const NO_CONFIG: &str = "no_config";
    /// 404: no such endpoint.
    pub const NOT_FOUND: &str = "not_found";
    /// 405: wrong HTTP method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// 413: body larger than 1 MiB (compressed or decompressed) or more than 1,000 ratings.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// 415: a `Content-Encoding` other than gzip or identity.
    pub const UNSUPPORTED_ENCODING: &str = "unsupported_encoding";
    /// 429: too many requests from this terminal; see `Retry-After`.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 500: the server failed; nothing was written.
    pub const INTERNAL: &str = "internal";
    /// 503: the server is busy (database locked); retry later.
    pub const UNAVAILABLE: &str = "unavailable";
}

/// Body of every error response: `{ "error": code, "message": ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, one of [`error_code`].
    pub error: String,
    /// Human-readable explanation (English), for logs and technicians.
    pub message: String,
}

/// `POST /api/v1/enroll` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// The one-time enrollment code printed by `hailong-server terminal add`. Spaces and
    /// dashes are ignored.
    pub code: String,
    /// Version of the kiosk application, for the terminal list.
    #[serde(default)]
    pub app_version: Option<String>,
}

/// `POST /api/v1/enroll` response (201).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EnrollResponse {
    /// Id the server gave this terminal; every rating carries it.
    pub terminal_id: String,
    /// Bearer token for all other requests. Shown once; the server keeps only its hash.
    pub token: String,
    /// Commune the terminal belongs to.
    pub commune_code: String,
    /// Display name given by the administrator.
    pub name: String,
    /// Counter the terminal stands at, if the administrator gave one.
    pub counter_id: Option<String>,
    /// Current configuration of the commune, if one was imported.
    pub config: Option<ConfigEnvelope>,
}

/// A terminal configuration as the server serves it (`GET /api/v1/config`, enrollment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigEnvelope {
    /// Version of the document: lowercase hex SHA-256 of the imported file. Also the ETag
    /// (quoted) of `GET /api/v1/config`.
    pub version: String,
    /// Commune the configuration is for (its `[commune] code`).
    pub commune_code: String,
    /// When the administrator imported it (server clock).
    pub imported_at: String,
    /// The kiosk's terminal configuration (TOML) converted to JSON, verbatim.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// `POST /api/v1/ratings` request: a batch of sealed ratings, at most 1,000 and 1 MiB
/// (before and after gzip). Send with `Content-Encoding: gzip` to save bandwidth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UploadBatch {
    /// The kiosk's clock when it sent the batch (RFC 3339 with offset); compared with the
    /// server's clock to flag a device clock that is off.
    pub device_time: String,
    /// The ratings, in ascending `seq` order by convention (the server does not rely on it).
    pub ratings: Vec<Rating>,
}

/// `POST /api/v1/ratings` response (200): one result per rating, in request order. The batch
/// was committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UploadResponse {
    /// One entry per rating of the request, same order.
    pub results: Vec<RatingResult>,
    /// Counts per outcome.
    pub summary: UploadSummary,
    /// The terminal's sync status after this batch.
    pub sync: SyncStatus,
    /// Set when the batch's `device_time` is more than an hour from the server clock.
    pub clock_suspect: bool,
}

/// What happened to one rating of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RatingResult {
    /// Position of the rating in the request's `ratings` array (from 0).
    pub index: u32,
    /// The rating's id, when it could be read.
    pub id: Option<Uuid>,
    /// The rating's seq, when it could be read.
    pub seq: Option<u64>,
    /// The outcome; `status` in JSON, with `field`/`message` where relevant.
    #[serde(flatten)]
    pub outcome: RatingOutcome,
}

/// Outcome of one rating, tagged by `status`.
///
/// `created` and `duplicate` mean the server holds the rating: mark it sent. `conflict` and
/// `invalid` mean the server quarantined it (kept with the raw JSON for technicians): mark it
/// quarantined and go on; never resend it in a loop. An unknown future status deserialises
/// as `unknown`: treat it like `conflict`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RatingOutcome {
    /// Stored now.
    Created,
    /// Already held with the same id and the same content: success, nothing changed.
    Duplicate,
    /// The id or `(terminal_id, seq)` is held with different content. Quarantined.
    Conflict {
        /// What clashed.
        message: String,
    },
    /// The rating is malformed or not this terminal's. Quarantined.
    Invalid {
        /// JSON path of the offending field, e.g. `"level"` or `"answers[0].points"`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A status this version does not know (from a newer server).
    #[serde(other)]
    Unknown,
}

impl RatingOutcome {
    /// True when the server now holds the rating (created or duplicate).
    pub fn is_stored(&self) -> bool {
        matches!(self, RatingOutcome::Created | RatingOutcome::Duplicate)
    }
}

/// Counts per outcome of an upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UploadSummary {
    /// Ratings stored now.
    pub created: u32,
    /// Ratings already held identically.
    pub duplicate: u32,
    /// Ratings quarantined as conflicts.
    pub conflict: u32,
    /// Ratings quarantined as invalid.
    pub invalid: u32,
}

/// `GET /api/v1/sync/status` response: what the server holds of this terminal's sequence.
///
/// A seq is "accounted for" when the server holds the rating or quarantined it (conflict,
/// invalid). Upload everything above `highest_contiguous_seq` that is not yet marked sent or
/// quarantined locally; ratings in `gaps` are missing on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SyncStatus {
    /// The terminal these figures are for.
    pub terminal_id: String,
    /// Highest N such that every seq 1..=N is accounted for (0 when seq 1 is missing).
    /// Safe resume point: nothing at or below it needs sending again.
    pub highest_contiguous_seq: u64,
    /// Highest seq accounted for (0 when none). Above `highest_contiguous_seq` when there
    /// are gaps.
    pub max_seq: u64,
    /// Missing ranges between 1 and `max_seq`, lowest first, at most 100.
    pub gaps: Vec<SeqRange>,
    /// True when there are more gaps than listed.
    pub gaps_truncated: bool,
    /// Ratings of this terminal the server holds.
    pub stored: u64,
    /// Distinct ratings of this terminal in quarantine.
    pub quarantined: u64,
    /// Server clock (UTC).
    pub server_time: String,
}

/// An inclusive range of sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SeqRange {
    /// First seq of the range.
    pub first: u64,
    /// Last seq of the range (inclusive).
    pub last: u64,
}

/// `POST /api/v1/heartbeat` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeartbeatRequest {
    /// The kiosk's clock now (RFC 3339 with offset).
    pub device_time: String,
    /// Sealed ratings not yet accepted by the server (the backlog).
    pub queue_length: u64,
    /// Version of the kiosk application.
    pub app_version: String,
    /// Version of the configuration the kiosk runs (`ConfigEnvelope::version`), or none
    /// when it runs the bundled demo or a file-provisioned configuration.
    pub config_version: Option<String>,
    /// The kiosk's chain head: its last sealed rating's seq and hash, whether or not it was
    /// uploaded yet; none before the first rating. The server keeps it as an anchor: if the
    /// rating it names later arrives with another hash, or never arrives while higher ones
    /// do, the chain was rewritten after anchoring and the server records a tamper alert.
    /// Added after 1.0: optional, older kiosks omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head: Option<ChainHead>,
}

/// A position in a terminal's hash chain: one rating's seq and hash (the chain is specified in
/// hailong-protocol's `chain` module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChainHead {
    /// Sequence number of the rating (from 1).
    pub seq: u64,
    /// That rating's `hash`: 64 lowercase hex digits.
    pub hash: String,
}

/// `POST /api/v1/heartbeat` response (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeartbeatResponse {
    /// Server clock (UTC).
    pub server_time: String,
    /// Device clock minus server clock, in whole seconds (positive: the kiosk is ahead).
    pub clock_offset_seconds: i64,
    /// True when the offset is more than an hour either way.
    pub clock_suspect: bool,
    /// Current configuration version for this terminal, if any: fetch `GET /api/v1/config`
    /// when it differs from the one running.
    pub config_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_results_are_flat_json_tagged_by_status() {
        let r = RatingResult {
            index: 2,
            id: None,
            seq: Some(7),
            outcome: RatingOutcome::Invalid {
                field: "level".into(),
                message: "too high".into(),
            },
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "index": 2, "id": null, "seq": 7,
                "status": "invalid", "field": "level", "message": "too high"
            })
        );
        assert_eq!(serde_json::from_value::<RatingResult>(json).unwrap(), r);
    }

    #[test]
    fn an_unknown_future_status_does_not_break_an_old_kiosk() {
        let json = r#"{"index":0,"id":null,"seq":1,"status":"deferred","until":"later"}"#;
        let r: RatingResult = serde_json::from_str(json).unwrap();
        assert_eq!(r.outcome, RatingOutcome::Unknown);
        assert!(!r.outcome.is_stored());
    }

    #[test]
    fn optional_fields_may_be_missing() {
        let req: EnrollRequest = serde_json::from_str(r#"{"code":"12345-67890"}"#).unwrap();
        assert_eq!(req.app_version, None);
    }

    #[test]
    fn a_heartbeat_without_a_chain_head_still_parses() {
        let json = r#"{"device_time":"2026-01-05T09:00:00+07:00","queue_length":0,
                       "app_version":"1.0.0","config_version":null}"#;
        let req: HeartbeatRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.chain_head, None);
        // And a kiosk without one sends exactly what an old kiosk sent.
        assert!(!serde_json::to_string(&req).unwrap().contains("chain_head"));
    }
}
