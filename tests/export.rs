//! Exports read back cell by cell: the XLSX workbook with calamine (dates are date cells,
//! shares percent numbers, headings exactly the Vietnamese ones), the two CSV files with the
//! csv crate (UTF-8 with a byte-order mark); and `hailong tally` / `hailong export` run as a
//! process over temporary data and configuration directories.
//!
//! The fixture, in +07:00, on the demo configuration (q1: Quầy số 1, q2: Quầy số 2; nv-lan:
//! Nguyễn Thị Lan, nv-minh: Trần Văn Minh; ho-tich: Hộ tịch, dat-dai: Đất đai, chung-thuc:
//! Chứng thực), saved in this order (the seq):
//!   1  03-19 23:59:59 q1 3/3                    the day before: never exported here
//!   2  03-20 08:05:00 q1 nv-lan ho-tich 3/3 VS  HS-001
//!   3  03-20 09:10:30 q2 nv-minh dat-dai 1/3 U  HS-002, reasons cho-lau thai-do
//!   4  03-20 09:10:40 q2 nv-minh dat-dai 1/3 U  10 s after seq 3 at q2: suspected repeat
//!   5  03-20 10:00:00 no counter 3/5 N          stage: on receipt
//!   6  03-20 11:00:00 q1 nv-lan chung-thuc 2/3 S HS-001 again: dossier repeat
//!   7  03-21 06:30:00 q1 nv-lan ho-tich 3/3 VS  device clock in UTC: 2026-03-20T23:30Z
//!
//! Exported range 2026-03-20 to 2026-03-21, flagged left out: seq 2, 3, 5, 7.
//!   Sentiments [VU, U, N, S, VS] = [0, 1, 1, 0, 2], total 4; SIPAS 2/4 = 50 %.
//!   Dossiers HS-001, HS-002, seq 5, seq 7 = 4; against HS-002 = 1; 766 = 3/4 = 75 %.
//!   q1 (seq 2, 7): [0,0,0,0,2], 2 dossiers, 0 against: 100 %, 100 %.
//!   q2 (seq 3): [0,1,0,0,0], 1, 1: 0 %, 0 %.  None (seq 5): [0,0,1,0,0], 1, 0: 0 %, 100 %.
//!   Staff and fields split the same way (nv-lan = ho-tich = q1; nv-minh = dat-dai = q2).
//!   Reasons: cho-lau 1, thai-do 1. Flagged: 2 (seq 4, 6).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use hailong::config::{Stage, TerminalConfig};
use hailong::export::{ExportError, ExportRequest, Format, export, tally_csv_path};
use hailong::i18n::I18n;
use hailong::store::tally::TallyQuery;
use hailong::store::{RatingDraft, Seal, SealCause, Store};
use hailong::survey::Level;
use tempfile::TempDir;
use uuid::Uuid;

struct Fixture {
    at: &'static str,
    counter: Option<&'static str>,
    staff: Option<&'static str>,
    field: Option<&'static str>,
    scale: u8,
    level: u8,
    dossier: Option<&'static str>,
    reasons: &'static [&'static str],
    stage: Stage,
}

#[rustfmt::skip]
const FIXTURE: &[Fixture] = &[
    Fixture { at: "2026-03-19T23:59:59+07:00", counter: Some("q1"), staff: Some("nv-lan"), field: Some("ho-tich"), scale: 3, level: 3, dossier: None, reasons: &[], stage: Stage::Return },
    Fixture { at: "2026-03-20T08:05:00+07:00", counter: Some("q1"), staff: Some("nv-lan"), field: Some("ho-tich"), scale: 3, level: 3, dossier: Some("HS-001"), reasons: &[], stage: Stage::Return },
    Fixture { at: "2026-03-20T09:10:30+07:00", counter: Some("q2"), staff: Some("nv-minh"), field: Some("dat-dai"), scale: 3, level: 1, dossier: Some("HS-002"), reasons: &["cho-lau", "thai-do"], stage: Stage::Return },
    Fixture { at: "2026-03-20T09:10:40+07:00", counter: Some("q2"), staff: Some("nv-minh"), field: Some("dat-dai"), scale: 3, level: 1, dossier: None, reasons: &["cho-lau"], stage: Stage::Return },
    Fixture { at: "2026-03-20T10:00:00+07:00", counter: None, staff: None, field: None, scale: 5, level: 3, dossier: None, reasons: &[], stage: Stage::Receipt },
    Fixture { at: "2026-03-20T11:00:00+07:00", counter: Some("q1"), staff: Some("nv-lan"), field: Some("chung-thuc"), scale: 3, level: 2, dossier: Some("HS-001"), reasons: &[], stage: Stage::Return },
    Fixture { at: "2026-03-20T23:30:00+00:00", counter: Some("q1"), staff: Some("nv-lan"), field: Some("ho-tich"), scale: 3, level: 3, dossier: None, reasons: &[], stage: Stage::Return },
];

