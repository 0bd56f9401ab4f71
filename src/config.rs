//! The terminal configuration (commune, counters, staff, fields, question sets, timings) and the
//! directories the kiosk uses.
//!
//! The configuration is TOML, written by provisioning (or shipped as the demo in assets/). It is
//! validated as a whole on load; every error names the field, e.g. `question_sets[1].levels`.
//! Old or partial files keep loading: every section but `commune` has defaults.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::{DEFAULT_LANGUAGE, Language};
use crate::survey::{CriterionKind, QuestionSet};

/// The demo configuration, used when the terminal has not been provisioned.
pub const DEMO_CONFIG: &str = include_str!("../assets/demo.toml");

/// File name of the provisioned configuration inside the configuration directory.
pub const CONFIG_FILE: &str = "terminal.toml";

/// Text that the configuration gives per language: either one string (Vietnamese) or a table
/// `{ vi = "...", en = "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LocalText {
    /// The same text in every language.
    Plain(String),
    /// Per language tag.
    PerLanguage(BTreeMap<String, String>),
}

impl LocalText {
    /// The text for `language`, else Vietnamese, else any.
    pub fn get(&self, language: &Language) -> &str {
        match self {
            Self::Plain(text) => text,
            Self::PerLanguage(map) => map
                .get(language.tag())
                .or_else(|| map.get(DEFAULT_LANGUAGE))
                .or_else(|| map.values().next())
                .map_or("", String::as_str),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Self::Plain(text) => text.trim().is_empty(),
            Self::PerLanguage(map) => map.values().all(|t| t.trim().is_empty()),
        }
    }
}

/// The whole terminal configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalConfig {
    /// Version of this configuration document, reported to the server and by `hailong status`.
    #[serde(default = "default_config_version")]
    pub config_version: String,
    /// True for the bundled demo: the screen says DEMO.
    #[serde(default)]
    pub demo: bool,
    /// This terminal.
    #[serde(default)]
    pub terminal: TerminalSection,
    /// The commune (xã/phường) the terminal serves.
    pub commune: Commune,
    /// Counters (quầy) of the desk.
    #[serde(default)]
    pub counters: Vec<Counter>,
    /// Civil servants who may be on duty.
    #[serde(default)]
    pub staff: Vec<Staff>,
    /// Fields (lĩnh vực) of procedures.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Timings of the citizen flow.
    #[serde(default)]
    pub timing: Timing,
    /// Question sets; `terminal.question_set` picks the one in use.
    #[serde(default)]
    pub question_sets: Vec<QuestionSet>,
}

fn default_config_version() -> String {
    "unversioned".to_owned()
}

/// Settings of this terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerminalSection {
    /// The terminal's id, issued at enrollment (the demo uses "demo").
    pub id: String,
    /// The counter this terminal stands at, when it serves one counter.
    pub counter: Option<String>,
    /// Id of the question set in use; the first one when absent.
    pub question_set: Option<String>,
    /// When ratings are taken.
    pub stage: Stage,
    /// Screen diagonal in inches, to size touch targets in millimetres.
    pub screen_diagonal_inch: f32,
    /// Argon2 hash (PHC string) of the supervisor's PIN.
    pub supervisor_pin_hash: Option<String>,
    /// Days of log files kept in the data directory.
    pub log_keep_days: u16,
    /// Read the question and the levels aloud on tap-and-hold (silent without a sound card).
    pub read_aloud: bool,
    /// Days a complaint's call-back number is kept on a terminal that could not send it to a
    /// server (a sent number is erased at once).
    pub callback_keep_days: u16,
}

impl Default for TerminalSection {
    fn default() -> Self {
        Self {
            id: "demo".to_owned(),
            counter: None,
            question_set: None,
            stage: Stage::Return,
            screen_diagonal_inch: 21.5,
            supervisor_pin_hash: None,
            log_keep_days: 30,
            read_aloud: false,
            callback_keep_days: 30,
        }
    }
}

/// When in the life of a dossier the rating is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// When the dossier is handed in.
    Receipt,
    /// When the result is handed back (the usual case).
    Return,
}

impl Stage {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Return => "return",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "receipt" => Some(Self::Receipt),
            "return" => Some(Self::Return),
            _ => None,
        }
    }
}

