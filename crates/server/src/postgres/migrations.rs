//! Embedded, append-only schema migrations of the PostgreSQL store, tracked in the
//! `schema_migrations` table.
//!
//! ##########################################################################################
//! #  NEVER EDIT OR REORDER A SHIPPED MIGRATION. Servers in the field have applied them.    #
//! #  To change the schema, add the next file under migrations/postgres/ and append it here.#
//! ##########################################################################################

use crate::store::StoreError;

/// The migrations, in order; the schema version after applying migration `i` is `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_reports.sql"),
];

/// Any constant: the advisory lock that lets one server process migrate at a time.
const MIGRATION_LOCK: i64 = 0x0048_4149_4c4f_4e47;

/// Brings the database up to the newest schema in one transaction, under an advisory lock
/// so that servers starting together migrate once. Refuses a database written by a newer
/// server.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        return Err(StoreError::Other(format!(
            "database schema version {current} is newer than this server ({}); upgrade the server",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&(i as i64 + 1)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
