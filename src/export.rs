//! Exports for the commune's monthly report, in the shape offices open in Excel.
//!
//! One export covers a range of local days and has two parts, built once as grids of typed
//! cells ([`Report`]) and written as either format:
//! - "Đánh giá": one row per sealed rating: time (a real date-time cell), counter, staff member,
//!   field, dossier code, level number, scale, level word, reasons' texts, flags, stage, sequence
//!   number, id, complaint and comment. Columns holding personal data (a complaint's call-back
//!   number and the consent text's version) are left out unless the supervisor asks for them
//!   ([`ExportRequest::include_personal`], [`RATING_COLUMNS`]); a number already sent to the
//!   province has been erased from the terminal and shows as such.
//! - "Tổng hợp": the tally: per sentiment counts, dossiers, the SIPAS share and the Decision 766
//!   rate (percent cells) for the whole terminal and per counter, staff member and field; then
//!   how often each reason was given.
//!
//! XLSX: one workbook with both sheets. CSV: UTF-8 with a byte-order mark (Excel on Windows
//! reads UTF-8 only with it), comma-separated; the ratings go to the file asked for and the tally
//! to a second file beside it, `NAME-tong-hop.csv` ([`tally_csv_path`]). In CSV, date-times are
//! `YYYY-MM-DD HH:MM:SS`, dates `YYYY-MM-DD`, shares percent numbers with two decimals.
//!
//! Headings and words are Vietnamese, from i18n/. Flagged ratings (suspected repeats, dossiers
//! rated again) are left out of both parts unless asked for, as in the tally; the summary says
//! how many there were. Every file is written through a temporary file and a rename, so a pulled
//! USB stick leaves the old file or the new one, never half of one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{Color, ExcelDateTime, Format as XlsxFormat, Workbook, XlsxError};

use crate::config::{TerminalConfig, write_atomically};
use crate::i18n::{I18n, Language};
use crate::store::tally::{Figures, Tally, TallyQuery};
use crate::store::{Store, StoreError, StoredRating};
use crate::survey::Sentiment;

/// The tally CSV is written beside the ratings CSV under the same name with this suffix.
pub const TALLY_CSV_SUFFIX: &str = "-tong-hop";

/// Rows of an Excel worksheet, the header included.
pub const XLSX_MAX_ROWS: usize = 1_048_576;

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Two UTF-8 CSV files (ratings, and the tally beside them).
    Csv,
    /// One Excel workbook with both sheets.
    Xlsx,
}

/// What to export, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    /// The days, the terminal's offset and whether flagged ratings count.
    pub query: TallyQuery,
    /// Add the columns that hold personal data (the supervisor's choice).
    pub include_personal: bool,
    pub format: Format,
    /// The file to write (for CSV, the ratings; the tally goes beside it).
    pub output: PathBuf,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The files written, the ratings first.
    pub files: Vec<PathBuf>,
    /// Rating rows written.
    pub ratings: usize,
    /// The tally written.
    pub tally: Tally,
}

