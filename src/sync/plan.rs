//! What to do after the server said what it holds: a pure function, tested without a network.

use hailong_protocol::SyncStatus;

/// What the kiosk knows of its own side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    /// The last sequence number this terminal gave.
    pub last_seq: u64,
    /// The highest seq the kiosk believes the server holds (marked sent), 0 when none.
    pub highest_marked_sent: u64,
    /// The highest seq this database has put in an upload, 0 when none. The server holds
    /// nothing of this database above it: what it holds under those keys came from elsewhere
    /// (the terminal's previous database, another uploader) and is not ours.
    pub uploaded_through: u64,
    /// Ratings of this terminal the kiosk knows the server quarantined.
    pub quarantined: u64,
}

/// The steps before uploading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Plan {
    /// Mark every unanswered rating up to this seq as held: the server accounts for them (a
    /// reply lost after the server committed, or a re-provisioned database).
    pub mark_accounted_up_to: Option<u64>,
    /// The server holds sequence numbers this terminal has not given (its database was
    /// replaced): continue numbering above them so new ratings never collide.
    pub raise_sequence_above: Option<u64>,
    /// The server lost ratings the kiosk had marked sent (a server restored from backup):
    /// forget the marks above this seq so they are sent again (duplicates are harmless).
    pub resend_above: Option<u64>,
}

/// Decides the steps from the server's status and the local view.
pub fn plan(status: &SyncStatus, local: Local) -> Plan {
    let held = status.highest_contiguous_seq;
    // Marking without uploading is a shortcut for answers lost after the server committed.
    // Only for ratings this database uploaded, and only while the server has quarantined no
    // more than the kiosk knows of: a lost answer may have been a conflict or an invalid one,
    // and then uploading again is how the kiosk learns it (the server answers per rating).
    let markable = held.min(local.last_seq).min(local.uploaded_through);
    Plan {
        mark_accounted_up_to: (markable > 0 && status.quarantined <= local.quarantined)
            .then_some(markable),
        raise_sequence_above: (status.max_seq > local.last_seq).then_some(status.max_seq),
        resend_above: (local.highest_marked_sent > status.max_seq
            || (!status.gaps.is_empty() && local.highest_marked_sent > held))
            .then_some(held),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hailong_protocol::SeqRange;

    fn status(contiguous: u64, max: u64, gaps: Vec<SeqRange>) -> SyncStatus {
        SyncStatus {
            terminal_id: "t".into(),
            highest_contiguous_seq: contiguous,
            max_seq: max,
            gaps,
            gaps_truncated: false,
            stored: max,
            quarantined: 0,
            server_time: "2026-11-23T02:00:00Z".into(),
        }
    }

    #[test]
    fn a_fresh_terminal_and_server_do_nothing_special() {
        let plan = plan(
            &status(0, 0, vec![]),
            Local {
                last_seq: 10,
                highest_marked_sent: 0,
                uploaded_through: 0,
                quarantined: 0,
            },
        );
        assert_eq!(plan, Plan::default());
    }

    #[test]
    fn what_the_server_holds_is_marked_without_uploading() {
        let plan = plan(
            &status(7, 7, vec![]),
            Local {
                last_seq: 10,
                highest_marked_sent: 5,
                uploaded_through: 10,
                quarantined: 0,
            },
        );
        assert_eq!(plan.mark_accounted_up_to, Some(7));
        assert_eq!(plan.resend_above, None);
        assert_eq!(plan.raise_sequence_above, None);
    }

    #[test]
    fn a_replaced_database_continues_numbering_above_the_server() {
        let plan = plan(
            &status(500, 500, vec![]),
            Local {
                last_seq: 3,
                highest_marked_sent: 0,
                uploaded_through: 0,
                quarantined: 0,
            },
        );
        assert_eq!(plan.raise_sequence_above, Some(500));
        // The server's 1..=3 are the old database's ratings, not these three: they are
        // uploaded (and quarantined as conflicts), never marked held.
        assert_eq!(plan.mark_accounted_up_to, None);
    }

    #[test]
    fn only_ratings_uploaded_from_here_are_marked_held() {
        let local = Local {
            last_seq: 3_000,
            highest_marked_sent: 1_000,
            uploaded_through: 2_000,
            quarantined: 0,
        };
        assert_eq!(
            plan(&status(2_500, 2_500, vec![]), local).mark_accounted_up_to,
            Some(2_000)
        );
        let fresh = Local {
            last_seq: 10,
            highest_marked_sent: 0,
            uploaded_through: 0,
            quarantined: 0,
        };
        assert_eq!(
            plan(&status(1, 1, vec![]), fresh).mark_accounted_up_to,
            None
        );
    }

    #[test]
    fn an_unknown_quarantine_is_asked_again_not_marked() {
        let mut held = status(1_000, 1_000, vec![]);
        held.quarantined = 1;
        let local = Local {
            last_seq: 1_500,
            highest_marked_sent: 0,
            uploaded_through: 1_000,
            quarantined: 0,
        };
        assert_eq!(plan(&held, local).mark_accounted_up_to, None);
        let knows = Local {
            quarantined: 1,
            ..local
        };
        assert_eq!(plan(&held, knows).mark_accounted_up_to, Some(1_000));
    }

    #[test]
    fn a_server_restored_from_backup_gets_the_lost_ratings_again() {
        let plan = plan(
            &status(40, 40, vec![]),
            Local {
                last_seq: 60,
                highest_marked_sent: 60,
                uploaded_through: 60,
                quarantined: 0,
            },
        );
        assert_eq!(plan.resend_above, Some(40));
        let gap = plan_with_gap();
        assert_eq!(gap.resend_above, Some(20));
    }

    fn plan_with_gap() -> Plan {
        plan(
            &status(
                20,
                60,
                vec![SeqRange {
                    first: 21,
                    last: 30,
                }],
            ),
            Local {
                last_seq: 60,
                highest_marked_sent: 60,
                uploaded_through: 60,
                quarantined: 0,
            },
        )
    }
}
