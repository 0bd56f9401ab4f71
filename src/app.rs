//! The kiosk application: the screen in front of the citizen, the rating being answered, and
//! the writes on their way to the store.
//!
//! `update` takes the time as data ([`Now`]), so idle reset, bounce and retries are tested
//! without sleeping. Screens do no I/O; writes go to the store's own thread as tasks.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use iced::keyboard::{self, key};
use iced::{Size, Subscription, Task, window};
use uuid::Uuid;

use crate::config::{ConfigSource, ServerLink, TerminalConfig};
use crate::export::{self, ExportError, Exported};
use crate::i18n::{I18n, Language};
use crate::provision::{self, ProvisionError};
use crate::screen::{
    Banner, Context, comment, consent, criteria, dossier, home, phone, pin, reasons, setup, staff,
    technician, thanks,
};
use crate::staff::{self as staff_mode, Lockout, Role};
use crate::store::duty::Shift;
use crate::store::tally::{Individuals, Tally, TallyQuery};
use crate::store::{OpenReport, RatingDraft, Saved, Seal, SealCause, StoreError, Writer};
use crate::survey::{Level, QuestionSet, Step};
use crate::sync;
use crate::theme::{DESIGN_HEIGHT, Look};
use crate::widget::Element;
use crate::widget::hidden_cursor::hidden_cursor;

/// How often the app looks at the clock (idle reset, thank-you timeout, retries).
pub const TICK: Duration = Duration::from_millis(250);

/// First retry of a failed write; doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// The moment a message is handled: monotonic for durations, wall clock for what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub instant: Instant,
    pub wall: DateTime<FixedOffset>,
}

impl Now {
    /// The system clocks.
    pub fn system() -> Self {
        Self {
            instant: Instant::now(),
            wall: chrono::Local::now().fixed_offset(),
        }
    }

    /// `duration` later.
    pub fn after(self, duration: Duration) -> Self {
        Self {
            instant: self.instant + duration,
            wall: self.wall + chrono::Duration::from_std(duration).unwrap_or_default(),
        }
    }
}

/// What the app is started with.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: TerminalConfig,
    pub source: ConfigSource,
    pub i18n: I18n,
    pub writer: Writer,
    /// The background sync, when the terminal is linked to a server.
    pub sync: Option<sync::worker::Settings>,
    /// Kiosk mode hides the cursor and ignores window close requests.
    pub kiosk: bool,
    /// The window's size in physical pixels at start (the scale follows resizes).
    pub window: Size,
    /// Plays spoken prompts (silent without a sound card).
    pub speaker: crate::audio::Speaker,
    /// Start on the first-start screen (nothing provisioned, and no demo wanted).
    pub setup_mode: bool,
    /// Where provisioning writes terminal.toml and server.toml.
    pub config_dir: std::path::PathBuf,
    /// Folders searched for provisioning files besides mounted USB sticks.
    pub usb_roots: Vec<std::path::PathBuf>,
}

/// The screen in front of the citizen (or of staff, in staff mode).
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Home,
    Reasons(reasons::State),
    Criterion(criteria::State),
    Comment(comment::State),
    /// Consent before a call-back number (after a complaint).
    Consent,
    /// The call-back number, after consent.
    Phone(phone::State),
    Dossier(dossier::State),
    Thanks,
    /// The staff PIN pad.
    Pin(pin::State),
    /// The staff dashboard.
    Staff(staff::State),
    /// The first-start screen.
    Setup(setup::State),
    /// The technician's checks and "sync now" (supervisor only).
    Technician(technician::State),
}

/// Every message of the app.
#[derive(Debug, Clone)]
pub enum Message {
    Home(home::Message),
    Reasons(reasons::Message),
    Criteria(criteria::Message),
    Comment(comment::Message),
    Consent(consent::Message),
    Phone(phone::Message),
    Dossier(dossier::Message),
    Pin(pin::Message),
    Staff(staff::Message),
    Setup(setup::Message),
    Technician(technician::Message),
    /// The technician's checks have run.
    Checked(Vec<crate::doctor::Finding>),
    /// The technician's "sync now" round finished.
    SyncedNow(Result<sync::engine::RoundReport, sync::SyncError>),
    /// Provisioning finished: the configuration and the link to use from now on.
    Provisioned(Result<(Option<Box<TerminalConfig>>, Option<ServerLink>), ProvisionError>),
    /// Provisioning files found on USB sticks.
    UsbFiles(Vec<std::path::PathBuf>),
    /// The PIN check finished: whose PIN it was, if anyone's.
    PinChecked(Option<Role>),
    /// A tally for the dashboard.
    TallyLoaded(staff::Range, Result<Tally, StoreError>),
    /// The individual ratings of a range, for the supervisor (with flagged ones or not).
    AnswersLoaded(staff::Range, bool, Result<Individuals, StoreError>),
    /// USB sticks found for exports.
    SticksFound(Vec<std::path::PathBuf>),
    /// The staff photos of the configuration in use, decoded.
    PhotosLoaded(crate::photo::Photos),
    /// The shifts per counter, read from the store.
    ShiftsLoaded(Result<BTreeMap<String, Shift>, StoreError>),
    /// An export finished.
    Exported(Result<Exported, ExportError>),
    /// The clock moved on.
    Tick,
    /// A key from a keyboard or a barcode scanner.
    Key(keyboard::Key, Option<String>),
    /// The store answered a write.
    Saved {
        id: Uuid,
        revision: u64,
        result: Result<Saved, StoreError>,
    },
    /// The store finished opening (integrity check, recovery).
    StorageOpened(Result<OpenReport, StoreError>),
    /// The window changed size (logical units).
    Resized(Size),
    /// Alt+F4 or the window manager's close: ignored in kiosk mode.
    CloseRequested(window::Id),
    /// The background sync finished a round.
    Sync(sync::worker::Event),
}

/// What staff and technicians see of the sync (citizens never do).
#[derive(Debug, Clone, Default)]
pub struct SyncView {
    /// Ratings not yet accepted by the server, after the last round.
    pub queued: Option<u64>,
    /// Device time of the last successful round.
    pub last_success: Option<DateTime<FixedOffset>>,
    /// The last error, cleared by a success.
    pub last_error: Option<String>,
    /// When the next round starts.
    pub next_in: Option<Duration>,
}

/// Whether the store can be written.
#[derive(Debug, Clone)]
pub enum Storage {
    Opening,
    Ready,
    Unavailable(StoreError),
}

/// The rating being answered.
#[derive(Debug, Clone)]
struct Flow {
    draft: RatingDraft,
    steps: Vec<Step>,
    /// Index in `steps` of the page shown.
    position: usize,
}

/// The latest content of a rating that the store has not yet confirmed.
#[derive(Debug, Clone)]
struct PendingWrite {
    draft: RatingDraft,
    seal: Option<Seal>,
    revision: u64,
    failures: u32,
    retry_at: Option<Instant>,
}

/// A key typed on a keyboard or by a scanner.
#[derive(Debug, Clone, Copy)]
enum Typed {
    Enter,
    Backspace,
    Char(char),
}

