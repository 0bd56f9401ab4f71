//! Reports for the province: per province, commune, counter, staff member, field or day, the
//! counts per level, the SIPAS share and the Decision 766 rate, as CSV, XLSX or JSON.
//!
//! Definitions (the kiosk's tally, `src/store/tally.rs`, and docs/domain.md):
//! - Levels are normalised across scales into five sentiments, least satisfied first: very
//!   unsatisfied, unsatisfied, neutral, satisfied, very satisfied (3 levels: unsatisfied /
//!   satisfied / very satisfied; 4 levels add neutral; 5 levels add very unsatisfied).
//! - SIPAS share = ratings "satisfied" or "very satisfied" / all ratings counted.
//! - Decision 766 rate = (dossiers − dossiers unsatisfied or with a complaint) / dossiers. A
//!   dossier is a dossier code within its commune; a rating without a code is a dossier of its
//!   own. A dossier counts against the rate when any of its counted ratings in the group is
//!   unsatisfied or very unsatisfied, or carries a complaint. A neutral rating is not
//!   unsatisfied. A dossier rated on two days (or at two counters) is one dossier of each
//!   day's (counter's) row and one of the total: rows do not add up to the total.
//! - Flagged ratings (the kiosk's "suspected_repeat" and "dossier_repeat") are counted apart
//!   (`flagged`) and left out of every other figure unless the query includes them.
//! - Days are the server's receive days in Vietnam time (UTC+07:00), never the device's clock:
//!   a terminal whose clock was wrong is reported on the day its ratings arrived.
//!
//! The stores only read rows ([`crate::Store::report_rows`]) into a [`ReportBuilder`]; all the
//! counting is here, once, for SQLite and PostgreSQL alike. [`build`] runs a whole report.

use std::collections::HashMap;
use std::io::Write as _;

use chrono::{Datelike as _, Days, NaiveDate};
use hailong_protocol::ConfigEnvelope;
use rust_xlsxwriter::{Color, ExcelDateTime, Format as XlsxFormat, Workbook, XlsxError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::{Store, StoreError};

/// Vietnam's UTC offset, which makes the report's days (no daylight saving time).
pub const VIETNAM_OFFSET_SECONDS: i64 = 7 * 3600;
const DAY_MS: i64 = 86_400_000;

/// The columns [`crate::Store::report_rows`] reads, in the order of [`ReportRow`].
pub const ROW_COLUMNS: &str = "commune_code, counter_id, staff_id, field_id, dossier_code, \
                               level, level_count, complaint, suspected_repeat, dossier_repeat, \
                               received_at";

/// What one row of a report stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The province a commune's configuration names (`[commune] province`).
    Province,
    /// A commune (xã / phường).
    Commune,
    /// A counter of a commune.
    Counter,
    /// A staff member of a commune.
    Staff,
    /// A field (lĩnh vực), over all communes reported.
    Field,
    /// A day (receive time, UTC+07:00).
    Day,
}

impl GroupBy {
    /// Every value, in the order the help lists them.
    pub const ALL: [GroupBy; 6] = [
        GroupBy::Province,
        GroupBy::Commune,
        GroupBy::Counter,
        GroupBy::Staff,
        GroupBy::Field,
        GroupBy::Day,
    ];

    /// The wire name (`--by`, `by=`).
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Province => "province",
            GroupBy::Commune => "commune",
            GroupBy::Counter => "counter",
            GroupBy::Staff => "staff",
            GroupBy::Field => "field",
            GroupBy::Day => "day",
        }
    }

    /// The value named `name`.
    pub fn parse(name: &str) -> Result<Self, ReportError> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == name)
            .ok_or_else(|| ReportError::UnknownBy(name.to_owned()))
    }
}

/// The file format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// UTF-8 with a byte-order mark, comma-separated, Vietnamese headings.
    Csv,
    /// One Excel workbook, Vietnamese headings, dates as date cells.
    Xlsx,
    /// The [`Report`] as JSON.
    Json,
}

impl ReportFormat {
    /// The value named `name` (`csv`, `xlsx`, `json`).
    pub fn parse(name: &str) -> Result<Self, ReportError> {
        match name {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            "json" => Ok(Self::Json),
            other => Err(ReportError::UnknownFormat(other.to_owned())),
        }
    }
}

