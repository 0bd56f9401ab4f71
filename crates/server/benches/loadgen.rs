//! Load benchmark (prints figures; asserts only correctness, never timings).
//!
//! For each batch size: `loadgen` (N terminals enrolled over HTTP, uploading M ratings each at
//! once, gzip'd batches, honest chains) against a server in this process
//! 1. over SQLite (WAL, synchronous=FULL), then the bytes per rating at rest (file growth);
//! 2. over PostgreSQL, when `HAILONG_BENCH_POSTGRES` or `HAILONG_TEST_POSTGRES` names a server
//!    and a role that may create databases (a scratch database is created and dropped); then
//!    PostgreSQL's own ceiling in the same run: the very rows the server stored, read out with
//!    `COPY ratings TO STDOUT` and written with `COPY ... FROM STDIN` into a scratch table
//!    with the same columns and indexes (`LIKE ratings INCLUDING ALL`), and the bytes per
//!    rating at rest. Says SKIPPED without a PostgreSQL URL.
//!
//! Run: `cargo bench -p hailong-server --bench loadgen`. HAILONG_BENCH_TERMINALS (50),
//! HAILONG_BENCH_RATINGS (ratings per terminal, 2,000), HAILONG_BENCH_BATCHES (batch sizes,
//! "10,1000").

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _, pin_mut};
use hailong_server::loadgen::{self, LoadOptions, LoadReport};
use hailong_server::ratelimit::RateLimit;
use hailong_server::{AnyStore, PostgresStore, ServerOptions, SqliteStore};
use uuid::Uuid;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Serves `store` on a loopback port without rate limits; stops when the sender drops.
async fn serve(store: AnyStore) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = ServerOptions {
        terminal_rate: RateLimit::UNLIMITED,
        enroll_rate: RateLimit::UNLIMITED,
        ..ServerOptions::default()
    };
    tokio::spawn(async move {
        hailong_server::serve(listener, store, options, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (url, stop)
}

fn options(url: String, terminals: usize, ratings: usize, batch: usize) -> LoadOptions {
    LoadOptions {
        url,
        terminals,
        ratings_per_terminal: ratings,
        batch,
        commune: "99999".into(),
    }
}

fn print(label: &str, r: &LoadReport) {
    println!(
        "{label:<22}: {:>8} ratings in {:>6.2} s = {:>7.0} ratings/s; batch p50 {:>7.1} ms, p99 {:>7.1} ms, max {:>7.1} ms; {:.1} B/rating on the wire; {} retried",
        r.ratings,
        r.elapsed_s,
        r.ratings_per_s,
        r.batch_p50_ms,
        r.batch_p99_ms,
        r.batch_max_ms,
        r.wire_bytes_per_rating,
        r.retries
    );
}

/// Size of a SQLite database with its WAL folded in.
fn sqlite_bytes(path: &Path) -> u64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let (pages, size): (i64, i64) = (
        conn.query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap(),
        conn.query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap(),
    );
    (pages * size) as u64
}

async fn sqlite_run(terminals: usize, ratings: usize, batch: usize) -> LoadReport {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("load.db");
    let store = SqliteStore::open(&path).unwrap();
    let empty = sqlite_bytes(&path);
    let (url, _stop) = serve(store.clone().into()).await;
    let report = loadgen::run(&store, &options(url, terminals, ratings, batch))
        .await
        .unwrap();
    print(&format!("SQLite, batch {batch}"), &report);
    let grown = sqlite_bytes(&path) - empty;
    println!(
        "{:<22}: {:.0} bytes/rating at rest (database file growth, all tables and indexes)",
        "",
        grown as f64 / report.ratings as f64
    );
    report
}

async fn pg_connect(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn pg_run(url: &str, terminals: usize, ratings: usize, batch: usize) -> LoadReport {
    let admin: tokio_postgres::Config = url.parse().expect("a postgres:// URL");
    let name = format!("bench_{}", Uuid::now_v7().simple());
    let admin_client = pg_connect(&admin).await;
    admin_client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut config = admin.clone();
    config.dbname(&name);
    let store = PostgresStore::connect_config(config.clone()).await.unwrap();
    let client = pg_connect(&config).await;
    let size = async |client: &tokio_postgres::Client| -> i64 {
        client
            .query_one("SELECT pg_database_size(current_database())", &[])
            .await
            .unwrap()
            .get(0)
    };
    let empty = size(&client).await;
    let (server_url, stop) = serve(store.clone().into()).await;
    let report = loadgen::run(&store, &options(server_url, terminals, ratings, batch))
        .await
        .unwrap();
    drop(stop);
    print(&format!("PostgreSQL, batch {batch}"), &report);
    let n = report.ratings as f64;
    let row = client
        .query_one(
            "SELECT pg_total_relation_size('ratings'), pg_total_relation_size('seq_seen')",
            &[],
        )
        .await
        .unwrap();
    let (ratings_bytes, seen_bytes): (i64, i64) = (row.get(0), row.get(1));
    println!(
        "{:<22}: {:.0} bytes/rating at rest (ratings with its indexes {:.0}, seq_seen {:.0}; database growth {:.0})",
        "",
        (ratings_bytes + seen_bytes) as f64 / n,
        ratings_bytes as f64 / n,
        seen_bytes as f64 / n,
        (size(&client).await - empty) as f64 / n
    );

    // The ceiling: the same rows through COPY into a table with the same indexes.
    let out = client.copy_out("COPY ratings TO STDOUT").await.unwrap();
    pin_mut!(out);
    let mut data: Vec<Bytes> = Vec::new();
    while let Some(chunk) = out.next().await {
        data.push(chunk.unwrap());
    }
    client
        .batch_execute("CREATE TABLE ratings_copy (LIKE ratings INCLUDING ALL)")
        .await
        .unwrap();
    let start = Instant::now();
    let sink = client
        .copy_in("COPY ratings_copy FROM STDIN")
        .await
        .unwrap();
    pin_mut!(sink);
    for chunk in data {
        sink.send(chunk).await.unwrap();
    }
    let copied = sink.finish().await.unwrap();
    let copy_s = start.elapsed().as_secs_f64();
    assert_eq!(copied, report.ratings, "COPY wrote every row");
    let copy_rate = copied as f64 / copy_s;
    println!(
        "{:<22}: {:>8} rows in {:>6.2} s = {:>7.0} rows/s (COPY FROM STDIN, same rows, same indexes)",
        "PostgreSQL COPY", copied, copy_s, copy_rate
    );
    println!(
        "{:<22}: loadgen over HTTP / COPY = {:.2}",
        "",
        report.ratings_per_s / copy_rate
    );
    drop(client);
    drop(store);
    admin_client
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    report
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let terminals: usize = env_or("HAILONG_BENCH_TERMINALS", 50);
    let ratings: usize = env_or("HAILONG_BENCH_RATINGS", 2_000);
    let batches: Vec<usize> = std::env::var("HAILONG_BENCH_BATCHES")
        .unwrap_or_else(|_| "10,1000".into())
        .split(',')
        .filter_map(|b| b.trim().parse().ok())
        .collect();
    let pg = std::env::var("HAILONG_BENCH_POSTGRES")
        .or_else(|_| std::env::var("HAILONG_TEST_POSTGRES"))
        .ok()
        .filter(|u| !u.is_empty());
    println!(
        "loadgen benchmark: {terminals} terminals x {ratings} ratings uploading at once over loopback, \
         in-process server; {} cores",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    for batch in batches {
        let sqlite = sqlite_run(terminals, ratings, batch).await;
        match &pg {
            Some(url) => {
                let pg = pg_run(url, terminals, ratings, batch).await;
                println!(
                    "{:<22}: PostgreSQL / SQLite over HTTP = {:.2}",
                    "",
                    pg.ratings_per_s / sqlite.ratings_per_s
                );
            }
            None => println!(
                "PostgreSQL, batch {batch}: SKIPPED (set HAILONG_BENCH_POSTGRES or HAILONG_TEST_POSTGRES)"
            ),
        }
    }
}