/// The commune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commune {
    /// Official code of the administrative unit.
    pub code: String,
    /// Name shown on screen, e.g. "Phường Ba Đình".
    pub name: String,
    /// Province name, shown small.
    #[serde(default)]
    pub province: String,
}

/// A counter (quầy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    pub id: String,
    /// Name shown on screen, e.g. "Quầy số 1".
    pub name: LocalText,
    /// Staff member on duty until someone signs on (staff mode changes it).
    #[serde(default)]
    pub staff: Option<String>,
    /// Field handled at this counter, if only one.
    #[serde(default)]
    pub field: Option<String>,
}

/// A civil servant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub id: String,
    /// Full name shown to citizens.
    pub name: String,
    /// Argon2 hash (PHC string) of the staff member's PIN; `hailong hash-pin` makes one.
    /// No hash: this person cannot open staff mode.
    #[serde(default)]
    pub pin_hash: Option<String>,
    /// A JPEG or PNG photo shown to citizens beside the name while this person is on duty,
    /// relative to the configuration directory, e.g. "photos/nv-lan.jpg". A photo that cannot
    /// be read is a warning; the name shows without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<PathBuf>,
}

/// A field of procedures (lĩnh vực).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub id: String,
    pub name: LocalText,
}

/// Timings of the citizen flow, in seconds unless named otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    /// No touch for this long in the middle of a rating: seal what was answered and reset.
    pub idle_timeout_secs: u64,
    /// How long the thank-you screen stays.
    pub thank_you_secs: u64,
    /// A second complete rating at the same counter within this interval is flagged as a
    /// suspected repeat (still recorded).
    pub repeat_interval_secs: u64,
    /// Taps within this many milliseconds after a screen change are bounces and ignored.
    pub bounce_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 30,
            thank_you_secs: 5,
            repeat_interval_secs: 20,
            bounce_ms: 600,
        }
    }
}

/// A configuration that could not be used; `field` says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    #[error("{source_name}: not valid TOML: {message}")]
    Syntax {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: {field}: {message}")]
    Invalid {
        source_name: String,
        field: String,
        message: String,
    },
}

/// Where the configuration in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// The bundled demo (nothing provisioned).
    Demo,
    /// A provisioned file.
    File(PathBuf),
}

