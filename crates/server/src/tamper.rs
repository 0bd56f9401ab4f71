//! Tamper evidence on the server (issue 8): the walk of each terminal's hash chain (see
//! `hailong_protocol::chain`) as its ratings arrive, and what it records as tamper alerts. Pure:
//! no I/O. Each store reads the rows a [`Walk`] asks for, hands them to [`walk`] (or a
//! heartbeat's chain head to [`anchor`]) and writes the [`Findings`], in its own transaction
//! (`crate::sqlite::tamper`, `crate::postgres::tamper`).
//!
//! Verification never refuses, drops or changes a rating: the stores run it in the batch's
//! transaction (one commit) but inside a savepoint, so a failure of its own is rolled back alone
//! and logged, and the next batch or heartbeat resumes from the head it stored.
//!
//! Findings, each recorded once:
//! - `edited`: a rating's content does not match its hash (changed after sealing, hash kept).
//! - `broken_link`: a rating's `prev_hash` is not the hash of the rating before it (or the
//!   terminal's genesis for seq 1): the one before was edited and rehashed, or replaced.
//! - `gap`: seqs missing below a stored higher one (ratings deleted). The walk goes on past it;
//!   when every missing seq has arrived, the segment is verified, the rating after it
//!   included, and the gap is resolved (the findings in the segment, if any, are recorded).
//! - `anchor`: the rating a heartbeat anchored (the kiosk's chain head then) arrives with
//!   another hash, or is missing while higher seqs arrived (resolved if it arrives later with
//!   the anchored hash), or the kiosk anchors the same seq with another hash, or its head goes
//!   backwards. Only the latest anchor is kept: a kiosk uploads before each heartbeat, so the
//!   rating of an anchor arrives before the next anchor replaces it.
//!
//! A seq the server quarantined (no stored rating) is walked with the hash its raw JSON
//! carries, if readable; without one, the next rating's link cannot be checked.

use hailong_protocol::{ChainHead, MAX_SEQ, Rating, chain};

use crate::sqlite::ms_to_rfc3339;
use crate::store::TamperKind;

/// Seqs a store reads per page (bounds the memory a long backlog takes).
pub const PAGE: u64 = 1000;

/// How an anchor-missing alert's detail starts: found again to resolve it
/// ([`Resolution::AnchorArrived`]).
pub const ANCHOR_MISSING: &str = "anchored seq";

/// A seq the server accounted for, as the walk sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its seq.
    pub seq: u64,
    /// The stored rating; `None` when the seq was quarantined instead.
    pub rating: Option<Rating>,
    /// The hash the next rating must link to, when known.
    pub hash: Option<String>,
}

impl Entry {
    /// The entry of a `seq_seen` row: the stored rating's canonical JSON (`content`), else the
    /// JSON the quarantine holds for the seq (`raw`), if any.
    pub fn from_row(
        terminal_id: &str,
        seq: u64,
        content: Option<String>,
        raw: Option<String>,
    ) -> Self {
        match content {
            Some(content) => match serde_json::from_str::<Rating>(&content) {
                Ok(rating) => Self {
                    seq,
                    hash: Some(rating.hash.clone()),
                    rating: Some(rating),
                },
                Err(error) => {
                    // Stored from a parsed Rating: cannot happen short of a damaged database.
                    tracing::error!(terminal = terminal_id, seq, %error, "stored rating does not parse; not verified");
                    Self {
                        seq,
                        rating: None,
                        hash: None,
                    }
                }
            },
            None => Self {
                seq,
                rating: None,
                hash: raw.as_deref().and_then(raw_hash),
            },
        }
    }
}

/// The `hash` a quarantined rating's raw JSON carries, if well formed.
fn raw_hash(raw: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    value
        .get("hash")
        .and_then(serde_json::Value::as_str)
        .filter(|h| chain::is_hash(h))
        .map(str::to_owned)
}

/// A position in the chain: a seq (0 for the genesis) and the hash the next seq must link
/// to, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The seq.
    pub seq: u64,
    /// Its hash (the genesis value for seq 0); `None` when unknown.
    pub hash: Option<String>,
}

/// The terminal's latest anchor: the chain head its last heartbeat reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The seq anchored.
    pub seq: u64,
    /// Its hash on the kiosk then.
    pub hash: String,
    /// When it was anchored (server clock, ms since the epoch).
    pub at_ms: i64,
    /// Whether it was already compared with the rating at its seq (or contradicted): an anchor
    /// is compared once.
    pub checked: bool,
}

