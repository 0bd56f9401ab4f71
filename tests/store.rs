//! The rating store on real SQLite files: sequence numbers given only at sealing, idempotent
//! retries, sealed rows that cannot change, repeat flags, recovery of drafts, damaged and
//! unusable files, a full disk, and the writer thread the screens use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta};
use futures::executor::block_on;
use hailong::config::Stage;
use hailong::store::{
    Answer, RatingDraft, Saved, Seal, SealCause, Store, StoreError, StoredRating, Writer,
};
use hailong::survey::Level;
use tempfile::TempDir;
use uuid::Uuid;

const TERMINAL: &str = "t-test";
/// The demo's repeat interval.
const REPEAT_SECS: u64 = 20;

fn t0() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-03-10T09:00:00+07:00").expect("fixed time")
}

/// `secs` seconds after [`t0`].
fn at(secs: i64) -> DateTime<FixedOffset> {
    t0() + TimeDelta::seconds(secs)
}

fn draft(counter: Option<&str>, tapped: DateTime<FixedOffset>) -> RatingDraft {
    RatingDraft {
        id: Uuid::now_v7(),
        terminal_id: TERMINAL.to_owned(),
        commune_code: "00004".to_owned(),
        counter_id: counter.map(str::to_owned),
        staff_id: Some("nv-lan".to_owned()),
        field_id: Some("ho-tich".to_owned()),
        dossier_code: None,
        stage: Stage::Return,
        question_set_id: "nhanh-3".to_owned(),
        question_set_version: 1,
        level: Level::new(3, 3).expect("level"),
        answers: Vec::new(),
        reasons: Vec::new(),
        language: "vi".to_owned(),
        device_time: tapped,
        feedback: Default::default(),
    }
}

fn seal(cause: SealCause, when: DateTime<FixedOffset>) -> Seal {
    Seal {
        cause,
        at: when,
        repeat_interval: Duration::from_secs(REPEAT_SECS),
    }
}

/// Saves `draft` sealed as completed a few seconds after it was tapped.
fn save_sealed(store: &mut Store, draft: &RatingDraft) -> Saved {
    let when = draft.device_time + TimeDelta::seconds(3);
    store
        .save(draft, Some(&seal(SealCause::Completed, when)))
        .expect("save sealed")
}

fn temp() -> TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn db(dir: &TempDir) -> PathBuf {
    dir.path().join("hailong.db")
}

fn open(path: &Path) -> Store {
    let (store, report) = Store::open(path, t0()).expect("open store");
    assert_eq!(report.moved_aside, None, "a sound database was moved aside");
    store
}

fn stored(store: &Store, id: Uuid) -> StoredRating {
    store.rating(id).expect("read").expect("rating present")
}

/// File names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A tiny xorshift, enough to make garbage bytes.
fn garbage(len: usize, mut state: u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// Log lines written while `f` runs on this thread.
fn with_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log sink").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&sink.0.lock().expect("log sink")).into_owned();
    (out, text)
}