fn vn() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("offset")
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

/// Writes the fixture into the database at `path`; returns the ids in seq order.
fn fill(path: &Path) -> Vec<Uuid> {
    let now = DateTime::parse_from_rfc3339("2026-03-22T08:00:00+07:00").expect("now");
    let (mut store, _) = Store::open(path, now).expect("open");
    FIXTURE
        .iter()
        .map(|f| {
            let at = DateTime::parse_from_rfc3339(f.at).expect("time");
            let draft = RatingDraft {
                id: Uuid::now_v7(),
                terminal_id: "demo".to_owned(),
                commune_code: "00004".to_owned(),
                counter_id: f.counter.map(str::to_owned),
                staff_id: f.staff.map(str::to_owned),
                field_id: f.field.map(str::to_owned),
                dossier_code: f.dossier.map(str::to_owned),
                stage: f.stage,
                question_set_id: if f.scale == 5 { "sipas-5" } else { "nhanh-3" }.to_owned(),
                question_set_version: 1,
                level: Level::new(f.level, f.scale).expect("level"),
                answers: Vec::new(),
                reasons: f.reasons.iter().map(|r| (*r).to_owned()).collect(),
                language: "vi".to_owned(),
                device_time: at,
                feedback: Default::default(),
            };
            let seal = Seal {
                cause: SealCause::Completed,
                at: at + TimeDelta::seconds(4),
                repeat_interval: Duration::from_secs(20),
            };
            store.save(&draft, Some(&seal)).expect("save");
            draft.id
        })
        .collect()
}

