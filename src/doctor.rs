//! `hailong doctor` and the technician screen: what a technician checks on a terminal, each
//! line ok / warn / fail with the fix in words. Runs without a display; the exit status is
//! non-zero when a check fails.
//!
//! A check produces a [`Finding`] whose words are i18n keys with arguments, so the command line
//! (English) and the technician screen (the kiosk's language) say the same thing; [`Check`] is
//! the rendered line, the JSON of `hailong doctor --json`.

mod network;

use std::path::Path;

use serde::Serialize;

use crate::cli::Loaded;
use crate::config::{ConfigSource, ServerLink};
use crate::i18n::{I18n, Language};
use crate::store::sync_state::meta;
use crate::store::{OpenReport, Store, StoreError, Writer};

pub use network::server_checks;

/// Free disk below this is a warning; below [`DISK_FAIL`] a failure.
pub const DISK_WARN: u64 = 1 << 30;
/// Free disk below this fails: SQLite needs room for its journal and the next checkpoint.
pub const DISK_FAIL: u64 = 100 << 20;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// Words to look up in i18n/: a message key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// An argument of [`Words`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as it is (a path, a number, an error from a library).
    Text(String),
    /// Further words, rendered and joined with "; ".
    List(Vec<Words>),
}

impl Words {
    /// Words without arguments.
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    /// Adds a text argument.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// Adds a list argument.
    pub fn list(mut self, name: &'static str, items: Vec<Words>) -> Self {
        self.args.push((name, Arg::List(items)));
        self
    }

    /// The words in `language`.
    pub fn render(&self, i18n: &I18n, language: &Language) -> String {
        let args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Text(text) => text.clone(),
                    Arg::List(items) => items
                        .iter()
                        .map(|w| w.render(i18n, language))
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                (*name, value)
            })
            .collect();
        i18n.tr_args(language, self.key, &args)
    }
}

/// One check's outcome, in words still to be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Short stable name, e.g. "database", "chain", "disk" (the JSON `name`).
    pub name: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: Words,
    /// What to do about it (none when ok).
    pub fix: Option<Words>,
}

impl Finding {
    fn ok(name: &'static str, detail: Words) -> Self {
        Self {
            name,
            status: Status::Ok,
            detail,
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: Words, fix: Words) -> Self {
        Self {
            name,
            status: Status::Warn,
            detail,
            fix: Some(fix),
        }
    }

    fn fail(name: &'static str, detail: Words, fix: Words) -> Self {
        Self {
            name,
            status: Status::Fail,
            detail,
            fix: Some(fix),
        }
    }

    /// The i18n key of the check's name as the technician screen shows it.
    pub fn name_key(&self) -> &'static str {
        match self.name {
            "version" => "doctor-name-version",
            "configuration" => "doctor-name-configuration",
            "disk" => "doctor-name-disk",
            "database" => "doctor-name-database",
            "chain" => "doctor-name-chain",
            "sync" => "doctor-name-sync",
            "earlier" => "doctor-name-earlier",
            "logs" => "doctor-name-logs",
            "photos" => "doctor-name-photos",
            "audio" => "doctor-name-audio",
            "dns" => "doctor-name-dns",
            "tcp" => "doctor-name-tcp",
            "tls" => "doctor-name-tls",
            "api" => "doctor-name-api",
            "clock" => "doctor-name-clock",
            _ => "doctor-name-server",
        }
    }

    /// The line in `language`.
    pub fn render(&self, i18n: &I18n, language: &Language) -> Check {
        Check {
            name: self.name,
            status: self.status,
            detail: self.detail.render(i18n, language),
            fix: self
                .fix
                .as_ref()
                .map(|fix| fix.render(i18n, language))
                .unwrap_or_default(),
        }
    }
}

/// One line of the report, rendered (the JSON of `hailong doctor --json`).
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

/// Whether any check failed (then `hailong doctor` exits with status 1).
pub fn failed(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.status == Status::Fail)
}

/// What the checks measure on the machine; tests inject their own figures.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// Bytes free on the file system holding a folder.
    pub free_space: fn(&Path) -> std::io::Result<u64>,
}

