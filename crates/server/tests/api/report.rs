//! Reports (issue 7) over a hand-worked fixture: the figures per commune, day, counter,
//! staff member, field and province; the CSV and XLSX files read back cell by cell; the API
//! with its report token; bad input. Over SQLite here and over PostgreSQL in
//! tests/api_postgres.rs.
//!
//! THE FIXTURE. Three communes with configurations: 10001 "Xã An Bình" and 10002 "Phường Bình
//! Minh" in "Tỉnh Mẫu", 10003 "Xã Cao Sơn" in "Tỉnh Khác" (no ratings). The report covers
//! 2026-03-01..=2026-03-02, Vietnam days (UTC+07:00) of the server's receive time.
//! Sentiments: 3 levels 1 U, 2 S, 3 VS; 4 levels 1 U, 2 N, 3 S, 4 VS; 5 levels 1 VU, 2 U,
//! 3 N, 4 S, 5 VS.
//!
//! Terminal A1 (10001, counter q1, staff cb-a, field ho-tich), 3 levels:
//!   #1 VS  D1             received 2026-02-28T17:00:00Z = 03-01 00:00 +07 -> day 03-01
//!   #2 U   D2             received 2026-03-01T05:00:00Z                  -> 03-01
//!   #3 S   D2             (same dossier, other stage; not flagged)       -> 03-01
//!   #4 VS  no code, COMPLAINT                                           -> 03-01
//!   #5 VS  no code, flagged suspected_repeat                            -> 03-01, left out
//!   #6 S   D3             received 2026-03-01T16:59:59.999Z = 23:59:59.999 -> 03-01
//!   #7 U   D4, flagged dossier_repeat, received 2026-03-01T17:00:00Z    -> 03-02, left out
//! Terminal A2 (10001, counter q2, staff cb-b, field chung-thuc), 5 levels:
//!   #1 N   D3 (the dossier of A1#6: same commune, same dossier) received 03-01T17:00:00Z -> 03-02
//!   #2 VS  D5             received 2026-03-02T02:00:00Z                  -> 03-02
//!   #3 VU  no code        received 2026-02-28T16:59:59Z = 02-28 23:59:59 -> outside
//! Terminal B1 (10002, counter q1, staff cb-c, field ho-tich), 4 levels, its CLOCK WRONG
//! (device time 2025-12-31, the batch's clock suspect):
//!   #1 VS  D1 (10002's D1: another commune, another dossier) received 2026-03-02T03:00:00Z -> 03-02
//!   #2 U   D6, COMPLAINT  received 2026-03-02T03:00:00Z                  -> 03-02
//!   #3 N   no code        received 2026-03-02T16:59:00Z = 23:59 +07      -> 03-02
//!   #4 S   no code        received 2026-03-02T17:00:00Z = 03-03 00:00    -> outside
//!
//! By commune (flagged left out):
//!   10001: A1#1 VS D1, A1#2 U D2, A1#3 S D2, A1#4 VS lone+complaint, A1#6 S D3, A2#1 N D3,
//!          A2#2 VS D5 = 7 ratings: VU 0, U 1, N 1, S 2, VS 3; satisfied 5; unsatisfied 1;
//!          complaints 1. Dossiers D1, D2, D3, D5, lone = 5; against: D2 (U), lone (complaint)
//!          = 2 (D3 has a neutral rating: not against). 766 rate 3/5 = 0.6; SIPAS 5/7. Flagged
//!          2 (A1#5, A1#7).
//!   10002: B1#1 VS D1, B1#2 U D6 complaint, B1#3 N lone = 3: U 1, N 1, VS 1; satisfied 1;
//!          complaints 1; dossiers 3, against 1 (D6): rate 2/3; SIPAS 1/3. Flagged 0.
//!   10003: configured, silent: a row of zeros, no shares.
//!   Total: 10 ratings: U 2, N 2, S 2, VS 4; satisfied 6; complaints 2; dossiers 5 + 3 = 8
//!          (10001/D1 and 10002/D1 are two); against 3; rate 5/8 = 0.625; SIPAS 6/10 = 0.6;
//!          flagged 2.
//! By day:
//!   03-01: A1#1 VS D1, A1#2 U D2, A1#3 S D2, A1#4 VS lone+complaint, A1#6 S D3 = 5: U 1, S 2,
//!          VS 2; complaints 1; dossiers D1, D2, lone, D3 = 4, against D2 + lone = 2: rate
//!          2/4; SIPAS 4/5; flagged 1 (A1#5).
//!   03-02: A2#1 N D3, A2#2 VS D5, B1#1 VS 10002/D1, B1#2 U D6 complaint, B1#3 N lone = 5: U 1,
//!          N 2, VS 2; complaints 1; dossiers 5, against 1 (D6): rate 4/5; SIPAS 2/5; flagged 1
//!          (A1#7). B1's wrong clock (2025-12-31) does not move its ratings off 03-02.
//!   D3 is a dossier of both days but one of the total: 4 + 5 = 9 dossier rows, total 8.
//! By counter: 10001/q1 = A1 (= day 03-01 figures, flagged 2); 10001/q2 = A2#1 N D3, A2#2 VS D5:
//!   2 ratings, N 1, VS 1, dossiers 2, against 0, rate 1, SIPAS 1/2; 10002/q1 = commune 10002.
//! By province: Tỉnh Khác (10003) zeros; Tỉnh Mẫu = the total.
//! With flagged ratings included, 10001 gains A1#5 VS lone and A1#7 U D4: 9 ratings, U 2, N 1,
//!   S 2, VS 4; dossiers 7 (D1, D2, D3, D4, D5, two lone), against 3 (D2, D4, A1#4): rate 4/7.

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use hailong_protocol::{Flag, Rating, UploadBatch, encode_batch};
use hailong_server::batch::prepare;
use hailong_server::report::{self, Figures, GroupBy, Report, ReportQuery};
use hailong_server::secret::ReportToken;
use hailong_server::store::{IngestContext, NewTerminal, Store, Terminal};
use hailong_server::{ServerOptions, config_doc, secret};
use reqwest::StatusCode;