/// Why an export failed. Nothing is left half-written by any of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the first day {from} is after the last day {to}")]
    Range { from: NaiveDate, to: NaiveDate },
    #[error("the folder {0} does not exist")]
    NoFolder(PathBuf),
    #[error("{0} is a folder")]
    IsFolder(PathBuf),
    #[error("the USB stick {0} is no longer there; nothing was written")]
    StickGone(PathBuf),
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("{count} ratings do not fit in an Excel sheet of {max} rows")]
    TooManyRows { count: usize, max: usize },
    #[error("cannot build the workbook: {0}")]
    Xlsx(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ExportError {
    /// The message for a person, in `language`.
    pub fn message(&self, i18n: &I18n, language: &Language) -> String {
        let path = |p: &Path| p.display().to_string();
        match self {
            Self::Range { from, to } => i18n.tr_args(
                language,
                "export-error-range",
                &[("from", from.to_string()), ("to", to.to_string())],
            ),
            Self::NoFolder(p) => {
                i18n.tr_args(language, "export-error-no-folder", &[("path", path(p))])
            }
            Self::IsFolder(p) => {
                i18n.tr_args(language, "export-error-is-folder", &[("path", path(p))])
            }
            Self::StickGone(p) => i18n.tr_args(
                language,
                "export-error-stick-gone",
                &[("label", crate::provision::stick_label(p))],
            ),
            Self::Write { path: p, reason } => i18n.tr_args(
                language,
                "export-error-write",
                &[("path", path(p)), ("reason", reason.clone())],
            ),
            Self::TooManyRows { count, max } => i18n.tr_args(
                language,
                "export-error-too-many-rows",
                &[("count", count.to_string()), ("max", max.to_string())],
            ),
            Self::Xlsx(reason) => {
                i18n.tr_args(language, "export-error-xlsx", &[("reason", reason.clone())])
            }
            Self::Store(error) => i18n.tr_args(
                language,
                "export-error-store",
                &[("reason", error.to_string())],
            ),
        }
    }
}

impl From<XlsxError> for ExportError {
    fn from(error: XlsxError) -> Self {
        Self::Xlsx(error.to_string())
    }
}

/// One cell, typed so that each format writes it properly.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A count.
    Count(u64),
    /// A share, 0..=1: a percent cell in Excel, a percent number in CSV.
    Share(f64),
    /// A local date and time: a date-time cell in Excel.
    DateTime(NaiveDateTime),
    /// A local date: a date cell in Excel.
    Date(NaiveDate),
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    fn share(share: Option<f64>) -> Self {
        share.map_or(Self::Empty, Self::Share)
    }

    /// The cell as CSV text.
    pub fn to_csv(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(text) => text.clone(),
            Self::Count(n) => n.to_string(),
            Self::Share(share) => format!("{:.2}", share * 100.0),
            Self::DateTime(time) => time.format("%Y-%m-%d %H:%M:%S").to_string(),
            Self::Date(date) => date.format("%Y-%m-%d").to_string(),
        }
    }
}

/// One sheet as a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's name (Excel allows 31 characters).
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
    /// Rows styled as headings (the row of column headings of each table).
    pub heading_rows: Vec<usize>,
    /// The title row, if any.
    pub title_row: Option<usize>,
    /// Rows above this stay in view while scrolling.
    pub freeze_rows: usize,
    /// An autofilter on the table starting at this row.
    pub filter_row: Option<usize>,
    /// Column widths in characters.
    pub widths: Vec<f64>,
}

/// The two sheets of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub ratings: Sheet,
    pub tally: Sheet,
    /// Rating rows (the ratings sheet has one row of headings above them).
    pub rating_count: usize,
    /// The tally the summary shows.
    pub figures: Tally,
}

/// Names of things for people: counters, staff, fields and reasons from the configuration,
/// their ids when the configuration no longer knows them.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    pub config: &'a TerminalConfig,
    pub language: &'a Language,
}

impl Names<'_> {
    /// A counter's name.
    pub fn counter(&self, id: &str) -> String {
        self.config
            .counter(id)
            .map_or_else(|| id.to_owned(), |c| c.name.get(self.language).to_owned())
    }

    /// A staff member's name.
    pub fn staff(&self, id: &str) -> String {
        self.config
            .staff_member(id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    }

    /// A field's name.
    pub fn field(&self, id: &str) -> String {
        self.config
            .fields
            .iter()
            .find(|f| f.id == id)
            .map_or_else(|| id.to_owned(), |f| f.name.get(self.language).to_owned())
    }

    /// A reason's text: from the rating's question set, else any set that has it.
    pub fn reason(&self, question_set: Option<&str>, id: &str) -> String {
        let sets = &self.config.question_sets;
        let in_set = |set: &crate::survey::QuestionSet| {
            set.reasons
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.text.get(self.language).to_owned())
        };
        sets.iter()
            .filter(|set| Some(set.id.as_str()) == question_set)
            .chain(sets.iter())
            .find_map(in_set)
            .unwrap_or_else(|| id.to_owned())
    }
}

/// What a column's value is made from.
struct Context<'a> {
    names: Names<'a>,
    i18n: &'a I18n,
    query: &'a TallyQuery,
}