impl Default for Probe {
    fn default() -> Self {
        Self {
            free_space: |path| fs4::available_space(path),
        }
    }
}

/// The finding for a configuration that cannot be loaded at all.
pub fn unloadable(error: &dyn std::error::Error) -> Finding {
    Finding::fail(
        "configuration",
        Words::new("doctor-text").arg("text", error),
        Words::new("doctor-config-error-fix"),
    )
}

/// Every check, as `hailong doctor` runs them: this process opens the database itself.
pub async fn run(loaded: &Loaded, probe: Probe) -> Vec<Finding> {
    let mut findings = basic_checks(loaded, probe);
    let database = loaded.paths.database();
    let now = chrono::Local::now().fixed_offset();
    findings.extend(match Store::open(&database, now) {
        Err(error) => vec![unopenable(&error)],
        Ok((store, report)) => store_checks(&store, &report, loaded),
    });
    findings.push(logs(loaded));
    findings.extend(server_checks(loaded).await);
    findings
}

/// Every check, from inside the running kiosk: the database is read on the store's own thread
/// (never opened a second time, never moved under the kiosk), the rest off the UI thread.
pub async fn run_beside(loaded: Loaded, writer: Writer) -> Vec<Finding> {
    let basics = {
        let loaded = loaded.clone();
        tokio::task::spawn_blocking(move || basic_checks(&loaded, Probe::default())).await
    };
    let mut findings = basics.unwrap_or_default();
    let for_store = loaded.clone();
    let stored = writer
        .run(move |store| Ok(store_checks(store?, &OpenReport::default(), &for_store)))
        .await;
    findings.extend(stored.unwrap_or_else(|error| vec![unopenable(&error)]));
    findings.push(logs(&loaded));
    findings.extend(server_checks(&loaded).await);
    findings
}

/// Version, configuration and free disk.
pub fn basic_checks(loaded: &Loaded, probe: Probe) -> Vec<Finding> {
    let version = Finding::ok(
        "version",
        Words::new("doctor-version").arg("version", env!("CARGO_PKG_VERSION")),
    );
    let configuration = match &loaded.source {
        ConfigSource::Demo => Finding::warn(
            "configuration",
            Words::new("doctor-config-demo"),
            Words::new("doctor-config-demo-fix"),
        ),
        ConfigSource::File(path) => Finding::ok(
            "configuration",
            Words::new("doctor-config-ok")
                .arg("path", path.display())
                .arg("version", &loaded.config.config_version),
        ),
    };
    let mut findings = vec![version, configuration];
    findings.extend(photos(loaded));
    findings.extend(audio(
        loaded.config.terminal.read_aloud,
        crate::audio::find_player(),
    ));
    findings.push(disk(&loaded.paths.data_dir, probe));
    findings
}

/// Reading aloud, when the configuration turns it on: a player and a sound card, or a
/// warning (the terminal works silently).
pub fn audio(
    read_aloud: bool,
    player: Result<std::path::PathBuf, crate::audio::Silence>,
) -> Option<Finding> {
    if !read_aloud {
        return None;
    }
    Some(match player {
        Ok(player) => Finding::ok(
            "audio",
            Words::new("doctor-audio-ok").arg("player", player.display()),
        ),
        Err(crate::audio::Silence::NoPlayer) => Finding::warn(
            "audio",
            Words::new("doctor-audio-no-player"),
            Words::new("doctor-audio-no-player-fix"),
        ),
        Err(crate::audio::Silence::NoSoundCard) => Finding::warn(
            "audio",
            Words::new("doctor-audio-no-card"),
            Words::new("doctor-audio-no-card-fix"),
        ),
    })
}

/// The staff photos, when the configuration names any: each one that cannot be shown is a
/// warning (the name shows without it), never a failure.
pub fn photos(loaded: &Loaded) -> Option<Finding> {
    let named = loaded
        .config
        .staff
        .iter()
        .filter(|s| s.photo.is_some())
        .count();
    if named == 0 {
        return None;
    }
    let (photos, problems) = crate::photo::load(&loaded.paths.config_dir, &loaded.config.staff);
    Some(if problems.is_empty() {
        Finding::ok(
            "photos",
            Words::new("doctor-photos-ok").arg("count", photos.len()),
        )
    } else {
        let items = problems
            .iter()
            .map(|problem| {
                Words::new("doctor-photos-problem")
                    .arg("field", &problem.field)
                    .arg("error", &problem.error)
            })
            .collect();
        Finding::warn(
            "photos",
            Words::new("doctor-photos-unusable")
                .arg("count", problems.len())
                .list("problems", items),
            Words::new("doctor-photos-fix"),
        )
    })
}