use super::support::{Kiosk, TestServer, expect_error, generous, rating};

const BIN: &str = env!("CARGO_BIN_EXE_hailong-server");
const REPORT_TOKEN: &str = "r3port-t0ken-for-the-province-dashboards";

const COMMUNE_10001: &str = r#"
[commune]
code = "10001"
name = "Xã An Bình"
province = "Tỉnh Mẫu"

[[counters]]
id = "q1"
name = { vi = "Quầy số 1", en = "Counter 1" }

[[counters]]
id = "q2"
name = { vi = "Quầy số 2", en = "Counter 2" }

[[staff]]
id = "cb-a"
name = "Nguyễn Thị A"

[[staff]]
id = "cb-b"
name = "Trần Văn B"

[[fields]]
id = "ho-tich"
name = { vi = "Hộ tịch", en = "Civil status" }

[[fields]]
id = "chung-thuc"
name = { vi = "Chứng thực", en = "Certification" }
"#;

const COMMUNE_10002: &str = r#"
[commune]
code = "10002"
name = "Phường Bình Minh"
province = "Tỉnh Mẫu"

[[counters]]
id = "q1"
name = "Quầy 1"

[[staff]]
id = "cb-c"
name = "Lê Văn C"

[[fields]]
id = "ho-tich"
name = { vi = "Hộ tịch" }
"#;

const COMMUNE_10003: &str = r#"
[commune]
code = "10003"
name = "Xã Cao Sơn"
province = "Tỉnh Khác"
"#;

/// One rating of the fixture.
struct Spec {
    level: u8,
    count: u8,
    dossier: Option<&'static str>,
    complaint: bool,
    flag: Option<Flag>,
    received: &'static str,
}

fn spec(level: u8, count: u8, dossier: Option<&'static str>, received: &'static str) -> Spec {
    Spec {
        level,
        count,
        dossier,
        complaint: false,
        flag: None,
        received,
    }
}

