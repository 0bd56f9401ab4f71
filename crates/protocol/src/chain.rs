//! Tamper evidence: every sealed rating carries a hash over its canonical content and the
//! previous sealed rating's hash, one chain per terminal.
//!
//! THIS ENCODING IS A CONTRACT. Hashes made by shipped terminals must verify forever: never
//! change it; a new encoding would need a new domain tag and a way to tell them apart.
//!
//! # The chain
//! - The first rating of a terminal (seq 1) links to the terminal's genesis value:
//!   `genesis = hex(SHA-256("hailong-genesis-v1\n" || terminal_id))`, fixed when the terminal
//!   is provisioned (its id).
//! - `rating.prev_hash` is the `hash` of the rating with the previous seq (or the genesis).
//! - `rating.hash = hex(SHA-256(canonical_bytes(rating)))`, lowercase hex, 64 characters.
//!
//! # Canonical bytes
//! The ASCII domain tag `"hailong-rating-v1\n"`, then every field below in this order, each
//! encoded with one of four forms:
//! - text: byte `'S'`, its UTF-8 length as a 4-byte big-endian integer, the UTF-8 bytes;
//! - absent (an optional field that is null): byte `'N'`;
//! - integer: byte `'I'`, the value as an 8-byte big-endian unsigned integer;
//! - list: byte `'L'`, the number of items as a 4-byte big-endian integer, the items.
//!
//! | # | field | form |
//! |---|---|---|
//! | 1 | id | text, lowercase hyphenated UUID |
//! | 2 | seq | integer |
//! | 3 | terminal_id | text |
//! | 4 | commune_code | text |
//! | 5 | counter_id | text or absent |
//! | 6 | staff_id | text or absent |
//! | 7 | field_id | text or absent |
//! | 8 | dossier_code | text or absent |
//! | 9 | stage | text (`receipt` / `return`) |
//! | 10 | question_set_id | text |
//! | 11 | question_set_version | integer |
//! | 12 | level | integer |
//! | 13 | level_count | integer |
//! | 14 | answers | list; each item: criterion_id text, value integer, points integer |
//! | 15 | reasons | list of text, in the order sent |
//! | 16 | language | text |
//! | 17 | device_time | text, exactly as sent |
//! | 18 | sealed_at | text, exactly as sent |
//! | 19 | seal_cause | text (`completed` / `idle` / `recovered` / `cli`) |
//! | 20 | flags | list of text (wire strings), in the order sent |
//! | 21 | prev_hash | text |
//!
//! ## Feedback fields (added after v1 shipped, same tag)
//! A rating with no comment, no complaint and no call-back encodes exactly as above, so every
//! hash made before these fields existed still verifies. A rating with any of them appends:
//!
//! | # | field | form |
//! |---|---|---|
//! | 22 | comment | text or absent |
//! | 23 | complaint | integer, 1 or 0 |
//! | 24 | callback | absent, or list of 2: consent_version text, then the text `hex(SHA-256("hailong-phone-v1\n" \|\| phone))` |
//!
//! The phone number enters only as its digest, so a terminal can erase the number once the
//! server holds it (keeping the digest) and its chain still verifies.
//!
//! Fields added to [`Rating`](crate::Rating) later are not covered unless a new version of
//! this encoding says so.

use sha2::{Digest, Sha256};

use crate::rating::{Rating, SealCause, Stage};

/// Domain tag of the rating hash.
pub const RATING_TAG: &[u8] = b"hailong-rating-v1\n";
/// Domain tag of a call-back phone number's digest.
pub const PHONE_TAG: &[u8] = b"hailong-phone-v1\n";
/// Domain tag of the genesis value.
pub const GENESIS_TAG: &[u8] = b"hailong-genesis-v1\n";

/// The value the first rating of `terminal_id` links to.
pub fn genesis(terminal_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(GENESIS_TAG);
    hasher.update(terminal_id.as_bytes());
    hex(&hasher.finalize())
}

/// The digest of a call-back phone number that the chain covers (field 24).
pub fn phone_digest(phone: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(PHONE_TAG);
    hasher.update(phone.as_bytes());
    hex(&hasher.finalize())
}

/// The hash a rating must carry: over its canonical bytes, which include `prev_hash`.
pub fn rating_hash(rating: &Rating) -> String {
    hex(&Sha256::digest(canonical_bytes(rating)))
}

/// [`rating_hash`] where the call-back number is known only by its digest.
pub fn rating_hash_with_phone_digest(rating: &Rating, phone_digest: Option<&str>) -> String {
    hex(&Sha256::digest(canonical_bytes_with_phone_digest(
        rating,
        phone_digest,
    )))
}

