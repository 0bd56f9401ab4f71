//! The storage interface the handlers and admin commands use. SQLite implements it today
//! ([`crate::sqlite::SqliteStore`]); a PostgreSQL store can implement it later without any
//! handler changing.
//!
//! Every method is one atomic unit: it either fully happens or changes nothing.

use std::future::Future;

use chrono::{DateTime, Utc};
use hailong_protocol::{
    ChainHead, ConfigEnvelope, Rating, RatingResult, SyncStatus, UploadSummary,
};
use serde::Serialize;
use uuid::Uuid;

use crate::report::{ReportBuilder, ReportError, RowScope};

/// A storage failure. `Busy` is worth retrying (HTTP 503); `Other` is not (HTTP 500).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database is locked by another writer for longer than the busy timeout.
    #[error("database busy: {0}")]
    Busy(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Other(String),
}

/// A terminal to create, with the hash of its one-time enrollment code.
#[derive(Debug, Clone)]
pub struct NewTerminal {
    /// Commune code the terminal belongs to.
    pub commune_code: String,
    /// Display name ("Quầy 1 - Hộ tịch").
    pub name: String,
    /// Counter it stands at, if any.
    pub counter_id: Option<String>,
    /// SHA-256 (hex) of the normalised enrollment code.
    pub code_hash: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

/// The identity behind a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terminal {
    /// Terminal id, e.g. "26734-001".
    pub id: String,
    /// Commune code.
    pub commune_code: String,
    /// Display name.
    pub name: String,
    /// Counter, if any.
    pub counter_id: Option<String>,
}

/// Why an enrollment failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EnrollError {
    /// No such code (or its terminal was revoked).
    #[error("unknown enrollment code")]
    InvalidCode,
    /// The code was already exchanged.
    #[error("enrollment code already used")]
    CodeUsed,
    /// The code expired.
    #[error("enrollment code expired")]
    CodeExpired,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// No terminal has this token.
    #[error("unknown token")]
    Unknown,
    /// The terminal was revoked.
    #[error("terminal revoked")]
    Revoked,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One rating of a batch, checked by the handler and ready to apply.
#[derive(Debug, Clone)]
pub enum IngestItem {
    /// A valid rating of the uploading terminal.
    Valid {
        /// Position in the request.
        index: u32,
        /// The rating.
        rating: Rating,
        /// Its canonical JSON (serde serialisation of [`Rating`]); stored and compared.
        canonical: String,
        /// SHA-256 (hex) of `canonical`: equal hashes mean equal content.
        content_hash: String,
    },
    /// A rating to quarantine as invalid.
    Invalid {
        /// Position in the request.
        index: u32,
        /// Its id, if readable.
        id: Option<Uuid>,
        /// Its seq, if readable and in range: accounted for in the terminal's sequence.
        seq: Option<u64>,
        /// The offending field.
        field: String,
        /// What is wrong.
        message: String,
        /// The JSON as received.
        raw: String,
        /// SHA-256 (hex) of `raw`: the same bad rating sent twice is quarantined once.
        raw_hash: String,
    },
}

/// Facts about the upload request that every stored rating records.
#[derive(Debug, Clone)]
pub struct IngestContext {
    /// Server clock when the batch arrived.
    pub received_at: DateTime<Utc>,
    /// Batch device clock minus server clock, in seconds, if the device time parsed.
    pub clock_offset_s: Option<i64>,
    /// More than an hour off.
    pub clock_suspect: bool,
}

/// Result of applying a batch.
#[derive(Debug, Clone)]
pub struct IngestOutcome {
    /// Per rating, request order.
    pub results: Vec<RatingResult>,
    /// Counts per outcome.
    pub summary: UploadSummary,
    /// Sync status after the batch.
    pub sync: SyncStatus,
}

