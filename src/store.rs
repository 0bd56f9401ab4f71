//! The terminal's SQLite store: one file in the data directory, WAL with synchronous=FULL, so a
//! rating acknowledged is a rating on disk.
//!
//! A rating is written as a draft the moment the citizen taps a level, updated as follow-ups are
//! answered, and sealed at the end (or on idle timeout, or at the next start after a crash).
//! Sealing gives it the next per-terminal sequence number; a sealed rating is never changed or
//! deleted (triggers in the schema refuse it). Only sealed ratings are synced.

pub mod duty;
mod migrations;
pub mod rating;
pub mod sync_state;
pub mod tally;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

pub use rating::{Answer, Feedback, Flags, RatingDraft, Seal, SealCause, StoredRating};
pub use writer::Writer;

/// Why the store could not do what was asked. Clone, so it can travel in UI messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or created at all.
    #[error("cannot open the database {path}: {message}")]
    Open { path: PathBuf, message: String },
    /// The disk is full: nothing was written.
    #[error("the disk is full; nothing was written ({0})")]
    DiskFull(String),
    /// The file system refused the write (read-only, removed, I/O error).
    #[error("the database could not be written: {0}")]
    Io(String),
    /// A rating that is already sealed was sent again with other content.
    #[error("rating {0} is already sealed with other content")]
    SealedDiffers(Uuid),
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(String),
    /// Stored data that does not parse (a bug or a hand-edited file).
    #[error("stored rating {id} is unreadable: {message}")]
    Corrupt { id: String, message: String },
    /// The writer thread is gone (only at shutdown).
    #[error("the store's writer has stopped")]
    WriterGone,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match error.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Self::DiskFull(error.to_string()),
            Some(
                ErrorCode::ReadOnly
                | ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied,
            ) => Self::Io(error.to_string()),
            _ => Self::Sqlite(error.to_string()),
        }
    }
}

/// What happened when the store was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// A database that failed the integrity check was moved here (never deleted).
    pub moved_aside: Option<PathBuf>,
    /// Drafts left by a crash or power cut, sealed as `recovered` (by the kiosk at start-up).
    pub recovered_drafts: usize,
}

/// Counts for `hailong status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Sealed ratings.
    pub sealed: u64,
    /// Ratings still being answered.
    pub drafts: u64,
    /// Sealed ratings per level, keyed "level/level_count" (e.g. "3/3").
    pub by_level: std::collections::BTreeMap<String, u64>,
    /// Sealed ratings flagged as suspected repeats.
    pub suspected_repeats: u64,
}