/// An expected cell, comparable with an XLSX cell and with a CSV field.
#[derive(Debug, Clone, PartialEq)]
enum E {
    Empty,
    S(String),
    /// A count.
    N(f64),
    /// A share 0..=1: a number in Excel, a percent with two decimals in CSV.
    P(f64),
    /// A date-time "YYYY-MM-DD HH:MM:SS".
    T(&'static str),
    /// A date "YYYY-MM-DD".
    D(&'static str),
}

fn s(text: &str) -> E {
    E::S(text.to_owned())
}

impl E {
    fn csv(&self) -> String {
        match self {
            E::Empty => String::new(),
            E::S(text) => text.clone(),
            E::N(n) => format!("{n}"),
            E::P(share) => format!("{:.2}", share * 100.0),
            E::T(text) | E::D(text) => (*text).to_owned(),
        }
    }

    fn matches_xlsx(&self, cell: &Data) -> bool {
        match (self, cell) {
            (E::Empty, Data::Empty) => true,
            (E::S(text), Data::String(got)) => text == got,
            (E::N(n) | E::P(n), Data::Float(got)) => n == got,
            (E::N(n), Data::Int(got)) => *n == *got as f64,
            (E::T(text), Data::DateTime(got)) => {
                got.is_datetime()
                    && got
                        .as_datetime()
                        .is_some_and(|t| t.format("%Y-%m-%d %H:%M:%S").to_string() == *text)
            }
            (E::D(text), Data::DateTime(got)) => {
                got.is_datetime()
                    && got.as_datetime().is_some_and(|t| {
                        t.format("%Y-%m-%d %H:%M:%S").to_string() == format!("{text} 00:00:00")
                    })
            }
            _ => false,
        }
    }
}

const RATING_HEADINGS: [&str; 16] = [
    "Thời gian",
    "Quầy",
    "Cán bộ",
    "Lĩnh vực",
    "Mã hồ sơ",
    "Mức",
    "Số mức của thang",
    "Mức độ hài lòng",
    "Lý do chưa hài lòng",
    "Nghi đánh giá lặp",
    "Hồ sơ đã được đánh giá trước",
    "Thời điểm đánh giá",
    "Số thứ tự",
    "Mã đánh giá",
    "Phản ánh, kiến nghị",
    "Góp ý",
];

/// The ratings sheet's rows below the headings, for the fixture's `seqs`.
#[rustfmt::skip]
fn rating_rows(ids: &[Uuid], seqs: &[usize]) -> Vec<Vec<E>> {
    let no = || s("Không");
    let yes = || s("Có");
    let lan = || s("Nguyễn Thị Lan");
    let minh = || s("Trần Văn Minh");
    let all = [
        vec![],
        vec![E::T("2026-03-20 08:05:00"), s("Quầy số 1"), lan(), s("Hộ tịch"), s("HS-001"), E::N(3.0), E::N(3.0), s("Rất hài lòng"), E::Empty, no(), no(), s("Khi trả kết quả"), E::N(2.0)],
        vec![E::T("2026-03-20 09:10:30"), s("Quầy số 2"), minh(), s("Đất đai"), s("HS-002"), E::N(1.0), E::N(3.0), s("Không hài lòng"), s("Thời gian chờ đợi lâu; Thái độ cán bộ chưa tốt"), no(), no(), s("Khi trả kết quả"), E::N(3.0)],
        vec![E::T("2026-03-20 09:10:40"), s("Quầy số 2"), minh(), s("Đất đai"), E::Empty, E::N(1.0), E::N(3.0), s("Không hài lòng"), s("Thời gian chờ đợi lâu"), yes(), no(), s("Khi trả kết quả"), E::N(4.0)],
        vec![E::T("2026-03-20 10:00:00"), E::Empty, E::Empty, E::Empty, E::Empty, E::N(3.0), E::N(5.0), s("Bình thường"), E::Empty, no(), no(), s("Khi tiếp nhận hồ sơ"), E::N(5.0)],
        vec![E::T("2026-03-20 11:00:00"), s("Quầy số 1"), lan(), s("Chứng thực"), s("HS-001"), E::N(2.0), E::N(3.0), s("Hài lòng"), E::Empty, no(), yes(), s("Khi trả kết quả"), E::N(6.0)],
        vec![E::T("2026-03-21 06:30:00"), s("Quầy số 1"), lan(), s("Hộ tịch"), E::Empty, E::N(3.0), E::N(3.0), s("Rất hài lòng"), E::Empty, no(), no(), s("Khi trả kết quả"), E::N(7.0)],
    ];
    seqs.iter()
        .map(|seq| {
            let mut row = all[seq - 1].clone();
            row.push(E::S(ids[seq - 1].to_string()));
            row.push(no());
            row.push(E::Empty);
            row
        })
        .collect()
}

/// The summary sheet of 2026-03-20..21, flagged left out (worked out in the header comment).
fn tally_rows() -> Vec<Vec<E>> {
    let n = |values: [u64; 8]| values.iter().map(|v| E::N(*v as f64)).collect::<Vec<_>>();
    let row = |group: &str, name: &str, counts: [u64; 8], sipas: f64, rate: f64| {
        let mut row = vec![s(group), s(name)];
        row.extend(n(counts));
        row.extend([E::P(sipas), E::P(rate)]);
        row
    };
    let none = "(không xác định)";
    vec![
        vec![s("Tổng hợp kết quả đánh giá sự hài lòng")],
        vec![s("Xã/phường"), s("Phường Ba Đình (00004)")],
        vec![s("Máy đánh giá"), s("demo")],
        vec![s("Từ ngày"), E::D("2026-03-20")],
        vec![s("Đến ngày"), E::D("2026-03-21")],
        vec![
            s("Đánh giá bị gắn cờ (nghi đánh giá lặp, hồ sơ đánh giá lại)"),
            E::N(2.0),
            s("Không tính vào tổng hợp"),
        ],
        vec![s("Số đánh giá có phản ánh, kiến nghị"), E::N(0.0)],
        vec![],
        [
            "Nhóm",
            "Tên",
            "Rất không hài lòng",
            "Không hài lòng",
            "Bình thường",
            "Hài lòng",
            "Rất hài lòng",
            "Tổng số đánh giá",
            "Số hồ sơ",
            "Số hồ sơ không hài lòng",
            "Tỷ lệ hài lòng SIPAS (%)",
            "Tỷ lệ hài lòng QĐ 766 (%)",
        ]
        .map(s)
        .to_vec(),
        //                                   VU U  N  S  VS tot dos against  SIPAS 766
        row(
            "Toàn máy",
            "Phường Ba Đình",
            [0, 1, 1, 0, 2, 4, 4, 1],
            0.5,
            0.75,
        ),
        row("Quầy", "Quầy số 1", [0, 0, 0, 0, 2, 2, 2, 0], 1.0, 1.0),
        row("Quầy", "Quầy số 2", [0, 1, 0, 0, 0, 1, 1, 1], 0.0, 0.0),
        row("Quầy", none, [0, 0, 1, 0, 0, 1, 1, 0], 0.0, 1.0),
        row(
            "Cán bộ",
            "Nguyễn Thị Lan",
            [0, 0, 0, 0, 2, 2, 2, 0],
            1.0,
            1.0,
        ),
        row(
            "Cán bộ",
            "Trần Văn Minh",
            [0, 1, 0, 0, 0, 1, 1, 1],
            0.0,
            0.0,
        ),
        row("Cán bộ", none, [0, 0, 1, 0, 0, 1, 1, 0], 0.0, 1.0),
        row("Lĩnh vực", "Hộ tịch", [0, 0, 0, 0, 2, 2, 2, 0], 1.0, 1.0),
        row("Lĩnh vực", "Đất đai", [0, 1, 0, 0, 0, 1, 1, 1], 0.0, 0.0),
        row("Lĩnh vực", none, [0, 0, 1, 0, 0, 1, 1, 0], 0.0, 1.0),
        vec![],
        vec![s("Lý do chưa hài lòng"), s("Số lần được chọn")],
        vec![s("Thời gian chờ đợi lâu"), E::N(1.0)],
        vec![s("Thái độ cán bộ chưa tốt"), E::N(1.0)],
    ]
}

fn with_headings(rows: Vec<Vec<E>>) -> Vec<Vec<E>> {
    let mut all = vec![RATING_HEADINGS.map(s).to_vec()];
    all.extend(rows);
    all
}

/// Checks a worksheet cell by cell against `expected`, and that nothing else is in it.
fn assert_sheet(path: &Path, name: &str, expected: &[Vec<E>]) {
    let mut workbook: Xlsx<_> = open_workbook(path).expect("open the workbook");
    let range = workbook.worksheet_range(name).expect("the sheet");
    assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
    let (height, width) = range.get_size();
    assert_eq!(height, expected.len(), "rows of {name}");
    for (r, row) in expected.iter().enumerate() {
        for c in 0..width {
            let want = row.get(c).cloned().unwrap_or(E::Empty);
            let got = range
                .get_value((r as u32, c as u32))
                .cloned()
                .unwrap_or(Data::Empty);
            assert!(
                want.matches_xlsx(&got),
                "{name} row {r} column {c}: expected {want:?}, found {got:?}"
            );
        }
    }
}

/// Reads a CSV file: checks the byte-order mark and returns its rows.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("read the csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect()
}

fn assert_csv(path: &Path, expected: &[Vec<E>]) {
    let rows = read_csv(path);
    let expected: Vec<Vec<String>> = expected
        .iter()
        .map(|row| {
            if row.is_empty() {
                vec![String::new()]
            } else {
                row.iter().map(E::csv).collect()
            }
        })
        .collect();
    assert_eq!(rows, expected, "{}", path.display());
}

struct Setup {
    dir: TempDir,
    ids: Vec<Uuid>,
    store: Store,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("data").join("hailong.db");
    let ids = fill(&db);
    let now = DateTime::parse_from_rfc3339("2026-03-22T08:00:00+07:00").expect("now");
    let (store, _) = Store::open(&db, now).expect("open");
    Setup { dir, ids, store }
}

fn request(format: Format, output: PathBuf, include_flagged: bool) -> ExportRequest {
    ExportRequest {
        query: TallyQuery {
            from: day("2026-03-20"),
            to: day("2026-03-21"),
            offset: vn(),
            include_flagged,
        },
        include_personal: false,
        format,
        output,
    }
}

fn run_export(
    setup: &Setup,
    request: &ExportRequest,
) -> Result<hailong::export::Exported, ExportError> {
    let i18n = I18n::embedded().expect("i18n");
    export(&setup.store, &TerminalConfig::demo(), &i18n, request)
}

#[test]
fn xlsx_has_both_sheets_cell_by_cell() {
    let setup = setup();
    let output = setup.dir.path().join("bao-cao.xlsx");
    let exported =
        run_export(&setup, &request(Format::Xlsx, output.clone(), false)).expect("export");
    assert_eq!(exported.files, vec![output.clone()]);
    assert_eq!(exported.ratings, 4);
    let workbook: Xlsx<_> = open_workbook(&output).expect("open");
    assert_eq!(workbook.sheet_names(), vec!["Đánh giá", "Tổng hợp"]);
    assert_sheet(
        &output,
        "Đánh giá",
        &with_headings(rating_rows(&setup.ids, &[2, 3, 5, 7])),
    );
    assert_sheet(&output, "Tổng hợp", &tally_rows());
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(setup.dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn xlsx_with_flagged_ratings_lists_and_counts_them() {
    let setup = setup();
    let output = setup.dir.path().join("co-co.xlsx");
    let exported =
        run_export(&setup, &request(Format::Xlsx, output.clone(), true)).expect("export");
    assert_eq!(exported.ratings, 6);
    assert_sheet(
        &output,
        "Đánh giá",
        &with_headings(rating_rows(&setup.ids, &[2, 3, 4, 5, 6, 7])),
    );
    // With seq 4 (U, no code) and 6 (S, HS-001 again): [0,2,1,1,2], 6 ratings;
    // dossiers HS-001 HS-002 seq4 seq5 seq7 = 5, against HS-002 and seq 4 = 2;
    // SIPAS 3/6 = 50 %, 766 3/5 = 60 %.
    let mut workbook: Xlsx<_> = open_workbook(&output).expect("open");
    let range = workbook.worksheet_range("Tổng hợp").expect("sheet");
    let row = |r: u32| -> Vec<Data> {
        (0..12)
            .map(|c| range.get_value((r, c)).cloned().unwrap_or(Data::Empty))
            .collect()
    };
    assert_eq!(row(5)[2], Data::String("Đã tính vào tổng hợp".into()));
    let all = row(9);
    let numbers: Vec<f64> = all[2..]
        .iter()
        .map(|d| match d {
            Data::Float(f) => *f,
            other => panic!("not a number: {other:?}"),
        })
        .collect();
    assert_eq!(
        numbers,
        vec![0.0, 2.0, 1.0, 1.0, 2.0, 6.0, 5.0, 2.0, 0.5, 0.6]
    );
}

#[test]
fn csv_writes_the_ratings_and_the_tally_beside_them() {
    let setup = setup();
    let output = setup.dir.path().join("bao-cao-thang-3.csv");
    let exported =
        run_export(&setup, &request(Format::Csv, output.clone(), false)).expect("export");
    let tally_path = setup.dir.path().join("bao-cao-thang-3-tong-hop.csv");
    assert_eq!(tally_csv_path(&output), tally_path);
    assert_eq!(exported.files, vec![output.clone(), tally_path.clone()]);
    assert_csv(
        &output,
        &with_headings(rating_rows(&setup.ids, &[2, 3, 5, 7])),
    );
    assert_csv(&tally_path, &tally_rows());
    // Spot checks of the text as Excel will see it.
    let text = String::from_utf8(std::fs::read(&tally_path).expect("read")).expect("utf-8");
    assert!(
        text.contains("Toàn máy,Phường Ba Đình,0,1,1,0,2,4,4,1,50.00,75.00"),
        "{text}"
    );
}

/// Comments and complaints are in every export; a call-back number and its consent only when
/// the supervisor asks, and a number already sent to the province shows as erased.
#[test]
fn call_back_numbers_are_exported_only_when_asked_for() {
    use hailong::store::Feedback;
    use hailong::store::sync_state::Outcome;
    use hailong_protocol::Callback;

    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hailong.db");
    let now = DateTime::parse_from_rfc3339("2026-03-22T08:00:00+07:00").expect("now");
    let (mut store, _) = Store::open(&db, now).expect("open");
    let callback = |phone: &str| Callback {
        phone: phone.to_owned(),
        consent_version: "pakn-2026-01:vi".to_owned(),
    };
    let feedbacks = [
        Feedback {
            comment: Some("Cán bộ nhiệt tình".to_owned()),
            ..Feedback::default()
        },
        Feedback {
            comment: Some("Chờ lâu quá".to_owned()),
            complaint: true,
            callback: Some(callback("0912345678")),
        },
        Feedback {
            comment: None,
            complaint: true,
            callback: Some(callback("0387654321")),
        },
    ];
    let mut ids = Vec::new();
    for (i, feedback) in feedbacks.into_iter().enumerate() {
        let at = DateTime::parse_from_rfc3339("2026-03-20T09:00:00+07:00").expect("time")
            + TimeDelta::minutes(10 * i as i64);
        let draft = RatingDraft {
            id: Uuid::now_v7(),
            terminal_id: "demo".to_owned(),
            commune_code: "00004".to_owned(),
            counter_id: Some("q1".to_owned()),
            staff_id: Some("nv-lan".to_owned()),
            field_id: Some("ho-tich".to_owned()),
            dossier_code: None,
            stage: Stage::Return,
            question_set_id: "nhanh-3".to_owned(),
            question_set_version: 1,
            level: Level::new(1, 3).expect("level"),
            answers: Vec::new(),
            reasons: Vec::new(),
            language: "vi".to_owned(),
            device_time: at,
            feedback,
        };
        let seal = Seal {
            cause: SealCause::Completed,
            at: at + TimeDelta::seconds(4),
            repeat_interval: Duration::from_secs(20),
        };
        store.save(&draft, Some(&seal)).expect("save");
        ids.push(draft.id);
    }
    // The third one has reached the province: its number is erased here.
    store
        .record_outcomes(&[(ids[2], Outcome::Sent)], now)
        .expect("sent");
    let i18n = I18n::embedded().expect("i18n");
    let export_to = |name: &str, include_personal: bool| {
        let output = dir.path().join(name);
        let mut request = request(Format::Csv, output.clone(), false);
        request.include_personal = include_personal;
        export(&store, &TerminalConfig::demo(), &i18n, &request).expect("export");
        (output.clone(), read_csv(&output))
    };

    let (plain_path, plain) = export_to("staff.csv", false);
    assert_eq!(plain[0], RATING_HEADINGS.map(str::to_owned).to_vec());
    let tail = |row: &Vec<String>, n: usize| row[row.len() - n..].to_vec();
    assert_eq!(tail(&plain[1], 2), ["Không", "Cán bộ nhiệt tình"]);
    assert_eq!(tail(&plain[2], 2), ["Có", "Chờ lâu quá"]);
    assert_eq!(tail(&plain[3], 2), ["Có", ""]);
    let bytes = std::fs::read(&plain_path).expect("read");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("0912345678") && !text.contains("pakn"),
        "{text}"
    );

    let (_, personal) = export_to("supervisor.csv", true);
    assert_eq!(
        tail(&personal[0], 4),
        [
            "Phản ánh, kiến nghị",
            "Góp ý",
            "Số điện thoại gọi lại",
            "Phiên bản nội dung đồng ý"
        ]
    );
    assert_eq!(tail(&personal[1], 2), ["", ""]);
    assert_eq!(tail(&personal[2], 2), ["0912345678", "pakn-2026-01:vi"]);
    assert_eq!(
        tail(&personal[3], 2),
        ["(đã gửi về tỉnh, đã xóa khỏi máy)", "pakn-2026-01:vi"]
    );
}

#[test]
fn bad_ranges_and_outputs_are_refused_and_nothing_is_written() {
    let setup = setup();
    let i18n = I18n::embedded().expect("i18n");
    let vi = hailong::i18n::Language::default_language();
    let mut backwards = request(Format::Xlsx, setup.dir.path().join("x.xlsx"), false);
    backwards.query.from = day("2026-03-22");
    let error = run_export(&setup, &backwards).expect_err("from > to");
    assert_eq!(
        error.message(&i18n, &vi),
        "Ngày bắt đầu 2026-03-22 sau ngày kết thúc 2026-03-21."
    );
    let missing = setup.dir.path().join("khong-co").join("x.xlsx");
    let error =
        run_export(&setup, &request(Format::Xlsx, missing.clone(), false)).expect_err("no folder");
    assert_eq!(
        error,
        ExportError::NoFolder(setup.dir.path().join("khong-co"))
    );
    assert!(
        !setup.dir.path().join("khong-co").exists(),
        "the folder is not created"
    );
    let folder = setup.dir.path().to_path_buf();
    let error =
        run_export(&setup, &request(Format::Csv, folder.clone(), false)).expect_err("a folder");
    assert_eq!(error, ExportError::IsFolder(folder));
    assert!(!setup.dir.path().join("x.xlsx").exists());
}

// The command line, as a technician or a script runs it.

fn hailong(setup: &Setup, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hailong"))
        .args(args)
        .env("HAILONG_DATA_DIR", setup.dir.path().join("data"))
        .env("HAILONG_CONFIG_DIR", setup.dir.path().join("config"))
        .env("TZ", "Asia/Ho_Chi_Minh")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run hailong")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).expect("utf-8")
}

// 2026-03-20 alone, flagged left out: seq 2 (VS, HS-001), 3 (U, HS-002), 5 (N, no code).
// Total 3; by level 3/3: 1, 1/3: 1, 3/5: 1; SIPAS 1/3; dossiers 3, against 1: 766 2/3.
#[test]
fn tally_command_prints_json_with_total_and_levels() {
    let setup = setup();
    let out = ok(&hailong(
        &setup,
        &["tally", "--date", "2026-03-20", "--json"],
    ));
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["total"], 3);
    assert_eq!(
        json["by_level"],
        serde_json::json!({"1/3": 1, "3/3": 1, "3/5": 1})
    );
    assert_eq!(json["by_sentiment"]["very_satisfied"], 1);
    assert_eq!(json["by_sentiment"]["neutral"], 1);
    assert_eq!(json["flagged"], 2);
    assert_eq!(json["dossiers"], 3);
    assert_eq!(json["dossiers_against"], 1);
    assert_eq!(json["sipas_share"], 1.0 / 3.0);
    assert_eq!(json["rate_766"], 2.0 / 3.0);
    assert_eq!(json["utc_offset"], "+07:00");
    assert_eq!(json["by_counter"][0]["id"], serde_json::Value::Null);
    assert_eq!(json["by_counter"][1]["id"], "q1");
    assert_eq!(json["by_counter"][1]["name"], "Quầy số 1");
    assert_eq!(json["by_counter"][1]["total"], 1);
    assert_eq!(json["by_staff"][2]["name"], "Trần Văn Minh");
    assert_eq!(json["reasons"][0]["text"], "Thời gian chờ đợi lâu");
    assert_eq!(json["per_hour"][9], serde_json::json!([0, 1, 0, 0, 0]));

    // Two days ending 2026-03-21 with the flagged ones: all six ratings of the 20th and 21st.
    let out = ok(&hailong(
        &setup,
        &[
            "tally",
            "--date",
            "2026-03-21",
            "--days",
            "2",
            "--include-flagged",
            "--json",
        ],
    ));
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["from"], "2026-03-20");
    assert_eq!(json["total"], 6);
    assert_eq!(
        json["per_day"][1],
        serde_json::json!({"date": "2026-03-21", "ratings": 1, "satisfied": 1})
    );
}

