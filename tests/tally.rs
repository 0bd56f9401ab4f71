//! Tallies on a fixture whose figures were worked out by hand (the working is in the comments):
//! counts per sentiment, the SIPAS share and the Decision 766 rate for the terminal and per
//! counter, staff member and field; reasons; flagged repeats left out by default and counted on
//! request; ratings per hour and per day in the terminal's offset; a day boundary in +07:00;
//! the 7- and 30-day ranges.
//!
//! The fixture is written through `Store::save`, in the order of the device clock, so the store
//! itself sets the repeat flags (the test asserts which ones it set).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use hailong::config::Stage;
use hailong::store::tally::{Figures, Tally, TallyQuery};
use hailong::store::{RatingDraft, Seal, SealCause, Store};
use hailong::survey::Level;
use tempfile::TempDir;
use uuid::Uuid;

/// One rating of the fixture.
struct Fixture {
    /// Device time of the tap, RFC 3339 (most in +07:00; one device clock in UTC).
    at: &'static str,
    counter: Option<&'static str>,
    staff: Option<&'static str>,
    field: Option<&'static str>,
    /// Levels of the scale (3, 4 or 5) and the level tapped.
    scale: u8,
    level: u8,
    dossier: Option<&'static str>,
    reasons: &'static [&'static str],
    /// The flags the store must set: (suspected repeat, dossier repeat).
    flags: (bool, bool),
}

const Q1: Option<&str> = Some("q1");
const Q2: Option<&str> = Some("q2");
const LAN: Option<&str> = Some("nv-lan");
const MINH: Option<&str> = Some("nv-minh");
const HO_TICH: Option<&str> = Some("ho-tich");
const DAT_DAI: Option<&str> = Some("dat-dai");
const CHUNG_THUC: Option<&str> = Some("chung-thuc");
const NO: (bool, bool) = (false, false);

/// The terminal's offset.
fn vn() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("offset")
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

/// "Today" of the fixture.
const TODAY: &str = "2026-03-20";

