//! The /api/v1 router and its handlers, generic over the [`Store`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use hailong_protocol::{
    CLOCK_SUSPECT_SECONDS, ConfigEnvelope, DecodeLimits, EnrollRequest, EnrollResponse, ErrorBody,
    HeartbeatRequest, HeartbeatResponse, MAX_SEQ, SyncStatus, UploadBatch, UploadResponse, chain,
    error_code, paths,
};
use serde::de::DeserializeOwned;
use utoipa::OpenApi as _;

use crate::batch;
use crate::error::{ApiError, INVALID_QUERY, REPORTS_DISABLED, invalid_code};
use crate::openapi::ApiDoc;
use crate::ratelimit::{RateLimit, RateLimiter};
use crate::report::{self, GroupBy, Report, ReportFormat, ReportQuery};
use crate::secret::{self, ReportToken};
use crate::store::{HeartbeatRecord, IngestContext, Store, Terminal};

/// Most bytes of a JSON body other than a rating batch.
const MAX_SMALL_BODY: usize = 64 * 1024;

/// Tunables of the HTTP server.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Rate limit per terminal on authenticated endpoints.
    pub terminal_rate: RateLimit,
    /// Rate limit per client address on enrollment (guards the code space).
    pub enroll_rate: RateLimit,
    /// Batch limits (1,000 ratings, 1 MiB).
    pub limits: DecodeLimits,
    /// The token of `GET /api/v1/reports`; without one, reports are refused
    /// (`reports_disabled`).
    pub report_token: Option<ReportToken>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            terminal_rate: RateLimit {
                burst: 60,
                per_second: 2.0,
            },
            enroll_rate: RateLimit {
                burst: 10,
                per_second: 0.2,
            },
            limits: DecodeLimits::default(),
            report_token: None,
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState<S> {
    store: S,
    limits: DecodeLimits,
    report_token: Option<ReportToken>,
    terminal_limiter: Arc<RateLimiter<String>>,
    enroll_limiter: Arc<RateLimiter<IpAddr>>,
}

impl<S: Store> AppState<S> {
    /// State over `store` with `options`.
    pub fn new(store: S, options: ServerOptions) -> Self {
        Self {
            store,
            limits: options.limits,
            report_token: options.report_token,
            terminal_limiter: Arc::new(RateLimiter::new(options.terminal_rate)),
            enroll_limiter: Arc::new(RateLimiter::new(options.enroll_rate)),
        }
    }
}

/// The whole HTTP API.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route(paths::ENROLL, post(enroll::<S>))
        .route(paths::SYNC_STATUS, get(sync_status::<S>))
        .route(paths::RATINGS, post(upload::<S>))
        .route(paths::HEARTBEAT, post(heartbeat::<S>))
        .route(paths::CONFIG, get(config::<S>))
        .route(REPORTS_PATH, get(reports::<S>))
        .route(paths::OPENAPI, get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        error_code::NOT_FOUND,
        "no such endpoint",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        error_code::METHOD_NOT_ALLOWED,
        "method not allowed on this endpoint",
    )
}

/// Exchange a one-time enrollment code for the terminal's id, token and configuration.
#[utoipa::path(
    post,
    path = "/api/v1/enroll",
    tag = "terminal",
    request_body = EnrollRequest,
    responses(
        (status = 201, description = "Enrolled; keep the token", body = EnrollResponse),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Unknown code (`invalid_code`)", body = ErrorBody),
        (status = 409, description = "Code already used (`code_used`)", body = ErrorBody),
        (status = 410, description = "Code expired (`code_expired`)", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    )
)]
async fn enroll<S: Store>(
    State(state): State<AppState<S>>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<EnrollResponse>), ApiError> {
    let ip = connect.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.0.ip());
    state
        .enroll_limiter
        .check(&ip, Instant::now())
        .map_err(ApiError::rate_limited)?;
    let request: EnrollRequest = read_json(body, &headers).await?;
    let digits = secret::normalise_code(&request.code).ok_or_else(invalid_code)?;
    let token = secret::new_token().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_code::INTERNAL,
            format!("no randomness: {e}"),
        )
    })?;
    let (terminal, config) = state
        .store
        .enroll(
            secret::code_hash(&digits),
            secret::token_hash(&token),
            request.app_version,
            Utc::now(),
        )
        .await?;
    tracing::info!(terminal = %terminal.id, "terminal enrolled");
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse {
            terminal_id: terminal.id,
            token,
            commune_code: terminal.commune_code,
            name: terminal.name,
            counter_id: terminal.counter_id,
            config,
        }),
    ))
}