/// The free-disk check of the file system holding `dir` (or its nearest existing parent).
pub fn disk(dir: &Path, probe: Probe) -> Finding {
    let probe_dir = if dir.exists() {
        dir.to_path_buf()
    } else {
        dir.ancestors()
            .find(|p| p.exists())
            .map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
    };
    disk_figure(&probe_dir, (probe.free_space)(&probe_dir))
}

/// The free-disk check from a measured figure.
pub fn disk_figure(dir: &Path, free: std::io::Result<u64>) -> Finding {
    match free {
        Err(error) => Finding::fail(
            "disk",
            Words::new("doctor-disk-unreadable")
                .arg("path", dir.display())
                .arg("error", error),
            Words::new("doctor-disk-unreadable-fix"),
        ),
        Ok(free) => {
            let text = Words::new("doctor-disk-free")
                .arg("mib", free >> 20)
                .arg("path", dir.display());
            if free < DISK_FAIL {
                Finding::fail("disk", text, Words::new("doctor-disk-full-fix"))
            } else if free < DISK_WARN {
                Finding::warn("disk", text, Words::new("doctor-disk-low-fix"))
            } else {
                Finding::ok("disk", text)
            }
        }
    }
}

fn unopenable(error: &StoreError) -> Finding {
    Finding::fail(
        "database",
        Words::new("doctor-text").arg("text", error),
        Words::new("doctor-db-open-fix"),
    )
}

/// The database, the hash chain, the sync queue and ratings of earlier terminal ids.
pub fn store_checks(store: &Store, report: &OpenReport, loaded: &Loaded) -> Vec<Finding> {
    let database = store.path().to_path_buf();
    let mut findings = Vec::new();
    if let Some(aside) = &report.moved_aside {
        // Nothing is lost (the file is kept), but ratings in it not yet sent are only there.
        findings.push(Finding::fail(
            "database",
            Words::new("doctor-db-moved").arg("path", aside.display()),
            Words::new("doctor-db-moved-fix"),
        ));
    } else {
        let kept = kept_damaged(&database);
        if !kept.is_empty() {
            findings.push(Finding::warn(
                "database",
                Words::new("doctor-db-kept").arg("files", kept.join(", ")),
                Words::new("doctor-db-kept-fix"),
            ));
        }
    }
    findings.push(integrity(store, &database));
    findings.push(chain(store, &loaded.config.terminal.id));
    findings.push(queue(store, loaded));
    findings.extend(earlier_terminals(store, loaded));
    findings
}

/// Damaged databases moved aside earlier (`hailong.db.corrupt-*`), by file name.
fn kept_damaged(database: &Path) -> Vec<String> {
    let (Some(dir), Some(name)) = (database.parent(), database.file_name()) else {
        return Vec::new();
    };
    let prefix = format!("{}.corrupt-", name.to_string_lossy());
    let mut kept: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix) && !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    kept.sort();
    kept
}

fn integrity(store: &Store, database: &Path) -> Finding {
    match store.integrity_check() {
        Ok(lines) if lines == ["ok"] => Finding::ok(
            "database",
            Words::new("doctor-db-ok").arg("path", database.display()),
        ),
        Ok(lines) => Finding::fail(
            "database",
            Words::new("doctor-db-damaged").arg("lines", lines.join("; ")),
            Words::new("doctor-db-damaged-fix"),
        ),
        Err(error) => Finding::fail(
            "database",
            Words::new("doctor-text").arg("text", error),
            Words::new("doctor-db-error-fix"),
        ),
    }
}