/// Ingests `specs` as ratings 1.. of `terminal` (an honest chain), each batch at its receive
/// time, as the HTTP handler would.
async fn ingest(
    server: &TestServer,
    terminal: &Terminal,
    (counter, staff, field): (&str, &str, &str),
    device_time: &str,
    specs: Vec<Spec>,
) {
    let kiosk = Kiosk {
        id: terminal.id.clone(),
        commune: terminal.commune_code.clone(),
        token: String::new(),
    };
    let mut prev = hailong_protocol::chain::genesis(&terminal.id);
    let mut batches: Vec<(String, Vec<Rating>)> = Vec::new();
    for (i, s) in specs.into_iter().enumerate() {
        let mut r = rating(&kiosk, i as u64 + 1);
        r.counter_id = Some(counter.into());
        r.staff_id = Some(staff.into());
        r.field_id = Some(field.into());
        r.level = s.level;
        r.level_count = s.count;
        r.dossier_code = s.dossier.map(str::to_owned);
        r.complaint = s.complaint;
        r.flags = s.flag.into_iter().collect();
        r.device_time = device_time.into();
        r.link(prev.clone());
        prev.clone_from(&r.hash);
        match batches.last_mut() {
            Some((at, list)) if at == s.received => list.push(r),
            _ => batches.push((s.received.to_owned(), vec![r])),
        }
    }
    for (at, ratings) in batches {
        let received_at: DateTime<Utc> = at.parse().unwrap();
        let device: DateTime<Utc> = DateTime::parse_from_rfc3339(device_time).unwrap().into();
        let offset = (device - received_at).num_seconds();
        let body = encode_batch(
            &UploadBatch {
                device_time: device_time.into(),
                ratings,
            },
            false,
        );
        let items = prepare(&body, false, Default::default(), terminal)
            .unwrap()
            .items;
        let out = server
            .store
            .ingest(
                terminal.id.clone(),
                items,
                IngestContext {
                    received_at,
                    clock_offset_s: Some(offset),
                    clock_suspect: offset.abs() > 3600,
                },
            )
            .await
            .unwrap();
        assert_eq!(out.summary.created as usize, out.results.len());
    }
}

async fn add_terminal(server: &TestServer, commune: &str, counter: &str) -> Terminal {
    let now = Utc::now();
    server
        .store
        .add_terminal(
            NewTerminal {
                commune_code: commune.into(),
                name: format!("Quầy {counter}"),
                counter_id: Some(counter.into()),
                code_hash: secret::code_hash(&secret::new_code().unwrap()),
                expires_at: now + Duration::hours(1),
            },
            now,
        )
        .await
        .unwrap()
}

/// The fixture of the module documentation.
async fn fixture(server: &TestServer) {
    for source in [COMMUNE_10001, COMMUNE_10002, COMMUNE_10003] {
        let config = config_doc::parse(source, Utc::now()).unwrap();
        server.store.import_config(config).await.unwrap();
    }
    let a1 = add_terminal(server, "10001", "q1").await;
    let a2 = add_terminal(server, "10001", "q2").await;
    let b1 = add_terminal(server, "10002", "q1").await;
    let good_clock = "2026-03-01T12:00:00+07:00";
    ingest(
        server,
        &a1,
        ("q1", "cb-a", "ho-tich"),
        good_clock,
        vec![
            spec(3, 3, Some("D1"), "2026-02-28T17:00:00Z"),
            spec(1, 3, Some("D2"), "2026-03-01T05:00:00Z"),
            spec(2, 3, Some("D2"), "2026-03-01T05:00:00Z"),
            Spec {
                complaint: true,
                ..spec(3, 3, None, "2026-03-01T05:00:00Z")
            },
            Spec {
                flag: Some(Flag::SuspectedRepeat),
                ..spec(3, 3, None, "2026-03-01T05:00:00Z")
            },
            spec(2, 3, Some("D3"), "2026-03-01T16:59:59.999Z"),
            Spec {
                flag: Some(Flag::DossierRepeat),
                ..spec(1, 3, Some("D4"), "2026-03-01T17:00:00Z")
            },
        ],
    )
    .await;
    ingest(
        server,
        &a2,
        ("q2", "cb-b", "chung-thuc"),
        good_clock,
        vec![
            spec(3, 5, Some("D3"), "2026-03-01T17:00:00Z"),
            spec(5, 5, Some("D5"), "2026-03-02T02:00:00Z"),
            spec(1, 5, None, "2026-02-28T16:59:59Z"),
        ],
    )
    .await;
    ingest(
        server,
        &b1,
        ("q1", "cb-c", "ho-tich"),
        "2025-12-31T08:00:00+07:00",
        vec![
            spec(4, 4, Some("D1"), "2026-03-02T03:00:00Z"),
            Spec {
                complaint: true,
                ..spec(1, 4, Some("D6"), "2026-03-02T03:00:00Z")
            },
            spec(2, 4, None, "2026-03-02T16:59:00Z"),
            spec(3, 4, None, "2026-03-02T17:00:00Z"),
        ],
    )
    .await;
}

