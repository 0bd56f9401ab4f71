//! The sync with the provincial server: at-least-once delivery of sealed ratings, made exactly
//! once by the server's idempotent apply (unique id and `(terminal, seq)`).
//!
//! [`plan`] decides from the server's status what to do (pure, tested without a network);
//! [`client`] speaks /api/v1; [`engine`] runs one round; [`worker`] runs rounds in the
//! background with back-off and jitter, never in the citizen's way.

pub mod client;
pub mod engine;
pub mod plan;
pub mod worker;

use std::time::Duration;

use hailong_protocol as wire;

use crate::store::{SealCause, StoreError, StoredRating};

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
    let seq = stored.seq?;
    let sealed_at = stored.sealed_at?;
    let cause = stored.seal_cause?;
    let draft = &stored.draft;
    let mut flags = Vec::new();
    if stored.flags.suspected_repeat {
        flags.push(wire::Flag::SuspectedRepeat);
    }
    if stored.flags.dossier_repeat {
        flags.push(wire::Flag::DossierRepeat);
    }
    Some(wire::Rating {
        id: draft.id,
        seq,
        terminal_id: draft.terminal_id.clone(),
        commune_code: draft.commune_code.clone(),
        counter_id: draft.counter_id.clone(),
        staff_id: draft.staff_id.clone(),
        field_id: draft.field_id.clone(),
        dossier_code: draft.dossier_code.clone(),
        stage: match draft.stage {
            crate::config::Stage::Receipt => wire::Stage::Receipt,
            crate::config::Stage::Return => wire::Stage::Return,
        },
        question_set_id: draft.question_set_id.clone(),
        question_set_version: draft.question_set_version,
        level: draft.level.value,
        level_count: draft.level.count,
        answers: draft
            .answers
            .iter()
            .map(|a| wire::Answer {
                criterion_id: a.criterion_id.clone(),
                value: a.value,
                points: a.points,
            })
            .collect(),
        reasons: draft.reasons.clone(),
        language: draft.language.clone(),
        device_time: draft.device_time.to_rfc3339(),
        sealed_at: sealed_at.to_rfc3339(),
        seal_cause: match cause {
            SealCause::Completed => wire::SealCause::Completed,
            SealCause::Idle => wire::SealCause::Idle,
            SealCause::Recovered => wire::SealCause::Recovered,
            SealCause::Cli => wire::SealCause::Cli,
        },
        flags,
    })
}