/// Whether this process ignores file permissions (root in a container): read-only cases
/// cannot be staged then.
fn permissions_are_ignored(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let probe = dir.join("probe");
    std::fs::create_dir(&probe).expect("probe dir");
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let ignored = std::fs::write(probe.join("file"), b"x").is_ok();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::remove_dir_all(&probe).expect("remove probe");
    ignored
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

// ---- sequence numbers, sealing, idempotence -------------------------------------------------

#[test]
fn sequence_is_given_only_at_sealing_and_grows_per_terminal() {
    let dir = temp();
    let mut store = open(&db(&dir));

    let mut first = draft(Some("q1"), at(0));
    first.level = Level::new(1, 3).expect("level");
    let saved = store.save(&first, None).expect("save draft");
    assert_eq!(saved.seq, None);
    assert_eq!(stored(&store, first.id).seq, None);
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), 0);
    assert!(!store.is_sealed(first.id).expect("is sealed"));
    assert!(
        store
            .sealed_after(TERMINAL, 0, 10)
            .expect("sealed")
            .is_empty()
    );

    // Follow-ups update the same draft; still no number.
    first.reasons = vec!["cho-lau".to_owned(), "thai-do".to_owned()];
    first.answers = vec![Answer {
        criterion_id: "tt01-7".to_owned(),
        value: 2,
        points: 1,
    }];
    first.dossier_code = Some("HS-0001".to_owned());
    assert_eq!(store.save(&first, None).expect("update draft").seq, None);
    let row = stored(&store, first.id);
    assert_eq!(row.draft, first);
    assert_eq!(row.seq, None);
    assert_eq!(row.sealed_at, None);
    assert_eq!(row.seal_cause, None);
    let counts = store.counts().expect("counts");
    assert_eq!((counts.sealed, counts.drafts), (0, 1));

    let sealed = store
        .save(&first, Some(&seal(SealCause::Completed, at(40))))
        .expect("seal");
    assert_eq!(sealed.seq, Some(1));
    let row = stored(&store, first.id);
    assert_eq!(row.seq, Some(1));
    assert_eq!(row.sealed_at, Some(at(40)));
    assert_eq!(row.seal_cause, Some(SealCause::Completed));
    assert_eq!(row.draft, first);

    let second = draft(Some("q2"), at(100));
    let third = draft(Some("q1"), at(200));
    assert_eq!(save_sealed(&mut store, &second).seq, Some(2));
    assert_eq!(save_sealed(&mut store, &third).seq, Some(3));
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), 3);

    // Another terminal has its own sequence.
    let mut other = draft(Some("q1"), at(300));
    other.terminal_id = "t-other".to_owned();
    assert_eq!(save_sealed(&mut store, &other).seq, Some(1));
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), 3);

    let order: Vec<(Uuid, Option<u64>)> = store
        .sealed_after(TERMINAL, 0, 10)
        .expect("sealed")
        .into_iter()
        .map(|r| (r.draft.id, r.seq))
        .collect();
    assert_eq!(
        order,
        [
            (first.id, Some(1)),
            (second.id, Some(2)),
            (third.id, Some(3))
        ]
    );
    assert_eq!(
        store.sealed_after(TERMINAL, 2, 10).expect("after 2").len(),
        1
    );
    let counts = store.counts().expect("counts");
    assert_eq!((counts.sealed, counts.drafts), (4, 0));
    assert_eq!(counts.by_level.get("1/3"), Some(&1));
    assert_eq!(counts.by_level.get("3/3"), Some(&3));

    // Numbers survive closing and reopening.
    drop(store);
    let mut store = open(&db(&dir));
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), 3);
    assert_eq!(
        save_sealed(&mut store, &draft(Some("q1"), at(400))).seq,
        Some(4)
    );
}

#[test]
fn resaving_a_sealed_rating_is_idempotent() {
    let dir = temp();
    let mut store = open(&db(&dir));
    let rating = draft(Some("q1"), at(0));
    let first = save_sealed(&mut store, &rating);
    assert_eq!(first.seq, Some(1));
    let before = stored(&store, rating.id);

    // The same rating again, as after a lost acknowledgement: same answer, nothing changes,
    // whatever the seal of the retry says.
    assert_eq!(save_sealed(&mut store, &rating), first);
    let late = seal(SealCause::Idle, at(500));
    assert_eq!(store.save(&rating, Some(&late)).expect("retry"), first);
    assert_eq!(store.save(&rating, None).expect("retry as draft"), first);

    assert_eq!(stored(&store, rating.id), before);
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), 1);
    assert_eq!(store.counts().expect("counts").sealed, 1);
    assert_eq!(
        save_sealed(&mut store, &draft(Some("q1"), at(100))).seq,
        Some(2)
    );
}

#[test]
fn resaving_a_sealed_rating_with_other_content_is_refused() {
    let dir = temp();
    let mut store = open(&db(&dir));
    let rating = draft(Some("q1"), at(0));
    save_sealed(&mut store, &rating);
    let before = stored(&store, rating.id);

    let mut changed = rating.clone();
    changed.level = Level::new(1, 3).expect("level");
    let error = store
        .save(&changed, Some(&seal(SealCause::Completed, at(5))))
        .expect_err("changed level accepted");
    assert!(
        matches!(error, StoreError::SealedDiffers(id) if id == rating.id),
        "{error:?}"
    );

    let mut changed = rating.clone();
    changed.reasons.push("khac".to_owned());
    let error = store.save(&changed, None).expect_err("new reason accepted");
    assert!(matches!(error, StoreError::SealedDiffers(_)), "{error:?}");

    assert_eq!(stored(&store, rating.id), before);
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), 1);
}

