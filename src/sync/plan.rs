//! What to do after the server said what it holds: a pure function, tested without a network.

use hailong_protocol::SyncStatus;

/// What the kiosk knows of its own side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    /// The last sequence number this terminal gave.
    pub last_seq: u64,
    /// The highest seq the kiosk believes the server holds (marked sent), 0 when none.
    pub highest_marked_sent: u64,
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
    Plan {
        mark_accounted_up_to: (held > 0).then_some(held.min(local.last_seq)),
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
            },
        );
        assert_eq!(plan.raise_sequence_above, Some(500));
        // Only what this terminal has can be marked.
        assert_eq!(plan.mark_accounted_up_to, Some(3));
    }

    #[test]
    fn a_server_restored_from_backup_gets_the_lost_ratings_again() {
        let plan = plan(
            &status(40, 40, vec![]),
            Local {
                last_seq: 60,
                highest_marked_sent: 60,
            },
        );
        assert_eq!(plan.resend_above, Some(40));
        let gap = plan_with_gap();
        assert_eq!(gap.resend_above, Some(20));
    }

    fn plan_with_gap() -> Plan {
        plan(
            &status(20, 60, vec![SeqRange { first: 21, last: 30 }]),
            Local {
                last_seq: 60,
                highest_marked_sent: 60,
            },
        )
    }
}