/// What a heartbeat reports.
#[derive(Debug, Clone)]
pub struct HeartbeatRecord {
    /// Server clock when it arrived.
    pub at: DateTime<Utc>,
    /// Ratings queued on the kiosk.
    pub queue_length: u64,
    /// Kiosk application version.
    pub app_version: String,
    /// Configuration version the kiosk runs.
    pub config_version: Option<String>,
    /// Device clock minus server clock, seconds.
    pub clock_offset_s: i64,
    /// The kiosk's chain head, kept as the terminal's latest anchor (already checked: seq in
    /// range, hash well formed).
    pub chain_head: Option<ChainHead>,
}

/// A configuration to import.
#[derive(Debug, Clone)]
pub struct NewConfig {
    /// `[commune] code` of the document.
    pub commune_code: String,
    /// SHA-256 (hex) of `source`.
    pub version: String,
    /// The TOML file as imported.
    pub source: String,
    /// The same document as JSON (served to terminals).
    pub document: serde_json::Value,
    /// Server clock at import.
    pub imported_at: DateTime<Utc>,
}

/// Whether an import stored a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new current version.
    Imported,
    /// The same content is already the current version.
    Unchanged,
}

/// One line of `terminal list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalRow {
    /// Terminal id.
    pub id: String,
    /// Commune code.
    pub commune_code: String,
    /// Display name.
    pub name: String,
    /// Counter, if any.
    pub counter_id: Option<String>,
    /// When `terminal add` created it.
    pub created_at: String,
    /// When it exchanged its enrollment code, if it did.
    pub enrolled_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// Last successful upload, heartbeat or enrollment (server clock).
    pub last_seen_at: Option<String>,
    /// Backlog reported by the last heartbeat.
    pub queue_length: Option<u64>,
    /// Device clock minus server clock at the last heartbeat, seconds.
    pub clock_offset_s: Option<i64>,
    /// Application version at the last heartbeat or enrollment.
    pub app_version: Option<String>,
    /// Configuration version at the last heartbeat.
    pub config_version: Option<String>,
    /// Highest contiguous seq accounted for.
    pub highest_contiguous_seq: u64,
    /// Ratings held.
    pub stored: u64,
    /// Distinct quarantined ratings.
    pub quarantined: u64,
    /// Open tamper alerts (a gap whose ratings arrived later and verify is resolved).
    pub tamper_alerts: u64,
    /// The most recent tamper alert, open or resolved.
    pub latest_alert: Option<TamperAlert>,
}

/// What a tamper alert found (see `crate::tamper`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TamperKind {
    /// A rating's content does not match its hash: edited after sealing.
    Edited,
    /// A rating does not link to the one before it (or to the genesis).
    BrokenLink,
    /// Seqs missing below a stored higher one: ratings removed.
    Gap,
    /// The rating a heartbeat anchored arrived with another hash or never arrived while
    /// higher ones did, or the kiosk's chain head went backwards: rewritten after anchoring.
    Anchor,
}

impl TamperKind {
    /// The stored (and JSON) name.
    pub fn as_str(self) -> &'static str {
        match self {
            TamperKind::Edited => "edited",
            TamperKind::BrokenLink => "broken_link",
            TamperKind::Gap => "gap",
            TamperKind::Anchor => "anchor",
        }
    }

    /// The kind with this stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            TamperKind::Edited,
            TamperKind::BrokenLink,
            TamperKind::Gap,
            TamperKind::Anchor,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// One finding of the server's chain verification. The ratings concerned are stored all the
/// same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TamperAlert {
    /// Number of the alert (ascending in detection order).
    pub id: u64,
    /// Terminal whose chain it is.
    pub terminal_id: String,
    /// What was found.
    pub kind: TamperKind,
    /// The seq concerned, or the first of a gap.
    pub first_seq: u64,
    /// The last seq of a gap; equal to `first_seq` otherwise.
    pub last_seq: u64,
    /// What exactly, in English, for technicians.
    pub detail: String,
    /// Server clock when the batch or heartbeat that revealed it arrived.
    pub received_at: String,
    /// When it stopped applying (a gap filled by ratings that verify), if it did.
    pub resolved_at: Option<String>,
    /// How it was resolved.
    pub resolution: Option<String>,
}

