//! One sync round: ask what the server holds, settle the difference, upload the rest in
//! batches, send a heartbeat, fetch a new configuration if there is one.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use hailong_protocol::{self as wire, HeartbeatRequest, RatingOutcome, UploadBatch};

use super::client::Client;
use super::plan::{Local, plan};
use super::{SyncError, to_wire};
use crate::config::{ServerLink, TerminalConfig};
use crate::store::sync_state::{Outcome, meta};
use crate::store::{StoreError, Writer};

/// Ratings per batch (the server takes at most 1,000 and 1 MiB).
pub const BATCH: usize = wire::MAX_BATCH_RATINGS;

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundReport {
    /// Ratings the server stored now.
    pub created: u64,
    /// Ratings it already held (a retry after a lost reply).
    pub duplicates: u64,
    /// Ratings it refused and quarantined (conflict or invalid).
    pub quarantined: u64,
    /// Ratings marked held from the server's status, without uploading.
    pub accounted: u64,
    /// Batches uploaded.
    pub batches: u64,
    /// Sealed ratings still queued after the round.
    pub queued: u64,
    /// Device clock minus server clock, seconds.
    pub clock_offset_seconds: Option<i64>,
    /// A configuration newer than the one running, already written to terminal.toml.
    pub new_config: Option<Box<TerminalConfig>>,
    /// Its version (ETag), already written to server.toml. A caller that runs rounds one after
    /// another must carry it into the link of the next round, or that round fetches the same
    /// configuration again (and its heartbeat reports the old version).
    pub new_config_version: Option<String>,
    /// Ratings of earlier terminal ids (before a re-provisioning) their servers stored now.
    pub earlier_sent: u64,
    /// Ratings of earlier terminal ids still held on this terminal after the round.
    pub earlier_held: u64,
}

/// Whose round: the terminal's current link, or one it had before a re-provisioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Current,
    Earlier,
}

/// What a round needs.
#[derive(Debug, Clone)]
pub struct Round<'a> {
    pub writer: &'a Writer,
    pub client: &'a Client,
    pub link: &'a ServerLink,
    pub config_dir: &'a Path,
    pub clock: fn() -> DateTime<FixedOffset>,
}

