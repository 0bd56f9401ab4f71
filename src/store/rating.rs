//! One rating as the store keeps it: the draft the flow writes, the seal, and the rows.

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use hailong_protocol as wire;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StoreError;
use crate::config::Stage;
use crate::survey::Level;

/// One answer to a criteria page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The criterion's id in the question set.
    pub criterion_id: String,
    /// The option chosen: for Circular 01 its index from 1; for a 5-level statement the level.
    pub value: u8,
    /// Points scored (2/1/0 for Circular 01, the level for a 5-level statement).
    pub points: u8,
}

/// Everything a rating records before it is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingDraft {
    /// UUIDv7, made on the terminal.
    pub id: Uuid,
    pub terminal_id: String,
    pub commune_code: String,
    pub counter_id: Option<String>,
    pub staff_id: Option<String>,
    pub field_id: Option<String>,
    pub dossier_code: Option<String>,
    pub stage: Stage,
    pub question_set_id: String,
    pub question_set_version: u32,
    pub level: Level,
    pub answers: Vec<Answer>,
    pub reasons: Vec<String>,
    /// Language tag the citizen used.
    pub language: String,
    /// Device clock when the level was tapped (untrusted; never used for ordering).
    pub device_time: DateTime<FixedOffset>,
    /// Comment, complaint and call-back, when the citizen gave any.
    pub feedback: Feedback,
}

/// What the citizen wrote or asked for beyond the rating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feedback {
    /// Free comment (góp ý), composed on the on-screen keyboard.
    pub comment: Option<String>,
    /// A complaint or petition (phản ánh, kiến nghị): not satisfied in the Decision 766 rate.
    pub complaint: bool,
    /// Call-back number and the consent text's version; only with a complaint, only after
    /// consent. The number is personal data: its `Debug` is redacted.
    pub callback: Option<wire::Callback>,
}

/// Why a rating was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SealCause {
    /// The citizen reached the thank-you screen.
    Completed,
    /// The citizen walked away; what was answered is kept.
    Idle,
    /// Left unfinished by a crash or power cut, sealed at the next start.
    Recovered,
    /// Recorded by `hailong rate`.
    Cli,
}

impl SealCause {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Idle => "idle",
            Self::Recovered => "recovered",
            Self::Cli => "cli",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "completed" => Some(Self::Completed),
            "idle" => Some(Self::Idle),
            "recovered" => Some(Self::Recovered),
            "cli" => Some(Self::Cli),
            _ => None,
        }
    }
}

/// How and when to seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    pub cause: SealCause,
    /// Device clock at sealing.
    pub at: DateTime<FixedOffset>,
    /// A previous complete rating at the same counter tapped less than this long before marks
    /// this one as a suspected repeat. Zero disables the check.
    pub repeat_interval: Duration,
}

/// Flags set at sealing: the rating is kept and counted apart, never dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    /// Another complete rating at the same counter came just before.
    pub suspected_repeat: bool,
    /// Another sealed rating has the same dossier code.
    pub dossier_repeat: bool,
}

/// A rating as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRating {
    pub draft: RatingDraft,
    /// Sequence number; `None` while a draft.
    pub seq: Option<u64>,
    pub sealed_at: Option<DateTime<FixedOffset>>,
    pub seal_cause: Option<SealCause>,
    pub flags: Flags,
    /// The chain: the previous sealed rating's hash (or the genesis), and this one's.
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    /// Digest of the call-back number (which the chain covers); it stays when the number
    /// itself has been erased after the server received it.
    pub phone_digest: Option<String>,
}

impl StoredRating {
    /// The wire form of a sealed rating (`None` for a draft). Its `hash` is the one stored,
    /// so a row edited in the file no longer matches its hash.
    pub fn to_wire(&self) -> Option<wire::Rating> {
        let mut rating = wire_content(
            &self.draft,
            self.seq?,
            self.sealed_at?,
            self.seal_cause?,
            self.flags,
        );
        rating.prev_hash = self.prev_hash.clone().unwrap_or_default();
        rating.hash = self.hash.clone().unwrap_or_default();
        Some(rating)
    }

    /// The hash this rating's content has now (compare with `hash`): over the call-back
    /// number's stored digest, so an erased number still verifies.
    pub fn content_hash(&self, wire: &wire::Rating) -> String {
        wire::chain::rating_hash_with_phone_digest(wire, self.phone_digest.as_deref())
    }

    /// Whether the call-back number has been erased (the server holds it).
    pub fn phone_erased(&self) -> bool {
        self.phone_digest.is_some()
            && self
                .draft
                .feedback
                .callback
                .as_ref()
                .is_none_or(|c| c.phone.is_empty())
    }
}