/// What a store holds of a terminal's verification (`terminals.chain_seq`, `chain_hash` and
/// `anchor_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainState {
    /// How far the walk got: its last seq (0 before any) and that seq's hash.
    pub head: Link,
    /// The latest anchor, if a heartbeat reported one.
    pub anchor: Option<Anchor>,
}

/// An open gap alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenGap {
    /// The alert's id.
    pub id: i64,
    /// First missing seq.
    pub first: u64,
    /// Last missing seq.
    pub last: u64,
}

impl OpenGap {
    /// Whether all its seqs have arrived, given how many of them the store accounts for.
    pub fn filled(&self, accounted: u64) -> bool {
        accounted > self.last - self.first
    }
}

/// A tamper alert to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// What was found.
    pub kind: TamperKind,
    /// The seq concerned, or the first of a range.
    pub first: u64,
    /// The last seq of a range; `first` otherwise.
    pub last: u64,
    /// What exactly, for technicians.
    pub detail: String,
}

impl Alert {
    /// Logs the alert (once recorded).
    pub fn log(&self, terminal_id: &str) {
        tracing::warn!(
            terminal = terminal_id,
            kind = self.kind.as_str(),
            first = self.first,
            last = self.last,
            detail = self.detail,
            "tamper alert"
        );
    }
}

/// Open alerts that stop applying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The gap alert `id`: all its seqs arrived; `clean` when the chain verifies across them.
    Gap {
        /// The alert's id.
        id: i64,
        /// First seq of the gap.
        first: u64,
        /// Last seq of the gap.
        last: u64,
        /// Nothing was found in the segment.
        clean: bool,
    },
    /// The open anchor alerts at `seq` whose detail starts with [`ANCHOR_MISSING`]: the
    /// anchored rating arrived later with the anchored hash.
    AnchorArrived {
        /// The anchored seq.
        seq: u64,
    },
}

impl Resolution {
    /// The stored `resolution` text.
    pub fn text(&self) -> &'static str {
        match self {
            Resolution::Gap { clean: true, .. } => {
                "the missing ratings arrived later and the chain verifies across them"
            }
            Resolution::Gap { clean: false, .. } => {
                "the missing ratings arrived later but do not verify: see the alerts recorded after this one"
            }
            Resolution::AnchorArrived { .. } => {
                "the anchored rating arrived later with the anchored hash"
            }
        }
    }

    /// Logs the resolution (once recorded).
    pub fn log(&self, terminal_id: &str) {
        if let Resolution::Gap {
            first, last, clean, ..
        } = self
        {
            tracing::info!(terminal = terminal_id, first, last, clean, "gap filled");
        }
    }
}

/// How the stored anchor changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorChange {
    /// The anchor was compared: `anchor_checked_at` becomes the time of the batch or heartbeat.
    Checked,
    /// A heartbeat's chain head replaces the anchor (checked already when it contradicts the
    /// previous one).
    Replaced(Anchor),
}

/// What a store writes after a page of the walk or a heartbeat, in this order: the alerts
/// (ids ascend in detection order), the resolutions, the head, the anchor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Alerts to insert, in detection order.
    pub alerts: Vec<Alert>,
    /// Open alerts to resolve.
    pub resolved: Vec<Resolution>,
    /// The new verified head (`chain_seq`, `chain_hash`), when it moved.
    pub head: Option<Link>,
    /// The anchor's change, if any.
    pub anchor: Option<AnchorChange>,
}

/// Which stretch of the chain a walk is on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stretch {
    /// Above the verified head: gaps are found; the head moves to the last seq walked.
    AboveHead,
    /// The seqs of an open gap that all arrived, then the link of the rating after them.
    Gap {
        /// The gap.
        gap: OpenGap,
        /// Nothing found so far.
        clean: bool,
    },
    /// Nothing left to walk until [`Walk::fill`].
    Done,
}

/// A walk of one terminal's chain in progress: what a store keeps between pages. A walk goes
/// above the verified head first, then a store turns it to each open gap whose seqs all arrived
/// ([`Walk::fill`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// The value seq 1 links to.
    genesis: String,
    /// The position the next entry is compared with.
    prev: Link,
    /// The terminal's anchor as the walk left it.
    anchor: Option<Anchor>,
    stretch: Stretch,
}

