//! The SQLite store (rusqlite, bundled SQLite): WAL, `synchronous=FULL` so a commit survives a
//! power cut, a busy timeout for the admin CLI writing beside the server. One connection
//! behind a mutex; every call runs on tokio's blocking pool, never on the async workers.

mod ingest;
mod migrations;
mod tamper;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use hailong_protocol::{ConfigEnvelope, SeqRange, SyncStatus};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::report::{ROW_COLUMNS, ReportBuilder, ReportError, ReportRow, RowScope};
use crate::store::{
    AuthError, EnrollError, HeartbeatRecord, ImportOutcome, IngestContext, IngestItem,
    IngestOutcome, NewConfig, NewTerminal, Store, StoreError, TamperAlert, TamperKind, Terminal,
    TerminalRow,
};

/// How long a writer waits for another writer (the admin CLI, a second server) to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Most gaps listed in a sync status.
const MAX_GAPS: usize = 100;

/// [`Store`] over one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// The database file: reports read it through a connection of their own, so that a long
    /// report never holds up ingest.
    path: Arc<Path>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Busy(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<rusqlite::Error> for EnrollError {
    fn from(e: rusqlite::Error) -> Self {
        EnrollError::Store(e.into())
    }
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Store(e.into())
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other(format!(
                "could not switch {} to WAL (got {mode})",
                path.display()
            )));
        }
        // FULL: NORMAL skips the fsync at commit in WAL mode and can lose the last commits on
        // a power cut; an acknowledged rating must never be lost.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::from(path),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .unwrap_or_else(|e| Err(StoreError::Other(format!("store task failed: {e}")).into()))
    }

    /// Every row of every table as text, sorted: lets tests prove that a refused request
    /// changed nothing. `terminals.last_seen_at` is left out: it records contact, not data.
    /// Blocking.
    pub fn dump_tables(&self) -> Result<BTreeMap<&'static str, Vec<String>>, StoreError> {
        const TABLES: [(&str, &str); 7] = [
            (
                "terminals",
                "SELECT id, commune_code, name, counter_id, token_hash, created_at, enrolled_at,
                        revoked_at, heartbeat_at, queue_length, app_version, config_version,
                        clock_offset_s, contiguous_seq, stored_count, quarantined_count,
                        chain_seq, chain_hash, anchor_seq, anchor_hash, anchor_at,
                        anchor_checked_at
                 FROM terminals",
            ),
            ("enrollment_codes", "SELECT * FROM enrollment_codes"),
            ("ratings", "SELECT * FROM ratings"),
            ("quarantine", "SELECT * FROM quarantine"),
            ("seq_seen", "SELECT * FROM seq_seen"),
            ("configs", "SELECT * FROM configs"),
            ("tamper_alerts", "SELECT * FROM tamper_alerts"),
        ];
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = BTreeMap::new();
        for (table, sql) in TABLES {
            let mut stmt = conn.prepare(sql)?;
            let columns = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |row| {
                    let cells: Vec<String> = (0..columns)
                        .map(|i| row.get_ref(i).map(cell_text))
                        .collect::<Result<_, _>>()?;
                    Ok(cells.join("|"))
                })?
                .collect::<Result<_, _>>()?;
            rows.sort();
            out.insert(table, rows);
        }
        Ok(out)
    }
}

/// A cell as text: NULL, the number, the string, or x'hex' for a blob.
fn cell_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!(
            "x'{}'",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
    }
}

/// A text column without copying it; `None` when NULL.
fn text_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>, ReportError> {
    match row.get_ref(i).map_err(|e| ReportError::Store(e.into()))? {
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(Some)
            .map_err(|e| ReportError::Store(StoreError::Other(e.to_string()))),
        _ => Ok(None),
    }
}

/// Milliseconds since the epoch, as stored.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// RFC 3339 UTC text of a stored time.
pub(crate) fn ms_to_rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn terminal_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Terminal> {
    Ok(Terminal {
        id: row.get(0)?,
        commune_code: row.get(1)?,
        name: row.get(2)?,
        counter_id: row.get(3)?,
    })
}