/// A finger held on the home screen.
#[derive(Debug, Clone, Copy)]
struct Hold {
    target: home::Target,
    since: Instant,
    /// It was read aloud: lifting the finger does not rate.
    spoken: bool,
}

/// How long a finger stays on the question or a level before it is read aloud.
pub const HOLD_TO_HEAR: Duration = Duration::from_millis(700);

/// The kiosk.
pub struct App {
    config: TerminalConfig,
    source: ConfigSource,
    i18n: I18n,
    writer: Writer,
    sync: Option<sync::worker::Settings>,
    sync_view: SyncView,
    /// A configuration from the server, applied between citizens.
    pending_config: Option<Box<TerminalConfig>>,
    /// When the commune's name was pressed (a long press opens staff mode).
    corner_down: Option<Instant>,
    /// Wrong staff PINs and the lock they cause.
    lockout: Lockout,
    /// Shifts per counter as recorded by staff.
    shifts: BTreeMap<String, Shift>,
    config_dir: std::path::PathBuf,
    /// Folders that count as USB sticks besides the mounted ones (tests, portable installs).
    usb_roots: Vec<std::path::PathBuf>,
    /// Staff photos, decoded off the UI thread.
    photos: crate::photo::Photos,
    /// The configuration changed (or the app started): read its photos at the next tick.
    photos_wanted: bool,
    kiosk: bool,
    scale: f32,
    language: Language,
    /// High contrast and large text, as this citizen chose.
    look: Look,
    /// A finger on the question or a level of the home screen.
    hold: Option<Hold>,
    /// What the thank-you screen says happens next (a complaint, a call-back).
    follow_up: thanks::FollowUp,
    /// The day old call-back numbers were last looked for.
    numbers_checked_on: Option<chrono::NaiveDate>,
    /// Plays the spoken prompts.
    speaker: crate::audio::Speaker,
    /// The prompt read aloud last: (language, i18n key).
    last_prompt: Option<(String, &'static str)>,
    screen: Screen,
    flow: Option<Flow>,
    last_touch: Instant,
    guard_until: Option<Instant>,
    thanks_until: Option<Instant>,
    last_rating: Option<Uuid>,
    storage: Storage,
    writes: BTreeMap<Uuid, PendingWrite>,
    next_revision: u64,
    /// systemd's READY=1 and watchdog pings, sent from the tick.
    notifier: crate::notify::Notifier,
}

impl App {
    /// A new app on the home screen.
    pub fn new(setup: Setup, now: Now) -> Self {
        Self {
            scale: Self::new_scale(setup.window),
            config: setup.config,
            source: setup.source,
            i18n: setup.i18n,
            writer: setup.writer,
            sync: setup.sync,
            sync_view: SyncView::default(),
            pending_config: None,
            corner_down: None,
            lockout: Lockout::default(),
            shifts: BTreeMap::new(),
            config_dir: setup.config_dir,
            usb_roots: setup.usb_roots.clone(),
            photos: crate::photo::Photos::default(),
            photos_wanted: true,
            kiosk: setup.kiosk,
            language: Language::default_language(),
            look: Look::default(),
            hold: None,
            follow_up: thanks::FollowUp::None,
            numbers_checked_on: None,
            speaker: setup.speaker,
            last_prompt: None,
            screen: if setup.setup_mode {
                Screen::Setup(setup::State {
                    files: provision::usb_files(&setup.usb_roots),
                    ..setup::State::default()
                })
            } else {
                Screen::Home
            },
            flow: None,
            last_touch: now.instant,
            guard_until: None,
            thanks_until: None,
            last_rating: None,
            storage: Storage::Opening,
            writes: BTreeMap::new(),
            next_revision: 0,
            notifier: crate::notify::Notifier::default(),
        }
    }

    /// Tells systemd through `notifier` that the kiosk is ready, then pings its watchdog from
    /// every tick: a UI loop that hangs stops the pings and gets the kiosk restarted.
    #[must_use]
    pub fn with_notifier(mut self, notifier: crate::notify::Notifier) -> Self {
        self.notifier = notifier;
        self
    }

    /// The UI scale for a window of `size` physical pixels.
    pub fn new_scale(size: Size) -> f32 {
        (size.height / DESIGN_HEIGHT).clamp(0.5, 4.0)
    }

    /// The screen shown.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// The citizen's language.
    pub fn language(&self) -> &Language {
        &self.language
    }

    /// The prompt read aloud last, as (language, i18n key).
    pub fn last_prompt(&self) -> Option<(&str, &str)> {
        self.last_prompt
            .as_ref()
            .map(|(language, key)| (language.as_str(), *key))
    }

    /// How the screens look for this citizen.
    pub fn look(&self) -> Look {
        self.look
    }

    /// The iced theme of the look in use.
    pub fn theme(&self) -> iced::Theme {
        self.look.theme()
    }

    /// Whether the store can be written.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The id of the rating answered last (or being answered).
    pub fn last_rating(&self) -> Option<Uuid> {
        self.last_rating
    }

    /// Ratings whose latest content the store has not confirmed.
    pub fn unconfirmed_writes(&self) -> usize {
        self.writes.len()
    }

    /// Where the configuration came from.
    pub fn config_source(&self) -> &ConfigSource {
        &self.source
    }

    /// The UI scale: the window height over the design height.
    pub fn scale_factor(&self) -> f32 {
        self.scale
    }

    /// iced's update: reads the clocks and hands over to [`App::update_at`].
    pub fn update(&mut self, message: Message) -> Task<Message> {
        self.update_at(message, Now::system())
    }