/// Sentiments, in the order of `Figures::by_sentiment`:
/// VU very unsatisfied, U unsatisfied, N neutral, S satisfied, VS very satisfied.
/// A 3-level scale is U / S / VS; a 4-level one U / N / S / VS; a 5-level one VU / U / N / S / VS.
#[rustfmt::skip]
const FIXTURE: &[Fixture] = &[
    // 2026-02-18 23:59:59 local: one second before the 30-day range opens. U.
    Fixture { at: "2026-02-18T23:59:59+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 1, dossier: None, reasons: &["cho-lau"], flags: NO },
    // 2026-02-19 00:00:00 local: the first moment of the 30-day range. S.
    Fixture { at: "2026-02-19T00:00:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 3, level: 2, dossier: None, reasons: &[], flags: NO },
    // 2026-03-01, a 4-level scale: N (level 2 of 4) and VS (level 4 of 4).
    Fixture { at: "2026-03-01T09:00:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 4, level: 2, dossier: None, reasons: &[], flags: NO },
    Fixture { at: "2026-03-01T09:30:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 4, level: 4, dossier: None, reasons: &[], flags: NO },
    // 2026-03-13 23:59 local: one minute before the 7-day range opens. S.
    Fixture { at: "2026-03-13T23:59:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 3, level: 2, dossier: None, reasons: &[], flags: NO },
    // 2026-03-14, first day of the 7-day range. VS.
    Fixture { at: "2026-03-14T07:30:00+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 3, dossier: Some("HS-140"), reasons: &[], flags: NO },
    // Yesterday: U at 10:00, S at 23:55 (five minutes before today begins).
    Fixture { at: "2026-03-19T10:00:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 3, level: 1, dossier: Some("HS-102"), reasons: &["cho-lau"], flags: NO },
    Fixture { at: "2026-03-19T23:55:00+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 2, dossier: Some("HS-101"), reasons: &[], flags: NO },
    // Today, 2026-03-20.
    // r1 06:30 local, from a device clock set to UTC: 2026-03-19 23:30 UTC. Today, hour 6. VS.
    Fixture { at: "2026-03-19T23:30:00+00:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 3, dossier: Some("HS-001"), reasons: &[], flags: NO },
    // r2 08:05 S.
    Fixture { at: "2026-03-20T08:05:00+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 2, dossier: Some("HS-002"), reasons: &[], flags: NO },
    // r3 08:40:00 U, two reasons.
    Fixture { at: "2026-03-20T08:40:00+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 1, dossier: Some("HS-003"), reasons: &["cho-lau", "thai-do"], flags: NO },
    // r4 08:40:10 U at the same counter 10 s after r3 (interval 20 s): suspected repeat.
    Fixture { at: "2026-03-20T08:40:10+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 1, dossier: None, reasons: &["cho-lau"], flags: (true, false) },
    // r5 09:15 VS.
    Fixture { at: "2026-03-20T09:15:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 3, level: 3, dossier: Some("HS-004"), reasons: &[], flags: NO },
    // r6 09:50 N on the 5-level scale.
    Fixture { at: "2026-03-20T09:50:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 5, level: 3, dossier: Some("HS-005"), reasons: &[], flags: NO },
    // r7 10:20 U (level 2 of 5), no dossier code.
    Fixture { at: "2026-03-20T10:20:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 5, level: 2, dossier: None, reasons: &["khac"], flags: NO },
    // r8 10:45 VS (5 of 5).
    Fixture { at: "2026-03-20T10:45:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 5, level: 5, dossier: Some("HS-006"), reasons: &[], flags: NO },
    // r9 11:30 U for HS-002 again, in another field: dossier repeat.
    Fixture { at: "2026-03-20T11:30:00+07:00", counter: Q1, staff: LAN, field: CHUNG_THUC, scale: 3, level: 1, dossier: Some("HS-002"), reasons: &["tre-hen"], flags: (false, true) },
    // r10 14:00 VS with no counter, staff or field.
    Fixture { at: "2026-03-20T14:00:00+07:00", counter: None, staff: None, field: None, scale: 3, level: 3, dossier: None, reasons: &[], flags: NO },
    // r11 14:30 VU (1 of 5) at q1 while nv-minh is on duty there.
    Fixture { at: "2026-03-20T14:30:00+07:00", counter: Q1, staff: MINH, field: HO_TICH, scale: 5, level: 1, dossier: Some("HS-007"), reasons: &["cho-lau", "khac"], flags: NO },
    // r12 15:10 S (4 of 5), no dossier code.
    Fixture { at: "2026-03-20T15:10:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 5, level: 4, dossier: None, reasons: &[], flags: NO },
    // r13 16:45 U.
    Fixture { at: "2026-03-20T16:45:00+07:00", counter: Q2, staff: MINH, field: DAT_DAI, scale: 3, level: 1, dossier: Some("HS-008"), reasons: &["thu-tuc"], flags: NO },
    // r14 23:50 VS, late but still today.
    Fixture { at: "2026-03-20T23:50:00+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 3, dossier: None, reasons: &[], flags: NO },
    // Tomorrow 00:10 local (17:10 UTC today): not today. VS.
    Fixture { at: "2026-03-21T00:10:00+07:00", counter: Q1, staff: LAN, field: HO_TICH, scale: 3, level: 3, dossier: None, reasons: &[], flags: NO },
];

fn question_set(scale: u8) -> &'static str {
    match scale {
        3 => "nhanh-3",
        4 => "bon-muc",
        _ => "sipas-5",
    }
}

fn draft(fixture: &Fixture) -> RatingDraft {
    let at = DateTime::parse_from_rfc3339(fixture.at).expect("fixture time");
    RatingDraft {
        id: Uuid::now_v7(),
        terminal_id: "t-tally".to_owned(),
        commune_code: "00004".to_owned(),
        counter_id: fixture.counter.map(str::to_owned),
        staff_id: fixture.staff.map(str::to_owned),
        field_id: fixture.field.map(str::to_owned),
        dossier_code: fixture.dossier.map(str::to_owned),
        stage: Stage::Return,
        question_set_id: question_set(fixture.scale).to_owned(),
        question_set_version: 1,
        level: Level::new(fixture.level, fixture.scale).expect("fixture level"),
        answers: Vec::new(),
        reasons: fixture.reasons.iter().map(|r| (*r).to_owned()).collect(),
        language: "vi".to_owned(),
        device_time: at,
        feedback: Default::default(),
    }
}

/// A store holding the fixture, plus one unsealed draft today (never counted).
fn store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let now = DateTime::parse_from_rfc3339("2026-03-21T08:00:00+07:00").expect("now");
    let (mut store, _) = Store::open(&dir.path().join("hailong.db"), now).expect("open");
    for fixture in FIXTURE {
        let draft = draft(fixture);
        let seal = Seal {
            cause: SealCause::Completed,
            at: draft.device_time + TimeDelta::seconds(5),
            repeat_interval: Duration::from_secs(20),
        };
        let saved = store.save(&draft, Some(&seal)).expect("save");
        assert_eq!(
            (saved.flags.suspected_repeat, saved.flags.dossier_repeat),
            fixture.flags,
            "flags of the rating at {}",
            fixture.at
        );
    }
    let unsealed = draft(&Fixture {
        at: "2026-03-20T12:00:00+07:00",
        counter: Q1,
        staff: LAN,
        field: HO_TICH,
        scale: 3,
        level: 1,
        dossier: None,
        reasons: &["cho-lau"],
        flags: NO,
    });
    store.save(&unsealed, None).expect("draft");
    (dir, store)
}

fn figures(by_sentiment: [u64; 5], dossiers: u64, dossiers_against: u64) -> Figures {
    Figures {
        total: by_sentiment.iter().sum(),
        by_sentiment,
        satisfied: by_sentiment[3] + by_sentiment[4],
        negative: by_sentiment[0] + by_sentiment[1],
        dossiers,
        dossiers_against,
    }
}

fn map<V: Clone>(entries: &[(&str, V)]) -> BTreeMap<String, V> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn today(include_flagged: bool) -> Tally {
    let (_dir, store) = store();
    let mut query = TallyQuery::day(day(TODAY), vn());
    query.include_flagged = include_flagged;
    store.tally(&query).expect("tally")
}

// Today, flagged ratings left out (the default).
//
// Today's sealed ratings: r1..r14. Flagged: r4 (suspected repeat), r9 (dossier repeat), so
// flagged = 2 and 12 are counted: r1 r2 r3 r5 r6 r7 r8 r10 r11 r12 r13 r14. Not counted: the
// unsealed draft at 12:00, yesterday's 23:55 and tomorrow's 00:10.
//
// Sentiments of the counted ones:
//   VU: r11                      = 1
//   U:  r3 r7 r13                = 3
//   N:  r6                       = 1
//   S:  r2 r12                   = 2
//   VS: r1 r5 r8 r10 r14         = 5      total 12
// SIPAS share = (S + VS) / total = (2 + 5) / 12 = 7/12 = 58.33 %.
// Dossiers: codes HS-001 002 003 004 005 006 007 008 (8) + r7 r10 r12 r14 without a code, one
// dossier each (4) = 12. Against (a negative rating): HS-003 (r3), r7, HS-007 (r11),
// HS-008 (r13) = 4. Decision 766 rate = (12 − 4) / 12 = 8/12 = 66.67 %.
#[test]
fn todays_whole_terminal_figures_leave_flagged_ratings_out() {
    let tally = today(false);
    assert_eq!(tally.flagged, 2);
    assert_eq!(tally.all, figures([1, 3, 1, 2, 5], 12, 4));
    assert_eq!(tally.all.sipas_share(), Some(7.0 / 12.0));
    assert_eq!(tally.all.rate_766(), Some(8.0 / 12.0));
    // Counts per level as stored: 3-level r3 r13 = 1/3 (2), r2 = 2/3 (1), r1 r5 r10 r14 =
    // 3/3 (4); 5-level r11 1/5, r7 2/5, r6 3/5, r12 4/5, r8 5/5 (1 each). 7 + 5 = 12.
    assert_eq!(
        tally.by_level,
        map(&[
            ("1/3", 2),
            ("1/5", 1),
            ("2/3", 1),
            ("2/5", 1),
            ("3/3", 4),
            ("3/5", 1),
            ("4/5", 1),
            ("5/5", 1),
        ])
    );
    assert_eq!(tally.per_day, vec![(day(TODAY), 12, 7)]);
}

// Per group, flagged left out.
//
// Counter q1: r1 VS, r2 S, r3 U, r11 VU, r14 VS = 5 → [1,1,0,1,2]; SIPAS 3/5 = 60 %.
//   Dossiers HS-001 HS-002 HS-003 HS-007 + r14 = 5; against HS-003 HS-007 = 2;
//   766 = (5 − 2)/5 = 60 %.
// Counter q2: r5 VS, r6 N, r7 U, r8 VS, r12 S, r13 U = 6 → [0,2,1,1,2]; SIPAS 3/6 = 50 %.
//   Dossiers HS-004 HS-005 r7 HS-006 r12 HS-008 = 6; against r7 HS-008 = 2; 766 = 4/6 = 66.67 %.
// No counter (""): r10 VS → [0,0,0,0,1]; SIPAS 1/1; 766 1/1.        5 + 6 + 1 = 12.
//
// Staff nv-lan: r1 VS, r2 S, r3 U, r14 VS = 4 → [0,1,0,1,2]; SIPAS 3/4 = 75 %.
//   Dossiers HS-001 HS-002 HS-003 r14 = 4; against HS-003 = 1; 766 = 3/4 = 75 %.
// Staff nv-minh: r5 VS, r6 N, r7 U, r8 VS, r11 VU, r12 S, r13 U = 7 → [1,2,1,1,2];
//   SIPAS 3/7 = 42.86 %. Dossiers 7 (all distinct); against r7 r11 r13 = 3; 766 = 4/7 = 57.14 %.
// No staff (""): r10.                                                 4 + 7 + 1 = 12.
//
// Field ho-tich: r1 r2 r3 r11 r14, the same ratings as q1 → as q1. (r9, the only chung-thuc
// rating, is flagged: the field does not appear.)
// Field dat-dai: r5 r6 r7 r8 r12 r13, the same as q2 → as q2. No field (""): r10.
#[test]
fn todays_figures_per_counter_staff_member_and_field() {
    let tally = today(false);
    let q1 = figures([1, 1, 0, 1, 2], 5, 2);
    let q2 = figures([0, 2, 1, 1, 2], 6, 2);
    let none = figures([0, 0, 0, 0, 1], 1, 0);
    assert_eq!(
        tally.by_counter,
        map(&[("", none.clone()), ("q1", q1.clone()), ("q2", q2.clone())])
    );
    assert_eq!(tally.by_counter["q1"].sipas_share(), Some(3.0 / 5.0));
    assert_eq!(tally.by_counter["q1"].rate_766(), Some(3.0 / 5.0));
    assert_eq!(tally.by_counter["q2"].sipas_share(), Some(3.0 / 6.0));
    assert_eq!(tally.by_counter["q2"].rate_766(), Some(4.0 / 6.0));
    assert_eq!(tally.by_counter[""].sipas_share(), Some(1.0));
    assert_eq!(tally.by_counter[""].rate_766(), Some(1.0));

    let lan = figures([0, 1, 0, 1, 2], 4, 1);
    let minh = figures([1, 2, 1, 1, 2], 7, 3);
    assert_eq!(
        tally.by_staff,
        map(&[("", none.clone()), ("nv-lan", lan), ("nv-minh", minh)])
    );
    assert_eq!(tally.by_staff["nv-lan"].sipas_share(), Some(3.0 / 4.0));
    assert_eq!(tally.by_staff["nv-lan"].rate_766(), Some(3.0 / 4.0));
    assert_eq!(tally.by_staff["nv-minh"].sipas_share(), Some(3.0 / 7.0));
    assert_eq!(tally.by_staff["nv-minh"].rate_766(), Some(4.0 / 7.0));

    assert_eq!(
        tally.by_field,
        map(&[("", none), ("dat-dai", q2), ("ho-tich", q1)])
    );
}

// Reasons, flagged left out: r3 cho-lau thai-do; r7 khac; r11 cho-lau khac; r13 thu-tuc
// → cho-lau 2, khac 2, thai-do 1, thu-tuc 1. (r4's cho-lau and r9's tre-hen are flagged; the
// unsealed draft's cho-lau is not a rating yet.)
#[test]
fn reasons_are_counted_per_rating_that_gave_them() {
    let tally = today(false);
    assert_eq!(
        tally.reasons,
        map(&[("cho-lau", 2), ("khac", 2), ("thai-do", 1), ("thu-tuc", 1)])
    );
}

// Ratings per hour in the terminal's offset, by sentiment [VU, U, N, S, VS], flagged left out:
//   06: r1 VS (stored as 23:30 UTC the day before)   → [0,0,0,0,1]
//   08: r2 S, r3 U                                   → [0,1,0,1,0]
//   09: r5 VS, r6 N                                  → [0,0,1,0,1]
//   10: r7 U, r8 VS                                  → [0,1,0,0,1]
//   14: r10 VS, r11 VU                               → [1,0,0,0,1]
//   15: r12 S                                        → [0,0,0,1,0]
//   16: r13 U                                        → [0,1,0,0,0]
//   23: r14 VS                                       → [0,0,0,0,1]
//   every other hour                                 → zeros
#[test]
fn ratings_per_hour_are_in_the_terminals_offset() {
    let tally = today(false);
    let mut expected = vec![[0_u64; 5]; 24];
    expected[6] = [0, 0, 0, 0, 1];
    expected[8] = [0, 1, 0, 1, 0];
    expected[9] = [0, 0, 1, 0, 1];
    expected[10] = [0, 1, 0, 0, 1];
    expected[14] = [1, 0, 0, 0, 1];
    expected[15] = [0, 0, 0, 1, 0];
    expected[16] = [0, 1, 0, 0, 0];
    expected[23] = [0, 0, 0, 0, 1];
    assert_eq!(tally.per_hour, expected);
}

// Today with flagged ratings counted: add r4 (U, no code, cho-lau) and r9 (U, HS-002,
// tre-hen, field chung-thuc).
//   Sentiments [1, 3+2, 1, 2, 5] = [1,5,1,2,5], total 14; SIPAS 7/14 = 50 %.
//   Dossiers: 12 + r4 = 13 (r9's HS-002 is r2's dossier: one dossier rated twice counts once).
//   Against: the 4 before + r4 + HS-002 (now with r9's negative rating) = 6;
//   766 = (13 − 6)/13 = 7/13 = 53.85 %.
// q1 gains r4 and r9: [1,3,0,1,2] = 7 ratings, dossiers 5 + r4 = 6, against 2 + r4 + HS-002 = 4,
//   SIPAS 3/7, 766 2/6.
// nv-lan gains r4 and r9: [0,3,0,1,2] = 6, dossiers 4 + r4 = 5, against 1 + 2 = 3; 766 2/5.
// Field chung-thuc appears: r9 alone → [0,1,0,0,0], dossiers 1, against 1; SIPAS 0, 766 0.
// Field ho-tich gains r4 only: [1,2,0,1,2], dossiers 6, against 3.
// Reasons: cho-lau 2 + 1 = 3, tre-hen 1.
#[test]
fn flagged_ratings_are_counted_on_request() {
    let tally = today(true);
    assert_eq!(tally.flagged, 2);
    assert_eq!(tally.all, figures([1, 5, 1, 2, 5], 13, 6));
    assert_eq!(tally.all.sipas_share(), Some(7.0 / 14.0));
    assert_eq!(tally.all.rate_766(), Some(7.0 / 13.0));
    assert_eq!(tally.by_counter["q1"], figures([1, 3, 0, 1, 2], 6, 4));
    assert_eq!(tally.by_counter["q1"].sipas_share(), Some(3.0 / 7.0));
    assert_eq!(tally.by_counter["q1"].rate_766(), Some(2.0 / 6.0));
    assert_eq!(tally.by_staff["nv-lan"], figures([0, 3, 0, 1, 2], 5, 3));
    assert_eq!(tally.by_staff["nv-lan"].rate_766(), Some(2.0 / 5.0));
    assert_eq!(tally.by_field["chung-thuc"], figures([0, 1, 0, 0, 0], 1, 1));
    assert_eq!(tally.by_field["chung-thuc"].sipas_share(), Some(0.0));
    assert_eq!(tally.by_field["chung-thuc"].rate_766(), Some(0.0));
    assert_eq!(tally.by_field["ho-tich"], figures([1, 2, 0, 1, 2], 6, 3));
    assert_eq!(tally.reasons["cho-lau"], 3);
    assert_eq!(tally.reasons["tre-hen"], 1);
    assert_eq!(tally.per_hour[8], [0, 2, 0, 1, 0]);
    assert_eq!(tally.per_hour[11], [0, 1, 0, 0, 0]);
    assert_eq!(tally.per_day, vec![(day(TODAY), 14, 7)]);
}

// The day boundary in +07:00: 2026-03-19 keeps its 23:55 rating (S) and its 10:00 one (U), but
// not r1 (06:30 on the 20th, though 23:30 UTC on the 19th). 2026-03-21 has only the 00:10 one,
// which is 17:10 UTC on the 20th. 2026-02-18 has only its 23:59:59.
#[test]
fn days_are_cut_at_local_midnight() {
    let (_dir, store) = store();
    let yesterday = store
        .tally(&TallyQuery::day(day("2026-03-19"), vn()))
        .expect("tally");
    assert_eq!(yesterday.all, figures([0, 1, 0, 1, 0], 2, 1));
    assert_eq!(yesterday.per_hour[10], [0, 1, 0, 0, 0]);
    assert_eq!(yesterday.per_hour[23], [0, 0, 0, 1, 0]);
    assert_eq!(yesterday.per_hour[6], [0; 5]);

    let tomorrow = store
        .tally(&TallyQuery::day(day("2026-03-21"), vn()))
        .expect("tally");
    assert_eq!(tomorrow.all, figures([0, 0, 0, 0, 1], 1, 0));
    assert_eq!(tomorrow.per_hour[0], [0, 0, 0, 0, 1]);

    let before = store
        .tally(&TallyQuery::day(day("2026-02-18"), vn()))
        .expect("tally");
    assert_eq!(before.all, figures([0, 1, 0, 0, 0], 1, 1));

    // The same day read in UTC takes r1 (23:30 UTC) and the 23:55 rating moves to the 19th
    // 16:55 UTC, still the 19th; the 10:00 one is 03:00 UTC.
    let utc = FixedOffset::east_opt(0).expect("utc");
    let in_utc = store
        .tally(&TallyQuery::day(day("2026-03-19"), utc))
        .expect("tally");
    assert_eq!(in_utc.all, figures([0, 1, 0, 1, 1], 3, 1));
    assert_eq!(in_utc.per_hour[23], [0, 0, 0, 0, 1]);
}

// The last 7 days, 2026-03-14 to 2026-03-20 (flagged left out):
//   03-14 HS-140 VS; 03-19 HS-102 U and HS-101 S; today's 12 [1,3,1,2,5].
//   (03-13 23:59 is outside; so is tomorrow.)
//   Sentiments [1, 3+1, 1, 2+1, 5+1] = [1,4,1,3,6], total 15; SIPAS 9/15 = 60 %.
//   Dossiers 12 + HS-140 + HS-102 + HS-101 = 15; against 4 + HS-102 = 5; 766 = 10/15 = 66.67 %.
//   Per day: 03-14 (1, 1), 03-15..03-18 (0, 0), 03-19 (2, 1), 03-20 (12, 7).
#[test]
fn the_last_seven_days() {
    let (_dir, store) = store();
    let tally = store
        .tally(&TallyQuery::last_days(day(TODAY), 7, vn()))
        .expect("tally");
    assert_eq!(tally.flagged, 2);
    assert_eq!(tally.all, figures([1, 4, 1, 3, 6], 15, 5));
    assert_eq!(tally.all.sipas_share(), Some(9.0 / 15.0));
    assert_eq!(tally.all.rate_766(), Some(10.0 / 15.0));
    assert_eq!(
        tally.per_day,
        vec![
            (day("2026-03-14"), 1, 1),
            (day("2026-03-15"), 0, 0),
            (day("2026-03-16"), 0, 0),
            (day("2026-03-17"), 0, 0),
            (day("2026-03-18"), 0, 0),
            (day("2026-03-19"), 2, 1),
            (day("2026-03-20"), 12, 7),
        ]
    );
}

// The last 30 days, 2026-02-19 to 2026-03-20 (flagged left out): the 7 days' 15 ratings plus
//   02-19 00:00:00 S, 03-01 N (2 of 4) and VS (4 of 4), 03-13 23:59 S; not 02-18 23:59:59.
//   Sentiments [1, 4, 1+1, 3+1+1, 6+1] = [1,4,2,5,7], total 19; SIPAS 12/19 = 63.16 %.
//   Dossiers 15 + 4 without a code = 19; against 5; 766 = 14/19 = 73.68 %.
//   q2 over 30 days: today's [0,2,1,1,2] + 03-19 U + 02-19 S + 03-01 N, VS + 03-13 S
//   = [0,3,2,3,3] = 11; dossiers 6 + 5 = 11; against 2 + HS-102 = 3; SIPAS 6/11, 766 8/11.
#[test]
fn the_last_thirty_days() {
    let (_dir, store) = store();
    let tally = store
        .tally(&TallyQuery::last_days(day(TODAY), 30, vn()))
        .expect("tally");
    assert_eq!(tally.all, figures([1, 4, 2, 5, 7], 19, 5));
    assert_eq!(tally.all.sipas_share(), Some(12.0 / 19.0));
    assert_eq!(tally.all.rate_766(), Some(14.0 / 19.0));
    assert_eq!(tally.by_counter["q2"], figures([0, 3, 2, 3, 3], 11, 3));
    assert_eq!(tally.by_counter["q2"].sipas_share(), Some(6.0 / 11.0));
    assert_eq!(tally.by_counter["q2"].rate_766(), Some(8.0 / 11.0));
    assert_eq!(tally.by_level["2/4"], 1);
    assert_eq!(tally.by_level["4/4"], 1);
    assert_eq!(tally.per_day.len(), 30);
    assert_eq!(tally.per_day[0], (day("2026-02-19"), 1, 1));
    assert_eq!(tally.per_day[10], (day("2026-03-01"), 2, 1));
    assert_eq!(tally.per_day[22], (day("2026-03-13"), 1, 1));
    assert_eq!(tally.per_day[29], (day(TODAY), 12, 7));
    let counted: u64 = tally.per_day.iter().map(|(_, n, _)| n).sum();
    assert_eq!(counted, 19);
}

#[test]
fn a_day_without_ratings_has_no_shares() {
    let (_dir, store) = store();
    let tally = store
        .tally(&TallyQuery::day(day("2026-03-16"), vn()))
        .expect("tally");
    assert_eq!(tally.all, Figures::default());
    assert_eq!(tally.all.sipas_share(), None);
    assert_eq!(tally.all.rate_766(), None);
    assert_eq!(tally.flagged, 0);
    assert!(tally.by_counter.is_empty());
    assert_eq!(tally.per_hour, vec![[0; 5]; 24]);
}

#[test]
fn the_ratings_of_a_range_are_listed_in_time_order_as_counted() {
    let (_dir, store) = store();
    let query = TallyQuery::day(day(TODAY), vn());
    let listed = store.ratings_in(&query).expect("ratings");
    assert_eq!(listed.len(), 12);
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].draft.device_time <= w[1].draft.device_time)
    );
    assert!(listed.iter().all(|r| !r.flags.suspected_repeat));
    let with_flagged = store
        .ratings_in(&TallyQuery {
            include_flagged: true,
            ..query
        })
        .expect("ratings");
    assert_eq!(with_flagged.len(), 14);
    assert_eq!(
        with_flagged
            .iter()
            .filter(|r| r.flags.dossier_repeat || r.flags.suspected_repeat)
            .count(),
        2
    );
}

// The tally reads a range of days as a run of rowids (ratings are stored in tap order): a
// device clock set back or far ahead must still land each rating on its own day.
#[test]
fn ratings_out_of_clock_order_still_count_on_their_days() {
    let dir = tempfile::tempdir().expect("temp dir");
    let now = DateTime::parse_from_rfc3339("2026-03-21T08:00:00+07:00").expect("now");
    let (mut store, _) = Store::open(&dir.path().join("hailong.db"), now).expect("open");
    // Saved in this order: a VS today, a U "in 2027" (clock far ahead), an S "in 2025"
    // (clock set back), a VS today again, and a U today tapped before the first one.
    let saved = [
        ("2026-03-20T10:00:00+07:00", 3),
        ("2027-01-01T10:00:00+07:00", 1),
        ("2025-06-01T10:00:00+07:00", 2),
        ("2026-03-20T11:00:00+07:00", 3),
        ("2026-03-20T09:00:00+07:00", 1),
    ];
    for (at, level) in saved {
        let draft = draft(&Fixture {
            at,
            counter: Q1,
            staff: LAN,
            field: HO_TICH,
            scale: 3,
            level,
            dossier: None,
            reasons: &[],
            flags: NO,
        });
        let seal = Seal {
            cause: SealCause::Completed,
            at: draft.device_time,
            repeat_interval: Duration::ZERO,
        };
        store.save(&draft, Some(&seal)).expect("save");
    }
    let count = |date: &str| {
        store
            .tally(&TallyQuery::day(day(date), vn()))
            .expect("tally")
            .all
    };
    // Today: U 09:00, VS 10:00, VS 11:00 → [0,1,0,0,2]; 3 dossiers, 1 against.
    assert_eq!(count(TODAY), figures([0, 1, 0, 0, 2], 3, 1));
    assert_eq!(count("2027-01-01"), figures([0, 1, 0, 0, 0], 1, 1));
    assert_eq!(count("2025-06-01"), figures([0, 0, 0, 1, 0], 1, 0));
    let year = store
        .tally(&TallyQuery {
            from: day("2025-01-01"),
            to: day("2027-12-31"),
            offset: vn(),
            include_flagged: false,
        })
        .expect("tally");
    assert_eq!(year.all.total, 5);
}

// Complaints and the Decision 766 rate, on a store of their own (2026-04-02, +07:00):
//   c1 VS  HS-C1  complaint        → a dossier against (satisfied, but a complaint)
//   c2 VS  HS-C2                   → for
//   c3 U   HS-C3  complaint        → against (once: negative and a complaint)
//   c4 S   no code, complaint with a call-back number → against
//   c5 S   HS-C2 again, 40 min later (a dossier repeat: flagged, left out)
// Counted: c1..c4. SIPAS = (S + VS) / total = 3/4: a complaint does not change the level.
// Dossiers: HS-C1, HS-C2, HS-C3, c4 = 4; against: HS-C1, HS-C3, c4 = 3.
// Decision 766 rate = (4 − 3) / 4 = 25 %.
#[test]
fn a_complaint_counts_the_dossier_against_the_766_rate_whatever_the_level() {
    use hailong::store::Feedback;
    use hailong_protocol::Callback;

    let dir = tempfile::tempdir().expect("temp dir");
    let now = DateTime::parse_from_rfc3339("2026-04-03T08:00:00+07:00").expect("now");
    let (mut store, _) = Store::open(&dir.path().join("hailong.db"), now).expect("open");
    let ratings: [(&str, u8, Option<&str>, bool, bool); 5] = [
        ("2026-04-02T08:00:00+07:00", 3, Some("HS-C1"), true, false),
        ("2026-04-02T08:30:00+07:00", 3, Some("HS-C2"), false, false),
        ("2026-04-02T09:00:00+07:00", 1, Some("HS-C3"), true, false),
        ("2026-04-02T09:30:00+07:00", 2, None, true, true),
        ("2026-04-02T09:10:00+07:00", 2, Some("HS-C2"), false, false),
    ];
    for (at, level, dossier, complaint, callback) in ratings {
        let mut draft = draft(&Fixture {
            at,
            counter: Q1,
            staff: LAN,
            field: HO_TICH,
            scale: 3,
            level,
            dossier,
            reasons: &[],
            flags: NO,
        });
        draft.feedback = Feedback {
            comment: complaint.then(|| "Chờ lâu quá".to_owned()),
            complaint,
            callback: callback.then(|| Callback {
                phone: "0912345678".to_owned(),
                consent_version: "pakn-2026-01:vi".to_owned(),
            }),
        };
        let seal = Seal {
            cause: SealCause::Completed,
            at: draft.device_time + TimeDelta::seconds(5),
            repeat_interval: Duration::from_secs(20),
        };
        let _ = store.save(&draft, Some(&seal)).expect("save");
    }
    let tally = store
        .tally(&TallyQuery::day(day("2026-04-02"), vn()))
        .expect("tally");
    assert_eq!(tally.flagged, 1, "the second rating of HS-C2");
    assert_eq!(tally.all, figures([0, 1, 0, 1, 2], 4, 3));
    assert_eq!(tally.all.sipas_share(), Some(3.0 / 4.0));
    assert_eq!(tally.all.rate_766(), Some(1.0 / 4.0));
    assert_eq!(tally.complaints, 3, "c1, c3, c4");
}