/// What the server holds of this terminal's ratings: resume uploading above
/// `highest_contiguous_seq`.
#[utoipa::path(
    get,
    path = "/api/v1/sync/status",
    tag = "sync",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SyncStatus),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Terminal revoked", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
async fn sync_status<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
) -> Result<Json<SyncStatus>, ApiError> {
    let terminal = authenticate(&state, &headers).await?;
    Ok(Json(
        state.store.sync_status(terminal.id, Utc::now()).await?,
    ))
}

/// Upload a batch of sealed ratings (at most 1,000 and 1 MiB before and after gzip),
/// committed in one transaction; one result per rating.
#[utoipa::path(
    post,
    path = "/api/v1/ratings",
    tag = "sync",
    security(("bearer" = [])),
    request_body(
        content = UploadBatch,
        description = "May be sent with `Content-Encoding: gzip`"
    ),
    responses(
        (status = 200, description = "Batch committed; see each result", body = UploadResponse),
        (status = 400, description = "Malformed JSON, wrong shape or corrupt gzip", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Terminal revoked", body = ErrorBody),
        (status = 413, description = "Too many ratings or bytes", body = ErrorBody),
        (status = 415, description = "Unsupported Content-Encoding", body = ErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody),
        (status = 503, description = "Database busy; retry", body = ErrorBody),
    )
)]
async fn upload<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<UploadResponse>, ApiError> {
    let terminal = authenticate(&state, &headers).await?;
    let gzip = is_gzip(&headers)?;
    let bytes = read_body(body, &headers, state.limits.max_bytes).await?;
    let limits = state.limits;
    let received_at = Utc::now();
    let for_terminal = terminal.clone();
    let prepared =
        tokio::task::spawn_blocking(move || batch::prepare(&bytes, gzip, limits, &for_terminal))
            .await
            .map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error_code::INTERNAL,
                    format!("decoder failed: {e}"),
                )
            })??;
    let clock_offset_s = clock_offset(&prepared.device_time, received_at);
    let clock_suspect = clock_offset_s.is_none_or(|o| o.abs() > CLOCK_SUSPECT_SECONDS);
    let ctx = IngestContext {
        received_at,
        clock_offset_s,
        clock_suspect,
    };
    let outcome = state
        .store
        .ingest(terminal.id.clone(), prepared.items, ctx)
        .await?;
    tracing::info!(
        terminal = %terminal.id,
        created = outcome.summary.created,
        duplicate = outcome.summary.duplicate,
        conflict = outcome.summary.conflict,
        invalid = outcome.summary.invalid,
        "batch ingested"
    );
    Ok(Json(UploadResponse {
        results: outcome.results,
        summary: outcome.summary,
        sync: outcome.sync,
        clock_suspect,
    }))
}

