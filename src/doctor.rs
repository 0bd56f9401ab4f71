//! `hailong doctor`: what a technician checks on a terminal, each line ok / warn / fail with
//! the fix in words. Runs without a display; the exit status is non-zero when a check fails.

use std::net::ToSocketAddrs;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::cli::Loaded;
use crate::config::ConfigSource;
use crate::store::Store;
use crate::store::sync_state::meta;

/// Free disk below this is a warning; below [`DISK_FAIL`] a failure.
const DISK_WARN: u64 = 1 << 30;
const DISK_FAIL: u64 = 100 << 20;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Short stable name, e.g. "database", "chain", "disk".
    pub name: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (empty when ok).
    pub fix: String,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: String::new(),
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

/// Runs every check that does not need the network.
pub fn local_checks(loaded: &Loaded) -> Vec<Check> {
    let mut checks = vec![Check::ok(
        "version",
        format!("hailong {}", env!("CARGO_PKG_VERSION")),
    )];
    checks.push(match &loaded.source {
        ConfigSource::Demo => Check::warn(
            "configuration",
            "running the bundled demo configuration (nothing provisioned)",
            "provision the terminal: hailong provision --server URL --code CODE",
        ),
        ConfigSource::File(path) => Check::ok(
            "configuration",
            format!(
                "{} (version {}) is valid",
                path.display(),
                loaded.config.config_version
            ),
        ),
    });
    checks.push(disk(&loaded.paths.data_dir));
    let database = loaded.paths.database();
    let now = chrono::Local::now().fixed_offset();
    match Store::open(&database, now) {
        Err(error) => checks.push(Check::fail(
            "database",
            error.to_string(),
            "check that the data directory exists, is writable by the kiosk's user and the disk is mounted",
        )),
        Ok((store, report)) => {
            if let Some(aside) = &report.moved_aside {
                checks.push(Check::warn(
                    "database",
                    format!(
                        "the database failed its integrity check and was moved to {}; a fresh one was started",
                        aside.display()
                    ),
                    "keep the moved file for the province; ratings already synced are safe on the server",
                ));
            }
            checks.push(integrity(&store, &database));
            checks.push(chain(&store, &loaded.config.terminal.id));
            checks.push(queue(&store, loaded));
        }
    }
    checks.push(Check::ok(
        "logs",
        format!(
            "daily files in {} (kept {} days), and standard error",
            crate::logging::dir(&loaded.paths.data_dir).display(),
            loaded.config.terminal.log_keep_days
        ),
    ));
    checks
}

fn disk(dir: &Path) -> Check {
    let probe = if dir.exists() {
        dir.to_path_buf()
    } else {
        dir.ancestors()
            .find(|p| p.exists())
            .map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
    };
    match fs4::available_space(&probe) {
        Err(error) => Check::fail(
            "disk",
            format!("cannot read free space of {}: {error}", probe.display()),
            "check that the data disk is mounted",
        ),
        Ok(free) => {
            let text = format!("{} MiB free at {}", free >> 20, probe.display());
            if free < DISK_FAIL {
                Check::fail(
                    "disk",
                    text,
                    "free disk space now: ratings cannot be stored on a full disk",
                )
            } else if free < DISK_WARN {
                Check::warn("disk", text, "free some disk space soon")
            } else {
                Check::ok("disk", text)
            }
        }
    }
}

fn integrity(store: &Store, database: &Path) -> Check {
    match store.integrity_check() {
        Ok(lines) if lines == ["ok"] => Check::ok(
            "database",
            format!("{} passes SQLite's integrity check", database.display()),
        ),
        Ok(lines) => Check::fail(
            "database",
            format!("integrity check: {}", lines.join("; ")),
            "stop the kiosk and restart it: a damaged database is moved aside and a fresh one started; keep the damaged file",
        ),
        Err(error) => Check::fail(
            "database",
            error.to_string(),
            "stop the kiosk and restart it; if it persists, replace the disk",
        ),
    }
}

fn chain(store: &Store, terminal: &str) -> Check {
    match store.verify_chain(terminal) {
        Err(error) => Check::fail("chain", error.to_string(), "see the database check"),
        Ok((checked, breaks)) if breaks.is_empty() => Check::ok(
            "chain",
            format!("{checked} sealed ratings verify from the genesis of {terminal}"),
        ),
        Ok((checked, breaks)) => {
            use hailong_protocol::chain::Break;
            let described: Vec<String> = breaks
                .iter()
                .take(10)
                .map(|b| match b {
                    Break::Edited { seq } => format!("seq {seq} was edited after sealing"),
                    Break::BrokenLink { seq } => {
                        format!("seq {seq} does not link to the rating before it")
                    }
                    Break::Gap { first, last } if first == last => {
                        format!("seq {first} is missing")
                    }
                    Break::Gap { first, last } => format!("seqs {first} to {last} are missing"),
                })
                .collect();
            Check::fail(
                "chain",
                format!(
                    "the chain breaks ({} of {checked} checked): {}",
                    breaks.len(),
                    described.join("; ")
                ),
                "ratings were changed or removed outside the kiosk: report this terminal to the province; do not repair the file",
            )
        }
    }
}

