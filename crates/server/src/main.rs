//! `hailong-server`: the provincial server's command line (serve the API, administer
//! terminals and configurations).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use hailong_server::admin::{self, AddTerminal};
use hailong_server::complaints;
use hailong_server::ratelimit::RateLimit;
use hailong_server::report::{self, GroupBy, ReportFormat, ReportQuery};
use hailong_server::secret::ReportToken;
use hailong_server::store::Store as _;
use hailong_server::{DbUri, ServerOptions, config_doc, loadgen, open_store, openapi};

/// Hài Lòng provincial server: enrolls kiosks, serves their configuration and receives their
/// ratings (each exactly once).
///
/// Set up from nothing:
///   hailong-server config import commune.toml --db sqlite:///var/lib/hailong/server.db
///   hailong-server terminal add --commune 26734 --name "Quầy 1" --counter 1 --db ...
///   hailong-server serve --listen 0.0.0.0:8080 --db ...
/// then on the kiosk: hailong provision --server https://SERVER --code CODE
#[derive(Debug, Parser)]
#[command(version, about, long_about, verbatim_doc_comment)]
struct Cli {
    /// Database: sqlite://PATH (created if missing, the default) or
    /// postgres://USER:PASSWORD@HOST/DB (an existing database; several servers may share it).
    #[arg(long, env = "HAILONG_SERVER_DB", global = true)]
    db: Option<DbUri>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (/api/v1). Put a TLS reverse proxy in front of it.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Requests a terminal may make in a burst.
        #[arg(long, default_value_t = ServerOptions::default().terminal_rate.burst)]
        rate_burst: u32,
        /// Requests per second a terminal's allowance refills.
        #[arg(long, default_value_t = ServerOptions::default().terminal_rate.per_second)]
        rate_per_second: f64,
        /// File holding the token of GET /api/v1/reports (at least 32 characters, e.g.
        /// `head -c 32 /dev/urandom | base64 > FILE`). HAILONG_REPORT_TOKEN may hold the token
        /// itself instead. Without either, reports over HTTP are refused.
        #[arg(long, env = "HAILONG_REPORT_TOKEN_FILE")]
        report_token_file: Option<PathBuf>,
    },
    /// Satisfaction report per province, commune, counter, staff member, field or day: counts
    /// per level, complaints, the SIPAS share and the Decision 766 rate. Days are the server's
    /// receive days, Vietnam time (UTC+07:00).
    Report {
        /// First day, YYYY-MM-DD.
        #[arg(long, value_parser = parse_day)]
        from: NaiveDate,
        /// Last day, inclusive.
        #[arg(long, value_parser = parse_day)]
        to: NaiveDate,
        /// What one row stands for.
        #[arg(long, value_enum, default_value_t = GroupBy::Commune)]
        by: GroupBy,
        /// Only this commune.
        #[arg(long)]
        commune: Option<String>,
        /// Count ratings the kiosk flagged as suspected repeats too.
        #[arg(long)]
        include_flagged: bool,
        /// csv (UTF-8 with BOM), xlsx (Excel) or json.
        #[arg(long, value_enum)]
        format: ReportFormat,
        /// The file to write, or - for standard output.
        #[arg(long, default_value = "-")]
        output: PathBuf,
    },
    /// The complaints (phản ánh, kiến nghị) received, for the call-back team: when, where,
    /// about whom, the citizen's words; with --with-phone also the call-back number and the
    /// consent text's version (PERSONAL DATA: keep the file only as long as the call-backs
    /// need it). Days are the server's receive days, Vietnam time.
    Complaints {
        /// First day, YYYY-MM-DD.
        #[arg(long, value_parser = parse_day)]
        from: NaiveDate,
        /// Last day, inclusive.
        #[arg(long, value_parser = parse_day)]
        to: NaiveDate,
        /// Only this commune.
        #[arg(long)]
        commune: Option<String>,
        /// List the call-back numbers (personal data).
        #[arg(long)]
        with_phone: bool,
        /// csv (UTF-8 with BOM) or json.
        #[arg(long, value_enum, default_value_t = ComplaintFormat::Csv)]
        format: ComplaintFormat,
        /// The file to write, or - for standard output.
        #[arg(long, default_value = "-")]
        output: PathBuf,
    },
    /// Erases the call-back numbers of complaints received before a day (the call-backs done):
    /// each number is replaced by its digest, which the hash chain covers, so the ratings
    /// still verify. Run it regularly (e.g. monthly, for the month before last).
    EraseCallBackNumbers {
        /// Numbers of complaints received before this day (Vietnam time) are erased.
        #[arg(long, value_parser = parse_day)]
        received_before: NaiveDate,
    },
    /// Load generator: registers N terminals in --db (use a scratch database), enrolls them at
    /// --url, and has them all upload M ratings at once in gzip'd batches as kiosks do; prints
    /// ratings/s and the p50/p99 batch latency. The server must serve the same database.
    Loadgen {
        /// Base URL of the server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        url: String,
        /// Terminals uploading at once.
        #[arg(long)]
        terminals: usize,
        /// Ratings each terminal uploads.
        #[arg(long)]
        ratings_per_terminal: usize,
        /// Ratings per batch (1-1000).
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Commune code of the generated terminals.
        #[arg(long, default_value = "loadgen")]
        commune: String,
    },
    /// Manage terminals (kiosks).
    #[command(subcommand)]
    Terminal(TerminalCommand),
    /// Manage terminal configurations.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a starter terminal configuration (TOML) to edit and import.
    PrintDefaultConfig,
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
}