#[test]
fn tally_command_prints_vietnamese_text() {
    let setup = setup();
    let out = ok(&hailong(&setup, &["tally", "--date", "2026-03-20"]));
    for line in [
        "Tổng hợp đánh giá từ ngày 2026-03-20 đến ngày 2026-03-20",
        "Tổng số đánh giá: 3",
        "Tỷ lệ hài lòng SIPAS: 33,33%",
        "Tỷ lệ hài lòng QĐ 766: 66,67% (2/3 hồ sơ)",
        "Đánh giá bị gắn cờ, không tính: 2",
        "  Quầy số 1: 1 đánh giá · SIPAS 100,00% · QĐ 766 100,00%",
        "  Thời gian chờ đợi lâu: 1",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing {line:?} in:\n{out}"
        );
    }
}

#[test]
fn export_command_writes_xlsx_and_csv() {
    let setup = setup();
    let xlsx = setup.dir.path().join("thang-3.xlsx");
    let out = ok(&hailong(
        &setup,
        &[
            "export",
            "--from",
            "2026-03-20",
            "--to",
            "2026-03-21",
            "--format",
            "xlsx",
            "--output",
            xlsx.to_str().expect("utf-8"),
        ],
    ));
    assert_eq!(
        out.trim(),
        format!("Đã ghi 4 đánh giá vào {}", xlsx.display())
    );
    assert_sheet(
        &xlsx,
        "Đánh giá",
        &with_headings(rating_rows(&setup.ids, &[2, 3, 5, 7])),
    );
    assert_sheet(&xlsx, "Tổng hợp", &tally_rows());

    let csv_path = setup.dir.path().join("thang-3.csv");
    let out = ok(&hailong(
        &setup,
        &[
            "export",
            "--from",
            "2026-03-20",
            "--to",
            "2026-03-21",
            "--format",
            "csv",
            "--output",
            csv_path.to_str().expect("utf-8"),
            "--json",
        ],
    ));
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["ratings"], 4);
    assert_eq!(json["flagged"], 2);
    assert_eq!(
        json["files"][1],
        tally_csv_path(&csv_path).display().to_string()
    );
    assert_csv(&tally_csv_path(&csv_path), &tally_rows());
}

