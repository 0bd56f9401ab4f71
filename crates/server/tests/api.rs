//! Integration tests: the real server on port 0 over a temporary SQLite file, driven over
//! HTTP with reqwest. One test binary (faster to build); one module per area.

/// This binary runs the suite over SQLite; tests/api_postgres.rs runs it over PostgreSQL.
const POSTGRES: bool = false;

mod api {
    pub mod cli;
    pub mod complaints;
    pub mod config;
    pub mod enroll;
    pub mod ingest;
    pub mod limits;
    pub mod loadgen;
    pub mod openapi;
    pub mod report;
    pub mod support;
    pub mod tamper;
}
