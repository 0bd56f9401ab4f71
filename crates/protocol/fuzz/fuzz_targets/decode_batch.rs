//! Fuzzes the upload-batch decoder with arbitrary bytes, plain and as gzip, under the real
//! limits and under tiny ones. Invariants: never panics, never exceeds its limits, and every
//! rating it accepts is valid and survives a JSON round trip unchanged.

#![no_main]

use hailong_protocol::{DecodeLimits, Rating, decode_batch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (mode, body) = data.split_first().map_or((0, data), |(m, rest)| (*m, rest));
    let gzip = mode & 1 == 1;
    let limits = if mode & 2 == 2 {
        DecodeLimits { max_ratings: 3, max_bytes: 4096 }
    } else {
        DecodeLimits::default()
    };
    let Ok(batch) = decode_batch(body, gzip, limits) else {
        return;
    };
    assert!(batch.ratings.len() <= limits.max_ratings);
    for (i, decoded) in batch.ratings.iter().enumerate() {
        assert_eq!(decoded.index, i);
        if let Ok(rating) = &decoded.rating {
            rating.validate().expect("accepted ratings are valid");
            let json = serde_json::to_string(rating).unwrap();
            let back: Rating = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, rating);
        }
    }
});