/// Figures from counts per sentiment (VU, U, N, S, VS), complaints, dossiers, dossiers
/// against and flagged.
fn figures(
    levels: [u64; 5],
    complaints: u64,
    dossiers: u64,
    against: u64,
    flagged: u64,
) -> Figures {
    let ratings: u64 = levels.iter().sum();
    let satisfied_total = levels[3] + levels[4];
    Figures {
        ratings,
        very_unsatisfied: levels[0],
        unsatisfied: levels[1],
        neutral: levels[2],
        satisfied: levels[3],
        very_satisfied: levels[4],
        satisfied_total,
        unsatisfied_total: levels[0] + levels[1],
        complaints,
        dossiers,
        dossiers_against: against,
        sipas_share: (ratings > 0).then(|| satisfied_total as f64 / ratings as f64),
        rate_766: (dossiers > 0).then(|| (dossiers - against) as f64 / dossiers as f64),
        flagged,
    }
}

fn query(by: GroupBy) -> ReportQuery {
    ReportQuery {
        from: report::parse_day("2026-03-01").unwrap(),
        to: report::parse_day("2026-03-02").unwrap(),
        by,
        commune: None,
        include_flagged: false,
    }
}

fn commune_10001() -> Figures {
    figures([0, 1, 1, 2, 3], 1, 5, 2, 2)
}

fn commune_10002() -> Figures {
    figures([0, 1, 1, 0, 1], 1, 3, 1, 0)
}

fn total() -> Figures {
    figures([0, 2, 2, 2, 4], 2, 8, 3, 2)
}

/// (key, figures) of each row: the key joins the non-null keys with "/".
fn rows(report: &Report) -> Vec<(String, Figures)> {
    report
        .rows
        .iter()
        .map(|r| {
            let key = [
                r.province.clone(),
                r.commune_code.clone(),
                r.commune_name.clone(),
                r.id.clone(),
                r.name.clone(),
                r.day.map(|d| d.to_string()),
            ]
            .into_iter()
            .map(|k| k.unwrap_or_else(|| "-".into()))
            .collect::<Vec<_>>()
            .join("/");
            (key, r.figures.clone())
        })
        .collect()
}

