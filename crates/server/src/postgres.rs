//! The PostgreSQL store (tokio-postgres over a deadpool pool), for a province or a country:
//! several server processes may share one database.
//!
//! Correctness with several writers: every batch of a terminal first locks the terminal's row
//! (`SELECT ... FOR UPDATE`), so the batches of one terminal apply one after the other whichever
//! process received them, and each sees what the previous one committed. Ratings are inserted
//! with `ON CONFLICT DO NOTHING` and classified afterwards by comparing content, so a rating
//! id that another terminal's concurrent batch holds is a conflict, never an error. An
//! enrollment code is taken with `FOR UPDATE` too: single use. A transaction that fails with a
//! serialization failure or a deadlock (SQLSTATE 40001, 40P01) is retried from the start a
//! bounded number of times.

mod ingest;
mod migrations;
mod tamper;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use hailong_protocol::{ConfigEnvelope, SeqRange, SyncStatus};
use tokio_postgres::error::SqlState;
use tokio_postgres::{GenericClient, NoTls, Row};

use crate::report::{ROW_COLUMNS, ReportBuilder, ReportError, ReportRow, RowScope};
use crate::sqlite::{ms_to_rfc3339, to_ms};
use crate::store::{
    AuthError, EnrollError, HeartbeatRecord, ImportOutcome, IngestContext, IngestItem,
    IngestOutcome, NewConfig, NewTerminal, Store, StoreError, TamperAlert, TamperKind, Terminal,
    TerminalRow,
};

/// Most gaps listed in a sync status.
const MAX_GAPS: usize = 100;
/// Attempts of a transaction that keeps failing with a serialization failure or deadlock.
const MAX_ATTEMPTS: u32 = 8;
/// Connections per server process.
const POOL_SIZE: usize = 16;
/// How long a request waits for a free connection.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// [`Store`] over a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let text = match e.as_db_error() {
            Some(db) => format!("{e}: {} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        };
        if retryable(&e) || e.is_closed() {
            StoreError::Busy(text)
        } else {
            StoreError::Other(text)
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            deadpool_postgres::PoolError::Timeout(_) => {
                StoreError::Busy(format!("no free database connection: {e}"))
            }
            e => StoreError::Other(format!("database connection: {e}")),
        }
    }
}

/// A serialization failure or deadlock: the transaction is worth running again.
fn retryable(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Runs `$body` (a block evaluating to `Result<T, E>` whose `?` propagates
/// `tokio_postgres::Error`) in a transaction bound to `$tx`, committing on `Ok`, rolling back
/// on `Err`, and running it again on a serialization failure or deadlock.
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:block) => {{
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut client = $store.pool.get().await.map_err(StoreError::from)?;
            let result: Result<_, tokio_postgres::Error> = async {
                #[allow(unused_mut)]
                let mut $tx = client.transaction().await?;
                let out = $body;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                Ok(out)
            }
            .await;
            match result {
                Ok(out) => break out,
                Err(e) if retryable(&e) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "transaction retried");
                    tokio::time::sleep(Duration::from_millis(
                        u64::from(attempt) * 5 + fastrand_ms(),
                    ))
                    .await;
                }
                Err(e) => break Err(StoreError::from(e).into()),
            }
        }
    }};
}