/// The wire rating of a draft being sealed, without its chain fields.
fn wire_content(
    draft: &RatingDraft,
    seq: u64,
    sealed_at: DateTime<FixedOffset>,
    cause: SealCause,
    flags: Flags,
) -> wire::Rating {
    let mut wire_flags = Vec::new();
    if flags.suspected_repeat {
        wire_flags.push(wire::Flag::SuspectedRepeat);
    }
    if flags.dossier_repeat {
        wire_flags.push(wire::Flag::DossierRepeat);
    }
    wire::Rating {
        id: draft.id,
        seq,
        terminal_id: draft.terminal_id.clone(),
        commune_code: draft.commune_code.clone(),
        counter_id: draft.counter_id.clone(),
        staff_id: draft.staff_id.clone(),
        field_id: draft.field_id.clone(),
        dossier_code: draft.dossier_code.clone(),
        stage: match draft.stage {
            Stage::Receipt => wire::Stage::Receipt,
            Stage::Return => wire::Stage::Return,
        },
        question_set_id: draft.question_set_id.clone(),
        question_set_version: draft.question_set_version,
        level: draft.level.value,
        level_count: draft.level.count,
        answers: draft
            .answers
            .iter()
            .map(|a| wire::Answer {
                criterion_id: a.criterion_id.clone(),
                value: a.value,
                points: a.points,
            })
            .collect(),
        reasons: draft.reasons.clone(),
        language: draft.language.clone(),
        device_time: draft.device_time.to_rfc3339(),
        sealed_at: sealed_at.to_rfc3339(),
        seal_cause: match cause {
            SealCause::Completed => wire::SealCause::Completed,
            SealCause::Idle => wire::SealCause::Idle,
            SealCause::Recovered => wire::SealCause::Recovered,
            SealCause::Cli => wire::SealCause::Cli,
        },
        flags: wire_flags,
        prev_hash: String::new(),
        hash: String::new(),
        comment: draft.feedback.comment.clone(),
        complaint: draft.feedback.complaint,
        callback: draft.feedback.callback.clone(),
    }
}

const COLUMNS: &str = "id, seq, terminal_id, commune_code, counter_id, staff_id, field_id,
    dossier_code, stage, question_set_id, question_set_version, level, level_count, answers,
    reasons, language, device_time, sealed_at, seal_cause, suspected_repeat, dossier_repeat,
    prev_hash, hash, comment, complaint, callback_consent, callback_digest,
    (SELECT phone FROM callback_phones p WHERE p.rating_id = id) AS callback_phone";

pub(super) fn upsert_draft(conn: &Connection, draft: &RatingDraft) -> Result<(), StoreError> {
    let answers = serde_json::to_string(&draft.answers).expect("answers serialise");
    let reasons = serde_json::to_string(&draft.reasons).expect("reasons serialise");
    let callback = draft.feedback.callback.as_ref();
    conn.execute(
        "INSERT INTO ratings (id, terminal_id, commune_code, counter_id, staff_id, field_id,
             dossier_code, stage, question_set_id, question_set_version, level, level_count,
             answers, reasons, language, device_time, device_time_ms, comment, complaint,
             callback_consent, callback_digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
             ?18, ?19, ?20, ?21)
         ON CONFLICT (id) DO UPDATE SET
             counter_id = excluded.counter_id, staff_id = excluded.staff_id,
             field_id = excluded.field_id, dossier_code = excluded.dossier_code,
             level = excluded.level, level_count = excluded.level_count,
             answers = excluded.answers, reasons = excluded.reasons,
             language = excluded.language, comment = excluded.comment,
             complaint = excluded.complaint, callback_consent = excluded.callback_consent,
             callback_digest = excluded.callback_digest",
        params![
            draft.id.to_string(),
            draft.terminal_id,
            draft.commune_code,
            draft.counter_id,
            draft.staff_id,
            draft.field_id,
            draft.dossier_code,
            draft.stage.as_str(),
            draft.question_set_id,
            draft.question_set_version,
            draft.level.value,
            draft.level.count,
            answers,
            reasons,
            draft.language,
            draft.device_time.to_rfc3339(),
            draft.device_time.timestamp_millis(),
            draft.feedback.comment,
            draft.feedback.complaint,
            callback.map(|c| c.consent_version.as_str()),
            callback.map(|c| wire::chain::phone_digest(&c.phone)),
        ],
    )?;
    match callback {
        Some(callback) => {
            conn.execute(
                "INSERT INTO callback_phones (rating_id, phone) VALUES (?1, ?2)
                 ON CONFLICT (rating_id) DO UPDATE SET phone = excluded.phone",
                params![draft.id.to_string(), callback.phone],
            )?;
        }
        None => {
            conn.execute(
                "DELETE FROM callback_phones WHERE rating_id = ?1",
                [draft.id.to_string()],
            )?;
        }
    }
    Ok(())
}