/// Report the kiosk's queue length, versions and clock, and anchor its chain head (a rating
/// later found to differ from its anchor is recorded as a tamper alert).
#[utoipa::path(
    post,
    path = "/api/v1/heartbeat",
    tag = "terminal",
    security(("bearer" = [])),
    request_body = HeartbeatRequest,
    responses(
        (status = 200, body = HeartbeatResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Terminal revoked", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
async fn heartbeat<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<HeartbeatResponse>, ApiError> {
    let terminal = authenticate(&state, &headers).await?;
    let request: HeartbeatRequest = read_json(body, &headers).await?;
    let now = Utc::now();
    let offset = clock_offset(&request.device_time, now)
        .ok_or_else(|| ApiError::invalid_body("device_time", "not an RFC 3339 time with offset"))?;
    if let Some(head) = &request.chain_head {
        if !(1..=MAX_SEQ).contains(&head.seq) {
            return Err(ApiError::invalid_body(
                "chain_head.seq",
                "must be between 1 and 2^63-1",
            ));
        }
        if !chain::is_hash(&head.hash) {
            return Err(ApiError::invalid_body(
                "chain_head.hash",
                "must be 64 lowercase hex digits",
            ));
        }
    }
    let record = HeartbeatRecord {
        at: now,
        queue_length: request.queue_length,
        app_version: request.app_version,
        config_version: request.config_version,
        clock_offset_s: offset,
        chain_head: request.chain_head,
    };
    state.store.heartbeat(terminal.id.clone(), record).await?;
    let config = state.store.current_config(terminal.commune_code).await?;
    Ok(Json(HeartbeatResponse {
        server_time: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        clock_offset_seconds: offset,
        clock_suspect: offset.abs() > CLOCK_SUSPECT_SECONDS,
        config_version: config.map(|c| c.version),
    }))
}

/// The terminal's current configuration. Send `If-None-Match` with the last ETag to get 304
/// when it has not changed.
#[utoipa::path(
    get,
    path = "/api/v1/config",
    tag = "terminal",
    security(("bearer" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "ETag of the configuration the kiosk has")),
    responses(
        (status = 200, description = "Current configuration; ETag header is its quoted version", body = ConfigEnvelope),
        (status = 304, description = "Unchanged"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Terminal revoked", body = ErrorBody),
        (status = 404, description = "No configuration imported for this commune (`no_config`)", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
async fn config<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let terminal = authenticate(&state, &headers).await?;
    let Some(config) = state.store.current_config(terminal.commune_code).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            error_code::NO_CONFIG,
            "no configuration was imported for this commune",
        ));
    };
    let etag = format!("\"{}\"", config.version);
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_code::INTERNAL,
            e.to_string(),
        )
    })?;
    let mut response = if etag_matches(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(config).into_response()
    };
    response.headers_mut().insert(header::ETAG, etag_value);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Path of the reports endpoint (server-only: not part of the kiosk protocol).
pub const REPORTS_PATH: &str = "/api/v1/reports";

/// Query parameters of `GET /api/v1/reports`.
#[derive(Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query for OpenAPI; parsed by `report_query`
struct ReportParams {
    /// First day, YYYY-MM-DD (server receive time, UTC+07:00).
    from: String,
    /// Last day, inclusive.
    to: String,
    /// One row per `province`, `commune` (default), `counter`, `staff`, `field` or `day`.
    by: Option<String>,
    /// Only this commune.
    commune: Option<String>,
    /// `true` counts flagged ratings (suspected repeats) too; default `false`.
    include_flagged: Option<bool>,
    /// `json` (default) or `csv` (UTF-8 with BOM, Vietnamese headings).
    format: Option<String>,
}