fn chain(store: &Store, terminal: &str) -> Finding {
    use hailong_protocol::chain::Break;
    match store.verify_chain(terminal) {
        Err(error) => Finding::fail(
            "chain",
            Words::new("doctor-text").arg("text", error),
            Words::new("doctor-chain-error-fix"),
        ),
        Ok((checked, breaks)) if breaks.is_empty() => Finding::ok(
            "chain",
            Words::new("doctor-chain-ok")
                .arg("count", checked)
                .arg("terminal", terminal),
        ),
        Ok((checked, breaks)) => {
            let described = breaks
                .iter()
                .take(10)
                .map(|b| match b {
                    Break::Edited { seq } => Words::new("doctor-break-edited").arg("seq", seq),
                    Break::BrokenLink { seq } => Words::new("doctor-break-link").arg("seq", seq),
                    Break::Gap { first, last } if first == last => {
                        Words::new("doctor-break-missing").arg("seq", first)
                    }
                    Break::Gap { first, last } => Words::new("doctor-break-gap")
                        .arg("first", first)
                        .arg("last", last),
                })
                .collect();
            Finding::fail(
                "chain",
                Words::new("doctor-chain-broken")
                    .arg("breaks", breaks.len())
                    .arg("count", checked)
                    .list("list", described),
                Words::new("doctor-chain-broken-fix"),
            )
        }
    }
}

fn queue(store: &Store, loaded: &Loaded) -> Finding {
    let terminal = &loaded.config.terminal.id;
    let queued = store.queue_len(terminal).unwrap_or_default();
    let last = store.sync_meta(meta::LAST_SUCCESS).ok().flatten();
    let last = last.map_or_else(|| Words::new("doctor-never"), |at| at_words(&at));
    let error = store
        .sync_meta(meta::LAST_ERROR)
        .ok()
        .flatten()
        .filter(|e| !e.is_empty());
    match (&loaded.link, error) {
        (None, _) => Finding::warn(
            "sync",
            Words::new("doctor-sync-unlinked").arg("queued", queued),
            Words::new("doctor-sync-unlinked-fix"),
        ),
        (Some(_), Some(error)) => Finding::warn(
            "sync",
            Words::new("doctor-sync-error")
                .arg("queued", queued)
                .list("last", vec![last])
                .arg("error", error),
            Words::new("doctor-sync-error-fix"),
        ),
        (Some(_), None) => Finding::ok(
            "sync",
            Words::new("doctor-sync-ok")
                .arg("queued", queued)
                .list("last", vec![last]),
        ),
    }
}

fn at_words(at: &str) -> Words {
    Words::new("doctor-text").arg("text", at)
}

/// Unsent ratings recorded under terminal ids this terminal no longer has (before a
/// re-provisioning): on their way to their own server, or held here when none is known.
fn earlier_terminals(store: &Store, loaded: &Loaded) -> Vec<Finding> {
    let current = &loaded.config.terminal.id;
    let earlier = crate::sync::earlier::links(&loaded.paths.config_dir);
    let queues = match store.queues() {
        Ok(queues) => queues,
        Err(error) => {
            return vec![Finding::fail(
                "earlier",
                Words::new("doctor-text").arg("text", error),
                Words::new("doctor-db-error-fix"),
            )];
        }
    };
    let demo = crate::config::TerminalConfig::demo().terminal.id;
    queues
        .into_iter()
        .filter(|(terminal, queued)| terminal != current && *queued > 0)
        .map(|(terminal, queued)| {
            let link = earlier.iter().find(|l| l.terminal_id == terminal);
            earlier_finding(store, &terminal, queued, link, terminal == demo)
        })
        .collect()
}

fn earlier_finding(
    store: &Store,
    terminal: &str,
    queued: u64,
    link: Option<&ServerLink>,
    demo: bool,
) -> Finding {
    let words = |key| {
        Words::new(key)
            .arg("count", queued)
            .arg("terminal", terminal)
    };
    match link {
        None if demo => Finding::ok("earlier", words("doctor-earlier-demo")),
        None => Finding::warn(
            "earlier",
            words("doctor-earlier-unlinked"),
            Words::new("doctor-earlier-unlinked-fix"),
        ),
        Some(link) => {
            let error = store
                .sync_meta(&crate::sync::earlier::meta_key(terminal, meta::LAST_ERROR))
                .ok()
                .flatten()
                .filter(|e| !e.is_empty());
            match error {
                None => Finding::ok(
                    "earlier",
                    words("doctor-earlier-pending").arg("url", &link.url),
                ),
                Some(error) => Finding::warn(
                    "earlier",
                    words("doctor-earlier-error")
                        .arg("url", &link.url)
                        .arg("error", error),
                    Words::new("doctor-earlier-error-fix"),
                ),
            }
        }
    }
}