/// A few milliseconds of jitter so that retried transactions do not collide again.
fn fastrand_ms() -> u64 {
    let mut b = [0u8; 1];
    let _ = getrandom::fill(&mut b);
    u64::from(b[0] % 8)
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host/db`) and migrates the database.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Other(format!("bad PostgreSQL URL: {e}")))?;
        Self::connect_config(config).await
    }

    /// Connects with `config` and migrates the database.
    pub async fn connect_config(config: tokio_postgres::Config) -> Result<Self, StoreError> {
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(POOL_WAIT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Other(format!("database pool: {e}")))?;
        let store = Self { pool };
        let mut client = store.pool.get().await?;
        migrations::migrate(&mut client).await?;
        Ok(store)
    }

    /// Every row of every table as text, sorted, in the same shape as
    /// [`crate::SqliteStore::dump_tables`]: lets tests prove that a refused request changed
    /// nothing.
    pub async fn dump_tables(&self) -> Result<BTreeMap<&'static str, Vec<String>>, StoreError> {
        dump_tables(&**self.pool.get().await?).await
    }
}

/// See [`PostgresStore::dump_tables`]; `terminals.last_seen_at` is left out.
pub async fn dump_tables(
    client: &tokio_postgres::Client,
) -> Result<BTreeMap<&'static str, Vec<String>>, StoreError> {
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
    let mut out = BTreeMap::new();
    for (table, sql) in TABLES {
        let mut rows = Vec::new();
        for message in client.simple_query(sql).await? {
            if let tokio_postgres::SimpleQueryMessage::Row(row) = message {
                let cells: Vec<&str> = (0..row.len())
                    .map(|i| row.get(i).unwrap_or("NULL"))
                    .collect();
                rows.push(cells.join("|"));
            }
        }
        rows.sort();
        out.insert(table, rows);
    }
    Ok(out)
}

fn terminal_from_row(row: &Row) -> Terminal {
    Terminal {
        id: row.get(0),
        commune_code: row.get(1),
        name: row.get(2),
        counter_id: row.get(3),
    }
}

/// The current configuration of a commune.
async fn current_config(
    client: &impl GenericClient,
    commune_code: &str,
) -> Result<Result<Option<ConfigEnvelope>, StoreError>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT version, commune_code, imported_at, document FROM configs
             WHERE commune_code = $1 ORDER BY id DESC LIMIT 1",
            &[&commune_code],
        )
        .await?;
    Ok(row
        .map(|r| {
            let document: String = r.get(3);
            let document = serde_json::from_str(&document)
                .map_err(|e| StoreError::Other(format!("stored config is not JSON: {e}")))?;
            Ok(ConfigEnvelope {
                version: r.get(0),
                commune_code: r.get(1),
                imported_at: ms_to_rfc3339(r.get(2)),
                document,
            })
        })
        .transpose())
}

/// Columns read by [`alert_from_row`].
const ALERT_COLUMNS: &str =
    "id, terminal_id, kind, first_seq, last_seq, detail, received_at, resolved_at, resolution";

fn alert_from_row(r: &Row) -> Result<TamperAlert, StoreError> {
    let kind: String = r.get(2);
    Ok(TamperAlert {
        id: r.get::<_, i64>(0) as u64,
        terminal_id: r.get(1),
        kind: TamperKind::parse(&kind)
            .ok_or_else(|| StoreError::Other(format!("unknown tamper alert kind `{kind}`")))?,
        first_seq: r.get::<_, i64>(3) as u64,
        last_seq: r.get::<_, i64>(4) as u64,
        detail: r.get(5),
        received_at: ms_to_rfc3339(r.get(6)),
        resolved_at: r.get::<_, Option<i64>>(7).map(ms_to_rfc3339),
        resolution: r.get(8),
    })
}

/// The sync status of a terminal, inside whatever transaction the caller holds.
pub(crate) async fn sync_status(
    tx: &impl GenericClient,
    terminal_id: &str,
    now: DateTime<Utc>,
) -> Result<SyncStatus, tokio_postgres::Error> {
    let row = tx
        .query_one(
            "SELECT contiguous_seq, stored_count, quarantined_count,
                    (SELECT COALESCE(MAX(seq), 0) FROM seq_seen WHERE terminal_id = $1)
             FROM terminals WHERE id = $1",
            &[&terminal_id],
        )
        .await?;
    let (contiguous, stored, quarantined, max): (i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let (gaps, gaps_truncated) = if max > contiguous {
        gaps_after(tx, terminal_id, contiguous).await?
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

/// Missing ranges above `contiguous` (see the SQLite store).
async fn gaps_after(
    tx: &impl GenericClient,
    terminal_id: &str,
    contiguous: i64,
) -> Result<(Vec<SeqRange>, bool), tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT s.seq,
                    (SELECT COALESCE(MAX(p.seq), 0) FROM seq_seen p
                     WHERE p.terminal_id = $1 AND p.seq < s.seq)
             FROM seq_seen s
             WHERE s.terminal_id = $1 AND s.seq > $2
               AND NOT EXISTS (SELECT 1 FROM seq_seen p
                               WHERE p.terminal_id = $1 AND p.seq = s.seq - 1)
             ORDER BY s.seq LIMIT $3",
            &[&terminal_id, &contiguous, &(MAX_GAPS as i64 + 1)],
        )
        .await?;
    let truncated = rows.len() > MAX_GAPS;
    let gaps = rows
        .iter()
        .take(MAX_GAPS)
        .map(|r| {
            let (start, prev): (i64, i64) = (r.get(0), r.get(1));
            SeqRange {
                first: (prev + 1) as u64,
                last: (start - 1) as u64,
            }
        })
        .collect();
    Ok((gaps, truncated))
}

impl Store for PostgresStore {
    async fn add_terminal(
        &self,
        new: NewTerminal,
        now: DateTime<Utc>,
    ) -> Result<Terminal, StoreError> {
        transaction!(self, |tx| {
            // One numbering per commune at a time, whichever process adds.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('terminal-ids:' || $1))",
                &[&new.commune_code],
            )
            .await?;
            let mut n: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM terminals WHERE commune_code = $1",
                    &[&new.commune_code],
                )
                .await?
                .get(0);
            let id = loop {
                n += 1;
                let candidate = format!("{}-{n:03}", new.commune_code);
                let taken: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM terminals WHERE id = $1)",
                        &[&candidate],
                    )
                    .await?
                    .get(0);
                if !taken {
                    break candidate;
                }
            };
            tx.execute(
                "INSERT INTO terminals (id, commune_code, name, counter_id, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &id,
                    &new.commune_code,
                    &new.name,
                    &new.counter_id,
                    &to_ms(now),
                ],
            )
            .await?;
            tx.execute(
                "INSERT INTO enrollment_codes (code_hash, terminal_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&new.code_hash, &id, &to_ms(now), &to_ms(new.expires_at)],
            )
            .await?;
            Ok::<_, StoreError>(Terminal {
                id,
                commune_code: new.commune_code.clone(),
                name: new.name.clone(),
                counter_id: new.counter_id.clone(),
            })
        })
    }

    async fn add_code(
        &self,
        terminal_id: String,
        code_hash: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Terminal>, StoreError> {
        transaction!(self, |tx| {
            let terminal = tx
                .query_opt(
                    "SELECT id, commune_code, name, counter_id FROM terminals
                     WHERE id = $1 AND revoked_at IS NULL FOR UPDATE",
                    &[&terminal_id],
                )
                .await?
                .as_ref()
                .map(terminal_from_row);
            if terminal.is_some() {
                tx.execute(
                    "INSERT INTO enrollment_codes (code_hash, terminal_id, created_at, expires_at)
                     VALUES ($1, $2, $3, $4)",
                    &[&code_hash, &terminal_id, &to_ms(now), &to_ms(expires_at)],
                )
                .await?;
            }
            Ok::<_, StoreError>(terminal)
        })
    }

    async fn enroll(
        &self,
        code_hash: String,
        token_hash: String,
        app_version: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Terminal, Option<ConfigEnvelope>), EnrollError> {
        transaction!(self, |tx| {
            // FOR UPDATE: a second enrollment with the same code waits, then sees it used.
            let found = tx
                .query_opt(
                    "SELECT c.terminal_id, c.expires_at, c.used_at, t.revoked_at
                     FROM enrollment_codes c JOIN terminals t ON t.id = c.terminal_id
                     WHERE c.code_hash = $1 FOR UPDATE",
                    &[&code_hash],
                )
                .await?;
            'enroll: {
                let Some(found) = found else {
                    break 'enroll Err(EnrollError::InvalidCode);
                };
                let terminal_id: String = found.get(0);
                let expires_at: i64 = found.get(1);
                if found.get::<_, Option<i64>>(3).is_some() {
                    break 'enroll Err(EnrollError::InvalidCode);
                }
                if found.get::<_, Option<i64>>(2).is_some() {
                    break 'enroll Err(EnrollError::CodeUsed);
                }
                if expires_at <= to_ms(now) {
                    break 'enroll Err(EnrollError::CodeExpired);
                }
                tx.execute(
                    "UPDATE enrollment_codes SET used_at = $2 WHERE code_hash = $1",
                    &[&code_hash, &to_ms(now)],
                )
                .await?;
                let row = tx
                    .query_one(
                        "UPDATE terminals SET token_hash = $2, enrolled_at = $3, last_seen_at = $3,
                                app_version = COALESCE($4, app_version)
                         WHERE id = $1
                         RETURNING id, commune_code, name, counter_id",
                        &[&terminal_id, &token_hash, &to_ms(now), &app_version],
                    )
                    .await?;
                let terminal = terminal_from_row(&row);
                match current_config(&*tx, &terminal.commune_code).await? {
                    Ok(config) => Ok((terminal, config)),
                    Err(e) => Err(EnrollError::Store(e)),
                }
            }
        })
    }

    async fn authenticate(&self, token_hash: String) -> Result<Terminal, AuthError> {
        let client = self.pool.get().await.map_err(StoreError::from)?;
        let found = client
            .query_opt(
                "SELECT id, commune_code, name, counter_id, revoked_at
                 FROM terminals WHERE token_hash = $1",
                &[&token_hash],
            )
            .await
            .map_err(StoreError::from)?;
        match found {
            None => Err(AuthError::Unknown),
            Some(r) if r.get::<_, Option<i64>>(4).is_some() => Err(AuthError::Revoked),
            Some(r) => Ok(terminal_from_row(&r)),
        }
    }

    async fn sync_status(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> Result<SyncStatus, StoreError> {
        transaction!(self, |tx| {
            // One snapshot for the counts and the gaps.
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", &[])
                .await?;
            Ok::<_, StoreError>(sync_status(&*tx, &terminal_id, now).await?)
        })
    }

    async fn ingest(
        &self,
        terminal_id: String,
        items: Vec<IngestItem>,
        ctx: IngestContext,
    ) -> Result<IngestOutcome, StoreError> {
        transaction!(self, |tx| {
            Ok::<_, StoreError>(ingest::ingest(&mut tx, &terminal_id, &items, &ctx).await?)
        })
    }

    async fn heartbeat(
        &self,
        terminal_id: String,
        record: HeartbeatRecord,
    ) -> Result<(), StoreError> {
        transaction!(self, |tx| {
            // The terminal's row lock orders this with the terminal's batches.
            tx.execute(
                "UPDATE terminals SET heartbeat_at = $2, last_seen_at = $2, queue_length = $3,
                        app_version = $4, config_version = $5, clock_offset_s = $6
                 WHERE id = $1",
                &[
                    &terminal_id,
                    &to_ms(record.at),
                    &i64::try_from(record.queue_length).unwrap_or(i64::MAX),
                    &record.app_version,
                    &record.config_version,
                    &record.clock_offset_s,
                ],
            )
            .await?;
            // Catches up first if the walk of a batch failed.
            tamper::verify_in(&mut tx, &terminal_id, record.at).await;
            if let Some(head) = &record.chain_head {
                tamper::anchor(&tx, &terminal_id, head, record.at).await?;
            }
            Ok::<_, StoreError>(())
        })
    }

    async fn current_config(
        &self,
        commune_code: String,
    ) -> Result<Option<ConfigEnvelope>, StoreError> {
        let client = self.pool.get().await?;
        current_config(&**client, &commune_code).await?
    }

    async fn current_configs(&self) -> Result<Vec<ConfigEnvelope>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT version, commune_code, imported_at, document FROM configs
                 WHERE id IN (SELECT MAX(id) FROM configs GROUP BY commune_code)
                 ORDER BY commune_code",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let document: &str = r.get(3);
                Ok(ConfigEnvelope {
                    version: r.get(0),
                    commune_code: r.get(1),
                    imported_at: ms_to_rfc3339(r.get(2)),
                    document: serde_json::from_str(document).map_err(|e| {
                        StoreError::Other(format!("stored config is not JSON: {e}"))
                    })?,
                })
            })
            .collect()
    }

    async fn report_rows(
        &self,
        scope: RowScope,
        mut builder: ReportBuilder,
    ) -> Result<ReportBuilder, ReportError> {
        /// Rows fetched per round trip: bounded memory whatever the range.
        const CHUNK: i32 = 10_000;
        let store = |e: tokio_postgres::Error| ReportError::Store(e.into());
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        // One snapshot for the whole report, read in chunks through a portal.
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(store)?;
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM ratings
             WHERE received_at >= $1 AND received_at < $2
               AND ($3::TEXT IS NULL OR commune_code = $3)"
        );
        let portal = tx
            .bind(
                sql.as_str(),
                &[&scope.start_ms, &scope.end_ms, &scope.commune],
            )
            .await
            .map_err(store)?;
        loop {
            let rows = tx.query_portal(&portal, CHUNK).await.map_err(store)?;
            for r in &rows {
                builder.add(&ReportRow {
                    commune_code: r.get(0),
                    counter_id: r.get(1),
                    staff_id: r.get(2),
                    field_id: r.get(3),
                    dossier_code: r.get(4),
                    level: r.get(5),
                    level_count: r.get(6),
                    complaint: r.get::<_, i64>(7) != 0,
                    flagged: r.get::<_, i64>(8) != 0 || r.get::<_, i64>(9) != 0,
                    received_at_ms: r.get(10),
                })?;
            }
            if rows.len() < CHUNK as usize {
                break;
            }
        }
        tx.commit().await.map_err(store)?;
        Ok(builder)
    }

    async fn complaints(
        &self,
        scope: RowScope,
    ) -> Result<Vec<crate::complaints::HeldComplaint>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT terminal_id, received_at, content FROM ratings
                 WHERE complaint = 1 AND received_at >= $1 AND received_at < $2
                   AND ($3::TEXT IS NULL OR commune_code = $3)
                 ORDER BY received_at, terminal_id, seq",
                &[&scope.start_ms, &scope.end_ms, &scope.commune],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::complaints::HeldComplaint {
                    terminal_id: r.get(0),
                    received_at_ms: r.get(1),
                    rating: serde_json::from_str(r.get::<_, &str>(2)).map_err(|e| {
                        StoreError::Other(format!("a stored rating is not a wire rating: {e}"))
                    })?,
                })
            })
            .collect()
    }

    async fn erase_call_back_numbers(&self, before_ms: i64) -> Result<u64, StoreError> {
        transaction!(self, |tx| {
            let rows = tx
                .query(
                    "SELECT id, content FROM ratings
                     WHERE complaint = 1 AND received_at < $1 AND content LIKE '%\"callback\"%'
                     FOR UPDATE",
                    &[&before_ms],
                )
                .await?;
            let mut erased = 0u64;
            for row in &rows {
                let id: &str = row.get(0);
                if let Some(content) = crate::complaints::erase_number(row.get(1)) {
                    tx.execute(
                        "UPDATE ratings SET content = $2 WHERE id = $1",
                        &[&id, &content],
                    )
                    .await?;
                    erased += 1;
                }
            }
            Ok::<_, StoreError>(erased)
        })
    }

    async fn import_config(&self, config: NewConfig) -> Result<ImportOutcome, StoreError> {
        transaction!(self, |tx| {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('configs:' || $1))",
                &[&config.commune_code],
            )
            .await?;
            let current: Option<String> = tx
                .query_opt(
                    "SELECT version FROM configs WHERE commune_code = $1 ORDER BY id DESC LIMIT 1",
                    &[&config.commune_code],
                )
                .await?
                .map(|r| r.get(0));
            if current.as_deref() == Some(config.version.as_str()) {
                Ok::<_, StoreError>(ImportOutcome::Unchanged)
            } else {
                tx.execute(
                    "INSERT INTO configs (commune_code, version, source, document, imported_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &config.commune_code,
                        &config.version,
                        &config.source,
                        &config.document.to_string(),
                        &to_ms(config.imported_at),
                    ],
                )
                .await?;
                Ok(ImportOutcome::Imported)
            }
        })
    }

    async fn tamper_alerts(
        &self,
        terminal_id: String,
    ) -> Result<Option<Vec<TamperAlert>>, StoreError> {
        transaction!(self, |tx| {
            let exists: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM terminals WHERE id = $1)",
                    &[&terminal_id],
                )
                .await?
                .get(0);
            if exists {
                let rows = tx
                    .query(
                        &format!(
                            "SELECT {ALERT_COLUMNS} FROM tamper_alerts
                             WHERE terminal_id = $1 ORDER BY id"
                        ),
                        &[&terminal_id],
                    )
                    .await?;
                rows.iter()
                    .map(alert_from_row)
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            } else {
                Ok(None)
            }
        })
    }

    async fn list_terminals(&self) -> Result<Vec<TerminalRow>, StoreError> {
        transaction!(self, |tx| {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", &[])
                .await?;
            let rows = tx
                .query(
                    "SELECT id, commune_code, name, counter_id, created_at, enrolled_at,
                            revoked_at, last_seen_at, queue_length, clock_offset_s, app_version,
                            config_version, contiguous_seq, stored_count, quarantined_count,
                            (SELECT count(*) FROM tamper_alerts a
                             WHERE a.terminal_id = terminals.id AND a.resolved_at IS NULL)
                     FROM terminals ORDER BY id",
                    &[],
                )
                .await?;
            let latest = tx
                .prepare(&format!(
                    "SELECT {ALERT_COLUMNS} FROM tamper_alerts WHERE terminal_id = $1
                     ORDER BY id DESC LIMIT 1"
                ))
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let opt_time = |i: usize| r.get::<_, Option<i64>>(i).map(ms_to_rfc3339);
                let id: String = r.get(0);
                let latest_alert = match tx.query_opt(&latest, &[&id]).await? {
                    Some(a) => match alert_from_row(&a) {
                        Ok(a) => Some(a),
                        Err(e) => return Ok(Err(e)),
                    },
                    None => None,
                };
                out.push(TerminalRow {
                    id,
                    commune_code: r.get(1),
                    name: r.get(2),
                    counter_id: r.get(3),
                    created_at: ms_to_rfc3339(r.get(4)),
                    enrolled_at: opt_time(5),
                    revoked_at: opt_time(6),
                    last_seen_at: opt_time(7),
                    queue_length: r.get::<_, Option<i64>>(8).map(|v| v as u64),
                    clock_offset_s: r.get(9),
                    app_version: r.get(10),
                    config_version: r.get(11),
                    highest_contiguous_seq: r.get::<_, i64>(12) as u64,
                    stored: r.get::<_, i64>(13) as u64,
                    quarantined: r.get::<_, i64>(14) as u64,
                    tamper_alerts: r.get::<_, i64>(15) as u64,
                    latest_alert,
                });
            }
            Ok::<_, StoreError>(out)
        })
    }

    async fn revoke_terminal(
        &self,
        terminal_id: String,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        let changed = client
            .execute(
                "UPDATE terminals SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                &[&terminal_id, &to_ms(now)],
            )
            .await?;
        Ok(changed == 1)
    }
}
