//! One sealed rating as it travels from kiosk to server, and its context-free validation.
//!
//! SHIPPED WIRE FORMAT: see the crate documentation. Never rename or remove a field; only
//! optional fields may be added.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;
use uuid::Uuid;

/// Longest accepted identifier (terminal, commune, counter, staff, field, question set,
/// criterion, reason, language), in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Longest accepted dossier code, in characters.
pub const MAX_DOSSIER_CODE_CHARS: usize = 64;
/// Most points one answer can carry (Circular 01/2018 indicators use 0..=2, five-level
/// statements 0..=5).
pub const MAX_ANSWER_POINTS: u8 = 5;
/// Longest accepted comment (góp ý), in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;
/// Most answers, reasons or flags one rating may carry.
pub const MAX_LIST_LEN: usize = 64;
/// Highest sequence number a server can store (SQLite and PostgreSQL integers are signed).
pub const MAX_SEQ: u64 = i64::MAX as u64;

/// One sealed rating. Immutable once sealed: the same `id` must always carry the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rating {
    /// UUIDv7 made by the kiosk when the rating was started. Its timestamp comes from the
    /// device clock and is never used for ordering.
    pub id: Uuid,
    /// Per-terminal sequence number: starts at 1, strictly increasing, no gaps on an honest
    /// terminal. `(terminal_id, seq)` is the rating's key on the server.
    pub seq: u64,
    /// Terminal that recorded the rating; must be the terminal whose token uploads it.
    pub terminal_id: String,
    /// Commune (xã / phường) code of the desk.
    pub commune_code: String,
    /// Counter (quầy) the terminal stands at, if known.
    pub counter_id: Option<String>,
    /// Staff member (cán bộ) on duty at the counter, if known.
    pub staff_id: Option<String>,
    /// Field (lĩnh vực) or procedure of the dossier, if known.
    pub field_id: Option<String>,
    /// Dossier code (mã hồ sơ / số biên nhận) when the citizen gave or scanned one.
    pub dossier_code: Option<String>,
    /// Whether the citizen rated on receipt of the dossier or on return of the result.
    pub stage: Stage,
    /// Question set the citizen answered.
    pub question_set_id: String,
    /// Version of that question set.
    pub question_set_version: u32,
    /// Overall level chosen: 1 = least satisfied .. `level_count` = most satisfied.
    pub level: u8,
    /// Number of levels of the question set's scale: 3, 4 or 5.
    pub level_count: u8,
    /// Answers to per-criterion questions (Circular 01 indicators, SIPAS statements).
    #[serde(default)]
    pub answers: Vec<Answer>,
    /// Ids of the reasons the citizen ticked (follow-up to a negative rating).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Language the citizen used, e.g. "vi".
    pub language: String,
    /// When the citizen tapped the level: RFC 3339 with offset, device clock (untrusted).
    pub device_time: String,
    /// When the rating was sealed: RFC 3339 with offset, device clock (untrusted).
    pub sealed_at: String,
    /// Why the rating was sealed.
    pub seal_cause: SealCause,
    /// Markers the kiosk attached (suspected repeat, ...). Unknown future flags are kept as
    /// [`Flag::Other`], so an old peer never fails on a new one.
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Hash of the previous sealed rating of this terminal (seq − 1), or the terminal's
    /// genesis value for seq 1: 64 lowercase hex digits. See [`crate::chain`].
    pub prev_hash: String,
    /// Free comment (góp ý) the citizen typed, if any. Added after /api/v1 first shipped:
    /// older kiosks never send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The citizen filed a complaint or petition (phản ánh, kiến nghị) with this rating: the
    /// dossier does not count as satisfied in the Decision 766 rate. Added after /api/v1
    /// first shipped (absent = false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub complaint: bool,
    /// Call-back number for the complaint, given only after explicit consent. PERSONAL DATA
    /// (Law 91/2025/QH15): never logged, never shown on a terminal, out of reports unless a
    /// supervisor asks. Added after /api/v1 first shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    /// Hash of this rating's canonical content, `prev_hash` included (see [`crate::chain`]).
    /// A rating whose content no longer matches it was edited after sealing.
    pub hash: String,
}