#[test]
fn sealed_rows_refuse_update_and_delete_even_by_raw_sql() {
    let dir = temp();
    let mut store = open(&db(&dir));
    let sealed = draft(Some("q1"), at(0));
    save_sealed(&mut store, &sealed);
    let loose = draft(Some("q1"), at(100));
    store.save(&loose, None).expect("draft");
    let before = stored(&store, sealed.id);

    let id = sealed.id.to_string();
    let conn = store.connection();
    for sql in [
        "UPDATE ratings SET level = 1 WHERE id = ?1",
        "UPDATE ratings SET seq = 99 WHERE id = ?1",
        "UPDATE ratings SET seq = NULL, sealed_at = NULL WHERE id = ?1",
        "DELETE FROM ratings WHERE id = ?1",
    ] {
        let error = conn.execute(sql, [&id]).expect_err(sql);
        let text = error.to_string();
        assert!(
            text.contains("sealed rating"),
            "{sql}: unexpected error {text}"
        );
    }
    let error = conn
        .execute("DELETE FROM ratings", [])
        .expect_err("bulk delete");
    assert!(error.to_string().contains("sealed rating"), "{error}");
    assert_eq!(stored(&store, sealed.id), before);
    // Drafts are still the flow's to change (the triggers are about sealed rows only).
    assert_eq!(
        conn.execute(
            "UPDATE ratings SET level = 2 WHERE id = ?1",
            [loose.id.to_string()]
        )
        .expect("update draft"),
        1
    );
}

// ---- repeat flags --------------------------------------------------------------------------

#[test]
fn second_rating_at_the_same_counter_within_the_interval_is_flagged_and_kept() {
    let dir = temp();
    let mut store = open(&db(&dir));
    let first = draft(Some("q1"), at(0));
    let repeat = draft(Some("q1"), at(5));
    let other_counter = draft(Some("q2"), at(6));
    let later = draft(Some("q1"), at(5 + 60));

    assert!(!save_sealed(&mut store, &first).flags.suspected_repeat);
    let saved = save_sealed(&mut store, &repeat);
    assert!(
        saved.flags.suspected_repeat,
        "repeat within 5 s not flagged"
    );
    assert_eq!(saved.seq, Some(2), "a suspected repeat is still numbered");
    assert!(
        !save_sealed(&mut store, &other_counter)
            .flags
            .suspected_repeat
    );
    assert!(!save_sealed(&mut store, &later).flags.suspected_repeat);

    assert!(stored(&store, repeat.id).flags.suspected_repeat);
    assert!(!stored(&store, first.id).flags.suspected_repeat);
    let counts = store.counts().expect("counts");
    assert_eq!(counts.sealed, 4, "the flagged rating is kept");
    assert_eq!(counts.suspected_repeats, 1);
}

#[test]
fn repeat_interval_is_exclusive_and_zero_disables_the_check() {
    let dir = temp();
    let mut store = open(&db(&dir));
    save_sealed(&mut store, &draft(Some("q1"), at(0)));
    let edge = REPEAT_SECS as i64;
    // Exactly one interval later is not "less than the interval before".
    assert!(
        !save_sealed(&mut store, &draft(Some("q1"), at(edge)))
            .flags
            .suspected_repeat
    );
    let just_inside = draft(
        Some("q1"),
        at(edge) + TimeDelta::seconds(edge) - TimeDelta::milliseconds(1),
    );
    assert!(save_sealed(&mut store, &just_inside).flags.suspected_repeat);

    let unchecked = draft(Some("q1"), at(2 * edge));
    let saved = store
        .save(
            &unchecked,
            Some(&Seal {
                repeat_interval: Duration::ZERO,
                ..seal(SealCause::Completed, at(2 * edge))
            }),
        )
        .expect("save");
    assert!(!saved.flags.suspected_repeat);
    // Recovered ratings are neither flagged nor make others repeats.
    let recovered = draft(Some("q2"), at(1000));
    store
        .save(&recovered, Some(&seal(SealCause::Recovered, at(1000))))
        .expect("recovered");
    let after = draft(Some("q2"), at(1001));
    assert!(!save_sealed(&mut store, &after).flags.suspected_repeat);
}

#[test]
fn same_dossier_code_is_flagged_as_dossier_repeat() {
    let dir = temp();
    let mut store = open(&db(&dir));
    let mut first = draft(Some("q1"), at(0));
    first.dossier_code = Some("000.00.04.H26-250310-0001".to_owned());
    let mut again = draft(Some("q2"), at(3600));
    again.dossier_code = first.dossier_code.clone();
    let mut other = draft(Some("q1"), at(7200));
    other.dossier_code = Some("000.00.04.H26-250310-0002".to_owned());
    let none = draft(Some("q1"), at(9000));

    let saved = save_sealed(&mut store, &first);
    assert!(!saved.flags.dossier_repeat);
    let saved = save_sealed(&mut store, &again);
    assert!(saved.flags.dossier_repeat, "same dossier not flagged");
    assert!(!saved.flags.suspected_repeat, "an hour apart is no repeat");
    assert!(!save_sealed(&mut store, &other).flags.dossier_repeat);
    assert!(!save_sealed(&mut store, &none).flags.dossier_repeat);
    assert!(stored(&store, again.id).flags.dossier_repeat);
    assert!(!stored(&store, first.id).flags.dossier_repeat);
    assert_eq!(store.counts().expect("counts").sealed, 4);
}

