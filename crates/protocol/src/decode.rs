//! Bounded decoding of an upload batch (`POST /api/v1/ratings`), shared by the server and the
//! fuzz target, and the matching encoder for the kiosk.
//!
//! The decoder never allocates more than the limits allow: the compressed body is checked
//! before decompression, gzip is inflated through a hard cap, and each rating is parsed on
//! its own so that one bad rating is reported by field instead of failing the whole batch.

use std::io::{Read, Write};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::api::UploadBatch;
use crate::rating::{InvalidField, Rating};

/// Most ratings in one batch.
pub const MAX_BATCH_RATINGS: usize = 1_000;
/// Most bytes of one batch body, both as sent (compressed) and decompressed: 1 MiB.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// Limits the decoder enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Most ratings in a batch.
    pub max_ratings: usize,
    /// Most bytes of the body, before and after decompression.
    pub max_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_ratings: MAX_BATCH_RATINGS,
            max_bytes: MAX_BATCH_BYTES,
        }
    }
}

/// Why a whole batch was refused. Problems with single ratings are not errors: they come back
/// in [`DecodedRating::rating`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body as sent is larger than the limit (HTTP 413).
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body inflates to more than the limit (HTTP 413).
    #[error("decompressed body larger than {limit} bytes")]
    DecompressedTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More ratings than the limit (HTTP 413).
    #[error("{count} ratings in one batch; at most {limit}")]
    TooManyRatings {
        /// Ratings in the batch.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The gzip stream is corrupt (HTTP 400).
    #[error("invalid gzip stream: {0}")]
    Gzip(String),
    /// The body is not JSON (HTTP 400).
    #[error("malformed JSON: {0}")]
    Syntax(String),
    /// The body is JSON of the wrong shape (HTTP 400). `path` names the field.
    #[error("invalid batch at {path}: {message}")]
    Shape {
        /// JSON path of the offending field ("." for the whole body).
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// A batch whose envelope decoded; each rating decoded on its own.
#[derive(Debug, Clone)]
pub struct DecodedBatch {
    /// The kiosk's clock when it sent the batch.
    pub device_time: String,
    /// The ratings, in request order.
    pub ratings: Vec<DecodedRating>,
}

/// One rating of a batch, as received.
#[derive(Debug, Clone)]
pub struct DecodedRating {
    /// Position in the request's `ratings` array.
    pub index: usize,
    /// The rating's JSON exactly as received (kept for quarantine).
    pub raw: String,
    /// The parsed and validated rating, or the first bad field. Parse errors name the JSON
    /// path (`"level"`); validation errors come from [`Rating::validate`].
    pub rating: Result<Rating, InvalidField>,
}

impl DecodedRating {
    /// Best-effort id and seq of the rating, even when it is invalid (for the reply).
    pub fn key_hint(&self) -> (Option<uuid::Uuid>, Option<u64>) {
        if let Ok(r) = &self.rating {
            return (Some(r.id), Some(r.seq));
        }
        #[derive(Deserialize)]
        struct Hint {
            id: Option<serde_json::Value>,
            seq: Option<serde_json::Value>,
        }
        match serde_json::from_str::<Hint>(&self.raw) {
            Ok(h) => (
                h.id.and_then(|v| v.as_str().and_then(|s| s.parse().ok())),
                h.seq.and_then(|v| v.as_u64()),
            ),
            Err(_) => (None, None),
        }
    }
}

#[derive(Deserialize)]
struct RawBatch<'a> {
    device_time: String,
    #[serde(borrow)]
    ratings: Vec<&'a RawValue>,
}

/// Decodes an upload body. `gzip` says whether it came with `Content-Encoding: gzip`.
pub fn decode_batch(
    bytes: &[u8],
    gzip: bool,
    limits: DecodeLimits,
) -> Result<DecodedBatch, DecodeError> {
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let inflated;
    let json = if gzip {
        inflated = gunzip_capped(bytes, limits.max_bytes)?;
        &inflated[..]
    } else {
        bytes
    };
    let raw = parse_envelope(json)?;
    if raw.ratings.len() > limits.max_ratings {
        return Err(DecodeError::TooManyRatings {
            count: raw.ratings.len(),
            limit: limits.max_ratings,
        });
    }
    let ratings = raw
        .ratings
        .iter()
        .enumerate()
        .map(|(index, value)| DecodedRating {
            index,
            raw: value.get().to_owned(),
            rating: parse_rating(value.get()),
        })
        .collect();
    Ok(DecodedBatch {
        device_time: raw.device_time,
        ratings,
    })
}

/// Serialises a batch for upload, gzip'd when asked (then send `Content-Encoding: gzip`).
pub fn encode_batch(batch: &UploadBatch, gzip: bool) -> Vec<u8> {
    let json = serde_json::to_vec(batch).expect("an UploadBatch always serialises");
    if !gzip {
        return json;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .expect("writing to a Vec cannot fail")
}

fn gunzip_capped(bytes: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    // Read one byte past the cap to tell "exactly max" from "more than max".
    let mut capped = decoder.take(max as u64 + 1);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(max + 1));
    capped
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Gzip(e.to_string()))?;
    if out.len() > max {
        return Err(DecodeError::DecompressedTooLarge { limit: max });
    }
    Ok(out)
}

