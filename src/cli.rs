//! The command line: `hailong` runs the kiosk; subcommands work without a display.
//!
//! These commands and their JSON are contracts other tools and tests rely on (design.md):
//! extend them, never break them.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use uuid::Uuid;

use crate::config::{ConfigSource, Paths, TerminalConfig};
use crate::store::{RatingDraft, Seal, SealCause, Store};
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
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the kiosk window (the same as no subcommand).
    Run(RunArgs),
    /// Record one rating through the same store path as the screen; prints its id once it is
    /// on disk.
    Rate(RateArgs),
    /// Show the terminal, its configuration and its rating counts.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
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
    #[error("{0}")]
    Usage(String),
}

/// Loads paths and configuration as every subcommand does.
pub fn load() -> Result<(Paths, TerminalConfig, ConfigSource), CliError> {
    let paths = Paths::from_env()?;
    let (config, source) = TerminalConfig::load(&paths.config_dir)?;
    Ok((paths, config, source))
}

/// `hailong rate`.
pub fn rate(args: &RateArgs) -> Result<ExitCode, CliError> {
    let (paths, config, _) = load()?;
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
    let (paths, config, source) = load()?;
    let database = paths.database();
    let now = chrono::Local::now().fixed_offset();
    let (store, report) = Store::open(&database, now)?;
    let counts = store.counts()?;
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
        // Until a server is configured nothing has been accepted by one.
        "queued": counts.sealed,
        "last_sync": serde_json::Value::Null,
        "last_seq": store.last_seq(&config.terminal.id)?,
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
        println!("Queued for the server: {}", counts.sealed);
        println!("Database: {}", database.display());
    }
    Ok(ExitCode::SUCCESS)
}