#[derive(Debug, Subcommand)]
enum TerminalCommand {
    /// Register a terminal and print its one-time enrollment code (and a QR code).
    Add {
        /// Commune code the terminal serves.
        #[arg(long)]
        commune: String,
        /// Display name, e.g. "Quầy 1 - Hộ tịch".
        #[arg(long)]
        name: String,
        /// Counter the terminal stands at.
        #[arg(long)]
        counter: Option<String>,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 24)]
        expires_hours: u32,
    },
    /// Issue a new enrollment code for an existing terminal (replaces its token on use).
    Code {
        /// Terminal id.
        id: String,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 24)]
        expires_hours: u32,
    },
    /// List terminals: last seen, backlog, clock offset, versions, sync progress, tamper
    /// alerts.
    List,
    /// List a terminal's tamper alerts: edited ratings, broken links, gaps, rewritten anchors.
    Alerts {
        /// Terminal id.
        id: String,
    },
    /// Revoke a terminal: its token is refused at once.
    Revoke {
        /// Terminal id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Import a terminal configuration (TOML with [commune] code and name); it becomes the
    /// commune's current version.
    Import {
        /// The TOML file.
        file: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "hailong_server=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let output = run(cli).await?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(output.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<String> {
    let json = cli.json;
    let db = async || {
        let uri = cli.db.clone().context(
            "no database: pass --db sqlite://PATH (or postgres://...) or set HAILONG_SERVER_DB",
        )?;
        open_store(&uri).await
    };
    match cli.command {
        Command::PrintDefaultConfig => Ok(config_doc::DEFAULT_CONFIG.to_owned()),
        Command::Openapi => Ok(openapi::pretty_json()),
        Command::Serve {
            listen,
            rate_burst,
            rate_per_second,
            report_token_file,
        } => {
            let options = ServerOptions {
                terminal_rate: RateLimit {
                    burst: rate_burst,
                    per_second: rate_per_second,
                },
                report_token: report_token(report_token_file.as_deref())?,
                ..ServerOptions::default()
            };
            serve(db().await?, &listen, options).await?;
            Ok(String::new())
        }
        Command::Terminal(TerminalCommand::Add {
            commune,
            name,
            counter,
            expires_hours,
        }) => {
            let opts = AddTerminal {
                commune,
                name,
                counter,
                expires_hours,
            };
            admin::add_terminal(&db().await?, opts, json).await
        }
        Command::Terminal(TerminalCommand::Code { id, expires_hours }) => {
            admin::new_code(&db().await?, &id, expires_hours, json).await
        }
        Command::Terminal(TerminalCommand::List) => admin::list_terminals(&db().await?, json).await,
        Command::Terminal(TerminalCommand::Alerts { id }) => {
            admin::list_alerts(&db().await?, &id, json).await
        }
        Command::Terminal(TerminalCommand::Revoke { id }) => {
            admin::revoke_terminal(&db().await?, &id, json).await
        }
        Command::Report {
            from,
            to,
            by,
            commune,
            include_flagged,
            format,
            output,
        } => {
            let query = ReportQuery {
                from,
                to,
                by,
                commune,
                include_flagged,
            };
            // Refuse bad input before touching the database.
            query.check()?;
            let to_stdout = output.as_os_str() == "-";
            if to_stdout && format == ReportFormat::Xlsx && std::io::stdout().is_terminal() {
                anyhow::bail!("an Excel workbook is not for a terminal: pass --output FILE.xlsx");
            }
            let report = report::build(&db().await?, query).await?;
            let bytes = report.render(format)?;
            if to_stdout {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(&bytes)?;
                stdout.flush()?;
                return Ok(String::new());
            }
            report::write_file(&output, &bytes)?;
            Ok(if json {
                format!(
                    "{}\n",
                    serde_json::json!({ "output": output, "rows": report.rows.len() })
                )
            } else {
                format!(
                    "Wrote the report {} to {} ({} rows by {}, {} ratings).\n",
                    format_args!("{}..{}", report.from, report.to),
                    output.display(),
                    report.rows.len(),
                    report.by.as_str(),
                    report.total.ratings
                )
            })
        }
        Command::Complaints {
            from,
            to,
            commune,
            with_phone,
            format,
            output,
        } => {
            let query = complaints::ComplaintQuery {
                from,
                to,
                commune,
                with_phone,
            };
            let lines = complaints::list(&db().await?, &query).await?;
            let bytes = match format {
                ComplaintFormat::Csv => complaints::to_csv(&lines, with_phone)?,
                ComplaintFormat::Json => complaints::to_json(&lines)?,
            };
            if output.as_os_str() == "-" {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(&bytes)?;
                stdout.flush()?;
                return Ok(String::new());
            }
            report::write_file(&output, &bytes)?;
            Ok(if json {
                format!(
                    "{}\n",
                    serde_json::json!({ "output": output, "complaints": lines.len() })
                )
            } else {
                format!(
                    "Wrote {} complaints received {from}..{to} to {}{}.\n",
                    lines.len(),
                    output.display(),
                    if with_phone {
                        " with call-back numbers (personal data)"
                    } else {
                        ""
                    }
                )
            })
        }
        Command::EraseCallBackNumbers { received_before } => {
            let before_ms = report::day_start_ms(received_before);
            let erased = db().await?.erase_call_back_numbers(before_ms).await?;
            tracing::info!(erased, %received_before, "call-back numbers erased");
            Ok(if json {
                format!("{}\n", serde_json::json!({ "erased": erased }))
            } else {
                format!(
                    "Erased {erased} call-back numbers of complaints received before {received_before}.\n"
                )
            })
        }
        Command::Loadgen {
            url,
            terminals,
            ratings_per_terminal,
            batch,
            commune,
        } => {
            let options = loadgen::LoadOptions {
                url,
                terminals,
                ratings_per_terminal,
                batch,
                commune,
            };
            let measured = loadgen::run(&db().await?, &options).await?;
            Ok(if json {
                format!("{}\n", serde_json::to_string_pretty(&measured)?)
            } else {
                measured.text()
            })
        }
        Command::Config(ConfigCommand::Import { file }) => {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            admin::import_config(&db().await?, &source, json).await
        }
    }
}

/// Formats of `complaints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ComplaintFormat {
    Csv,
    Json,
}

/// The day of `--from` / `--to`.
fn parse_day(text: &str) -> Result<NaiveDate, String> {
    report::parse_day(text).map_err(|e| e.to_string())
}

/// The report token from `--report-token-file` or `HAILONG_REPORT_TOKEN`, if any.
fn report_token(file: Option<&std::path::Path>) -> anyhow::Result<Option<ReportToken>> {
    let from_env = std::env::var("HAILONG_REPORT_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let secret = match (file, from_env) {
        (Some(_), Some(_)) => {
            anyhow::bail!("set the report token once: --report-token-file or HAILONG_REPORT_TOKEN")
        }
        (Some(path), None) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the report token file {}", path.display()))?,
        (None, Some(token)) => token,
        (None, None) => return Ok(None),
    };
    Ok(Some(ReportToken::new(&secret)?))
}

async fn serve(
    store: hailong_server::AnyStore,
    listen: &str,
    options: ServerOptions,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to learn the port when listening on port 0.
    println!("hailong-server listening on http://{addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, reports = options.report_token.is_some(), "serving /api/v1");
    hailong_server::serve(listener, store, options, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