fn queue(store: &Store, loaded: &Loaded) -> Check {
    let terminal = &loaded.config.terminal.id;
    let queued = store.queue_len(terminal).unwrap_or_default();
    let last = store
        .sync_meta(meta::LAST_SUCCESS)
        .ok()
        .flatten()
        .unwrap_or_else(|| "never".into());
    let error = store
        .sync_meta(meta::LAST_ERROR)
        .ok()
        .flatten()
        .filter(|e| !e.is_empty());
    match (&loaded.link, error) {
        (None, _) => Check::warn(
            "sync",
            format!("not linked to a server; {queued} ratings kept locally"),
            "provision the terminal with its provincial server",
        ),
        (Some(_), Some(error)) => Check::warn(
            "sync",
            format!("{queued} queued; last success {last}; last error: {error}"),
            "see the server checks below",
        ),
        (Some(_), None) => Check::ok("sync", format!("{queued} queued; last success {last}")),
    }
}

/// The network checks: DNS, TCP, then TLS and the API with the terminal's token, and the clock.
pub async fn server_checks(loaded: &Loaded) -> Vec<Check> {
    let Some(link) = &loaded.link else {
        return Vec::new();
    };
    let mut checks = Vec::new();
    let Some((host, port)) = host_port(&link.url) else {
        checks.push(Check::fail(
            "server",
            format!("\"{}\" is not a server URL", link.url),
            "re-provision with --server https://HOST",
        ));
        return checks;
    };
    let target = format!("{host}:{port}");
    let resolved = tokio::task::spawn_blocking({
        let target = target.clone();
        move || target.to_socket_addrs().map(Iterator::collect::<Vec<_>>)
    })
    .await;
    let addresses = match resolved {
        Ok(Ok(addresses)) if !addresses.is_empty() => {
            checks.push(Check::ok(
                "dns",
                format!("{host} resolves to {}", addresses[0]),
            ));
            addresses
        }
        _ => {
            checks.push(Check::fail(
                "dns",
                format!("{host} does not resolve"),
                "check the network cable or Wi-Fi, and the DNS server of the commune network",
            ));
            return checks;
        }
    };
    let connected = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(addresses[0]),
    )
    .await;
    match connected {
        Ok(Ok(_)) => checks.push(Check::ok("tcp", format!("{target} accepts connections"))),
        _ if link.proxy.is_some() => checks.push(Check::warn(
            "tcp",
            format!("{target} is not reachable directly"),
            "expected behind the configured proxy",
        )),
        _ => {
            checks.push(Check::fail(
                "tcp",
                format!("cannot connect to {target}"),
                "check the firewall and that the server is running; set a proxy if the network needs one",
            ));
            return checks;
        }
    }
    let client = match crate::sync::client::Client::new(link) {
        Ok(client) => client,
        Err(error) => {
            checks.push(Check::fail(
                "tls",
                error.to_string(),
                "fix the CA certificate or proxy in server.toml, or re-provision",
            ));
            return checks;
        }
    };
    match client.status().await {
        Ok(status) => {
            checks.push(Check::ok(
                "api",
                format!(
                    "{} answers; it holds {} ratings of this terminal up to seq {}",
                    link.url, status.stored, status.highest_contiguous_seq
                ),
            ));
            checks.push(clock(&status.server_time));
        }
        Err(error) => checks.push(Check::fail(
            match error {
                crate::sync::SyncError::Tls(_) => "tls",
                _ => "api",
            },
            error.to_string(),
            match error {
                crate::sync::SyncError::Tls(_) => {
                    "check the clock (certificates fail when it is wrong) and the provincial CA certificate"
                }
                crate::sync::SyncError::Refused { .. } => {
                    "the terminal was revoked or replaced: ask the province for a new enrollment code and re-provision"
                }
                _ => "check that the server is running and reachable",
            },
        )),
    }
    checks
}

fn clock(server_time: &str) -> Check {
    let Ok(server) = chrono::DateTime::parse_from_rfc3339(server_time) else {
        return Check::warn("clock", "the server sent no readable time", "");
    };
    let offset = (chrono::Utc::now() - server.to_utc()).num_seconds();
    let text = format!("device clock is {offset:+} s from the server's");
    if offset.abs() > hailong_protocol::CLOCK_SUSPECT_SECONDS {
        Check::fail(
            "clock",
            text,
            "set the date and time (enable NTP: timedatectl set-ntp true); a dead CMOS battery needs replacing",
        )
    } else if offset.abs() > 120 {
        Check::warn("clock", text, "enable NTP: timedatectl set-ntp true")
    } else {
        Check::ok("clock", text)
    }
}

fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let default = if scheme == "https" { 443 } else { 80 };
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            Some((host.trim_matches(['[', ']']).to_owned(), port.parse().ok()?))
        }
        _ => Some((authority.trim_matches(['[', ']']).to_owned(), default)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_come_from_the_url() {
        assert_eq!(
            host_port("https://hailong.tinh.gov.vn"),
            Some(("hailong.tinh.gov.vn".into(), 443))
        );
        assert_eq!(
            host_port("http://127.0.0.1:8080/x"),
            Some(("127.0.0.1".into(), 8080))
        );
        assert_eq!(host_port("nonsense"), None);
    }

    #[test]
    fn a_clock_an_hour_off_fails() {
        let far = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
        assert_eq!(clock(&far).status, Status::Fail);
        let near = chrono::Utc::now().to_rfc3339();
        assert_eq!(clock(&near).status, Status::Ok);
    }
}