    /// Handles `message` at the moment `now`.
    pub fn update_at(&mut self, message: Message, now: Now) -> Task<Message> {
        match message {
            Message::Home(message) => self.on_home(message, now),
            Message::Reasons(message) => self.on_reasons(message, now),
            Message::Criteria(message) => self.on_criteria(message, now),
            Message::Comment(message) => self.on_comment(message, now, true),
            Message::Consent(message) => self.on_consent(message, now),
            Message::Phone(message) => self.on_phone(message, now, true),
            Message::Dossier(message) => self.on_dossier(message, now, true),
            Message::Pin(message) => self.on_pin(message, now),
            Message::Setup(message) => self.on_setup(message, now),
            Message::Technician(message) => self.on_technician(message, now),
            Message::Checked(findings) => {
                if let Screen::Technician(state) = &mut self.screen {
                    state.checked(findings);
                }
                Task::none()
            }
            Message::SyncedNow(result) => {
                let shown = match &result {
                    Ok(report) => Ok(technician::Synced {
                        sent: report.created + report.duplicates + report.accounted,
                        queued: report.queued,
                        earlier_sent: report.earlier_sent,
                        earlier_held: report.earlier_held,
                    }),
                    Err(error) => Err(error.clone()),
                };
                self.sync_finished(result, now);
                if let Screen::Technician(state) = &mut self.screen {
                    state.sync = technician::SyncNow::Done(shown);
                }
                Task::none()
            }
            Message::Provisioned(result) => self.on_provisioned(result, now),
            Message::UsbFiles(files) => {
                if let Screen::Setup(state) = &mut self.screen {
                    state.files = files;
                }
                Task::none()
            }
            Message::Staff(message) => self.on_staff(message, now),
            Message::PinChecked(role) => self.on_pin_checked(role, now),
            Message::TallyLoaded(range, result) => {
                if let Screen::Staff(state) = &mut self.screen
                    && state.range == range
                {
                    match result {
                        Ok(tally) => state.tally = Some(tally),
                        Err(error) => state.notice = Some(error.to_string()),
                    }
                }
                Task::none()
            }
            Message::AnswersLoaded(range, flagged, result) => {
                if let Screen::Staff(state) = &mut self.screen
                    && state.range == range
                    && state.include_flagged == flagged
                    && state.role.is_supervisor()
                {
                    match result {
                        Ok(answers) => state.answers = Some(answers),
                        Err(error) => state.notice = Some(error.to_string()),
                    }
                }
                Task::none()
            }
            Message::PhotosLoaded(photos) => {
                self.photos = photos;
                Task::none()
            }
            Message::SticksFound(sticks) => {
                if let Screen::Staff(state) = &mut self.screen {
                    state.sticks_found(sticks);
                }
                Task::none()
            }
            Message::ShiftsLoaded(result) => {
                match result {
                    Ok(shifts) => self.shifts = shifts,
                    Err(error) => tracing::error!(%error, "cannot read the shifts"),
                }
                Task::none()
            }
            Message::Exported(result) => {
                // A stick pulled out: the list shows what is still there.
                let rescan = if matches!(result, Err(ExportError::StickGone(_))) {
                    self.find_sticks()
                } else {
                    Task::none()
                };
                if let Screen::Staff(state) = &mut self.screen {
                    state.notice = Some(match result {
                        Ok(exported) => self.i18n.tr_args(
                            &self.language,
                            "export-done",
                            &[(
                                "file",
                                exported
                                    .files
                                    .first()
                                    .and_then(|f| f.file_name())
                                    .map(|f| f.to_string_lossy().into_owned())
                                    .unwrap_or_default(),
                            )],
                        ),
                        Err(error) => error.message(&self.i18n, &self.language),
                    });
                }
                rescan
            }
            Message::Key(key, text) => self.on_key(&key, text.as_deref(), now),
            Message::Tick => self.on_tick(now),
            Message::Saved {
                id,
                revision,
                result,
            } => {
                self.on_saved(id, revision, result, now);
                Task::none()
            }
            Message::StorageOpened(result) => {
                self.storage = match result {
                    Ok(report) => {
                        if report.moved_aside.is_some() || report.recovered_drafts > 0 {
                            tracing::warn!(?report, "the store needed repair at start-up");
                        }
                        Storage::Ready
                    }
                    Err(error) => Storage::Unavailable(error),
                };
                self.load_shifts()
            }
            Message::Resized(size) => {
                // `size` is in logical units of the current scale.
                self.scale = Self::new_scale(size * self.scale);
                Task::none()
            }
            Message::Sync(event) => {
                self.on_sync(event, now);
                Task::none()
            }
            Message::CloseRequested(id) => {
                if self.kiosk {
                    tracing::info!("close request ignored in kiosk mode");
                    Task::none()
                } else {
                    window::close(id)
                }
            }
        }
    }

    fn on_sync(&mut self, event: sync::worker::Event, now: Now) {
        let sync::worker::Event::Round { result, next_in } = event;
        self.sync_view.next_in = Some(next_in);
        self.sync_finished(result, now);
    }

    /// What staff and technicians see of a finished round; a new configuration waits for the
    /// next citizen.
    fn sync_finished(
        &mut self,
        result: Result<sync::engine::RoundReport, sync::SyncError>,
        now: Now,
    ) {
        match result {
            Ok(report) => {
                self.sync_view.queued = Some(report.queued);
                self.sync_view.last_success = Some(now.wall);
                self.sync_view.last_error = None;
                if let Some(config) = report.new_config {
                    self.pending_config = Some(config);
                    self.apply_pending_config();
                }
            }
            Err(error) => self.sync_view.last_error = Some(error.to_string()),
        }
    }

    /// A new configuration takes effect only between citizens.
    fn apply_pending_config(&mut self) {
        if self.screen != Screen::Home || self.flow.is_some() {
            return;
        }
        if let Some(config) = self.pending_config.take() {
            tracing::info!(version = %config.config_version, "applying the new configuration");
            self.config = *config;
            self.photos_wanted = true;
        }
    }

    /// The staff member on duty at `counter`: the recorded shift, else the configuration's.
    pub fn on_duty(&self, counter: &str) -> Option<String> {
        match self.shifts.get(counter) {
            Some(Shift::OnDuty(staff)) => Some(staff.clone()),
            Some(Shift::Ended) => None,
            None => self.config.counter(counter).and_then(|c| c.staff.clone()),
        }
    }

    fn load_shifts(&self) -> Task<Message> {
        Task::perform(
            self.writer.run(|store| store?.shifts()),
            Message::ShiftsLoaded,
        )
    }

    /// Back to the citizen screen; nothing of staff mode stays.
    fn leave_staff_mode(&mut self, now: Now) {
        self.reset(now);
    }

    fn on_pin(&mut self, message: pin::Message, now: Now) -> Task<Message> {
        if self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let Screen::Pin(pad) = &mut self.screen else {
            return Task::none();
        };
        match pad.update(message) {
            None => Task::none(),
            Some(pin::Event::Cancel) => {
                self.leave_staff_mode(now);
                Task::none()
            }
            Some(pin::Event::Check(pin)) => {
                let config = self.config.clone();
                // Argon2 is slow on purpose: off the UI thread, off the store's thread.
                off_thread(
                    move || crate::staff::identify(&config, &pin),
                    Message::PinChecked,
                )
            }
        }
    }

    fn on_pin_checked(&mut self, role: Option<Role>, now: Now) -> Task<Message> {
        let Screen::Pin(pad) = &mut self.screen else {
            return Task::none();
        };
        match role {
            Some(role) => {
                self.lockout.succeeded();
                self.open_dashboard(role, now)
            }
            None => {
                self.lockout.failed(now.instant);
                pad.notice = Some(match self.lockout.remaining(now.instant) {
                    Some(remaining) => pin::Notice::Locked(remaining),
                    None => pin::Notice::Wrong {
                        left: crate::staff::MAX_TRIES - self.lockout.failures(),
                    },
                });
                Task::none()
            }
        }
    }

    /// The dashboard on today, with the tally, the USB sticks and (for the supervisor) the
    /// individual ratings on their way.
    fn open_dashboard(&mut self, role: Role, now: Now) -> Task<Message> {
        let state = staff::State::new(role, now.wall.date_naive());
        let range = state.range;
        self.screen = Screen::Staff(state);
        self.moved_on(now);
        Task::batch([self.load_tally(range, false, now), self.find_sticks()])
    }

    /// Looks for USB sticks off the UI thread (/proc/mounts and the disk).
    fn find_sticks(&self) -> Task<Message> {
        let roots = self.usb_roots.clone();
        off_thread(move || provision::usb_sticks(&roots), Message::SticksFound)
    }