/// Why a report could not be made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReportError {
    /// `from` is after `to`.
    #[error("the first day {from} is after the last day {to}")]
    Range {
        /// First day asked for.
        from: NaiveDate,
        /// Last day asked for.
        to: NaiveDate,
    },
    /// Not a day.
    #[error("`{0}` is not a day: write YYYY-MM-DD, e.g. 2026-03-01")]
    BadDay(String),
    /// Not a grouping.
    #[error("unknown grouping `{0}`: use province, commune, counter, staff, field or day")]
    UnknownBy(String),
    /// Not a format.
    #[error("unknown format `{0}`: use csv, xlsx or json")]
    UnknownFormat(String),
    /// Not a commune code.
    #[error("commune code `{0}` must be 1-32 letters, digits, '-', '_' or '.'")]
    BadCommune(String),
    /// A stored rating the report cannot read (the database was changed by hand).
    #[error("a stored rating of commune {commune} has level {level} of {count}, not a known scale")]
    Corrupt {
        /// Its commune.
        commune: String,
        /// Its level.
        level: i64,
        /// Its scale.
        count: i64,
    },
    /// Writing the file failed.
    #[error("cannot write the report: {0}")]
    Write(String),
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<XlsxError> for ReportError {
    fn from(e: XlsxError) -> Self {
        ReportError::Write(e.to_string())
    }
}

/// A day as `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<NaiveDate, ReportError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ReportError::BadDay(text.to_owned()))
}

/// What to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    /// First day, inclusive (receive time, UTC+07:00).
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// What a row stands for.
    pub by: GroupBy,
    /// Only this commune.
    pub commune: Option<String>,
    /// Count flagged ratings (suspected repeats) too.
    pub include_flagged: bool,
}

impl ReportQuery {
    /// Refuses a range that ends before it starts and a malformed commune code.
    pub fn check(&self) -> Result<(), ReportError> {
        if self.from > self.to {
            return Err(ReportError::Range {
                from: self.from,
                to: self.to,
            });
        }
        if let Some(code) = &self.commune {
            let ok = !code.is_empty()
                && code.chars().count() <= 32
                && code
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(ReportError::BadCommune(code.clone()));
            }
        }
        Ok(())
    }

    /// The rows to read: received from the first day's midnight to the midnight after the
    /// last day, Vietnam time.
    pub fn scope(&self) -> RowScope {
        RowScope {
            start_ms: day_start_ms(self.from),
            end_ms: day_start_ms(self.to.checked_add_days(Days::new(1)).unwrap_or(self.to)),
            commune: self.commune.clone(),
        }
    }
}

/// Milliseconds since the epoch of `day`'s midnight in Vietnam.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp_millis()
        - VIETNAM_OFFSET_SECONDS * 1000
}

/// The Vietnam day of a server time.
fn day_of_ms(ms: i64) -> i64 {
    (ms + VIETNAM_OFFSET_SECONDS * 1000).div_euclid(DAY_MS)
}

/// Which stored ratings a report reads: received in `[start_ms, end_ms)`, of one commune or
/// all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowScope {
    /// First receive time, ms since the epoch, inclusive.
    pub start_ms: i64,
    /// Receive time bound, exclusive.
    pub end_ms: i64,
    /// Only this commune.
    pub commune: Option<String>,
}

/// One stored rating as a report reads it ([`ROW_COLUMNS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRow<'a> {
    /// Commune code.
    pub commune_code: &'a str,
    /// Counter, if known.
    pub counter_id: Option<&'a str>,
    /// Staff member, if known.
    pub staff_id: Option<&'a str>,
    /// Field, if known.
    pub field_id: Option<&'a str>,
    /// Dossier code, if given.
    pub dossier_code: Option<&'a str>,
    /// Level, 1 = least satisfied.
    pub level: i64,
    /// Levels of its scale.
    pub level_count: i64,
    /// With a complaint.
    pub complaint: bool,
    /// Flagged as a suspected repeat or a dossier rated again.
    pub flagged: bool,
    /// Server receive time, ms since the epoch.
    pub received_at_ms: i64,
}

/// Names from a commune's current configuration (Vietnamese).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommuneInfo {
    /// `[commune] name`.
    pub name: String,
    /// `[commune] province`, if set.
    pub province: Option<String>,
    counters: HashMap<String, String>,
    staff: HashMap<String, String>,
    fields: HashMap<String, String>,
}

/// What the server knows of communes: the current configuration of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    communes: HashMap<String, CommuneInfo>,
    /// Field names of any commune (fields are reported across communes).
    fields: HashMap<String, String>,
}

