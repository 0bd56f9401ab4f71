//! The citizen's flows, driven headless through iced_test's Simulator as a person would (tap by
//! text), with the real store on a temporary SQLite file, and a snapshot of every screen.
//!
//! Snapshots live in tests/snapshots/ and are rendered by tiny-skia (pinned in
//! .cargo/config.toml). A missing baseline FAILS; to create or refresh baselines on purpose run
//! `HAILONG_UPDATE_SNAPSHOTS=1 cargo test --test ui` and look at every PNG before committing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use futures::StreamExt;
use hailong::app::{App, Message, Now, Screen, Setup, keyboard_message};
use hailong::config::{ConfigSource, TerminalConfig};
use hailong::font;
use hailong::i18n::I18n;
use hailong::store::{SealCause, Store, StoredRating, Writer};
use iced::keyboard::{self, key};
use iced::{Point, Size};
use iced_test::Simulator;

/// 1280x800 at scale 1.
const KIOSK_SMALL: Size = Size::new(1280.0, 800.0);
/// 1920x1080 seen through the app's scale of 1080/800.
const KIOSK_FULL_HD: Size = Size::new(1920.0 / 1.35, 800.0);

mod support;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

fn wall_clock() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T09:00:00+07:00").expect("valid")
}

struct Kiosk {
    app: App,
    now: Now,
    _dir: tempfile::TempDir,
    database: PathBuf,
}

impl Kiosk {
    fn demo() -> Self {
        Self::with_config(TerminalConfig::demo())
    }

    fn with_question_set(id: &str) -> Self {
        let mut config = TerminalConfig::demo();
        config.terminal.question_set = Some(id.to_owned());
        Self::with_config(config)
    }

    fn with_config(config: TerminalConfig) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("hailong.db");
        Self::at(config, dir, database)
    }

    fn at(config: TerminalConfig, dir: tempfile::TempDir, database: PathBuf) -> Self {
        Self::with_setup(config, dir, database, false, Vec::new())
    }

    fn with_i18n(i18n: I18n) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("hailong.db");
        Self::build(
            TerminalConfig::demo(),
            dir,
            database,
            false,
            Vec::new(),
            i18n,
        )
    }

    fn with_setup(
        config: TerminalConfig,
        dir: tempfile::TempDir,
        database: PathBuf,
        setup_mode: bool,
        usb_roots: Vec<PathBuf>,
    ) -> Self {
        let i18n = I18n::embedded().expect("i18n");
        Self::build(config, dir, database, setup_mode, usb_roots, i18n)
    }

    fn build(
        config: TerminalConfig,
        dir: tempfile::TempDir,
        database: PathBuf,
        setup_mode: bool,
        usb_roots: Vec<PathBuf>,
        i18n: I18n,
    ) -> Self {
        assert_eq!(
            std::env::var("ICED_TEST_BACKEND").as_deref(),
            Ok("tiny-skia"),
            "run through cargo so that .cargo/config.toml pins the renderer"
        );
        let (writer, opened) = Writer::spawn(&database, wall_clock);
        let now = Now {
            instant: Instant::now(),
            wall: wall_clock(),
        };
        let setup = Setup {
            config,
            source: ConfigSource::Demo,
            i18n,
            writer,
            sync: None,
            setup_mode,
            config_dir: dir.path().join("config"),
            usb_roots,
            kiosk: true,
            window: Size::new(1280.0, 800.0),
            speaker: hailong::audio::Speaker::silent(),
        };
        let mut kiosk = Self {
            app: App::new(setup, now),
            now,
            _dir: dir,
            database,
        };
        let opened = futures::executor::block_on(opened);
        kiosk.send(Message::StorageOpened(opened));
        kiosk
    }

    /// Handles a message at the current time and runs the tasks it returns (store writes) to
    /// completion, feeding their messages back, as the iced runtime would.
    fn send(&mut self, message: Message) {
        let task = self.app.update_at(message, self.now);
        if let Some(stream) = iced_test::runtime::task::into_stream(task) {
            // A tokio runtime, as in the app: the sync client needs its reactor.
            let actions: Vec<_> = runtime().block_on(stream.collect());
            for action in actions {
                if let iced_test::runtime::Action::Output(message) = action {
                    self.send(message);
                }
            }
        }
    }

    fn wait(&mut self, duration: Duration) {
        self.now = self.now.after(duration);
        self.send(Message::Tick);
    }

    /// Taps the text `label` on the screen, a moment after the previous action.
    fn tap(&mut self, label: &str) {
        self.now = self.now.after(Duration::from_secs(1));
        self.tap_now(label);
    }

    /// Taps `label` at exactly the current time (for bounces).
    fn tap_now(&mut self, label: &str) {
        let messages: Vec<Message> = {
            let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
            let _ = ui
                .click(label)
                .unwrap_or_else(|error| panic!("cannot tap {label:?}: {error}"));
            ui.into_messages().collect()
        };
        for message in messages {
            self.send(message);
        }
    }

    /// Taps a point of the 1280x800 screen at the current time.
    fn tap_at_now(&mut self, point: Point) {
        let messages: Vec<Message> = {
            let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
            ui.point_at(point);
            let _ = ui.simulate(iced_test::simulator::click());
            ui.into_messages().collect()
        };
        for message in messages {
            self.send(message);
        }
    }

    /// Where `label` is drawn.
    fn position_of(&self, label: &str) -> Point {
        let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
        let target = ui
            .find(label)
            .unwrap_or_else(|error| panic!("no {label:?}: {error}"));
        target.visible_bounds().expect("visible").center()
    }

    fn shows(&self, label: &str) -> bool {
        let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
        ui.find(label).is_ok()
    }

    /// A barcode scanner: types `code` and presses Enter, as keyboard events.
    fn scan(&mut self, code: &str) {
        self.now = self.now.after(Duration::from_millis(50));
        for c in code.chars() {
            self.key_press(
                keyboard::Key::Character(c.to_string().into()),
                &c.to_string(),
            );
        }
        self.press_enter();
    }

    /// One key pressed on a keyboard (or typed by a scanner), as iced reports it.
    fn key_press(&mut self, key: keyboard::Key, text: &str) {
        let event = keyboard::Event::KeyPressed {
            key: key.clone(),
            modified_key: key,
            physical_key: key::Physical::Unidentified(key::NativeCode::Unidentified),
            location: keyboard::Location::Standard,
            modifiers: keyboard::Modifiers::default(),
            text: Some(text.into()),
            repeat: false,
        };
        self.send(keyboard_message(event).expect("key press maps"));
    }

    fn press_enter(&mut self) {
        self.key_press(keyboard::Key::Named(key::Named::Enter), "\r");
    }

    fn snapshot(&self, name: &str) {
        self.snapshot_at(name, KIOSK_SMALL);
    }

    fn snapshot_at(&self, name: &str, size: Size) {
        let mut ui = Simulator::with_size(font::settings(), size, self.app.view());
        let snapshot = ui.snapshot(&self.app.theme()).expect("snapshot");
        let base = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(name);
        let file = base.with_file_name(format!("{name}-tiny-skia.png"));
        let update = std::env::var_os("HAILONG_UPDATE_SNAPSHOTS").is_some();
        if update {
            let _ = std::fs::remove_file(&file);
        } else {
            assert!(
                file.exists(),
                "missing snapshot baseline {}: run with HAILONG_UPDATE_SNAPSHOTS=1, look at it, commit it",
                file.display()
            );
        }
        assert!(
            snapshot.matches_image(&base).expect("compare"),
            "screen differs from {}",
            file.display()
        );
    }

    fn store(&self) -> Store {
        Store::open(&self.database, wall_clock())
            .expect("open for reading")
            .0
    }

    fn sealed(&self) -> Vec<StoredRating> {
        self.store()
            .sealed_after(&TerminalConfig::demo().terminal.id, 0, 1000)
            .expect("read")
    }

    fn only_rating(&self) -> StoredRating {
        let sealed = self.sealed();
        assert_eq!(sealed.len(), 1, "exactly one rating: {sealed:#?}");
        sealed.into_iter().next().expect("one")
    }
}

#[test]
fn positive_rating_is_recorded_at_once_and_thanks_returns_home() {
    let mut kiosk = Kiosk::demo();
    kiosk.snapshot("home-3-levels");
    kiosk.snapshot_at("home-3-levels-full-hd", KIOSK_FULL_HD);
    kiosk.tap("Rất hài lòng");
    // Recorded at the tap, before any follow-up: a draft is on disk.
    let id = kiosk.app.last_rating().expect("a rating started");
    let draft = kiosk.store().rating(id).expect("read").expect("on disk");
    assert_eq!(draft.draft.level.value, 3);
    assert_eq!(draft.seq, None, "not sealed until the flow ends");
    assert!(matches!(kiosk.app.screen(), Screen::Comment(_)));
    kiosk.snapshot("comment-empty");
    kiosk.tap("Bỏ qua");
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
    kiosk.snapshot("dossier-empty");
    kiosk.tap("Bỏ qua");
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    kiosk.snapshot("thanks");
    let rating = kiosk.only_rating();
    assert_eq!(rating.draft.id, id);
    assert_eq!(rating.seq, Some(1));
    assert_eq!(rating.seal_cause, Some(SealCause::Completed));
    assert_eq!(rating.draft.dossier_code, None);
    kiosk.wait(Duration::from_secs(2));
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    kiosk.wait(Duration::from_secs(4));
    assert_eq!(kiosk.app.screen(), &Screen::Home);
}

#[test]
fn negative_rating_asks_reasons_and_the_dossier_code_on_the_keypad() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Không hài lòng");
    assert!(matches!(kiosk.app.screen(), Screen::Reasons(_)));
    kiosk.tap("Thời gian chờ đợi lâu");
    kiosk.tap("Trả kết quả trễ hẹn");
    kiosk.tap("Khác");
    kiosk.tap("Khác"); // changed their mind
    kiosk.snapshot("reasons-two-selected");
    kiosk.tap("Xong");
    assert!(matches!(kiosk.app.screen(), Screen::Comment(_)));
    kiosk.tap("Bỏ qua");
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
    for key in ["1", "2", "3", "4", "Xóa", "4", "5"] {
        kiosk.tap(key);
    }
    kiosk.snapshot("dossier-typed");
    kiosk.tap("Xong");
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    let rating = kiosk.only_rating();
    assert_eq!(rating.draft.level.value, 1);
    assert_eq!(rating.draft.reasons, vec!["cho-lau", "tre-hen"]);
    assert_eq!(rating.draft.dossier_code.as_deref(), Some("12345"));
}

