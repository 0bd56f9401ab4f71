//! Wire types of the Hài Lòng HTTP API, version 1 (`/api/v1`), shared by the kiosk and the
//! provincial server.
//!
//! ############################################################################################
//! #  THIS IS A SHIPPED WIRE FORMAT. Kiosks in the field run old versions for years.          #
//! #  - Never rename or remove a field, an enum value or an endpoint of /api/v1.              #
//! #  - Never change a field's type or meaning.                                               #
//! #  - Only add *optional* fields (`Option<_>` or `#[serde(default)]`), so that old peers    #
//! #    keep parsing new messages and new peers keep parsing old ones.                        #
//! #  - Anything else is /api/v2.                                                             #
//! #  The server's checked-in `crates/server/openapi.json` makes every change visible in      #
//! #  review: read its diff before merging.                                                   #
//! ############################################################################################
//!
//! Receivers ignore unknown fields, so an optional field added later does not break an old
//! peer. Enums that may grow (rating flags, per-rating outcomes) have a catch-all so that an
//! old kiosk does not fail on a value it does not know.

pub mod api;
pub mod chain;
pub mod decode;
pub mod rating;

pub use api::*;
pub use decode::{
    DecodeError, DecodeLimits, DecodedBatch, DecodedRating, MAX_BATCH_BYTES, MAX_BATCH_RATINGS,
    decode_batch, encode_batch,
};
pub use rating::{
    Answer, Callback, Flag, InvalidField, MAX_ANSWER_POINTS, MAX_COMMENT_CHARS,
    MAX_DOSSIER_CODE_CHARS, MAX_ID_CHARS, MAX_LIST_LEN, MAX_SEQ, Rating, SealCause, Stage,
    normalize_phone,
};