/// Gives the draft the next sequence number of its terminal and sets its flags.
pub(super) fn seal(
    conn: &Connection,
    draft: &RatingDraft,
    seal: &Seal,
) -> Result<(u64, Flags), StoreError> {
    let (last, last_hash): (i64, Option<String>) = conn
        .query_row(
            "SELECT last_seq, last_hash FROM sequences WHERE terminal_id = ?1",
            [&draft.terminal_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, None));
    let seq = last + 1;
    let interval_ms = i64::try_from(seal.repeat_interval.as_millis()).unwrap_or(i64::MAX);
    let tapped_ms = draft.device_time.timestamp_millis();
    let suspected_repeat = interval_ms > 0
        && seal.cause != SealCause::Recovered
        // `+terminal_id`: walk the device-time index over the interval, not the terminal's
        // whole history (which the (terminal, seq) index would do: 40 ms a seal at 100k).
        && conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM ratings
                 WHERE seq IS NOT NULL AND id <> ?1 AND +terminal_id = ?2
                   AND counter_id IS ?3 AND seal_cause <> 'recovered'
                   AND device_time_ms > ?4 - ?5 AND device_time_ms <= ?4)",
            params![
                draft.id.to_string(),
                draft.terminal_id,
                draft.counter_id,
                tapped_ms,
                interval_ms
            ],
            |row| row.get::<_, bool>(0),
        )?;
    let dossier_repeat = match &draft.dossier_code {
        None => false,
        Some(code) => conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM ratings
                 WHERE seq IS NOT NULL AND id <> ?1 AND dossier_code = ?2)",
            params![draft.id.to_string(), code],
            |row| row.get::<_, bool>(0),
        )?,
    };
    let flags = Flags {
        suspected_repeat,
        dossier_repeat,
    };
    let seq_u64 = u64::try_from(seq).unwrap_or(0);
    // The chain: link to the last sealed rating of this terminal, or to its genesis.
    let prev_hash = last_hash.unwrap_or_else(|| wire::chain::genesis(&draft.terminal_id));
    let mut content = wire_content(draft, seq_u64, seal.at, seal.cause, flags);
    content.link(prev_hash);
    conn.execute(
        "UPDATE ratings SET seq = ?2, sealed_at = ?3, sealed_at_ms = ?4, seal_cause = ?5,
             suspected_repeat = ?6, dossier_repeat = ?7, prev_hash = ?8, hash = ?9
         WHERE id = ?1 AND seq IS NULL",
        params![
            draft.id.to_string(),
            seq,
            content.sealed_at,
            seal.at.timestamp_millis(),
            seal.cause.as_str(),
            flags.suspected_repeat,
            flags.dossier_repeat,
            content.prev_hash,
            content.hash,
        ],
    )?;
    conn.execute(
        "INSERT INTO sequences (terminal_id, last_seq, last_hash) VALUES (?1, ?2, ?3)
         ON CONFLICT (terminal_id) DO UPDATE SET last_seq = excluded.last_seq,
             last_hash = excluded.last_hash",
        params![draft.terminal_id, seq, content.hash],
    )?;
    Ok((seq_u64, flags))
}

pub(super) fn load(conn: &Connection, id: Uuid) -> Result<Option<StoredRating>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM ratings WHERE id = ?1");
    let row = conn
        .query_row(&sql, [id.to_string()], read_row)
        .optional()?;
    row.map(finish_row).transpose()
}

pub(super) fn drafts(conn: &Connection) -> Result<Vec<RatingDraft>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM ratings WHERE seq IS NULL ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], read_row)?;
    rows.map(|row| finish_row(row?).map(|stored| stored.draft))
        .collect()
}

pub(super) fn sealed_after(
    conn: &Connection,
    terminal: &str,
    after: u64,
    limit: usize,
) -> Result<Vec<StoredRating>, StoreError> {
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    select(
        conn,
        "WHERE r.terminal_id = ?1 AND r.seq > ?2 ORDER BY r.seq LIMIT ?3",
        params![terminal, after, limit],
    )
}

/// Ratings from `FROM ratings r {tail}`, where `tail` holds the WHERE / ORDER / LIMIT.
pub(super) fn select(
    conn: &Connection,
    tail: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredRating>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM ratings r {tail}");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params, read_row)?;
    rows.map(|row| finish_row(row?)).collect()
}