fn logs(loaded: &Loaded) -> Finding {
    Finding::ok(
        "logs",
        Words::new("doctor-logs")
            .arg(
                "path",
                crate::logging::dir(&loaded.paths.data_dir).display(),
            )
            .arg("days", loaded.config.terminal.log_keep_days),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_aloud_without_sound_is_a_warning_that_says_what_to_do() {
        use crate::audio::Silence;
        let i18n = I18n::embedded().expect("i18n");
        let vi = Language::default_language();
        assert_eq!(
            audio(false, Err(Silence::NoSoundCard)),
            None,
            "off: no line"
        );
        let ok = audio(true, Ok("/usr/bin/aplay".into())).expect("a line");
        assert_eq!(ok.status, Status::Ok);
        for silence in [Silence::NoPlayer, Silence::NoSoundCard] {
            let finding = audio(true, Err(silence)).expect("a line");
            assert_eq!(finding.status, Status::Warn, "{silence}");
            let check = finding.render(&i18n, &vi);
            assert!(check.fix.contains("read_aloud"), "{}", check.fix);
            assert_eq!(finding.name_key(), "doctor-name-audio");
        }
    }

    #[test]
    fn free_disk_below_the_floor_fails_and_says_what_to_do() {
        let i18n = I18n::embedded().expect("i18n");
        let en = Language("en".into());
        let full = disk_figure(Path::new("/var/lib/hailong"), Ok(12 << 20));
        assert_eq!(full.status, Status::Fail);
        let check = full.render(&i18n, &en);
        assert_eq!(check.detail, "12 MiB free at /var/lib/hailong");
        assert!(check.fix.contains("free disk space now"), "{}", check.fix);
        assert_eq!(
            disk_figure(Path::new("/"), Ok(DISK_WARN - 1)).status,
            Status::Warn
        );
        assert_eq!(
            disk_figure(Path::new("/"), Ok(DISK_WARN)).status,
            Status::Ok
        );
    }

    #[test]
    fn a_photo_that_cannot_be_shown_is_a_warning_naming_the_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = crate::config::TerminalConfig::demo();
        let loaded = |config: &crate::config::TerminalConfig| Loaded {
            paths: crate::config::Paths {
                data_dir: dir.path().join("data"),
                config_dir: dir.path().join("config"),
            },
            config: config.clone(),
            source: ConfigSource::Demo,
            link: None,
        };
        assert_eq!(photos(&loaded(&config)), None, "no photo, no line");
        config.staff[1].photo = Some("photos/nv-minh.jpg".into());
        let finding = photos(&loaded(&config)).expect("a line");
        assert_eq!(finding.status, Status::Warn);
        let i18n = I18n::embedded().expect("i18n");
        let line = finding.render(&i18n, &Language::default_language());
        assert!(line.detail.contains("staff[1].photo"), "{}", line.detail);
        assert!(line.detail.contains("nv-minh.jpg"), "{}", line.detail);
        assert!(!line.fix.is_empty());
    }

    #[test]
    fn every_key_the_checks_use_exists() {
        let i18n = I18n::embedded().expect("i18n");
        let keys = i18n.keys(&Language::default_language());
        let sources = [include_str!("doctor.rs"), include_str!("doctor/network.rs")];
        let mut used = 0;
        for source in sources {
            for (at, _) in source.match_indices("\"doctor-") {
                let key: String = source[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if key.ends_with('-') {
                    continue; // this scan's own pattern
                }
                assert!(keys.contains(&key), "i18n/vi.ftl has no {key}");
                used += 1;
            }
        }
        assert!(used > 40, "only {used} keys found: the scan is broken");
    }
}
