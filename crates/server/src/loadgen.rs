//! A load generator: registers N terminals in the store, enrolls each over HTTP, then has all
//! of them upload M ratings each at once, as kiosks do (gzip'd batches of B, an honest hash
//! chain, one batch after the other per terminal), and measures ratings per second and the
//! latency of each batch. `hailong-server loadgen` and `benches/loadgen.rs` run it.
//!
//! The ratings and their gzip'd bodies are made before the clock starts: the figures are the
//! server's (HTTP, decoding, the store), not the generator's. A 429 or 503 is retried after
//! its `Retry-After` and counted; any other refusal stops the run.
//!
//! It adds terminals to the database it is given: run it against a scratch database.

use std::time::{Duration, Instant};

use chrono::{FixedOffset, SecondsFormat, Utc};
use hailong_protocol::{
    EnrollResponse, Rating, SealCause, Stage, UploadBatch, UploadResponse, encode_batch, paths,
};
use serde::Serialize;
use uuid::Uuid;

use crate::secret;
use crate::store::{NewTerminal, Store, StoreError, Terminal};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Base URL of the server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Terminals uploading at once.
    pub terminals: usize,
    /// Ratings each terminal uploads.
    pub ratings_per_terminal: usize,
    /// Ratings per batch (at most 1,000).
    pub batch: usize,
    /// Commune code of the generated terminals.
    pub commune: String,
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    /// Terminals that uploaded.
    pub terminals: usize,
    /// Ratings stored.
    pub ratings: u64,
    /// Batches posted (retries not counted).
    pub batches: u64,
    /// Batch size.
    pub batch: usize,
    /// From the first upload to the last answer, seconds.
    pub elapsed_s: f64,
    /// Ratings stored per second.
    pub ratings_per_s: f64,
    /// Median batch latency (request to parsed answer), milliseconds.
    pub batch_p50_ms: f64,
    /// 99th percentile batch latency, milliseconds.
    pub batch_p99_ms: f64,
    /// Slowest batch, milliseconds.
    pub batch_max_ms: f64,
    /// Request bodies sent (gzip'd), bytes.
    pub wire_bytes: u64,
    /// Gzip'd bytes per rating on the wire.
    pub wire_bytes_per_rating: f64,
    /// Requests answered 429 or 503 and sent again.
    pub retries: u64,
}

/// Why a run failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The options make no sense.
    #[error("{0}")]
    Options(String),
    /// The store refused to register terminals.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server could not be reached.
    #[error("HTTP: {0}")]
    Http(String),
    /// The server refused a request.
    #[error("{what}: HTTP {status}: {body}")]
    Refused {
        /// Which request.
        what: String,
        /// Its status.
        status: u16,
        /// The answer's body.
        body: String,
    },
    /// The server answered, but not what an honest upload should get.
    #[error("{0}")]
    Check(String),
}

impl From<reqwest::Error> for LoadError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's message leaves the cause (refused, timed out) to its sources.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        LoadError::Http(text)
    }
}

/// Most retries of one request answered 429 or 503.
const MAX_RETRIES: u32 = 100;