#[test]
fn dossier_code_from_a_barcode_scanner() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Hài lòng");
    kiosk.tap("Bỏ qua");
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
    kiosk.scan("000.00.12.H12-251123-0042");
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    let rating = kiosk.only_rating();
    assert_eq!(
        rating.draft.dossier_code.as_deref(),
        Some("000.00.12.H12-251123-0042")
    );
}

#[test]
fn circular_01_criteria_pages_score_points_and_can_be_skipped() {
    let mut kiosk = Kiosk::with_question_set("tt01-2018");
    kiosk.tap("Hài lòng");
    assert!(matches!(
        kiosk.app.screen(),
        Screen::Criterion(state) if state.index == 0
    ));
    kiosk.snapshot("criteria-circular-01");
    kiosk.tap("Chỉ phải một lần");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Nhiệt tình, lịch sự, chu đáo");
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
    kiosk.tap("Bỏ qua");
    let rating = kiosk.only_rating();
    let answers: Vec<(&str, u8, u8)> = rating
        .draft
        .answers
        .iter()
        .map(|a| (a.criterion_id.as_str(), a.value, a.points))
        .collect();
    assert_eq!(answers, vec![("tt01-3", 2, 1), ("tt01-7", 1, 2)]);
    assert_eq!(rating.draft.question_set_id, "tt01-2018");
}

#[test]
fn sipas_statements_use_the_five_level_scale() {
    let mut kiosk = Kiosk::with_question_set("sipas-5");
    kiosk.snapshot("home-5-levels");
    kiosk.tap("Bình thường");
    assert!(matches!(kiosk.app.screen(), Screen::Criterion(_)));
    kiosk.snapshot("criteria-sipas-scale");
    kiosk.tap("Rất hài lòng");
    kiosk.tap("Bỏ qua");
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    let rating = kiosk.only_rating();
    assert_eq!(rating.draft.level.value, 3);
    assert_eq!(rating.draft.level.count, 5);
    assert_eq!(rating.draft.answers.len(), 1);
    assert_eq!(rating.draft.answers[0].points, 5);
}

#[test]
fn four_level_set_shows_four_faces() {
    let mut kiosk = Kiosk::with_question_set("bon-muc");
    kiosk.snapshot("home-4-levels");
    kiosk.tap("Bình thường");
    // Neutral is not negative: no reasons, no dossier in this set.
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    assert_eq!(kiosk.only_rating().draft.level.value, 2);
}

#[test]
fn idle_in_the_middle_seals_what_was_answered_and_resets() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("English");
    kiosk.tap("Dissatisfied");
    kiosk.tap("Long waiting time");
    kiosk.wait(Duration::from_secs(10));
    assert!(matches!(kiosk.app.screen(), Screen::Reasons(_)));
    kiosk.wait(Duration::from_secs(25));
    assert_eq!(kiosk.app.screen(), &Screen::Home);
    assert_eq!(kiosk.app.language().tag(), "vi");
    let rating = kiosk.only_rating();
    assert_eq!(rating.seal_cause, Some(SealCause::Idle));
    assert_eq!(rating.draft.reasons, vec!["cho-lau"]);
    assert_eq!(rating.draft.language, "en");
}

#[test]
fn a_bouncing_tap_records_once() {
    let mut kiosk = Kiosk::demo();
    let level = kiosk.position_of("Không hài lòng");
    kiosk.tap_now("Không hài lòng");
    // The same touch arrives again 80 ms later, now over the reasons page.
    kiosk.now = kiosk.now.after(Duration::from_millis(80));
    kiosk.tap_at_now(level);
    kiosk.tap_now("Thời gian chờ đợi lâu");
    // Nothing was toggled by the bounce.
    kiosk.now = kiosk.now.after(Duration::from_secs(1));
    kiosk.tap("Bỏ qua");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Bỏ qua");
    let rating = kiosk.only_rating();
    assert!(
        rating.draft.reasons.is_empty(),
        "{:?}",
        rating.draft.reasons
    );
}

#[test]
fn a_double_message_on_the_home_screen_records_once() {
    let mut kiosk = Kiosk::with_question_set("bon-muc");
    let level = hailong::survey::Level::new(4, 4).expect("level");
    kiosk.send(Message::Home(hailong::screen::home::Message::Rate(level)));
    kiosk.send(Message::Home(hailong::screen::home::Message::Rate(level)));
    kiosk.wait(Duration::from_secs(10));
    assert_eq!(kiosk.sealed().len(), 1);
}

#[test]
fn language_switch_resets_to_vietnamese_for_the_next_citizen() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("English");
    assert!(kiosk.shows("Very satisfied"));
    kiosk.snapshot("home-english");
    kiosk.tap("Very satisfied");
    kiosk.tap("Skip");
    kiosk.tap("Skip");
    assert!(kiosk.shows("Thank you!"));
    kiosk.wait(Duration::from_secs(6));
    assert_eq!(kiosk.app.screen(), &Screen::Home);
    assert!(kiosk.shows("Rất hài lòng"));
    assert_eq!(kiosk.only_rating().draft.language, "en");

    // A citizen who switches and walks away without rating does not leave English behind.
    kiosk.tap("English");
    kiosk.wait(Duration::from_secs(31));
    assert_eq!(kiosk.app.language().tag(), "vi");
}

#[test]
fn a_second_rating_soon_after_is_recorded_but_flagged() {
    let mut kiosk = Kiosk::with_question_set("bon-muc");
    kiosk.tap("Rất hài lòng");
    kiosk.wait(Duration::from_secs(6));
    kiosk.tap("Rất hài lòng");
    kiosk.wait(Duration::from_secs(6));
    kiosk.wait(Duration::from_secs(60));
    kiosk.tap("Hài lòng");
    let sealed = kiosk.sealed();
    let flags: Vec<bool> = sealed.iter().map(|r| r.flags.suspected_repeat).collect();
    assert_eq!(flags, vec![false, true, false]);
}

#[test]
fn a_failed_write_is_apologised_for_kept_and_retried() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The data directory's place is taken by a file: nothing can be written.
    let blocked = dir.path().join("data");
    std::fs::write(&blocked, b"not a directory").expect("blocker");
    let database = blocked.join("hailong.db");
    let mut kiosk = Kiosk::at(TerminalConfig::demo(), dir, database.clone());
    assert!(matches!(
        kiosk.app.storage(),
        hailong::app::Storage::Unavailable(_)
    ));
    kiosk.snapshot("home-storage-unavailable");
    kiosk.tap("Rất hài lòng");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Bỏ qua");
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    assert_eq!(kiosk.app.unconfirmed_writes(), 1);
    assert!(kiosk.shows(
        "Xin lỗi, máy đang gặp sự cố khi lưu. Ý kiến của Ông/Bà vẫn được giữ lại và máy sẽ tự lưu lại."
    ));
    kiosk.snapshot("thanks-write-trouble");

    // The disk comes back; the next retry stores the rating, sealed, once.
    std::fs::remove_file(&blocked).expect("remove blocker");
    std::fs::create_dir(&blocked).expect("data dir");
    kiosk.wait(Duration::from_secs(2));
    kiosk.wait(Duration::from_secs(5));
    assert_eq!(kiosk.app.unconfirmed_writes(), 0);
    let rating = kiosk.only_rating();
    assert_eq!(rating.seal_cause, Some(SealCause::Completed));
    assert_eq!(rating.draft.level.value, 3);
}

// ---- Staff mode -------------------------------------------------------------------------

impl Kiosk {
    /// A kiosk whose store already holds a realistic morning of ratings.
    fn seeded() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("hailong.db");
        seed(&database);
        Self::at(TerminalConfig::demo(), dir, database)
    }

    /// Holds the commune's name for `seconds`, as staff do to open staff mode.
    fn hold_corner(&mut self, seconds: u64) {
        let at = self.position_of("Phường Ba Đình");
        self.now = self.now.after(Duration::from_secs(1));
        self.press_at(at, true);
        for _ in 0..seconds {
            self.wait(Duration::from_secs(1));
        }
        self.press_at(at, false);
    }

    fn press_at(&mut self, point: Point, down: bool) {
        use iced::mouse;
        let event = if down {
            iced::Event::Mouse(mouse::Event::ButtonPressed(mouse::Button::Left))
        } else {
            iced::Event::Mouse(mouse::Event::ButtonReleased(mouse::Button::Left))
        };
        let messages: Vec<Message> = {
            let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
            ui.point_at(point);
            let _ = ui.simulate([event]);
            ui.into_messages().collect()
        };
        for message in messages {
            self.send(message);
        }
    }

    fn sign_in(&mut self, pin: &str) {
        self.hold_corner(3);
        assert!(matches!(self.app.screen(), Screen::Pin(_)), "PIN pad open");
        for digit in pin.chars() {
            self.tap(&digit.to_string());
        }
        self.tap("Đăng nhập");
    }
}

/// 30 ratings between 7:00 and 11:00 on the test day, at both counters, with reasons.
fn seed(database: &Path) {
    use hailong::config::Stage;
    use hailong::store::{RatingDraft, Seal};
    use hailong::survey::Level;
    let (mut store, _) = Store::open(database, wall_clock()).expect("open");
    let morning = DateTime::parse_from_rfc3339("2026-11-23T07:05:00+07:00").expect("time");
    for i in 0..30u32 {
        let level = [3, 3, 2, 3, 1, 2, 3, 3, 2, 1][i as usize % 10];
        let tapped = morning + chrono::Duration::minutes(i64::from(i) * 8);
        let draft = RatingDraft {
            id: uuid::Uuid::now_v7(),
            terminal_id: "demo".into(),
            commune_code: "00004".into(),
            counter_id: Some(if i % 3 == 0 { "q2" } else { "q1" }.into()),
            staff_id: Some(if i % 3 == 0 { "nv-minh" } else { "nv-lan" }.into()),
            field_id: Some("ho-tich".into()),
            dossier_code: None,
            stage: Stage::Return,
            question_set_id: "nhanh-3".into(),
            question_set_version: 1,
            level: Level::new(level, 3).expect("level"),
            answers: vec![],
            reasons: if level == 1 {
                vec!["cho-lau".into(), "thu-tuc".into()]
            } else {
                vec![]
            },
            language: "vi".into(),
            device_time: tapped,
            feedback: Default::default(),
        };
        let seal = Seal {
            cause: SealCause::Completed,
            at: tapped + chrono::Duration::seconds(20),
            repeat_interval: Duration::from_secs(20),
        };
        let _ = store.save(&draft, Some(&seal)).expect("save");
    }
}