// ---- recovery of drafts -------------------------------------------------------------------

#[test]
fn seal_drafts_seals_leftover_drafts_as_recovered() {
    let dir = temp();
    let path = db(&dir);
    let mut store = open(&path);
    let done = draft(Some("q1"), at(0));
    save_sealed(&mut store, &done);
    let mut left_a = draft(Some("q1"), at(100));
    left_a.reasons = vec!["cho-lau".to_owned()];
    let left_b = draft(Some("q2"), at(101));
    store.save(&left_a, None).expect("draft a");
    store.save(&left_b, None).expect("draft b");
    drop(store);

    // Opening alone leaves drafts alone (a command beside a running kiosk).
    let mut store = open(&path);
    assert_eq!(store.counts().expect("counts").drafts, 2);
    assert_eq!(store.seal_drafts(at(5000)).expect("seal drafts"), 2);
    for id in [left_a.id, left_b.id] {
        let row = stored(&store, id);
        assert_eq!(row.seal_cause, Some(SealCause::Recovered));
        assert_eq!(row.sealed_at, Some(at(5000)));
        assert!(!row.flags.suspected_repeat);
    }
    assert_eq!(stored(&store, left_a.id).draft, left_a, "answers are kept");
    let mut seqs: Vec<u64> = [left_a.id, left_b.id]
        .iter()
        .map(|id| stored(&store, *id).seq.expect("sealed"))
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, [2, 3]);
    let counts = store.counts().expect("counts");
    assert_eq!((counts.sealed, counts.drafts), (3, 0));
    assert_eq!(store.seal_drafts(at(6000)).expect("again"), 0);
}

// ---- damaged and unusable files -----------------------------------------------------------

/// Opens a store over a damaged file and checks it was moved aside intact and replaced.
fn assert_moved_aside_and_replaced(dir: &TempDir, damaged: &[u8]) -> Store {
    let path = db(dir);
    let (opened, logs) = with_logs(|| Store::open(&path, t0()));
    let (mut store, report) = opened.expect("open over a damaged file");
    let aside = report.moved_aside.expect("damaged file moved aside");
    let name = aside
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("hailong.db.corrupt-"), "{name}");
    assert_eq!(aside.parent(), Some(dir.path()));
    assert_eq!(
        std::fs::read(&aside).expect("read moved file"),
        damaged,
        "the moved file is not what was there"
    );
    assert!(logs.contains("integrity"), "nothing logged: {logs:?}");
    assert!(
        logs.contains(&name),
        "the log does not name {name}: {logs:?}"
    );
    assert!(store.integrity_check().expect("check") == ["ok"]);
    assert_eq!(store.counts().expect("counts").sealed, 0);
    save_sealed(&mut store, &draft(Some("q1"), at(0)));
    // Opening again finds a sound database.
    drop(store);
    let store = open(&path);
    // Only the database and what was moved aside (with its own -wal/-shm, if any).
    for entry in entries(dir.path()) {
        assert!(
            entry.starts_with(&name)
                || ["hailong.db", "hailong.db-wal", "hailong.db-shm"].contains(&entry.as_str()),
            "unexpected file {entry}"
        );
    }
    store
}

#[test]
fn garbage_database_is_moved_aside_and_a_fresh_one_started() {
    let dir = temp();
    let bytes = garbage(64 * 1024, 0x9E37_79B9_7F4A_7C15);
    std::fs::write(db(&dir), &bytes).expect("write garbage");
    let store = assert_moved_aside_and_replaced(&dir, &bytes);
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), 1);
}

#[test]
fn plain_text_file_is_moved_aside_and_a_fresh_one_started() {
    let dir = temp();
    let text = "Đây không phải là cơ sở dữ liệu.\n".repeat(200);
    std::fs::write(db(&dir), text.as_bytes()).expect("write text");
    assert_moved_aside_and_replaced(&dir, text.as_bytes());
}