impl Walk {
    /// A walk of `terminal_id` above its stored head.
    pub fn new(terminal_id: &str, state: ChainState) -> Self {
        let genesis = chain::genesis(terminal_id);
        let prev = if state.head.seq == 0 {
            Link {
                seq: 0,
                hash: Some(genesis.clone()),
            }
        } else {
            state.head
        };
        Self {
            genesis,
            prev,
            anchor: state.anchor,
            stretch: Stretch::AboveHead,
        }
    }

    /// Turns the walk to `gap`, whose seqs have all arrived (see [`OpenGap::filled`]); `before`
    /// is the entry at `gap.first - 1`, if the store holds it.
    pub fn fill(&mut self, gap: OpenGap, before: Option<&Entry>) {
        self.prev = Link {
            seq: gap.first.saturating_sub(1),
            hash: if gap.first <= 1 {
                Some(self.genesis.clone())
            } else {
                before.and_then(|e| e.hash.clone())
            },
        };
        self.stretch = Stretch::Gap { gap, clean: true };
    }

    /// The accounted-for seqs to read next, ascending, at most [`PAGE`] of them: those above
    /// the first and up to the second. `None` when the stretch is walked.
    pub fn next_rows(&self) -> Option<(u64, u64)> {
        match self.stretch {
            Stretch::AboveHead => Some((self.prev.seq, MAX_SEQ)),
            Stretch::Gap { gap, .. } => Some((self.prev.seq, gap.last.saturating_add(1))),
            Stretch::Done => None,
        }
    }
}

/// Walks one page of rows, as [`Walk::next_rows`] named them (ascending, consecutive
/// accounted-for seqs); `more` when rows may remain after the page (it held [`PAGE`] rows).
/// Returns what to record; the walk moves on.
pub fn walk(walk: &mut Walk, page: &[Entry], more: bool) -> Findings {
    let mut out = Findings::default();
    for entry in page {
        let (content, compare) = match walk.stretch {
            Stretch::AboveHead => {
                if entry.seq > walk.prev.seq + 1 {
                    missing(walk, &mut out, walk.prev.seq + 1, entry.seq - 1, entry.seq);
                }
                (true, true)
            }
            // The rating after the gap: its content was checked when it arrived, its link
            // was not.
            Stretch::Gap { gap, .. } => (entry.seq <= gap.last, entry.seq <= gap.last),
            Stretch::Done => return out,
        };
        let clean = check(&walk.prev, entry, content, &mut out);
        if let Stretch::Gap { clean: c, .. } = &mut walk.stretch {
            *c &= clean;
        }
        if compare {
            compare_anchor(&mut walk.anchor, entry, &mut out);
        }
        walk.prev = Link {
            seq: entry.seq,
            hash: entry.hash.clone(),
        };
    }
    match walk.stretch {
        Stretch::AboveHead => {
            if !page.is_empty() {
                out.head = Some(walk.prev.clone());
            }
            if !more {
                walk.stretch = Stretch::Done;
            }
        }
        Stretch::Gap { gap, clean } => {
            if !more || walk.prev.seq > gap.last {
                out.resolved.push(Resolution::Gap {
                    id: gap.id,
                    first: gap.first,
                    last: gap.last,
                    clean,
                });
                walk.stretch = Stretch::Done;
            }
        }
        Stretch::Done => {}
    }
    out
}

/// Records the gap `first..=last` below `above`, and the anchor if it lies in it.
fn missing(walk: &Walk, out: &mut Findings, first: u64, last: u64, above: u64) {
    out.alerts.push(Alert {
        kind: TamperKind::Gap,
        first,
        last,
        detail: format!(
            "{} missing below seq {above}: ratings removed from the terminal (resolved if they arrive later and verify)",
            seqs(first, last),
        ),
    });
    if let Some(anchor) = &walk.anchor {
        anchor_missing(anchor, first, last, out);
    }
}

