//! Embedded, append-only schema migrations of the SQLite store, tracked by
//! `PRAGMA user_version`.
//!
//! ##########################################################################################
//! #  NEVER EDIT OR REORDER A SHIPPED MIGRATION. Servers in the field have applied them.    #
//! #  To change the schema, add the next file under migrations/sqlite/ and append it here.  #
//! ##########################################################################################

use rusqlite::Connection;

/// The migrations, in order; the schema version after applying migration `i` is `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_tamper.sql"),
    include_str!("../../migrations/sqlite/0003_reports.sql"),
];

/// Brings the database up to the newest schema, each migration in its own transaction.
/// Refuses a database written by a newer server.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "database schema version {current} is newer than this server ({}); upgrade the server",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }
}