/// A call-back request attached to a complaint.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Callback {
    /// Vietnamese phone number in national form: `0` then 9 digits (mobile, `03`/`05`/`07`/
    /// `08`/`09`) or 10 digits (landline, `02`). See [`normalize_phone`].
    pub phone: String,
    /// Version id of the consent text the citizen agreed to on screen (e.g. `"pakn-2026-01"`).
    pub consent_version: String,
}

/// Never print the number (logs, panics, `{:?}` of a rating).
impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("phone", &"<redacted>")
            .field("consent_version", &self.consent_version)
            .finish()
    }
}

/// A Vietnamese phone number in national form, or `None` when `input` is not one.
/// Spaces, dots and hyphens are ignored; `+84` / `84` become `0`. Mobile numbers have 10
/// digits and start `03`, `05`, `07`, `08` or `09`; landlines have 11 digits and start `02`.
pub fn normalize_phone(input: &str) -> Option<String> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let national = if let Some(rest) = compact.strip_prefix("+84") {
        format!("0{rest}")
    } else if compact.len() > 10 && compact.starts_with("84") {
        format!("0{}", &compact[2..])
    } else {
        compact
    };
    if !national.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bytes = national.as_bytes();
    let ok = match (bytes.first(), bytes.get(1)) {
        (Some(b'0'), Some(b'3' | b'5' | b'7' | b'8' | b'9')) => bytes.len() == 10,
        (Some(b'0'), Some(b'2')) => bytes.len() == 11,
        _ => false,
    };
    ok.then_some(national)
}

/// Answer to one criterion of the question set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    /// Criterion id from the question set.
    pub criterion_id: String,
    /// The option chosen, as numbered by the question set.
    pub value: u8,
    /// Points that option scores (Circular 01: 2 / 1 / 0; at most 5).
    pub points: u8,
}

/// When in the procedure the citizen rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// On handing in the dossier (tiếp nhận).
    Receipt,
    /// On receiving the result (trả kết quả).
    Return,
}

/// Why a rating was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SealCause {
    /// The citizen finished the flow.
    Completed,
    /// The flow timed out while idle; the partial rating was sealed.
    Idle,
    /// Sealed at start-up after a crash or power cut.
    Recovered,
    /// Recorded from the command line (`hailong rate`).
    Cli,
}

/// A marker on a rating. Serialised as a snake_case string. Strings this version does not
/// know deserialise to [`Flag::Other`] and serialise back unchanged, so flags added by newer
/// kiosks survive a round trip through an older server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `"suspected_repeat"`: the same citizen probably rated twice in a row.
    SuspectedRepeat,
    /// `"dossier_repeat"`: this dossier code was already rated at this stage.
    DossierRepeat,
    /// Any other flag string (from a newer peer).
    Other(String),
}

impl Flag {
    /// The wire string of the flag.
    pub fn as_str(&self) -> &str {
        match self {
            Flag::SuspectedRepeat => "suspected_repeat",
            Flag::DossierRepeat => "dossier_repeat",
            Flag::Other(s) => s,
        }
    }
}

impl From<&str> for Flag {
    fn from(s: &str) -> Self {
        match s {
            "suspected_repeat" => Flag::SuspectedRepeat,
            "dossier_repeat" => Flag::DossierRepeat,
            other => Flag::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Flag::from(s.as_ref()))
    }
}

impl utoipa::PartialSchema for Flag {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Marker on a rating, snake_case. Known: \"suspected_repeat\", \
                 \"dossier_repeat\". Receivers must accept and keep unknown values.",
            ))
            .examples(["suspected_repeat"])
            .into()
    }
}

impl ToSchema for Flag {}

/// A rating failed validation; `field` names the offending field as a JSON path
/// (e.g. `"level"`, `"answers[2].points"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {message}")]
pub struct InvalidField {
    /// JSON path of the bad field.
    pub field: String,
    /// What is wrong with it, in English.
    pub message: String,
}