impl Context<'_> {
    fn tr(&self, key: &str) -> String {
        self.i18n.tr(self.names.language, key)
    }

    fn yes_no(&self, value: bool) -> Cell {
        Cell::text(self.tr(if value { "export-yes" } else { "export-no" }))
    }
}

/// A column of the ratings sheet.
struct Column {
    /// The i18n key of its heading.
    heading: &'static str,
    /// Holds personal data: written only when asked for.
    personal: bool,
    /// Width in characters.
    width: f64,
    value: fn(&Context<'_>, &StoredRating) -> Cell,
}

fn optional(id: Option<&String>, name: impl Fn(&str) -> String) -> Cell {
    id.map_or(Cell::Empty, |id| Cell::Text(name(id)))
}

/// The columns of the ratings sheet, in order. Personal data (the phone number given for a
/// complaint's call-back) is marked `personal: true` and left out unless asked for.
const RATING_COLUMNS: &[Column] = &[
    Column {
        heading: "export-heading-time",
        personal: false,
        width: 20.0,
        value: |cx, r| {
            let local = r.draft.device_time.with_timezone(&cx.query.offset);
            Cell::DateTime(local.naive_local().with_nanosecond(0).unwrap_or_default())
        },
    },
    Column {
        heading: "export-heading-counter",
        personal: false,
        width: 14.0,
        value: |cx, r| optional(r.draft.counter_id.as_ref(), |id| cx.names.counter(id)),
    },
    Column {
        heading: "export-heading-staff",
        personal: false,
        width: 22.0,
        value: |cx, r| optional(r.draft.staff_id.as_ref(), |id| cx.names.staff(id)),
    },
    Column {
        heading: "export-heading-field",
        personal: false,
        width: 16.0,
        value: |cx, r| optional(r.draft.field_id.as_ref(), |id| cx.names.field(id)),
    },
    Column {
        heading: "export-heading-dossier",
        personal: false,
        width: 16.0,
        value: |_, r| optional(r.draft.dossier_code.as_ref(), str::to_owned),
    },
    Column {
        heading: "export-heading-level",
        personal: false,
        width: 8.0,
        value: |_, r| Cell::Count(u64::from(r.draft.level.value)),
    },
    Column {
        heading: "export-heading-level-count",
        personal: false,
        width: 10.0,
        value: |_, r| Cell::Count(u64::from(r.draft.level.count)),
    },
    Column {
        heading: "export-heading-level-word",
        personal: false,
        width: 18.0,
        value: |cx, r| Cell::text(cx.tr(r.draft.level.sentiment().label_key())),
    },
    Column {
        heading: "export-heading-reasons",
        personal: false,
        width: 40.0,
        value: |cx, r| {
            let set = Some(r.draft.question_set_id.as_str());
            let texts: Vec<String> = r
                .draft
                .reasons
                .iter()
                .map(|id| cx.names.reason(set, id))
                .collect();
            if texts.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(texts.join("; "))
            }
        },
    },
    Column {
        heading: "export-heading-suspected-repeat",
        personal: false,
        width: 12.0,
        value: |cx, r| cx.yes_no(r.flags.suspected_repeat),
    },
    Column {
        heading: "export-heading-dossier-repeat",
        personal: false,
        width: 14.0,
        value: |cx, r| cx.yes_no(r.flags.dossier_repeat),
    },
    Column {
        heading: "export-heading-stage",
        personal: false,
        width: 18.0,
        value: |cx, r| {
            Cell::text(cx.tr(match r.draft.stage {
                crate::config::Stage::Receipt => "export-stage-receipt",
                crate::config::Stage::Return => "export-stage-return",
            }))
        },
    },
    Column {
        heading: "export-heading-seq",
        personal: false,
        width: 10.0,
        value: |_, r| r.seq.map_or(Cell::Empty, Cell::Count),
    },
    Column {
        heading: "export-heading-id",
        personal: false,
        width: 38.0,
        value: |_, r| Cell::Text(r.draft.id.to_string()),
    },
    Column {
        heading: "export-heading-complaint",
        personal: false,
        width: 12.0,
        value: |cx, r| cx.yes_no(r.draft.feedback.complaint),
    },
    Column {
        heading: "export-heading-comment",
        personal: false,
        width: 50.0,
        value: |_, r| optional(r.draft.feedback.comment.as_ref(), str::to_owned),
    },
    // Personal data: only when the supervisor asks for it. The number itself stays on the
    // terminal only until the provincial server holds it.
    Column {
        heading: "export-heading-callback",
        personal: true,
        width: 16.0,
        value: |cx, r| match &r.draft.feedback.callback {
            None => Cell::Empty,
            Some(_) if r.phone_erased() => Cell::text(cx.tr("export-callback-sent")),
            Some(callback) => Cell::Text(callback.phone.clone()),
        },
    },
    Column {
        heading: "export-heading-consent",
        personal: true,
        width: 18.0,
        value: |_, r| {
            optional(
                r.draft
                    .feedback
                    .callback
                    .as_ref()
                    .map(|c| &c.consent_version),
                str::to_owned,
            )
        },
    },
];