#[test]
fn a_long_press_and_a_pin_open_the_dashboard_which_leaves_by_itself() {
    let mut kiosk = Kiosk::seeded();
    // A short press does nothing.
    kiosk.hold_corner(1);
    assert_eq!(kiosk.app.screen(), &Screen::Home);
    kiosk.hold_corner(3);
    assert!(matches!(kiosk.app.screen(), Screen::Pin(_)));
    kiosk.tap("1");
    kiosk.tap("1");
    kiosk.snapshot("staff-pin");
    kiosk.tap("1");
    kiosk.tap("1");
    kiosk.tap("Đăng nhập");
    let Screen::Staff(state) = kiosk.app.screen() else {
        panic!("dashboard expected, got {:?}", kiosk.app.screen());
    };
    let tally = state.tally.as_ref().expect("today's tally loaded");
    assert_eq!(tally.all.total, 30);
    assert!(kiosk.shows("Đang đăng nhập: Nguyễn Thị Lan"));
    // Per counter, staff member and field, below the charts: q2 had 10 of the 30 ratings.
    assert!(kiosk.shows("Quầy số 2"));
    assert!(kiosk.shows("Trần Văn Minh"));
    assert_eq!(tally.by_counter["q2"].total, 10);
    kiosk.snapshot("staff-dashboard-today");
    kiosk.tap("30 ngày");
    kiosk.snapshot("staff-dashboard-30-days");
    // No touch for a minute: back to the citizen screen, nothing of staff mode left.
    kiosk.wait(Duration::from_secs(30));
    assert!(matches!(kiosk.app.screen(), Screen::Staff(_)));
    kiosk.wait(Duration::from_secs(31));
    assert_eq!(kiosk.app.screen(), &Screen::Home);
    assert!(!kiosk.shows("Đang đăng nhập: Nguyễn Thị Lan"));
}

#[test]
fn five_wrong_pins_lock_the_pad_for_a_while() {
    let mut kiosk = Kiosk::demo();
    kiosk.hold_corner(3);
    for attempt in 1..=5 {
        for digit in ["1", "2", "3", "4"] {
            kiosk.tap(digit);
        }
        kiosk.tap("Đăng nhập");
        if attempt < 5 {
            assert!(kiosk.shows(&format!("Mã PIN không đúng. Còn {} lần thử.", 5 - attempt)));
        }
    }
    assert!(matches!(
        kiosk.app.screen(),
        Screen::Pin(pad) if matches!(pad.notice, Some(hailong::screen::pin::Notice::Locked(_)))
    ));
    kiosk.snapshot("staff-pin-locked");
    // Even the right PIN is refused while locked.
    for digit in ["1", "1", "1", "1"] {
        kiosk.tap(digit);
    }
    kiosk.tap("Đăng nhập");
    assert!(matches!(kiosk.app.screen(), Screen::Pin(_)));
    // 30 s after the lock (the taps above took 5 s), the pad takes PINs again.
    kiosk.wait(Duration::from_secs(26));
    for digit in ["1", "1", "1", "1"] {
        kiosk.tap(digit);
    }
    kiosk.tap("Đăng nhập");
    assert!(matches!(kiosk.app.screen(), Screen::Staff(_)));
}

#[test]
fn ratings_go_to_the_staff_member_on_duty() {
    let mut kiosk = Kiosk::demo();
    kiosk.sign_in("2222");
    kiosk.tap("Nhận ca tại Quầy số 1");
    assert!(kiosk.shows("Quầy số 1: Trần Văn Minh đang trực"));
    kiosk.tap("Thoát");
    assert!(kiosk.shows("Quầy số 1 · Cán bộ: Trần Văn Minh"));
    kiosk.tap("Rất hài lòng");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Bỏ qua");
    kiosk.wait(Duration::from_secs(6));
    assert_eq!(
        kiosk.only_rating().draft.staff_id.as_deref(),
        Some("nv-minh")
    );

    kiosk.sign_in("2222");
    kiosk.tap("Kết thúc ca");
    kiosk.tap("Thoát");
    assert!(kiosk.shows("Quầy số 1"));
    kiosk.tap("Hài lòng");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Bỏ qua");
    let sealed = kiosk.sealed();
    assert_eq!(sealed.len(), 2);
    assert_eq!(sealed[1].draft.staff_id, None);
}

// ---- First start --------------------------------------------------------------------------

fn unprovisioned(usb: Option<(&str, String)>) -> Kiosk {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("hailong.db");
    let roots = match usb {
        Some((name, content)) => {
            let stick = dir.path().join("usb");
            std::fs::create_dir_all(&stick).expect("usb");
            std::fs::write(stick.join(name), content).expect("file");
            vec![stick]
        }
        None => Vec::new(),
    };
    Kiosk::with_setup(TerminalConfig::demo(), dir, database, true, roots)
}

#[test]
fn a_setup_file_on_a_usb_stick_provisions_the_terminal() {
    let file = include_str!("../assets/demo.toml")
        .replace("demo = true", "demo = false")
        .replace("id = \"demo\"", "id = \"t-ea-tu-1\"")
        .replace("name = \"Phường Ba Đình\"", "name = \"Xã Ea Tu\"");
    let mut kiosk = unprovisioned(Some(("xa-ea-tu.toml", file)));
    assert!(matches!(kiosk.app.screen(), Screen::Setup(_)));
    kiosk.snapshot("setup");
    kiosk.tap("xa-ea-tu.toml");
    assert_eq!(kiosk.app.screen(), &Screen::Home);
    assert!(kiosk.shows("Xã Ea Tu"));
    assert!(!kiosk.shows("DEMO · Máy chưa được cài đặt cho xã/phường"));
    assert_eq!(kiosk.app.config().terminal.id, "t-ea-tu-1");
    assert!(kiosk._dir.path().join("config/terminal.toml").exists());
}

#[test]
fn a_bad_setup_file_says_what_failed_and_changes_nothing() {
    let mut kiosk = unprovisioned(Some((
        "hong.toml",
        "[commune]\ncode = \"\"\nname = \"Xã A\"\n".into(),
    )));
    kiosk.tap("hong.toml");
    let Screen::Setup(state) = kiosk.app.screen() else {
        panic!("still on the setup screen");
    };
    let Some(hailong::screen::setup::Outcome::Failed(reason)) = &state.outcome else {
        panic!("a failure is shown: {:?}", state.outcome);
    };
    assert!(reason.contains("commune.code"), "{reason}");
    kiosk.snapshot("setup-failed");
    assert!(!kiosk._dir.path().join("config/terminal.toml").exists());
}

#[test]
fn enrolling_with_a_live_server_from_the_keypad() {
    let server_dir = tempfile::tempdir().expect("tempdir");
    let server = runtime().block_on(support::Server::start(
        &server_dir.path().join("server.db"),
        support::generous(),
    ));
    let enrollment = runtime().block_on(server.add_terminal("Quầy 1"));
    let mut kiosk = unprovisioned(None);
    // A wrong code first: the screen says why.
    kiosk.tap("http://");
    for c in server.addr.to_string().chars() {
        kiosk.tap(&c.to_string());
    }
    kiosk.tap("Mã đăng ký");
    for c in "1111111111".chars() {
        kiosk.tap(&c.to_string());
    }
    kiosk.tap("Đăng ký");
    let Screen::Setup(state) = kiosk.app.screen() else {
        panic!("still on the setup screen");
    };
    assert!(matches!(
        state.outcome,
        Some(hailong::screen::setup::Outcome::Failed(_))
    ));
    // The right code, typed by a scanner this time.
    kiosk.tap("Mã đăng ký");
    for _ in 0..10 {
        kiosk.tap("Xóa");
    }
    // (Tapping digits one by one can hit the code's own display when it shows the same
    // digit: a scanner types it as keys and presses Enter.)
    let digits: String = enrollment
        .code
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    kiosk.scan(&digits);
    assert_eq!(kiosk.app.screen(), &Screen::Home, "enrolled");
    assert_eq!(kiosk.app.config().terminal.id, enrollment.terminal_id);
    assert!(kiosk._dir.path().join("config/server.toml").exists());
    // Ratings from now on belong to the enrolled terminal.
    kiosk.tap("Rất hài lòng");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Bỏ qua");
    let store = kiosk.store();
    let mine = store
        .sealed_after(&enrollment.terminal_id, 0, 10)
        .expect("read");
    assert_eq!(mine.len(), 1);
    drop(server);
}

#[test]
fn staff_can_count_suspected_repeats_or_leave_them_out() {
    let mut kiosk = Kiosk::with_question_set("bon-muc");
    kiosk.tap("Rất hài lòng");
    kiosk.wait(Duration::from_secs(6));
    kiosk.tap("Rất hài lòng");
    kiosk.wait(Duration::from_secs(6));
    kiosk.sign_in("1111");
    let total = |kiosk: &Kiosk| match kiosk.app.screen() {
        Screen::Staff(state) => state.tally.as_ref().map(|t| (t.all.total, t.flagged)),
        _ => None,
    };
    assert_eq!(total(&kiosk), Some((1, 1)), "the repeat is left out");
    kiosk.tap("Tính cả nghi lặp");
    assert_eq!(total(&kiosk), Some((2, 1)), "and counted on request");
}

#[test]
fn staff_export_an_excel_report_from_the_dashboard() {
    let mut kiosk = Kiosk::seeded();
    kiosk.sign_in("1111");
    kiosk.tap("Xuất Excel");
    let file = "hai-long-00004-20261123-20261123.xlsx";
    assert!(kiosk.shows(&format!("Đã ghi {file}")));
    // No USB stick here: the report goes to exports/ beside the database.
    let written = kiosk
        .database
        .parent()
        .expect("dir")
        .join("exports")
        .join(file);
    assert!(std::fs::metadata(&written).expect("written").len() > 1000);
}

