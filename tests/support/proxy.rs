//! A fault-injecting HTTP/1.1 proxy between the kiosk and the server, on a loopback port of
//! its own (the kiosk's server URL points at it, so the server behind it can be replaced).
//!
//! It reads each request whole (head and Content-Length body), asks the test's rule what to
//! do with it, and forwards it with `Connection: close`, so every request has a connection of
//! its own and a fault hits exactly the request it was meant for.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and relay the answer.
    Pass,
    /// Wait, then forward it.
    Delay(Duration),
    /// Forward only the first N bytes of the request, then close both sides: the server never
    /// sees a whole request, the kiosk never gets an answer.
    CutRequest(usize),
    /// Forward the request whole, relay only the first N bytes of the answer, then close:
    /// the server committed, the kiosk never learns it.
    CutResponse(usize),
    /// Answer itself with this status and a JSON error body (429 carries `Retry-After: 1`).
    Status(u16),
    /// Send the request to the server twice (a middlebox retrying a POST) and relay the second
    /// answer.
    Replay,
}

/// What the rule sees of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// How many requests with the same method and path came before this one.
    pub nth: usize,
}

type Rule = Box<dyn FnMut(&Request) -> Fault + Send>;

struct Shared {
    upstream: Mutex<SocketAddr>,
    rule: Mutex<Rule>,
    log: Mutex<Vec<(Request, Fault)>>,
    replayed: Mutex<Vec<Vec<u8>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running proxy; stops when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// A proxy to `upstream` that passes everything until a rule is set.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            rule: Mutex::new(Box::new(|_: &Request| Fault::Pass)),
            log: Mutex::new(Vec::new()),
            replayed: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = Arc::clone(&accepting);
                tokio::spawn(async move {
                    let _ = handle(stream, &shared).await;
                });
            }
        });
        Self { addr, shared, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points the proxy at another server (a restarted one on a new port).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.shared.upstream) = upstream;
    }

    /// Decides the fault of each request from now on.
    pub fn set_rule(&self, rule: impl FnMut(&Request) -> Fault + Send + 'static) {
        *lock(&self.shared.rule) = Box::new(rule);
    }

    /// Every request seen so far with the fault applied.
    pub fn log(&self) -> Vec<(Request, Fault)> {
        lock(&self.shared.log).clone()
    }

    /// Requests seen with this method and path whose fault satisfies `which`.
    pub fn count(&self, method: &str, path: &str, which: impl Fn(&Fault) -> bool) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|(r, f)| r.method == method && r.path == path && which(f))
            .count()
    }

    /// The bodies of the second answers of replayed requests.
    pub fn replayed_answers(&self) -> Vec<Vec<u8>> {
        lock(&self.shared.replayed).clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A request read whole: head rewritten with `Connection: close`, then the body.
struct Whole {
    method: String,
    path: String,
    bytes: Vec<u8>,
}

async fn handle(mut client: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let Some(whole) = read_request(&mut client).await? else {
        return Ok(());
    };
    let fault = {
        let mut rule = lock(&shared.rule);
        let mut log = lock(&shared.log);
        let nth = log
            .iter()
            .filter(|(r, _)| r.method == whole.method && r.path == whole.path)
            .count();
        let request = Request {
            method: whole.method.clone(),
            path: whole.path.clone(),
            nth,
        };
        let fault = (*rule)(&request);
        log.push((request, fault));
        fault
    };
    let upstream = *lock(&shared.upstream);
    match fault {
        Fault::Status(status) => {
            client.write_all(&canned(status)).await?;
            client.shutdown().await
        }
        Fault::CutRequest(keep) => {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                server
                    .write_all(&whole.bytes[..keep.min(whole.bytes.len())])
                    .await?;
                server.shutdown().await?;
            }
            // Dropping the client's connection without a byte of answer.
            Ok(())
        }
        Fault::CutResponse(keep) => {
            let Ok(answer) = exchange(upstream, &whole.bytes).await else {
                return client.write_all(&canned(502)).await;
            };
            client.write_all(&answer[..keep.min(answer.len())]).await?;
            client.shutdown().await
        }
        Fault::Replay => {
            let first = exchange(upstream, &whole.bytes).await;
            let second = exchange(upstream, &whole.bytes).await;
            match (first, second) {
                (Ok(_), Ok(answer)) => {
                    if let Some(at) = find(&answer, b"\r\n\r\n") {
                        lock(&shared.replayed).push(answer[at + 4..].to_vec());
                    }
                    client.write_all(&answer).await?;
                }
                _ => client.write_all(&canned(502)).await?,
            }
            client.shutdown().await
        }
        Fault::Delay(wait) => {
            tokio::time::sleep(wait).await;
            relay(&mut client, upstream, &whole.bytes).await
        }
        Fault::Pass => relay(&mut client, upstream, &whole.bytes).await,
    }
}

async fn relay(client: &mut TcpStream, upstream: SocketAddr, bytes: &[u8]) -> std::io::Result<()> {
    match exchange(upstream, bytes).await {
        Ok(answer) => client.write_all(&answer).await?,
        // Like a reverse proxy whose backend is down.
        Err(_) => client.write_all(&canned(502)).await?,
    }
    client.shutdown().await
}

/// Sends `bytes` to the server on a new connection and reads the answer to the end (the
/// request asked for `Connection: close`).
async fn exchange(upstream: SocketAddr, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(bytes).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    if answer.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed without answering",
        ));
    }
    Ok(answer)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request: the head up to the blank line, then Content-Length bytes of body.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Whole>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    let mut rewritten = format!("{request_line}\r\n");
    for line in lines {
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") || lower.starts_with("keep-alive:") {
            continue;
        }
        rewritten.push_str(line);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("connection: close\r\n\r\n");
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let mut bytes = rewritten.into_bytes();
    bytes.extend_from_slice(&body);
    Ok(Some(Whole {
        method,
        path,
        bytes,
    }))
}

/// An answer made by the proxy itself.
fn canned(status: u16) -> Vec<u8> {
    let (reason, code) = match status {
        429 => ("Too Many Requests", "rate_limited"),
        500 => ("Internal Server Error", "internal"),
        502 => ("Bad Gateway", "unavailable"),
        503 => ("Service Unavailable", "unavailable"),
        _ => ("Injected", "internal"),
    };
    let body = format!(r#"{{"error":"{code}","message":"injected by the test proxy"}}"#);
    let retry = if status == 429 {
        "retry-after: 1\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n{retry}\r\n{body}",
        body.len()
    )
    .into_bytes()
}
