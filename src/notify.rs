//! systemd's service notifications (`sd_notify`), std only: `READY=1` once the kiosk's event
//! loop runs, then `WATCHDOG=1` from the UI's own tick, so that a hung UI loop stops pinging
//! and systemd (`WatchdogSec=`) restarts the kiosk. A datagram to `$NOTIFY_SOCKET` (a path, or
//! an abstract socket name starting with `@`); nothing at all when it is unset (a development
//! run, Windows, a unit of `Type=simple`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Pings when systemd says nothing of the period (`WATCHDOG_USEC` unset).
const DEFAULT_PING: Duration = Duration::from_secs(5);

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Path(PathBuf),
    /// A Linux abstract socket name (without the leading `@`).
    Abstract(Vec<u8>),
}

/// Sends the kiosk's state to systemd. The default sends nothing.
#[derive(Debug, Default)]
pub struct Notifier {
    target: Option<Target>,
    #[cfg(unix)]
    socket: Option<std::os::unix::net::UnixDatagram>,
    /// Time between two `WATCHDOG=1`.
    ping_every: Option<Duration>,
    ready_sent: bool,
    last_ping: Option<Instant>,
}

impl Notifier {
    /// From the environment systemd gives a service: `NOTIFY_SOCKET` and `WATCHDOG_USEC`.
    pub fn from_env() -> Self {
        Self::from_vars(
            std::env::var_os("NOTIFY_SOCKET"),
            std::env::var("WATCHDOG_USEC").ok(),
        )
    }

    /// From the values of `NOTIFY_SOCKET` and `WATCHDOG_USEC`. The watchdog is pinged three
    /// times per period, as systemd advises at least twice. `WATCHDOG_PID` is not checked:
    /// under cage the service's main process is cage, and the kiosk is its child.
    pub fn from_vars(notify_socket: Option<OsString>, watchdog_usec: Option<String>) -> Self {
        let Some(socket) = notify_socket.filter(|s| !s.is_empty()) else {
            return Self::default();
        };
        let target = match socket.to_str().and_then(|s| s.strip_prefix('@')) {
            Some(name) => Target::Abstract(name.as_bytes().to_vec()),
            None => Target::Path(PathBuf::from(socket)),
        };
        let period = watchdog_usec
            .and_then(|usec| usec.trim().parse::<u64>().ok())
            .filter(|usec| *usec > 0)
            .map(Duration::from_micros);
        Self::to_target(target, Some(period.map_or(DEFAULT_PING, |p| p / 3)))
    }

    /// Notifications to the datagram socket at `path`, pinging every `ping_every`.
    pub fn to_socket(path: impl Into<PathBuf>, ping_every: Duration) -> Self {
        Self::to_target(Target::Path(path.into()), Some(ping_every))
    }

    fn to_target(target: Target, ping_every: Option<Duration>) -> Self {
        #[cfg(unix)]
        let socket = match std::os::unix::net::UnixDatagram::unbound()
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
        {
            Ok(socket) => Some(socket),
            Err(error) => {
                tracing::error!(%error, "cannot create the systemd notification socket");
                None
            }
        };
        Self {
            target: Some(target),
            #[cfg(unix)]
            socket,
            ping_every,
            ready_sent: false,
            last_ping: None,
        }
    }

    /// Whether notifications are sent at all.
    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// Called on every tick of the UI at `now`: `READY=1` the first time, and `WATCHDOG=1`
    /// whenever the last ping is older than the ping period.
    pub fn tick(&mut self, now: Instant) {
        if self.target.is_none() {
            return;
        }
        if !self.ready_sent {
            self.ready_sent = true;
            self.send("READY=1");
            tracing::info!("told systemd the kiosk is ready");
        }
        let due = match (self.last_ping, self.ping_every) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(last), Some(every)) => now.saturating_duration_since(last) >= every,
        };
        if due {
            self.last_ping = Some(now);
            self.send("WATCHDOG=1");
        }
    }

    /// Sends one notification. A failure is logged, never fatal: the kiosk keeps serving
    /// citizens (systemd restarts it if the watchdog starves).
    pub fn send(&self, state: &str) {
        if let Err(error) = self.try_send(state) {
            tracing::warn!(%error, state, "cannot notify systemd");
        }
    }

    #[cfg(unix)]
    fn try_send(&self, state: &str) -> std::io::Result<()> {
        let (Some(socket), Some(target)) = (&self.socket, &self.target) else {
            return Ok(());
        };
        match target {
            Target::Path(path) => socket.send_to(state.as_bytes(), path).map(|_| ()),
            Target::Abstract(name) => send_abstract(socket, name, state),
        }
    }

    #[cfg(not(unix))]
    fn try_send(&self, _state: &str) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn send_abstract(
    socket: &std::os::unix::net::UnixDatagram,
    name: &[u8],
    state: &str,
) -> std::io::Result<()> {
    use std::os::linux::net::SocketAddrExt as _;
    let address = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
    socket.send_to_addr(state.as_bytes(), &address).map(|_| ())
}

#[cfg(all(unix, not(target_os = "linux")))]
fn send_abstract(
    _socket: &std::os::unix::net::UnixDatagram,
    _name: &[u8],
    _state: &str,
) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "abstract sockets exist on Linux only",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    fn received(socket: &UnixDatagram) -> Vec<String> {
        let mut got = Vec::new();
        let mut buffer = [0u8; 256];
        while let Ok(n) = socket.recv(&mut buffer) {
            got.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
        }
        got
    }

    #[test]
    fn ready_once_then_a_watchdog_ping_per_period() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify");
        let systemd = UnixDatagram::bind(&path).expect("bind");
        systemd.set_nonblocking(true).expect("nonblocking");
        let mut notifier = Notifier::to_socket(&path, Duration::from_secs(10));
        let start = Instant::now();
        notifier.tick(start);
        assert_eq!(received(&systemd), ["READY=1", "WATCHDOG=1"]);
        notifier.tick(start + Duration::from_secs(3));
        assert!(received(&systemd).is_empty(), "no ping before the period");
        notifier.tick(start + Duration::from_secs(10));
        notifier.tick(start + Duration::from_secs(11));
        assert_eq!(received(&systemd), ["WATCHDOG=1"]);
    }

    #[test]
    fn nothing_without_notify_socket_and_the_period_from_watchdog_usec() {
        let mut silent = Notifier::from_vars(None, Some("30000000".into()));
        assert!(!silent.enabled());
        silent.tick(Instant::now());
        let notifier = Notifier::from_vars(Some("/run/x".into()), Some("30000000".into()));
        assert_eq!(notifier.ping_every, Some(Duration::from_secs(10)));
        assert_eq!(notifier.target, Some(Target::Path("/run/x".into())));
        let abstract_name = Notifier::from_vars(Some("@sd".into()), None);
        assert_eq!(abstract_name.target, Some(Target::Abstract(b"sd".to_vec())));
        assert_eq!(abstract_name.ping_every, Some(DEFAULT_PING));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_abstract_socket_gets_the_notification() {
        use std::os::linux::net::SocketAddrExt as _;
        let name = format!("hailong-test-{}", std::process::id());
        let address =
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("name");
        let systemd = UnixDatagram::bind_addr(&address).expect("bind");
        systemd.set_nonblocking(true).expect("nonblocking");
        let mut notifier = Notifier::from_vars(Some(format!("@{name}").into()), None);
        notifier.tick(Instant::now());
        assert_eq!(received(&systemd), ["READY=1", "WATCHDOG=1"]);
    }
}