/// Whether `value` looks like a hash: 64 lowercase hex digits.
pub fn is_hash(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The canonical encoding of `rating` (every field but `hash`), as specified above.
pub fn canonical_bytes(rating: &Rating) -> Vec<u8> {
    let phone = rating.callback.as_ref().map(|c| phone_digest(&c.phone));
    canonical_bytes_with_phone_digest(rating, phone.as_deref())
}

/// [`canonical_bytes`] where the call-back's phone number is known only by its digest (a
/// terminal that erased the number after the server received it). `phone_digest` is used
/// when `rating.callback` is present.
pub fn canonical_bytes_with_phone_digest(rating: &Rating, phone_digest: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(RATING_TAG);
    text(&mut out, &rating.id.hyphenated().to_string());
    integer(&mut out, rating.seq);
    text(&mut out, &rating.terminal_id);
    text(&mut out, &rating.commune_code);
    optional(&mut out, rating.counter_id.as_deref());
    optional(&mut out, rating.staff_id.as_deref());
    optional(&mut out, rating.field_id.as_deref());
    optional(&mut out, rating.dossier_code.as_deref());
    text(
        &mut out,
        match rating.stage {
            Stage::Receipt => "receipt",
            Stage::Return => "return",
        },
    );
    text(&mut out, &rating.question_set_id);
    integer(&mut out, u64::from(rating.question_set_version));
    integer(&mut out, u64::from(rating.level));
    integer(&mut out, u64::from(rating.level_count));
    list(&mut out, rating.answers.len());
    for answer in &rating.answers {
        text(&mut out, &answer.criterion_id);
        integer(&mut out, u64::from(answer.value));
        integer(&mut out, u64::from(answer.points));
    }
    list(&mut out, rating.reasons.len());
    for reason in &rating.reasons {
        text(&mut out, reason);
    }
    text(&mut out, &rating.language);
    text(&mut out, &rating.device_time);
    text(&mut out, &rating.sealed_at);
    text(
        &mut out,
        match rating.seal_cause {
            SealCause::Completed => "completed",
            SealCause::Idle => "idle",
            SealCause::Recovered => "recovered",
            SealCause::Cli => "cli",
        },
    );
    list(&mut out, rating.flags.len());
    for flag in &rating.flags {
        text(&mut out, flag.as_str());
    }
    text(&mut out, &rating.prev_hash);
    if rating.comment.is_some() || rating.complaint || rating.callback.is_some() {
        optional(&mut out, rating.comment.as_deref());
        integer(&mut out, u64::from(rating.complaint));
        match &rating.callback {
            None => out.push(b'N'),
            Some(callback) => {
                list(&mut out, 2);
                text(&mut out, &callback.consent_version);
                text(&mut out, phone_digest.unwrap_or_default());
            }
        }
    }
    out
}

fn text(out: &mut Vec<u8>, value: &str) {
    out.push(b'S');
    out.extend_from_slice(&u32::try_from(value.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
}

fn optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => text(out, value),
        None => out.push(b'N'),
    }
}

fn integer(out: &mut Vec<u8>, value: u64) {
    out.push(b'I');
    out.extend_from_slice(&value.to_be_bytes());
}

fn list(out: &mut Vec<u8>, len: usize) {
    out.push(b'L');
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Why a chain does not verify at one rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The rating's content does not match its hash: it was edited after sealing.
    Edited { seq: u64 },
    /// The rating does not link to the one before it (or to the genesis).
    BrokenLink { seq: u64 },
    /// Sequence numbers are missing: ratings were removed.
    Gap { first: u64, last: u64 },
}

/// Verifies ratings of one terminal given in ascending seq order, starting after `head`
/// (`(0, genesis)` for the start of the chain). Returns every break found.
pub fn verify<'a>(
    head: (u64, String),
    ratings: impl IntoIterator<Item = &'a Rating>,
) -> Vec<Break> {
    verify_hashed(head, ratings.into_iter().map(|r| (r, rating_hash(r))))
}