// ---- USB sticks, the supervisor's view, personal data (issue 4) ---------------------------

impl Kiosk {
    /// A seeded kiosk on which these folders count as USB sticks.
    fn seeded_with_sticks(sticks: &[&str]) -> (Self, Vec<PathBuf>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("hailong.db");
        seed(&database);
        let roots: Vec<PathBuf> = sticks
            .iter()
            .map(|name| {
                let stick = dir.path().join("media").join(name);
                std::fs::create_dir_all(&stick).expect("stick");
                stick
            })
            .collect();
        let kiosk = Self::with_setup(TerminalConfig::demo(), dir, database, false, roots.clone());
        (kiosk, roots)
    }

    /// Every text of the screen, the parts scrolled out of view included.
    fn all_text(&self) -> Vec<String> {
        let texts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
        let _ = ui.find(VisibleText(texts.clone()));
        let texts = texts.lock().expect("texts").clone();
        texts.into_iter().map(|(text, _, _)| text).collect()
    }

    fn local_exports(&self) -> PathBuf {
        self.database.parent().expect("dir").join("exports")
    }

    /// The dashboard scrolled down by `lines`, as staff scroll it with a finger.
    fn snapshot_scrolled(&self, name: &str, lines: f32) {
        use iced::mouse;
        let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
        ui.point_at(Point::new(400.0, 500.0));
        let _ = ui.simulate([iced::Event::Mouse(mouse::Event::WheelScrolled {
            delta: mouse::ScrollDelta::Lines { x: 0.0, y: -lines },
        })]);
        let snapshot = ui.snapshot(&self.app.theme()).expect("snapshot");
        let base = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(name);
        let file = base.with_file_name(format!("{name}-tiny-skia.png"));
        if std::env::var_os("HAILONG_UPDATE_SNAPSHOTS").is_some() {
            let _ = std::fs::remove_file(&file);
        } else {
            assert!(
                file.exists(),
                "missing snapshot baseline {}",
                file.display()
            );
        }
        assert!(
            snapshot.matches_image(&base).expect("compare"),
            "screen differs from {}",
            file.display()
        );
    }
}

#[test]
fn staff_choose_among_usb_sticks_and_a_pulled_stick_loses_nothing() {
    let (mut kiosk, sticks) = Kiosk::seeded_with_sticks(&["HOSO-A", "HOSO-B"]);
    kiosk.sign_in("1111");
    // Both sticks are listed; the first is chosen until staff tap another.
    assert!(kiosk.shows("USB HOSO-A"));
    assert!(kiosk.shows("USB HOSO-B"));
    assert!(kiosk.shows("Tệp sẽ được ghi vào USB HOSO-A"));
    kiosk.tap("USB HOSO-B");
    assert!(kiosk.shows("Tệp sẽ được ghi vào USB HOSO-B"));
    kiosk.snapshot("staff-dashboard-usb-sticks");
    kiosk.tap("Xuất Excel");
    let file = "hai-long-00004-20261123-20261123.xlsx";
    assert!(kiosk.shows(&format!("Đã ghi {file}")));
    assert!(std::fs::metadata(sticks[1].join(file)).expect("on B").len() > 1000);
    assert!(!sticks[0].join(file).exists(), "nothing on A");
    assert!(!kiosk.local_exports().join(file).exists(), "nothing local");

    // B is pulled out before the next export: a clear message, nothing written anywhere,
    // every rating still in the store, and the list shows what is left.
    std::fs::remove_dir_all(&sticks[1]).expect("pull B");
    kiosk.tap("Xuất CSV");
    assert!(kiosk.shows(
        "Không thấy USB HOSO-B nữa (đã rút ra?). Chưa ghi tệp nào và không mất đánh giá nào: \
         cắm lại USB, bấm \"Tìm lại USB\" rồi xuất lại."
    ));
    assert!(!sticks[1].exists(), "no folder made in the stick's place");
    assert!(!kiosk.local_exports().exists());
    assert!(!kiosk.shows("USB HOSO-B"));
    assert!(kiosk.shows("Tệp sẽ được ghi vào USB HOSO-A"));
    assert_eq!(kiosk.sealed().len(), 30);

    // Plugged in again: "look again" finds it, and the export goes through.
    std::fs::create_dir_all(&sticks[1]).expect("plug B");
    kiosk.tap("Tìm lại USB");
    kiosk.tap("USB HOSO-B");
    kiosk.tap("Xuất CSV");
    assert!(
        sticks[1]
            .join("hai-long-00004-20261123-20261123.csv")
            .exists()
    );
}

#[test]
fn without_a_stick_exports_go_to_the_terminal_folder() {
    let mut kiosk = Kiosk::seeded();
    kiosk.sign_in("1111");
    assert!(kiosk.shows("Chưa thấy USB: tệp được ghi vào thư mục exports của máy"));
    assert!(kiosk.shows("Tìm lại USB"));
}

const PHONE: &str = "0912345678";
const COMPLAINT: &str = "Chờ hơn một tiếng mới được nhận hồ sơ, không ai hướng dẫn";
const PRAISE: &str = "Cán bộ hướng dẫn tận tình, cảm ơn";

/// The seeded morning plus two citizens who wrote something: a word of thanks, and a
/// complaint with a call-back number given after consent.
fn seed_feedback(database: &Path) {
    use hailong::config::Stage;
    use hailong::store::{Feedback, RatingDraft, Seal};
    use hailong::survey::Level;
    seed(database);
    let (mut store, _) = Store::open(database, wall_clock()).expect("open");
    let written = [
        (
            "2026-11-23T11:20:00+07:00",
            3,
            vec![],
            Feedback {
                comment: Some(PRAISE.into()),
                ..Feedback::default()
            },
        ),
        (
            "2026-11-23T11:42:00+07:00",
            1,
            vec!["cho-lau".to_owned(), "huong-dan".to_owned()],
            Feedback {
                comment: Some(COMPLAINT.into()),
                complaint: true,
                callback: Some(hailong_protocol::Callback {
                    phone: PHONE.into(),
                    consent_version: "pakn-2026-01:vi".into(),
                }),
            },
        ),
    ];
    for (at, level, reasons, feedback) in written {
        let tapped = DateTime::parse_from_rfc3339(at).expect("time");
        let draft = RatingDraft {
            id: uuid::Uuid::now_v7(),
            terminal_id: "demo".into(),
            commune_code: "00004".into(),
            counter_id: Some("q1".into()),
            staff_id: Some("nv-lan".into()),
            field_id: Some("ho-tich".into()),
            dossier_code: None,
            stage: Stage::Return,
            question_set_id: "nhanh-3".into(),
            question_set_version: 1,
            level: Level::new(level, 3).expect("level"),
            answers: vec![],
            reasons,
            language: "vi".into(),
            device_time: tapped,
            feedback,
        };
        let seal = Seal {
            cause: SealCause::Completed,
            at: tapped + chrono::Duration::seconds(50),
            repeat_interval: Duration::from_secs(20),
        };
        let _ = store.save(&draft, Some(&seal)).expect("save");
    }
}

impl Kiosk {
    fn seeded_with_feedback() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("hailong.db");
        seed_feedback(&database);
        let mut config = TerminalConfig::demo();
        config.demo = false;
        Self::at(config, dir, database)
    }

    fn says(&self, part: &str) -> bool {
        self.all_text().iter().any(|text| text.contains(part))
    }
}

#[test]
fn staff_see_aggregates_only_and_the_supervisor_sees_each_answer_but_never_a_phone() {
    let mut kiosk = Kiosk::seeded_with_feedback();
    kiosk.sign_in("1111");
    let Screen::Staff(state) = kiosk.app.screen() else {
        panic!("dashboard expected");
    };
    assert_eq!(state.tally.as_ref().map(|t| t.all.total), Some(32));
    assert_eq!(
        state.answers, None,
        "nothing individual is even read for staff"
    );
    for private in [COMPLAINT, PRAISE, PHONE, "Từng đánh giá"] {
        assert!(!kiosk.says(private), "staff must not see {private:?}");
    }
    assert!(!kiosk.shows("Kèm số điện thoại gọi lại"));
    kiosk.sign_out();

    kiosk.sign_in("9999");
    assert!(kiosk.says("Từng đánh giá (chỉ giám sát viên xem được)"));
    assert!(kiosk.says(&format!("Góp ý: \"{COMPLAINT}\"")));
    assert!(kiosk.says(&format!("Góp ý: \"{PRAISE}\"")));
    assert!(
        kiosk.says(
            "11:42 23/11 · Quầy số 1 · Nguyễn Thị Lan · Không hài lòng · Phản ánh, kiến nghị"
        )
    );
    assert!(
        kiosk.says("Lý do: Thời gian chờ đợi lâu; Hướng dẫn chưa rõ ràng, phải đi lại nhiều lần")
    );
    // Newest first, 50 at most, the rest counted.
    let Screen::Staff(state) = kiosk.app.screen() else {
        panic!("dashboard expected");
    };
    let answers = state.answers.as_ref().expect("answers read");
    assert_eq!(answers.total, 32);
    assert_eq!(answers.newest[0].comment.as_deref(), Some(COMPLAINT));
    assert!(
        answers
            .newest
            .windows(2)
            .all(|w| w[0].device_time >= w[1].device_time)
    );
    // The number is on disk for the call-back, and on no screen.
    for text in kiosk.all_text() {
        assert!(!text.contains(PHONE), "the phone shows in {text:?}");
        assert!(!text.contains("pakn-2026"), "the consent shows in {text:?}");
    }
    kiosk.snapshot_scrolled("staff-dashboard-supervisor-answers", 12.0);
    // 7 days: the list follows the range.
    kiosk.tap("7 ngày");
    assert!(kiosk.says(&format!("Góp ý: \"{PRAISE}\"")));
    kiosk.tap("Tính cả nghi lặp");
    assert!(kiosk.says(&format!("Góp ý: \"{PRAISE}\"")));
}