/// An open rating database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (or creates) the database at `path`, checks its integrity and applies migrations.
    /// A database that fails the check is moved aside and a fresh one started, carrying over
    /// the sequence numbers it can still read. Drafts are left alone: only the kiosk's own
    /// writer seals them ([`Store::seal_drafts`]), since a command run beside a running kiosk
    /// must not seal the rating a citizen is answering.
    pub fn open(path: &Path, now: DateTime<FixedOffset>) -> Result<(Self, OpenReport), StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|error| StoreError::Open {
                path: path.to_path_buf(),
                message: error.to_string(),
            })?;
        }
        let mut report = OpenReport::default();
        let conn = match Self::connect_checked(path) {
            Ok(conn) => conn,
            Err(CheckFailure::Unusable(error)) => return Err(error),
            Err(CheckFailure::Corrupt(reason)) => {
                let sequences = salvage_sequences(path);
                let aside = move_aside(path, now)?;
                tracing::error!(
                    database = %path.display(),
                    moved_to = %aside.display(),
                    %reason,
                    "database failed its integrity check; moved aside and starting a fresh one"
                );
                report.moved_aside = Some(aside);
                let conn = Self::connect_checked(path).map_err(|failure| match failure {
                    CheckFailure::Unusable(error) => error,
                    CheckFailure::Corrupt(reason) => StoreError::Open {
                        path: path.to_path_buf(),
                        message: reason,
                    },
                })?;
                for (terminal, last_seq, last_hash) in sequences {
                    conn.execute(
                        "INSERT INTO sequences (terminal_id, last_seq, last_hash)
                         VALUES (?1, ?2, ?3)
                         ON CONFLICT (terminal_id) DO UPDATE SET last_seq = max(last_seq, ?2)",
                        params![terminal, last_seq, last_hash],
                    )?;
                }
                conn
            }
        };
        let store = Self {
            conn,
            path: path.to_path_buf(),
        };
        Ok((store, report))
    }

    fn connect_checked(path: &Path) -> Result<Connection, CheckFailure> {
        let unusable = |error: rusqlite::Error| {
            CheckFailure::Unusable(StoreError::Open {
                path: path.to_path_buf(),
                message: error.to_string(),
            })
        };
        let mut conn = Connection::open(path).map_err(unusable)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(unusable)?;
        // The first read of the header tells a database from garbage.
        let mode: String = match set_wal_mode(&conn) {
            Ok(mode) => mode,
            Err(error) if is_corruption(&error) => {
                return Err(CheckFailure::Corrupt(error.to_string()));
            }
            Err(error) => return Err(unusable(error)),
        };
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite refused WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(unusable)?;
        // Erased call-back numbers are overwritten with zeros, not left in free pages.
        conn.pragma_update(None, "secure_delete", true)
            .map_err(unusable)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(unusable)?;
        let check: Result<Vec<String>, _> =
            conn.prepare("PRAGMA quick_check").and_then(|mut stmt| {
                stmt.query_map([], |row| row.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            });
        match check {
            Ok(lines) if lines == ["ok"] => {}
            Ok(lines) => return Err(CheckFailure::Corrupt(lines.join("; "))),
            Err(error) if is_corruption(&error) => {
                return Err(CheckFailure::Corrupt(error.to_string()));
            }
            Err(error) => return Err(unusable(error)),
        }
        match migrations::apply(&mut conn) {
            Ok(()) => Ok(conn),
            Err(error) if is_corruption(&error) => Err(CheckFailure::Corrupt(error.to_string())),
            Err(error) => Err(unusable(error)),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a draft (insert or update) and, with `seal`, seals it, in one transaction.
    ///
    /// Idempotent: sending the same sealed rating again returns its sequence number and changes
    /// nothing, so a retry after an unknown outcome is harmless.
    pub fn save(&mut self, draft: &RatingDraft, seal: Option<&Seal>) -> Result<Saved, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = rating::load(&tx, draft.id)?
            && let Some(seq) = existing.seq
        {
            if existing.draft == *draft {
                return Ok(Saved {
                    seq: Some(seq),
                    flags: existing.flags,
                });
            }
            return Err(StoreError::SealedDiffers(draft.id));
        }
        rating::upsert_draft(&tx, draft)?;
        let saved = match seal {
            None => Saved {
                seq: None,
                flags: Flags::default(),
            },
            Some(seal) => {
                let (seq, flags) = rating::seal(&tx, draft, seal)?;
                Saved {
                    seq: Some(seq),
                    flags,
                }
            }
        };
        tx.commit()?;
        Ok(saved)
    }

    /// Seals every draft as `recovered` (at start-up, after a crash or power cut).
    pub fn seal_drafts(&mut self, now: DateTime<FixedOffset>) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let drafts = rating::drafts(&tx)?;
        let seal = Seal {
            cause: SealCause::Recovered,
            at: now,
            repeat_interval: Duration::ZERO,
        };
        for draft in &drafts {
            rating::seal(&tx, draft, &seal)?;
        }
        tx.commit()?;
        Ok(drafts.len())
    }

    /// A rating by id.
    pub fn rating(&self, id: Uuid) -> Result<Option<StoredRating>, StoreError> {
        rating::load(&self.conn, id)
    }

    /// Sealed ratings of `terminal` with a sequence above `after`, in sequence order.
    pub fn sealed_after(
        &self,
        terminal: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredRating>, StoreError> {
        rating::sealed_after(&self.conn, terminal, after, limit)
    }

    /// Whether a rating with this id is sealed.
    pub fn is_sealed(&self, id: Uuid) -> Result<bool, StoreError> {
        let seq: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT seq FROM ratings WHERE id = ?1",
                [id.to_string()],
                |row| row.get(0),
            )
            .optional()?;
        Ok(matches!(seq, Some(Some(_))))
    }

    /// Counts for the status command.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let mut counts = Counts::default();
        let (sealed, drafts, repeats): (i64, i64, i64) = self.conn.query_row(
            "SELECT count(seq), count(*) - count(seq),
                    coalesce(sum(suspected_repeat AND seq IS NOT NULL), 0)
             FROM ratings",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        counts.sealed = u64::try_from(sealed).unwrap_or(0);
        counts.drafts = u64::try_from(drafts).unwrap_or(0);
        counts.suspected_repeats = u64::try_from(repeats).unwrap_or(0);
        let mut stmt = self.conn.prepare(
            "SELECT level, level_count, count(*) FROM ratings WHERE seq IS NOT NULL
             GROUP BY level, level_count ORDER BY level_count, level",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (level, count, n) = row?;
            counts
                .by_level
                .insert(format!("{level}/{count}"), u64::try_from(n).unwrap_or(0));
        }
        Ok(counts)
    }

    /// The last sequence number given to `terminal` (0 when none).
    pub fn last_seq(&self, terminal: &str) -> Result<u64, StoreError> {
        let last: Option<i64> = self
            .conn
            .query_row(
                "SELECT last_seq FROM sequences WHERE terminal_id = ?1",
                [terminal],
                |row| row.get(0),
            )
            .optional()?;
        Ok(last.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// Verifies the hash chain of `terminal` from its genesis: every sealed rating's content
    /// against its hash, every link, and missing sequence numbers. Returns the number of
    /// ratings checked and the breaks found.
    pub fn verify_chain(
        &self,
        terminal: &str,
    ) -> Result<(u64, Vec<hailong_protocol::chain::Break>), StoreError> {
        use hailong_protocol::chain;
        let mut head = (0, chain::genesis(terminal));
        let mut checked = 0;
        let mut breaks = Vec::new();
        loop {
            let page = self.sealed_after(terminal, head.0, 5_000)?;
            let Some(last) = page.last() else { break };
            let last_seq = last.seq.unwrap_or(head.0);
            let wire: Vec<_> = page
                .iter()
                .filter_map(|stored| {
                    let wire = stored.to_wire()?;
                    let hash = stored.content_hash(&wire);
                    Some((wire, hash))
                })
                .collect();
            breaks.extend(chain::verify_hashed(
                head.clone(),
                wire.iter().map(|(w, h)| (w, h.clone())),
            ));
            checked += wire.len() as u64;
            head = (last_seq, last.hash.clone().unwrap_or_default());
        }
        // Ratings removed from the end are caught by the sequence counter.
        let last_given = self.last_seq(terminal)?;
        if last_given > head.0 {
            breaks.push(chain::Break::Gap {
                first: head.0 + 1,
                last: last_given,
            });
        }
        Ok((checked, breaks))
    }

    /// Runs SQLite's full integrity check (slower than the start-up quick check).
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let lines = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(lines)
    }

    /// The connection, for modules of the kiosk that keep their own tables (sync, tallies).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutable, for transactions.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// The result of a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The sequence number, when sealed.
    pub seq: Option<u64>,
    /// Flags set at sealing.
    pub flags: Flags,
}

enum CheckFailure {
    /// The file is not a sound database: move it aside.
    Corrupt(String),
    /// The file cannot be opened at all (permissions, missing directory): nothing to move.
    Unusable(StoreError),
}

/// How long a connection waits for another process holding the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `PRAGMA journal_mode = WAL`. Switching a new database to WAL while another process opens it
/// answers SQLITE_BUSY at once, without the busy handler: wait here as the handler would.
fn set_wal_mode(conn: &Connection) -> rusqlite::Result<String> {
    let started = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
            Err(error)
                if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            result => return result,
        }
    }
}

