//! Time to first frame. Prints figures; asserts nothing.
//!
//! 1. In process: load the configuration and i18n, open the store, build the app and draw its
//!    first frame with tiny-skia (headless, as iced_test does), median of several runs.
//! 2. The real binary under Xvfb (when Xvfb and xdotool exist): from spawn to a visible window.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hailong::app::{App, Now, Setup};
use hailong::config::{ConfigSource, TerminalConfig};
use hailong::i18n::I18n;
use hailong::store::Writer;
use hailong::{font, theme};
use iced::Size;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn in_process(runs: usize) -> (Duration, Duration) {
    let mut boot = Vec::new();
    let mut frame = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let start = Instant::now();
        let config = TerminalConfig::demo();
        let i18n = I18n::embedded().expect("i18n");
        let (writer, opened) = Writer::spawn(&dir.path().join("hailong.db"), || {
            chrono::Local::now().fixed_offset()
        });
        let app = App::new(
            Setup {
                config,
                source: ConfigSource::Demo,
                i18n,
                writer,
                sync: None,
                setup_mode: false,
                config_dir: dir.path().join("config"),
                usb_roots: Vec::new(),
                kiosk: true,
                window: Size::new(1280.0, 800.0),
                // As the app does: the sound card is looked for at start.
                speaker: hailong::audio::Speaker::detect(),
            },
            Now::system(),
        );
        let _ = futures::executor::block_on(opened).expect("store opens");
        boot.push(start.elapsed());
        let mut ui =
            iced_test::Simulator::with_size(font::settings(), Size::new(1280.0, 800.0), app.view());
        let _ = ui.snapshot(&theme::theme()).expect("first frame");
        frame.push(start.elapsed());
    }
    (median(boot), median(frame))
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn real_window(runs: usize) -> Option<Duration> {
    if !(have("Xvfb") && have("xdotool")) {
        return None;
    }
    let display = ":187";
    let mut xvfb = Command::new("Xvfb")
        .args([display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_secs(1));
    let binary = env!("CARGO_BIN_EXE_hailong");
    let mut samples = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let start = Instant::now();
        let mut kiosk = Command::new(binary)
            .args(["--size", "1280x800"])
            .env("DISPLAY", display)
            .env("HAILONG_DATA_DIR", dir.path())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn hailong");
        let found = Command::new("xdotool")
            .args([
                "search",
                "--sync",
                "--onlyvisible",
                "--pid",
                &kiosk.id().to_string(),
            ])
            .env("DISPLAY", display)
            .stdout(Stdio::null())
            .status();
        if found.is_ok_and(|s| s.success()) {
            samples.push(start.elapsed());
        }
        let _ = kiosk.kill();
        let _ = kiosk.wait();
    }
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    (!samples.is_empty()).then(|| median(samples))
}

fn main() {
    let (boot, frame) = in_process(15);
    println!("time to first frame (median)");
    println!(
        "  in process: config + i18n + store open + app   {:>8.1} ms",
        ms(boot)
    );
    println!(
        "  in process: ... + first frame drawn (tiny-skia) {:>8.1} ms",
        ms(frame)
    );
    match real_window(5) {
        Some(window) => println!(
            "  real binary under Xvfb: spawn to visible window {:>8.1} ms",
            ms(window)
        ),
        None => println!("  real binary under Xvfb: not measured (Xvfb or xdotool missing)"),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