#[test]
fn the_supervisor_list_is_capped_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("hailong.db");
    seed(&database);
    seed_more(&database, 40);
    let mut kiosk = Kiosk::at(TerminalConfig::demo(), dir, database);
    kiosk.sign_in("9999");
    let Screen::Staff(state) = kiosk.app.screen() else {
        panic!("dashboard expected");
    };
    let answers = state.answers.as_ref().expect("answers read");
    assert_eq!(answers.total, 70);
    assert_eq!(answers.newest.len(), 50);
    assert!(kiosk.says("và 20 đánh giá khác (xem đủ trong tệp xuất)"));
}

/// `count` more ratings in the afternoon of the test day, a minute apart at counter 2.
fn seed_more(database: &Path, count: u32) {
    use hailong::config::Stage;
    use hailong::store::{RatingDraft, Seal};
    use hailong::survey::Level;
    let (mut store, _) = Store::open(database, wall_clock()).expect("open");
    let afternoon = DateTime::parse_from_rfc3339("2026-11-23T13:30:00+07:00").expect("time");
    for i in 0..count {
        let tapped = afternoon + chrono::Duration::minutes(i64::from(i));
        let draft = RatingDraft {
            id: uuid::Uuid::now_v7(),
            terminal_id: "demo".into(),
            commune_code: "00004".into(),
            counter_id: Some("q2".into()),
            staff_id: Some("nv-minh".into()),
            field_id: Some("dat-dai".into()),
            dossier_code: None,
            stage: Stage::Return,
            question_set_id: "nhanh-3".into(),
            question_set_version: 1,
            level: Level::new(2, 3).expect("level"),
            answers: vec![],
            reasons: vec![],
            language: "vi".into(),
            device_time: tapped,
            feedback: Default::default(),
        };
        let seal = Seal {
            cause: SealCause::Completed,
            at: tapped + chrono::Duration::seconds(20),
            repeat_interval: Duration::ZERO,
        };
        let _ = store.save(&draft, Some(&seal)).expect("save");
    }
}

#[test]
fn only_the_supervisor_exports_call_back_numbers_and_only_when_asked() {
    let mut kiosk = Kiosk::seeded_with_feedback();
    let csv = |kiosk: &Kiosk| {
        let path = kiosk
            .local_exports()
            .join("hai-long-00004-20261123-20261123.csv");
        let text = std::fs::read_to_string(&path).expect("exported");
        std::fs::remove_file(&path).expect("remove");
        text
    };
    // Staff: no toggle, and even a forged toggle changes nothing.
    kiosk.sign_in("1111");
    kiosk.send(Message::Staff(
        hailong::screen::staff::Message::TogglePersonal,
    ));
    kiosk.tap("Xuất CSV");
    let staff = csv(&kiosk);
    assert!(staff.contains(COMPLAINT), "comments are in every export");
    assert!(!staff.contains(PHONE) && !staff.contains("Số điện thoại gọi lại"));
    kiosk.sign_out();

    // The supervisor without the toggle: no phone either.
    kiosk.sign_in("9999");
    kiosk.tap("Xuất CSV");
    assert!(!csv(&kiosk).contains(PHONE));
    // With it: the column and the number.
    kiosk.tap("Kèm số điện thoại gọi lại");
    kiosk.tap("Xuất CSV");
    let personal = csv(&kiosk);
    assert!(personal.contains("Số điện thoại gọi lại"));
    assert!(personal.contains(PHONE));
    assert!(personal.contains("pakn-2026-01:vi"));
    assert!(!kiosk.says(PHONE), "exported, still never shown");
}

// ---- Comments, complaints, and the look (issue 6) ----------------------------------------

impl Kiosk {
    /// Types `text` on a physical keyboard, one key event a character.
    fn type_keys(&mut self, text: &str) {
        for c in text.chars() {
            self.now = self.now.after(Duration::from_millis(150));
            self.key_press(
                keyboard::Key::Character(c.to_string().into()),
                &c.to_string(),
            );
        }
    }

    fn comment_shown(&self) -> String {
        match self.app.screen() {
            Screen::Comment(state) => state.text(),
            other => panic!("not on the comment page: {other:?}"),
        }
    }
}

#[test]
fn a_comment_typed_in_telex_on_the_screen_is_stored_composed() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Hài lòng");
    assert!(matches!(kiosk.app.screen(), Screen::Comment(_)));
    // "Thai độ tốt" in Telex, tapped key by key on the on-screen keyboard.
    for key in [
        "Chữ hoa",
        "T",
        "h",
        "a",
        "i",
        "s",
        "Dấu cách",
        "d",
        "d",
        "o",
        "o",
        "j",
        "Dấu cách",
        "t",
        "o",
        "o",
        "t",
    ] {
        kiosk.tap(key);
    }
    // The word being typed shows composed as it goes.
    assert_eq!(kiosk.comment_shown(), "Thái độ tôt");
    kiosk.tap("s");
    assert_eq!(kiosk.comment_shown(), "Thái độ tốt");
    kiosk.snapshot("comment-typed");
    kiosk.tap("Gửi");
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
    kiosk.tap("Bỏ qua");
    let rating = kiosk.only_rating();
    assert_eq!(
        rating.draft.feedback.comment.as_deref(),
        Some("Thái độ tốt")
    );
    assert!(!rating.draft.feedback.complaint);
    assert_eq!(rating.draft.feedback.callback, None);
    let wire = rating.to_wire().expect("sealed");
    assert_eq!(wire.comment.as_deref(), Some("Thái độ tốt"));
}

#[test]
fn a_physical_keyboard_types_telex_too_and_digits_have_their_layer() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Hài lòng");
    kiosk.type_keys("Thais ddooj toots");
    assert_eq!(kiosk.comment_shown(), "Thái độ tốt");
    kiosk.tap("123");
    kiosk.snapshot("comment-digits");
    kiosk.tap("Dấu cách");
    kiosk.tap("1");
    kiosk.tap("0");
    kiosk.tap("ABC");
    kiosk.tap("Dấu cách");
    kiosk.tap("d");
    kiosk.tap("d");
    kiosk.tap("i");
    kiosk.tap("e");
    kiosk.tap("e");
    kiosk.tap("r");
    kiosk.tap("m");
    assert_eq!(kiosk.comment_shown(), "Thái độ tốt 10 điểm");
    kiosk.tap("Xóa");
    kiosk.tap("Xóa");
    assert_eq!(kiosk.comment_shown(), "Thái độ tốt 10 điê");
    // Enter on the keyboard sends.
    kiosk.press_enter();
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
}

#[test]
fn a_complaint_asks_consent_before_any_number_and_no_is_an_answer() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Không hài lòng");
    kiosk.tap("Thời gian chờ đợi lâu");
    kiosk.tap("Xong");
    kiosk.type_keys("chowf laau quas");
    kiosk.tap("Đây là phản ánh, kiến nghị");
    kiosk.snapshot("comment-complaint");
    kiosk.tap("Gửi");
    // No number field before consent.
    assert_eq!(kiosk.app.screen(), &Screen::Consent);
    assert!(!kiosk.shows("Chưa nhập số"));
    kiosk.snapshot("consent");
    kiosk.tap("Không để lại số");
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
    kiosk.tap("Bỏ qua");
    let rating = kiosk.only_rating();
    assert_eq!(
        rating.draft.feedback.comment.as_deref(),
        Some("chờ lâu quá")
    );
    assert!(rating.draft.feedback.complaint);
    assert_eq!(rating.draft.feedback.callback, None);
}

#[test]
fn a_call_back_number_is_taken_only_after_consent_checked_and_never_shown_again() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Không hài lòng");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Đây là phản ánh, kiến nghị");
    kiosk.tap("Gửi");
    kiosk.tap("Đồng ý, để lại số");
    assert!(matches!(kiosk.app.screen(), Screen::Phone(_)));
    kiosk.snapshot("phone-empty");
    for digit in "091234567".chars() {
        kiosk.tap(&digit.to_string());
    }
    kiosk.tap("Xong");
    // Nine digits: refused, said why, nothing stored yet.
    assert!(matches!(kiosk.app.screen(), Screen::Phone(state) if state.invalid()));
    kiosk.snapshot("phone-invalid");
    kiosk.tap("8");
    kiosk.tap("Xong");
    assert!(matches!(kiosk.app.screen(), Screen::Dossier(_)));
    assert!(!kiosk.shows("0912 345 678"));
    kiosk.tap("Bỏ qua");
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    assert!(!kiosk.shows("0912 345 678") && !kiosk.shows("0912345678"));
    // What happens next, without the number.
    assert!(kiosk.shows("Phản ánh, kiến nghị của Ông/Bà được chuyển tới cơ quan có thẩm quyền; cán bộ sẽ gọi lại cho Ông/Bà theo số điện thoại Ông/Bà đã để lại."));
    kiosk.snapshot("thanks-call-back");
    let rating = kiosk.only_rating();
    assert!(rating.draft.feedback.complaint);
    let callback = rating.draft.feedback.callback.expect("a call-back");
    assert_eq!(callback.phone, "0912345678");
    assert_eq!(callback.consent_version, "pakn-2026-01:vi");
}

#[test]
fn walking_away_from_the_consent_page_leaves_no_number() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Không hài lòng");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Đây là phản ánh, kiến nghị");
    kiosk.tap("Gửi");
    kiosk.tap("Đồng ý, để lại số");
    kiosk.tap("0");
    kiosk.tap("9");
    kiosk.wait(Duration::from_secs(31));
    assert_eq!(kiosk.app.screen(), &Screen::Home);
    let rating = kiosk.only_rating();
    assert_eq!(rating.seal_cause, Some(SealCause::Idle));
    assert!(rating.draft.feedback.complaint);
    assert_eq!(rating.draft.feedback.callback, None);
}

#[test]
fn high_contrast_and_large_text_are_for_one_citizen_only() {
    let mut kiosk = Kiosk::demo();
    kiosk.tap("Tương phản cao");
    kiosk.tap("Chữ to");
    assert!(kiosk.app.look().high_contrast && kiosk.app.look().large_text);
    kiosk.tap("Rất hài lòng");
    kiosk.tap("Bỏ qua");
    kiosk.tap("Bỏ qua");
    assert_eq!(kiosk.app.screen(), &Screen::Thanks);
    assert!(
        kiosk.app.look().high_contrast,
        "kept through the citizen's own flow"
    );
    kiosk.wait(Duration::from_secs(6));
    assert_eq!(kiosk.app.screen(), &Screen::Home);
    assert_eq!(kiosk.app.look(), hailong::theme::Look::default());

    // Switched on and walked away from without rating: reset when the screen goes idle.
    kiosk.tap("Tương phản cao");
    kiosk.wait(Duration::from_secs(31));
    assert_eq!(kiosk.app.look(), hailong::theme::Look::default());

    // Staff mode always shows in the standard look.
    kiosk.tap("Chữ to");
    kiosk.sign_in("1111");
    assert_eq!(kiosk.app.look(), hailong::theme::Look::default());
}