fn is_corruption(error: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode;
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

/// Best effort: the last sequence per terminal from a damaged database, so that numbers keep
/// growing after it is replaced.
fn salvage_sequences(path: &Path) -> Vec<(String, i64, Option<String>)> {
    let Ok(conn) = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return Vec::new();
    };
    let read = |query: &str| -> rusqlite::Result<Vec<(String, i64, Option<String>)>> {
        let mut stmt = conn.prepare(query)?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        Ok(rows.filter_map(Result::ok).collect())
    };
    // The head of the chain where it can be read; else at least the numbers.
    read("SELECT terminal_id, last_seq, last_hash FROM sequences")
        .or_else(|_| {
            read(
                "SELECT terminal_id, max(seq), NULL FROM ratings WHERE seq IS NOT NULL
                 GROUP BY terminal_id",
            )
        })
        .unwrap_or_default()
}

/// Renames the database and its WAL/SHM files to `NAME.corrupt-TIMESTAMP[-wal|-shm]`.
fn move_aside(path: &Path, now: DateTime<FixedOffset>) -> Result<PathBuf, StoreError> {
    let stamp = now.format("%Y%m%dT%H%M%S");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hailong.db".to_owned());
    let mut target = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = path.with_file_name(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", path.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", target.display()));
            std::fs::rename(&from, &to).map_err(|error| StoreError::Open {
                path: from.clone(),
                message: format!("cannot move the damaged database aside: {error}"),
            })?;
        }
    }
    Ok(target)
}