impl TerminalConfig {
    /// Parses and validates a TOML document; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|error| ConfigError::Syntax {
            source_name: source_name.to_owned(),
            message: error.to_string().trim_end().to_owned(),
        })?;
        config
            .validate()
            .map_err(|(field, message)| ConfigError::Invalid {
                source_name: source_name.to_owned(),
                field,
                message,
            })?;
        Ok(config)
    }

    /// The bundled demo configuration.
    pub fn demo() -> Self {
        Self::parse(DEMO_CONFIG, "assets/demo.toml").expect("the bundled demo is valid")
    }

    /// Loads `terminal.toml` from `config_dir`, or the demo when there is none.
    pub fn load(config_dir: &Path) -> Result<(Self, ConfigSource), ConfigError> {
        let path = config_dir.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let config = Self::parse(&text, &path.display().to_string())?;
                Ok((config, ConfigSource::File(path)))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok((Self::demo(), ConfigSource::Demo))
            }
            Err(error) => Err(ConfigError::Read {
                path: path.display().to_string(),
                message: error.to_string(),
            }),
        }
    }

    /// The question set in use.
    pub fn active_question_set(&self) -> &QuestionSet {
        let chosen = self
            .terminal
            .question_set
            .as_deref()
            .and_then(|id| self.question_sets.iter().find(|set| set.id == id));
        chosen.unwrap_or(&self.question_sets[0])
    }

    /// A counter by id.
    pub fn counter(&self, id: &str) -> Option<&Counter> {
        self.counters.iter().find(|counter| counter.id == id)
    }

    /// A staff member by id.
    pub fn staff_member(&self, id: &str) -> Option<&Staff> {
        self.staff.iter().find(|staff| staff.id == id)
    }

    /// The counter this terminal serves by default.
    pub fn default_counter(&self) -> Option<&Counter> {
        match &self.terminal.counter {
            Some(id) => self.counter(id),
            None => self.counters.first(),
        }
    }

    /// Checks the whole document; the error is (field path, message).
    fn validate(&self) -> Result<(), (String, String)> {
        let invalid = |field: &str, message: &str| Err((field.to_owned(), message.to_owned()));
        if self.commune.code.trim().is_empty() {
            return invalid("commune.code", "must not be empty");
        }
        if self.commune.name.trim().is_empty() {
            return invalid("commune.name", "must not be empty");
        }
        if self.terminal.id.trim().is_empty() || self.terminal.id.len() > 64 {
            return invalid("terminal.id", "must be 1 to 64 characters");
        }
        if !(1..=365).contains(&self.terminal.callback_keep_days) {
            return invalid("terminal.callback_keep_days", "must be between 1 and 365");
        }
        if !(1..=3650).contains(&self.terminal.log_keep_days) {
            return invalid("terminal.log_keep_days", "must be between 1 and 3650");
        }
        if !(7.0..=100.0).contains(&self.terminal.screen_diagonal_inch) {
            return invalid(
                "terminal.screen_diagonal_inch",
                "must be between 7 and 100 inches",
            );
        }
        unique_ids(self.counters.iter().map(|c| c.id.as_str()), "counters")?;
        unique_ids(self.staff.iter().map(|s| s.id.as_str()), "staff")?;
        unique_ids(self.fields.iter().map(|f| f.id.as_str()), "fields")?;
        for (i, counter) in self.counters.iter().enumerate() {
            if counter.name.is_blank() {
                return Err((format!("counters[{i}].name"), "must not be empty".into()));
            }
            if let Some(staff) = &counter.staff
                && self.staff_member(staff).is_none()
            {
                return Err((
                    format!("counters[{i}].staff"),
                    format!("no staff member with id \"{staff}\""),
                ));
            }
            if let Some(field) = &counter.field
                && !self.fields.iter().any(|f| &f.id == field)
            {
                return Err((
                    format!("counters[{i}].field"),
                    format!("no field with id \"{field}\""),
                ));
            }
        }
        for (i, staff) in self.staff.iter().enumerate() {
            if staff.name.trim().is_empty() {
                return Err((format!("staff[{i}].name"), "must not be empty".into()));
            }
            if let Some(hash) = &staff.pin_hash
                && argon2::PasswordHash::new(hash).is_err()
            {
                return Err((
                    format!("staff[{i}].pin_hash"),
                    "is not an Argon2 hash (make one with `hailong hash-pin`)".into(),
                ));
            }
            if let Some(photo) = &staff.photo {
                validate_photo(photo).map_err(|message| (format!("staff[{i}].photo"), message))?;
            }
        }
        if let Some(hash) = &self.terminal.supervisor_pin_hash
            && argon2::PasswordHash::new(hash).is_err()
        {
            return Err((
                "terminal.supervisor_pin_hash".into(),
                "is not an Argon2 hash (make one with `hailong hash-pin`)".into(),
            ));
        }
        if let Some(counter) = &self.terminal.counter
            && self.counter(counter).is_none()
        {
            return Err((
                "terminal.counter".into(),
                format!("no counter with id \"{counter}\""),
            ));
        }
        let timing = &self.timing;
        if !(5..=600).contains(&timing.idle_timeout_secs) {
            return invalid("timing.idle_timeout_secs", "must be between 5 and 600");
        }
        if !(1..=60).contains(&timing.thank_you_secs) {
            return invalid("timing.thank_you_secs", "must be between 1 and 60");
        }
        if timing.repeat_interval_secs > 3600 {
            return invalid("timing.repeat_interval_secs", "must be at most 3600");
        }
        if timing.bounce_ms > 3000 {
            return invalid("timing.bounce_ms", "must be at most 3000");
        }
        if self.question_sets.is_empty() {
            return invalid("question_sets", "at least one question set is needed");
        }
        unique_ids(
            self.question_sets.iter().map(|q| q.id.as_str()),
            "question_sets",
        )?;
        for (i, set) in self.question_sets.iter().enumerate() {
            validate_question_set(set)
                .map_err(|(field, message)| (format!("question_sets[{i}].{field}"), message))?;
        }
        if let Some(id) = &self.terminal.question_set
            && !self.question_sets.iter().any(|set| &set.id == id)
        {
            return Err((
                "terminal.question_set".into(),
                format!("no question set with id \"{id}\""),
            ));
        }
        Ok(())
    }
}