impl InvalidField {
    /// A validation failure of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Rating {
    /// Links this rating to `prev_hash` (the previous rating's hash, or the genesis value) and
    /// sets its own hash. See [`crate::chain`].
    pub fn link(&mut self, prev_hash: String) {
        self.prev_hash = prev_hash;
        self.hash = crate::chain::rating_hash(self);
    }

    /// Checks everything that can be checked without knowing the terminal or its
    /// configuration. Returns the first bad field.
    pub fn validate(&self) -> Result<(), InvalidField> {
        if self.id.get_version_num() != 7 {
            return Err(InvalidField::new("id", "must be a UUIDv7"));
        }
        if self.seq == 0 || self.seq > MAX_SEQ {
            return Err(InvalidField::new("seq", "must be between 1 and 2^63-1"));
        }
        check_id("terminal_id", &self.terminal_id)?;
        check_id("commune_code", &self.commune_code)?;
        check_opt_id("counter_id", self.counter_id.as_deref())?;
        check_opt_id("staff_id", self.staff_id.as_deref())?;
        check_opt_id("field_id", self.field_id.as_deref())?;
        if let Some(code) = &self.dossier_code {
            check_text("dossier_code", code, MAX_DOSSIER_CODE_CHARS)?;
        }
        check_id("question_set_id", &self.question_set_id)?;
        if !(3..=5).contains(&self.level_count) {
            return Err(InvalidField::new("level_count", "must be 3, 4 or 5"));
        }
        if !(1..=self.level_count).contains(&self.level) {
            return Err(InvalidField::new(
                "level",
                format!("must be between 1 and level_count ({})", self.level_count),
            ));
        }
        self.validate_answers()?;
        self.validate_reasons()?;
        check_id("language", &self.language)?;
        check_time("device_time", &self.device_time)?;
        check_time("sealed_at", &self.sealed_at)?;
        self.validate_flags()?;
        self.validate_feedback()?;
        // Only the form: a hash that does not match is evidence to record, not a reason to
        // refuse the rating (see crate::chain::verify).
        for (field, value) in [("prev_hash", &self.prev_hash), ("hash", &self.hash)] {
            if !crate::chain::is_hash(value) {
                return Err(InvalidField::new(field, "must be 64 lowercase hex digits"));
            }
        }
        Ok(())
    }

    fn validate_answers(&self) -> Result<(), InvalidField> {
        check_len("answers", self.answers.len())?;
        let mut seen = HashSet::new();
        for (i, answer) in self.answers.iter().enumerate() {
            check_id(&format!("answers[{i}].criterion_id"), &answer.criterion_id)?;
            if !seen.insert(answer.criterion_id.as_str()) {
                return Err(InvalidField::new(
                    format!("answers[{i}].criterion_id"),
                    "criterion answered twice",
                ));
            }
            if answer.points > MAX_ANSWER_POINTS {
                return Err(InvalidField::new(
                    format!("answers[{i}].points"),
                    format!("must be at most {MAX_ANSWER_POINTS}"),
                ));
            }
        }
        Ok(())
    }

    fn validate_reasons(&self) -> Result<(), InvalidField> {
        check_len("reasons", self.reasons.len())?;
        let mut seen = HashSet::new();
        for (i, reason) in self.reasons.iter().enumerate() {
            check_id(&format!("reasons[{i}]"), reason)?;
            if !seen.insert(reason.as_str()) {
                return Err(InvalidField::new(
                    format!("reasons[{i}]"),
                    "duplicate reason",
                ));
            }
        }
        Ok(())
    }

