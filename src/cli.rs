//! The command line: `hailong` runs the kiosk; subcommands work without a display.
//!
//! These commands and their JSON are contracts other tools and tests rely on (design.md):
//! extend them, never break them.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use uuid::Uuid;

use crate::config::{ConfigSource, Paths, ServerLink, TerminalConfig};
use crate::store::sync_state::meta;
use crate::store::{RatingDraft, Seal, SealCause, Store, Writer};
use crate::survey::Level;

/// Hài Lòng: the citizen-satisfaction terminal of a commune one-stop desk.
#[derive(Debug, Parser)]
#[command(name = "hailong", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of the kiosk window.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Run in a normal window with a cursor (development) instead of full screen.
    #[arg(long)]
    pub windowed: bool,
    /// Window size WIDTHxHEIGHT in pixels (default 1280x800 windowed; the screen in kiosk mode).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// When nothing is provisioned, show the first-start (provisioning) screen instead of
    /// running the demo. Packaged terminals set it.
    #[arg(long, env = "HAILONG_NO_DEMO")]
    pub no_demo: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the kiosk window (the same as no subcommand).
    Run(RunArgs),
    /// Record one rating through the same store path as the screen; prints its id once it is
    /// on disk.
    Rate(RateArgs),
    /// Show the terminal, its configuration, its rating counts and the sync queue.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Enroll this terminal with a provincial server using a one-time code.
    Provision(ProvisionArgs),
    /// Check the terminal: database, hash chain, disk, configuration, server reach, clock.
    Doctor {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print an Argon2 hash of a PIN read from standard input, for `pin_hash` in the
    /// configuration (the PIN itself is never stored).
    HashPin,
    /// Run one sync round with the server now and report it.
    Sync {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Today's figures (or a day's, or the last N days'): counts per level, the SIPAS share and
    /// the Decision 766 rate, per counter, staff member and field.
    Tally(crate::report::TallyArgs),
    /// Write the ratings and the tally of a date range as CSV or Excel for the commune's report.
    Export(crate::report::ExportArgs),
}

/// Options of `hailong provision`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["server", "file"])))]
pub struct ProvisionArgs {
    /// Base URL of the provincial server, e.g. https://hailong.tinh.gov.vn
    #[arg(long, requires = "code")]
    pub server: Option<String>,
    /// The one-time enrollment code from `hailong-server terminal add`.
    #[arg(long, requires = "server")]
    pub code: Option<String>,
    /// Provision offline from a file (a terminal configuration, optionally with a `[server]`
    /// table: url, terminal_id, token, ca_cert, proxy), e.g. from a USB stick.
    #[arg(long, conflicts_with_all = ["server", "code"])]
    pub file: Option<std::path::PathBuf>,
    /// A provincial CA certificate (PEM) to trust instead of the public roots; copied into the
    /// configuration directory.
    #[arg(long)]
    pub ca_cert: Option<std::path::PathBuf>,
    /// HTTP(S) proxy for reaching the server.
    #[arg(long)]
    pub proxy: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `hailong rate`.
#[derive(Debug, Clone, Args)]
pub struct RateArgs {
    /// Level from 1 (least satisfied) to the number of levels of the question set in use.
    #[arg(long)]
    pub level: u8,
    /// Counter id (default: the terminal's counter).
    #[arg(long)]
    pub counter: Option<String>,
    /// Dossier code.
    #[arg(long)]
    pub dossier: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("\"{text}\" is not WIDTHxHEIGHT, e.g. 1280x800"))?;
    let w: u32 = w
        .trim()
        .parse()
        .map_err(|_| format!("bad width in \"{text}\""))?;
    let h: u32 = h
        .trim()
        .parse()
        .map_err(|_| format!("bad height in \"{text}\""))?;
    if !(320..=8192).contains(&w) || !(240..=8192).contains(&h) {
        return Err(format!("{w}x{h} is not a screen size"));
    }
    Ok((w, h))
}

/// A failure of a subcommand, printed as one clear line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Paths(#[from] crate::config::NoDirectories),
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("sync: {0}")]
    Sync(#[from] crate::sync::SyncError),
    #[error(transparent)]
    Provision(#[from] crate::provision::ProvisionError),
    #[error("{0}")]
    Usage(String),
}

/// What every subcommand loads: paths, the configuration in use, and the server link.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub paths: Paths,
    pub config: TerminalConfig,
    pub source: ConfigSource,
    pub link: Option<ServerLink>,
}