#[tokio::test]
async fn the_hand_worked_fixture_per_commune_day_counter_staff_field_and_province() {
    let server = TestServer::start().await;
    fixture(&server).await;
    let store = &server.store;

    let by_commune = report::build(store, query(GroupBy::Commune)).await.unwrap();
    assert_eq!(
        rows(&by_commune),
        vec![
            (
                "Tỉnh Khác/10003/Xã Cao Sơn/-/-/-".into(),
                figures([0; 5], 0, 0, 0, 0)
            ),
            ("Tỉnh Mẫu/10001/Xã An Bình/-/-/-".into(), commune_10001()),
            (
                "Tỉnh Mẫu/10002/Phường Bình Minh/-/-/-".into(),
                commune_10002()
            ),
        ]
    );
    assert_eq!(by_commune.total, total());
    // The shares as worked out by hand.
    assert_eq!(by_commune.total.rate_766, Some(0.625));
    assert_eq!(by_commune.total.sipas_share, Some(0.6));
    assert_eq!(by_commune.rows[1].figures.rate_766, Some(0.6));
    assert_eq!(by_commune.rows[0].figures.sipas_share, None);

    let by_day = report::build(store, query(GroupBy::Day)).await.unwrap();
    assert_eq!(
        rows(&by_day),
        vec![
            (
                "-/-/-/-/-/2026-03-01".into(),
                figures([0, 1, 0, 2, 2], 1, 4, 2, 1)
            ),
            (
                "-/-/-/-/-/2026-03-02".into(),
                figures([0, 1, 2, 0, 2], 1, 5, 1, 1)
            ),
        ]
    );
    assert_eq!(by_day.total, total(), "D3 counts once in the total");

    let by_counter = report::build(store, query(GroupBy::Counter)).await.unwrap();
    assert_eq!(
        rows(&by_counter),
        vec![
            (
                "Tỉnh Mẫu/10001/Xã An Bình/q1/Quầy số 1/-".into(),
                figures([0, 1, 0, 2, 2], 1, 4, 2, 2)
            ),
            (
                "Tỉnh Mẫu/10001/Xã An Bình/q2/Quầy số 2/-".into(),
                figures([0, 0, 1, 0, 1], 0, 2, 0, 0)
            ),
            (
                "Tỉnh Mẫu/10002/Phường Bình Minh/q1/Quầy 1/-".into(),
                commune_10002()
            ),
        ]
    );

    let by_staff = report::build(store, query(GroupBy::Staff)).await.unwrap();
    let staff: Vec<String> = rows(&by_staff).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        staff,
        [
            "Tỉnh Mẫu/10001/Xã An Bình/cb-a/Nguyễn Thị A/-",
            "Tỉnh Mẫu/10001/Xã An Bình/cb-b/Trần Văn B/-",
            "Tỉnh Mẫu/10002/Phường Bình Minh/cb-c/Lê Văn C/-",
        ]
    );
    assert_eq!(by_staff.rows[1].figures, by_counter.rows[1].figures);

    // Fields across communes: ho-tich = A1 + B1; chung-thuc = A2.
    let by_field = report::build(store, query(GroupBy::Field)).await.unwrap();
    assert_eq!(
        rows(&by_field),
        vec![
            (
                "-/-/-/chung-thuc/Chứng thực/-".into(),
                figures([0, 0, 1, 0, 1], 0, 2, 0, 0)
            ),
            (
                "-/-/-/ho-tich/Hộ tịch/-".into(),
                figures([0, 2, 1, 2, 3], 2, 7, 3, 2)
            ),
        ]
    );

    let by_province = report::build(store, query(GroupBy::Province))
        .await
        .unwrap();
    assert_eq!(
        rows(&by_province),
        vec![
            ("Tỉnh Khác/-/-/-/-/-".into(), figures([0; 5], 0, 0, 0, 0)),
            ("Tỉnh Mẫu/-/-/-/-/-".into(), total()),
        ]
    );

    // One commune, flagged ratings included.
    let flagged = report::build(
        store,
        ReportQuery {
            commune: Some("10001".into()),
            include_flagged: true,
            ..query(GroupBy::Commune)
        },
    )
    .await
    .unwrap();
    let expected = figures([0, 2, 1, 2, 4], 1, 7, 3, 2);
    assert_eq!(
        rows(&flagged),
        vec![("Tỉnh Mẫu/10001/Xã An Bình/-/-/-".into(), expected.clone())]
    );
    assert_eq!(flagged.total, expected);
    assert_eq!(expected.rate_766, Some(4.0 / 7.0));
}