/// A question set that visits every citizen page: reasons, a Circular 01 indicator, a SIPAS
/// statement, the comment (with the complaint path) and the dossier code.
fn every_page_config() -> TerminalConfig {
    let mut config = TerminalConfig::demo();
    let criteria: Vec<_> = ["tt01-2018", "sipas-5"]
        .iter()
        .filter_map(|id| config.question_sets.iter().find(|s| s.id == *id))
        .filter_map(|set| set.criteria.first().cloned())
        .collect();
    assert_eq!(criteria.len(), 2, "the demo has both kinds of criteria");
    let quick = config
        .question_sets
        .iter_mut()
        .find(|s| s.id == "nhanh-3")
        .expect("quick set");
    quick.criteria = criteria;
    config.terminal.question_set = Some("nhanh-3".into());
    config
}

/// Every citizen screen in the high-contrast look, and again with large text.
#[test]
fn every_citizen_screen_in_high_contrast_and_in_large_text() {
    for (toggle, name) in [
        ("Tương phản cao", "high-contrast"),
        ("Chữ to", "large-text"),
    ] {
        let mut kiosk = Kiosk::with_config(every_page_config());
        kiosk.tap(toggle);
        kiosk.snapshot(&format!("home-{name}"));
        kiosk.tap("Không hài lòng");
        kiosk.tap("Thời gian chờ đợi lâu");
        kiosk.snapshot(&format!("reasons-{name}"));
        if name == "large-text" {
            // Six reasons a page in large text: the last two on a second page, no scrolling.
            assert!(!kiosk.shows("Khác"));
            kiosk.tap("Lý do khác 1/2");
            kiosk.tap("Khác");
            kiosk.snapshot("reasons-large-text-page-2");
            kiosk.tap("Lý do khác 2/2");
            assert!(kiosk.shows("Thời gian chờ đợi lâu"));
        }
        kiosk.tap("Xong");
        assert!(matches!(kiosk.app.screen(), Screen::Criterion(_)));
        kiosk.snapshot(&format!("criteria-circular-01-{name}"));
        kiosk.tap("Bỏ qua");
        kiosk.snapshot(&format!("criteria-sipas-{name}"));
        kiosk.tap("Bỏ qua");
        kiosk.type_keys("Thais ddooj toots");
        kiosk.tap("Đây là phản ánh, kiến nghị");
        kiosk.snapshot(&format!("comment-{name}"));
        kiosk.tap("Gửi");
        kiosk.snapshot(&format!("consent-{name}"));
        kiosk.tap("Đồng ý, để lại số");
        for digit in "0912".chars() {
            kiosk.tap(&digit.to_string());
        }
        kiosk.tap("Xong");
        kiosk.snapshot(&format!("phone-{name}"));
        kiosk.tap("Bỏ qua");
        kiosk.snapshot(&format!("dossier-{name}"));
        kiosk.tap("Bỏ qua");
        assert_eq!(kiosk.app.screen(), &Screen::Thanks);
        kiosk.snapshot(&format!("thanks-{name}"));
        let rating = kiosk.only_rating();
        assert!(rating.draft.feedback.complaint);
        if name == "large-text" {
            assert_eq!(
                rating.draft.reasons,
                ["cho-lau", "khac"],
                "ticks kept across pages"
            );
        }
    }
}

// ---- The photo of the officer on duty (issue 4) ------------------------------------------

/// A drawn stand-in for a staff photo (clearly nobody's face): a grey head and shoulders on
/// a pale blue ground, 3:4 and larger than the header shows, as a phone's picture would be.
fn silhouette_png(path: &Path) {
    let (width, height) = (600u32, 800u32);
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (x as f32, y as f32);
        let head = ((x - 300.0) / 130.0).powi(2) + ((y - 300.0) / 160.0).powi(2) <= 1.0;
        let shoulders = ((x - 300.0) / 280.0).powi(2) + ((y - 820.0) / 300.0).powi(2) <= 1.0;
        if head || shoulders {
            image::Rgb([92, 104, 120])
        } else {
            image::Rgb([214, 228, 240])
        }
    });
    std::fs::create_dir_all(path.parent().expect("folder")).expect("photos folder");
    picture.save(path).expect("write the picture");
}

impl Kiosk {
    /// A kiosk of `config` whose configuration directory holds `files` (relative path, writer),
    /// after its first tick (which reads the photos).
    fn with_config_files(config: TerminalConfig, files: &[(&str, fn(&Path))]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for (relative, write) in files {
            write(&dir.path().join("config").join(relative));
        }
        let database = dir.path().join("hailong.db");
        let mut kiosk = Self::with_setup(config, dir, database, false, Vec::new());
        kiosk.wait(hailong::app::TICK);
        kiosk
    }

    /// Texts cut by the edge of the 1280x800 screen. A text cut by a scrolling list (the
    /// reasons in large text) is not: the list stops short of the edge and scrolls.
    fn off_screen(&self) -> Vec<(String, iced::Rectangle)> {
        let texts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut ui = Simulator::with_size(font::settings(), KIOSK_SMALL, self.app.view());
        let _ = ui.find(VisibleText(texts.clone()));
        let texts = texts.lock().expect("texts").clone();
        texts
            .into_iter()
            .filter(|(_, bounds, visible)| {
                let beyond = bounds.x < 0.0
                    || bounds.y < 0.0
                    || bounds.x + bounds.width > 1280.5
                    || bounds.y + bounds.height > 800.5;
                let at_the_edge = visible.is_some_and(|v| {
                    v.x <= 0.5 || v.y <= 0.5 || v.x + v.width >= 1279.5 || v.y + v.height >= 799.5
                });
                beyond && at_the_edge
            })
            .map(|(text, bounds, _)| (text, bounds))
            .collect()
    }
}

/// Every text with its bounds and the part of it a viewport (the window, or a scrolling list)
/// lets show.
struct VisibleText(
    std::sync::Arc<std::sync::Mutex<Vec<(String, iced::Rectangle, Option<iced::Rectangle>)>>>,
);

impl iced_test::selector::Selector for VisibleText {
    type Output = ();

    fn select(&mut self, candidate: iced_test::selector::Candidate<'_>) -> Option<()> {
        if let iced_test::selector::Candidate::Text {
            bounds,
            visible_bounds,
            content,
            ..
        } = candidate
            && let Ok(mut texts) = self.0.lock()
        {
            texts.push((content.to_owned(), bounds, visible_bounds));
        }
        None
    }

    fn description(&self) -> String {
        "every text and its visible part".to_owned()
    }
}

fn with_lan_photo(mut config: TerminalConfig) -> TerminalConfig {
    config.staff[0].photo = Some("photos/nv-lan.png".into());
    config
}

/// Every citizen page with the photo in the header: everything on the screen, every target
/// still 9 mm; snapshots of the home page and the tightest page (the keyboard).
#[test]
fn the_officer_on_duty_shows_with_their_photo_and_every_citizen_page_still_fits() {
    for large_text in [false, true] {
        let mut kiosk = Kiosk::with_config_files(
            with_lan_photo(every_page_config()),
            &[("photos/nv-lan.png", silhouette_png)],
        );
        assert!(kiosk.app.photos().get("nv-lan").is_some(), "photo read");
        if large_text {
            kiosk.tap("Chữ to");
        }
        let check = |kiosk: &Kiosk, page: &str| {
            assert!(kiosk.shows("Quầy số 1 · Cán bộ: Nguyễn Thị Lan"), "{page}");
            let outside = kiosk.off_screen();
            assert!(
                outside.is_empty(),
                "{page} (large text {large_text}): {outside:?}"
            );
            for (logical, (w, h)) in [
                (KIOSK_SMALL, (1280.0, 800.0)),
                (KIOSK_FULL_HD, (1920.0, 1080.0)),
            ] {
                let min = nine_mm(kiosk.app.config(), w, h);
                for (label, width, height) in tap_targets(&kiosk.app, logical) {
                    assert!(
                        width >= min && height >= min,
                        "{page} at {w}x{h}: {label:?} is {width}x{height}, under 9 mm"
                    );
                }
            }
        };
        check(&kiosk, "home");
        if !large_text {
            kiosk.snapshot("home-with-photo");
        }
        kiosk.tap("Không hài lòng");
        check(&kiosk, "reasons");
        kiosk.tap("Xong");
        check(&kiosk, "criterion (Circular 01)");
        kiosk.tap("Bỏ qua");
        check(&kiosk, "criterion (SIPAS)");
        kiosk.tap("Bỏ qua");
        check(&kiosk, "comment");
        if !large_text {
            kiosk.snapshot("comment-with-photo");
        }
        kiosk.tap("Đây là phản ánh, kiến nghị");
        kiosk.tap("Gửi");
        check(&kiosk, "consent");
        kiosk.tap("Đồng ý, để lại số");
        check(&kiosk, "phone");
        kiosk.tap("Bỏ qua");
        check(&kiosk, "dossier");
        kiosk.tap("Bỏ qua");
        check(&kiosk, "thanks");
        // Staff screens keep the plain header (after a complaint's longer thank-you).
        kiosk.wait(Duration::from_secs(11));
        kiosk.sign_in("1111");
        assert!(matches!(kiosk.app.screen(), Screen::Staff(_)));
    }
}

/// Minh takes over the counter: his name shows, without a photo (he has none).
#[test]
fn the_photo_follows_the_shift() {
    let mut kiosk = Kiosk::with_config_files(
        with_lan_photo(TerminalConfig::demo()),
        &[("photos/nv-lan.png", silhouette_png)],
    );
    kiosk.sign_in("2222");
    kiosk.tap("Nhận ca tại Quầy số 1");
    kiosk.tap("Thoát");
    assert!(kiosk.shows("Quầy số 1 · Cán bộ: Trần Văn Minh"));
    kiosk.snapshot("home-officer-without-photo");
}