/// The sentiments in the order of [`Figures::by_sentiment`].
const SENTIMENTS: [Sentiment; 5] = [
    Sentiment::VeryUnsatisfied,
    Sentiment::Unsatisfied,
    Sentiment::Neutral,
    Sentiment::Satisfied,
    Sentiment::VerySatisfied,
];

impl Report {
    /// Reads the ratings and the tally of `query` and lays out both sheets, in `language`.
    pub fn build(
        store: &Store,
        config: &TerminalConfig,
        i18n: &I18n,
        language: &Language,
        query: &TallyQuery,
        include_personal: bool,
    ) -> Result<Self, StoreError> {
        let cx = Context {
            names: Names { config, language },
            i18n,
            query,
        };
        let ratings = store.ratings_in(query)?;
        let tally = store.tally(query)?;
        let columns: Vec<&Column> = RATING_COLUMNS
            .iter()
            .filter(|c| include_personal || !c.personal)
            .collect();
        let mut rows = Vec::with_capacity(ratings.len() + 1);
        rows.push(
            columns
                .iter()
                .map(|c| Cell::Text(cx.tr(c.heading)))
                .collect(),
        );
        for rating in &ratings {
            rows.push(columns.iter().map(|c| (c.value)(&cx, rating)).collect());
        }
        let ratings_sheet = Sheet {
            name: cx.tr("export-sheet-ratings"),
            rows,
            heading_rows: vec![0],
            title_row: None,
            freeze_rows: 1,
            filter_row: Some(0),
            widths: columns.iter().map(|c| c.width).collect(),
        };
        Ok(Self {
            tally: tally_sheet(&cx, &tally),
            ratings: ratings_sheet,
            rating_count: ratings.len(),
            figures: tally,
        })
    }

    /// The workbook as XLSX bytes.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, ExportError> {
        if self.ratings.rows.len() > XLSX_MAX_ROWS {
            return Err(ExportError::TooManyRows {
                count: self.rating_count,
                max: XLSX_MAX_ROWS - 1,
            });
        }
        let mut workbook = Workbook::new();
        let styles = Styles::new();
        for sheet in [&self.ratings, &self.tally] {
            write_sheet(&mut workbook, sheet, &styles)?;
        }
        Ok(workbook.save_to_buffer()?)
    }
}

