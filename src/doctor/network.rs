//! The network checks of the doctor: DNS, TCP, then TLS and the API with the terminal's token,
//! and the clock against the server's.

use std::net::ToSocketAddrs;
use std::time::Duration;

use super::{Finding, Words};
use crate::cli::Loaded;
use crate::sync::SyncError;

/// How long the TCP check waits for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The network checks, when the terminal is linked to a server.
pub async fn server_checks(loaded: &Loaded) -> Vec<Finding> {
    let Some(link) = &loaded.link else {
        return Vec::new();
    };
    let mut checks = Vec::new();
    let Some((host, port)) = host_port(&link.url) else {
        checks.push(Finding::fail(
            "server",
            Words::new("doctor-server-bad-url").arg("url", &link.url),
            Words::new("doctor-server-bad-url-fix"),
        ));
        return checks;
    };
    let target = format!("{host}:{port}");
    let resolved = tokio::task::spawn_blocking({
        let target = target.clone();
        move || target.to_socket_addrs().map(Iterator::collect::<Vec<_>>)
    })
    .await;
    let address = match resolved {
        Ok(Ok(addresses)) if !addresses.is_empty() => {
            checks.push(Finding::ok(
                "dns",
                Words::new("doctor-dns-ok")
                    .arg("host", &host)
                    .arg("address", addresses[0]),
            ));
            addresses[0]
        }
        _ => {
            checks.push(Finding::fail(
                "dns",
                Words::new("doctor-dns-fail").arg("host", &host),
                Words::new("doctor-dns-fail-fix"),
            ));
            return checks;
        }
    };
    let connected =
        tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address)).await;
    match connected {
        Ok(Ok(_)) => checks.push(Finding::ok(
            "tcp",
            Words::new("doctor-tcp-ok").arg("target", &target),
        )),
        _ if link.proxy.is_some() => checks.push(Finding::warn(
            "tcp",
            Words::new("doctor-tcp-proxy").arg("target", &target),
            Words::new("doctor-tcp-proxy-fix"),
        )),
        _ => {
            checks.push(Finding::fail(
                "tcp",
                Words::new("doctor-tcp-fail").arg("target", &target),
                Words::new("doctor-tcp-fail-fix"),
            ));
            return checks;
        }
    }
    let client = match crate::sync::client::Client::new(link) {
        Ok(client) => client,
        Err(error) => {
            checks.push(Finding::fail(
                "tls",
                Words::new("doctor-text").arg("text", error),
                Words::new("doctor-tls-settings-fix"),
            ));
            return checks;
        }
    };
    match client.status().await {
        Ok(status) => {
            checks.push(Finding::ok(
                "api",
                Words::new("doctor-api-ok")
                    .arg("url", &link.url)
                    .arg("stored", status.stored)
                    .arg("seq", status.highest_contiguous_seq),
            ));
            checks.push(clock(&status.server_time));
        }
        Err(error) => {
            let (name, fix) = match &error {
                SyncError::Tls(_) => ("tls", "doctor-tls-fail-fix"),
                SyncError::Refused { .. } => ("api", "doctor-api-refused-fix"),
                _ => ("api", "doctor-api-fail-fix"),
            };
            checks.push(Finding::fail(
                name,
                Words::new("doctor-text").arg("text", error),
                Words::new(fix),
            ));
        }
    }
    checks
}

fn clock(server_time: &str) -> Finding {
    let Ok(server) = chrono::DateTime::parse_from_rfc3339(server_time) else {
        return Finding::warn(
            "clock",
            Words::new("doctor-clock-unreadable"),
            Words::new("doctor-clock-warn-fix"),
        );
    };
    let offset = (chrono::Utc::now() - server.to_utc()).num_seconds();
    let text = Words::new("doctor-clock-offset").arg("offset", format!("{offset:+}"));
    if offset.abs() > hailong_protocol::CLOCK_SUSPECT_SECONDS {
        Finding::fail("clock", text, Words::new("doctor-clock-fail-fix"))
    } else if offset.abs() > 120 {
        Finding::warn("clock", text, Words::new("doctor-clock-warn-fix"))
    } else {
        Finding::ok("clock", text)
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
    use super::super::Status;
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