    /// The tally of `range` and, for the supervisor, its individual ratings.
    fn load_tally(&self, range: staff::Range, include_flagged: bool, now: Now) -> Task<Message> {
        let answers = match &self.screen {
            Screen::Staff(state) if state.role.is_supervisor() => {
                self.load_answers(range, include_flagged, now)
            }
            _ => Task::none(),
        };
        Task::batch([self.load_tally_only(range, include_flagged, now), answers])
    }

    /// The newest ratings of `range` on the store's thread, for the supervisor's list.
    fn load_answers(&self, range: staff::Range, include_flagged: bool, now: Now) -> Task<Message> {
        let (from, to) = range.days(now.wall.date_naive());
        let query = TallyQuery {
            from,
            to,
            offset: *now.wall.offset(),
            include_flagged,
        };
        Task::perform(
            self.writer
                .run(move |store| store?.newest_in(&query, staff::ANSWERS_SHOWN)),
            move |result| Message::AnswersLoaded(range, include_flagged, result),
        )
    }

    fn load_tally_only(
        &self,
        range: staff::Range,
        include_flagged: bool,
        now: Now,
    ) -> Task<Message> {
        let (from, to) = range.days(now.wall.date_naive());
        let query = TallyQuery {
            from,
            to,
            offset: *now.wall.offset(),
            include_flagged,
        };
        Task::perform(
            self.writer.run(move |store| store?.tally(&query)),
            move |result| Message::TallyLoaded(range, result),
        )
    }

    fn on_staff(&mut self, message: staff::Message, now: Now) -> Task<Message> {
        if self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let today = now.wall.date_naive();
        let Screen::Staff(state) = &mut self.screen else {
            return Task::none();
        };
        let role = state.role.clone();
        match state.update(message, today) {
            None => Task::none(),
            Some(staff::Event::Load(range, flagged)) => self.load_tally(range, flagged, now),
            Some(staff::Event::SignOut) => {
                self.leave_staff_mode(now);
                Task::none()
            }
            Some(staff::Event::StartShift) => {
                let Role::Staff(id) = role else {
                    return Task::none();
                };
                self.set_shift(Some(id), now)
            }
            Some(staff::Event::EndShift) => self.set_shift(None, now),
            Some(staff::Event::Export(job)) => {
                let job = staff::ExportJob {
                    // Whatever the message said, only the supervisor exports personal data.
                    include_personal: job.include_personal && role.is_supervisor(),
                    ..job
                };
                self.export(job, now)
            }
            Some(staff::Event::RescanUsb) => self.find_sticks(),
            Some(staff::Event::Technician) => {
                if role != Role::Supervisor {
                    return Task::none();
                }
                self.screen = Screen::Technician(technician::State::new(now.wall));
                self.moved_on(now);
                self.run_checks()
            }
        }
    }

    fn on_technician(&mut self, message: technician::Message, now: Now) -> Task<Message> {
        if self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let linked = self.sync.is_some();
        let Screen::Technician(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message, now.wall) {
            None => Task::none(),
            Some(technician::Event::RunChecks) => self.run_checks(),
            Some(technician::Event::SyncNow) if !linked => {
                state.sync = technician::SyncNow::NotLinked;
                Task::none()
            }
            Some(technician::Event::SyncNow) => self.sync_now(),
            Some(technician::Event::Back) => self.open_dashboard(Role::Supervisor, now),
        }
    }

    /// What the doctor needs to know of this terminal.
    fn loaded(&self) -> crate::cli::Loaded {
        let data_dir = self.writer.path().parent().map_or_else(
            || std::path::PathBuf::from("."),
            std::path::Path::to_path_buf,
        );
        crate::cli::Loaded {
            paths: crate::config::Paths {
                data_dir,
                config_dir: self.config_dir.clone(),
            },
            config: self.config.clone(),
            source: self.source.clone(),
            link: self.sync.as_ref().map(|s| s.link.clone()),
        }
    }

    /// The doctor's checks, off the UI thread; the database is read on the store's thread.
    fn run_checks(&self) -> Task<Message> {
        Task::perform(
            crate::doctor::run_beside(self.loaded(), self.writer.clone()),
            Message::Checked,
        )
    }

    /// One sync round now, beside the background one (both are idempotent on the server).
    fn sync_now(&self) -> Task<Message> {
        let Some(settings) = self.sync.clone() else {
            return Task::none();
        };
        Task::perform(
            async move {
                let client = sync::client::Client::new(&settings.link);
                let mut link = settings.link.clone();
                sync::worker::run_all(&settings, &mut link, &client).await
            },
            Message::SyncedNow,
        )
    }

    fn set_shift(&mut self, staff: Option<String>, now: Now) -> Task<Message> {
        let Some(counter) = self.config.default_counter().map(|c| c.id.clone()) else {
            return Task::none();
        };
        let at = now.wall;
        let _ = self.shifts.insert(
            counter.clone(),
            staff.clone().map_or(Shift::Ended, Shift::OnDuty),
        );
        Task::perform(
            self.writer.run(move |store| {
                let store = store?;
                store.set_shift(&counter, staff.as_deref(), at)?;
                store.shifts()
            }),
            Message::ShiftsLoaded,
        )
    }

    fn export(&self, job: staff::ExportJob, now: Now) -> Task<Message> {
        let staff::ExportJob {
            format,
            range,
            include_flagged,
            include_personal,
            stick,
        } = job;
        let (from, to) = range.days(now.wall.date_naive());
        let extension = match format {
            export::Format::Xlsx => "xlsx",
            export::Format::Csv => "csv",
        };
        let file_name = format!(
            "hai-long-{}-{}-{}.{extension}",
            self.config.commune.code,
            from.format("%Y%m%d"),
            to.format("%Y%m%d")
        );
        let query = TallyQuery {
            from,
            to,
            offset: *now.wall.offset(),
            include_flagged,
        };
        let local = local_exports(self.writer.path());
        let roots = self.usb_roots.clone();
        let config = self.config.clone();
        let i18n = self.i18n.clone();
        Task::perform(
            // Checking the stick and writing the file happen on the store's thread.
            self.writer.run(move |store| {
                let store = store?;
                let folder = match stick {
                    // A stick pulled out since it was found: say so, write nothing.
                    Some(stick) if !provision::stick_present(&stick, &roots) => {
                        return Ok(Err(ExportError::StickGone(stick)));
                    }
                    Some(stick) => stick,
                    None => {
                        if let Err(error) = std::fs::create_dir_all(&local) {
                            return Ok(Err(ExportError::Write {
                                path: local.clone(),
                                reason: error.to_string(),
                            }));
                        }
                        local
                    }
                };
                let request = export::ExportRequest {
                    query,
                    include_personal,
                    format,
                    output: folder.join(&file_name),
                };
                Ok(export::export(store, &config, &i18n, &request))
            }),
            |result: Result<Result<Exported, ExportError>, StoreError>| {
                Message::Exported(result.unwrap_or_else(|error| Err(ExportError::Store(error))))
            },
        )
    }

