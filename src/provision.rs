//! Provisioning a terminal: from its provincial server with a one-time code, or offline from a
//! file (a USB stick). Used by `hailong provision` and by the first-start screen alike.
//! Re-provisioning never touches the ratings database; a link to another terminal id is kept
//! for the unsent ratings of the old one ([`crate::sync::earlier`]).

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, ServerLink, TerminalConfig, write_atomically};
use crate::sync::SyncError;
use crate::sync::client::{self, Endpoint};

/// Why provisioning failed; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("{what}: {message}")]
    Io { what: String, message: String },
    #[error("{0}")]
    Usage(String),
}

fn io(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> ProvisionError {
    move |error| ProvisionError::Io {
        what: what.to_string(),
        message: error.to_string(),
    }
}

/// What enrollment with a server gave.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub link: ServerLink,
    /// The configuration written to terminal.toml, when the server had one.
    pub config: Option<TerminalConfig>,
    /// Why the server's configuration was refused, if it was.
    pub config_refused: Option<String>,
    pub commune_code: String,
    /// The terminal's name on the server.
    pub name: String,
}

/// Exchanges `code` for this terminal's id, token and configuration, and writes server.toml
/// (and terminal.toml when the server has a configuration) into `config_dir`.
pub async fn enroll(
    config_dir: &Path,
    url: &str,
    code: &str,
    ca_cert: Option<&Path>,
    proxy: Option<String>,
) -> Result<Enrolled, ProvisionError> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ProvisionError::Usage(format!(
            "the server address \"{url}\" must start with https:// (or http:// on a test network)"
        )));
    }
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    if code.is_empty() {
        return Err(ProvisionError::Usage("the enrollment code is empty".into()));
    }
    std::fs::create_dir_all(config_dir).map_err(io(config_dir.display()))?;
    // Enroll with the certificate where it is; it is copied only once enrollment succeeded,
    // so a failed attempt leaves the current link and its certificate as they were.
    let endpoint = Endpoint {
        url: url.to_owned(),
        ca_cert: ca_cert.map(Path::to_path_buf),
        proxy: proxy.clone(),
    };
    let enrolled = client::enroll(&endpoint, &code).await?;
    // The unsent ratings of the id this terminal had go on to its server.
    crate::sync::earlier::retire_current(config_dir, &enrolled.terminal_id)
        .map_err(io("keeping the earlier link"))?;
    // Keep the CA beside the configuration: the USB stick it came on will be unplugged.
    let ca_cert = match ca_cert {
        Some(path) => {
            let target = config_dir.join("server-ca.pem");
            let pem = std::fs::read(path).map_err(io(path.display()))?;
            write_atomically(&target, &pem, false).map_err(io(target.display()))?;
            Some(target)
        }
        None => None,
    };
    let mut link = ServerLink {
        url: endpoint.url.clone(),
        terminal_id: enrolled.terminal_id.clone(),
        token: enrolled.token.clone(),
        counter: enrolled.counter_id.clone(),
        ca_cert,
        proxy,
        config_version: None,
    };
    let mut config = None;
    let mut config_refused = None;
    if let Some(envelope) = &enrolled.config {
        match TerminalConfig::from_server(&envelope.document, &link) {
            Ok(server_config) => {
                server_config
                    .save(config_dir)
                    .map_err(io("writing terminal.toml"))?;
                link.config_version = Some(envelope.version.clone());
                config = Some(server_config);
            }
            Err(error) => config_refused = Some(error.to_string()),
        }
    }
    link.save(config_dir).map_err(io("writing server.toml"))?;
    Ok(Enrolled {
        link,
        config,
        config_refused,
        commune_code: enrolled.commune_code,
        name: enrolled.name,
    })
}

/// What an offline provisioning file held.
#[derive(Debug, Clone)]
pub struct FromFile {
    pub config: TerminalConfig,
    pub link: Option<ServerLink>,
}

/// Provisions from a file: a terminal configuration, optionally with a `[server]` table (url,
/// token, terminal_id, ca_cert, proxy). Validated first; written only when all of it is valid.
pub fn from_file(config_dir: &Path, file: &Path) -> Result<FromFile, ProvisionError> {
    // Errors name the file as a technician sees it on the stick.
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Read {
        path: name.clone(),
        message: e.to_string(),
    })?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        source_name: name.clone(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let server = table.remove("server");
    let config_text = toml::to_string(&table).map_err(|e| ProvisionError::Usage(e.to_string()))?;
    let mut config = TerminalConfig::parse(&config_text, &name)?;
    config.demo = false;
    let link = match server {
        None => None,
        Some(server) => {
            let toml::Value::Table(mut server) = server else {
                return Err(ConfigError::Invalid {
                    source_name: name,
                    field: "server".into(),
                    message: "must be a table with url and token".into(),
                }
                .into());
            };
            server
                .entry("terminal_id")
                .or_insert_with(|| config.terminal.id.clone().into());
            let text =
                toml::to_string(&server).map_err(|e| ProvisionError::Usage(e.to_string()))?;
            Some(ServerLink::parse(&text, &format!("{name} [server]"))?)
        }
    };
    if let Some(link) = &link {
        config.terminal.id.clone_from(&link.terminal_id);
    }
    if let Some(link) = &link {
        crate::sync::earlier::retire_current(config_dir, &link.terminal_id)
            .map_err(io("keeping the earlier link"))?;
    }
    config
        .save(config_dir)
        .map_err(io("writing terminal.toml"))?;
    if let Some(link) = &link {
        link.save(config_dir).map_err(io("writing server.toml"))?;
    }
    Ok(FromFile { config, link })
}

/// Provisioning files (`*.toml` at the top of a USB stick mounted under /media or /run/media,
/// and of `extra_roots`), sorted.
pub fn usb_files(extra_roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots = usb_mounts();
    roots.extend(extra_roots.iter().cloned());
    let mut files: Vec<PathBuf> = roots
        .iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flat_map(|entries| entries.filter_map(Result::ok).map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Where exports can go: the mounted USB sticks, then those of `extra_roots` that are folders
/// (tests and portable installs stand a folder in for a stick). Reads /proc/mounts and the
/// disk: call it off the UI thread.
pub fn usb_sticks(extra_roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut sticks = usb_mounts();
    for root in extra_roots {
        if root.is_dir() && !sticks.contains(root) {
            sticks.push(root.clone());
        }
    }
    sticks
}

/// A stick by the name it shows in a file manager: its mount folder's name.
pub fn stick_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Whether `stick` is still there to write to: still mounted (an unmounted stick can leave
/// its empty mount folder behind, and writing there would fill the terminal's own disk), or,
/// for a folder of `extra_roots`, still a folder.
pub fn stick_present(stick: &Path, extra_roots: &[PathBuf]) -> bool {
    if extra_roots.iter().any(|root| root == stick) {
        stick.is_dir()
    } else {
        usb_mounts().iter().any(|mount| mount == stick) && stick.is_dir()
    }
}

/// Mount points of USB sticks (under /media or /run/media), as /proc/mounts lists them.
pub fn usb_mounts() -> Vec<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        // /proc/mounts escapes spaces as \040.
        .map(|point| point.replace("\\040", " "))
        .filter(|point| point.starts_with("/media/") || point.starts_with("/run/media/"))
        .map(PathBuf::from)
        .collect()
}