/// Names a counter, staff member or field.
pub type Namer = fn(&Names<'_>, &str) -> String;

/// Lays out the summary: a heading block, one row per group, then the reasons.
fn tally_sheet(cx: &Context<'_>, tally: &Tally) -> Sheet {
    let config = cx.names.config;
    let flagged_note = if cx.query.include_flagged {
        "export-tally-flagged-included"
    } else {
        "export-tally-flagged-excluded"
    };
    let commune = format!("{} ({})", config.commune.name, config.commune.code);
    let mut rows = vec![
        vec![Cell::text(cx.tr("export-tally-title"))],
        vec![
            Cell::text(cx.tr("export-tally-commune")),
            Cell::Text(commune),
        ],
        vec![
            Cell::text(cx.tr("export-tally-terminal")),
            Cell::text(config.terminal.id.clone()),
        ],
        vec![
            Cell::text(cx.tr("export-tally-from")),
            Cell::Date(cx.query.from),
        ],
        vec![
            Cell::text(cx.tr("export-tally-to")),
            Cell::Date(cx.query.to),
        ],
        vec![
            Cell::text(cx.tr("export-tally-flagged")),
            Cell::Count(tally.flagged),
            Cell::text(cx.tr(flagged_note)),
        ],
        vec![
            Cell::text(cx.tr("export-tally-complaints")),
            Cell::Count(tally.complaints),
        ],
        Vec::new(),
    ];
    let mut heading_rows = vec![rows.len()];
    let mut headings = vec![
        Cell::text(cx.tr("export-heading-group")),
        Cell::text(cx.tr("export-heading-name")),
    ];
    headings.extend(SENTIMENTS.iter().map(|s| Cell::text(cx.tr(s.label_key()))));
    headings.extend(
        [
            "export-heading-total",
            "export-heading-dossiers",
            "export-heading-dossiers-against",
            "export-heading-sipas",
            "export-heading-rate-766",
        ]
        .map(|key| Cell::text(cx.tr(key))),
    );
    rows.push(headings);
    rows.push(figures_row(
        cx.tr("export-group-terminal"),
        config.commune.name.clone(),
        &tally.all,
    ));
    let groups: [(&str, &BTreeMap<String, Figures>, Vec<&str>, Namer); 3] = [
        (
            "export-group-counter",
            &tally.by_counter,
            config.counters.iter().map(|c| c.id.as_str()).collect(),
            |names, id| names.counter(id),
        ),
        (
            "export-group-staff",
            &tally.by_staff,
            config.staff.iter().map(|s| s.id.as_str()).collect(),
            |names, id| names.staff(id),
        ),
        (
            "export-group-field",
            &tally.by_field,
            config.fields.iter().map(|f| f.id.as_str()).collect(),
            |names, id| names.field(id),
        ),
    ];
    for (group_key, figures, known, name_of) in groups {
        let group = cx.tr(group_key);
        for id in in_config_order(figures.keys().map(String::as_str), &known) {
            let name = if id.is_empty() {
                cx.tr("export-group-none")
            } else {
                name_of(&cx.names, id)
            };
            rows.push(figures_row(group.clone(), name, &figures[id]));
        }
    }
    rows.push(Vec::new());
    heading_rows.push(rows.len());
    rows.push(vec![
        Cell::text(cx.tr("export-heading-reason")),
        Cell::text(cx.tr("export-heading-reason-count")),
    ]);
    let mut reasons: Vec<(&String, &u64)> = tally.reasons.iter().collect();
    // Most given first; ties by id, so that the file is the same for the same data.
    reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (id, count) in reasons {
        rows.push(vec![
            Cell::Text(cx.names.reason(None, id)),
            Cell::Count(*count),
        ]);
    }
    let mut widths = vec![40.0, 26.0];
    widths.extend([12.0; 10]);
    Sheet {
        name: cx.tr("export-sheet-tally"),
        rows,
        freeze_rows: 0,
        heading_rows,
        title_row: Some(0),
        filter_row: None,
        widths,
    }
}

/// Ids known to the configuration in its order, then unknown ones, then "" (none) last.
fn in_config_order<'a>(ids: impl Iterator<Item = &'a str>, known: &[&str]) -> Vec<&'a str> {
    let mut ids: Vec<&str> = ids.collect();
    ids.sort_by_key(|id| {
        let position = known.iter().position(|k| k == id);
        (id.is_empty(), position.is_none(), position, *id)
    });
    ids
}

fn figures_row(group: String, name: String, figures: &Figures) -> Vec<Cell> {
    let mut row = vec![Cell::Text(group), Cell::Text(name)];
    row.extend(figures.by_sentiment.iter().map(|n| Cell::Count(*n)));
    row.extend([
        Cell::Count(figures.total),
        Cell::Count(figures.dossiers),
        Cell::Count(figures.dossiers_against),
        Cell::share(figures.sipas_share()),
        Cell::share(figures.rate_766()),
    ]);
    row
}

