//! The sync with the provincial server: at-least-once delivery of sealed ratings, made exactly
//! once by the server's idempotent apply (unique id and `(terminal, seq)`).
//!
//! [`plan`] decides from the server's status what to do (pure, tested without a network);
//! [`client`] speaks /api/v1; [`engine`] runs one round; [`worker`] runs rounds in the
//! background with back-off and jitter, never in the citizen's way; [`earlier`] sends the unsent
//! ratings of the terminal ids a re-provisioned terminal had before to their own servers.

pub mod client;
pub mod earlier;
pub mod engine;
pub mod plan;
pub mod worker;

use std::time::Duration;

use hailong_protocol as wire;

use crate::store::{StoreError, StoredRating};

/// Why a sync step failed. Clone, so it can travel in UI messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// No connection: DNS, refused, reset, timed out.
    #[error("cannot reach the server: {0}")]
    Network(String),
    /// TLS failed (unknown CA, wrong clock, bad certificate).
    #[error("secure connection failed: {0}")]
    Tls(String),
    /// The server asked to slow down.
    #[error("the server is busy; retry after {retry_after:?}")]
    RateLimited { retry_after: Option<Duration> },
    /// The server is failing or restarting (5xx).
    #[error("the server answered {status}: {message}")]
    Server {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The token was refused: not enrolled, or revoked.
    #[error("the server refused this terminal ({code}): {message}")]
    Refused { code: String, message: String },
    /// Any other answer the kiosk cannot use.
    #[error("unexpected answer from the server ({status}): {message}")]
    Protocol { status: u16, message: String },
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The local configuration of the link is wrong (CA file, proxy URL).
    #[error("sync settings: {0}")]
    Settings(String),
}

impl SyncError {
    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The wire form of a sealed rating. `None` for a draft (drafts never sync).
pub fn to_wire(stored: &StoredRating) -> Option<wire::Rating> {
    stored.to_wire()
}