#[test]
fn damaged_pages_in_a_real_database_are_moved_aside_and_numbers_carry_over() {
    const RATINGS: usize = 4000;
    let dir = temp();
    let path = db(&dir);
    {
        let mut store = open(&path);
        // Filling fast; durability is not what this test is about.
        store
            .connection_mut()
            .pragma_update(None, "synchronous", "OFF")
            .expect("synchronous off");
        for i in 0..RATINGS {
            let counter = if i % 2 == 0 { "q1" } else { "q2" };
            let mut rating = draft(Some(counter), at(i as i64 * 60));
            rating.dossier_code = Some(format!("HS-{i:06}"));
            save_sealed(&mut store, &rating);
        }
        assert_eq!(store.last_seq(TERMINAL).expect("last seq"), RATINGS as u64);
    }
    // Closed cleanly: the WAL is folded back into the file.
    assert!(!dir.path().join("hailong.db-wal").exists());
    let mut bytes = std::fs::read(&path).expect("read db");
    let page = 4096;
    let pages = bytes.len() / page;
    assert!(pages > 100, "only {pages} pages");
    // Overwrite a run of pages in the middle of the file, well away from the schema.
    let start = pages / 2;
    let junk = garbage(6 * page, 0xDEAD_BEEF_CAFE_F00D);
    bytes[start * page..(start + 6) * page].copy_from_slice(&junk);
    std::fs::write(&path, &bytes).expect("write damaged db");

    let mut store = assert_moved_aside_and_replaced(&dir, &bytes);
    // The fresh database goes on from the old numbers (the sequence table was readable), so
    // the server never sees a number twice.
    assert_eq!(
        store.last_seq(TERMINAL).expect("last seq"),
        RATINGS as u64 + 1
    );
    assert_eq!(
        save_sealed(&mut store, &draft(Some("q1"), at(1_000_000))).seq,
        Some(RATINGS as u64 + 2)
    );
}

#[test]
fn directory_in_place_of_the_database_is_an_open_error_and_nothing_moves() {
    let dir = temp();
    let path = db(&dir);
    std::fs::create_dir(&path).expect("dir");
    std::fs::write(path.join("keep.txt"), b"mine").expect("file in dir");
    let error = Store::open(&path, t0()).expect_err("opened a directory");
    match &error {
        StoreError::Open { path: named, .. } => assert_eq!(named, &path),
        other => panic!("expected StoreError::Open, got {other:?}"),
    }
    assert!(error.to_string().contains("hailong.db"), "{error}");
    assert_eq!(entries(dir.path()), ["hailong.db"]);
    assert_eq!(entries(&path), ["keep.txt"]);
}

#[test]
fn data_directory_that_cannot_be_created_is_an_open_error() {
    let dir = temp();
    let blocker = dir.path().join("disk");
    std::fs::write(&blocker, b"a file, not a folder").expect("blocker");
    let error = Store::open(&blocker.join("data").join("hailong.db"), t0())
        .expect_err("opened under a file");
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    assert_eq!(entries(dir.path()), ["disk"]);
    assert_eq!(
        std::fs::read(&blocker).expect("blocker"),
        b"a file, not a folder"
    );
}

#[test]
fn read_only_data_directory_is_an_open_error_and_nothing_moves() {
    let dir = temp();
    if permissions_are_ignored(dir.path()) {
        eprintln!(
            "skipped: this process ignores file permissions (root), read-only cannot be staged"
        );
        return;
    }
    let data = dir.path().join("data");
    let path = data.join("hailong.db");
    {
        let mut store = open(&path);
        save_sealed(&mut store, &draft(Some("q1"), at(0)));
    }
    let before = std::fs::read(&path).expect("db bytes");
    let names = entries(&data);
    set_mode(&data, 0o555);
    let result = Store::open(&path, t0());
    set_mode(&data, 0o755);
    let error = result.expect_err("opened in a read-only directory");
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    assert_eq!(entries(&data), names, "something was moved or created");
    assert_eq!(std::fs::read(&path).expect("db bytes"), before);

    // An empty read-only directory: the file cannot be created.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("dir");
    set_mode(&empty, 0o555);
    let result = Store::open(&empty.join("hailong.db"), t0());
    set_mode(&empty, 0o755);
    assert!(matches!(result, Err(StoreError::Open { .. })), "{result:?}");
    assert!(entries(&empty).is_empty());
}

