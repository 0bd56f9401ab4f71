//! Offline provisioning (`hailong provision --file`) through the real binary: the same
//! validation as everywhere, errors that name the field, and ratings kept across
//! re-provisioning.

use std::path::Path;
use std::process::{Command, Output};

fn hailong(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hailong"))
        .args(args)
        .env("HAILONG_DATA_DIR", dir)
        .env("HAILONG_CONFIG_DIR", dir)
        .output()
        .expect("run hailong")
}

fn status(dir: &Path) -> serde_json::Value {
    let output = hailong(dir, &["status", "--json"]);
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).expect("json")
}

fn provisioning_file(terminal: &str, commune_name: &str, server: Option<&str>) -> String {
    let demo = include_str!("../assets/demo.toml")
        .replace("demo = true", "demo = false")
        .replace("id = \"demo\"", &format!("id = \"{terminal}\""))
        .replace(
            "config_version = \"demo-1\"",
            "config_version = \"tinh-2026-11\"",
        )
        .replace(
            "name = \"Phường Ba Đình\"",
            &format!("name = \"{commune_name}\""),
        );
    match server {
        Some(url) => format!("{demo}\n[server]\nurl = \"{url}\"\ntoken = \"secret-token\"\n"),
        None => demo,
    }
}

#[test]
fn a_file_provisions_the_terminal_and_keeps_every_rating() {
    let dir = tempfile::tempdir().expect("tempdir");
    for level in ["1", "2", "3"] {
        assert!(
            hailong(dir.path(), &["rate", "--level", level])
                .status
                .success()
        );
    }
    let file = dir.path().join("usb-terminal.toml");
    std::fs::write(
        &file,
        provisioning_file("t-0042", "Xã Ea Tu", Some("https://hailong.daklak.gov.vn")),
    )
    .expect("write");
    let output = hailong(
        dir.path(),
        &["provision", "--file", file.to_str().expect("utf-8")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = status(dir.path());
    assert_eq!(after["terminal"], "t-0042");
    assert_eq!(after["demo"], false);
    assert_eq!(after["config_version"], "tinh-2026-11");
    assert_eq!(after["commune"]["name"], "Xã Ea Tu");
    assert_eq!(after["server"], "https://hailong.daklak.gov.vn");
    // The demo ratings are still there (recorded under the demo terminal).
    assert_eq!(after["ratings_total"], 3);
    // New ratings go to the provisioned terminal, numbered from 1.
    assert!(
        hailong(dir.path(), &["rate", "--level", "3"])
            .status
            .success()
    );
    let after = status(dir.path());
    assert_eq!(after["ratings_total"], 4);
    assert_eq!(after["last_seq"], 1);
    assert_eq!(after["queued"], 1);

    // Re-provisioning (a new configuration version) keeps everything recorded.
    std::fs::write(
        &file,
        provisioning_file(
            "t-0042",
            "Xã Ea Tu (mới)",
            Some("https://hailong.daklak.gov.vn"),
        ),
    )
    .expect("write");
    assert!(
        hailong(
            dir.path(),
            &["provision", "--file", file.to_str().expect("utf-8")]
        )
        .status
        .success()
    );
    let after = status(dir.path());
    assert_eq!(after["ratings_total"], 4);
    assert_eq!(after["queued"], 1);
    assert_eq!(after["commune"]["name"], "Xã Ea Tu (mới)");
}

#[test]
fn a_bad_file_is_refused_naming_the_field_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = provisioning_file("t-1", "Xã A", Some("ftp://wrong"));
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, bad).expect("write");
    let output = hailong(
        dir.path(),
        &["provision", "--file", file.to_str().expect("utf-8")],
    );
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("[server]: url: must start with"),
        "{message}"
    );

    let levels = provisioning_file("t-1", "Xã A", None).replace("levels = 4", "levels = 9");
    std::fs::write(&file, levels).expect("write");
    let output = hailong(
        dir.path(),
        &["provision", "--file", file.to_str().expect("utf-8")],
    );
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("question_sets[1].levels"), "{message}");

    // Nothing was written: the terminal still runs the demo.
    assert!(!dir.path().join("terminal.toml").exists());
    assert!(!dir.path().join("server.toml").exists());
    assert_eq!(status(dir.path())["demo"], true);
}