/// The current configuration of a commune.
fn current_config(
    conn: &Connection,
    commune_code: &str,
) -> Result<Option<ConfigEnvelope>, StoreError> {
    let row: Option<(String, String, i64, String)> = conn
        .prepare_cached(
            "SELECT version, commune_code, imported_at, document FROM configs
             WHERE commune_code = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([commune_code], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    row.map(|(version, commune_code, imported_at, document)| {
        let document = serde_json::from_str(&document)
            .map_err(|e| StoreError::Other(format!("stored config is not JSON: {e}")))?;
        Ok(ConfigEnvelope {
            version,
            commune_code,
            imported_at: ms_to_rfc3339(imported_at),
            document,
        })
    })
    .transpose()
}

/// Columns read by [`alert_from_row`].
const ALERT_COLUMNS: &str =
    "id, terminal_id, kind, first_seq, last_seq, detail, received_at, resolved_at, resolution";

fn alert_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TamperAlert> {
    let kind: String = r.get(2)?;
    Ok(TamperAlert {
        id: r.get::<_, i64>(0)? as u64,
        terminal_id: r.get(1)?,
        kind: TamperKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown tamper alert kind `{kind}`").into(),
            )
        })?,
        first_seq: r.get::<_, i64>(3)? as u64,
        last_seq: r.get::<_, i64>(4)? as u64,
        detail: r.get(5)?,
        received_at: ms_to_rfc3339(r.get(6)?),
        resolved_at: r.get::<_, Option<i64>>(7)?.map(ms_to_rfc3339),
        resolution: r.get(8)?,
    })
}