#[test]
fn processes_opening_a_fresh_database_at_once_all_succeed() {
    // The kiosk and a `hailong status` started together on a new terminal both find no schema.
    for round in 0..40 {
        let dir = temp();
        let path = Arc::new(db(&dir));
        let barrier = Arc::new(Barrier::new(3));
        let openers: Vec<_> = (0..3)
            .map(|_| {
                let path = Arc::clone(&path);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    Store::open(&path, t0()).map(|(mut store, report)| {
                        let saved = save_sealed(&mut store, &draft(Some("q1"), at(0)));
                        (report, saved.seq)
                    })
                })
            })
            .collect();
        let mut seqs = Vec::new();
        for opener in openers {
            let (report, seq) = opener
                .join()
                .expect("thread")
                .unwrap_or_else(|error| panic!("round {round}: concurrent open failed: {error}"));
            assert_eq!(report.moved_aside, None);
            seqs.push(seq.expect("sealed"));
        }
        seqs.sort_unstable();
        assert_eq!(seqs, [1, 2, 3], "round {round}");
    }
}

// ---- a full disk --------------------------------------------------------------------------

fn set_max_pages(store: &mut Store, pages: i64) -> i64 {
    store
        .connection_mut()
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |row| {
            row.get(0)
        })
        .expect("max_page_count")
}

#[test]
fn full_disk_fails_cleanly_and_the_same_draft_succeeds_once_there_is_room() {
    let dir = temp();
    let mut store = open(&db(&dir));
    let mut kept = Vec::new();
    for i in 0..5 {
        let rating = draft(Some("q1"), at(i * 60));
        save_sealed(&mut store, &rating);
        kept.push(rating);
    }
    let pages: i64 = store
        .connection()
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .expect("page count");
    assert_eq!(set_max_pages(&mut store, pages + 3), pages + 3);

    let mut failure = None;
    for i in 5..20_000 {
        let mut rating = draft(Some("q1"), at(i * 60));
        // Bulky rows fill pages quickly.
        rating.reasons = (0..8)
            .map(|r| format!("reason-{r}-{}", "x".repeat(40)))
            .collect();
        rating.dossier_code = Some(format!("HS-{i:08}"));
        let when = rating.device_time + TimeDelta::seconds(3);
        let sealing = seal(SealCause::Completed, when);
        match store.save(&rating, Some(&sealing)) {
            Ok(saved) => {
                assert_eq!(saved.seq, Some(kept.len() as u64 + 1));
                kept.push(rating);
            }
            Err(error) => {
                failure = Some((rating, sealing, error));
                break;
            }
        }
    }
    let (failed, sealing, error) = failure.expect("the page limit was never reached");
    assert!(matches!(error, StoreError::DiskFull(_)), "{error:?}");
    assert!(error.to_string().contains("disk is full"), "{error}");

    // Nothing of the failed rating was written; every earlier one is intact.
    assert_eq!(store.rating(failed.id).expect("read"), None);
    let sealed = kept.len() as u64;
    assert_eq!(store.last_seq(TERMINAL).expect("last seq"), sealed);
    let counts = store.counts().expect("counts");
    assert_eq!((counts.sealed, counts.drafts), (sealed, 0));
    for (i, rating) in kept.iter().enumerate() {
        let row = stored(&store, rating.id);
        assert_eq!(row.draft, *rating);
        assert_eq!(row.seq, Some(i as u64 + 1));
    }
    assert_eq!(store.integrity_check().expect("check"), ["ok"]);

    // Still full: the retry fails the same way and still leaves nothing.
    let again = store.save(&failed, Some(&sealing)).expect_err("still full");
    assert!(matches!(again, StoreError::DiskFull(_)), "{again:?}");
    assert_eq!(store.rating(failed.id).expect("read"), None);

    // Room again: the same draft goes through with the next number.
    set_max_pages(&mut store, 1_073_741_823);
    let saved = store.save(&failed, Some(&sealing)).expect("retry");
    assert_eq!(saved.seq, Some(sealed + 1));
    assert_eq!(stored(&store, failed.id).draft, failed);
    assert_eq!(store.integrity_check().expect("check"), ["ok"]);
}

// ---- the writer thread --------------------------------------------------------------------

