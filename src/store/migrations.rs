//! Embedded, append-only schema migrations, applied in order and tracked in `PRAGMA
//! user_version`.
//!
//! NEVER EDIT, RENAME OR REORDER A MIGRATION THAT HAS SHIPPED: terminals in the field have
//! already applied it and will not apply it again. Add the next numbered file instead.

use rusqlite::{Connection, TransactionBehavior};

/// The migrations, in order; the version after applying `MIGRATIONS[i]` is `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_ratings.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_chain.sql"),
    include_str!("migrations/0004_duty.sql"),
    include_str!("migrations/0005_feedback.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Applies the migrations the database has not seen yet, each in its own transaction.
pub fn apply(conn: &mut Connection) -> rusqlite::Result<()> {
    let current = user_version(conn)?;
    if current > SCHEMA_VERSION {
        tracing::warn!(
            current,
            known = SCHEMA_VERSION,
            "the database was written by a newer version of Hài Lòng"
        );
        return Ok(());
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        // Another process (the kiosk beside `hailong status`) may be applying the same
        // migration right now: take the write lock first, then look at the version again.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if user_version(&tx)? > index {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied database migration");
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
        .map(|v| usize::try_from(v).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_set_the_version() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        apply(&mut conn).expect("first");
        apply(&mut conn).expect("second is a no-op");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("version");
        assert_eq!(version as usize, SCHEMA_VERSION);
    }
}