/// A photo path: a .jpg, .jpeg or .png file inside the configuration directory.
fn validate_photo(photo: &Path) -> Result<(), String> {
    use std::path::Component;
    if photo.as_os_str().is_empty() {
        return Err("must not be empty (leave the line out for no photo)".into());
    }
    if !photo
        .components()
        .all(|part| matches!(part, Component::Normal(_)))
    {
        return Err(format!(
            "\"{}\" must be a path inside the configuration directory, like \"photos/nv-lan.jpg\"",
            photo.display()
        ));
    }
    let picture = photo.extension().is_some_and(|extension| {
        ["jpg", "jpeg", "png"]
            .iter()
            .any(|known| extension.eq_ignore_ascii_case(known))
    });
    if !picture {
        return Err(format!(
            "\"{}\" must be a .jpg, .jpeg or .png picture",
            photo.display()
        ));
    }
    Ok(())
}

fn unique_ids<'a>(ids: impl Iterator<Item = &'a str>, list: &str) -> Result<(), (String, String)> {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if id.trim().is_empty() || id.len() > 64 {
            return Err((
                format!("{list}[{i}].id"),
                "must be 1 to 64 characters".into(),
            ));
        }
        if !seen.insert(id) {
            return Err((format!("{list}[{i}].id"), format!("\"{id}\" is used twice")));
        }
    }
    Ok(())
}

