//! `hailong doctor`'s failures, each a FAIL line naming the fix and exit status 1, losing
//! nothing: no server listening, a server whose certificate the configured CA did not sign, a
//! full disk (the measured figure injected through the library API), and garbage written over
//! the database (kept aside, never deleted).
//!
//! tests/fixtures/tls: `provincial-ca.pem` is a CA (the one the terminal is told to trust);
//! `other-server.pem` / `.key` a self-signed certificate for 127.0.0.1 it did not sign. Made
//! with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use hailong::cli::Loaded;
use hailong::config::{ConfigSource, Paths, ServerLink, TerminalConfig};
use hailong::doctor::{self, Probe, Status};
use hailong::i18n::{I18n, Language};

fn hailong(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hailong"))
        .args(args)
        .env("HAILONG_DATA_DIR", dir)
        .env("HAILONG_CONFIG_DIR", dir)
        .output()
        .expect("run hailong")
}

/// `hailong doctor --json`: (exit status, JSON).
fn doctor(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let json = hailong(dir, &["doctor", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}: {}{}",
            String::from_utf8_lossy(&json.stdout),
            String::from_utf8_lossy(&json.stderr)
        )
    });
    (json.status.code(), value)
}

/// `hailong doctor` as a technician reads it: (exit status, text).
fn doctor_text(dir: &Path) -> (Option<i32>, String) {
    let out = hailong(dir, &["doctor"]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn check<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check: {json:#}"))
}

fn link(dir: &Path, url: &str, ca_cert: Option<PathBuf>) {
    ServerLink {
        url: url.to_owned(),
        terminal_id: "00004-001".into(),
        token: "t0ken".into(),
        counter: Some("q1".into()),
        ca_cert,
        proxy: None,
        config_version: None,
    }
    .save(dir)
    .expect("write server.toml");
}

fn rate(dir: &Path, n: usize) {
    for _ in 0..n {
        let out = hailong(dir, &["rate", "--level", "3"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn ratings_total(dir: &Path) -> u64 {
    let out = hailong(dir, &["status", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    json["ratings_total"].as_u64().expect("ratings_total")
}

#[test]
fn no_server_listening_fails_the_connection_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    link(dir.path(), &format!("http://127.0.0.1:{port}"), None);
    rate(dir.path(), 2);
    let (status, json) = doctor(dir.path());
    assert_eq!(status, Some(1), "{json:#}");
    assert_eq!(json["ok"], false);
    let (text_status, text) = doctor_text(dir.path());
    assert_eq!(text_status, Some(1), "{text}");
    let tcp = check(&json, "tcp");
    assert_eq!(tcp["status"], "fail", "{tcp:#}");
    assert!(
        tcp["fix"]
            .as_str()
            .expect("fix")
            .contains("the server is running"),
        "{tcp:#}"
    );
    assert!(text.contains("FAIL tcp"), "{text}");
    assert!(text.contains("-> check the network cable"), "{text}");
    // Nothing recorded is lost; they wait in the queue.
    assert_eq!(ratings_total(dir.path()), 2);
    assert_eq!(
        check(&json, "sync")["detail"]
            .as_str()
            .map(|d| d.starts_with("2 queued")),
        Some(true)
    );
}

/// Accepts TLS connections on a loopback port with `other-server.pem`, until dropped.
async fn tls_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let certs = CertificateDer::pem_file_iter(fixtures.join("other-server.pem"))
        .expect("read the certificate")
        .collect::<Result<Vec<_>, _>>()
        .expect("parse the certificate");
    let key = PrivateKeyDer::from_pem_file(fixtures.join("other-server.key")).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            // The handshake fails on the client's side; that is the point.
            tokio::spawn(async move {
                let _ = acceptor.accept(stream).await;
            });
        }
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_the_configured_ca_did_not_sign_fails_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (addr, server) = tls_server().await;
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/provincial-ca.pem");
    link(dir.path(), &format!("https://{addr}"), Some(ca));
    let path = dir.path().to_path_buf();
    let ((status, json), (text_status, text)) =
        tokio::task::spawn_blocking(move || (doctor(&path), doctor_text(&path)))
            .await
            .expect("doctor");
    assert_eq!(text_status, Some(1), "{text}");
    server.abort();
    assert_eq!(status, Some(1), "{json:#}");
    assert_eq!(check(&json, "tcp")["status"], "ok", "{json:#}");
    let tls = check(&json, "tls");
    assert_eq!(tls["status"], "fail", "{tls:#}");
    assert!(
        tls["detail"]
            .as_str()
            .expect("detail")
            .contains("UnknownIssuer"),
        "{tls:#}"
    );
    assert!(
        tls["fix"]
            .as_str()
            .expect("fix")
            .contains("provincial CA certificate"),
        "{tls:#}"
    );
    assert!(text.contains("FAIL tls"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_and_names_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = Loaded {
        paths: Paths {
            data_dir: dir.path().to_path_buf(),
            config_dir: dir.path().to_path_buf(),
        },
        config: TerminalConfig::demo(),
        source: ConfigSource::Demo,
        link: None,
    };
    // The file system says 40 MiB are left, below the 100 MiB floor.
    let full = Probe {
        free_space: |_| Ok(40 << 20),
    };
    let findings = doctor::run(&loaded, full).await;
    assert!(doctor::failed(&findings), "{findings:#?}");
    let disk = findings
        .iter()
        .find(|f| f.name == "disk")
        .expect("a disk check");
    assert_eq!(disk.status, Status::Fail);
    let i18n = I18n::embedded().expect("i18n");
    let english = disk.render(&i18n, &Language("en".into()));
    assert!(english.detail.starts_with("40 MiB free at "), "{english:?}");
    assert!(english.fix.contains("free disk space now"), "{english:?}");
    let vietnamese = disk.render(&i18n, &Language::default_language());
    assert!(
        vietnamese.fix.contains("giải phóng ổ đĩa ngay"),
        "{vietnamese:?}"
    );
    // With room to spare the same terminal passes that check.
    let roomy = Probe {
        free_space: |_| Ok(20 << 30),
    };
    let findings = doctor::run(&loaded, roomy).await;
    assert!(!doctor::failed(&findings), "{findings:#?}");
}

#[test]
fn garbage_over_the_database_fails_and_the_file_is_kept_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    rate(dir.path(), 3);
    let database = dir.path().join("hailong.db");
    let garbage: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&database, &garbage).expect("write garbage");
    let (status, json) = doctor(dir.path());
    assert_eq!(status, Some(1), "{json:#}");
    let database_checks: Vec<&serde_json::Value> = json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["name"] == "database")
        .collect();
    let failed = database_checks
        .iter()
        .find(|c| c["status"] == "fail")
        .unwrap_or_else(|| panic!("a failed database check: {json:#}"));
    assert!(
        failed["fix"]
            .as_str()
            .expect("fix")
            .contains("give the kept file to the province"),
        "{failed:#}"
    );
    // The damaged file is kept, byte for byte, under the name the check gives.
    let kept: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("hailong.db.corrupt-"))
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).expect("read"), garbage);
    assert!(
        failed["detail"]
            .as_str()
            .expect("detail")
            .contains(&kept[0].display().to_string()),
        "{failed:#}"
    );
    // The next run no longer fails, but still points at the kept file.
    let (status, text) = doctor_text(dir.path());
    assert_eq!(status, Some(0), "{text}");
    assert!(text.contains("WARN database"), "{text}");
    assert!(
        text.contains("damaged databases kept beside it: hailong.db.corrupt-"),
        "{text}"
    );
    assert!(kept[0].exists());
}