impl Directory {
    /// From the current configuration of each commune.
    pub fn from_configs(configs: &[ConfigEnvelope]) -> Self {
        let mut directory = Directory::default();
        for config in configs {
            let doc = &config.document;
            let commune = &doc["commune"];
            let names = |list: &str| -> HashMap<String, String> {
                doc[list]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|item| {
                                Some((item["id"].as_str()?.to_owned(), vietnamese(&item["name"])?))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let info = CommuneInfo {
                name: vietnamese(&commune["name"]).unwrap_or_default(),
                province: vietnamese(&commune["province"]).filter(|p| !p.trim().is_empty()),
                counters: names("counters"),
                staff: names("staff"),
                fields: names("fields"),
            };
            for (id, name) in &info.fields {
                directory
                    .fields
                    .entry(id.clone())
                    .or_insert_with(|| name.clone());
            }
            directory.communes.insert(config.commune_code.clone(), info);
        }
        directory
    }

    /// The commune's names, if it has a configuration.
    pub fn commune(&self, code: &str) -> Option<&CommuneInfo> {
        self.communes.get(code)
    }

    /// A field's name, from any commune's configuration.
    pub fn field_name(&self, id: &str) -> Option<String> {
        self.fields.get(id).cloned()
    }
}

impl CommuneInfo {
    /// A counter's name in this commune.
    pub fn counter_name(&self, id: &str) -> Option<String> {
        self.counters.get(id).cloned()
    }

    /// A staff member's name in this commune.
    pub fn staff_name(&self, id: &str) -> Option<String> {
        self.staff.get(id).cloned()
    }
}

/// A name in a configuration: a string, or `{ vi = ..., en = ... }` (Vietnamese first).
fn vietnamese(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(map) => map
            .get("vi")
            .or_else(|| map.values().next())
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        _ => None,
    }
}

/// The figures of one row of a report (or of the total).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Ratings counted.
    pub ratings: u64,
    /// "Rất không hài lòng" (5-level scales only).
    pub very_unsatisfied: u64,
    /// "Không hài lòng".
    pub unsatisfied: u64,
    /// "Bình thường" (4- and 5-level scales).
    pub neutral: u64,
    /// "Hài lòng".
    pub satisfied: u64,
    /// "Rất hài lòng".
    pub very_satisfied: u64,
    /// Satisfied or very satisfied: the SIPAS numerator.
    pub satisfied_total: u64,
    /// Unsatisfied or very unsatisfied.
    pub unsatisfied_total: u64,
    /// Ratings with a complaint (phản ánh, kiến nghị).
    pub complaints: u64,
    /// Dossiers: dossier codes of a commune, plus one per rating without a code.
    pub dossiers: u64,
    /// Dossiers with an unsatisfied rating or a complaint.
    pub dossiers_against: u64,
    /// SIPAS share satisfied, 0..=1; null without ratings.
    pub sipas_share: Option<f64>,
    /// Decision 766 satisfaction rate, 0..=1; null without dossiers.
    pub rate_766: Option<f64>,
    /// Flagged ratings (suspected repeats, dossiers rated again): left out of the figures
    /// above unless the report includes them.
    pub flagged: u64,
}

/// One row of a report. The keys that do not apply to the grouping are null.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupRow {
    /// Province (by province, commune, counter, staff); null when the commune has no
    /// configuration naming one.
    pub province: Option<String>,
    /// Commune code (by commune, counter, staff).
    pub commune_code: Option<String>,
    /// Commune name from its configuration.
    pub commune_name: Option<String>,
    /// Counter, staff or field id; null for ratings without one.
    pub id: Option<String>,
    /// Its name from the configuration.
    pub name: Option<String>,
    /// The day (by day), YYYY-MM-DD.
    #[schema(value_type = Option<String>, format = Date)]
    pub day: Option<NaiveDate>,
    /// The figures.
    pub figures: Figures,
}

/// A report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    /// First day, YYYY-MM-DD.
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last day, inclusive.
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// What a row stands for.
    pub by: GroupBy,
    /// The commune reported, when one was asked for.
    pub commune: Option<String>,
    /// Its name, from its configuration.
    pub commune_name: Option<String>,
    /// Whether flagged ratings are counted.
    pub include_flagged: bool,
    /// The UTC offset of the days: always "+07:00" (server receive time, Vietnam).
    pub utc_offset: String,
    /// One per group, in order.
    pub rows: Vec<GroupRow>,
    /// All ratings reported (not the sum of the rows: a dossier in two rows is one dossier).
    pub total: Figures,
}

/// Distinct strings numbered from 1 in order of first appearance; 0 is "none".
#[derive(Debug, Default)]
struct Interner {
    names: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl Interner {
    fn number(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return 0;
        };
        if let Some(n) = self.numbers.get(name) {
            return *n;
        }
        self.names.push(name.to_owned());
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.numbers.insert(name.to_owned(), n);
        n
    }