/// Runs the load: registers `options.terminals` terminals in `store` (the database the server
/// at `options.url` serves), enrolls them, and uploads.
pub async fn run<S: Store>(store: &S, options: &LoadOptions) -> Result<LoadReport, LoadError> {
    if options.terminals == 0 || options.ratings_per_terminal == 0 {
        return Err(LoadError::Options(
            "--terminals and --ratings-per-terminal must be at least 1".into(),
        ));
    }
    if !(1..=1000).contains(&options.batch) {
        return Err(LoadError::Options(
            "--batch must be between 1 and 1000 (the server's limit)".into(),
        ));
    }
    let base = options.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut kiosks = Vec::with_capacity(options.terminals);
    for _ in 0..options.terminals {
        kiosks.push(enroll(store, &client, &base, &options.commune).await?);
    }
    // Every body before the clock starts.
    let work: Vec<(String, Vec<(Vec<u8>, usize)>)> = kiosks
        .into_iter()
        .map(|(terminal, token)| {
            let ratings = chain(&terminal, options.ratings_per_terminal);
            let bodies = ratings
                .chunks(options.batch)
                .map(|chunk| {
                    let batch = UploadBatch {
                        device_time: vietnam_now(),
                        ratings: chunk.to_vec(),
                    };
                    (encode_batch(&batch, true), chunk.len())
                })
                .collect();
            (token, bodies)
        })
        .collect();
    let wire_bytes: u64 = work
        .iter()
        .flat_map(|(_, bodies)| bodies.iter().map(|(b, _)| b.len() as u64))
        .sum();
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (token, bodies) in work {
        let client = client.clone();
        let url = format!("{base}{}", paths::RATINGS);
        tasks.spawn(async move { upload_all(&client, &url, &token, bodies).await });
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut retries = 0;
    let mut ratings = 0;
    while let Some(joined) = tasks.join_next().await {
        let done = joined.map_err(|e| LoadError::Check(format!("upload task failed: {e}")))??;
        latencies.extend(done.latencies);
        retries += done.retries;
        ratings += done.created;
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(LoadReport {
        terminals: options.terminals,
        ratings,
        batches: latencies.len() as u64,
        batch: options.batch,
        elapsed_s: elapsed.as_secs_f64(),
        ratings_per_s: ratings as f64 / elapsed.as_secs_f64(),
        batch_p50_ms: ms(percentile(&latencies, 50.0)),
        batch_p99_ms: ms(percentile(&latencies, 99.0)),
        batch_max_ms: ms(latencies.last().copied().unwrap_or_default()),
        wire_bytes,
        wire_bytes_per_rating: wire_bytes as f64 / ratings.max(1) as f64,
        retries,
    })
}

/// The nearest-rank percentile of sorted `values`.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl LoadReport {
    /// The figures in a few lines for people.
    pub fn text(&self) -> String {
        format!(
            "{} terminals x {} ratings in batches of {}: {} ratings in {:.2} s = {:.0} ratings/s\n\
             batch latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} batches, {} retried)\n\
             wire: {:.1} bytes/rating gzip'd\n",
            self.terminals,
            self.ratings / self.terminals.max(1) as u64,
            self.batch,
            self.ratings,
            self.elapsed_s,
            self.ratings_per_s,
            self.batch_p50_ms,
            self.batch_p99_ms,
            self.batch_max_ms,
            self.batches,
            self.retries,
            self.wire_bytes_per_rating,
        )
    }
}

/// Registers a terminal in the store and enrolls it over HTTP (as a technician and a kiosk
/// would); returns it with its token.
async fn enroll<S: Store>(
    store: &S,
    client: &reqwest::Client,
    base: &str,
    commune: &str,
) -> Result<(Terminal, String), LoadError> {
    let code = secret::new_code().map_err(|e| LoadError::Check(format!("no randomness: {e}")))?;
    let now = Utc::now();
    let terminal = store
        .add_terminal(
            NewTerminal {
                commune_code: commune.to_owned(),
                name: "loadgen".into(),
                counter_id: Some("1".into()),
                code_hash: secret::code_hash(&code),
                expires_at: now + chrono::Duration::hours(1),
            },
            now,
        )
        .await?;
    let body = serde_json::json!({ "code": code, "app_version": "loadgen" });
    let mut attempt = 0;
    loop {
        let resp = client
            .post(format!("{base}{}", paths::ENROLL))
            .json(&body)
            .send()
            .await?;
        if let Some(wait) = retry_after(&resp) {
            attempt += 1;
            if attempt > MAX_RETRIES {
                return Err(refused("enroll", resp).await);
            }
            tokio::time::sleep(wait).await;
            continue;
        }
        if resp.status() != reqwest::StatusCode::CREATED {
            return Err(refused("enroll", resp).await);
        }
        let enrolled: EnrollResponse = resp.json().await?;
        return Ok((terminal, enrolled.token));
    }
}

/// What one terminal's uploads measured.
struct Uploaded {
    latencies: Vec<Duration>,
    retries: u64,
    created: u64,
}

async fn upload_all(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    bodies: Vec<(Vec<u8>, usize)>,
) -> Result<Uploaded, LoadError> {
    let mut done = Uploaded {
        latencies: Vec::with_capacity(bodies.len()),
        retries: 0,
        created: 0,
    };
    for (body, count) in bodies {
        let mut attempt = 0;
        loop {
            let sent = Instant::now();
            let resp = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(body.clone())
                .send()
                .await?;
            if let Some(wait) = retry_after(&resp) {
                attempt += 1;
                done.retries += 1;
                if attempt > MAX_RETRIES {
                    return Err(refused("upload", resp).await);
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            if resp.status() != reqwest::StatusCode::OK {
                return Err(refused("upload", resp).await);
            }
            let answer: UploadResponse = resp.json().await?;
            done.latencies.push(sent.elapsed());
            if answer.summary.created as usize != count {
                return Err(LoadError::Check(format!(
                    "a batch of {count} new ratings got {:?}",
                    answer.summary
                )));
            }
            done.created += u64::from(answer.summary.created);
            break;
        }
    }
    Ok(done)
}

/// The wait a 429 or 503 asks for (1 s when it does not say).
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let status = resp.status();
    if status != reqwest::StatusCode::TOO_MANY_REQUESTS
        && status != reqwest::StatusCode::SERVICE_UNAVAILABLE
    {
        return None;
    }
    let secs = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1);
    Some(Duration::from_secs(secs.clamp(1, 60)))
}

async fn refused(what: &str, resp: reqwest::Response) -> LoadError {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    LoadError::Refused {
        what: what.to_owned(),
        status,
        body,
    }
}

/// Now, as a kiosk in Vietnam writes it.
fn vietnam_now() -> String {
    let now = Utc::now();
    FixedOffset::east_opt(7 * 3600).map_or_else(
        || now.to_rfc3339_opts(SecondsFormat::Secs, true),
        |offset| {
            now.with_timezone(&offset)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        },
    )
}

/// A rating as a busy desk records it: a 3-level quick rating, mostly with a dossier code;
/// an unsatisfied one gives a reason; one in fifty carries a complaint.
pub fn sample_rating(terminal: &Terminal, seq: u64) -> Rating {
    let level = [3u8, 3, 2, 3, 2, 1, 3, 2, 3, 3][(seq % 10) as usize];
    let now = vietnam_now();
    Rating {
        id: Uuid::now_v7(),
        seq,
        terminal_id: terminal.id.clone(),
        commune_code: terminal.commune_code.clone(),
        counter_id: terminal.counter_id.clone(),
        staff_id: Some(format!("cb-{:02}", seq % 4)),
        field_id: Some(["ho-tich", "chung-thuc", "dat-dai"][(seq % 3) as usize].into()),
        dossier_code: (!seq.is_multiple_of(5)).then(|| format!("000.00.26.H55-260301-{seq:06}")),
        stage: if seq.is_multiple_of(2) {
            Stage::Receipt
        } else {
            Stage::Return
        },
        question_set_id: "nhanh-3".into(),
        question_set_version: 1,
        level,
        level_count: 3,
        answers: vec![],
        reasons: if level == 1 {
            vec!["cho-lau".into()]
        } else {
            vec![]
        },
        language: "vi".into(),
        device_time: now.clone(),
        sealed_at: now,
        seal_cause: SealCause::Completed,
        flags: vec![],
        prev_hash: String::new(),
        comment: None,
        complaint: seq.is_multiple_of(50),
        callback: None,
        hash: String::new(),
    }
}

/// Ratings 1..=n of `terminal`, an honest hash chain.
pub fn chain(terminal: &Terminal, n: usize) -> Vec<Rating> {
    let mut prev = hailong_protocol::chain::genesis(&terminal.id);
    (1..=n as u64)
        .map(|seq| {
            let mut rating = sample_rating(terminal, seq);
            rating.link(prev.clone());
            prev.clone_from(&rating.hash);
            rating
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&values, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&values[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn a_sample_chain_verifies() {
        let terminal = Terminal {
            id: "99999-001".into(),
            commune_code: "99999".into(),
            name: "t".into(),
            counter_id: Some("1".into()),
        };
        let ratings = chain(&terminal, 3);
        assert_eq!(ratings[1].prev_hash, ratings[0].hash);
        for r in &ratings {
            assert!(r.validate().is_ok(), "{r:?}");
        }
    }
}
