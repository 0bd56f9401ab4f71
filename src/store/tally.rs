//! Tallies for desk staff: counts per level, the SIPAS share satisfied and the Decision 766
//! satisfaction rate, per counter, staff member and field, reasons, ratings per hour and per day.
//!
//! Definitions (domain.md):
//! - SIPAS share satisfied = ratings "satisfied" or "very satisfied" / all ratings.
//! - Decision 766 rate = (dossiers − dossiers unsatisfied or with a complaint) / dossiers. A
//!   dossier is a dossier code; a rating without a code is a dossier of its own. A dossier is
//!   counted against the rate when any of its counted ratings is negative or carries a
//!   complaint. A neutral rating is not "unsatisfied".
//! - Flagged ratings (suspected repeats, a dossier rated twice) are counted apart and left out
//!   unless asked for.
//!
//! Days are the terminal's local days by the device clock, the clock the staff read.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeZone};
use rusqlite::params;
use rusqlite::types::ValueRef;
use serde::Serialize;

use super::{Store, StoreError, StoredRating};
use crate::survey::{Level, Sentiment};

/// Which ratings to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TallyQuery {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// The terminal's UTC offset, which makes the days.
    pub offset: FixedOffset,
    /// Count ratings flagged as repeats too.
    pub include_flagged: bool,
}

impl TallyQuery {
    /// One day.
    pub fn day(day: NaiveDate, offset: FixedOffset) -> Self {
        Self {
            from: day,
            to: day,
            offset,
            include_flagged: false,
        }
    }

    /// The `days` days ending with `last` (7 or 30 for the staff screen).
    pub fn last_days(last: NaiveDate, days: u64, offset: FixedOffset) -> Self {
        Self {
            from: last
                .checked_sub_days(Days::new(days.saturating_sub(1)))
                .unwrap_or(last),
            to: last,
            offset,
            include_flagged: false,
        }
    }

    fn bounds_ms(&self) -> (i64, i64) {
        let start = |day: NaiveDate| {
            self.offset
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
                .single()
                .map_or(0, |t| t.timestamp_millis())
        };
        let after_last = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (start(self.from), start(after_last))
    }
}

/// Counts of one group (the terminal, a counter, a staff member, a field).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Ratings counted.
    pub total: u64,
    /// Ratings per sentiment, least satisfied first:
    /// very unsatisfied, unsatisfied, neutral, satisfied, very satisfied.
    pub by_sentiment: [u64; 5],
    /// Satisfied or very satisfied.
    pub satisfied: u64,
    /// Unsatisfied or very unsatisfied.
    pub negative: u64,
    /// Dossiers (a code, or a rating without one).
    pub dossiers: u64,
    /// Dossiers with a negative rating or a complaint.
    pub dossiers_against: u64,
}

impl Figures {
    /// SIPAS share satisfied, 0..=1; `None` with no ratings.
    pub fn sipas_share(&self) -> Option<f64> {
        ratio(self.satisfied, self.total)
    }

    /// Decision 766 satisfaction rate, 0..=1; `None` with no dossiers.
    pub fn rate_766(&self) -> Option<f64> {
        ratio(self.dossiers - self.dossiers_against, self.dossiers)
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A tally over a range of days.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// The whole terminal.
    pub all: Figures,
    /// Counts per level as stored, keyed "level/level_count" (e.g. "3/3").
    pub by_level: BTreeMap<String, u64>,
    /// Per counter id ("" when none).
    pub by_counter: BTreeMap<String, Figures>,
    /// Per staff member id ("" when none).
    pub by_staff: BTreeMap<String, Figures>,
    /// Per field id ("" when none).
    pub by_field: BTreeMap<String, Figures>,
    /// How often each reason was given.
    pub reasons: BTreeMap<String, u64>,
    /// Ratings per hour of the day (local), by sentiment as in [`Figures::by_sentiment`].
    pub per_hour: Vec<[u64; 5]>,
    /// Per day: (day, ratings, satisfied).
    pub per_day: Vec<(NaiveDate, u64, u64)>,
    /// Flagged ratings in the range (counted above only when the query includes them).
    pub flagged: u64,
    /// Ratings counted that carry a complaint (phản ánh, kiến nghị).
    pub complaints: u64,
}

/// One rating as the supervisor sees it on the dashboard. Deliberately without the call-back
/// number and its consent: those never reach a screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Individual {
    pub seq: u64,
    /// The device clock when the level was tapped.
    pub device_time: DateTime<FixedOffset>,
    pub counter_id: Option<String>,
    pub staff_id: Option<String>,
    pub level: Level,
    /// Reason ids.
    pub reasons: Vec<String>,
    /// Marked as a complaint (phản ánh, kiến nghị).
    pub complaint: bool,
    pub comment: Option<String>,
}

