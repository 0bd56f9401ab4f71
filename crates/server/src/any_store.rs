//! The store a `--db` value chose: SQLite (the default) or PostgreSQL, behind one type so
//! that `serve` and the admin commands need not know which.

use chrono::{DateTime, Utc};
use hailong_protocol::{ConfigEnvelope, SyncStatus};

use crate::postgres::PostgresStore;
use crate::report::{ReportBuilder, ReportError, RowScope};
use crate::sqlite::SqliteStore;
use crate::store::{
    AuthError, EnrollError, HeartbeatRecord, ImportOutcome, IngestContext, IngestItem,
    IngestOutcome, NewConfig, NewTerminal, Store, StoreError, TamperAlert, Terminal, TerminalRow,
};

/// SQLite or PostgreSQL.
#[derive(Clone)]
pub enum AnyStore {
    /// One SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database (several server processes may share it).
    Postgres(PostgresStore),
}

impl From<SqliteStore> for AnyStore {
    fn from(s: SqliteStore) -> Self {
        AnyStore::Sqlite(s)
    }
}

impl From<PostgresStore> for AnyStore {
    fn from(s: PostgresStore) -> Self {
        AnyStore::Postgres(s)
    }
}

/// Calls the same method on whichever store it is.
macro_rules! both {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            AnyStore::Sqlite(s) => s.$method($($arg),*).await,
            AnyStore::Postgres(s) => s.$method($($arg),*).await,
        }
    };
}

impl Store for AnyStore {
    async fn add_terminal(
        &self,
        new: NewTerminal,
        now: DateTime<Utc>,
    ) -> Result<Terminal, StoreError> {
        both!(self.add_terminal(new, now))
    }

    async fn add_code(
        &self,
        terminal_id: String,
        code_hash: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Terminal>, StoreError> {
        both!(self.add_code(terminal_id, code_hash, expires_at, now))
    }

    async fn enroll(
        &self,
        code_hash: String,
        token_hash: String,
        app_version: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Terminal, Option<ConfigEnvelope>), EnrollError> {
        both!(self.enroll(code_hash, token_hash, app_version, now))
    }

    async fn authenticate(&self, token_hash: String) -> Result<Terminal, AuthError> {
        both!(self.authenticate(token_hash))
    }

    async fn sync_status(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> Result<SyncStatus, StoreError> {
        both!(self.sync_status(terminal_id, now))
    }

    async fn ingest(
        &self,
        terminal_id: String,
        items: Vec<IngestItem>,
        ctx: IngestContext,
    ) -> Result<IngestOutcome, StoreError> {
        both!(self.ingest(terminal_id, items, ctx))
    }

    async fn heartbeat(
        &self,
        terminal_id: String,
        record: HeartbeatRecord,
    ) -> Result<(), StoreError> {
        both!(self.heartbeat(terminal_id, record))
    }

    async fn current_config(
        &self,
        commune_code: String,
    ) -> Result<Option<ConfigEnvelope>, StoreError> {
        both!(self.current_config(commune_code))
    }

    async fn import_config(&self, config: NewConfig) -> Result<ImportOutcome, StoreError> {
        both!(self.import_config(config))
    }

    async fn tamper_alerts(
        &self,
        terminal_id: String,
    ) -> Result<Option<Vec<TamperAlert>>, StoreError> {
        both!(self.tamper_alerts(terminal_id))
    }

    async fn list_terminals(&self) -> Result<Vec<TerminalRow>, StoreError> {
        both!(self.list_terminals())
    }

    async fn current_configs(&self) -> Result<Vec<ConfigEnvelope>, StoreError> {
        both!(self.current_configs())
    }

    async fn report_rows(
        &self,
        scope: RowScope,
        builder: ReportBuilder,
    ) -> Result<ReportBuilder, ReportError> {
        both!(self.report_rows(scope, builder))
    }

    async fn complaints(
        &self,
        scope: RowScope,
    ) -> Result<Vec<crate::complaints::HeldComplaint>, StoreError> {
        both!(self.complaints(scope))
    }

    async fn erase_call_back_numbers(&self, before_ms: i64) -> Result<u64, StoreError> {
        both!(self.erase_call_back_numbers(before_ms))
    }

    async fn revoke_terminal(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        both!(self.revoke_terminal(terminal_id, now))
    }
}
