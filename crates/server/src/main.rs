//! `hailong-server`: the provincial server's command line (serve the API, administer
//! terminals and configurations).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hailong_server::admin::{self, AddTerminal};
use hailong_server::ratelimit::RateLimit;
use hailong_server::{DbUri, ServerOptions, config_doc, open_store, openapi};

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
        } => {
            let options = ServerOptions {
                terminal_rate: RateLimit {
                    burst: rate_burst,
                    per_second: rate_per_second,
                },
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
        Command::Config(ConfigCommand::Import { file }) => {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            admin::import_config(&db().await?, &source, json).await
        }
    }
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
    tracing::info!(%addr, "serving /api/v1");
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
