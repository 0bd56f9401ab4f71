//! HTTP errors: every refusal is a status plus the JSON body `{ "error": code, "message" }`
//! (see `hailong_protocol::error_code`), and `Retry-After` where it helps.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hailong_protocol::{DecodeError, ErrorBody, error_code as code};

use crate::report::ReportError;
use crate::store::{AuthError, EnrollError, StoreError};

/// `error` code: a report query the server cannot answer (400).
pub const INVALID_QUERY: &str = "invalid_query";
/// `error` code: no report token was configured, so reports are refused (403).
pub const REPORTS_DISABLED: &str = "reports_disabled";

/// An error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error` code of the body.
    pub code: &'static str,
    /// `message` of the body.
    pub message: String,
    /// Seconds for `Retry-After`, if any.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error without `Retry-After`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 401: no usable bearer token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code::UNAUTHORIZED, message)
    }

    /// 413.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::PAYLOAD_TOO_LARGE,
            message,
        )
    }

    /// 429 with `Retry-After` rounded up to whole seconds (at least 1).
    pub fn rate_limited(wait: Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                code::RATE_LIMITED,
                "too many requests from this terminal; retry after the Retry-After delay",
            )
        }
    }

    /// 400 for a body that is not JSON.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::MALFORMED_JSON, message)
    }

    /// 400 for JSON of the wrong shape, naming the field.
    pub fn invalid_body(path: &str, message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            code::INVALID_BODY,
            format!("invalid field `{path}`: {message}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        } else {
            tracing::debug!(status = %self.status, code = self.code, message = %self.message, "request refused");
        }
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy(m) => Self {
                retry_after: Some(5),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE, m)
            },
            StoreError::Other(m) => Self::new(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, m),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unknown => Self::unauthorized("unknown token"),
            AuthError::Revoked => Self::new(
                StatusCode::FORBIDDEN,
                code::TERMINAL_REVOKED,
                "this terminal was revoked; ask the administrator to enroll it again",
            ),
            AuthError::Store(e) => e.into(),
        }
    }
}

impl From<EnrollError> for ApiError {
    fn from(e: EnrollError) -> Self {
        match e {
            EnrollError::InvalidCode => invalid_code(),
            EnrollError::CodeUsed => Self::new(
                StatusCode::CONFLICT,
                code::CODE_USED,
                "this enrollment code was already used; ask for a new one",
            ),
            EnrollError::CodeExpired => Self::new(
                StatusCode::GONE,
                code::CODE_EXPIRED,
                "this enrollment code expired; ask for a new one",
            ),
            EnrollError::Store(e) => e.into(),
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Store(e) => e.into(),
            ReportError::Range { .. }
            | ReportError::BadDay(_)
            | ReportError::UnknownBy(_)
            | ReportError::UnknownFormat(_)
            | ReportError::BadCommune(_) => {
                Self::new(StatusCode::BAD_REQUEST, INVALID_QUERY, e.to_string())
            }
            ReportError::Corrupt { .. } | ReportError::Write(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                code::INTERNAL,
                e.to_string(),
            ),
        }
    }
}

/// 401 for an unknown enrollment code.
pub fn invalid_code() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        code::INVALID_CODE,
        "unknown enrollment code",
    )
}

impl From<DecodeError> for ApiError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::TooLarge { .. }
            | DecodeError::DecompressedTooLarge { .. }
            | DecodeError::TooManyRatings { .. } => Self::too_large(e.to_string()),
            DecodeError::Gzip(_) => {
                Self::new(StatusCode::BAD_REQUEST, code::INVALID_GZIP, e.to_string())
            }
            DecodeError::Syntax(_) => Self::malformed(e.to_string()),
            DecodeError::Shape { path, message } => Self::invalid_body(&path, message),
        }
    }
}