    fn on_setup(&mut self, message: setup::Message, now: Now) -> Task<Message> {
        self.touched(now);
        let Screen::Setup(state) = &mut self.screen else {
            return Task::none();
        };
        let config_dir = self.config_dir.clone();
        match state.update(message) {
            None => Task::none(),
            Some(setup::Event::Rescan) => {
                let roots = self.usb_roots.clone();
                off_thread(move || provision::usb_files(&roots), Message::UsbFiles)
            }
            Some(setup::Event::UseFile(file)) => off_thread(
                move || {
                    provision::from_file(&config_dir, &file)
                        .map(|done| (Some(Box::new(done.config)), done.link))
                },
                Message::Provisioned,
            ),
            Some(setup::Event::Enroll { server, code }) => Task::perform(
                async move {
                    provision::enroll(&config_dir, &server, &code, None, None)
                        .await
                        .map(|done| (done.config.map(Box::new), Some(done.link)))
                },
                Message::Provisioned,
            ),
        }
    }

    fn on_provisioned(
        &mut self,
        result: Result<(Option<Box<TerminalConfig>>, Option<ServerLink>), ProvisionError>,
        now: Now,
    ) -> Task<Message> {
        let Screen::Setup(state) = &mut self.screen else {
            return Task::none();
        };
        let (config, link) = match result {
            Ok(done) => done,
            Err(error) => {
                state.outcome = Some(setup::Outcome::Failed(error.to_string()));
                return Task::none();
            }
        };
        if let Some(config) = config {
            self.config = *config;
            self.source = ConfigSource::File(self.config_dir.join(crate::config::CONFIG_FILE));
        }
        if let Some(link) = link {
            self.config.terminal.id.clone_from(&link.terminal_id);
            self.sync = Some(sync::worker::Settings {
                writer: self.writer.clone(),
                link,
                config_dir: self.config_dir.clone(),
                clock: || chrono::Local::now().fixed_offset(),
            });
        }
        tracing::info!(terminal = %self.config.terminal.id, "terminal provisioned");
        self.reset(now);
        Task::batch([self.load_shifts(), self.load_photos()])
    }

    /// The sync as staff and technicians see it.
    pub fn sync_view(&self) -> &SyncView {
        &self.sync_view
    }

    /// The staff photos decoded so far.
    pub fn photos(&self) -> &crate::photo::Photos {
        &self.photos
    }

    /// The configuration in use.
    pub fn config(&self) -> &TerminalConfig {
        &self.config
    }

    /// Whether a tap at `now` is the bounce of the previous one.
    fn bounced(&self, now: Now) -> bool {
        self.guard_until.is_some_and(|until| now.instant < until)
    }

    fn touched(&mut self, now: Now) {
        self.last_touch = now.instant;
    }

    fn moved_on(&mut self, now: Now) {
        self.guard_until = Some(now.instant + Duration::from_millis(self.config.timing.bounce_ms));
    }

    fn question_set(&self) -> &QuestionSet {
        self.config.active_question_set()
    }

    fn on_home(&mut self, message: home::Message, now: Now) -> Task<Message> {
        if self.screen != Screen::Home || self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        match message {
            home::Message::Language(language) => {
                self.language = language;
                Task::none()
            }
            home::Message::HighContrast => {
                self.look.high_contrast = !self.look.high_contrast;
                Task::none()
            }
            home::Message::LargeText => {
                self.look.large_text = !self.look.large_text;
                Task::none()
            }
            home::Message::Rate(level) => self.start_rating(level, now),
            home::Message::Press(target) => {
                self.hold = Some(Hold {
                    target,
                    since: now.instant,
                    spoken: false,
                });
                Task::none()
            }
            home::Message::Release(target) => match (target, self.hold.take()) {
                // Rated when the finger that went down on this level comes up, unless it
                // stayed long enough to hear the level read aloud.
                (home::Target::Level(level), Some(hold))
                    if hold.target == target && !hold.spoken =>
                {
                    self.start_rating(level, now)
                }
                _ => Task::none(),
            },
            home::Message::CornerPressed => {
                self.corner_down = Some(now.instant);
                Task::none()
            }
            home::Message::CornerReleased => {
                self.corner_down = None;
                Task::none()
            }
        }
    }

    fn start_rating(&mut self, level: Level, now: Now) -> Task<Message> {
        let set = self.question_set();
        if level.count != set.levels || self.flow.is_some() {
            return Task::none();
        }
        let counter = self.config.default_counter();
        let draft = RatingDraft {
            id: Uuid::now_v7(),
            terminal_id: self.config.terminal.id.clone(),
            commune_code: self.config.commune.code.clone(),
            counter_id: counter.map(|c| c.id.clone()),
            staff_id: counter.and_then(|c| self.on_duty(&c.id)),
            field_id: counter.and_then(|c| c.field.clone()),
            dossier_code: None,
            stage: self.config.terminal.stage,
            question_set_id: set.id.clone(),
            question_set_version: set.version,
            level,
            answers: Vec::new(),
            reasons: Vec::new(),
            language: self.language.tag().to_owned(),
            device_time: now.wall,
            feedback: Default::default(),
        };
        let steps = set.steps_after(level, false);
        self.last_rating = Some(draft.id);
        let write = self.persist(draft.clone(), None, now);
        self.flow = Some(Flow {
            draft,
            steps,
            position: 0,
        });
        let next = self.show_step(now);
        Task::batch([write, next])
    }

    /// Shows the page at the flow's position, or finishes the rating.
    fn show_step(&mut self, now: Now) -> Task<Message> {
        self.moved_on(now);
        let Some(flow) = &self.flow else {
            return Task::none();
        };
        match flow.steps.get(flow.position) {
            Some(Step::Reasons) => {
                self.screen = Screen::Reasons(reasons::State::default());
                Task::none()
            }
            Some(Step::Criterion(index)) => {
                self.screen = Screen::Criterion(criteria::State { index: *index });
                Task::none()
            }
            Some(Step::Comment) => {
                self.screen = Screen::Comment(comment::State::default());
                Task::none()
            }
            Some(Step::Dossier) => {
                self.screen = Screen::Dossier(dossier::State::default());
                Task::none()
            }
            None => self.finish(SealCause::Completed, now),
        }
    }

    /// Records the follow-up answer in the draft, writes it, and moves on.
    fn advance(&mut self, now: Now, edit: impl FnOnce(&mut RatingDraft)) -> Task<Message> {
        let Some(flow) = &mut self.flow else {
            return Task::none();
        };
        edit(&mut flow.draft);
        flow.position += 1;
        let draft = flow.draft.clone();
        let more = flow.position < flow.steps.len();
        // The last page's answer goes to the store with the seal, in one write.
        let write = if more {
            self.persist(draft, None, now)
        } else {
            Task::none()
        };
        Task::batch([write, self.show_step(now)])
    }