impl From<StoredRating> for Individual {
    fn from(rating: StoredRating) -> Self {
        let draft = rating.draft;
        Self {
            seq: rating.seq.unwrap_or_default(),
            device_time: draft.device_time,
            counter_id: draft.counter_id,
            staff_id: draft.staff_id,
            level: draft.level,
            reasons: draft.reasons,
            complaint: draft.feedback.complaint,
            comment: draft.feedback.comment,
        }
    }
}

/// The newest ratings of a range and how many it holds in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Individuals {
    /// Newest first.
    pub newest: Vec<Individual>,
    /// Ratings in the range (shown: `newest.len()`).
    pub total: u64,
}

fn sentiment_index(sentiment: Sentiment) -> usize {
    match sentiment {
        Sentiment::VeryUnsatisfied => 0,
        Sentiment::Unsatisfied => 1,
        Sentiment::Neutral => 2,
        Sentiment::Satisfied => 3,
        Sentiment::VerySatisfied => 4,
    }
}

const DAY_MS: i64 = 86_400_000;

/// One counted rating, as the tally reads it: small numbers only, so that a month of a busy
/// desk (80,000 ratings) is counted without an allocation per rating.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// Index in [`Figures::by_sentiment`].
    sentiment: usize,
    /// Indexes into the tally's interned names ("" when none).
    counter: u32,
    staff: u32,
    field: u32,
    /// Dense dossier number: one per dossier code, one per rating without a code.
    dossier: u32,
    /// Counts against the Decision 766 rate: negative, or with a complaint.
    against: bool,
}

/// FNV-1a: the tally hashes short ids and dossier codes of the terminal's own data, many times
/// per rating; SipHash's resistance to crafted keys buys nothing here and costs a tenth of
/// the tally.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Distinct names numbered in order of first appearance.
#[derive(Debug, Default)]
struct Interner {
    names: Vec<String>,
    numbers: FnvMap<Vec<u8>, u32>,
}

impl Interner {
    fn number(&mut self, name: &[u8]) -> u32 {
        if let Some(number) = self.numbers.get(name) {
            return *number;
        }
        let number = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(String::from_utf8_lossy(name).into_owned());
        self.numbers.insert(name.to_vec(), number);
        number
    }
}

/// The bytes of a text column; NULL when it is not text.
fn bytes(value: ValueRef<'_>) -> Option<&[u8]> {
    match value {
        ValueRef::Text(bytes) => Some(bytes),
        _ => None,
    }
}

impl Store {
    /// The sealed ratings in `query`'s days (flagged ones only when it includes them), in the
    /// order of the device clock, then of sealing: the rows an export lists, the same ones
    /// [`Store::tally`] counts.
    pub fn ratings_in(&self, query: &TallyQuery) -> Result<Vec<StoredRating>, StoreError> {
        let (start, end) = query.bounds_ms();
        super::rating::select(
            self.connection(),
            "WHERE r.device_time_ms >= ?1 AND r.device_time_ms < ?2 AND r.seq IS NOT NULL
               AND (?3 OR NOT (r.suspected_repeat OR r.dossier_repeat))
             ORDER BY r.device_time_ms, r.seq",
            params![start, end, query.include_flagged],
        )
    }