/// An expected cell, comparable with an XLSX cell and with a CSV field.
#[derive(Debug, Clone, PartialEq)]
enum E {
    Empty,
    S(&'static str),
    N(f64),
    /// A share 0..=1: a percent cell in Excel, a percent with two decimals in CSV.
    P(f64),
    /// A date "YYYY-MM-DD".
    D(&'static str),
}

impl E {
    fn csv(&self) -> String {
        match self {
            E::Empty => String::new(),
            E::S(text) | E::D(text) => (*text).to_owned(),
            E::N(n) => format!("{n}"),
            E::P(share) => format!("{:.2}", share * 100.0),
        }
    }

    fn matches_xlsx(&self, cell: &calamine::Data) -> bool {
        use calamine::Data;
        match (self, cell) {
            (E::Empty, Data::Empty) => true,
            (E::S(text), Data::String(got)) => text == got,
            (E::N(n) | E::P(n), Data::Float(got)) => n == got,
            (E::N(n), Data::Int(got)) => *n == *got as f64,
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

/// The by-day report of the fixture, cell by cell.
#[rustfmt::skip]
fn expected_by_day() -> Vec<Vec<E>> {
    use E::{D, N, P, S};
    vec![
        vec![S("Báo cáo kết quả đánh giá sự hài lòng")],
        vec![S("Theo"), S("Ngày")],
        vec![S("Từ ngày"), D("2026-03-01")],
        vec![S("Đến ngày"), D("2026-03-02")],
        vec![S("Ngày tính theo"), S("Giờ máy chủ nhận đánh giá, giờ Việt Nam (UTC+07:00)")],
        vec![S("Phạm vi"), S("Tất cả xã, phường của máy chủ")],
        vec![S("Đánh giá bị gắn cờ (nghi đánh giá lặp, hồ sơ đánh giá lại)"), N(2.0), S("Không tính vào các số liệu")],
        vec![],
        vec![
            S("Ngày"), S("Rất không hài lòng"), S("Không hài lòng"), S("Bình thường"), S("Hài lòng"),
            S("Rất hài lòng"), S("Tổng số đánh giá"), S("Hài lòng và rất hài lòng"),
            S("Không hài lòng và rất không hài lòng"), S("Số phản ánh, kiến nghị"), S("Số hồ sơ"),
            S("Số hồ sơ không hài lòng hoặc có phản ánh, kiến nghị"), S("Tỷ lệ hài lòng SIPAS (%)"),
            S("Tỷ lệ hài lòng QĐ 766 (%)"), S("Đánh giá bị gắn cờ"),
        ],
        //   day            VU      U       N       S       VS      total   sat     unsat   PAKN    doss    against SIPAS       766         flagged
        vec![D("2026-03-01"), N(0.), N(1.), N(0.), N(2.), N(2.), N(5.), N(4.), N(1.), N(1.), N(4.), N(2.), P(0.8),    P(0.5),    N(1.)],
        vec![D("2026-03-02"), N(0.), N(1.), N(2.), N(0.), N(2.), N(5.), N(2.), N(1.), N(1.), N(5.), N(1.), P(0.4),    P(0.8),    N(1.)],
        vec![S("Tổng cộng"),   N(0.), N(2.), N(2.), N(2.), N(4.), N(10.), N(6.), N(2.), N(2.), N(8.), N(3.), P(0.6),    P(0.625),  N(2.)],
    ]
}

fn run_report(server: &TestServer, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .env("HAILONG_SERVER_DB", server.db_uri())
        .arg("report")
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn csv_and_xlsx_read_back_cell_by_cell() {
    let server = TestServer::start().await;
    fixture(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("bao-cao.csv");
    let xlsx_path = dir.path().join("bao-cao.xlsx");
    for (format, path) in [("csv", &csv_path), ("xlsx", &xlsx_path)] {
        let out = run_report(
            &server,
            &[
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-02",
                "--by",
                "day",
                "--format",
                format,
                "--output",
                path.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Wrote the report"));
    }
    let expected = expected_by_day();

    // CSV: UTF-8 with a BOM, one record per row of the layout.
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..]);
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(records.len(), expected.len());
    for (r, (got, want)) in records.iter().zip(&expected).enumerate() {
        let want: Vec<String> = if want.is_empty() {
            vec![String::new()]
        } else {
            want.iter().map(E::csv).collect()
        };
        assert_eq!(got, &want, "CSV row {r}");
    }

    // XLSX: the same cells, dates as date cells, shares as numbers.
    use calamine::{Reader as _, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(&xlsx_path).unwrap();
    assert_eq!(workbook.sheet_names(), vec!["Báo cáo".to_owned()]);
    let range = workbook.worksheet_range("Báo cáo").unwrap();
    assert_eq!(range.start(), Some((0, 0)));
    assert_eq!(range.height(), expected.len());
    for (r, want) in expected.iter().enumerate() {
        for c in 0..range.width() {
            let cell = range.get((r, c)).cloned().unwrap_or(calamine::Data::Empty);
            let want = want.get(c).cloned().unwrap_or(E::Empty);
            assert!(
                want.matches_xlsx(&cell),
                "XLSX row {r} column {c}: {cell:?}, expected {want:?}"
            );
        }
    }

    // The commune layout to standard output: key columns, the none-last order, empty shares.
    let out = run_report(
        &server,
        &[
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-02",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[8],
        "\"Tỉnh, thành phố\",\"Mã xã, phường\",\"Xã, phường\",Rất không hài lòng,Không hài lòng,\
         Bình thường,Hài lòng,Rất hài lòng,Tổng số đánh giá,Hài lòng và rất hài lòng,Không hài \
         lòng và rất không hài lòng,\"Số phản ánh, kiến nghị\",Số hồ sơ,\"Số hồ sơ không hài lòng \
         hoặc có phản ánh, kiến nghị\",Tỷ lệ hài lòng SIPAS (%),Tỷ lệ hài lòng QĐ 766 (%),Đánh \
         giá bị gắn cờ"
    );
    assert_eq!(
        lines[9],
        "Tỉnh Khác,10003,Xã Cao Sơn,0,0,0,0,0,0,0,0,0,0,0,,,0"
    );
    assert_eq!(
        lines[10],
        "Tỉnh Mẫu,10001,Xã An Bình,0,1,1,2,3,7,5,1,1,5,2,71.43,60.00,2"
    );
    assert_eq!(
        lines[11],
        "Tỉnh Mẫu,10002,Phường Bình Minh,0,1,1,0,1,3,1,1,1,3,1,33.33,66.67,0"
    );
    assert_eq!(
        lines[12],
        "Tổng cộng,,,0,2,2,2,4,10,6,2,2,8,3,60.00,62.50,2"
    );
    assert_eq!(lines.len(), 13);

    // JSON: the same report the library builds.
    let out = run_report(
        &server,
        &[
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-02",
            "--by",
            "counter",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let built = report::build(&server.store, query(GroupBy::Counter))
        .await
        .unwrap();
    assert_eq!(json, serde_json::to_value(&built).unwrap());
    assert_eq!(json["rows"][0]["name"], "Quầy số 1");
    assert_eq!(json["total"]["rate_766"], 0.625);
}

#[tokio::test]
async fn the_cli_refuses_bad_input_clearly() {
    let server = TestServer::start().await;
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-02",
                "--by",
                "week",
                "--format",
                "csv",
            ],
            "invalid value 'week' for '--by <BY>'",
        ),
        (
            &[
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-01",
                "--format",
                "csv",
            ],
            "the first day 2026-03-02 is after the last day 2026-03-01",
        ),
        (
            &[
                "--from",
                "2026-02-30",
                "--to",
                "2026-03-01",
                "--format",
                "csv",
            ],
            "`2026-02-30` is not a day: write YYYY-MM-DD",
        ),
        (
            &[
                "--from",
                "01/03/2026",
                "--to",
                "2026-03-01",
                "--format",
                "json",
            ],
            "`01/03/2026` is not a day",
        ),
        (
            &[
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-01",
                "--format",
                "pdf",
            ],
            "invalid value 'pdf' for '--format <FORMAT>'",
        ),
    ];
    for (args, message) in cases {
        let out = run_report(&server, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    }
}

#[tokio::test]
async fn the_api_answers_with_the_report_token_only() {
    let server = TestServer::start_with(ServerOptions {
        report_token: Some(ReportToken::new(REPORT_TOKEN).unwrap()),
        ..generous()
    })
    .await;
    fixture(&server).await;
    let kiosk = server.kiosk("10001").await;
    let url = server.url("/api/v1/reports?from=2026-03-01&to=2026-03-02&by=day");
    let get = |token: Option<&str>, url: String| {
        let mut req = server.client.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };

    expect_error(
        get(None, url.clone()).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let wrong = expect_error(
        get(Some("not-the-report-token-but-long-enough-x"), url.clone())
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(wrong.message, "wrong report token");
    // A terminal's token opens nothing here.
    expect_error(
        get(Some(&kiosk.token), url.clone()).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let resp = get(Some(REPORT_TOKEN), url.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: serde_json::Value = resp.json().await.unwrap();
    let built = report::build(&server.store, query(GroupBy::Day))
        .await
        .unwrap();
    assert_eq!(body, serde_json::to_value(&built).unwrap());
    assert_eq!(body["rows"][1]["day"], "2026-03-02");
    assert_eq!(body["rows"][1]["figures"]["rate_766"], 0.8);

    let resp = get(
        Some(REPORT_TOKEN),
        format!("{url}&format=csv&commune=10002"),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(
        text.contains("\nPhạm vi,\"Xã, phường 10002 - Phường Bình Minh\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\n2026-03-02,0,1,1,0,1,3,1,1,1,3,1,33.33,66.67,0\n"),
        "{text}"
    );

    let base = server.url("/api/v1/reports");
    let bad: [(&str, &str); 8] = [
        (
            "?from=2026-03-01&to=2026-03-02&by=week",
            "unknown grouping `week`",
        ),
        (
            "?from=2026-03-02&to=2026-03-01",
            "the first day 2026-03-02 is after the last day 2026-03-01",
        ),
        (
            "?from=2026-02-30&to=2026-03-01",
            "`from`: `2026-02-30` is not a day",
        ),
        ("?to=2026-03-01", "missing `from`"),
        (
            "?from=2026-03-01&to=2026-03-01&form=csv",
            "unknown parameter `form`",
        ),
        (
            "?from=2026-03-01&to=2026-03-01&format=xlsx",
            "unknown format `xlsx`",
        ),
        (
            "?from=2026-03-01&to=2026-03-01&include_flagged=yes",
            "`include_flagged` must be true or false",
        ),
        (
            "?from=2026-03-01&to=2026-03-01&commune=a%20b",
            "commune code `a b`",
        ),
    ];
    for (q, message) in bad {
        let body = expect_error(
            get(Some(REPORT_TOKEN), format!("{base}{q}")).await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
        assert!(body.message.contains(message), "{q}: {}", body.message);
    }
}

#[tokio::test]
async fn reports_are_refused_when_no_token_was_configured() {
    let server = TestServer::start().await;
    let resp = server
        .client
        .get(server.url("/api/v1/reports?from=2026-03-01&to=2026-03-02"))
        .bearer_auth(REPORT_TOKEN)
        .send()
        .await
        .unwrap();
    let body = expect_error(resp, StatusCode::FORBIDDEN, "reports_disabled").await;
    assert!(body.message.contains("--report-token-file"));
}

#[test]
fn report_tokens_must_be_long_and_plain() {
    assert!(ReportToken::new("short").is_err());
    assert!(ReportToken::new("a token with spaces in it that is long enough").is_err());
    let token = ReportToken::new(&format!("{REPORT_TOKEN}\n")).unwrap();
    assert!(token.matches(REPORT_TOKEN));
    assert!(!token.matches("r3port-t0ken-for-the-province-dashboardz"));
    assert_eq!(format!("{token:?}"), "ReportToken(<redacted>)");
}

/// Ratings stored before the report columns existed get them from their JSON when the
/// server starts (the migration's backfill).
#[tokio::test]
async fn the_migration_backfills_complaints_and_flags_from_the_stored_json() {
    const ROWS: [(&str, &str); 4] = [
        ("r1", r#"{"complaint":true,"flags":[]}"#),
        ("r2", r#"{"flags":["suspected_repeat"]}"#),
        ("r3", r#"{"flags":["dossier_repeat","newer_flag"]}"#),
        ("r4", r#"{"flags":[]}"#),
    ];
    const EXPECTED: [(&str, i64, i64, i64); 4] = [
        ("r1", 1, 0, 0),
        ("r2", 0, 1, 0),
        ("r3", 0, 0, 1),
        ("r4", 0, 0, 0),
    ];
    let insert_terminal = "INSERT INTO terminals (id, commune_code, name, created_at)
                           VALUES ('10001-001', '10001', 'Quầy 1', 0)";
    let insert_rating = |i: usize, id: &str, content: &str| {
        format!(
            "INSERT INTO ratings (id, terminal_id, seq, content, content_hash, commune_code,
                 stage, level, level_count, device_time, received_at, clock_suspect)
             VALUES ('{id}', '10001-001', {}, '{content}', 'h{i}', '10001', 'return', 3, 3,
                     '2026-03-01T08:00:00+07:00', 0, 0)",
            i + 1
        )
    };
    let select = "SELECT id, complaint, suspected_repeat, dossier_repeat FROM ratings ORDER BY id";
    if crate::POSTGRES {
        let db = super::support::PgTestDb::create().await;
        let client = super::support::connect(&db.config()).await;
        client
            .batch_execute(include_str!("../../migrations/postgres/0001_init.sql"))
            .await
            .unwrap();
        client
            .batch_execute(
                "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
                 INSERT INTO schema_migrations (version) VALUES (1);",
            )
            .await
            .unwrap();
        client.batch_execute(insert_terminal).await.unwrap();
        for (i, (id, content)) in ROWS.iter().enumerate() {
            client
                .batch_execute(&insert_rating(i, id, content))
                .await
                .unwrap();
        }
        hailong_server::PostgresStore::connect_config(db.config())
            .await
            .unwrap();
        let got: Vec<(String, i64, i64, i64)> = client
            .query(select, &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        let want: Vec<(String, i64, i64, i64)> = EXPECTED
            .iter()
            .map(|(id, a, b, c)| ((*id).to_owned(), *a, *b, *c))
            .collect();
        assert_eq!(got, want);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0002_tamper.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(insert_terminal).unwrap();
        for (i, (id, content)) in ROWS.iter().enumerate() {
            conn.execute_batch(&insert_rating(i, id, content)).unwrap();
        }
    }
    hailong_server::SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let got: Vec<(String, i64, i64, i64)> = conn
        .prepare(select)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let want: Vec<(String, i64, i64, i64)> = EXPECTED
        .iter()
        .map(|(id, a, b, c)| ((*id).to_owned(), *a, *b, *c))
        .collect();
    assert_eq!(got, want);
}