impl Round<'_> {
    /// Runs the round and records its success or error in the store (for status screens).
    pub async fn run(&self) -> Result<RoundReport, SyncError> {
        self.run_as(Kind::Current).await
    }

    /// Runs a round for a link this terminal had before it was re-provisioned: the unsent
    /// ratings of that terminal id go to that server. No configuration is taken from it, and
    /// its success or error is recorded apart (see [`super::earlier::meta_key`]).
    pub async fn run_earlier(&self) -> Result<RoundReport, SyncError> {
        self.run_as(Kind::Earlier).await
    }

    async fn run_as(&self, kind: Kind) -> Result<RoundReport, SyncError> {
        let key = |key: &str| match kind {
            Kind::Current => key.to_owned(),
            Kind::Earlier => super::earlier::meta_key(&self.link.terminal_id, key),
        };
        let (attempt_key, success_key, error_key) = (
            key(meta::LAST_ATTEMPT),
            key(meta::LAST_SUCCESS),
            key(meta::LAST_ERROR),
        );
        let attempt = (self.clock)().to_rfc3339();
        let _ = self
            .writer
            .run(move |store| store?.set_sync_meta(&[(&attempt_key, &attempt)]))
            .await;
        let result = self.exchange(kind).await;
        let finished = (self.clock)().to_rfc3339();
        let error = result.as_ref().err().map(ToString::to_string);
        let _ = self
            .writer
            .run(move |store| {
                let store = store?;
                match &error {
                    None => store.set_sync_meta(&[(&success_key, &finished), (&error_key, "")]),
                    Some(error) => store.set_sync_meta(&[(&error_key, error)]),
                }
            })
            .await;
        result
    }

    async fn exchange(&self, kind: Kind) -> Result<RoundReport, SyncError> {
        let terminal = self.link.terminal_id.clone();
        let mut report = RoundReport::default();
        let status = self.client.status().await?;
        let t = terminal.clone();
        let local = self
            .writer
            .run(move |store| {
                let store = store?;
                Ok(Local {
                    last_seq: store.last_seq(&t)?,
                    highest_marked_sent: store.highest_sent(&t)?,
                    uploaded_through: store.uploaded_through(&t)?,
                    quarantined: store.quarantined_count(&t)?,
                })
            })
            .await?;
        let steps = plan(&status, local);
        let t = terminal.clone();
        let now = (self.clock)();
        report.accounted = self
            .writer
            .run(move |store| {
                let store = store?;
                if let Some(above) = steps.raise_sequence_above
                    && store.raise_sequence(&t, above)?
                {
                    tracing::warn!(
                        above,
                        "the server holds higher sequence numbers; continuing above them"
                    );
                }
                if let Some(above) = steps.resend_above {
                    let n = store.forget_sent_above(&t, above)?;
                    tracing::warn!(
                        above,
                        n,
                        "the server lost ratings it had; sending them again"
                    );
                }
                let marked = match steps.mark_accounted_up_to {
                    Some(up_to) => store.mark_accounted(&t, up_to, now)?,
                    None => 0,
                };
                Ok(marked as u64)
            })
            .await?;

        // Each batch starts after the last one: from 0 every time, the query would step over
        // every rating already answered, quadratic in the backlog.
        let mut after = 0;
        loop {
            let t = terminal.clone();
            let pending = self
                .writer
                .run(move |store| store?.unsent(&t, after, BATCH))
                .await?;
            if pending.is_empty() {
                break;
            }
            let mut ratings: Vec<wire::Rating> = pending.iter().filter_map(to_wire).collect();
            // Keep the JSON under the server's 1 MiB limit.
            while ratings.len() > 1
                && serde_json::to_vec(&ratings).map_or(0, |v| v.len())
                    > wire::MAX_BATCH_BYTES - 4096
            {
                ratings.truncate(ratings.len() / 2);
            }
            let batch = UploadBatch {
                device_time: (self.clock)().to_rfc3339(),
                ratings,
            };
            // Before the request leaves: the server may commit it and the answer be lost.
            let (t, through) = (terminal.clone(), batch.ratings.last().map_or(0, |r| r.seq));
            after = through;
            self.writer
                .run(move |store| store?.note_upload(&t, through))
                .await?;
            let response = self.client.upload(&batch).await?;
            report.batches += 1;
            let mut outcomes = Vec::new();
            for result in &response.results {
                let Some(rating) = usize::try_from(result.index)
                    .ok()
                    .and_then(|i| batch.ratings.get(i))
                else {
                    continue;
                };
                let outcome = match &result.outcome {
                    RatingOutcome::Created => {
                        report.created += 1;
                        Outcome::Sent
                    }
                    RatingOutcome::Duplicate => {
                        report.duplicates += 1;
                        Outcome::Sent
                    }
                    RatingOutcome::Conflict { message } => {
                        report.quarantined += 1;
                        Outcome::Quarantined {
                            detail: format!("conflict: {message}"),
                        }
                    }
                    RatingOutcome::Invalid { field, message } => {
                        report.quarantined += 1;
                        Outcome::Quarantined {
                            detail: format!("invalid {field}: {message}"),
                        }
                    }
                    RatingOutcome::Unknown => {
                        report.quarantined += 1;
                        Outcome::Quarantined {
                            detail: "the server gave an unknown status".into(),
                        }
                    }
                };
                if !result.outcome.is_stored() {
                    tracing::warn!(id = %rating.id, seq = rating.seq, ?outcome, "the server quarantined a rating");
                }
                outcomes.push((rating.id, outcome));
            }
            if outcomes.is_empty() {
                return Err(SyncError::Protocol {
                    status: 200,
                    message: "the server answered for none of the batch".into(),
                });
            }
            let now = (self.clock)();
            self.writer
                .run(move |store| store?.record_outcomes(&outcomes, now))
                .await?;
        }

        let t = terminal.clone();
        report.queued = self.writer.run(move |store| store?.queue_len(&t)).await?;
        let t = terminal.clone();
        let chain_head = self.writer.run(move |store| store?.chain_head(&t)).await?;
        let heartbeat = self
            .client
            .heartbeat(&HeartbeatRequest {
                device_time: (self.clock)().to_rfc3339(),
                queue_length: report.queued,
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
                config_version: self.link.config_version.clone(),
                // The server keeps it as an anchor against later rewrites.
                chain_head,
            })
            .await?;
        report.clock_offset_seconds = Some(heartbeat.clock_offset_seconds);
        let offset = heartbeat.clock_offset_seconds.to_string();
        let _ = self
            .writer
            .run(move |store| store?.set_sync_meta(&[(meta::CLOCK_OFFSET, &offset)]))
            .await;
        if heartbeat.clock_suspect {
            tracing::warn!(
                offset_seconds = heartbeat.clock_offset_seconds,
                "the device clock is more than an hour off the server's"
            );
        }
        if kind == Kind::Current
            && heartbeat.config_version.is_some()
            && heartbeat.config_version != self.link.config_version
            && let Some((config, version)) = self.fetch_config().await?
        {
            report.new_config = Some(config);
            report.new_config_version = Some(version);
        }
        Ok(report)
    }

    /// Fetches, validates and writes a newer configuration. A configuration that does not
    /// validate is refused (logged) and the last good one stays.
    async fn fetch_config(&self) -> Result<Option<(Box<TerminalConfig>, String)>, SyncError> {
        let Some(envelope) = self
            .client
            .config(self.link.config_version.as_deref())
            .await?
        else {
            return Ok(None);
        };
        let config = match TerminalConfig::from_server(&envelope.document, self.link) {
            Ok(config) => config,
            Err(error) => {
                tracing::error!(%error, version = %envelope.version, "refused a configuration from the server; keeping the last good one");
                return Ok(None);
            }
        };
        let io = |e: std::io::Error| SyncError::Store(StoreError::Io(e.to_string()));
        config.save(self.config_dir).map_err(io)?;
        let mut link = self.link.clone();
        link.config_version = Some(envelope.version.clone());
        link.save(self.config_dir).map_err(io)?;
        tracing::info!(version = %envelope.version, "new configuration from the server");
        Ok(Some((Box::new(config), envelope.version)))
    }
}