    fn name(&self, number: u32) -> Option<&str> {
        (number > 0)
            .then(|| self.names.get(number as usize - 1).map(String::as_str))
            .flatten()
    }
}

/// Running counts of one group.
#[derive(Debug, Default)]
struct Acc {
    by_sentiment: [u64; 5],
    complaints: u64,
    flagged: u64,
    /// Dossiers without a code (one per rating), and those against the 766 rate.
    lone: u64,
    lone_against: u64,
    /// (commune, dossier code) -> against the 766 rate.
    coded: HashMap<(u32, u32), bool>,
}

impl Acc {
    fn add(&mut self, sentiment: usize, complaint: bool, dossier: Option<(u32, u32)>) {
        self.by_sentiment[sentiment] += 1;
        self.complaints += u64::from(complaint);
        let against = sentiment <= 1 || complaint;
        match dossier {
            Some(key) => *self.coded.entry(key).or_default() |= against,
            None => {
                self.lone += 1;
                self.lone_against += u64::from(against);
            }
        }
    }

    fn figures(&self) -> Figures {
        let [
            very_unsatisfied,
            unsatisfied,
            neutral,
            satisfied,
            very_satisfied,
        ] = self.by_sentiment;
        let ratings = self.by_sentiment.iter().sum();
        let dossiers = self.lone + self.coded.len() as u64;
        let dossiers_against =
            self.lone_against + self.coded.values().filter(|a| **a).count() as u64;
        let ratio = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        Figures {
            ratings,
            very_unsatisfied,
            unsatisfied,
            neutral,
            satisfied,
            very_satisfied,
            satisfied_total: satisfied + very_satisfied,
            unsatisfied_total: very_unsatisfied + unsatisfied,
            complaints: self.complaints,
            dossiers,
            dossiers_against,
            sipas_share: ratio(satisfied + very_satisfied, ratings),
            rate_766: ratio(dossiers - dossiers_against, dossiers),
            flagged: self.flagged,
        }
    }
}

/// The sentiment index (0 = very unsatisfied .. 4 = very satisfied) of a level, as the kiosk
/// maps its scales; `None` for a level no scale has.
pub fn sentiment_index(level: i64, level_count: i64) -> Option<usize> {
    const SCALE_3: [usize; 3] = [1, 3, 4];
    const SCALE_4: [usize; 4] = [1, 2, 3, 4];
    const SCALE_5: [usize; 5] = [0, 1, 2, 3, 4];
    let scale: &[usize] = match level_count {
        3 => &SCALE_3,
        4 => &SCALE_4,
        5 => &SCALE_5,
        _ => return None,
    };
    let i = usize::try_from(level.checked_sub(1)?).ok()?;
    scale.get(i).copied()
}

/// Counts rows into a report. Pure: fed by a store, finished into a [`Report`].
#[derive(Debug)]
pub struct ReportBuilder {
    query: ReportQuery,
    directory: Directory,
    /// Communes, provinces, counter, staff and field ids.
    names: Interner,
    /// Dossier codes.
    codes: Interner,
    /// Day number (days since the epoch, Vietnam) of `query.from`.
    first_day: i64,
    groups: HashMap<(u32, i64), Acc>,
    total: Acc,
}

impl ReportBuilder {
    /// An empty report of `query`, naming things after `directory`.
    pub fn new(query: ReportQuery, directory: Directory) -> Self {
        let first_day = day_of_ms(day_start_ms(query.from));
        Self {
            query,
            directory,
            names: Interner::default(),
            codes: Interner::default(),
            first_day,
            groups: HashMap::new(),
            total: Acc::default(),
        }
    }