    fn validate_feedback(&self) -> Result<(), InvalidField> {
        if let Some(comment) = &self.comment {
            check_text("comment", comment, MAX_COMMENT_CHARS)?;
        }
        if let Some(callback) = &self.callback {
            if !self.complaint {
                return Err(InvalidField::new(
                    "callback",
                    "a call-back is only taken with a complaint",
                ));
            }
            if normalize_phone(&callback.phone).as_deref() != Some(callback.phone.as_str()) {
                return Err(InvalidField::new(
                    "callback.phone",
                    "not a Vietnamese phone number in national form (0 then 9 or 10 digits)",
                ));
            }
            check_id("callback.consent_version", &callback.consent_version)?;
        }
        Ok(())
    }

    fn validate_flags(&self) -> Result<(), InvalidField> {
        check_len("flags", self.flags.len())?;
        let mut seen = HashSet::new();
        for (i, flag) in self.flags.iter().enumerate() {
            check_id(&format!("flags[{i}]"), flag.as_str())?;
            if !seen.insert(flag) {
                return Err(InvalidField::new(format!("flags[{i}]"), "duplicate flag"));
            }
        }
        Ok(())
    }
}

fn check_len(field: &str, len: usize) -> Result<(), InvalidField> {
    if len > MAX_LIST_LEN {
        return Err(InvalidField::new(
            field,
            format!("at most {MAX_LIST_LEN} entries"),
        ));
    }
    Ok(())
}

fn check_id(field: &str, value: &str) -> Result<(), InvalidField> {
    check_text(field, value, MAX_ID_CHARS)
}

fn check_opt_id(field: &str, value: Option<&str>) -> Result<(), InvalidField> {
    value.map_or(Ok(()), |v| check_id(field, v))
}