/// Checks one entry's content (when `content`) and its link to `prev`; records what is
/// wrong. True when nothing was found.
fn check(prev: &Link, entry: &Entry, content: bool, out: &mut Findings) -> bool {
    let Some(rating) = &entry.rating else {
        return true;
    };
    let mut clean = true;
    if content && crate::complaints::stored_rating_hash(rating) != rating.hash {
        out.alerts.push(Alert {
            kind: TamperKind::Edited,
            first: entry.seq,
            last: entry.seq,
            detail: format!(
                "seq {}: the content does not match its hash {}: changed after sealing",
                entry.seq,
                short(&rating.hash)
            ),
        });
        clean = false;
    }
    if let (true, Some(prev_hash)) = (entry.seq == prev.seq + 1, &prev.hash)
        && rating.prev_hash != *prev_hash
    {
        let detail = if prev.seq == 0 {
            format!(
                "seq 1 links to {}, not to the terminal's genesis {}: the chain was restarted or replaced",
                short(&rating.prev_hash),
                short(prev_hash)
            )
        } else {
            format!(
                "seq {} links to {}, but seq {} has hash {}: seq {} was changed and rehashed, or replaced",
                entry.seq,
                short(&rating.prev_hash),
                prev.seq,
                short(prev_hash),
                prev.seq
            )
        };
        out.alerts.push(Alert {
            kind: TamperKind::BrokenLink,
            first: entry.seq,
            last: entry.seq,
            detail,
        });
        clean = false;
    }
    clean
}

/// Compares the anchor with the entry at its seq, once.
fn compare_anchor(anchor: &mut Option<Anchor>, entry: &Entry, out: &mut Findings) {
    let Some(anchor) = anchor else {
        return;
    };
    if anchor.checked || entry.seq != anchor.seq {
        return;
    }
    match &entry.hash {
        Some(hash) if *hash == anchor.hash => {
            out.resolved
                .push(Resolution::AnchorArrived { seq: anchor.seq });
        }
        Some(hash) => out.alerts.push(Alert {
            kind: TamperKind::Anchor,
            first: anchor.seq,
            last: anchor.seq,
            detail: format!(
                "seq {} arrived with hash {}, but the kiosk anchored it with {} at {}: rewritten after anchoring",
                anchor.seq,
                short(hash),
                short(&anchor.hash),
                ms_to_rfc3339(anchor.at_ms)
            ),
        }),
        // Quarantined without a readable hash: nothing to compare.
        None => {}
    }
    anchor.checked = true;
    if out.anchor.is_none() {
        out.anchor = Some(AnchorChange::Checked);
    }
}

/// Records that the anchored seq is missing if it lies in `first..=last`.
fn anchor_missing(anchor: &Anchor, first: u64, last: u64, out: &mut Findings) {
    if anchor.checked || !(first..=last).contains(&anchor.seq) {
        return;
    }
    out.alerts.push(Alert {
        kind: TamperKind::Anchor,
        first: anchor.seq,
        last: anchor.seq,
        detail: format!(
            "{ANCHOR_MISSING} {} (hash {}, {}) is missing while higher seqs arrived: rewritten after anchoring",
            anchor.seq,
            short(&anchor.hash),
            ms_to_rfc3339(anchor.at_ms)
        ),
    });
}

/// Takes the chain head a heartbeat reported (at `at_ms`) as the terminal's anchor, and
/// compares it with the rating at its seq if the walk has passed it. `held` is the entry at
/// `head.seq` when `head.seq <= state.head.seq` and the store accounts for it (a store need
/// not read it otherwise). The state is as it stands after the heartbeat's catch-up walk.
pub fn anchor(state: &ChainState, head: &ChainHead, at_ms: i64, held: Option<&Entry>) -> Findings {
    let mut out = Findings::default();
    let mut contradicted = false;
    if let Some(old) = &state.anchor {
        if old.seq == head.seq && old.hash == head.hash {
            return out;
        }
        if head.seq < old.seq {
            out.alerts.push(Alert {
                kind: TamperKind::Anchor,
                first: head.seq + 1,
                last: old.seq,
                detail: format!(
                    "the kiosk's chain head went back from seq {} to seq {} (anchored {}): ratings it had sealed were removed or its database was replaced",
                    old.seq,
                    head.seq,
                    ms_to_rfc3339(old.at_ms)
                ),
            });
        } else if head.seq == old.seq {
            out.alerts.push(Alert {
                kind: TamperKind::Anchor,
                first: head.seq,
                last: head.seq,
                detail: format!(
                    "seq {} was anchored with hash {} ({}) and now with {}: rewritten after anchoring",
                    head.seq,
                    short(&old.hash),
                    ms_to_rfc3339(old.at_ms),
                    short(&head.hash)
                ),
            });
            // A contradicted anchor is not compared again: one alert says it.
            contradicted = true;
        }
    }
    let mut new = Some(Anchor {
        seq: head.seq,
        hash: head.hash.clone(),
        at_ms,
        checked: contradicted,
    });
    if !contradicted && head.seq <= state.head.seq {
        match held.filter(|e| e.seq == head.seq) {
            Some(entry) => compare_anchor(&mut new, entry, &mut out),
            // Walked past but not held: it is inside a gap.
            None => {
                if let Some(anchor) = &new {
                    anchor_missing(anchor, head.seq, head.seq, &mut out);
                }
            }
        }
    }
    out.anchor = new.map(AnchorChange::Replaced);
    out
}