    /// Seals the rating and leaves the flow: to the thank-you screen when completed, straight
    /// back to the start when the citizen walked away.
    fn finish(&mut self, cause: SealCause, now: Now) -> Task<Message> {
        let Some(flow) = self.flow.take() else {
            return Task::none();
        };
        let seal = Seal {
            cause,
            at: now.wall,
            repeat_interval: Duration::from_secs(self.config.timing.repeat_interval_secs),
        };
        self.follow_up = match (&flow.draft.feedback.callback, flow.draft.feedback.complaint) {
            (Some(_), _) => thanks::FollowUp::CallBack,
            (None, true) => thanks::FollowUp::Complaint,
            (None, false) => thanks::FollowUp::None,
        };
        let write = self.persist(flow.draft, Some(seal), now);
        if cause == SealCause::Completed {
            self.screen = Screen::Thanks;
            // Twice as long when there is a second line to read (what happens to a complaint).
            let shown = if self.follow_up == thanks::FollowUp::None {
                self.config.timing.thank_you_secs
            } else {
                self.config.timing.thank_you_secs * 2
            };
            self.thanks_until = Some(now.instant + Duration::from_secs(shown));
            self.moved_on(now);
        } else {
            self.reset(now);
        }
        write
    }

    /// Back to the start for the next citizen, in Vietnamese and the standard look.
    fn reset(&mut self, now: Now) {
        self.screen = Screen::Home;
        self.hold = None;
        self.language = Language::default_language();
        self.look = Look::default();
        self.thanks_until = None;
        self.moved_on(now);
    }

    fn on_reasons(&mut self, message: reasons::Message, now: Now) -> Task<Message> {
        if self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let all = self.question_set().reasons.clone();
        let Screen::Reasons(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message, &all) {
            None => Task::none(),
            Some(reasons::Event::Chosen(chosen)) => {
                self.advance(now, |draft| draft.reasons = chosen)
            }
        }
    }

    fn on_criteria(&mut self, message: criteria::Message, now: Now) -> Task<Message> {
        if self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let Screen::Criterion(state) = &self.screen else {
            return Task::none();
        };
        match state.update(message) {
            criteria::Event::Answered(answer) => self.advance(now, |draft| {
                draft
                    .answers
                    .retain(|a| a.criterion_id != answer.criterion_id);
                draft.answers.push(answer);
            }),
            criteria::Event::Skipped => self.advance(now, |_| {}),
        }
    }

    fn on_comment(&mut self, message: comment::Message, now: Now, tapped: bool) -> Task<Message> {
        if tapped && self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let Screen::Comment(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message) {
            None => Task::none(),
            Some(comment::Event::Skipped) => self.advance(now, |draft| {
                draft.feedback = crate::store::Feedback::default();
            }),
            Some(comment::Event::Sent {
                comment,
                complaint: false,
            }) => self.advance(now, |draft| {
                draft.feedback = crate::store::Feedback {
                    comment,
                    ..Default::default()
                };
            }),
            Some(comment::Event::Sent {
                comment,
                complaint: true,
            }) => {
                // A complaint: ask for consent before any number; the page after the comment
                // comes once that is answered.
                let Some(flow) = &mut self.flow else {
                    return Task::none();
                };
                flow.draft.feedback = crate::store::Feedback {
                    comment,
                    complaint: true,
                    callback: None,
                };
                let draft = flow.draft.clone();
                self.screen = Screen::Consent;
                self.moved_on(now);
                self.persist(draft, None, now)
            }
        }
    }

    fn on_consent(&mut self, message: consent::Message, now: Now) -> Task<Message> {
        if self.screen != Screen::Consent || self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        match message {
            consent::Message::Agree => {
                self.screen = Screen::Phone(phone::State::default());
                self.moved_on(now);
                Task::none()
            }
            consent::Message::Decline => self.advance(now, |_| {}),
        }
    }

    fn on_phone(&mut self, message: phone::Message, now: Now, tapped: bool) -> Task<Message> {
        if tapped && self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let Screen::Phone(state) = &mut self.screen else {
            return Task::none();
        };
        let consent_version = consent::consent_version(self.language.tag());
        match state.update(message) {
            None => Task::none(),
            Some(phone::Event::Entered(phone)) => self.advance(now, |draft| {
                draft.feedback.callback = Some(hailong_protocol::Callback {
                    phone,
                    consent_version,
                });
            }),
            Some(phone::Event::Skipped) => self.advance(now, |_| {}),
        }
    }

    fn on_dossier(&mut self, message: dossier::Message, now: Now, tapped: bool) -> Task<Message> {
        // A scanner types right after the page appears; only taps can bounce.
        if tapped && self.bounced(now) {
            return Task::none();
        }
        self.touched(now);
        let Screen::Dossier(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message) {
            None => Task::none(),
            Some(dossier::Event::Entered(code)) => {
                self.advance(now, |draft| draft.dossier_code = Some(code))
            }
            Some(dossier::Event::Skipped) => self.advance(now, |_| {}),
        }
    }

    /// A key from a keyboard or a barcode scanner, on the screens that take typing.
    fn on_key(&mut self, key: &keyboard::Key, text: Option<&str>, now: Now) -> Task<Message> {
        let inputs: Vec<Typed> = match key {
            keyboard::Key::Named(key::Named::Enter) => vec![Typed::Enter],
            keyboard::Key::Named(key::Named::Backspace) => vec![Typed::Backspace],
            _ => text.unwrap_or_default().chars().map(Typed::Char).collect(),
        };
        let tasks: Vec<Task<Message>> = inputs
            .into_iter()
            .map(|input| self.on_typed(input, now))
            .collect();
        Task::batch(tasks)
    }

    /// One typed key, as the screen shown means it. Typing never bounces (a scanner types
    /// right after the page appears).
    fn on_typed(&mut self, input: Typed, now: Now) -> Task<Message> {
        match self.screen {
            Screen::Setup(_) => self.on_setup(
                match input {
                    Typed::Enter => setup::Message::Enroll,
                    Typed::Backspace => setup::Message::Backspace,
                    Typed::Char(c) => setup::Message::Char(c),
                },
                now,
            ),
            Screen::Comment(_) => self.on_comment(
                match input {
                    Typed::Enter => comment::Message::Send,
                    Typed::Backspace => comment::Message::Backspace,
                    Typed::Char(c) => comment::Message::Typed(c),
                },
                now,
                false,
            ),
            Screen::Phone(_) => self.on_phone(
                match input {
                    Typed::Enter => phone::Message::Done,
                    Typed::Backspace => phone::Message::Backspace,
                    Typed::Char(c) => phone::Message::Digit(c),
                },
                now,
                false,
            ),
            Screen::Dossier(_) => self.on_dossier(
                match input {
                    Typed::Enter => dossier::Message::Submit,
                    Typed::Backspace => dossier::Message::Backspace,
                    Typed::Char(c) => dossier::Message::Char(c),
                },
                now,
                false,
            ),
            _ => Task::none(),
        }
    }