#[test]
fn commands_refuse_bad_dates_ranges_and_outputs_clearly() {
    let setup = setup();
    let err = failure(&hailong(&setup, &["tally", "--date", "2026-02-30"]));
    assert!(
        err.contains("--date: \"2026-02-30\" không phải là ngày"),
        "{err}"
    );
    let err = failure(&hailong(&setup, &["tally", "--days", "0"]));
    assert!(err.contains("--days: phải từ 1 đến 3660"), "{err}");
    let out = setup.dir.path().join("x.xlsx");
    let out = out.to_str().expect("utf-8");
    let err = failure(&hailong(
        &setup,
        &[
            "export",
            "--from",
            "20/03/2026",
            "--to",
            "2026-03-21",
            "--format",
            "xlsx",
            "--output",
            out,
        ],
    ));
    assert!(
        err.contains("--from: \"20/03/2026\" không phải là ngày"),
        "{err}"
    );
    let err = failure(&hailong(
        &setup,
        &[
            "export",
            "--from",
            "2026-03-22",
            "--to",
            "2026-03-21",
            "--format",
            "xlsx",
            "--output",
            out,
        ],
    ));
    assert!(
        err.contains("Ngày bắt đầu 2026-03-22 sau ngày kết thúc 2026-03-21."),
        "{err}"
    );
    let missing = setup.dir.path().join("usb").join("x.xlsx");
    let err = failure(&hailong(
        &setup,
        &[
            "export",
            "--from",
            "2026-03-20",
            "--to",
            "2026-03-21",
            "--format",
            "xlsx",
            "--output",
            missing.to_str().expect("utf-8"),
        ],
    ));
    assert!(err.contains("Không có thư mục"), "{err}");
    let folder = setup.dir.path().to_str().expect("utf-8");
    let err = failure(&hailong(
        &setup,
        &[
            "export",
            "--from",
            "2026-03-20",
            "--to",
            "2026-03-21",
            "--format",
            "csv",
            "--output",
            folder,
        ],
    ));
    assert!(err.contains("là một thư mục"), "{err}");
    #[cfg(target_os = "linux")]
    {
        // /proc takes no new files, even from root.
        let err = failure(&hailong(
            &setup,
            &[
                "export",
                "--from",
                "2026-03-20",
                "--to",
                "2026-03-21",
                "--format",
                "xlsx",
                "--output",
                "/proc/bao-cao.xlsx",
            ],
        ));
        assert!(
            err.contains("Không ghi được tệp /proc/bao-cao.xlsx"),
            "{err}"
        );
    }
    assert!(!Path::new(out).exists());
}