/// [`verify`] with each rating's content hash computed by the caller (a terminal that erased
/// a call-back number hashes with the number's digest, see
/// [`canonical_bytes_with_phone_digest`]).
pub fn verify_hashed<'a>(
    head: (u64, String),
    ratings: impl IntoIterator<Item = (&'a Rating, String)>,
) -> Vec<Break> {
    let (mut last_seq, mut last_hash) = head;
    let mut breaks = Vec::new();
    for (rating, content_hash) in ratings {
        if rating.seq > last_seq + 1 {
            breaks.push(Break::Gap {
                first: last_seq + 1,
                last: rating.seq - 1,
            });
        }
        if content_hash != rating.hash {
            breaks.push(Break::Edited { seq: rating.seq });
        }
        if rating.seq == last_seq + 1 && rating.prev_hash != last_hash {
            breaks.push(Break::BrokenLink { seq: rating.seq });
        }
        last_seq = rating.seq;
        last_hash.clone_from(&rating.hash);
    }
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::{Answer, Flag};

    fn fixed() -> Rating {
        Rating {
            id: "019a8f4e-0c00-7000-8000-000000000001"
                .parse()
                .expect("uuid"),
            seq: 1,
            terminal_id: "t-0001".into(),
            commune_code: "00004".into(),
            counter_id: Some("q1".into()),
            staff_id: None,
            field_id: Some("ho-tich".into()),
            dossier_code: Some("H12-0001".into()),
            stage: Stage::Return,
            question_set_id: "nhanh-3".into(),
            question_set_version: 1,
            level: 1,
            level_count: 3,
            answers: vec![Answer {
                criterion_id: "tt01-3".into(),
                value: 2,
                points: 1,
            }],
            reasons: vec!["cho-lau".into(), "thai-do".into()],
            language: "vi".into(),
            device_time: "2026-11-23T09:00:00+07:00".into(),
            sealed_at: "2026-11-23T09:00:20+07:00".into(),
            seal_cause: SealCause::Completed,
            flags: vec![Flag::SuspectedRepeat],
            prev_hash: genesis("t-0001"),
            hash: String::new(),
            comment: None,
            complaint: false,
            callback: None,
        }
    }

    /// Fixed vectors: another implementation of the encoding must produce exactly these.
    #[test]
    fn fixed_vectors() {
        let rating = fixed();
        let bytes = canonical_bytes(&rating);
        assert!(bytes.starts_with(
            b"hailong-rating-v1\nS\0\0\0\x24019a8f4e-0c00-7000-8000-000000000001I\0\0\0\0\0\0\0\x01"
        ));
        assert_eq!(bytes.len(), VECTOR_LEN);
        assert_eq!(genesis("t-0001"), VECTOR_GENESIS);
        assert_eq!(rating_hash(&rating), VECTOR_HASH);
    }

    /// The same rating with a comment, a complaint and a call-back.
    #[test]
    fn fixed_vectors_with_feedback() {
        let mut rating = fixed();
        rating.comment = Some("Thái độ tốt".into());
        rating.complaint = true;
        rating.callback = Some(crate::rating::Callback {
            phone: "0912345678".into(),
            consent_version: "pakn-2026-01".into(),
        });
        assert_eq!(canonical_bytes(&rating).len(), VECTOR_FEEDBACK_LEN);
        assert_eq!(phone_digest("0912345678"), VECTOR_PHONE_DIGEST);
        assert_eq!(rating_hash(&rating), VECTOR_FEEDBACK_HASH);
        let digest = phone_digest("0912345678");
        assert_eq!(
            canonical_bytes_with_phone_digest(&rating, Some(&digest)),
            canonical_bytes(&rating),
            "an erased number verifies by its digest"
        );
    }

    // Produced by an independent implementation: docs/chain_vector.py.
    const VECTOR_LEN: usize = 411;
    const VECTOR_GENESIS: &str = "770aa9af45713ee9eb6a269c3aed0c985009e11538c362a5701d303461f490a5";
    const VECTOR_HASH: &str = "eefa61d6e8d3c8bf14b0478ceb224bd0ad83980cba7cca0e18faab8ef77e80fc";
    const VECTOR_FEEDBACK_LEN: usize = 533;
    const VECTOR_PHONE_DIGEST: &str =
        "ed8ce622a7b678112e7a222d778b0c277c6ca1993fb3652aaabb2c2a33c33088";
    const VECTOR_FEEDBACK_HASH: &str =
        "67eebfe2d2e72df24e41386bb4fb9270efececff74c6697fa8dfd3f7cb008925";

    fn chain(n: u64) -> Vec<Rating> {
        let mut prev = genesis("t-0001");
        (1..=n)
            .map(|seq| {
                let mut rating = fixed();
                rating.seq = seq;
                rating.prev_hash = prev.clone();
                rating.hash = rating_hash(&rating);
                prev = rating.hash.clone();
                rating
            })
            .collect()
    }

    #[test]
    fn an_honest_chain_verifies() {
        let ratings = chain(5);
        assert!(is_hash(&ratings[4].hash));
        assert_eq!(verify((0, genesis("t-0001")), &ratings), vec![]);
        // Verification can resume from a known head.
        assert_eq!(verify((2, ratings[1].hash.clone()), &ratings[2..]), vec![]);
    }

    #[test]
    fn an_edit_a_removal_and_a_relink_are_found() {
        let mut edited = chain(5);
        edited[2].level = 3;
        assert_eq!(
            verify((0, genesis("t-0001")), &edited),
            vec![Break::Edited { seq: 3 }]
        );

        let mut removed = chain(5);
        let _ = removed.remove(3);
        assert_eq!(
            verify((0, genesis("t-0001")), &removed),
            vec![Break::Gap { first: 4, last: 4 }]
        );

        // Rehashing an edit without fixing the next link breaks the link instead.
        let mut rehashed = chain(5);
        rehashed[1].level = 3;
        rehashed[1].hash = rating_hash(&rehashed[1]);
        assert_eq!(
            verify((0, genesis("t-0001")), &rehashed),
            vec![Break::BrokenLink { seq: 3 }]
        );
    }
}