    /// Counts one stored rating. Rows outside the query's days or commune are ignored.
    pub fn add(&mut self, row: &ReportRow<'_>) -> Result<(), ReportError> {
        let scope_day = day_of_ms(row.received_at_ms) - self.first_day;
        let days = (self.query.to - self.query.from).num_days();
        if !(0..=days).contains(&scope_day)
            || self
                .query
                .commune
                .as_deref()
                .is_some_and(|c| c != row.commune_code)
        {
            return Ok(());
        }
        let sentiment =
            sentiment_index(row.level, row.level_count).ok_or_else(|| ReportError::Corrupt {
                commune: row.commune_code.to_owned(),
                level: row.level,
                count: row.level_count,
            })?;
        let commune = self.names.number(Some(row.commune_code));
        let key: (u32, i64) = match self.query.by {
            GroupBy::Province => {
                let province = self
                    .directory
                    .commune(row.commune_code)
                    .and_then(|c| c.province.clone());
                (self.names.number(province.as_deref()), 0)
            }
            GroupBy::Commune => (commune, 0),
            GroupBy::Counter => (commune, i64::from(self.names.number(row.counter_id))),
            GroupBy::Staff => (commune, i64::from(self.names.number(row.staff_id))),
            GroupBy::Field => (self.names.number(row.field_id), 0),
            GroupBy::Day => (0, scope_day),
        };
        let group = self.groups.entry(key).or_default();
        if row.flagged {
            group.flagged += 1;
            self.total.flagged += 1;
            if !self.query.include_flagged {
                return Ok(());
            }
        }
        let dossier = row
            .dossier_code
            .filter(|c| !c.is_empty())
            .map(|code| (commune, self.codes.number(Some(code))));
        group.add(sentiment, row.complaint, dossier);
        self.total.add(sentiment, row.complaint, dossier);
        Ok(())
    }

    /// The report: one row per group, sorted; communes (and provinces) that have a
    /// configuration but no ratings, and days without ratings, get a row of zeros.
    pub fn finish(mut self) -> Report {
        let query = self.query.clone();
        // Rows of zeros for what is known but silent.
        match query.by {
            GroupBy::Commune | GroupBy::Province => {
                let mut known: Vec<(String, Option<String>)> = self
                    .directory
                    .communes
                    .iter()
                    .filter(|(code, _)| query.commune.as_ref().is_none_or(|c| c == *code))
                    .map(|(code, info)| (code.clone(), info.province.clone()))
                    .collect();
                known.sort();
                for (code, province) in known {
                    let key = if query.by == GroupBy::Commune {
                        (self.names.number(Some(&code)), 0)
                    } else {
                        (self.names.number(province.as_deref()), 0)
                    };
                    self.groups.entry(key).or_default();
                }
            }
            GroupBy::Day => {
                for day in 0..=(query.to - query.from).num_days() {
                    self.groups.entry((0, day)).or_default();
                }
            }
            GroupBy::Counter | GroupBy::Staff | GroupBy::Field => {}
        }
        let mut rows: Vec<GroupRow> = self
            .groups
            .iter()
            .map(|(key, acc)| self.group_row(*key, acc))
            .collect();
        // None sorts last within its level.
        let order = |row: &GroupRow| {
            let last = |v: &Option<String>| (v.is_none(), v.clone().unwrap_or_default());
            (
                last(&row.province),
                row.commune_code.clone().unwrap_or_default(),
                last(&row.id),
                row.day,
            )
        };
        rows.sort_by_key(order);
        Report {
            from: query.from,
            to: query.to,
            by: query.by,
            commune: query.commune.clone(),
            commune_name: query
                .commune
                .as_deref()
                .and_then(|c| self.directory.commune(c))
                .map(|c| c.name.clone()),
            include_flagged: query.include_flagged,
            utc_offset: "+07:00".into(),
            rows,
            total: self.total.figures(),
        }
    }

    fn group_row(&self, (a, b): (u32, i64), acc: &Acc) -> GroupRow {
        let by = self.query.by;
        let mut row = GroupRow {
            province: None,
            commune_code: None,
            commune_name: None,
            id: None,
            name: None,
            day: None,
            figures: acc.figures(),
        };
        let id_of = |n: i64| {
            self.names
                .name(u32::try_from(n).unwrap_or(0))
                .map(str::to_owned)
        };
        match by {
            GroupBy::Province => row.province = self.names.name(a).map(str::to_owned),
            GroupBy::Commune | GroupBy::Counter | GroupBy::Staff => {
                let code = self.names.name(a).unwrap_or_default().to_owned();
                let info = self.directory.commune(&code);
                row.province = info.and_then(|i| i.province.clone());
                row.commune_name = info.map(|i| i.name.clone());
                if by != GroupBy::Commune {
                    row.id = id_of(b);
                    row.name = row.id.as_ref().and_then(|id| {
                        let names = match by {
                            GroupBy::Counter => &info?.counters,
                            _ => &info?.staff,
                        };
                        names.get(id).cloned()
                    });
                }
                row.commune_code = Some(code);
            }
            GroupBy::Field => {
                row.id = self.names.name(a).map(str::to_owned);
                row.name = row
                    .id
                    .as_ref()
                    .and_then(|id| self.directory.fields.get(id).cloned());
            }
            GroupBy::Day => {
                row.day = self
                    .query
                    .from
                    .checked_add_days(Days::new(u64::try_from(b).unwrap_or(0)));
            }
        }
        row
    }
}

