//! The `hailong-server` binary end to end: the technician's commands and `serve`.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};

use hailong_protocol::{EnrollResponse, paths};
use reqwest::StatusCode;

use super::support::{PgTestDb, expect_error};

const BIN: &str = env!("CARGO_BIN_EXE_hailong-server");

fn run(db: &str, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .env("HAILONG_SERVER_DB", db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hailong-server {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(db: &str, args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&run(db, args).stdout).unwrap()
}

/// A `serve` child process, killed when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn technician_sets_up_a_server_and_a_terminal_from_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The same commands over PostgreSQL when this binary runs the suite over it.
    let pg = if crate::POSTGRES {
        Some(PgTestDb::create().await)
    } else {
        None
    };
    let db = match &pg {
        Some(pg) => pg.url(),
        None => format!("sqlite://{}", dir.path().join("server.db").display()),
    };
    let config_file = dir.path().join("commune.toml");

    let default_config = run(&db, &["print-default-config"]).stdout;
    std::fs::write(&config_file, &default_config).unwrap();
    let imported = json(
        &db,
        &["--json", "config", "import", config_file.to_str().unwrap()],
    );
    assert_eq!(imported["outcome"], "imported");
    let commune = imported["commune_code"].as_str().unwrap().to_owned();

    let added = json(
        &db,
        &[
            "terminal",
            "add",
            "--commune",
            &commune,
            "--name",
            "Quầy 1",
            "--counter",
            "1",
            "--json",
        ],
    );
    let code = added["code"].as_str().unwrap().to_owned();
    let text = String::from_utf8(
        run(
            &db,
            &["terminal", "add", "--commune", &commune, "--name", "Quầy 2"],
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("Enrollment code:") && text.contains('█'),
        "{text}"
    );

    let mut child = Command::new(BIN)
        .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _served = Served(child);
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{base}{}", paths::ENROLL))
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let enrolled: EnrollResponse = resp.json().await.unwrap();
    assert_eq!(enrolled.terminal_id, added["terminal_id"]);
    assert!(enrolled.config.is_some());

    let list = json(&db, &["terminal", "list", "--json"]);
    let row = &list.as_array().unwrap()[0];
    assert_eq!(row["id"], enrolled.terminal_id);
    assert!(row["enrolled_at"].is_string() && row["revoked_at"].is_null());

    run(&db, &["terminal", "revoke", &enrolled.terminal_id]);
    let resp = client
        .get(format!("{base}{}", paths::SYNC_STATUS))
        .bearer_auth(&enrolled.token)
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::FORBIDDEN, "terminal_revoked").await;
    let list = json(&db, &["terminal", "list", "--json"]);
    assert!(list[0]["revoked_at"].is_string());
}

#[test]
fn commands_without_a_database_say_how_to_give_one() {
    let out = Command::new(BIN)
        .env_remove("HAILONG_SERVER_DB")
        .args(["terminal", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--db sqlite://PATH"));
}
