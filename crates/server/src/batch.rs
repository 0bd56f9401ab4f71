//! Turning an upload body into store items: decode (bounded), then check what only the
//! server knows (the rating must be the uploading terminal's), and fingerprint the content.

use hailong_protocol::{DecodeError, DecodeLimits, InvalidField, decode_batch};

use crate::secret::sha256_hex;
use crate::store::{IngestItem, Terminal};

/// A decoded batch, ready for [`crate::store::Store::ingest`].
#[derive(Debug)]
pub struct Prepared {
    /// The kiosk's clock when it sent the batch.
    pub device_time: String,
    /// One item per rating, request order.
    pub items: Vec<IngestItem>,
}

/// Decodes `bytes` and classifies each rating as valid or invalid for `terminal`. CPU work:
/// call it off the async workers.
pub fn prepare(
    bytes: &[u8],
    gzip: bool,
    limits: DecodeLimits,
    terminal: &Terminal,
) -> Result<Prepared, DecodeError> {
    let batch = decode_batch(bytes, gzip, limits)?;
    let items = batch
        .ratings
        .into_iter()
        .map(|decoded| {
            let index = decoded.index as u32;
            let (id, seq) = decoded.key_hint();
            let checked = decoded.rating.and_then(|r| {
                belongs_to(&r, terminal)?;
                Ok(r)
            });
            match checked {
                Ok(rating) => {
                    let canonical =
                        serde_json::to_string(&rating).expect("a Rating always serialises");
                    IngestItem::Valid {
                        index,
                        content_hash: sha256_hex(&canonical),
                        canonical,
                        rating,
                    }
                }
                Err(invalid) => IngestItem::Invalid {
                    index,
                    id,
                    seq,
                    field: invalid.field,
                    message: invalid.message,
                    raw_hash: sha256_hex(&decoded.raw),
                    raw: decoded.raw,
                },
            }
        })
        .collect();
    Ok(Prepared {
        device_time: batch.device_time,
        items,
    })
}

/// A terminal may only write its own ratings, for its own commune.
fn belongs_to(rating: &hailong_protocol::Rating, terminal: &Terminal) -> Result<(), InvalidField> {
    if rating.terminal_id != terminal.id {
        return Err(InvalidField::new(
            "terminal_id",
            format!(
                "this token belongs to terminal {}; a terminal can only upload its own ratings",
                terminal.id
            ),
        ));
    }
    if rating.commune_code != terminal.commune_code {
        return Err(InvalidField::new(
            "commune_code",
            format!(
                "terminal {} belongs to commune {}",
                terminal.id, terminal.commune_code
            ),
        ));
    }
    Ok(())
}