/// The sync status of a terminal, inside whatever transaction the caller holds.
pub(crate) fn sync_status(
    conn: &Connection,
    terminal_id: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<SyncStatus> {
    let (contiguous, stored, quarantined): (i64, i64, i64) = conn.query_row(
        "SELECT contiguous_seq, stored_count, quarantined_count FROM terminals WHERE id = ?1",
        [terminal_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let max: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM seq_seen WHERE terminal_id = ?1")?
        .query_row([terminal_id], |r| r.get(0))?;
    let (gaps, gaps_truncated) = if max > contiguous {
        gaps_after(conn, terminal_id, contiguous)?
    } else {
        (Vec::new(), false)
    };
    Ok(SyncStatus {
        terminal_id: terminal_id.to_owned(),
        highest_contiguous_seq: contiguous as u64,
        max_seq: max as u64,
        gaps,
        gaps_truncated,
        stored: stored as u64,
        quarantined: quarantined as u64,
        server_time: now.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

/// Missing ranges above `contiguous`: each seq whose predecessor is missing starts a run;
/// the gap before it ends at the previous run's last seq.
fn gaps_after(
    conn: &Connection,
    terminal_id: &str,
    contiguous: i64,
) -> rusqlite::Result<(Vec<SeqRange>, bool)> {
    let mut starts_stmt = conn.prepare_cached(
        "SELECT s.seq FROM seq_seen s
         WHERE s.terminal_id = ?1 AND s.seq > ?2
           AND NOT EXISTS (SELECT 1 FROM seq_seen p WHERE p.terminal_id = ?1 AND p.seq = s.seq - 1)
         ORDER BY s.seq LIMIT ?3",
    )?;
    let starts: Vec<i64> = starts_stmt
        .query_map(params![terminal_id, contiguous, MAX_GAPS as i64 + 1], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?;
    let mut prev_stmt = conn.prepare_cached(
        "SELECT COALESCE(MAX(seq), 0) FROM seq_seen WHERE terminal_id = ?1 AND seq < ?2",
    )?;
    let truncated = starts.len() > MAX_GAPS;
    let mut gaps = Vec::with_capacity(starts.len().min(MAX_GAPS));
    for start in starts.into_iter().take(MAX_GAPS) {
        let prev: i64 = prev_stmt.query_row(params![terminal_id, start], |r| r.get(0))?;
        gaps.push(SeqRange {
            first: (prev + 1) as u64,
            last: (start - 1) as u64,
        });
    }
    Ok((gaps, truncated))
}

impl Store for SqliteStore {
    async fn add_terminal(
        &self,
        new: NewTerminal,
        now: DateTime<Utc>,
    ) -> Result<Terminal, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut n: i64 = tx.query_row(
                "SELECT COUNT(*) FROM terminals WHERE commune_code = ?1",
                [&new.commune_code],
                |r| r.get(0),
            )?;
            let id = loop {
                n += 1;
                let candidate = format!("{}-{n:03}", new.commune_code);
                let taken: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM terminals WHERE id = ?1)",
                    [&candidate],
                    |r| r.get(0),
                )?;
                if !taken {
                    break candidate;
                }
            };
            tx.execute(
                "INSERT INTO terminals (id, commune_code, name, counter_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, new.commune_code, new.name, new.counter_id, to_ms(now)],
            )?;
            tx.execute(
                "INSERT INTO enrollment_codes (code_hash, terminal_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![new.code_hash, id, to_ms(now), to_ms(new.expires_at)],
            )?;
            tx.commit()?;
            Ok(Terminal {
                id,
                commune_code: new.commune_code,
                name: new.name,
                counter_id: new.counter_id,
            })
        })
        .await
    }

    async fn add_code(
        &self,
        terminal_id: String,
        code_hash: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Terminal>, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let terminal = tx
                .query_row(
                    "SELECT id, commune_code, name, counter_id FROM terminals
                     WHERE id = ?1 AND revoked_at IS NULL",
                    [&terminal_id],
                    terminal_from_row,
                )
                .optional()?;
            if terminal.is_some() {
                tx.execute(
                    "INSERT INTO enrollment_codes (code_hash, terminal_id, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![code_hash, terminal_id, to_ms(now), to_ms(expires_at)],
                )?;
                tx.commit()?;
            }
            Ok(terminal)
        })
        .await
    }

    async fn enroll(
        &self,
        code_hash: String,
        token_hash: String,
        app_version: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Terminal, Option<ConfigEnvelope>), EnrollError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found: Option<(String, i64, Option<i64>, Option<i64>)> = tx
                .query_row(
                    "SELECT c.terminal_id, c.expires_at, c.used_at, t.revoked_at
                     FROM enrollment_codes c JOIN terminals t ON t.id = c.terminal_id
                     WHERE c.code_hash = ?1",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((terminal_id, expires_at, used_at, revoked_at)) = found else {
                return Err(EnrollError::InvalidCode);
            };
            if revoked_at.is_some() {
                return Err(EnrollError::InvalidCode);
            }
            if used_at.is_some() {
                return Err(EnrollError::CodeUsed);
            }
            if expires_at <= to_ms(now) {
                return Err(EnrollError::CodeExpired);
            }
            tx.execute(
                "UPDATE enrollment_codes SET used_at = ?2 WHERE code_hash = ?1",
                params![code_hash, to_ms(now)],
            )?;
            tx.execute(
                "UPDATE terminals SET token_hash = ?2, enrolled_at = ?3, last_seen_at = ?3,
                        app_version = COALESCE(?4, app_version)
                 WHERE id = ?1",
                params![terminal_id, token_hash, to_ms(now), app_version],
            )?;
            let terminal = tx.query_row(
                "SELECT id, commune_code, name, counter_id FROM terminals WHERE id = ?1",
                [&terminal_id],
                terminal_from_row,
            )?;
            let config = current_config(&tx, &terminal.commune_code)?;
            tx.commit()?;
            Ok((terminal, config))
        })
        .await
    }

    async fn authenticate(&self, token_hash: String) -> Result<Terminal, AuthError> {
        self.run(move |conn| {
            let found = conn
                .prepare_cached(
                    "SELECT id, commune_code, name, counter_id, revoked_at
                     FROM terminals WHERE token_hash = ?1",
                )?
                .query_row([&token_hash], |r| {
                    Ok((terminal_from_row(r)?, r.get::<_, Option<i64>>(4)?))
                })
                .optional()?;
            match found {
                None => Err(AuthError::Unknown),
                Some((_, Some(_))) => Err(AuthError::Revoked),
                Some((terminal, None)) => Ok(terminal),
            }
        })
        .await
    }

    async fn sync_status(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> Result<SyncStatus, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let status = sync_status(&tx, &terminal_id, now)?;
            tx.finish()?;
            Ok(status)
        })
        .await
    }

    async fn ingest(
        &self,
        terminal_id: String,
        items: Vec<IngestItem>,
        ctx: IngestContext,
    ) -> Result<IngestOutcome, StoreError> {
        self.run(move |conn| Ok(ingest::ingest(conn, &terminal_id, items, &ctx)?))
            .await
    }

    async fn heartbeat(
        &self,
        terminal_id: String,
        record: HeartbeatRecord,
    ) -> Result<(), StoreError> {
        self.run(move |conn| {
            let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE terminals SET heartbeat_at = ?2, last_seen_at = ?2, queue_length = ?3,
                        app_version = ?4, config_version = ?5, clock_offset_s = ?6
                 WHERE id = ?1",
                params![
                    terminal_id,
                    to_ms(record.at),
                    i64::try_from(record.queue_length).unwrap_or(i64::MAX),
                    record.app_version,
                    record.config_version,
                    record.clock_offset_s,
                ],
            )?;
            // Catches up first if the walk of a batch failed.
            tamper::verify_in(&mut tx, &terminal_id, record.at);
            if let Some(head) = &record.chain_head {
                tamper::anchor(&tx, &terminal_id, head, record.at)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn current_config(
        &self,
        commune_code: String,
    ) -> Result<Option<ConfigEnvelope>, StoreError> {
        self.run(move |conn| current_config(conn, &commune_code))
            .await
    }

    async fn current_configs(&self) -> Result<Vec<ConfigEnvelope>, StoreError> {
        self.run(|conn| {
            let mut stmt = conn.prepare(
                "SELECT version, commune_code, imported_at, document FROM configs
                 WHERE id IN (SELECT MAX(id) FROM configs GROUP BY commune_code)
                 ORDER BY commune_code",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
                })?
                .collect::<Result<Vec<(String, String, i64, String)>, _>>()?;
            rows.into_iter()
                .map(|(version, commune_code, imported_at, document)| {
                    Ok(ConfigEnvelope {
                        version,
                        commune_code,
                        imported_at: ms_to_rfc3339(imported_at),
                        document: serde_json::from_str(&document).map_err(|e| {
                            StoreError::Other(format!("stored config is not JSON: {e}"))
                        })?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn report_rows(
        &self,
        scope: RowScope,
        mut builder: ReportBuilder,
    ) -> Result<ReportBuilder, ReportError> {
        let path = Arc::clone(&self.path);
        tokio::task::spawn_blocking(move || {
            let read = |e: rusqlite::Error| ReportError::Store(e.into());
            // A connection of its own: WAL lets it read beside the writer, from one snapshot.
            let conn = Connection::open_with_flags(
                &*path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(read)?;
            conn.busy_timeout(BUSY_TIMEOUT).map_err(read)?;
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {ROW_COLUMNS} FROM ratings
                     WHERE received_at >= ?1 AND received_at < ?2
                       AND (?3 IS NULL OR commune_code = ?3)"
                ))
                .map_err(read)?;
            let mut rows = stmt
                .query(params![scope.start_ms, scope.end_ms, scope.commune])
                .map_err(read)?;
            while let Some(r) = rows.next().map_err(read)? {
                let text = |i: usize| text_at(r, i);
                let int = |i: usize| r.get::<_, i64>(i).map_err(read);
                builder.add(&ReportRow {
                    commune_code: text(0)?.unwrap_or_default(),
                    counter_id: text(1)?,
                    staff_id: text(2)?,
                    field_id: text(3)?,
                    dossier_code: text(4)?,
                    level: int(5)?,
                    level_count: int(6)?,
                    complaint: int(7)? != 0,
                    flagged: int(8)? != 0 || int(9)? != 0,
                    received_at_ms: int(10)?,
                })?;
            }
            Ok(builder)
        })
        .await
        .unwrap_or_else(|e| {
            Err(ReportError::Store(StoreError::Other(format!(
                "report task failed: {e}"
            ))))
        })
    }

    async fn complaints(
        &self,
        scope: RowScope,
    ) -> Result<Vec<crate::complaints::HeldComplaint>, StoreError> {
        self.run(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT terminal_id, received_at, content FROM ratings
                 WHERE complaint = 1 AND received_at >= ?1 AND received_at < ?2
                   AND (?3 IS NULL OR commune_code = ?3)
                 ORDER BY received_at, terminal_id, seq",
            )?;
            let rows =
                stmt.query_map(params![scope.start_ms, scope.end_ms, scope.commune], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?;
            rows.map(|row| {
                let (terminal_id, received_at_ms, content) = row?;
                Ok(crate::complaints::HeldComplaint {
                    terminal_id,
                    received_at_ms,
                    rating: serde_json::from_str(&content).map_err(|e| {
                        StoreError::Other(format!("a stored rating is not a wire rating: {e}"))
                    })?,
                })
            })
            .collect()
        })
        .await
    }

    async fn erase_call_back_numbers(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let held: Vec<(String, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, content FROM ratings
                     WHERE complaint = 1 AND received_at < ?1 AND content LIKE '%\"callback\"%'",
                )?;
                let rows = stmt.query_map([before_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut erased = 0;
            for (id, content) in held {
                if let Some(content) = crate::complaints::erase_number(&content) {
                    tx.execute(
                        "UPDATE ratings SET content = ?2 WHERE id = ?1",
                        params![id, content],
                    )?;
                    erased += 1;
                }
            }
            tx.commit()?;
            Ok(erased)
        })
        .await
    }

    async fn import_config(&self, config: NewConfig) -> Result<ImportOutcome, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<String> = tx
                .query_row(
                    "SELECT version FROM configs WHERE commune_code = ?1 ORDER BY id DESC LIMIT 1",
                    [&config.commune_code],
                    |r| r.get(0),
                )
                .optional()?;
            if current.as_deref() == Some(config.version.as_str()) {
                return Ok(ImportOutcome::Unchanged);
            }
            tx.execute(
                "INSERT INTO configs (commune_code, version, source, document, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    config.commune_code,
                    config.version,
                    config.source,
                    config.document.to_string(),
                    to_ms(config.imported_at),
                ],
            )?;
            tx.commit()?;
            Ok(ImportOutcome::Imported)
        })
        .await
    }

    async fn list_terminals(&self) -> Result<Vec<TerminalRow>, StoreError> {
        self.run(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, commune_code, name, counter_id, created_at, enrolled_at, revoked_at,
                        last_seen_at, queue_length, clock_offset_s, app_version, config_version,
                        contiguous_seq, stored_count, quarantined_count,
                        (SELECT count(*) FROM tamper_alerts a
                         WHERE a.terminal_id = terminals.id AND a.resolved_at IS NULL)
                 FROM terminals ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    let opt_time =
                        |i: usize| r.get::<_, Option<i64>>(i).map(|v| v.map(ms_to_rfc3339));
                    Ok(TerminalRow {
                        id: r.get(0)?,
                        commune_code: r.get(1)?,
                        name: r.get(2)?,
                        counter_id: r.get(3)?,
                        created_at: ms_to_rfc3339(r.get(4)?),
                        enrolled_at: opt_time(5)?,
                        revoked_at: opt_time(6)?,
                        last_seen_at: opt_time(7)?,
                        queue_length: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
                        clock_offset_s: r.get(9)?,
                        app_version: r.get(10)?,
                        config_version: r.get(11)?,
                        highest_contiguous_seq: r.get::<_, i64>(12)? as u64,
                        stored: r.get::<_, i64>(13)? as u64,
                        quarantined: r.get::<_, i64>(14)? as u64,
                        tamper_alerts: r.get::<_, i64>(15)? as u64,
                        latest_alert: None,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut latest = conn.prepare(&format!(
                "SELECT {ALERT_COLUMNS} FROM tamper_alerts WHERE terminal_id = ?1
                 ORDER BY id DESC LIMIT 1"
            ))?;
            let mut rows = rows;
            for row in &mut rows {
                row.latest_alert = latest.query_row([&row.id], alert_from_row).optional()?;
            }
            Ok(rows)
        })
        .await
    }

    async fn tamper_alerts(
        &self,
        terminal_id: String,
    ) -> Result<Option<Vec<TamperAlert>>, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM terminals WHERE id = ?1)",
                [&terminal_id],
                |r| r.get(0),
            )?;
            if !exists {
                return Ok(None);
            }
            let alerts = tx
                .prepare(&format!(
                    "SELECT {ALERT_COLUMNS} FROM tamper_alerts WHERE terminal_id = ?1 ORDER BY id"
                ))?
                .query_map([&terminal_id], alert_from_row)?
                .collect::<Result<_, _>>()?;
            tx.finish()?;
            Ok(Some(alerts))
        })
        .await
    }

    async fn revoke_terminal(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.run(move |conn| {
            let changed = conn.execute(
                "UPDATE terminals SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                params![terminal_id, to_ms(now)],
            )?;
            Ok(changed == 1)
        })
        .await
    }
}
