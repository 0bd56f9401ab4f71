//! The HTTP client of /api/v1 (reqwest with rustls): timeouts always set, a provincial CA and a
//! proxy from the terminal's configuration, batches sent gzip'd.

use std::time::Duration;

use hailong_protocol::{
    self as wire, ConfigEnvelope, EnrollRequest, EnrollResponse, ErrorBody, HeartbeatRequest,
    HeartbeatResponse, SyncStatus, UploadBatch, UploadResponse, paths,
};
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;

use super::SyncError;
use crate::config::ServerLink;

/// How long to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take (a 1 MiB batch on a slow commune line).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How to reach a server before enrollment (URL, CA, proxy).
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    pub url: String,
    pub ca_cert: Option<std::path::PathBuf>,
    pub proxy: Option<String>,
}

impl From<&ServerLink> for Endpoint {
    fn from(link: &ServerLink) -> Self {
        Self {
            url: link.url.clone(),
            ca_cert: link.ca_cert.clone(),
            proxy: link.proxy.clone(),
        }
    }
}

/// A client of one server, authenticated as one terminal.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

fn http_client(endpoint: &Endpoint) -> Result<reqwest::Client, SyncError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("hailong/", env!("CARGO_PKG_VERSION")))
        .gzip(true);
    if let Some(path) = &endpoint.ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            SyncError::Settings(format!(
                "cannot read the CA certificate {}: {e}",
                path.display()
            ))
        })?;
        let certificate = reqwest::Certificate::from_pem(&pem).map_err(|e| {
            SyncError::Settings(format!("{} is not a PEM certificate: {e}", path.display()))
        })?;
        // A provincial CA replaces the public roots: trust only it.
        builder = builder
            .tls_built_in_root_certs(false)
            .add_root_certificate(certificate);
    }
    if let Some(proxy) = &endpoint.proxy {
        let proxy = reqwest::Proxy::all(proxy)
            .map_err(|e| SyncError::Settings(format!("proxy \"{proxy}\": {e}")))?;
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| SyncError::Settings(e.to_string()))
}

fn url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Exchanges a one-time enrollment code for this terminal's id, token and configuration.
pub async fn enroll(endpoint: &Endpoint, code: &str) -> Result<EnrollResponse, SyncError> {
    let http = http_client(endpoint)?;
    let request = EnrollRequest {
        code: code.to_owned(),
        app_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    };
    let response = http
        .post(url(&endpoint.url, paths::ENROLL))
        .json(&request)
        .send()
        .await
        .map_err(transport)?;
    json(response).await
}

impl Client {
    /// A client for the linked server.
    pub fn new(link: &ServerLink) -> Result<Self, SyncError> {
        Ok(Self {
            http: http_client(&Endpoint::from(link))?,
            base: link.url.clone(),
            token: link.token.clone(),
        })
    }

    /// What the server holds of this terminal's sequence.
    pub async fn status(&self) -> Result<SyncStatus, SyncError> {
        let response = self
            .http
            .get(url(&self.base, paths::SYNC_STATUS))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(transport)?;
        json(response).await
    }

    /// Uploads one batch, gzip'd.
    pub async fn upload(&self, batch: &UploadBatch) -> Result<UploadResponse, SyncError> {
        let body = wire::encode_batch(batch, true);
        let response = self
            .http
            .post(url(&self.base, paths::RATINGS))
            .bearer_auth(&self.token)
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_ENCODING, "gzip")
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        json(response).await
    }

    /// Tells the server the queue, versions and clock.
    pub async fn heartbeat(
        &self,
        request: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, SyncError> {
        let response = self
            .http
            .post(url(&self.base, paths::HEARTBEAT))
            .bearer_auth(&self.token)
            .json(request)
            .send()
            .await
            .map_err(transport)?;
        json(response).await
    }

    /// The configuration, unless it is still `current` (then `None`).
    pub async fn config(&self, current: Option<&str>) -> Result<Option<ConfigEnvelope>, SyncError> {
        let mut request = self
            .http
            .get(url(&self.base, paths::CONFIG))
            .bearer_auth(&self.token);
        if let Some(version) = current {
            request = request.header(IF_NONE_MATCH, format!("\"{version}\""));
        }
        let response = request.send().await.map_err(transport)?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_owned());
        let envelope: ConfigEnvelope = json(response).await?;
        if let Some(etag) = etag
            && etag != envelope.version
        {
            tracing::warn!(%etag, version = %envelope.version, "ETag and config version differ");
        }
        Ok(Some(envelope))
    }
}

fn transport(error: reqwest::Error) -> SyncError {
    let text = chain(&error);
    // rustls's errors say "invalid peer certificate: UnknownIssuer" in words, and
    // "InvalidCertificate(...)" in their Debug form.
    let all = format!("{text} {error:?}").to_ascii_lowercase();
    if all.contains("certificate") || all.contains("rustls") || all.contains("tls") {
        SyncError::Tls(text)
    } else {
        SyncError::Network(text)
    }
}

/// The error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, SyncError> {
    let status = response.status();
    if status.is_success() {
        let bytes = response.bytes().await.map_err(transport)?;
        return serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol {
            status: status.as_u16(),
            message: format!("unreadable reply: {e}"),
        });
    }
    let wait = retry_after(&response);
    let body: Option<ErrorBody> = response
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let (code, message) = body.map_or_else(
        || (String::new(), status.to_string()),
        |b| (b.error, b.message),
    );
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => SyncError::RateLimited { retry_after: wait },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SyncError::Refused { code, message },
        s if s.is_server_error() => SyncError::Server {
            status: s.as_u16(),
            message,
            retry_after: wait,
        },
        s => SyncError::Protocol {
            status: s.as_u16(),
            message: if code.is_empty() {
                message
            } else {
                format!("{code}: {message}")
            },
        },
    })
}