/// Loads paths, configuration and server link. A linked terminal always records under the id
/// the server gave it, even while it still runs the demo configuration.
pub fn load() -> Result<Loaded, CliError> {
    let paths = Paths::from_env()?;
    let (mut config, source) = TerminalConfig::load(&paths.config_dir)?;
    let link = ServerLink::load(&paths.config_dir)?;
    if let Some(link) = &link {
        config.terminal.id.clone_from(&link.terminal_id);
    }
    Ok(Loaded {
        paths,
        config,
        source,
        link,
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// `hailong provision --server URL --code CODE`.
pub fn provision(args: &ProvisionArgs) -> Result<ExitCode, CliError> {
    let paths = Paths::from_env()?;
    if let Some(file) = &args.file {
        return provision_from_file(&paths, file, args.json);
    }
    let (Some(server), Some(code)) = (&args.server, &args.code) else {
        return Err(CliError::Usage(
            "give --server URL --code CODE, or --file FILE".into(),
        ));
    };
    let enrolled = runtime()?.block_on(crate::provision::enroll(
        &paths.config_dir,
        server,
        code,
        args.ca_cert.as_deref(),
        args.proxy.clone(),
    ))?;
    let link = &enrolled.link;
    if args.json {
        println!(
            "{}",
            json!({
                "terminal": link.terminal_id,
                "commune": enrolled.commune_code,
                "name": enrolled.name,
                "counter": link.counter,
                "server": link.url,
                "config_version": link.config_version,
            })
        );
    } else {
        println!(
            "Enrolled as terminal {} ({}) of commune {} with {}.",
            link.terminal_id, enrolled.name, enrolled.commune_code, link.url
        );
        match (&enrolled.config, &enrolled.config_refused) {
            (Some(_), _) => println!(
                "Configuration {} written.",
                link.config_version.as_deref().unwrap_or_default()
            ),
            (None, Some(error)) => println!("The server's configuration was refused: {error}."),
            (None, None) => println!(
                "The server has no configuration for this commune yet; it will arrive with a later sync."
            ),
        }
        println!(
            "Settings written to {}.",
            paths.config_dir.join(crate::config::SERVER_FILE).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `hailong sync`: one round now.
pub fn sync(json_output: bool) -> Result<ExitCode, CliError> {
    let loaded = load()?;
    let link = loaded.link.ok_or_else(|| {
        CliError::Usage(
            "this terminal is not linked to a server: run `hailong provision --server URL --code CODE`"
                .into(),
        )
    })?;
    let runtime = runtime()?;
    let (writer, opened) = Writer::spawn_with(&loaded.paths.database(), now, false);
    let result = runtime.block_on(async {
        let _ = opened.await?;
        let client = crate::sync::client::Client::new(&link)?;
        crate::sync::engine::Round {
            writer: &writer,
            client: &client,
            link: &link,
            config_dir: &loaded.paths.config_dir,
            clock: now,
        }
        .run()
        .await
    });
    // The unsent ratings of earlier terminal ids go to their own servers, whatever the
    // current server said.
    let earlier = runtime.block_on(crate::sync::earlier::run_rounds(
        &writer,
        &loaded.paths.config_dir,
        now,
    ));
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            if json_output {
                println!("{}", json!({ "ok": false, "error": error.to_string() }));
            }
            return Err(error.into());
        }
    };
    if json_output {
        println!(
            "{}",
            json!({
                "ok": true,
                "created": report.created,
                "duplicates": report.duplicates,
                "quarantined": report.quarantined,
                "accounted": report.accounted,
                "batches": report.batches,
                "queued": report.queued,
                "clock_offset_seconds": report.clock_offset_seconds,
                "new_config": report.new_config.as_ref().map(|c| c.config_version.clone()),
                "earlier_sent": earlier.sent,
                "earlier_held": earlier.held,
                "earlier_errors": earlier.errors.iter()
                    .map(|(terminal, error)| json!({ "terminal": terminal, "error": error.to_string() }))
                    .collect::<Vec<_>>(),
            })
        );
    } else {
        println!(
            "Sent {} new ratings ({} already held, {} quarantined) in {} batches; {} still queued.",
            report.created, report.duplicates, report.quarantined, report.batches, report.queued
        );
        if let Some(offset) = report.clock_offset_seconds {
            println!("Clock offset from the server: {offset} s.");
        }
        if report.new_config.is_some() {
            println!("A new configuration from the server was written.");
        }
        if earlier.sent > 0 || earlier.held > 0 {
            println!(
                "Earlier terminal ids: {} ratings sent to their servers; {} still held.",
                earlier.sent, earlier.held
            );
        }
        for (terminal, error) in &earlier.errors {
            println!("Earlier terminal id {terminal}: {error}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `hailong rate`.
pub fn rate(args: &RateArgs) -> Result<ExitCode, CliError> {
    let Loaded { paths, config, .. } = load()?;
    let set = config.active_question_set();
    let level = Level::new(args.level, set.levels).ok_or_else(|| {
        CliError::Usage(format!(
            "--level must be between 1 and {} for the question set \"{}\"",
            set.levels, set.id
        ))
    })?;
    let counter = match &args.counter {
        Some(id) => Some(config.counter(id).ok_or_else(|| {
            let known: Vec<&str> = config.counters.iter().map(|c| c.id.as_str()).collect();
            CliError::Usage(format!(
                "--counter: no counter \"{id}\" (known: {})",
                known.join(", ")
            ))
        })?),
        None => config.default_counter(),
    };
    let dossier = match &args.dossier {
        Some(code) => {
            let code = code.trim().to_ascii_uppercase();
            if code.is_empty()
                || code.len() > crate::screen::dossier::MAX_LEN
                || !code.chars().all(crate::screen::dossier::accepts)
            {
                return Err(CliError::Usage(format!(
                    "--dossier: \"{code}\" is not a dossier code (letters, digits, . - / _; at most {} characters)",
                    crate::screen::dossier::MAX_LEN
                )));
            }
            Some(code)
        }
        None => None,
    };
    let now = chrono::Local::now().fixed_offset();
    let (mut store, report) = Store::open(&paths.database(), now)?;
    if let Some(aside) = report.moved_aside {
        eprintln!(
            "warning: the database failed its integrity check and was moved to {}",
            aside.display()
        );
    }
    let draft = RatingDraft {
        id: Uuid::now_v7(),
        terminal_id: config.terminal.id.clone(),
        commune_code: config.commune.code.clone(),
        counter_id: counter.map(|c| c.id.clone()),
        staff_id: counter.and_then(|c| c.staff.clone()),
        field_id: counter.and_then(|c| c.field.clone()),
        dossier_code: dossier,
        stage: config.terminal.stage,
        question_set_id: set.id.clone(),
        question_set_version: set.version,
        level,
        answers: Vec::new(),
        reasons: Vec::new(),
        language: crate::i18n::DEFAULT_LANGUAGE.to_owned(),
        device_time: now,
        feedback: Default::default(),
    };
    let seal = Seal {
        cause: SealCause::Cli,
        at: now,
        repeat_interval: Duration::from_secs(config.timing.repeat_interval_secs),
    };
    let saved = store.save(&draft, Some(&seal))?;
    // The commit above was durable (WAL, synchronous=FULL) before we print the id.
    if args.json {
        println!(
            "{}",
            json!({
                "id": draft.id,
                "seq": saved.seq,
                "level": level.value,
                "level_count": level.count,
                "suspected_repeat": saved.flags.suspected_repeat,
                "dossier_repeat": saved.flags.dossier_repeat,
            })
        );
    } else {
        println!("{}", draft.id);
    }
    Ok(ExitCode::SUCCESS)
}

/// `hailong status`.
pub fn status(json_output: bool) -> Result<ExitCode, CliError> {
    let Loaded {
        paths,
        config,
        source,
        link,
    } = load()?;
    let database = paths.database();
    let now = chrono::Local::now().fixed_offset();
    let (store, report) = Store::open(&database, now)?;
    let counts = store.counts()?;
    let terminal = &config.terminal.id;
    let queued = store.queue_len(terminal)?;
    let last_sync = store.sync_meta(meta::LAST_SUCCESS)?;
    let last_error = store.sync_meta(meta::LAST_ERROR)?.filter(|e| !e.is_empty());
    let last_attempt = store.sync_meta(meta::LAST_ATTEMPT)?;
    let clock_offset: Option<i64> = store
        .sync_meta(meta::CLOCK_OFFSET)?
        .and_then(|v| v.parse().ok());
    let quarantined = store.quarantined(1000)?.len();
    let earlier = earlier_terminals(&store, &paths.config_dir, terminal)?;
    let source_text = match &source {
        ConfigSource::Demo => "demo".to_owned(),
        ConfigSource::File(path) => path.display().to_string(),
    };
    let set = config.active_question_set();
    let value = json!({
        "terminal": config.terminal.id,
        "commune": { "code": config.commune.code, "name": config.commune.name },
        "demo": config.demo,
        "config_version": config.config_version,
        "config_source": source_text,
        "question_set": { "id": set.id, "version": set.version, "levels": set.levels },
        "ratings_total": counts.sealed,
        "drafts": counts.drafts,
        "by_level": counts.by_level,
        "suspected_repeats": counts.suspected_repeats,
        "queued": queued,
        "quarantined": quarantined,
        "server": link.as_ref().map(|l| l.url.clone()),
        "last_sync": last_sync,
        "last_sync_error": last_error,
        "last_sync_attempt": last_attempt,
        "clock_offset_seconds": clock_offset,
        "last_seq": store.last_seq(&config.terminal.id)?,
        "earlier_terminals": earlier,
        "database": database.display().to_string(),
        "database_moved_aside": report.moved_aside.map(|p| p.display().to_string()),
        "data_dir": paths.data_dir.display().to_string(),
        "config_dir": paths.config_dir.display().to_string(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    if json_output {
        println!("{value:#}");
    } else {
        println!(
            "Terminal {} · {} ({}){}",
            config.terminal.id,
            config.commune.name,
            config.commune.code,
            if config.demo { " · DEMO" } else { "" }
        );
        println!(
            "Configuration {} from {source_text}; question set {} v{} ({} levels)",
            config.config_version, set.id, set.version, set.levels
        );
        println!(
            "Ratings: {} sealed, {} being answered, {} suspected repeats",
            counts.sealed, counts.drafts, counts.suspected_repeats
        );
        for (level, n) in &counts.by_level {
            println!("  level {level}: {n}");
        }
        match &link {
            None => println!("Not linked to a server; {queued} ratings would be queued."),
            Some(link) => {
                println!(
                    "Server {}: {queued} queued, {quarantined} quarantined",
                    link.url
                );
                println!(
                    "Last sync: {}{}",
                    last_sync.as_deref().unwrap_or("never"),
                    last_error
                        .as_deref()
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default()
                );
            }
        }
        for held in &earlier {
            println!(
                "Earlier terminal id {}: {} unsent ratings {}{}",
                held.terminal,
                held.queued,
                held.server.as_deref().map_or_else(
                    || "held here (no server is known for them; never dropped)".to_owned(),
                    |url| format!("going to {url}")
                ),
                held.last_error
                    .as_deref()
                    .map(|e| format!(" (held: {e})"))
                    .unwrap_or_default()
            );
        }
        println!("Database: {}", database.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Unsent ratings of a terminal id this terminal had before a re-provisioning.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EarlierTerminal {
    pub terminal: String,
    pub queued: u64,
    /// The server they go to; none when no link of that id is known (they are held here).
    pub server: Option<String>,
    /// Why the last attempt to send them failed.
    pub last_error: Option<String>,
}

fn earlier_terminals(
    store: &Store,
    config_dir: &std::path::Path,
    current: &str,
) -> Result<Vec<EarlierTerminal>, CliError> {
    let links = crate::sync::earlier::links(config_dir);
    let mut held = Vec::new();
    for (terminal, queued) in store.queues()? {
        if terminal == current || queued == 0 {
            continue;
        }
        let server = links
            .iter()
            .find(|l| l.terminal_id == terminal)
            .map(|l| l.url.clone());
        let last_error = store
            .sync_meta(&crate::sync::earlier::meta_key(&terminal, meta::LAST_ERROR))?
            .filter(|e| !e.is_empty());
        held.push(EarlierTerminal {
            terminal,
            queued,
            server,
            last_error,
        });
    }
    Ok(held)
}

/// `hailong doctor`: every check, printed in English; exit status 1 when one fails.
pub fn doctor(json_output: bool) -> Result<ExitCode, CliError> {
    use crate::doctor::Status;
    let findings = match load() {
        Ok(loaded) => {
            runtime()?.block_on(crate::doctor::run(&loaded, crate::doctor::Probe::default()))
        }
        Err(error) => vec![crate::doctor::unloadable(&error)],
    };
    let i18n = crate::i18n::I18n::embedded().map_err(|e| CliError::Usage(e.to_string()))?;
    let english = crate::i18n::Language("en".to_owned());
    let checks: Vec<_> = findings.iter().map(|f| f.render(&i18n, &english)).collect();
    let ok = !crate::doctor::failed(&findings);
    if json_output {
        println!("{:#}", json!({ "ok": ok, "checks": checks }));
    } else {
        for check in &checks {
            let status = match check.status {
                Status::Ok => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            println!("{status} {:<13} {}", check.name, check.detail);
            if !check.fix.is_empty() {
                println!("     {:<13} -> {}", "", check.fix);
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `hailong hash-pin`: reads a PIN (4 to 8 digits) from standard input.
pub fn hash_pin() -> Result<ExitCode, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(format!("cannot read the PIN: {e}")))?;
    let pin = line.trim();
    if !(4..=crate::screen::pin::MAX_DIGITS).contains(&pin.len())
        || !pin.chars().all(|c| c.is_ascii_digit())
    {
        return Err(CliError::Usage(format!(
            "a PIN is 4 to {} digits",
            crate::screen::pin::MAX_DIGITS
        )));
    }
    let hash = crate::staff::hash_pin(pin).map_err(CliError::Usage)?;
    println!("{hash}");
    Ok(ExitCode::SUCCESS)
}

/// `hailong provision --file F`.
fn provision_from_file(
    paths: &Paths,
    file: &std::path::Path,
    json_output: bool,
) -> Result<ExitCode, CliError> {
    let crate::provision::FromFile { config, link } =
        crate::provision::from_file(&paths.config_dir, file)?;
    let name = file.display();
    if json_output {
        println!(
            "{}",
            json!({
                "terminal": config.terminal.id,
                "commune": config.commune.code,
                "config_version": config.config_version,
                "server": link.as_ref().map(|l| l.url.clone()),
            })
        );
    } else {
        println!(
            "Provisioned terminal {} for {} ({}) from {name}; configuration {}.",
            config.terminal.id, config.commune.name, config.commune.code, config.config_version
        );
        if let Some(link) = &link {
            println!("Ratings will be sent to {}.", link.url);
        }
    }
    Ok(ExitCode::SUCCESS)
}