#[test]
fn writer_saves_in_the_order_asked() {
    let dir = temp();
    let path = db(&dir);
    let (writer, opened) = Writer::spawn(&path, t0);
    let report = block_on(opened).expect("writer opened");
    assert_eq!(report.moved_aside, None);
    assert_eq!(report.recovered_drafts, 0);
    assert_eq!(writer.path(), path);

    let rating = draft(Some("q1"), at(0));
    let saved = block_on(writer.save(rating.clone(), None)).expect("draft");
    assert_eq!(saved.seq, None);
    let sealing = seal(SealCause::Completed, at(10));
    let saved = block_on(writer.save(rating.clone(), Some(sealing.clone()))).expect("seal");
    assert_eq!(saved.seq, Some(1));
    assert_eq!(
        block_on(writer.save(rating.clone(), Some(sealing))).expect("retry"),
        saved
    );

    // Many requests in flight at once are done in the order they were made.
    let drafts: Vec<RatingDraft> = (1..=20).map(|i| draft(Some("q2"), at(i * 60))).collect();
    let pending: Vec<_> = drafts
        .iter()
        .map(|d| writer.save(d.clone(), Some(seal(SealCause::Completed, d.device_time))))
        .collect();
    let seqs: Vec<Option<u64>> = block_on(futures::future::join_all(pending))
        .into_iter()
        .map(|saved| saved.expect("save").seq)
        .collect();
    let expected: Vec<Option<u64>> = (2..=21).map(Some).collect();
    assert_eq!(seqs, expected);

    let counts = block_on(writer.run(|store| store?.counts())).expect("counts");
    assert_eq!(counts.sealed, 21);
    // Another connection sees every commit.
    let reader = open(&path);
    assert_eq!(reader.last_seq(TERMINAL).expect("last seq"), 21);
    assert_eq!(stored(&reader, drafts[19].id).seq, Some(21));
}

#[test]
fn writer_seals_drafts_left_by_a_crash_when_it_starts() {
    let dir = temp();
    let path = db(&dir);
    let left = draft(Some("q1"), at(0));
    {
        let mut store = open(&path);
        save_sealed(&mut store, &draft(Some("q1"), at(-100)));
        store.save(&left, None).expect("draft");
    }
    let (writer, opened) = Writer::spawn(&path, || at(3600));
    let report = block_on(opened).expect("opened");
    assert_eq!(report.recovered_drafts, 1);
    let row = block_on(writer.run(move |store| store?.rating(left.id)))
        .expect("read")
        .expect("present");
    assert_eq!(row.seq, Some(2));
    assert_eq!(row.seal_cause, Some(SealCause::Recovered));
    assert_eq!(row.sealed_at, Some(at(3600)));
}

#[test]
fn writer_reports_an_unusable_path_and_reopens_once_the_disk_is_back() {
    let dir = temp();
    // A file where the data directory should be: nothing can be created below it.
    let blocker = dir.path().join("disk");
    std::fs::write(&blocker, b"not a folder").expect("blocker");
    let path = blocker.join("hailong.db");
    let (writer, opened) = Writer::spawn(&path, t0);
    let error = block_on(opened).expect_err("opened an impossible path");
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");

    let rating = draft(Some("q1"), at(0));
    let sealing = seal(SealCause::Completed, at(5));
    let error = block_on(writer.save(rating.clone(), Some(sealing.clone())))
        .expect_err("saved without a disk");
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");

    // The disk comes back: the next request opens the database and succeeds.
    std::fs::remove_file(&blocker).expect("remove blocker");
    let saved = block_on(writer.save(rating.clone(), Some(sealing))).expect("after the fix");
    assert_eq!(saved.seq, Some(1));
    let store = open(&path);
    assert_eq!(stored(&store, rating.id).draft, rating);
}

#[test]
fn writer_reopens_once_a_read_only_directory_becomes_writable() {
    let dir = temp();
    if permissions_are_ignored(dir.path()) {
        eprintln!(
            "skipped: this process ignores file permissions (root), read-only cannot be staged"
        );
        return;
    }
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    set_mode(&data, 0o555);
    let path = data.join("hailong.db");
    let (writer, opened) = Writer::spawn(&path, t0);
    let opened = block_on(opened);
    let rating = draft(Some("q1"), at(0));
    let failed = block_on(writer.save(rating.clone(), None));
    set_mode(&data, 0o755);
    assert!(matches!(opened, Err(StoreError::Open { .. })), "{opened:?}");
    assert!(matches!(failed, Err(StoreError::Open { .. })), "{failed:?}");
    let saved = block_on(writer.save(rating, Some(seal(SealCause::Completed, at(5)))))
        .expect("writable again");
    assert_eq!(saved.seq, Some(1));
}

#[test]
fn writer_finishes_requests_queued_before_the_handle_is_dropped() {
    let dir = temp();
    let (writer, opened) = Writer::spawn(&db(&dir), t0);
    block_on(opened).expect("opened");
    let pending = writer.save(draft(Some("q1"), at(0)), None);
    drop(writer);
    // The request was queued before the handle went away: it is still done.
    assert_eq!(block_on(pending).expect("queued save").seq, None);
}