/// "seq 7" or "seqs 7-9".
fn seqs(first: u64, last: u64) -> String {
    if first == last {
        format!("seq {first}")
    } else {
        format!("seqs {first}-{last}")
    }
}

/// The first 12 hex digits of a hash, enough to tell two apart in a message.
fn short(hash: &str) -> String {
    let head: String = hash.chars().take(12).collect();
    if head.len() < hash.len() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Terminal;

    const TERMINAL: &str = "26734-001";

    /// Seqs `1..=n` of an honest chain.
    fn chain(n: u64) -> Vec<Rating> {
        let terminal = Terminal {
            id: TERMINAL.into(),
            commune_code: "26734".into(),
            name: "Quầy 1".into(),
            counter_id: Some("q1".into()),
        };
        let mut prev = chain::genesis(TERMINAL);
        (1..=n)
            .map(|seq| {
                let mut rating = crate::loadgen::sample_rating(&terminal, seq);
                rating.link(prev.clone());
                prev.clone_from(&rating.hash);
                rating
            })
            .collect()
    }

    /// Changes a rating's content (its hash kept).
    fn edit(rating: &mut Rating) {
        rating.level = rating.level % 3 + 1;
    }

    /// Changes a rating's content and rehashes it, linked where it was.
    fn rewrite(rating: &mut Rating) {
        edit(rating);
        let prev = rating.prev_hash.clone();
        rating.link(prev);
    }

    fn entry(rating: &Rating) -> Entry {
        Entry {
            seq: rating.seq,
            rating: Some(rating.clone()),
            hash: Some(rating.hash.clone()),
        }
    }

    /// The entries of the ratings with these seqs.
    fn entries(ratings: &[Rating], seqs: impl IntoIterator<Item = u64>) -> Vec<Entry> {
        seqs.into_iter()
            .map(|seq| entry(&ratings[usize::try_from(seq - 1).unwrap()]))
            .collect()
    }

    fn fresh(anchor: Option<Anchor>) -> ChainState {
        ChainState {
            head: Link { seq: 0, hash: None },
            anchor,
        }
    }

    fn anchored(rating: &Rating) -> Anchor {
        Anchor {
            seq: rating.seq,
            hash: rating.hash.clone(),
            at_ms: 1_767_225_600_000,
            checked: false,
        }
    }

    /// (kind, first, last) of each alert.
    fn kinds(findings: &Findings) -> Vec<(TamperKind, u64, u64)> {
        findings
            .alerts
            .iter()
            .map(|a| (a.kind, a.first, a.last))
            .collect()
    }

    #[test]
    fn an_honest_chain_walked_in_pages_finds_nothing_and_moves_the_head() {
        let ratings = chain(5);
        let mut w = Walk::new(TERMINAL, fresh(None));
        assert_eq!(w.next_rows(), Some((0, MAX_SEQ)));

        let first = walk(&mut w, &entries(&ratings, 1..=3), true);
        assert_eq!(first.alerts, []);
        assert_eq!(first.resolved, []);
        assert_eq!(
            first.head,
            Some(Link {
                seq: 3,
                hash: Some(ratings[2].hash.clone())
            })
        );
        assert_eq!(w.next_rows(), Some((3, MAX_SEQ)), "the next page");

        let last = walk(&mut w, &entries(&ratings, 4..=5), false);
        assert_eq!(last.alerts, []);
        assert_eq!(last.head.map(|h| h.seq), Some(5));
        assert_eq!(w.next_rows(), None, "a short page is the last");

        // Resumed from the stored head by the next batch: nothing new, nothing written.
        let state = ChainState {
            head: Link {
                seq: 5,
                hash: Some(ratings[4].hash.clone()),
            },
            anchor: None,
        };
        let mut w = Walk::new(TERMINAL, state);
        assert_eq!(w.next_rows(), Some((5, MAX_SEQ)));
        assert_eq!(walk(&mut w, &[], false), Findings::default());
    }

    #[test]
    fn an_edited_rating_is_found_once_as_edited() {
        let mut ratings = chain(5);
        edit(&mut ratings[2]);
        let mut w = Walk::new(TERMINAL, fresh(None));

        let found = walk(&mut w, &entries(&ratings, 1..=5), false);

        assert_eq!(kinds(&found), [(TamperKind::Edited, 3, 3)]);
        assert!(
            found.alerts[0].detail.contains("changed after sealing"),
            "{}",
            found.alerts[0].detail
        );
        assert_eq!(found.head.map(|h| h.seq), Some(5), "walked past it");
    }

    #[test]
    fn a_relinked_rating_breaks_the_link_of_the_next() {
        let mut ratings = chain(5);
        rewrite(&mut ratings[1]);
        let found = walk(
            &mut Walk::new(TERMINAL, fresh(None)),
            &entries(&ratings, 1..=5),
            false,
        );
        assert_eq!(kinds(&found), [(TamperKind::BrokenLink, 3, 3)]);

        // Seq 1 linked elsewhere than the genesis.
        let mut ratings = chain(2);
        ratings[0].link("ab".repeat(32));
        let first = ratings[0].hash.clone();
        ratings[1].link(first);
        let found = walk(
            &mut Walk::new(TERMINAL, fresh(None)),
            &entries(&ratings, 1..=2),
            false,
        );
        assert_eq!(kinds(&found), [(TamperKind::BrokenLink, 1, 1)]);
        assert!(found.alerts[0].detail.contains("genesis"));
    }

    #[test]
    fn a_gap_is_found_then_resolved_when_its_ratings_arrive_and_verify() {
        let ratings = chain(6);
        let mut w = Walk::new(TERMINAL, fresh(None));
        let found = walk(&mut w, &entries(&ratings, [1, 2, 5, 6]), false);
        assert_eq!(kinds(&found), [(TamperKind::Gap, 3, 4)]);
        assert_eq!(
            found.head.map(|h| h.seq),
            Some(6),
            "the walk goes on past it"
        );

        let gap = OpenGap {
            id: 7,
            first: 3,
            last: 4,
        };
        assert!(!gap.filled(1), "seq 4 still missing");
        assert!(gap.filled(2));

        // The next batch brings seqs 3 and 4: nothing above the head, then the gap.
        let state = ChainState {
            head: Link {
                seq: 6,
                hash: Some(ratings[5].hash.clone()),
            },
            anchor: None,
        };
        let mut w = Walk::new(TERMINAL, state);
        assert_eq!(walk(&mut w, &[], false), Findings::default());
        w.fill(gap, Some(&entry(&ratings[1])));
        assert_eq!(
            w.next_rows(),
            Some((2, 5)),
            "the gap and the rating after it"
        );
        let found = walk(&mut w, &entries(&ratings, 3..=5), false);
        assert_eq!(found.alerts, []);
        assert_eq!(found.head, None, "below the head");
        assert_eq!(
            found.resolved,
            [Resolution::Gap {
                id: 7,
                first: 3,
                last: 4,
                clean: true
            }]
        );
        assert!(found.resolved[0].text().contains("verifies"));
        assert_eq!(w.next_rows(), None);
    }

    #[test]
    fn a_filled_gap_that_does_not_fit_breaks_the_link_after_it() {
        let mut ratings = chain(5);
        rewrite(&mut ratings[2]); // another seq 3, linked to seq 2
        let mut w = Walk::new(
            TERMINAL,
            ChainState {
                head: Link {
                    seq: 5,
                    hash: Some(ratings[4].hash.clone()),
                },
                anchor: None,
            },
        );
        assert_eq!(walk(&mut w, &[], false), Findings::default());
        let gap = OpenGap {
            id: 1,
            first: 3,
            last: 3,
        };
        w.fill(gap, Some(&entry(&ratings[1])));

        let found = walk(&mut w, &entries(&ratings, 3..=4), false);

        assert_eq!(kinds(&found), [(TamperKind::BrokenLink, 4, 4)]);
        assert_eq!(
            found.resolved,
            [Resolution::Gap {
                id: 1,
                first: 3,
                last: 3,
                clean: false
            }]
        );
    }

    #[test]
    fn a_rating_rewritten_after_anchoring_is_an_anchor_alert() {
        let mut ratings = chain(5);
        let anchor = anchored(&ratings[4]);
        rewrite(&mut ratings[4]); // the chain itself verifies
        let mut w = Walk::new(TERMINAL, fresh(Some(anchor)));

        let found = walk(&mut w, &entries(&ratings, 1..=5), false);

        assert_eq!(kinds(&found), [(TamperKind::Anchor, 5, 5)]);
        assert!(found.alerts[0].detail.contains("rewritten after anchoring"));
        assert_eq!(found.anchor, Some(AnchorChange::Checked), "compared once");
    }

    #[test]
    fn an_anchored_rating_missing_then_arriving_with_its_hash_is_resolved() {
        let ratings = chain(7);
        let state = fresh(Some(anchored(&ratings[4])));
        let mut w = Walk::new(TERMINAL, state);
        let found = walk(&mut w, &entries(&ratings, [1, 2, 3, 4, 6, 7]), false);
        assert_eq!(
            kinds(&found),
            [(TamperKind::Gap, 5, 5), (TamperKind::Anchor, 5, 5)]
        );
        assert!(found.alerts[1].detail.starts_with(ANCHOR_MISSING));
        assert_eq!(found.anchor, None, "not compared yet");

        w.fill(
            OpenGap {
                id: 1,
                first: 5,
                last: 5,
            },
            Some(&entry(&ratings[3])),
        );
        let found = walk(&mut w, &entries(&ratings, 5..=6), false);
        assert_eq!(found.alerts, []);
        assert_eq!(
            found.resolved,
            [
                Resolution::AnchorArrived { seq: 5 },
                Resolution::Gap {
                    id: 1,
                    first: 5,
                    last: 5,
                    clean: true
                }
            ]
        );
        assert_eq!(found.anchor, Some(AnchorChange::Checked));
    }

    #[test]
    fn a_heartbeat_contradicting_a_held_rating_or_going_back_is_an_anchor_alert() {
        let ratings = chain(4);
        let walked = ChainState {
            head: Link {
                seq: 4,
                hash: Some(ratings[3].hash.clone()),
            },
            anchor: None,
        };
        let mut other = ratings[3].clone();
        rewrite(&mut other);
        let head = ChainHead {
            seq: 4,
            hash: other.hash.clone(),
        };

        // Held with another hash: compared at once.
        let found = anchor(&walked, &head, 1_000, Some(&entry(&ratings[3])));
        assert_eq!(kinds(&found), [(TamperKind::Anchor, 4, 4)]);
        let Some(AnchorChange::Replaced(stored)) = found.anchor else {
            panic!("the anchor is stored: {:?}", found.anchor);
        };
        assert!(stored.checked);
        assert_eq!((stored.seq, stored.at_ms), (4, 1_000));

        // The same head again: nothing.
        let state = ChainState {
            anchor: Some(stored),
            ..walked.clone()
        };
        assert_eq!(
            anchor(&state, &head, 2_000, Some(&entry(&ratings[3]))),
            Findings::default()
        );

        // The kiosk's head goes back from 4 to 2.
        let back = ChainHead {
            seq: 2,
            hash: ratings[1].hash.clone(),
        };
        let found = anchor(&state, &back, 3_000, Some(&entry(&ratings[1])));
        assert_eq!(kinds(&found), [(TamperKind::Anchor, 3, 4)]);
        assert!(found.alerts[0].detail.contains("went back"));

        // An honest head ahead of the walk: stored, compared later.
        let ahead = ChainHead {
            seq: 6,
            hash: "cd".repeat(32),
        };
        let found = anchor(&walked, &ahead, 4_000, None);
        assert_eq!(found.alerts, []);
        assert_eq!(
            found.anchor,
            Some(AnchorChange::Replaced(Anchor {
                seq: 6,
                hash: "cd".repeat(32),
                at_ms: 4_000,
                checked: false
            }))
        );
    }
}