/// A photo that is missing or not a picture: the name shows alone, nothing else changes.
#[test]
fn a_missing_or_broken_photo_leaves_the_name_alone() {
    fn junk(path: &Path) {
        std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
        std::fs::write(path, b"GIF89a, or rather not").expect("junk");
    }
    let mut config = with_lan_photo(TerminalConfig::demo());
    config.staff[1].photo = Some("photos/nv-minh.jpg".into());
    let mut kiosk = Kiosk::with_config_files(config, &[("photos/nv-lan.png", junk)]);
    assert!(kiosk.app.photos().is_empty());
    assert!(kiosk.shows("Quầy số 1 · Cán bộ: Nguyễn Thị Lan"));
    kiosk.snapshot("home-3-levels");
    kiosk.tap("Rất hài lòng");
    assert!(matches!(kiosk.app.screen(), Screen::Comment(_)));
}

// ---- Adding a language (docs/adding-a-language.md) ----------------------------------------

/// A language file made here, not shipped (tag `rad`, Ê Đê, as a Đắk Lắk terminal might add):
/// every message of vi.ftl, marked so that a text
/// left untranslated would show. It stands for the file a translator adds to i18n/.
fn generated_language_file() -> String {
    let (_, vi) = hailong::i18n::LANGUAGE_FILES
        .iter()
        .find(|(tag, _)| *tag == "vi")
        .expect("vi.ftl");
    vi.lines()
        .map(|line| match line.split_once(" = ") {
            Some((key, _)) if key == "language-name" => format!("{key} = Êđê (thử)"),
            Some((key, value)) if !line.starts_with('#') => format!("{key} = ⟨{value}⟩"),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_language_is_one_more_file() {
    let generated = generated_language_file();
    let mut sources: Vec<(&str, String)> = hailong::i18n::LANGUAGE_FILES
        .iter()
        .map(|(tag, source)| (*tag, (*source).to_owned()))
        .collect();
    // Same keys as Vietnamese: the completeness check a shipped file goes through.
    let (_, vi) = sources.iter().find(|(tag, _)| *tag == "vi").expect("vi");
    assert_eq!(
        hailong::i18n::message_ids(vi),
        hailong::i18n::message_ids(&generated)
    );
    sources.push(("rad", generated));
    let i18n = I18n::from_sources(sources).expect("the new file parses");
    let mut kiosk = Kiosk::with_i18n(i18n);
    // Offered on the first screen after Vietnamese, without a line of code.
    kiosk.tap("Êđê (thử)");
    assert_eq!(kiosk.app.language().tag(), "rad");
    assert!(kiosk.shows("⟨Rất hài lòng⟩"));
    kiosk.snapshot("home-generated-language");
    kiosk.tap("⟨Rất hài lòng⟩");
    assert!(kiosk.shows("⟨Ông/Bà có góp ý gì thêm không?⟩"));
    kiosk.tap("⟨Bỏ qua⟩");
    kiosk.tap("⟨Bỏ qua⟩");
    assert!(kiosk.shows("⟨Cảm ơn Ông/Bà!⟩"));
    assert_eq!(kiosk.only_rating().draft.language, "rad");
    kiosk.wait(Duration::from_secs(6));
    assert_eq!(kiosk.app.language().tag(), "vi");
}

// ---- Reading aloud -----------------------------------------------------------------------

impl Kiosk {
    /// A finger down on `label`, held for `held`, then lifted.
    fn hold(&mut self, label: &str, held: Duration) {
        let point = self.position_of(label);
        self.now = self.now.after(Duration::from_secs(1));
        self.press_at(point, true);
        let mut waited = Duration::ZERO;
        while waited < held {
            self.wait(Duration::from_millis(250));
            waited += Duration::from_millis(250);
        }
        self.press_at(point, false);
    }
}

#[test]
fn holding_a_level_reads_it_aloud_and_does_not_rate() {
    let mut kiosk = Kiosk::demo();
    assert!(kiosk.shows("Chạm vào một ô để đánh giá · Giữ ngón tay để nghe đọc"));
    kiosk.hold("Không hài lòng", Duration::from_secs(1));
    assert_eq!(kiosk.app.last_prompt(), Some(("vi", "level-unsatisfied")));
    assert_eq!(kiosk.app.screen(), &Screen::Home, "listening is not rating");
    assert!(kiosk.sealed().is_empty() && kiosk.app.last_rating().is_none());

    kiosk.hold(
        "Ông/Bà có hài lòng với việc giải quyết thủ tục hành chính hôm nay không?",
        Duration::from_secs(1),
    );
    assert_eq!(kiosk.app.last_prompt(), Some(("vi", "question-default")));

    kiosk.tap("English");
    kiosk.hold("Very satisfied", Duration::from_secs(1));
    assert_eq!(
        kiosk.app.last_prompt(),
        Some(("en", "level-very-satisfied"))
    );

    // A short press is a rating, as always.
    kiosk.hold("Very satisfied", Duration::from_millis(250));
    assert!(matches!(kiosk.app.screen(), Screen::Comment(_)));
}

#[test]
fn without_read_aloud_a_long_press_still_rates() {
    let mut config = TerminalConfig::demo();
    config.terminal.read_aloud = false;
    let mut kiosk = Kiosk::with_config(config);
    assert!(kiosk.shows("Chạm vào một ô để đánh giá"));
    kiosk.hold("Hài lòng", Duration::from_secs(2));
    assert_eq!(kiosk.app.last_prompt(), None);
    assert!(matches!(kiosk.app.screen(), Screen::Comment(_)));
}

// ---- Touch targets over the real layouts ------------------------------------------------

/// For every text a tap on which lands on something (a button, a key, a level), the size of
/// that something: walked out from the text's centre, one design unit at a time, to where a
/// tap no longer lands.
fn tap_targets(app: &App, size: Size) -> Vec<(String, f32, f32)> {
    use iced::event::Status;
    let texts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut ui = Simulator::with_size(font::settings(), size, app.view());
    let _ = ui.find(VisibleText(texts.clone()));
    let mut lands = |point: Point| {
        ui.point_at(point);
        ui.simulate(iced_test::simulator::click()).first() == Some(&Status::Captured)
    };
    let texts = texts.lock().expect("texts").clone();
    let mut targets = Vec::new();
    for (label, bounds, _) in texts {
        let centre = bounds.center();
        if !lands(centre) {
            continue;
        }
        let mut reach = |dx: f32, dy: f32| {
            let mut n = 0.0;
            while n < 400.0
                && lands(Point::new(
                    centre.x + dx * (n + 1.0),
                    centre.y + dy * (n + 1.0),
                ))
            {
                n += 1.0;
            }
            n
        };
        let width = reach(-1.0, 0.0) + reach(1.0, 0.0) + 1.0;
        let height = reach(0.0, -1.0) + reach(0.0, 1.0) + 1.0;
        targets.push((label, width, height));
    }
    targets
}

/// Nine millimetres in design units on the configured screen at a kiosk resolution.
fn nine_mm(config: &TerminalConfig, width_px: f32, height_px: f32) -> f32 {
    let scale = App::new_scale(Size::new(width_px, height_px));
    9.0 * hailong::theme::units_per_mm(
        width_px,
        height_px,
        config.terminal.screen_diagonal_inch,
        scale,
    )
}

/// WCAG 2.2 target size, checked on the real layouts of every screen at both kiosk
/// resolutions and the configured screen size: each tappable thing is at least 9 mm each way.
#[test]
fn every_tap_target_is_at_least_nine_millimetres() {
    let mut kiosk = Kiosk::with_config(every_page_config());
    let mut seen = 0;
    let mut check = |kiosk: &Kiosk, screen: &str| {
        let config = kiosk.app.config().clone();
        for (logical, (w, h)) in [
            (KIOSK_SMALL, (1280.0, 800.0)),
            (KIOSK_FULL_HD, (1920.0, 1080.0)),
        ] {
            let min = nine_mm(&config, w, h);
            let targets = tap_targets(&kiosk.app, logical);
            assert!(!targets.is_empty(), "{screen}: nothing to tap was found");
            if let Some((label, width, height)) = targets
                .iter()
                .min_by(|a, b| a.1.min(a.2).total_cmp(&b.1.min(b.2)))
            {
                eprintln!(
                    "{screen} at {w}x{h}: {} targets, the smallest {label:?} {width}x{height} units = {:.1} mm",
                    targets.len(),
                    width.min(*height) * 9.0 / min
                );
            }
            for (label, width, height) in targets {
                assert!(
                    width >= min && height >= min,
                    "{screen} at {w}x{h}: {label:?} is {width}x{height} units, under 9 mm ({min:.1})"
                );
                seen += 1;
            }
        }
    };
    check(&kiosk, "home");
    kiosk.tap("Không hài lòng");
    check(&kiosk, "reasons");
    kiosk.tap("Xong");
    check(&kiosk, "criterion (Circular 01)");
    kiosk.tap("Bỏ qua");
    check(&kiosk, "criterion (SIPAS)");
    kiosk.tap("Bỏ qua");
    check(&kiosk, "comment");
    // The measure itself: a letter key is drawn 96 x 64 units (src/screen/comment.rs).
    let q = tap_targets(&kiosk.app, KIOSK_SMALL)
        .into_iter()
        .find(|(label, _, _)| label == "q")
        .expect("the q key");
    assert!(
        (q.1 - 96.0).abs() <= 1.0 && (q.2 - 64.0).abs() <= 1.0,
        "q measured {}x{}",
        q.1,
        q.2
    );
    kiosk.tap("123");
    check(&kiosk, "comment, digits");
    kiosk.tap("Đây là phản ánh, kiến nghị");
    kiosk.tap("Gửi");
    check(&kiosk, "consent");
    kiosk.tap("Đồng ý, để lại số");
    check(&kiosk, "phone");
    kiosk.tap("Bỏ qua");
    check(&kiosk, "dossier");
    kiosk.tap("Bỏ qua");
    // A complaint: the thank-you stays twice as long.
    kiosk.wait(Duration::from_secs(11));
    kiosk.hold_corner(4);
    check(&kiosk, "PIN pad");
    for digit in "9999".chars() {
        kiosk.tap(&digit.to_string());
    }
    kiosk.tap("Đăng nhập");
    check(&kiosk, "staff dashboard");
    assert!(seen > 100, "only {seen} targets measured");
}

// ---- Technician screen (supervisor only) --------------------------------------------------

impl Kiosk {
    /// A kiosk enrolled with `server` (the real enrollment), its background sync settings set
    /// as `hailong` sets them (the harness runs tasks, never the subscription).
    fn linked(server: &support::Server) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("hailong.db");
        let config_dir = dir.path().join("config");
        let enrollment = runtime().block_on(server.add_terminal("Quầy 1 - Hộ tịch"));
        let enrolled = runtime()
            .block_on(hailong::provision::enroll(
                &config_dir,
                &server.url(),
                &enrollment.code,
                None,
                None,
            ))
            .expect("enroll");
        let mut config = TerminalConfig::demo();
        config.terminal.id.clone_from(&enrolled.link.terminal_id);
        let (writer, opened) = Writer::spawn(&database, wall_clock);
        let now = Now {
            instant: Instant::now(),
            wall: wall_clock(),
        };
        let sync = hailong::sync::worker::Settings {
            writer: writer.clone(),
            link: enrolled.link,
            config_dir: config_dir.clone(),
            clock: wall_clock,
        };
        let setup = Setup {
            config,
            source: ConfigSource::Demo,
            i18n: I18n::embedded().expect("i18n"),
            writer,
            sync: Some(sync),
            setup_mode: false,
            config_dir,
            usb_roots: Vec::new(),
            kiosk: true,
            window: Size::new(1280.0, 800.0),
            speaker: hailong::audio::Speaker::silent(),
        };
        let mut kiosk = Self {
            app: App::new(setup, now),
            now,
            _dir: dir,
            database,
        };
        let opened = futures::executor::block_on(opened);
        kiosk.send(Message::StorageOpened(opened));
        kiosk
    }

    fn sign_out(&mut self) {
        self.tap("Thoát");
        assert_eq!(self.app.screen(), &Screen::Home);
    }
}

#[test]
fn only_the_supervisor_sees_the_technician_button() {
    let mut kiosk = Kiosk::seeded();
    kiosk.sign_in("1111");
    assert!(matches!(kiosk.app.screen(), Screen::Staff(_)));
    assert!(
        !kiosk.shows("Kỹ thuật"),
        "an ordinary staff member has no way in"
    );
    // Even a message from elsewhere does not open it for them.
    kiosk.send(Message::Staff(hailong::screen::staff::Message::Technician));
    assert!(matches!(kiosk.app.screen(), Screen::Staff(_)));
    kiosk.sign_out();
    kiosk.sign_in("9999");
    assert!(kiosk.shows("Kỹ thuật"));
    kiosk.tap("Kỹ thuật");
    assert!(matches!(kiosk.app.screen(), Screen::Technician(_)));
}

#[test]
fn the_technician_screen_runs_the_checks_and_syncs_now_with_the_server() {
    let server_dir = tempfile::tempdir().expect("tempdir");
    let server = runtime().block_on(support::Server::start(
        &server_dir.path().join("server.db"),
        support::generous(),
    ));
    let mut kiosk = Kiosk::linked(&server);
    let terminal = kiosk.app.config().terminal.id.clone();
    for _ in 0..3 {
        kiosk.tap("Rất hài lòng");
        // Past every follow-up page, whatever the flow asks.
        for _ in 0..10 {
            if kiosk.app.screen() == &Screen::Thanks {
                break;
            }
            kiosk.tap("Bỏ qua");
        }
        kiosk.wait(Duration::from_secs(6));
    }
    kiosk.sign_in("9999");
    kiosk.tap("Kỹ thuật");
    let Screen::Technician(state) = kiosk.app.screen() else {
        panic!("technician screen expected, got {:?}", kiosk.app.screen());
    };
    let findings = state.findings.as_ref().expect("the checks have run");
    let names: Vec<&str> = findings.iter().map(|f| f.name).collect();
    for name in [
        "version", "disk", "database", "chain", "sync", "dns", "tcp", "api", "clock",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let chain = findings.iter().find(|f| f.name == "chain").expect("chain");
    assert_eq!(chain.status, hailong::doctor::Status::Ok);
    assert!(kiosk.shows("Kiểm tra kỹ thuật"));
    assert!(kiosk.shows("Chống sửa dữ liệu"));
    assert!(kiosk.shows(&format!(
        "3 đánh giá đã niêm phong khớp chuỗi từ đầu của máy {terminal}"
    )));
    // The sync line says what is waiting; "sync now" sends it and says so in words.
    assert!(kiosk.shows("3 đang chờ gửi; gửi được lần cuối: chưa lần nào"));
    kiosk.tap("Đồng bộ ngay");
    assert!(
        kiosk.shows("Đã gửi xong: máy chủ nhận 3 đánh giá; còn 0 đang chờ."),
        "{:?}",
        kiosk.app.screen()
    );
    assert_eq!(support::server_ratings(&server.db, &terminal).len(), 3);
    // Run again: the sync line now has a last success.
    kiosk.tap("Chạy lại");
    assert!(kiosk.shows("0 đang chờ gửi; gửi được lần cuối: 2026-11-23T09:00:00+07:00"));
    // A minute without a touch: back to the citizen screen, as staff mode does.
    kiosk.wait(Duration::from_secs(30));
    assert!(matches!(kiosk.app.screen(), Screen::Technician(_)));
    kiosk.wait(Duration::from_secs(31));
    assert_eq!(kiosk.app.screen(), &Screen::Home);
}

/// What a technician sees on a terminal of a Hà Nội ward: a disk filling up, the
/// provincial server unreachable, and the ratings of the terminal's earlier id held.
fn realistic_findings() -> Vec<hailong::doctor::Finding> {
    use hailong::doctor::{Finding, Status, Words};
    let finding = |name, status, detail: Words, fix: Option<Words>| Finding {
        name,
        status,
        detail,
        fix,
    };
    vec![
        finding(
            "version",
            Status::Ok,
            Words::new("doctor-version").arg("version", "0.1.0"),
            None,
        ),
        finding(
            "configuration",
            Status::Ok,
            Words::new("doctor-config-ok")
                .arg("path", "/etc/hailong/terminal.toml")
                .arg("version", "2026-11-ha-noi"),
            None,
        ),
        finding(
            "disk",
            Status::Warn,
            Words::new("doctor-disk-free")
                .arg("mib", 612)
                .arg("path", "/var/lib/hailong"),
            Some(Words::new("doctor-disk-low-fix")),
        ),
        finding(
            "database",
            Status::Ok,
            Words::new("doctor-db-ok").arg("path", "/var/lib/hailong/hailong.db"),
            None,
        ),
        finding(
            "chain",
            Status::Ok,
            Words::new("doctor-chain-ok")
                .arg("count", 1284)
                .arg("terminal", "00004-003"),
            None,
        ),
        finding(
            "sync",
            Status::Warn,
            Words::new("doctor-sync-error")
                .arg("queued", 37)
                .list(
                    "last",
                    vec![Words::new("doctor-text").arg("text", "2026-11-23T07:42:10+07:00")],
                )
                .arg("error", "cannot reach the server: connection refused"),
            Some(Words::new("doctor-sync-error-fix")),
        ),
        finding(
            "earlier",
            Status::Warn,
            Words::new("doctor-earlier-error")
                .arg("count", 12)
                .arg("terminal", "00004-001")
                .arg("url", "https://hailong.hanoi.gov.vn")
                .arg("error", "the server refused this terminal (revoked)"),
            Some(Words::new("doctor-earlier-error-fix")),
        ),
        finding(
            "dns",
            Status::Ok,
            Words::new("doctor-dns-ok")
                .arg("host", "hailong.hanoi.gov.vn")
                .arg("address", "10.48.2.15:443"),
            None,
        ),
        finding(
            "tcp",
            Status::Fail,
            Words::new("doctor-tcp-fail").arg("target", "hailong.hanoi.gov.vn:443"),
            Some(Words::new("doctor-tcp-fail-fix")),
        ),
    ]
}

#[test]
fn technician_screen_snapshot_with_a_failing_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("hailong.db");
    seed(&database);
    // A provisioned terminal (no DEMO band), as the findings below describe.
    let mut config = TerminalConfig::demo();
    config.demo = false;
    let mut kiosk = Kiosk::at(config, dir, database);
    kiosk.sign_in("9999");
    kiosk.tap("Kỹ thuật");
    kiosk.send(Message::Checked(realistic_findings()));
    kiosk.send(Message::SyncedNow(Err(hailong::sync::SyncError::Network(
        "connection refused".into(),
    ))));
    assert!(kiosk.shows("1 mục lỗi, 3 mục cần xem"));
    assert!(kiosk.shows("Chưa gửi được: không kết nối được máy chủ"));
    assert!(kiosk.shows("cannot reach the server: connection refused"));
    kiosk.snapshot("technician-checks");
    kiosk.snapshot_at("technician-checks-full-hd", KIOSK_FULL_HD);
}

#[test]
fn the_ui_tick_tells_systemd_ready_and_feeds_the_watchdog() {
    use std::os::unix::net::UnixDatagram;
    let socket_dir = tempfile::tempdir().expect("tempdir");
    let path = socket_dir.path().join("notify");
    let systemd = UnixDatagram::bind(&path).expect("bind");
    systemd.set_nonblocking(true).expect("nonblocking");
    let received = || {
        let mut got = Vec::new();
        let mut buffer = [0u8; 64];
        while let Ok(n) = systemd.recv(&mut buffer) {
            got.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
        }
        got
    };
    let kiosk = Kiosk::demo();
    let mut kiosk = Kiosk {
        app: kiosk
            .app
            .with_notifier(hailong::notify::Notifier::to_socket(
                &path,
                Duration::from_secs(10),
            )),
        ..kiosk
    };
    assert!(received().is_empty(), "nothing before the loop ticks");
    kiosk.wait(hailong::app::TICK);
    assert_eq!(received(), ["READY=1", "WATCHDOG=1"]);
    kiosk.wait(Duration::from_secs(5));
    assert!(received().is_empty());
    kiosk.wait(Duration::from_secs(5));
    assert_eq!(received(), ["WATCHDOG=1"]);
}