fn validate_question_set(set: &QuestionSet) -> Result<(), (String, String)> {
    if !(3..=5).contains(&set.levels) {
        return Err((
            "levels".into(),
            format!("must be 3, 4 or 5 (found {})", set.levels),
        ));
    }
    if set.version == 0 {
        return Err(("version".into(), "must be 1 or more".into()));
    }
    unique_ids(set.reasons.iter().map(|r| r.id.as_str()), "reasons")?;
    for (i, reason) in set.reasons.iter().enumerate() {
        if reason.text.is_blank() {
            return Err((format!("reasons[{i}].text"), "must not be empty".into()));
        }
    }
    if set.reasons.len() > 12 {
        return Err((
            "reasons".into(),
            "at most 12 reasons fit on one screen".into(),
        ));
    }
    unique_ids(set.criteria.iter().map(|c| c.id.as_str()), "criteria")?;
    for (i, criterion) in set.criteria.iter().enumerate() {
        if criterion.text.is_blank() {
            return Err((format!("criteria[{i}].text"), "must not be empty".into()));
        }
        match criterion.kind {
            CriterionKind::Circular01 => {
                if !(2..=4).contains(&criterion.options.len()) {
                    return Err((
                        format!("criteria[{i}].options"),
                        "a Circular 01 indicator has 2 to 4 options".into(),
                    ));
                }
                for (j, option) in criterion.options.iter().enumerate() {
                    if option.points > 2 {
                        return Err((
                            format!("criteria[{i}].options[{j}].points"),
                            "must be 0, 1 or 2".into(),
                        ));
                    }
                    if option.text.is_blank() {
                        return Err((
                            format!("criteria[{i}].options[{j}].text"),
                            "must not be empty".into(),
                        ));
                    }
                }
            }
            CriterionKind::Scale5 => {
                if !criterion.options.is_empty() {
                    return Err((
                        format!("criteria[{i}].options"),
                        "a 5-level statement takes no options".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The directories of the kiosk: data (the database, logs) and configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
}

/// The directories could not be determined (no home directory and no override).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "cannot determine the data directory: set HAILONG_DATA_DIR and HAILONG_CONFIG_DIR to folders the kiosk may write"
)]
pub struct NoDirectories;

impl Paths {
    /// The platform directories, overridden by HAILONG_DATA_DIR and HAILONG_CONFIG_DIR.
    pub fn from_env() -> Result<Self, NoDirectories> {
        let project = directories::ProjectDirs::from("vn", "HaiLong", "hailong");
        let data_dir = std::env::var_os("HAILONG_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| project.as_ref().map(|p| p.data_dir().to_path_buf()))
            .ok_or(NoDirectories)?;
        let config_dir = std::env::var_os("HAILONG_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                // A portable install keeps its configuration beside its data.
                std::env::var_os("HAILONG_DATA_DIR").map(PathBuf::from)
            })
            .or_else(|| project.as_ref().map(|p| p.config_dir().to_path_buf()))
            .ok_or(NoDirectories)?;
        Ok(Self {
            data_dir,
            config_dir,
        })
    }

    /// The rating database.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("hailong.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_valid_and_carries_every_kind_of_set() {
        let demo = TerminalConfig::demo();
        assert!(demo.demo);
        let levels: BTreeSet<u8> = demo.question_sets.iter().map(|s| s.levels).collect();
        assert!(levels.contains(&3) && levels.contains(&4));
        assert!(
            demo.question_sets
                .iter()
                .any(|s| s.levels == 3 && !s.reasons.is_empty())
        );
        assert!(demo.question_sets.iter().any(|s| {
            s.criteria
                .iter()
                .any(|c| c.kind == CriterionKind::Circular01)
        }));
    }

    fn with(edit: impl FnOnce(&mut toml::Table)) -> Result<TerminalConfig, ConfigError> {
        let mut table: toml::Table = toml::from_str(DEMO_CONFIG).expect("demo parses");
        edit(&mut table);
        TerminalConfig::parse(&toml::to_string(&table).expect("serialises"), "test.toml")
    }

    fn field_of(result: Result<TerminalConfig, ConfigError>) -> String {
        match result {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        let levels = with(|t| {
            t["question_sets"].as_array_mut().expect("array")[1]
                .as_table_mut()
                .expect("table")
                .insert("levels".into(), 7.into());
        });
        assert_eq!(field_of(levels), "question_sets[1].levels");

        let staff = with(|t| {
            t["counters"].as_array_mut().expect("array")[0]
                .as_table_mut()
                .expect("table")
                .insert("staff".into(), "nobody".into());
        });
        assert_eq!(field_of(staff), "counters[0].staff");

        let idle = with(|t| {
            t.insert(
                "timing".into(),
                toml::Value::Table(toml::Table::from_iter([(
                    "idle_timeout_secs".to_owned(),
                    toml::Value::from(0),
                )])),
            );
        });
        assert_eq!(field_of(idle), "timing.idle_timeout_secs");
    }

    #[test]
    fn a_photo_is_a_picture_inside_the_configuration_directory() {
        let photo = |path: &str| {
            with(|t| {
                t["staff"].as_array_mut().expect("array")[1]
                    .as_table_mut()
                    .expect("table")
                    .insert("photo".into(), path.into());
            })
        };
        let ok = photo("photos/nv-minh.JPG").expect("a photo in a subfolder");
        assert_eq!(
            ok.staff[1].photo.as_deref(),
            Some(Path::new("photos/nv-minh.JPG"))
        );
        assert_eq!(ok.staff[0].photo, None);
        for bad in ["", "/etc/passwd.png", "../anh.png", "photos/nv-minh.gif"] {
            assert_eq!(field_of(photo(bad)), "staff[1].photo", "{bad:?}");
        }
    }

    #[test]
    fn a_syntax_error_says_where() {
        let error =
            TerminalConfig::parse("[commune]\ncode = \n", "broken.toml").expect_err("must fail");
        let text = error.to_string();
        assert!(text.starts_with("broken.toml: not valid TOML"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn an_unknown_key_is_refused_by_name() {
        let error = TerminalConfig::parse(
            "[commune]\ncode = \"1\"\nname = \"X\"\nnmae = \"typo\"\n",
            "typo.toml",
        )
        .expect_err("must fail");
        assert!(error.to_string().contains("nmae"), "{error}");
    }

    #[test]
    fn a_missing_file_means_demo_and_an_unreadable_one_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (config, source) = TerminalConfig::load(dir.path()).expect("demo");
        assert_eq!(source, ConfigSource::Demo);
        assert!(config.demo);
        std::fs::create_dir(dir.path().join(CONFIG_FILE)).expect("a directory in its place");
        assert!(matches!(
            TerminalConfig::load(dir.path()),
            Err(ConfigError::Read { .. })
        ));
    }
}

/// File name of the link to the provincial server inside the configuration directory.
pub const SERVER_FILE: &str = "server.toml";

/// How this terminal reaches its provincial server; written by `hailong provision`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerLink {
    /// Base URL of the server, e.g. `https://hailong.tinh.gov.vn`.
    pub url: String,
    /// Id the server gave this terminal at enrollment.
    pub terminal_id: String,
    /// Bearer token of this terminal (secret; the file is readable by its owner only).
    pub token: String,
    /// Counter the administrator assigned at enrollment, if any.
    #[serde(default)]
    pub counter: Option<String>,
    /// A provincial CA certificate (PEM) to trust instead of the public roots.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// HTTP(S) proxy URL; government networks often require one.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Version (ETag) of the server configuration written to terminal.toml.
    #[serde(default)]
    pub config_version: Option<String>,
}

impl std::fmt::Debug for ServerLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerLink")
            .field("url", &self.url)
            .field("terminal_id", &self.terminal_id)
            .field("token", &"<secret>")
            .field("counter", &self.counter)
            .field("ca_cert", &self.ca_cert)
            .field("proxy", &self.proxy)
            .field("config_version", &self.config_version)
            .finish()
    }
}

impl ServerLink {
    /// Reads `server.toml` from `config_dir`; `None` when the terminal is not linked.
    pub fn load(config_dir: &Path) -> Result<Option<Self>, ConfigError> {
        let path = config_dir.join(SERVER_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    message: error.to_string(),
                });
            }
        };
        Self::parse(&text, &path.display().to_string()).map(Some)
    }

    /// Parses and validates a link; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, ConfigError> {
        let link: Self = toml::from_str(text).map_err(|error| ConfigError::Syntax {
            source_name: source_name.to_owned(),
            message: error.to_string().trim_end().to_owned(),
        })?;
        let invalid = |field: &str, message: &str| ConfigError::Invalid {
            source_name: source_name.to_owned(),
            field: field.to_owned(),
            message: message.to_owned(),
        };
        if !(link.url.starts_with("http://") || link.url.starts_with("https://")) {
            return Err(invalid("url", "must start with http:// or https://"));
        }
        if link.terminal_id.trim().is_empty() {
            return Err(invalid("terminal_id", "must not be empty"));
        }
        if link.token.trim().is_empty() {
            return Err(invalid("token", "must not be empty"));
        }
        Ok(link)
    }

    /// Writes `server.toml` atomically, readable by its owner only.
    pub fn save(&self, config_dir: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        write_atomically(&config_dir.join(SERVER_FILE), text.as_bytes(), true)
    }
}

