//! Hài Lòng provincial server: terminals enroll with a one-time code, fetch their commune's
//! configuration and upload sealed ratings, each landing exactly once.
//!
//! The binary (`src/main.rs`) is a thin CLI over this library; the integration tests and the
//! benchmark start the same server in-process.

pub mod admin;
pub mod any_store;
pub mod batch;
pub mod complaints;
pub mod config_doc;
pub mod error;
pub mod http;
pub mod loadgen;
pub mod openapi;
pub mod postgres;
pub mod ratelimit;
pub mod report;
pub mod secret;
pub mod sqlite;
pub mod store;
pub mod tamper;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use any_store::AnyStore;
pub use http::{AppState, ServerOptions, router};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use store::Store;

/// A parsed `--db` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUri {
    /// `sqlite://PATH` (also `sqlite:PATH`): the embedded store.
    Sqlite(PathBuf),
    /// `postgres://...` (also `postgresql://`): the PostgreSQL store.
    Postgres(String),
}

impl std::str::FromStr for DbUri {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite:///var/lib/hailong/server.db".into(),
                );
            }
            return Ok(DbUri::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DbUri::Postgres(s.to_owned()));
        }
        Err(format!(
            "unsupported database `{s}`: use sqlite://PATH or postgres://USER@HOST/DB"
        ))
    }
}

/// Opens the store a `--db` value names (migrating it).
pub async fn open_store(uri: &DbUri) -> anyhow::Result<AnyStore> {
    Ok(match uri {
        DbUri::Sqlite(path) => SqliteStore::open(path)?.into(),
        DbUri::Postgres(url) => PostgresStore::connect(url).await?.into(),
    })
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve<S: Store>(
    listener: tokio::net::TcpListener,
    store: S,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(AppState::new(store, options));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