    fn on_tick(&mut self, now: Now) -> Task<Message> {
        self.notifier.tick(now.instant);
        let photos = if std::mem::take(&mut self.photos_wanted) {
            self.load_photos()
        } else {
            Task::none()
        };
        let retries = Task::batch([self.retry_due(now), self.erase_old_numbers_daily(now)]);
        let idle = now.instant.saturating_duration_since(self.last_touch)
            >= Duration::from_secs(self.config.timing.idle_timeout_secs);
        let timers = match &self.screen {
            Screen::Thanks => {
                if self.thanks_until.is_some_and(|until| now.instant >= until) {
                    self.reset(now);
                }
                Task::none()
            }
            Screen::Home => {
                if idle
                    && (self.language != Language::default_language()
                        || self.look != Look::default())
                {
                    self.reset(now);
                }
                self.apply_pending_config();
                self.read_aloud_if_held(now);
                if self.corner_down.is_some_and(|down| {
                    now.instant.saturating_duration_since(down) >= staff_mode::LONG_PRESS
                }) {
                    self.corner_down = None;
                    self.touched(now);
                    // Staff screens always show in the standard look.
                    self.look = Look::default();
                    let mut pad = pin::State::default();
                    pad.notice = self.lockout.remaining(now.instant).map(pin::Notice::Locked);
                    self.screen = Screen::Pin(pad);
                    self.moved_on(now);
                }
                Task::none()
            }
            Screen::Pin(pad) => {
                if now.instant.saturating_duration_since(self.last_touch)
                    >= staff_mode::SESSION_IDLE
                {
                    self.leave_staff_mode(now);
                } else if let Some(pin::Notice::Locked(_)) = pad.notice {
                    let remaining = self.lockout.remaining(now.instant);
                    if let Screen::Pin(pad) = &mut self.screen {
                        pad.notice = remaining.map(pin::Notice::Locked);
                    }
                }
                Task::none()
            }
            Screen::Staff(_) => {
                if now.instant.saturating_duration_since(self.last_touch)
                    >= staff_mode::SESSION_IDLE
                {
                    self.leave_staff_mode(now);
                }
                Task::none()
            }
            Screen::Technician(_) => {
                if now.instant.saturating_duration_since(self.last_touch)
                    >= staff_mode::SESSION_IDLE
                {
                    self.leave_staff_mode(now);
                }
                Task::none()
            }
            Screen::Setup(_) => Task::none(),
            Screen::Reasons(_)
            | Screen::Criterion(_)
            | Screen::Comment(_)
            | Screen::Consent
            | Screen::Phone(_)
            | Screen::Dossier(_) => {
                if idle {
                    self.keep_partial_answers();
                    self.finish(SealCause::Idle, now)
                } else {
                    Task::none()
                }
            }
        };
        Task::batch([photos, retries, timers])
    }

    /// Reads and decodes the staff photos of the configuration in use, off the UI thread.
    pub fn load_photos(&self) -> Task<Message> {
        let config_dir = self.config_dir.clone();
        let staff = self.config.staff.clone();
        off_thread(
            move || crate::photo::load(&config_dir, &staff).0,
            Message::PhotosLoaded,
        )
    }

    /// Once a day (and at the first tick), erases call-back numbers kept longer than
    /// `terminal.callback_keep_days` without reaching a server.
    fn erase_old_numbers_daily(&mut self, now: Now) -> Task<Message> {
        let today = now.wall.date_naive();
        if self.numbers_checked_on == Some(today) || !matches!(self.storage, Storage::Ready) {
            return Task::none();
        }
        self.numbers_checked_on = Some(today);
        let cutoff =
            now.wall - chrono::Duration::days(i64::from(self.config.terminal.callback_keep_days));
        Task::perform(
            self.writer
                .run(move |store| store?.erase_old_callback_numbers(cutoff)),
            |result| {
                if let Err(error) = result {
                    tracing::error!(%error, "cannot erase old call-back numbers");
                }
            },
        )
        .discard()
    }

    /// Reads the question or level under a finger held long enough, once per hold.
    fn read_aloud_if_held(&mut self, now: Now) {
        let Some(hold) = &mut self.hold else {
            return;
        };
        if hold.spoken
            || !self.config.terminal.read_aloud
            || now.instant.saturating_duration_since(hold.since) < HOLD_TO_HEAR
        {
            return;
        }
        hold.spoken = true;
        let prompt = match hold.target {
            // A question set's own wording has no recorded clip.
            home::Target::Question if self.config.active_question_set().question.is_some() => {
                return;
            }
            home::Target::Question => crate::audio::Prompt::Question,
            home::Target::Level(level) => crate::audio::Prompt::Level(level.sentiment()),
        };
        let key = prompt.key();
        if let Some(clip) = crate::audio::clip(self.language.tag(), key) {
            self.speaker.play(clip);
            self.last_prompt = Some((self.language.tag().to_owned(), key));
        }
    }

    /// Reasons ticked and words typed on the page the citizen walked away from count as
    /// answered. An unconfirmed complaint tick and a half-typed number do not: silence is not
    /// consent.
    fn keep_partial_answers(&mut self) {
        let all = &self.config.active_question_set().reasons;
        match (&self.screen, &mut self.flow) {
            (Screen::Reasons(state), Some(flow)) => flow.draft.reasons = state.chosen(all),
            (Screen::Comment(state), Some(flow)) => {
                flow.draft.feedback.comment = state.partial();
            }
            _ => {}
        }
    }

    /// Sends `draft` (and `seal`) to the store; until the store confirms this content, it is
    /// kept here and retried.
    fn persist(&mut self, draft: RatingDraft, seal: Option<Seal>, now: Now) -> Task<Message> {
        let _ = now;
        self.next_revision += 1;
        let revision = self.next_revision;
        let id = draft.id;
        let entry = self.writes.entry(id).or_insert_with(|| PendingWrite {
            draft: draft.clone(),
            seal: None,
            revision,
            failures: 0,
            retry_at: None,
        });
        entry.draft = draft.clone();
        entry.seal = seal.clone();
        entry.revision = revision;
        entry.retry_at = None;
        self.send(id, revision, draft, seal)
    }

    fn send(
        &self,
        id: Uuid,
        revision: u64,
        draft: RatingDraft,
        seal: Option<Seal>,
    ) -> Task<Message> {
        Task::perform(self.writer.save(draft, seal), move |result| {
            Message::Saved {
                id,
                revision,
                result,
            }
        })
    }

    fn on_saved(&mut self, id: Uuid, revision: u64, result: Result<Saved, StoreError>, now: Now) {
        let Some(entry) = self.writes.get_mut(&id) else {
            return;
        };
        if entry.revision != revision {
            // A newer content of the same rating is on its way and will tell.
            return;
        }
        match result {
            Ok(saved) => {
                if let Some(seq) = saved.seq {
                    tracing::info!(%id, seq, "rating sealed");
                }
                let _ = self.writes.remove(&id);
                self.storage = Storage::Ready;
            }
            Err(error) => {
                entry.failures += 1;
                let backoff = RETRY_FIRST
                    .saturating_mul(2u32.saturating_pow(entry.failures.saturating_sub(1)))
                    .min(RETRY_MAX);
                entry.retry_at = Some(now.instant + backoff);
                tracing::error!(%id, %error, failures = entry.failures, "a rating could not be written; it is kept and retried");
                if matches!(error, StoreError::Open { .. }) {
                    self.storage = Storage::Unavailable(error);
                }
            }
        }
    }