    /// The newest `limit` sealed ratings of `query`'s days (by the device clock, then the
    /// sequence), as the supervisor reads them, and how many the range holds. Call-back numbers
    /// stay here: [`Individual`] has no place for one.
    pub fn newest_in(&self, query: &TallyQuery, limit: usize) -> Result<Individuals, StoreError> {
        let (start, end) = query.bounds_ms();
        let condition = "WHERE r.device_time_ms >= ?1 AND r.device_time_ms < ?2
               AND r.seq IS NOT NULL
               AND (?3 OR NOT (r.suspected_repeat OR r.dossier_repeat))";
        let total: i64 = self.connection().query_row(
            &format!("SELECT count(*) FROM ratings r {condition}"),
            params![start, end, query.include_flagged],
            |row| row.get(0),
        )?;
        let newest = super::rating::select(
            self.connection(),
            &format!("{condition} ORDER BY r.device_time_ms DESC, r.seq DESC LIMIT ?4"),
            params![
                start,
                end,
                query.include_flagged,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(Individuals {
            newest: newest.into_iter().map(Individual::from).collect(),
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// The tally of sealed ratings in `query`'s days.
    pub fn tally(&self, query: &TallyQuery) -> Result<Tally, StoreError> {
        let (start, end) = query.bounds_ms();
        let mut tally = Tally {
            per_hour: vec![[0; 5]; 24],
            ..Tally::default()
        };
        // Days are whole: local midnights of a fixed offset are exactly 24 h apart.
        let mut days: Vec<(NaiveDate, u64, u64)> = Vec::new();
        let mut day = query.from;
        while day <= query.to {
            days.push((day, 0, 0));
            day = match day.checked_add_days(Days::new(1)) {
                Some(next) => next,
                None => break,
            };
        }
        let offset_ms = i64::from(query.offset.local_minus_utc()) * 1000;
        let mut names = Interner::default();
        let none = names.number(b"");
        let mut codes: FnvMap<Vec<u8>, u32> = FnvMap::default();
        let mut dossiers: u32 = 0;
        // level_count -> level -> ratings (levels 1..=5 of scales 3..=5).
        let mut levels = [[0_u64; 6]; 6];
        let mut reasons: HashMap<String, u64> = HashMap::new();
        let mut counted: Vec<Row> = Vec::new();
        // Ratings are stored in the order they were tapped, so the rows of a range of days lie
        // in one run of rowids: read that run straight through (the time index gives its ends)
        // instead of seeking each row from the index. A rating filed under a far-off device
        // time only widens the run; the time condition still decides.
        let (first, last): (Option<i64>, Option<i64>) = self.connection().query_row(
            "SELECT min(rowid), max(rowid) FROM ratings
             WHERE device_time_ms >= ?1 AND device_time_ms < ?2",
            params![start, end],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let mut stmt = self.connection().prepare_cached(
            "SELECT level, level_count, counter_id, staff_id, field_id, dossier_code, reasons,
                    device_time_ms, suspected_repeat OR dossier_repeat, rowid, complaint
             FROM ratings NOT INDEXED
             WHERE rowid >= ?3 AND rowid <= ?4
               AND device_time_ms >= ?1 AND device_time_ms < ?2 AND seq IS NOT NULL",
        )?;
        let mut rows = stmt.query(params![start, end, first.unwrap_or(1), last.unwrap_or(0)])?;
        while let Some(row) = rows.next()? {
            let (value, count): (i64, i64) = (row.get(0)?, row.get(1)?);
            let Some(level) = u8::try_from(value)
                .ok()
                .zip(u8::try_from(count).ok())
                .and_then(|(v, c)| Level::new(v, c))
            else {
                return Err(self.corrupt(row.get(9)?, format!("level {value}/{count}")));
            };
            if row.get::<_, bool>(8)? {
                tally.flagged += 1;
                if !query.include_flagged {
                    continue;
                }
            }
            // A complaint (phản ánh, kiến nghị) counts the dossier against the 766 rate
            // whatever the level.
            let complaint: bool = row.get(10)?;
            tally.complaints += u64::from(complaint);
            let sentiment = level.sentiment();
            let index = sentiment_index(sentiment);
            levels[usize::from(level.count)][usize::from(level.value)] += 1;
            if let Some(json) = bytes(row.get_ref(6)?)
                && json != b"[]"
            {
                let given: Vec<String> = serde_json::from_slice(json).unwrap_or_default();
                for reason in given {
                    *reasons.entry(reason).or_default() += 1;
                }
            }
            let time_ms: i64 = row.get(7)?;
            let hour = (time_ms + offset_ms).rem_euclid(DAY_MS) / 3_600_000;
            tally.per_hour[usize::try_from(hour).unwrap_or(0)][index] += 1;
            let day = usize::try_from((time_ms - start).div_euclid(DAY_MS)).unwrap_or(0);
            if let Some(entry) = days.get_mut(day) {
                entry.1 += 1;
                entry.2 += u64::from(sentiment.is_satisfied());
            }
            let dossier = match bytes(row.get_ref(5)?) {
                Some(code) => match codes.get(code) {
                    Some(number) => *number,
                    None => {
                        codes.insert(code.to_vec(), dossiers);
                        dossiers += 1;
                        dossiers - 1
                    }
                },
                None => {
                    dossiers += 1;
                    dossiers - 1
                }
            };
            let mut group = |column: usize| -> Result<u32, StoreError> {
                Ok(bytes(row.get_ref(column)?).map_or(none, |name| names.number(name)))
            };
            counted.push(Row {
                sentiment: index,
                counter: group(2)?,
                staff: group(3)?,
                field: group(4)?,
                dossier,
                against: sentiment.is_negative() || complaint,
            });
        }
        for (count, values) in levels.iter().enumerate() {
            for (value, n) in values.iter().enumerate() {
                if *n > 0 {
                    tally.by_level.insert(format!("{value}/{count}"), *n);
                }
            }
        }
        tally.reasons = reasons.into_iter().collect();
        tally.per_day = days;
        tally.all = grouped(&counted, |_| 0, &["".to_owned()])
            .remove("")
            .unwrap_or_default();
        tally.by_counter = grouped(&counted, |r| r.counter, &names.names);
        tally.by_staff = grouped(&counted, |r| r.staff, &names.names);
        tally.by_field = grouped(&counted, |r| r.field, &names.names);
        Ok(tally)
    }

    /// The error for an unreadable stored rating, named by its id.
    fn corrupt(&self, rowid: i64, message: String) -> StoreError {
        let id = self
            .connection()
            .query_row("SELECT id FROM ratings WHERE rowid = ?1", [rowid], |row| {
                row.get::<_, String>(0)
            })
            .unwrap_or_else(|_| format!("rowid {rowid}"));
        StoreError::Corrupt { id, message }
    }
}

/// Figures per group, named by `names[key(row)]`.
fn grouped(rows: &[Row], key: impl Fn(&Row) -> u32, names: &[String]) -> BTreeMap<String, Figures> {
    let mut figures: BTreeMap<u32, Figures> = BTreeMap::new();
    // (group, dossier) with whether it counts against the 766 rate: sorted, then each run is
    // one dossier of one group.
    let mut group_dossiers: Vec<(u64, bool)> = Vec::with_capacity(rows.len());
    for row in rows {
        let group = key(row);
        let entry = figures.entry(group).or_default();
        entry.total += 1;
        entry.by_sentiment[row.sentiment] += 1;
        group_dossiers.push((
            (u64::from(group) << 32) | u64::from(row.dossier),
            row.against,
        ));
    }
    group_dossiers.sort_unstable();
    // One entry per dossier of a group, against when any of its ratings was.
    group_dossiers.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 |= later.1;
        }
        same
    });
    for (key, against) in &group_dossiers {
        if let Some(entry) = figures.get_mut(&u32::try_from(key >> 32).unwrap_or(0)) {
            entry.dossiers += 1;
            entry.dossiers_against += u64::from(*against);
        }
    }
    figures
        .into_iter()
        .map(|(group, mut figures)| {
            let [very_unsatisfied, unsatisfied, _, satisfied, very_satisfied] =
                figures.by_sentiment;
            figures.satisfied = satisfied + very_satisfied;
            figures.negative = very_unsatisfied + unsatisfied;
            let name = names
                .get(usize::try_from(group).unwrap_or(usize::MAX))
                .cloned()
                .unwrap_or_default();
            (name, figures)
        })
        .collect()
}