fn check_text(field: &str, value: &str, max_chars: usize) -> Result<(), InvalidField> {
    if value.trim().is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(InvalidField::new(
            field,
            format!("longer than {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidField::new(field, "contains control characters"));
    }
    Ok(())
}

fn check_time(field: &str, value: &str) -> Result<(), InvalidField> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|_| ())
        .map_err(|e| InvalidField::new(field, format!("not an RFC 3339 time with offset: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Rating {
        fn linked_to_genesis(mut self) -> Self {
            self.link(crate::chain::genesis(&self.terminal_id));
            self
        }
    }

    pub(crate) fn sample() -> Rating {
        Rating {
            id: Uuid::now_v7(),
            seq: 1,
            terminal_id: "26734-001".into(),
            commune_code: "26734".into(),
            counter_id: Some("1".into()),
            staff_id: None,
            field_id: Some("ho-tich".into()),
            dossier_code: Some("000.00.26.H55-250101-0001".into()),
            stage: Stage::Return,
            question_set_id: "quick".into(),
            question_set_version: 1,
            level: 3,
            level_count: 3,
            answers: vec![Answer {
                criterion_id: "tt01-7".into(),
                value: 1,
                points: 2,
            }],
            reasons: vec![],
            language: "vi".into(),
            device_time: "2026-01-05T09:12:00+07:00".into(),
            sealed_at: "2026-01-05T09:12:30+07:00".into(),
            seal_cause: SealCause::Completed,
            flags: vec![Flag::SuspectedRepeat],
            prev_hash: String::new(),
            hash: String::new(),
            comment: None,
            complaint: false,
            callback: None,
        }
        .linked_to_genesis()
    }

    fn field_of(r: &Rating) -> String {
        r.validate().unwrap_err().field
    }

    #[test]
    fn sample_rating_is_valid() {
        sample().validate().unwrap();
    }

    #[test]
    fn validate_names_the_bad_field() {
        let mut r = sample();
        r.level = 4;
        assert_eq!(field_of(&r), "level");
        let mut r = sample();
        r.level = 0;
        assert_eq!(field_of(&r), "level");
        let mut r = sample();
        r.level_count = 6;
        assert_eq!(field_of(&r), "level_count");
        let mut r = sample();
        r.seq = 0;
        assert_eq!(field_of(&r), "seq");
        let mut r = sample();
        r.terminal_id = " ".into();
        assert_eq!(field_of(&r), "terminal_id");
        let mut r = sample();
        r.dossier_code = Some("x".repeat(65));
        assert_eq!(field_of(&r), "dossier_code");
        let mut r = sample();
        r.device_time = "2026-01-05 09:12".into();
        assert_eq!(field_of(&r), "device_time");
        let mut r = sample();
        r.answers[0].points = 6;
        assert_eq!(field_of(&r), "answers[0].points");
        let mut r = sample();
        r.reasons = vec!["wait".into(), "wait".into()];
        assert_eq!(field_of(&r), "reasons[1]");
        let mut r = sample();
        r.id = Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef);
        assert_eq!(field_of(&r), "id");
    }

    #[test]
    fn feedback_is_validated() {
        let mut r = sample();
        r.comment = Some("Thái độ tốt".into());
        r.complaint = true;
        r.callback = Some(Callback {
            phone: "0912345678".into(),
            consent_version: "pakn-2026-01".into(),
        });
        r.validate().unwrap();
        let mut bad = r.clone();
        bad.comment = Some("x".repeat(MAX_COMMENT_CHARS + 1));
        assert_eq!(field_of(&bad), "comment");
        let mut bad = r.clone();
        bad.comment = Some("line\nbreak".into());
        assert_eq!(field_of(&bad), "comment");
        let mut bad = r.clone();
        bad.complaint = false;
        assert_eq!(field_of(&bad), "callback");
        let mut bad = r.clone();
        if let Some(c) = bad.callback.as_mut() {
            c.phone = "+84912345678".into();
        }
        assert_eq!(
            field_of(&bad),
            "callback.phone",
            "only the national form travels"
        );
        let mut bad = r;
        if let Some(c) = bad.callback.as_mut() {
            c.consent_version = String::new();
        }
        assert_eq!(field_of(&bad), "callback.consent_version");
    }

    #[test]
    fn vietnamese_phone_numbers() {
        for (input, national) in [
            ("0912345678", "0912345678"),
            ("091 234 5678", "0912345678"),
            ("0912.345.678", "0912345678"),
            ("+84 912 345 678", "0912345678"),
            ("84912345678", "0912345678"),
            ("0387654321", "0387654321"),
            ("0243 8251 234", "02438251234"),
        ] {
            assert_eq!(normalize_phone(input).as_deref(), Some(national), "{input}");
        }
        for input in [
            "",
            "091234567",
            "09123456789",
            "0112345678",
            "1912345678",
            "0912a45678",
            "0243825123",
            "+1 912 345 678",
            "٠٩١٢٣٤٥٦٧٨",
        ] {
            assert_eq!(normalize_phone(input), None, "{input}");
        }
    }

    #[test]
    fn a_phone_number_never_prints() {
        let callback = Callback {
            phone: "0912345678".into(),
            consent_version: "pakn-2026-01".into(),
        };
        assert!(!format!("{callback:?}").contains("0912345678"));
    }

    #[test]
    fn feedback_fields_are_absent_from_old_style_json() {
        let json = serde_json::to_string(&sample()).unwrap();
        for key in ["comment", "complaint", "callback"] {
            assert!(!json.contains(key), "{key} in {json}");
        }
    }

    #[test]
    fn unknown_flags_round_trip() {
        let mut r = sample();
        r.flags.push(Flag::Other("from_the_future".into()));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""flags":["suspected_repeat","from_the_future"]"#));
        let back: Rating = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn wire_names_are_stable() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["stage"], "return");
        assert_eq!(json["seal_cause"], "completed");
        assert_eq!(json["staff_id"], serde_json::Value::Null);
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        let mut expected = vec![
            "id",
            "seq",
            "terminal_id",
            "commune_code",
            "counter_id",
            "staff_id",
            "field_id",
            "dossier_code",
            "stage",
            "question_set_id",
            "question_set_version",
            "level",
            "level_count",
            "answers",
            "reasons",
            "language",
            "device_time",
            "sealed_at",
            "seal_cause",
            "flags",
            "prev_hash",
            "hash",
        ];
        let mut keys = keys;
        keys.sort();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
}