    fn retry_due(&mut self, now: Now) -> Task<Message> {
        let due: Vec<Uuid> = self
            .writes
            .iter()
            .filter(|(_, w)| w.retry_at.is_some_and(|at| now.instant >= at))
            .map(|(id, _)| *id)
            .collect();
        let mut tasks = Vec::new();
        for id in due {
            self.next_revision += 1;
            let revision = self.next_revision;
            if let Some(entry) = self.writes.get_mut(&id) {
                entry.revision = revision;
                entry.retry_at = None;
                let (draft, seal) = (entry.draft.clone(), entry.seal.clone());
                tasks.push(self.send(id, revision, draft, seal));
            }
        }
        Task::batch(tasks)
    }

    fn banner(&self) -> Option<Banner> {
        if matches!(self.storage, Storage::Unavailable(_)) {
            Some(Banner::StorageUnavailable)
        } else if self.writes.values().any(|w| w.failures > 0) {
            Some(Banner::WriteTrouble)
        } else {
            None
        }
    }

    fn context(&self) -> Context<'_> {
        let counter = self.config.default_counter();
        let staff = counter
            .and_then(|c| self.on_duty(&c.id))
            .and_then(|id| self.config.staff_member(&id));
        // The photo is for citizens; staff screens keep the plain header.
        let citizen_screen = !matches!(
            self.screen,
            Screen::Pin(_) | Screen::Staff(_) | Screen::Setup(_) | Screen::Technician(_)
        );
        let photo = staff
            .filter(|_| citizen_screen)
            .and_then(|s| self.photos.get(&s.id));
        Context {
            config: &self.config,
            i18n: &self.i18n,
            language: &self.language,
            counter,
            staff,
            photo,
            banner: self.banner(),
            look: self.look,
        }
    }

    fn staff_facts(&self) -> staff::Facts {
        let tr = |key: &str| self.i18n.tr(&self.language, key);
        let tr_args =
            |key: &str, args: &[(&str, String)]| self.i18n.tr_args(&self.language, key, args);
        let who = match &self.screen {
            Screen::Staff(state) => match &state.role {
                Role::Supervisor => tr("staff-supervisor"),
                Role::Staff(id) => self
                    .config
                    .staff_member(id)
                    .map_or_else(|| id.clone(), |s| s.name.clone()),
            },
            _ => String::new(),
        };
        let counter = self.config.default_counter();
        let counter_name = counter
            .map(|c| c.name.get(&self.language).to_owned())
            .unwrap_or_default();
        let on_duty = counter.and_then(|c| self.on_duty(&c.id));
        let duty = match on_duty
            .as_deref()
            .and_then(|id| self.config.staff_member(id))
        {
            Some(staff) => tr_args(
                "duty-on",
                &[
                    ("counter", counter_name.clone()),
                    ("staff", staff.name.clone()),
                ],
            ),
            None => tr_args("duty-nobody", &[("counter", counter_name)]),
        };
        let on_duty_here = matches!(
            (&self.screen, &on_duty),
            (Screen::Staff(staff::State { role: Role::Staff(me), .. }), Some(id)) if me == id
        );
        let mut sync = Vec::new();
        if self.sync.is_none() {
            sync.push(tr("sync-not-linked"));
        } else {
            if let Some(queued) = self.sync_view.queued {
                sync.push(tr_args("sync-queued", &[("count", queued.to_string())]));
            }
            sync.push(match self.sync_view.last_success {
                Some(at) => tr_args(
                    "sync-last-success",
                    &[("time", at.format("%H:%M %d/%m").to_string())],
                ),
                None => tr("sync-never"),
            });
            if let Some(error) = &self.sync_view.last_error {
                sync.push(tr_args("sync-last-error", &[("error", error.clone())]));
            }
        }
        staff::Facts {
            who,
            duty,
            on_duty_here,
            sync,
        }
    }

    /// Whether the last rating is on disk yet, for the thank-you screen.
    fn saving(&self) -> thanks::Saving {
        match self.last_rating.and_then(|id| self.writes.get(&id)) {
            None => thanks::Saving::Saved,
            Some(write) if write.failures > 0 => thanks::Saving::Trouble,
            Some(_) => thanks::Saving::Pending,
        }
    }

    /// The UI.
    pub fn view(&self) -> Element<'_, Message> {
        let ctx = self.context();
        let set = self.question_set();
        let content: Element<'_, Message> = match &self.screen {
            Screen::Home => home::view(
                &ctx,
                set,
                self.hold.map(|h| h.target),
                self.config.terminal.read_aloud,
            )
            .map(Message::Home),
            Screen::Reasons(state) => state.view(&ctx, &set.reasons).map(Message::Reasons),
            Screen::Criterion(state) => {
                let total = set.criteria.len();
                match set.criteria.get(state.index) {
                    Some(criterion) => state
                        .view(&ctx, criterion, (state.index + 1, total))
                        .map(Message::Criteria),
                    None => home::view(&ctx, set, None, false).map(Message::Home),
                }
            }
            Screen::Comment(state) => state.view(&ctx).map(Message::Comment),
            Screen::Consent => consent::view(&ctx).map(Message::Consent),
            Screen::Phone(state) => state.view(&ctx).map(Message::Phone),
            Screen::Dossier(state) => state.view(&ctx).map(Message::Dossier),
            Screen::Thanks => thanks::view(&ctx, self.saving(), self.follow_up),
            Screen::Pin(pad) => pad.view(&ctx).map(Message::Pin),
            Screen::Staff(state) => state.view(&ctx, &self.staff_facts()).map(Message::Staff),
            Screen::Setup(state) => state.view(&ctx).map(Message::Setup),
            Screen::Technician(state) => state.view(&ctx).map(Message::Technician),
        };
        hidden_cursor(content, self.kiosk)
    }

    /// Ticks, keys (for the scanner), resizes and close requests.
    pub fn subscription(&self) -> Subscription<Message> {
        let sync = match &self.sync {
            Some(settings) => sync::worker::subscription(settings.clone()).map(Message::Sync),
            None => Subscription::none(),
        };
        Subscription::batch([
            sync,
            iced::time::every(TICK).map(|_| Message::Tick),
            keyboard::listen().filter_map(keyboard_message),
            window::resize_events().map(|(_, size)| Message::Resized(size)),
            window::close_requests().map(Message::CloseRequested),
        ])
    }
}

/// The terminal's own exports folder, beside the database: where exports go without a stick.
pub fn local_exports(database: &std::path::Path) -> std::path::PathBuf {
    database.parent().map_or_else(
        || std::path::PathBuf::from("exports"),
        |dir| dir.join("exports"),
    )
}

/// Runs blocking work (file I/O, Argon2) on a thread of its own and delivers its result.
fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
    message: impl Fn(T) -> Message + Send + 'static,
) -> Task<Message> {
    let (reply, outcome) = futures::channel::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("off-ui".into())
        .spawn(move || {
            let _ = reply.send(work());
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start a worker thread");
        return Task::none();
    }
    Task::future(async move { outcome.await.ok() })
        .and_then(move |value| Task::done(message(value)))
}

/// The message for a key event from a keyboard or a barcode scanner (which types the code and
/// presses Enter).
pub fn keyboard_message(event: keyboard::Event) -> Option<Message> {
    match event {
        keyboard::Event::KeyPressed { key, text, .. } => {
            Some(Message::Key(key, text.map(|t| t.to_string())))
        }
        _ => None,
    }
}