/// Runs a report over `store`: checks the query, reads the communes' configurations, then
/// the rows.
pub async fn build<S: Store>(store: &S, query: ReportQuery) -> Result<Report, ReportError> {
    query.check()?;
    let configs = store.current_configs().await?;
    let builder = ReportBuilder::new(query.clone(), Directory::from_configs(&configs));
    let builder = store.report_rows(query.scope(), builder).await?;
    Ok(builder.finish())
}

/// One cell of the CSV / XLSX layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A count.
    Count(u64),
    /// A share 0..=1: a percent cell in Excel, a percent number with two decimals in CSV.
    Share(f64),
    /// A day: a date cell in Excel, YYYY-MM-DD in CSV.
    Date(NaiveDate),
}

impl Cell {
    fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }

    fn opt(s: Option<&str>) -> Self {
        s.map_or(Cell::Empty, Cell::text)
    }

    /// The cell as CSV text.
    pub fn to_csv(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Share(s) => format!("{:.2}", s * 100.0),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// Words of the layout.
const NONE: &str = "(không xác định)";
const TITLE: &str = "Báo cáo kết quả đánh giá sự hài lòng";

/// The headings of the figure columns, in the order of [`figure_cells`].
pub const FIGURE_HEADINGS: [&str; 14] = [
    "Rất không hài lòng",
    "Không hài lòng",
    "Bình thường",
    "Hài lòng",
    "Rất hài lòng",
    "Tổng số đánh giá",
    "Hài lòng và rất hài lòng",
    "Không hài lòng và rất không hài lòng",
    "Số phản ánh, kiến nghị",
    "Số hồ sơ",
    "Số hồ sơ không hài lòng hoặc có phản ánh, kiến nghị",
    "Tỷ lệ hài lòng SIPAS (%)",
    "Tỷ lệ hài lòng QĐ 766 (%)",
    "Đánh giá bị gắn cờ",
];

fn figure_cells(f: &Figures) -> Vec<Cell> {
    let share = |s: Option<f64>| s.map_or(Cell::Empty, Cell::Share);
    vec![
        Cell::Count(f.very_unsatisfied),
        Cell::Count(f.unsatisfied),
        Cell::Count(f.neutral),
        Cell::Count(f.satisfied),
        Cell::Count(f.very_satisfied),
        Cell::Count(f.ratings),
        Cell::Count(f.satisfied_total),
        Cell::Count(f.unsatisfied_total),
        Cell::Count(f.complaints),
        Cell::Count(f.dossiers),
        Cell::Count(f.dossiers_against),
        share(f.sipas_share),
        share(f.rate_766),
        Cell::Count(f.flagged),
    ]
}

/// The Vietnamese word for a grouping.
fn group_word(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Province => "Tỉnh, thành phố",
        GroupBy::Commune => "Xã, phường",
        GroupBy::Counter => "Quầy",
        GroupBy::Staff => "Cán bộ",
        GroupBy::Field => "Lĩnh vực",
        GroupBy::Day => "Ngày",
    }
}

/// The headings of the key columns of a grouping.
fn key_headings(by: GroupBy) -> Vec<&'static str> {
    const PLACE: [&str; 3] = ["Tỉnh, thành phố", "Mã xã, phường", "Xã, phường"];
    match by {
        GroupBy::Province => vec!["Tỉnh, thành phố"],
        GroupBy::Commune => PLACE.to_vec(),
        GroupBy::Counter => [&PLACE[..], &["Mã quầy", "Quầy"]].concat(),
        GroupBy::Staff => [&PLACE[..], &["Mã cán bộ", "Cán bộ"]].concat(),
        GroupBy::Field => vec!["Mã lĩnh vực", "Lĩnh vực"],
        GroupBy::Day => vec!["Ngày"],
    }
}

fn key_cells(by: GroupBy, row: &GroupRow) -> Vec<Cell> {
    let place = || {
        vec![
            Cell::text(row.province.as_deref().unwrap_or(NONE)),
            Cell::opt(row.commune_code.as_deref()),
            Cell::opt(row.commune_name.as_deref()),
        ]
    };
    let id = || {
        vec![
            Cell::text(row.id.as_deref().unwrap_or(NONE)),
            Cell::opt(row.name.as_deref()),
        ]
    };
    match by {
        GroupBy::Province => vec![Cell::text(row.province.as_deref().unwrap_or(NONE))],
        GroupBy::Commune => place(),
        GroupBy::Counter | GroupBy::Staff => [place(), id()].concat(),
        GroupBy::Field => id(),
        GroupBy::Day => vec![row.day.map_or(Cell::Empty, Cell::Date)],
    }
}

