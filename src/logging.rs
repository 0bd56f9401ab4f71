//! Logs: daily rolling files in the data directory (`logs/hailong.YYYY-MM-DD.log`), kept for a
//! configurable number of days, plus standard error. A panic leaves a line saying why and where
//! before the process ends, so a technician finds the cause of a crash in the log.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// Days of logs kept when the configuration says nothing.
pub const DEFAULT_KEEP_DAYS: usize = 30;

/// The folder of the log files.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Starts logging. `file_filter` applies to the files, `stderr_filter` to standard error
/// (`RUST_LOG` overrides both). Returns the guard that flushes the file on exit, or `None`
/// when the folder cannot be written (then only standard error is used, and it says so).
pub fn init(
    data_dir: Option<&Path>,
    keep_days: usize,
    file_filter: &str,
    stderr_filter: &str,
) -> Option<WorkerGuard> {
    let filter = |default: &str| {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter(stderr_filter));
    let appender = data_dir.and_then(|data_dir| {
        let dir = dir(data_dir);
        std::fs::create_dir_all(&dir).ok()?;
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("hailong")
            .filename_suffix("log")
            .max_log_files(keep_days.max(1))
            .build(&dir)
            .ok()
    });
    let (file, guard) = match appender {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter(file_filter));
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    if guard.is_none() && data_dir.is_some() {
        tracing::warn!(
            "cannot write log files in the data directory; logging to standard error only"
        );
    }
    install_panic_hook();
    guard
}

/// A panic is logged (message and place) before the default hook runs.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        tracing::error!(%place, %message, "crash: the program panicked");
        default(info);
    }));
}