/// Satisfaction figures per province, commune, counter, staff member, field or day, for the
/// province's dashboards: counts per level, complaints, the SIPAS share and the Decision 766
/// rate. Days are the server's receive days in Vietnam time. Needs the report token the server
/// was started with (`--report-token-file`), never a terminal's token.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "reports",
    security(("report_token" = [])),
    params(ReportParams),
    responses(
        (status = 200, description = "The report (JSON, or CSV with `format=csv`)", body = Report),
        (status = 400, description = "Bad query (`invalid_query`): unknown parameter or grouping, bad day, first day after the last", body = ErrorBody),
        (status = 401, description = "Missing or wrong report token", body = ErrorBody),
        (status = 403, description = "No report token configured on this server (`reports_disabled`)", body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
async fn reports<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let Some(token) = state.report_token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            REPORTS_DISABLED,
            "reports are disabled: no report token was configured when this server started \
             (serve --report-token-file FILE)",
        ));
    };
    let presented = bearer(&headers)
        .ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer <report token>`"))?;
    if !token.matches(presented) {
        tracing::warn!("report request with a wrong token");
        return Err(ApiError::unauthorized("wrong report token"));
    }
    let (query, format) = report_query(uri.query().unwrap_or_default())?;
    let report = report::build(&state.store, query).await?;
    Ok(match format {
        ReportFormat::Csv => {
            let name = format!(
                "attachment; filename=\"bao-cao-{}-{}-{}.csv\"",
                report.by.as_str(),
                report.from,
                report.to
            );
            let mut response = report.to_csv()?.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(value) = HeaderValue::from_str(&name) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        _ => Json(report).into_response(),
    })
}

/// The report query of a query string, every parameter checked by name.
fn report_query(raw: &str) -> Result<(ReportQuery, ReportFormat), ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, INVALID_QUERY, m);
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(raw).map_err(bad)?;
    let mut seen = std::collections::HashMap::new();
    for (key, value) in pairs {
        if !matches!(
            key.as_str(),
            "from" | "to" | "by" | "commune" | "include_flagged" | "format"
        ) {
            return Err(bad(format!(
                "unknown parameter `{key}`: use from, to, by, commune, include_flagged, format"
            )));
        }
        if seen.insert(key.clone(), value).is_some() {
            return Err(bad(format!("parameter `{key}` given twice")));
        }
    }
    let day = |key: &str| -> Result<NaiveDate, ApiError> {
        let text = seen
            .get(key)
            .ok_or_else(|| bad(format!("missing `{key}` (a day, YYYY-MM-DD)")))?;
        report::parse_day(text).map_err(|e| bad(format!("`{key}`: {e}")))
    };
    let query = ReportQuery {
        from: day("from")?,
        to: day("to")?,
        by: seen
            .get("by")
            .map_or(Ok(GroupBy::Commune), |b| GroupBy::parse(b))
            .map_err(|e| bad(e.to_string()))?,
        commune: seen.get("commune").cloned(),
        include_flagged: match seen.get("include_flagged").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(bad(format!(
                    "`include_flagged` must be true or false, not `{other}`"
                )));
            }
        },
    };
    let format = match seen.get("format").map(String::as_str) {
        None | Some("json") => ReportFormat::Json,
        Some("csv") => ReportFormat::Csv,
        Some(other) => {
            return Err(bad(format!(
                "unknown format `{other}`: the API answers json or csv (xlsx from the CLI)"
            )));
        }
    };
    query.check().map_err(|e| bad(e.to_string()))?;
    Ok((query, format))
}

/// `a=1&b=x%20y` as decoded pairs.
fn serde_urlencoded_pairs(raw: &str) -> Result<Vec<(String, String)>, String> {
    let uri: Uri = format!("/?{raw}")
        .parse()
        .map_err(|e| format!("bad query string: {e}"))?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| format!("bad query string: {}", e.body_text()))
}

/// This API's OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json"))
)]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The terminal behind the bearer token, within its rate limit.
async fn authenticate<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<Terminal, ApiError> {
    let token = bearer(headers)
        .ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer <token>`"))?;
    let terminal = state.store.authenticate(secret::token_hash(token)).await?;
    state
        .terminal_limiter
        .check(&terminal.id, Instant::now())
        .map_err(ApiError::rate_limited)?;
    Ok(terminal)
}

/// The bearer token of the `Authorization` header, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Whether the body is gzip'd; 415 for any other encoding.
fn is_gzip(headers: &HeaderMap) -> Result<bool, ApiError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(false);
    };
    match value.to_str().map(|v| v.trim().to_ascii_lowercase()) {
        Ok(v) if v == "gzip" || v == "x-gzip" => Ok(true),
        Ok(v) if v == "identity" || v.is_empty() => Ok(false),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error_code::UNSUPPORTED_ENCODING,
            "only `Content-Encoding: gzip` or identity is accepted",
        )),
    }
}

/// The body, refused with 413 beyond `limit` bytes (as announced or as received).
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(format!(
            "body larger than {limit} bytes"
        )));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(format!("body larger than {limit} bytes (or cut off)")))
}

/// A small JSON body, with errors naming the bad field.
async fn read_json<T: DeserializeOwned>(body: Body, headers: &HeaderMap) -> Result<T, ApiError> {
    let bytes = read_body(body, headers, MAX_SMALL_BODY).await?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::malformed(inner.to_string())
        } else {
            ApiError::invalid_body(&e.path().to_string(), inner)
        }
    })?;
    de.end().map_err(|e| ApiError::malformed(e.to_string()))?;
    Ok(value)
}

/// Device clock minus `now`, whole seconds; `None` when `device_time` is not RFC 3339.
fn clock_offset(device_time: &str, now: DateTime<Utc>) -> Option<i64> {
    DateTime::parse_from_rfc3339(device_time)
        .ok()
        .map(|t| (t.with_timezone(&Utc) - now).num_seconds())
}

/// `If-None-Match` lists `etag` (strong or weak) or is `*`.
fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}
