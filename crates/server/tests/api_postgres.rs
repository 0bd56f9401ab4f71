//! The integration suite of tests/api.rs again, each test over a PostgreSQL database of its
//! own (created on the server `HAILONG_TEST_POSTGRES` names, dropped after), plus tests of
//! several server processes sharing one database.
//!
//! Compiled only when `HAILONG_TEST_POSTGRES` is set (see build.rs); otherwise this binary
//! holds one test that says SKIPPED, so `cargo test` passes on a machine without PostgreSQL.

#[cfg(hailong_test_postgres)]
const POSTGRES: bool = true;

#[cfg(hailong_test_postgres)]
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
    pub mod shared_database;
    pub mod support;
    pub mod tamper;
}

#[cfg(not(hailong_test_postgres))]
#[test]
fn postgres_suite_skipped_without_hailong_test_postgres() {
    eprintln!(
        "SKIPPED: the PostgreSQL run of the server suite needs HAILONG_TEST_POSTGRES \
         (e.g. postgres://hailong:hailong@127.0.0.1/postgres)"
    );
}
