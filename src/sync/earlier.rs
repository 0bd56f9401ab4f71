//! Links this terminal had before it was re-provisioned under another terminal id.
//!
//! Ratings are recorded under the terminal id of their moment and stay in the database across a
//! re-provisioning. Those not yet sent belong to the server (and token) of that id, not to the
//! new one, so provisioning keeps the old link as `earlier/<terminal id>.toml` beside
//! server.toml (with a copy of its CA certificate), and the sync sends them there. Once that
//! server holds them all, the old link is forgotten. When it refuses or is gone, the ratings are
//! held here and shown as held by `hailong status` and `hailong doctor`: never dropped.

use std::path::{Path, PathBuf};

use super::SyncError;
use super::client::Client;
use super::engine::Round;
use crate::config::{ServerLink, write_atomically};
use crate::store::Writer;

/// The folder of earlier links inside the configuration directory.
pub const DIR: &str = "earlier";

/// The `sync_meta` key of `key` (last success, last error, last attempt) for an earlier
/// terminal id.
pub fn meta_key(terminal: &str, key: &str) -> String {
    format!("earlier/{terminal}/{key}")
}

fn file_stem(terminal: &str) -> String {
    terminal
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn link_file(config_dir: &Path, terminal: &str) -> PathBuf {
    config_dir
        .join(DIR)
        .join(format!("{}.toml", file_stem(terminal)))
}

/// Every earlier link, by terminal id. A file that does not parse is skipped (and logged).
pub fn links(config_dir: &Path) -> Vec<ServerLink> {
    let Ok(entries) = std::fs::read_dir(config_dir.join(DIR)) else {
        return Vec::new();
    };
    let mut links: Vec<ServerLink> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            ServerLink::parse(&text, &path.display().to_string())
                .map_err(|error| tracing::error!(%error, "unreadable earlier link"))
                .ok()
        })
        .collect();
    links.sort_by(|a, b| a.terminal_id.cmp(&b.terminal_id));
    links
}

/// Before `config_dir/server.toml` is replaced by a link for `new_terminal`: keeps the current
/// link as an earlier one when its terminal id differs (its unsent ratings still go to it), and
/// forgets an earlier link of `new_terminal` itself (the new link takes its ratings over).
pub fn retire_current(config_dir: &Path, new_terminal: &str) -> std::io::Result<()> {
    if let Some(old) = ServerLink::load(config_dir).ok().flatten()
        && old.terminal_id != new_terminal
    {
        keep(config_dir, &old)?;
        tracing::info!(terminal = %old.terminal_id, url = %old.url, "kept the earlier link for its unsent ratings");
    }
    forget(config_dir, new_terminal)
}

/// Writes `link` as an earlier link, with a copy of its CA certificate (provisioning writes
/// the new server's certificate over server-ca.pem).
fn keep(config_dir: &Path, link: &ServerLink) -> std::io::Result<()> {
    let mut link = link.clone();
    let file = link_file(config_dir, &link.terminal_id);
    if let Some(ca) = &link.ca_cert {
        let copy = file.with_extension("ca.pem");
        let pem = std::fs::read(ca)?;
        write_atomically(&copy, &pem, false)?;
        link.ca_cert = Some(copy);
    }
    let text = toml::to_string(&link).map_err(std::io::Error::other)?;
    write_atomically(&file, text.as_bytes(), true)
}

/// Removes the earlier link of `terminal`, if there is one.
pub fn forget(config_dir: &Path, terminal: &str) -> std::io::Result<()> {
    let file = link_file(config_dir, terminal);
    for path in [file.with_extension("ca.pem"), file] {
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

/// What the rounds of the earlier links did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rounds {
    /// Ratings their servers stored now (created or already held).
    pub sent: u64,
    /// Ratings of earlier links still unsent after the rounds.
    pub held: u64,
    /// The errors, by terminal id.
    pub errors: Vec<(String, SyncError)>,
}

/// One round for each earlier link in `config_dir`. A link whose server now holds all its
/// ratings is forgotten.
pub async fn run_rounds(
    writer: &Writer,
    config_dir: &Path,
    clock: fn() -> chrono::DateTime<chrono::FixedOffset>,
) -> Rounds {
    let mut rounds = Rounds::default();
    for link in links(config_dir) {
        let terminal = link.terminal_id.clone();
        let result = match Client::new(&link) {
            Ok(client) => {
                Round {
                    writer,
                    client: &client,
                    link: &link,
                    config_dir,
                    clock,
                }
                .run_earlier()
                .await
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(report) => {
                rounds.sent += report.created + report.duplicates + report.accounted;
                rounds.held += report.queued;
                if report.queued == 0 {
                    match forget(config_dir, &terminal) {
                        Ok(()) => {
                            tracing::info!(%terminal, "every rating of the earlier terminal id is on its server");
                        }
                        Err(error) => {
                            tracing::error!(%error, %terminal, "cannot remove the earlier link");
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, %terminal, url = %link.url, "the earlier terminal's ratings stay held");
                let t = terminal.clone();
                rounds.held += writer
                    .run(move |store| store?.queue_len(&t))
                    .await
                    .unwrap_or_default();
                rounds.errors.push((terminal, error));
            }
        }
    }
    rounds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(dir: &Path, terminal: &str, ca: Option<PathBuf>) -> ServerLink {
        let link = ServerLink {
            url: format!("https://{terminal}.tinh.gov.vn"),
            terminal_id: terminal.to_owned(),
            token: format!("token-{terminal}"),
            counter: None,
            ca_cert: ca,
            proxy: None,
            config_version: None,
        };
        link.save(dir).expect("server.toml");
        link
    }

    #[test]
    fn the_old_link_and_a_copy_of_its_certificate_are_kept_for_another_id_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("server-ca.pem");
        std::fs::write(&ca, "OLD CA").expect("ca");
        let old = link(dir.path(), "26734-001", Some(ca.clone()));
        // The same id again (a new configuration, a moved server): nothing to keep.
        retire_current(dir.path(), "26734-001").expect("retire");
        assert!(links(dir.path()).is_empty());

        retire_current(dir.path(), "26734-007").expect("retire");
        // Provisioning then writes the new server's certificate over server-ca.pem.
        std::fs::write(&ca, "NEW CA").expect("new ca");
        let kept = links(dir.path());
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].terminal_id, old.terminal_id);
        assert_eq!(kept[0].token, old.token);
        let copy = kept[0].ca_cert.clone().expect("a certificate");
        assert_ne!(copy, ca);
        assert_eq!(std::fs::read_to_string(copy).expect("copy"), "OLD CA");

        // Re-provisioned back to the old id: the current link takes its ratings over.
        link(dir.path(), "26734-007", None);
        retire_current(dir.path(), "26734-001").expect("retire");
        let kept: Vec<String> = links(dir.path())
            .into_iter()
            .map(|l| l.terminal_id)
            .collect();
        assert_eq!(kept, ["26734-007"]);
        forget(dir.path(), "26734-007").expect("forget");
        assert!(links(dir.path()).is_empty());
    }
}