fn parse_envelope(json: &[u8]) -> Result<RawBatch<'_>, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let batch: RawBatch<'_> =
        serde_path_to_error::deserialize(&mut de).map_err(|e| envelope_error(&e))?;
    de.end().map_err(|e| DecodeError::Syntax(e.to_string()))?;
    Ok(batch)
}

fn envelope_error(e: &serde_path_to_error::Error<serde_json::Error>) -> DecodeError {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        DecodeError::Syntax(inner.to_string())
    } else {
        DecodeError::Shape {
            path: e.path().to_string(),
            message: inner.to_string(),
        }
    }
}

fn parse_rating(json: &str) -> Result<Rating, InvalidField> {
    let mut de = serde_json::Deserializer::from_str(json);
    let rating: Rating = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "rating".to_owned()
        } else {
            path
        };
        InvalidField::new(field, e.inner().to_string())
    })?;
    rating.validate()?;
    Ok(rating)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::{SealCause, Stage};

    fn rating(seq: u64) -> Rating {
        let mut rating = Rating {
            id: uuid::Uuid::now_v7(),
            seq,
            terminal_id: "t".into(),
            commune_code: "c".into(),
            counter_id: None,
            staff_id: None,
            field_id: None,
            dossier_code: None,
            stage: Stage::Receipt,
            question_set_id: "quick".into(),
            question_set_version: 1,
            level: 1,
            level_count: 3,
            answers: vec![],
            reasons: vec![],
            language: "vi".into(),
            device_time: "2026-01-05T09:12:00+07:00".into(),
            sealed_at: "2026-01-05T09:12:00+07:00".into(),
            seal_cause: SealCause::Cli,
            flags: vec![],
            prev_hash: String::new(),
            hash: String::new(),
            comment: None,
            complaint: false,
            callback: None,
        };
        rating.link(crate::chain::genesis("t"));
        rating
    }

    fn batch(n: u64) -> UploadBatch {
        UploadBatch {
            device_time: "2026-01-05T09:12:00+07:00".into(),
            ratings: (1..=n).map(rating).collect(),
        }
    }

    #[test]
    fn round_trips_plain_and_gzip() {
        let b = batch(3);
        for gzip in [false, true] {
            let d = decode_batch(&encode_batch(&b, gzip), gzip, DecodeLimits::default()).unwrap();
            let got: Vec<Rating> = d.ratings.into_iter().map(|r| r.rating.unwrap()).collect();
            assert_eq!(got, b.ratings);
        }
    }

    #[test]
    fn one_wrong_type_names_its_field_and_spares_the_rest() {
        let mut v = serde_json::to_value(batch(2)).unwrap();
        v["ratings"][1]["level"] = serde_json::json!("high");
        let d = decode_batch(v.to_string().as_bytes(), false, DecodeLimits::default()).unwrap();
        assert!(d.ratings[0].rating.is_ok());
        let err = d.ratings[1].rating.as_ref().unwrap_err();
        assert_eq!(err.field, "level");
        assert_eq!(d.ratings[1].key_hint().1, Some(2));
    }

    #[test]
    fn refuses_too_many_ratings() {
        let limits = DecodeLimits {
            max_ratings: 2,
            ..DecodeLimits::default()
        };
        let err = decode_batch(&encode_batch(&batch(3), false), false, limits).unwrap_err();
        assert!(matches!(err, DecodeError::TooManyRatings { count: 3, .. }));
    }

    #[test]
    fn gzip_bomb_stops_at_the_cap() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b' '; 8 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < MAX_BATCH_BYTES);
        let err = decode_batch(&bomb, true, DecodeLimits::default()).unwrap_err();
        assert_eq!(
            err,
            DecodeError::DecompressedTooLarge {
                limit: MAX_BATCH_BYTES
            }
        );
    }

    #[test]
    fn malformed_and_misshapen_bodies_are_told_apart() {
        let limits = DecodeLimits::default();
        assert!(matches!(
            decode_batch(b"{\"ratings\": [", false, limits),
            Err(DecodeError::Syntax(_))
        ));
        assert!(matches!(
            decode_batch(b"{\"ratings\": 5, \"device_time\": \"x\"}", false, limits),
            Err(DecodeError::Shape { path, .. }) if path == "ratings"
        ));
        assert!(matches!(
            decode_batch(b"not gzip", true, limits),
            Err(DecodeError::Gzip(_))
        ));
    }
}