/// The layout CSV and XLSX share, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
    /// The row of column headings.
    pub heading_row: usize,
    /// Width of each column, in characters.
    pub widths: Vec<f64>,
}

/// Rows of the heading block above the table: title, grouping, days, scope, flagged, blank.
pub const HEADING_BLOCK_ROWS: usize = 8;

impl Report {
    /// The report laid out as a grid: a heading block, the column headings, one row per
    /// group, then the total ("Tổng cộng").
    pub fn grid(&self) -> Grid {
        let scope = match &self.commune {
            Some(code) => match &self.commune_name {
                Some(name) => format!("Xã, phường {code} - {name}"),
                None => format!("Xã, phường {code}"),
            },
            None => "Tất cả xã, phường của máy chủ".into(),
        };
        let flagged_note = if self.include_flagged {
            "Đã tính vào các số liệu"
        } else {
            "Không tính vào các số liệu"
        };
        let mut rows = vec![
            vec![Cell::text(TITLE)],
            vec![Cell::text("Theo"), Cell::text(group_word(self.by))],
            vec![Cell::text("Từ ngày"), Cell::Date(self.from)],
            vec![Cell::text("Đến ngày"), Cell::Date(self.to)],
            vec![
                Cell::text("Ngày tính theo"),
                Cell::text("Giờ máy chủ nhận đánh giá, giờ Việt Nam (UTC+07:00)"),
            ],
            vec![Cell::text("Phạm vi"), Cell::text(scope)],
            vec![
                Cell::text("Đánh giá bị gắn cờ (nghi đánh giá lặp, hồ sơ đánh giá lại)"),
                Cell::Count(self.total.flagged),
                Cell::text(flagged_note),
            ],
            Vec::new(),
        ];
        debug_assert_eq!(rows.len(), HEADING_BLOCK_ROWS);
        let keys = key_headings(self.by);
        let heading_row = rows.len();
        rows.push(
            keys.iter()
                .chain(FIGURE_HEADINGS.iter())
                .map(|h| Cell::text(*h))
                .collect(),
        );
        for row in &self.rows {
            rows.push([key_cells(self.by, row), figure_cells(&row.figures)].concat());
        }
        let mut total = vec![Cell::text("Tổng cộng")];
        total.resize(keys.len(), Cell::Empty);
        total.extend(figure_cells(&self.total));
        rows.push(total);
        let mut widths: Vec<f64> = keys
            .iter()
            .map(|h| if h.starts_with("Mã") { 12.0 } else { 24.0 })
            .collect();
        widths[0] = widths[0].max(22.0);
        widths.extend([12.0; FIGURE_HEADINGS.len()]);
        Grid {
            rows,
            heading_row,
            widths,
        }
    }

    /// The report as CSV: UTF-8 with a byte-order mark (Excel on Windows reads UTF-8 only
    /// with it), comma-separated.
    pub fn to_csv(&self) -> Result<Vec<u8>, ReportError> {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(b"\xEF\xBB\xBF".to_vec());
        for row in &self.grid().rows {
            let fields: Vec<String> = row.iter().map(Cell::to_csv).collect();
            if fields.is_empty() {
                // An empty row still ends a line: the same row numbers as the workbook.
                writer.write_record([""])
            } else {
                writer.write_record(&fields)
            }
            .map_err(|e| ReportError::Write(e.to_string()))?;
        }
        writer
            .into_inner()
            .map_err(|e| ReportError::Write(e.to_string()))
    }

