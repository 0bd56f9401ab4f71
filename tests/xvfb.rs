//! End to end: the real `hailong` binary in a real X window under Xvfb, tapped with xdotool,
//! and the rating found through `hailong status --json`.
//!
//! Needs Xvfb and xdotool (`apt-get install xvfb xdotool`). On a machine without them the test
//! says so and passes, so that `cargo test` works anywhere; CI installs them and sets
//! HAILONG_REQUIRE_XVFB=1, which makes their absence a failure.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    /// SIGTERM first, so that Xvfb removes its lock file and socket; SIGKILL if it lingers.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts Xvfb on a display it picks itself (`-displayfd`: it writes the number once it accepts
/// connections, so there is no race with a stale socket or another X server).
fn start_xvfb() -> (Killed, String) {
    use std::io::BufRead as _;
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let stdout = child.stdout.take().expect("Xvfb's stdout");
    let xvfb = Killed(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let number = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("Xvfb says which display it runs");
    let number: u32 = number.trim().parse().expect("a display number");
    (xvfb, format!(":{number}"))
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let output = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("run xdotool");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn status(data: &Path) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_hailong"))
        .args(["status", "--json"])
        .env("HAILONG_DATA_DIR", data)
        .env("HAILONG_CONFIG_DIR", data)
        .output()
        .expect("run hailong status");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("status --json is JSON")
}

/// Starts the kiosk on `display` with its data in `data`; its window within 30 s, or its log.
fn start_kiosk(display: &str, data: &Path, log_name: &str) -> Result<Killed, String> {
    let log = data.join(log_name);
    let log_file = std::fs::File::create(&log).expect("kiosk log");
    let kiosk = Killed(
        Command::new(env!("CARGO_BIN_EXE_hailong"))
            .args(["--size", "1280x800"])
            .env("DISPLAY", display)
            .env_remove("WAYLAND_DISPLAY")
            .env("HAILONG_DATA_DIR", data)
            .env("HAILONG_CONFIG_DIR", data)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start hailong"),
    );
    let pid = kiosk.0.id().to_string();
    let start = Instant::now();
    while xdotool(display, &["search", "--onlyvisible", "--pid", &pid])
        .trim()
        .is_empty()
    {
        if start.elapsed() > Duration::from_secs(30) {
            let exited = kiosk.0.id();
            drop(kiosk);
            return Err(format!(
                "(pid {exited})\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        sleep(Duration::from_millis(200));
    }
    Ok(kiosk)
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_tap_in_the_real_window_is_a_rating_in_the_store() {
    if !(have("Xvfb") && have("xdotool")) {
        assert!(
            std::env::var_os("HAILONG_REQUIRE_XVFB").is_none(),
            "HAILONG_REQUIRE_XVFB is set but Xvfb or xdotool is missing (apt-get install xvfb xdotool)"
        );
        eprintln!("SKIPPED: Xvfb or xdotool is not installed; the X11 end-to-end test did not run");
        return;
    }
    let data = tempfile::tempdir().expect("tempdir");
    let (_xvfb, display) = start_xvfb();
    // A window that has not shown after 30 s is reported (with the kiosk's log) and the kiosk
    // started once more, as systemd restarts a kiosk that never says READY; a second miss
    // fails. (This once took more than 60 s on a loaded machine, cause not found; the log
    // printed here is the lead.)
    let _kiosk = match start_kiosk(&display, data.path(), "kiosk-1.log") {
        Ok(started) => started,
        Err(log) => {
            eprintln!(
                "WARNING: no kiosk window on {display} after 30 s; starting it again. Its log:\n{log}"
            );
            start_kiosk(&display, data.path(), "kiosk-2.log").unwrap_or_else(|log| {
                panic!("no kiosk window on {display} after two starts; the last log:\n{log}")
            })
        }
    };
    // The database is created by the kiosk's writer at start.
    wait_for("the database", Duration::from_secs(30), || {
        data.path().join("hailong.db").exists()
    });
    sleep(Duration::from_secs(2));

    // The demo's quick set: "Rất hài lòng" is the leftmost of three buttons in the lower half.
    let _ = xdotool(&display, &["mousemove", "225", "560", "click", "1"]);
    wait_for("the draft", Duration::from_secs(20), || {
        status(data.path())["drafts"] == 1
    });
    // Then the comment page: "Bỏ qua" (skip) beside "Gửi", above the keyboard.
    sleep(Duration::from_secs(1));
    let _ = xdotool(&display, &["mousemove", "841", "406", "click", "1"]);
    // Then the dossier page: "Bỏ qua" (skip) at the bottom left.
    sleep(Duration::from_secs(1));
    let _ = xdotool(&display, &["mousemove", "157", "731", "click", "1"]);
    wait_for("the sealed rating", Duration::from_secs(20), || {
        status(data.path())["ratings_total"] == 1
    });
    let status = status(data.path());
    assert_eq!(status["by_level"]["3/3"], 1, "{status:#}");
    assert_eq!(status["drafts"], 0);
    assert_eq!(status["demo"], true);
}
