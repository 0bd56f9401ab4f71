//! The background sync: rounds one after another, never in the citizen's way. After an error
//! it waits with exponential back-off and jitter (and at least what the server asked for in
//! Retry-After); it resumes by itself after a restart since all its state is in the store.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use futures::SinkExt;
use iced::Subscription;

use super::SyncError;
use super::client::Client;
use super::engine::{Round, RoundReport};
use crate::config::ServerLink;
use crate::store::Writer;

/// Between rounds when everything is sent and nothing new is sealed (a heartbeat, a status
/// and a configuration check a round: ~3 requests; at 120 s, 10,000 terminals poll at ~250
/// requests/s instead of ~1,000 at 30 s; see docs/scaling.md). Spread by ±25% jitter so that
/// terminals started together (after a power cut) do not poll together.
pub const IDLE_INTERVAL: Duration = Duration::from_secs(120);
/// After a rating is sealed, the wait before its round, so that a queue of citizens goes up
/// in one batch rather than one request each.
pub const AFTER_SEALING: Duration = Duration::from_secs(10);
/// Between rounds while ratings are still queued at the end of one.
pub const QUEUED_INTERVAL: Duration = Duration::from_secs(5);
/// First wait after an error; doubles per failure up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// Longest wait after errors.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// What the worker reports after each round.
#[derive(Debug, Clone)]
pub enum Event {
    /// A round finished (or failed); the next one starts in `next_in`.
    Round {
        result: Result<RoundReport, SyncError>,
        next_in: Duration,
    },
}

/// Everything the worker needs; two settings with the same link are the same worker.
#[derive(Debug, Clone)]
pub struct Settings {
    pub writer: Writer,
    pub link: ServerLink,
    pub config_dir: PathBuf,
    pub clock: fn() -> DateTime<FixedOffset>,
}

impl Hash for Settings {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.link.url.hash(state);
        self.link.terminal_id.hash(state);
        self.link.token.hash(state);
        self.config_dir.hash(state);
    }
}

/// The wait before the next round.
pub fn next_delay(result: &Result<RoundReport, SyncError>, failures: u32, jitter: f64) -> Duration {
    match result {
        Ok(report) if report.queued > 0 => QUEUED_INTERVAL,
        Ok(_) => IDLE_INTERVAL.mul_f64((0.75 + (jitter - 0.5) / 2.0).clamp(0.75, 1.25)),
        Err(error) => {
            let exponent = failures.saturating_sub(1).min(16);
            let backoff = FIRST_BACKOFF
                .saturating_mul(1 << exponent)
                .min(MAX_BACKOFF)
                .mul_f64(jitter.clamp(0.5, 1.5));
            backoff.max(error.retry_after().unwrap_or_default())
        }
    }
}

/// One round of the worker with `link`, the worker's link carried from round to round: after
/// a round that wrote a new configuration, `link` runs its version, so the next round does not
/// fetch the same configuration again and its heartbeat reports the version in use.
pub async fn run_round(
    settings: &Settings,
    link: &mut ServerLink,
    client: &Client,
) -> Result<RoundReport, SyncError> {
    let result = Round {
        writer: &settings.writer,
        client,
        link,
        config_dir: &settings.config_dir,
        clock: settings.clock,
    }
    .run()
    .await;
    if let Ok(RoundReport {
        new_config_version: Some(version),
        ..
    }) = &result
    {
        link.config_version = Some(version.clone());
    }
    result
}

/// A round of the current link (see [`run_round`]), then one for each earlier link of a
/// re-provisioned terminal ([`super::earlier`]); their figures join the report.
pub async fn run_all(
    settings: &Settings,
    link: &mut ServerLink,
    client: &Result<Client, SyncError>,
) -> Result<RoundReport, SyncError> {
    let mut result = match client {
        Ok(client) => run_round(settings, link, client).await,
        Err(error) => Err(error.clone()),
    };
    let earlier =
        super::earlier::run_rounds(&settings.writer, &settings.config_dir, settings.clock).await;
    if let Ok(report) = &mut result {
        report.earlier_sent = earlier.sent;
        report.earlier_held = earlier.held;
    }
    result
}

/// The background sync as a subscription.
pub fn subscription(settings: Settings) -> Subscription<Event> {
    Subscription::run_with(settings, |settings| {
        let settings = settings.clone();
        iced::stream::channel(4, async move |mut output| {
            let client = Client::new(&settings.link);
            let mut link = settings.link.clone();
            let mut failures = 0u32;
            loop {
                let result = run_all(&settings, &mut link, &client).await;
                failures = if result.is_ok() { 0 } else { failures + 1 };
                let next_in = next_delay(&result, failures, 0.5 + fastrand::f64());
                if let Err(error) = &result {
                    tracing::warn!(%error, ?next_in, "sync round failed; will retry");
                }
                let idle = result.is_ok();
                let _ = output.send(Event::Round { result, next_in }).await;
                if idle {
                    // A sealed rating starts the next round early; a failed round's back-off
                    // (a server that asked to be left alone) is always waited out.
                    tokio::select! {
                        () = tokio::time::sleep(next_in) => {}
                        () = settings.writer.sealed() => {
                            tokio::time::sleep(AFTER_SEALING.min(next_in)).await;
                        }
                    }
                } else {
                    tokio::time::sleep(next_in).await;
                }
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_with_jitter_and_honours_retry_after() {
        let error = Err(SyncError::Network("down".into()));
        assert_eq!(next_delay(&error, 1, 1.0), FIRST_BACKOFF);
        assert_eq!(next_delay(&error, 3, 1.0), FIRST_BACKOFF * 4);
        assert_eq!(next_delay(&error, 40, 1.0), MAX_BACKOFF);
        assert_eq!(next_delay(&error, 1, 0.5), FIRST_BACKOFF / 2);
        let busy = Err(SyncError::RateLimited {
            retry_after: Some(Duration::from_secs(120)),
        });
        assert_eq!(next_delay(&busy, 1, 1.0), Duration::from_secs(120));
        assert_eq!(
            next_delay(&Ok(RoundReport::default()), 0, 1.0),
            IDLE_INTERVAL
        );
        assert_eq!(
            next_delay(&Ok(RoundReport::default()), 0, 0.5),
            IDLE_INTERVAL.mul_f64(0.75)
        );
        assert_eq!(
            next_delay(&Ok(RoundReport::default()), 0, 1.5),
            IDLE_INTERVAL.mul_f64(1.25)
        );
        let more = RoundReport {
            queued: 3,
            ..RoundReport::default()
        };
        assert_eq!(next_delay(&Ok(more), 0, 1.0), QUEUED_INTERVAL);
    }
}