/// The raw column values of one row, parsed in a second step so that a bad value becomes a
/// `StoreError::Corrupt` naming the rating instead of a bare SQLite error.
struct RawRow {
    id: String,
    seq: Option<i64>,
    terminal_id: String,
    commune_code: String,
    counter_id: Option<String>,
    staff_id: Option<String>,
    field_id: Option<String>,
    dossier_code: Option<String>,
    stage: String,
    question_set_id: String,
    question_set_version: i64,
    level: i64,
    level_count: i64,
    answers: String,
    reasons: String,
    language: String,
    device_time: String,
    sealed_at: Option<String>,
    seal_cause: Option<String>,
    suspected_repeat: bool,
    dossier_repeat: bool,
    prev_hash: Option<String>,
    hash: Option<String>,
    comment: Option<String>,
    complaint: bool,
    callback_consent: Option<String>,
    callback_digest: Option<String>,
    callback_phone: Option<String>,
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        seq: row.get(1)?,
        terminal_id: row.get(2)?,
        commune_code: row.get(3)?,
        counter_id: row.get(4)?,
        staff_id: row.get(5)?,
        field_id: row.get(6)?,
        dossier_code: row.get(7)?,
        stage: row.get(8)?,
        question_set_id: row.get(9)?,
        question_set_version: row.get(10)?,
        level: row.get(11)?,
        level_count: row.get(12)?,
        answers: row.get(13)?,
        reasons: row.get(14)?,
        language: row.get(15)?,
        device_time: row.get(16)?,
        sealed_at: row.get(17)?,
        seal_cause: row.get(18)?,
        suspected_repeat: row.get(19)?,
        dossier_repeat: row.get(20)?,
        prev_hash: row.get(21)?,
        hash: row.get(22)?,
        comment: row.get(23)?,
        complaint: row.get(24)?,
        callback_consent: row.get(25)?,
        callback_digest: row.get(26)?,
        callback_phone: row.get(27)?,
    })
}

fn finish_row(raw: RawRow) -> Result<StoredRating, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        id: raw.id.clone(),
        message,
    };
    let id = Uuid::parse_str(&raw.id).map_err(|e| corrupt(format!("id: {e}")))?;
    let level = u8::try_from(raw.level)
        .ok()
        .zip(u8::try_from(raw.level_count).ok())
        .and_then(|(value, count)| Level::new(value, count))
        .ok_or_else(|| corrupt(format!("level {}/{}", raw.level, raw.level_count)))?;
    let stage = Stage::parse(&raw.stage).ok_or_else(|| corrupt(format!("stage {}", raw.stage)))?;
    let parse_time = |text: &str, what: &str| {
        DateTime::parse_from_rfc3339(text).map_err(|e| corrupt(format!("{what}: {e}")))
    };
    let device_time = parse_time(&raw.device_time, "device_time")?;
    let sealed_at = raw
        .sealed_at
        .as_deref()
        .map(|t| parse_time(t, "sealed_at"))
        .transpose()?;
    let seal_cause = match raw.seal_cause.as_deref() {
        None => None,
        Some(text) => {
            Some(SealCause::parse(text).ok_or_else(|| corrupt(format!("seal_cause {text}")))?)
        }
    };
    let answers =
        serde_json::from_str(&raw.answers).map_err(|e| corrupt(format!("answers: {e}")))?;
    let reasons =
        serde_json::from_str(&raw.reasons).map_err(|e| corrupt(format!("reasons: {e}")))?;
    // An erased number leaves the consent and the digest; the phone reads as empty.
    let callback = raw.callback_consent.map(|consent_version| wire::Callback {
        phone: raw.callback_phone.unwrap_or_default(),
        consent_version,
    });
    let question_set_version = u32::try_from(raw.question_set_version)
        .map_err(|e| corrupt(format!("question_set_version: {e}")))?;
    Ok(StoredRating {
        draft: RatingDraft {
            id,
            terminal_id: raw.terminal_id,
            commune_code: raw.commune_code,
            counter_id: raw.counter_id,
            staff_id: raw.staff_id,
            field_id: raw.field_id,
            dossier_code: raw.dossier_code,
            stage,
            question_set_id: raw.question_set_id,
            question_set_version,
            level,
            answers,
            reasons,
            language: raw.language,
            device_time,
            feedback: Feedback {
                comment: raw.comment,
                complaint: raw.complaint,
                callback,
            },
        },
        seq: raw.seq.and_then(|s| u64::try_from(s).ok()),
        sealed_at,
        seal_cause,
        flags: Flags {
            suspected_repeat: raw.suspected_repeat,
            dossier_repeat: raw.dossier_repeat,
        },
        prev_hash: raw.prev_hash,
        hash: raw.hash,
        phone_digest: raw.callback_digest,
    })
}