/// A comment, a complaint and a consented call-back are stored with the rating and covered by
/// its hash; once the server holds the rating the number is erased from the terminal, and the
/// chain still verifies by the number's digest.
#[test]
fn feedback_is_stored_and_the_number_is_erased_once_the_server_holds_it() {
    use hailong::store::Feedback;
    use hailong::store::sync_state::Outcome;
    use hailong_protocol::Callback;

    let dir = temp();
    let mut store = open(&db(&dir));
    let mut with_number = draft(Some("q1"), at(0));
    with_number.level = Level::new(1, 3).expect("level");
    with_number.feedback = Feedback {
        comment: Some("Thái độ tốt".to_owned()),
        complaint: true,
        callback: Some(Callback {
            phone: "0912345678".to_owned(),
            consent_version: "pakn-2026-01".to_owned(),
        }),
    };
    save_sealed(&mut store, &with_number);
    let plain = draft(Some("q1"), at(60));
    save_sealed(&mut store, &plain);

    let read = stored(&store, with_number.id);
    assert_eq!(read.draft.feedback, with_number.feedback);
    let wire = read.to_wire().expect("sealed");
    assert_eq!(wire.comment.as_deref(), Some("Thái độ tốt"));
    assert!(wire.complaint);
    assert_eq!(
        wire.callback.as_ref().map(|c| c.phone.as_str()),
        Some("0912345678")
    );
    wire.validate().expect("a valid wire rating");
    assert_eq!(hailong_protocol::chain::rating_hash(&wire), wire.hash);
    assert!(
        !format!("{read:?}").contains("0912345678"),
        "the number never prints"
    );
    let (checked, breaks) = store.verify_chain(TERMINAL).expect("verify");
    assert_eq!((checked, breaks.len()), (2, 0));

    store
        .record_outcomes(&[(with_number.id, Outcome::Sent)], at(120))
        .expect("record");
    let erased = stored(&store, with_number.id);
    assert!(erased.phone_erased());
    let callback = erased.draft.feedback.callback.expect("consent kept");
    assert_eq!(
        (callback.phone.as_str(), callback.consent_version.as_str()),
        ("", "pakn-2026-01")
    );
    let (checked, breaks) = store.verify_chain(TERMINAL).expect("verify");
    assert_eq!(
        (checked, breaks),
        (2, vec![]),
        "the digest keeps the chain whole"
    );
    let numbers: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM callback_phones", [], |row| row.get(0))
        .expect("count");
    assert_eq!(numbers, 0);
}

/// A number that never reached a server is erased after the keeping time; the chain stays
/// whole and the rating keeps its complaint and consent.
#[test]
fn call_back_numbers_past_their_keeping_time_are_erased() {
    use hailong::store::Feedback;
    use hailong_protocol::Callback;

    let dir = temp();
    let mut store = open(&db(&dir));
    let mut old = draft(Some("q1"), at(0));
    old.feedback = Feedback {
        comment: None,
        complaint: true,
        callback: Some(Callback {
            phone: "0912345678".to_owned(),
            consent_version: "pakn-2026-01:vi".to_owned(),
        }),
    };
    save_sealed(&mut store, &old);
    let mut recent = old.clone();
    recent.id = Uuid::now_v7();
    recent.device_time = at(86_400 * 20);
    save_sealed(&mut store, &recent);

    // 31 days after the first: only its number is past 30 days.
    let erased = store
        .erase_old_callback_numbers(at(86_400 * 31) - TimeDelta::days(30))
        .expect("erase");
    assert_eq!(erased, 1);
    assert!(stored(&store, old.id).phone_erased());
    assert!(stored(&store, old.id).draft.feedback.complaint);
    assert!(!stored(&store, recent.id).phone_erased());
    let (_, breaks) = store.verify_chain(TERMINAL).expect("verify");
    assert!(breaks.is_empty(), "{breaks:?}");
}

/// The background sync waits on the writer: sealing a rating wakes it, a draft does not.
#[test]
fn sealing_through_the_writer_wakes_whoever_waits_for_it() {
    use futures::FutureExt as _;
    let dir = temp();
    let (writer, opened) = Writer::spawn(&db(&dir), t0);
    block_on(opened).expect("open");
    let first = draft(Some("q1"), at(0));
    block_on(writer.save(first.clone(), None)).expect("draft");
    assert!(
        writer.sealed().now_or_never().is_none(),
        "a draft is nothing to send"
    );
    let seal = seal(SealCause::Completed, at(5));
    block_on(writer.save(first, Some(seal))).expect("seal");
    assert!(
        writer.clone().sealed().now_or_never().is_some(),
        "a clone of the writer (the sync's) is woken"
    );
    assert!(writer.sealed().now_or_never().is_none(), "once per sealing");
}
