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

use std::collections::BTreeMap;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeZone, Timelike};
use rusqlite::params;
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

/// One counted rating, as the tally reads it.
struct Row {
    level: Level,
    counter: String,
    staff: String,
    field: String,
    dossier: Option<String>,
    id: String,
    reasons: Vec<String>,
    complaint: bool,
    time_ms: i64,
    flagged: bool,
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

    /// The tally of sealed ratings in `query`'s days.
    pub fn tally(&self, query: &TallyQuery) -> Result<Tally, StoreError> {
        let (start, end) = query.bounds_ms();
        let mut stmt = self.connection().prepare_cached(
            "SELECT level, level_count, coalesce(counter_id, ''), coalesce(staff_id, ''),
                    coalesce(field_id, ''), dossier_code, id, reasons, device_time_ms,
                    suspected_repeat OR dossier_repeat
             FROM ratings
             WHERE device_time_ms >= ?1 AND device_time_ms < ?2 AND seq IS NOT NULL",
        )?;
        let rows = stmt.query_map(params![start, end], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, String>(7)?,
                row.get::<_, i64>(8)?,
                row.get::<_, bool>(9)?,
            ))
        })?;
        let mut tally = Tally {
            per_hour: vec![[0; 5]; 24],
            ..Tally::default()
        };
        let mut days: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
        let mut day = query.from;
        while day <= query.to {
            let _ = days.insert(day, (0, 0));
            day = match day.checked_add_days(Days::new(1)) {
                Some(next) => next,
                None => break,
            };
        }
        let mut counted = Vec::new();
        for row in rows {
            let (level, count, counter, staff, field, dossier, id, reasons, time_ms, flagged) =
                row?;
            let level = u8::try_from(level)
                .ok()
                .zip(u8::try_from(count).ok())
                .and_then(|(v, c)| Level::new(v, c))
                .ok_or_else(|| StoreError::Corrupt {
                    id: id.clone(),
                    message: format!("level {level}/{count}"),
                })?;
            if flagged {
                tally.flagged += 1;
                if !query.include_flagged {
                    continue;
                }
            }
            let reasons: Vec<String> = serde_json::from_str(&reasons).unwrap_or_default();
            counted.push(Row {
                level,
                counter,
                staff,
                field,
                dossier,
                id,
                reasons,
                complaint: false,
                time_ms,
                flagged,
            });
        }
        for row in &counted {
            let sentiment = row.level.sentiment();
            *tally
                .by_level
                .entry(format!("{}/{}", row.level.value, row.level.count))
                .or_default() += 1;
            for reason in &row.reasons {
                *tally.reasons.entry(reason.clone()).or_default() += 1;
            }
            if let Some(time) = DateTime::from_timestamp_millis(row.time_ms) {
                let local = time.with_timezone(&query.offset);
                tally.per_hour[local.hour() as usize][sentiment_index(sentiment)] += 1;
                if let Some(entry) = days.get_mut(&local.date_naive()) {
                    entry.0 += 1;
                    entry.1 += u64::from(sentiment.is_satisfied());
                }
            }
            let _ = row.flagged;
        }
        tally.per_day = days.into_iter().map(|(d, (n, s))| (d, n, s)).collect();
        tally.all = figures(counted.iter());
        tally.by_counter = grouped(&counted, |r| &r.counter);
        tally.by_staff = grouped(&counted, |r| &r.staff);
        tally.by_field = grouped(&counted, |r| &r.field);
        Ok(tally)
    }
}

fn grouped<'a>(rows: &'a [Row], key: impl Fn(&'a Row) -> &'a String) -> BTreeMap<String, Figures> {
    let mut groups: BTreeMap<&String, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        groups.entry(key(row)).or_default().push(row);
    }
    groups
        .into_iter()
        .map(|(k, rows)| (k.clone(), figures(rows.into_iter())))
        .collect()
}

fn figures<'a>(rows: impl Iterator<Item = &'a Row>) -> Figures {
    let mut figures = Figures::default();
    // Dossier -> whether it counts against the 766 rate. A rating without a code is a dossier
    // of its own, keyed apart so that no code can ever merge with a rating id.
    let mut dossiers: BTreeMap<DossierKey<'_>, bool> = BTreeMap::new();
    for row in rows {
        let sentiment = row.level.sentiment();
        figures.total += 1;
        figures.by_sentiment[sentiment_index(sentiment)] += 1;
        figures.satisfied += u64::from(sentiment.is_satisfied());
        figures.negative += u64::from(sentiment.is_negative());
        let key = match &row.dossier {
            Some(code) => DossierKey::Code(code),
            None => DossierKey::Rating(&row.id),
        };
        let against = sentiment.is_negative() || row.complaint;
        let entry = dossiers.entry(key).or_insert(false);
        *entry |= against;
    }
    figures.dossiers = dossiers.len() as u64;
    figures.dossiers_against = dossiers.values().filter(|a| **a).count() as u64;
    figures
}

/// What makes a dossier for the Decision 766 rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DossierKey<'a> {
    /// A dossier code.
    Code(&'a str),
    /// A rating given without a code, by its id.
    Rating(&'a str),
}