    /// The report as an Excel workbook of one sheet, "Báo cáo".
    pub fn to_xlsx(&self) -> Result<Vec<u8>, ReportError> {
        let grid = self.grid();
        let mut workbook = Workbook::new();
        let title = XlsxFormat::new().set_bold().set_font_size(14);
        let heading = XlsxFormat::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color(Color::RGB(0x00DD_EBF7));
        let total = XlsxFormat::new().set_bold();
        let total_percent = XlsxFormat::new().set_bold().set_num_format("0.00%");
        let date = XlsxFormat::new().set_num_format("dd/mm/yyyy");
        let percent = XlsxFormat::new().set_num_format("0.00%");
        let sheet = workbook.add_worksheet();
        sheet.set_name("Báo cáo")?;
        for (c, width) in grid.widths.iter().enumerate() {
            sheet.set_column_width(col(c), *width)?;
        }
        let last = grid.rows.len() - 1;
        for (r, cells) in grid.rows.iter().enumerate() {
            let row = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (c, cell) in cells.iter().enumerate() {
                let c = col(c);
                let text_style = if r == 0 {
                    Some(&title)
                } else if r == grid.heading_row {
                    Some(&heading)
                } else if r == last {
                    Some(&total)
                } else {
                    None
                };
                match cell {
                    Cell::Empty => {}
                    Cell::Text(t) => match text_style {
                        Some(style) => {
                            sheet.write_string_with_format(row, c, t, style)?;
                        }
                        None => {
                            sheet.write_string(row, c, t)?;
                        }
                    },
                    Cell::Count(n) if r == last => {
                        sheet.write_number_with_format(row, c, *n as f64, &total)?;
                    }
                    Cell::Count(n) => {
                        // Counts stay far below 2^53: exact as f64.
                        sheet.write_number(row, c, *n as f64)?;
                    }
                    Cell::Share(s) => {
                        let style = if r == last { &total_percent } else { &percent };
                        sheet.write_number_with_format(row, c, *s, style)?;
                    }
                    Cell::Date(d) => {
                        let when = ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).unwrap_or(1900),
                            u8::try_from(d.month()).unwrap_or(1),
                            u8::try_from(d.day()).unwrap_or(1),
                        )?;
                        sheet.write_datetime_with_format(row, c, when, &date)?;
                    }
                }
            }
        }
        let heading_row = u32::try_from(grid.heading_row).unwrap_or(0);
        sheet.set_freeze_panes(heading_row + 1, 0)?;
        sheet.autofilter(
            heading_row,
            0,
            u32::try_from(last.saturating_sub(1).max(grid.heading_row)).unwrap_or(0),
            col(grid.widths.len() - 1),
        )?;
        Ok(workbook.save_to_buffer()?)
    }

    /// The report as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// The report in `format`.
    pub fn render(&self, format: ReportFormat) -> Result<Vec<u8>, ReportError> {
        match format {
            ReportFormat::Csv => self.to_csv(),
            ReportFormat::Xlsx => self.to_xlsx(),
            ReportFormat::Json => Ok(self.to_json()),
        }
    }
}

fn col(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename: a reader sees
/// the old file or the new one, never half of one.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), ReportError> {
    let err = |e: std::io::Error| ReportError::Write(format!("{}: {e}", path.display()));
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if path.is_dir() {
        return Err(ReportError::Write(format!(
            "{} is a folder",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        parse_day(s).unwrap()
    }

    #[test]
    fn scales_map_as_on_the_kiosk() {
        assert_eq!(sentiment_index(1, 3), Some(1));
        assert_eq!(sentiment_index(2, 3), Some(3));
        assert_eq!(sentiment_index(3, 3), Some(4));
        assert_eq!(sentiment_index(2, 4), Some(2));
        assert_eq!(sentiment_index(1, 5), Some(0));
        assert_eq!(sentiment_index(4, 3), None);
        assert_eq!(sentiment_index(0, 5), None);
        assert_eq!(sentiment_index(1, 6), None);
    }

    #[test]
    fn days_start_at_midnight_in_vietnam() {
        let q = ReportQuery {
            from: day("2026-03-01"),
            to: day("2026-03-02"),
            by: GroupBy::Day,
            commune: None,
            include_flagged: false,
        };
        let scope = q.scope();
        // 2026-03-01T00:00+07:00 = 2026-02-28T17:00Z.
        assert_eq!(
            scope.start_ms,
            chrono::DateTime::parse_from_rfc3339("2026-02-28T17:00:00Z")
                .unwrap()
                .timestamp_millis()
        );
        assert_eq!(scope.end_ms - scope.start_ms, 2 * DAY_MS);
    }

    #[test]
    fn bad_input_is_named() {
        assert!(matches!(
            parse_day("2026-02-30"),
            Err(ReportError::BadDay(_))
        ));
        assert!(matches!(
            GroupBy::parse("week"),
            Err(ReportError::UnknownBy(_))
        ));
        let q = ReportQuery {
            from: day("2026-03-02"),
            to: day("2026-03-01"),
            by: GroupBy::Day,
            commune: None,
            include_flagged: false,
        };
        assert_eq!(
            q.check().unwrap_err().to_string(),
            "the first day 2026-03-02 is after the last day 2026-03-01"
        );
    }

    #[test]
    fn csv_cells() {
        assert_eq!(Cell::Share(5.0 / 7.0).to_csv(), "71.43");
        assert_eq!(Cell::Date(day("2026-03-01")).to_csv(), "2026-03-01");
    }
}