/// The cell formats of a workbook.
struct Styles {
    title: XlsxFormat,
    heading: XlsxFormat,
    date_time: XlsxFormat,
    date: XlsxFormat,
    percent: XlsxFormat,
}

impl Styles {
    fn new() -> Self {
        Self {
            title: XlsxFormat::new().set_bold().set_font_size(14),
            heading: XlsxFormat::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(Color::RGB(0x00DD_EBF7)),
            date_time: XlsxFormat::new().set_num_format("dd/mm/yyyy hh:mm:ss"),
            date: XlsxFormat::new().set_num_format("dd/mm/yyyy"),
            percent: XlsxFormat::new().set_num_format("0.00%"),
        }
    }
}

fn excel_date_time(time: &NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    excel_date(&time.date())?.and_hms(
        u16::try_from(time.hour()).unwrap_or(0),
        u8::try_from(time.minute()).unwrap_or(0),
        time.second(),
    )
}

fn excel_date(date: &NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(date.year()).unwrap_or(1900),
        u8::try_from(date.month()).unwrap_or(1),
        u8::try_from(date.day()).unwrap_or(1),
    )
}

fn write_sheet(workbook: &mut Workbook, sheet: &Sheet, styles: &Styles) -> Result<(), XlsxError> {
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet.name.as_str())?;
    for (col, width) in sheet.widths.iter().enumerate() {
        worksheet.set_column_width(xlsx_col(col), *width)?;
    }
    for (r, cells) in sheet.rows.iter().enumerate() {
        let row = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
        let style = if sheet.heading_rows.contains(&r) {
            Some(&styles.heading)
        } else if sheet.title_row == Some(r) {
            Some(&styles.title)
        } else {
            None
        };
        for (c, cell) in cells.iter().enumerate() {
            let col = xlsx_col(c);
            match (cell, style) {
                (Cell::Empty, _) => {}
                (Cell::Text(text), Some(style)) => {
                    worksheet.write_string_with_format(row, col, text, style)?;
                }
                (Cell::Text(text), None) => {
                    worksheet.write_string(row, col, text)?;
                }
                (Cell::Count(n), _) => {
                    // Counts stay far below 2^53: exact as f64.
                    worksheet.write_number(row, col, *n as f64)?;
                }
                (Cell::Share(share), _) => {
                    worksheet.write_number_with_format(row, col, *share, &styles.percent)?;
                }
                (Cell::DateTime(time), _) => {
                    worksheet.write_datetime_with_format(
                        row,
                        col,
                        excel_date_time(time)?,
                        &styles.date_time,
                    )?;
                }
                (Cell::Date(date), _) => {
                    worksheet.write_datetime_with_format(
                        row,
                        col,
                        excel_date(date)?,
                        &styles.date,
                    )?;
                }
            }
        }
    }
    if sheet.freeze_rows > 0 {
        worksheet.set_freeze_panes(u32::try_from(sheet.freeze_rows).unwrap_or(0), 0)?;
    }
    if let Some(first) = sheet.filter_row {
        let last_row = sheet.rows.len().saturating_sub(1);
        let last_col = sheet.widths.len().saturating_sub(1);
        worksheet.autofilter(
            u32::try_from(first).unwrap_or(0),
            0,
            u32::try_from(last_row).unwrap_or(0),
            xlsx_col(last_col),
        )?;
    }
    Ok(())
}

fn xlsx_col(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

/// The sheet as CSV bytes: UTF-8 with a byte-order mark.
pub fn to_csv(sheet: &Sheet) -> std::io::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    for row in &sheet.rows {
        let fields: Vec<String> = row.iter().map(Cell::to_csv).collect();
        if fields.is_empty() {
            // An empty row still ends a line, so both formats have the same row numbers.
            writer.write_record([""])?;
        } else {
            writer.write_record(&fields)?;
        }
    }
    writer.into_inner().map_err(csv::IntoInnerError::into_error)
}

