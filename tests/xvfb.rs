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
    fn drop(&mut self) {
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

fn free_display() -> u32 {
    (140..240)
        .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .expect("a free X display number")
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
    let display_number = free_display();
    let display = format!(":{display_number}");
    let _xvfb = Killed(
        Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb"),
    );
    wait_for("Xvfb", Duration::from_secs(10), || {
        Path::new(&format!("/tmp/.X11-unix/X{display_number}")).exists()
    });

    let kiosk = Killed(
        Command::new(env!("CARGO_BIN_EXE_hailong"))
            .args(["--size", "1280x800"])
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .env("HAILONG_DATA_DIR", data.path())
            .env("HAILONG_CONFIG_DIR", data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hailong"),
    );
    let pid = kiosk.0.id().to_string();
    wait_for("the kiosk window", Duration::from_secs(60), || {
        !xdotool(&display, &["search", "--onlyvisible", "--pid", &pid])
            .trim()
            .is_empty()
    });
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
