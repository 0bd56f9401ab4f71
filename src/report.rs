//! `hailong tally` and `hailong export`: the desk's figures and the commune's report file from
//! the command line, without a display. Text for people comes from i18n/ (Vietnamese); `--json`
//! is for tools and keeps its keys (design.md: `total` and the counts per level at least).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{FixedOffset, NaiveDate, Offset, TimeZone};
use clap::Args;
use serde_json::{Value, json};

use crate::cli::{CliError, Loaded, load};
use crate::export::{ExportRequest, Format, Names};
use crate::i18n::{I18n, Language};
use crate::store::Store;
use crate::store::tally::{Figures, Tally, TallyQuery};

/// The longest range `--days` takes (ten years).
pub const MAX_DAYS: u32 = 3660;

/// Options of `hailong tally`.
#[derive(Debug, Clone, Args)]
pub struct TallyArgs {
    /// The (last) day, YYYY-MM-DD; today by the terminal's clock when absent.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Count the N days ending with --date (the staff screen shows 7 and 30).
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Count ratings flagged as repeats too (left out by default).
    #[arg(long)]
    pub include_flagged: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `hailong export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// First day, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: String,
    /// Last day, YYYY-MM-DD (included).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: String,
    /// xlsx: one workbook with the sheets "Đánh giá" and "Tổng hợp". csv: the ratings in
    /// OUTPUT and the tally beside it in NAME-tong-hop.csv (UTF-8 with BOM).
    #[arg(long, value_enum)]
    pub format: Format,
    /// The file to write, in an existing folder (e.g. a USB stick under /media).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Count and list ratings flagged as repeats too (left out by default).
    #[arg(long)]
    pub include_flagged: bool,
    /// Add columns holding personal data (none yet; the complaint's phone number later).
    #[arg(long)]
    pub include_personal: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The language of the commands' text: the kiosk's default, Vietnamese.
fn language() -> Language {
    Language::default_language()
}

fn i18n() -> Result<I18n, CliError> {
    I18n::embedded().map_err(|e| CliError::Usage(e.to_string()))
}

fn parse_date(i18n: &I18n, option: &str, text: &str) -> Result<NaiveDate, CliError> {
    text.trim().parse().map_err(|_| {
        CliError::Usage(i18n.tr_args(
            &language(),
            "cli-error-bad-date",
            &[("option", option.to_owned()), ("value", text.to_owned())],
        ))
    })
}

/// The terminal's UTC offset on `day`, by the system's time zone (TZ).
pub fn local_offset(day: NaiveDate) -> FixedOffset {
    let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default();
    chrono::Local
        .offset_from_local_datetime(&noon)
        .earliest()
        .map_or_else(|| chrono::Local::now().offset().fix(), |o| o.fix())
}

fn open_store(loaded: &Loaded) -> Result<Store, CliError> {
    let now = chrono::Local::now().fixed_offset();
    let (store, report) = Store::open(&loaded.paths.database(), now)?;
    if let Some(aside) = report.moved_aside {
        tracing::error!(moved_to = %aside.display(), "the database failed its integrity check");
    }
    Ok(store)
}

/// `hailong tally`.
pub fn tally(args: &TallyArgs) -> Result<ExitCode, CliError> {
    let i18n = i18n()?;
    let last = match &args.date {
        Some(text) => parse_date(&i18n, "--date", text)?,
        None => chrono::Local::now().date_naive(),
    };
    let days = args.days.unwrap_or(1);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(CliError::Usage(i18n.tr_args(
            &language(),
            "cli-error-bad-days",
            &[("max", MAX_DAYS.to_string())],
        )));
    }
    let loaded = load()?;
    let store = open_store(&loaded)?;
    let mut query = TallyQuery::last_days(last, u64::from(days), local_offset(last));
    query.include_flagged = args.include_flagged;
    let tally = store.tally(&query)?;
    let names = Names {
        config: &loaded.config,
        language: &language(),
    };
    if args.json {
        println!("{:#}", tally_json(&query, &tally, names));
    } else {
        print_tally(&i18n, &query, &tally, names);
    }
    Ok(ExitCode::SUCCESS)
}

const SENTIMENT_KEYS: [&str; 5] = [
    "very_unsatisfied",
    "unsatisfied",
    "neutral",
    "satisfied",
    "very_satisfied",
];

fn figures_json(figures: &Figures) -> Value {
    let by_sentiment: serde_json::Map<String, Value> = SENTIMENT_KEYS
        .iter()
        .zip(figures.by_sentiment)
        .map(|(key, n)| ((*key).to_owned(), json!(n)))
        .collect();
    json!({
        "total": figures.total,
        "by_sentiment": by_sentiment,
        "satisfied": figures.satisfied,
        "negative": figures.negative,
        "dossiers": figures.dossiers,
        "dossiers_against": figures.dossiers_against,
        "sipas_share": figures.sipas_share(),
        "rate_766": figures.rate_766(),
    })
}

fn groups_json(
    groups: &std::collections::BTreeMap<String, Figures>,
    name: impl Fn(&str) -> String,
) -> Value {
    groups
        .iter()
        .map(|(id, figures)| {
            let mut value = figures_json(figures);
            value["id"] = if id.is_empty() {
                Value::Null
            } else {
                json!(id)
            };
            value["name"] = if id.is_empty() {
                Value::Null
            } else {
                json!(name(id))
            };
            value
        })
        .collect()
}

/// The JSON of `hailong tally --json`: the whole terminal's figures at the top level (with
/// `total` and `by_level`, as `status` has), the groups, reasons, hours and days.
pub fn tally_json(query: &TallyQuery, tally: &Tally, names: Names<'_>) -> Value {
    let mut value = figures_json(&tally.all);
    let extra = json!({
        "from": query.from,
        "to": query.to,
        "utc_offset": query.offset.to_string(),
        "include_flagged": query.include_flagged,
        "flagged": tally.flagged,
        "complaints": tally.complaints,
        "by_level": tally.by_level,
        "by_counter": groups_json(&tally.by_counter, |id| names.counter(id)),
        "by_staff": groups_json(&tally.by_staff, |id| names.staff(id)),
        "by_field": groups_json(&tally.by_field, |id| names.field(id)),
        "reasons": tally.reasons.iter().map(|(id, count)| json!({
            "id": id,
            "text": names.reason(None, id),
            "count": count,
        })).collect::<Vec<_>>(),
        "per_hour": tally.per_hour,
        "per_day": tally.per_day.iter().map(|(day, ratings, satisfied)| json!({
            "date": day,
            "ratings": ratings,
            "satisfied": satisfied,
        })).collect::<Vec<_>>(),
    });
    if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra) {
        map.extend(extra);
    }
    value
}

/// A share as "58,33%" (the language's decimal separator), or a dash when there is none.
fn percent(i18n: &I18n, share: Option<f64>) -> String {
    let vi = language();
    match share {
        None => i18n.tr(&vi, "cli-no-share"),
        Some(share) => {
            let number =
                format!("{:.2}", share * 100.0).replace('.', &i18n.tr(&vi, "decimal-separator"));
            i18n.tr_args(&vi, "cli-percent", &[("value", number)])
        }
    }
}

fn print_tally(i18n: &I18n, query: &TallyQuery, tally: &Tally, names: Names<'_>) {
    let vi = language();
    let tr = |key: &str, args: &[(&str, String)]| i18n.tr_args(&vi, key, args);
    let all = &tally.all;
    println!(
        "{}",
        tr(
            "cli-tally-title",
            &[
                ("from", query.from.to_string()),
                ("to", query.to.to_string())
            ]
        )
    );
    println!(
        "{}",
        tr("cli-tally-total", &[("total", all.total.to_string())])
    );
    for (index, sentiment) in crate::survey::scale(5).iter().enumerate().rev() {
        println!(
            "  {}",
            tr(
                "cli-tally-level",
                &[
                    ("level", i18n.tr(&vi, sentiment.label_key())),
                    ("count", all.by_sentiment[index].to_string())
                ]
            )
        );
    }
    println!(
        "{}",
        tr(
            "cli-tally-sipas",
            &[("share", percent(i18n, all.sipas_share()))]
        )
    );
    println!(
        "{}",
        tr(
            "cli-tally-766",
            &[
                ("rate", percent(i18n, all.rate_766())),
                (
                    "satisfied",
                    (all.dossiers - all.dossiers_against).to_string()
                ),
                ("dossiers", all.dossiers.to_string()),
            ]
        )
    );
    let flagged_key = if query.include_flagged {
        "cli-tally-flagged-included"
    } else {
        "cli-tally-flagged-excluded"
    };
    println!(
        "{}",
        tr(flagged_key, &[("count", tally.flagged.to_string())])
    );
    println!(
        "{}",
        tr(
            "cli-tally-complaints",
            &[("count", tally.complaints.to_string())]
        )
    );
    let none = i18n.tr(&vi, "export-group-none");
    let groups: [(
        &str,
        &std::collections::BTreeMap<String, Figures>,
        crate::export::Namer,
    ); 3] = [
        ("cli-tally-by-counter", &tally.by_counter, |n, id| {
            n.counter(id)
        }),
        ("cli-tally-by-staff", &tally.by_staff, |n, id| n.staff(id)),
        ("cli-tally-by-field", &tally.by_field, |n, id| n.field(id)),
    ];
    for (title, groups, name_of) in groups {
        if groups.is_empty() {
            continue;
        }
        println!("{}", i18n.tr(&vi, title));
        for (id, figures) in groups {
            let name = if id.is_empty() {
                none.clone()
            } else {
                name_of(&names, id)
            };
            println!(
                "  {}",
                tr(
                    "cli-tally-group",
                    &[
                        ("name", name),
                        ("total", figures.total.to_string()),
                        ("share", percent(i18n, figures.sipas_share())),
                        ("rate", percent(i18n, figures.rate_766())),
                    ]
                )
            );
        }
    }
    if !tally.reasons.is_empty() {
        println!("{}", i18n.tr(&vi, "cli-tally-reasons"));
        for (id, count) in &tally.reasons {
            println!(
                "  {}",
                tr(
                    "cli-tally-reason",
                    &[
                        ("reason", names.reason(None, id)),
                        ("count", count.to_string())
                    ]
                )
            );
        }
    }
}

/// `hailong export`.
pub fn export(args: &ExportArgs) -> Result<ExitCode, CliError> {
    let i18n = i18n()?;
    let vi = language();
    let from = parse_date(&i18n, "--from", &args.from)?;
    let to = parse_date(&i18n, "--to", &args.to)?;
    let loaded = load()?;
    let request = ExportRequest {
        query: TallyQuery {
            from,
            to,
            offset: local_offset(to),
            include_flagged: args.include_flagged,
        },
        include_personal: args.include_personal,
        format: args.format,
        output: args.output.clone(),
    };
    // Refuse a bad range before opening (and perhaps creating) the database.
    if from > to {
        let error = crate::export::ExportError::Range { from, to };
        return Err(CliError::Usage(error.message(&i18n, &vi)));
    }
    let store = open_store(&loaded)?;
    let exported = crate::export::export(&store, &loaded.config, &i18n, &request)
        .map_err(|error| CliError::Usage(error.message(&i18n, &vi)))?;
    if args.json {
        let value = json!({
            "from": from,
            "to": to,
            "format": args.format,
            "ratings": exported.ratings,
            "files": exported.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "total": exported.tally.all.total,
            "flagged": exported.tally.flagged,
            "include_flagged": args.include_flagged,
            "include_personal": args.include_personal,
        });
        println!("{value:#}");
    } else {
        println!(
            "{}",
            i18n.tr_args(
                &vi,
                "cli-export-done",
                &[
                    ("count", exported.ratings.to_string()),
                    ("path", args.output.display().to_string()),
                ]
            )
        );
        for extra in exported.files.iter().skip(1) {
            println!(
                "{}",
                i18n.tr_args(
                    &vi,
                    "cli-export-tally-file",
                    &[("path", extra.display().to_string())]
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