/// Where the tally CSV of a ratings CSV goes: `bao-cao.csv` -> `bao-cao-tong-hop.csv`, beside it.
pub fn tally_csv_path(output: &Path) -> PathBuf {
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = output
        .extension()
        .map_or_else(|| "csv".to_owned(), |e| e.to_string_lossy().into_owned());
    output.with_file_name(format!("{stem}{TALLY_CSV_SUFFIX}.{extension}"))
}

/// Checks that `output` names a file in an existing folder.
fn check_output(output: &Path) -> Result<(), ExportError> {
    if output.is_dir() {
        return Err(ExportError::IsFolder(output.to_path_buf()));
    }
    let folder = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // Never create the folder: a typo or an unplugged stick would fill the kiosk's own disk.
    if !folder.is_dir() {
        return Err(ExportError::NoFolder(folder.to_path_buf()));
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    write_atomically(path, bytes, false).map_err(|error| ExportError::Write {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })
}

fn write_csv(path: &Path, sheet: &Sheet) -> Result<(), ExportError> {
    let bytes = to_csv(sheet).map_err(|error| ExportError::Write {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    write(path, &bytes)
}

/// Exports `request`'s days from `store`, in Vietnamese, and writes the file(s).
pub fn export(
    store: &Store,
    config: &TerminalConfig,
    i18n: &I18n,
    request: &ExportRequest,
) -> Result<Exported, ExportError> {
    let query = &request.query;
    if query.from > query.to {
        return Err(ExportError::Range {
            from: query.from,
            to: query.to,
        });
    }
    check_output(&request.output)?;
    let language = Language::default_language();
    let report = Report::build(
        store,
        config,
        i18n,
        &language,
        query,
        request.include_personal,
    )?;
    let files = match request.format {
        Format::Xlsx => {
            write(&request.output, &report.to_xlsx()?)?;
            vec![request.output.clone()]
        }
        Format::Csv => {
            let tally_path = tally_csv_path(&request.output);
            if tally_path == request.output {
                return Err(ExportError::IsFolder(request.output.clone()));
            }
            write_csv(&request.output, &report.ratings)?;
            write_csv(&tally_path, &report.tally)?;
            vec![request.output.clone(), tally_path]
        }
    };
    Ok(Exported {
        files,
        ratings: report.rating_count,
        tally: report.figures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_csv_goes_beside_the_ratings() {
        assert_eq!(
            tally_csv_path(Path::new("/media/usb/bao-cao-thang-3.csv")),
            PathBuf::from("/media/usb/bao-cao-thang-3-tong-hop.csv")
        );
        assert_eq!(
            tally_csv_path(Path::new("bao-cao")),
            PathBuf::from("bao-cao-tong-hop.csv")
        );
    }

    #[test]
    fn groups_follow_the_configuration_then_unknown_ids_then_none() {
        let ids = ["q9", "", "q2", "q1"];
        assert_eq!(
            in_config_order(ids.into_iter(), &["q1", "q2"]),
            vec!["q1", "q2", "q9", ""]
        );
    }

    #[test]
    fn csv_cells_are_plain_text() {
        assert_eq!(Cell::Share(7.0 / 12.0).to_csv(), "58.33");
        assert_eq!(Cell::Count(12).to_csv(), "12");
        let time = NaiveDate::from_ymd_opt(2026, 3, 20)
            .and_then(|d| d.and_hms_opt(6, 30, 0))
            .expect("time");
        assert_eq!(Cell::DateTime(time).to_csv(), "2026-03-20 06:30:00");
    }

    #[test]
    fn only_the_call_back_is_personal_and_every_heading_is_translated() {
        let i18n = I18n::embedded().expect("i18n");
        let vi = Language::default_language();
        let personal: Vec<&str> = RATING_COLUMNS
            .iter()
            .filter(|c| c.personal)
            .map(|c| c.heading)
            .collect();
        assert_eq!(
            personal,
            ["export-heading-callback", "export-heading-consent"]
        );
        for column in RATING_COLUMNS {
            assert_ne!(i18n.tr(&vi, column.heading), column.heading);
        }
    }
}