/// Storage of terminals, enrollment codes, ratings, quarantine and configurations.
///
/// Methods return `Send` futures so the router can be generic over the store; blocking
/// implementations must move their work off the async runtime.
pub trait Store: Clone + Send + Sync + 'static {
    /// Creates a terminal and its enrollment code; returns the new terminal.
    fn add_terminal(
        &self,
        new: NewTerminal,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Terminal, StoreError>> + Send;

    /// Issues another enrollment code for an existing terminal (replacement PC, lost reply).
    /// Enrolling with it replaces the terminal's token. `Ok(None)` when there is no such
    /// terminal or it is revoked.
    fn add_code(
        &self,
        terminal_id: String,
        code_hash: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Terminal>, StoreError>> + Send;

    /// Exchanges a code (by hash) for the terminal, storing the token's hash, and returns the
    /// terminal with its commune's current configuration, all in one transaction. Single use.
    fn enroll(
        &self,
        code_hash: String,
        token_hash: String,
        app_version: Option<String>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(Terminal, Option<ConfigEnvelope>), EnrollError>> + Send;

    /// The terminal whose token has this hash. Read-only.
    fn authenticate(
        &self,
        token_hash: String,
    ) -> impl Future<Output = Result<Terminal, AuthError>> + Send;

    /// What the server holds of the terminal's sequence.
    fn sync_status(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<SyncStatus, StoreError>> + Send;

    /// Applies a batch in one transaction. In it, verifies the terminal's hash chain as far
    /// as the stored ratings reach and records tamper alerts; a failure of that check never
    /// undoes or refuses the batch (it is logged, and the next batch or heartbeat resumes it).
    fn ingest(
        &self,
        terminal_id: String,
        items: Vec<IngestItem>,
        ctx: IngestContext,
    ) -> impl Future<Output = Result<IngestOutcome, StoreError>> + Send;

    /// Records a heartbeat, and its chain head as the terminal's anchor.
    fn heartbeat(
        &self,
        terminal_id: String,
        record: HeartbeatRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The current configuration of a commune, if any.
    fn current_config(
        &self,
        commune_code: String,
    ) -> impl Future<Output = Result<Option<ConfigEnvelope>, StoreError>> + Send;

    /// Stores a configuration version and makes it current.
    fn import_config(
        &self,
        config: NewConfig,
    ) -> impl Future<Output = Result<ImportOutcome, StoreError>> + Send;

    /// The tamper alerts of a terminal, oldest first; `Ok(None)` when there is no such
    /// terminal.
    fn tamper_alerts(
        &self,
        terminal_id: String,
    ) -> impl Future<Output = Result<Option<Vec<TamperAlert>>, StoreError>> + Send;

    /// All terminals, by id.
    fn list_terminals(&self) -> impl Future<Output = Result<Vec<TerminalRow>, StoreError>> + Send;

    /// The current configuration of every commune that has one (reports name communes,
    /// provinces, counters, staff and fields after them).
    fn current_configs(
        &self,
    ) -> impl Future<Output = Result<Vec<ConfigEnvelope>, StoreError>> + Send;

    /// Feeds every stored rating in `scope` (server receive time, one commune or all) to
    /// `builder` and hands it back. Read-only; counts nothing itself: the counting is
    /// [`ReportBuilder`]'s, the same for every store.
    fn report_rows(
        &self,
        scope: RowScope,
        builder: ReportBuilder,
    ) -> impl Future<Output = Result<ReportBuilder, ReportError>> + Send;

    /// The ratings with a complaint received in `scope`, oldest first, as stored (call-back
    /// numbers included: see [`crate::complaints`]). Read-only.
    fn complaints(
        &self,
        scope: RowScope,
    ) -> impl Future<Output = Result<Vec<crate::complaints::HeldComplaint>, StoreError>> + Send;

    /// Erases the call-back numbers of complaints received before `before_ms` (see
    /// [`crate::complaints::erase_number`]); returns how many were erased.
    fn erase_call_back_numbers(
        &self,
        before_ms: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Revokes a terminal and its unused codes. `Ok(false)` when there is no such terminal.
    fn revoke_terminal(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