impl TerminalConfig {
    /// The configuration a server serves (its TOML converted to JSON), made this terminal's:
    /// its id and counter from the enrollment, never demo. Validated like any file.
    pub fn from_server(
        document: &serde_json::Value,
        link: &ServerLink,
    ) -> Result<Self, ConfigError> {
        let source_name = format!("configuration from {}", link.url);
        let mut table: toml::Table =
            serde_json::from_value(document.clone()).map_err(|error| ConfigError::Syntax {
                source_name: source_name.clone(),
                message: error.to_string(),
            })?;
        table.insert("demo".into(), toml::Value::Boolean(false));
        let terminal = table
            .entry("terminal")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(terminal) = terminal {
            terminal.insert("id".into(), link.terminal_id.clone().into());
            if let Some(counter) = &link.counter {
                terminal.insert("counter".into(), counter.clone().into());
            }
        }
        let text = toml::to_string(&table).map_err(|error| ConfigError::Syntax {
            source_name: source_name.clone(),
            message: error.to_string(),
        })?;
        Self::parse(&text, &source_name)
    }

    /// Writes this configuration as `terminal.toml` in `config_dir`, atomically.
    pub fn save(&self, config_dir: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        let header = "# Hài Lòng terminal configuration, written by provisioning.\n\
                      # Edit with care: it is validated at start and errors name the field.\n\n";
        write_atomically(
            &config_dir.join(CONFIG_FILE),
            format!("{header}{text}").as_bytes(),
            false,
        )
    }
}

/// Writes `path` through a temporary file, fsync and rename, so a power cut leaves the old
/// file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}
