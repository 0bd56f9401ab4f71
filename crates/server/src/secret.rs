//! Bearer tokens and enrollment codes: generation, normalisation and the hashes the store
//! keeps (the server never stores either in clear).

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Digits of an enrollment code: short enough to type on a keypad, 10^10 possibilities,
/// single use, expiring, and rate-limited at the enrollment endpoint.
pub const CODE_DIGITS: usize = 10;

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    let digest = Sha256::digest(data.as_ref());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A fresh bearer token: 32 random bytes, base64url without padding (43 characters).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The hash stored for a token. SHA-256 suffices: tokens carry 256 bits of entropy.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A fresh enrollment code of [`CODE_DIGITS`] digits, uniformly drawn.
pub fn new_code() -> Result<String, getrandom::Error> {
    const SPACE: u64 = 10_000_000_000;
    // Reject the top of the u64 range so that `% SPACE` stays uniform.
    let limit = u64::MAX - u64::MAX % SPACE;
    loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)?;
        let n = u64::from_le_bytes(bytes);
        if n < limit {
            return Ok(format!("{:010}", n % SPACE));
        }
    }
}

/// The code as shown to people: "12345-67890".
pub fn display_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a}-{b}")
}

/// The digits of a typed code (spaces, dashes and other separators dropped), if it has
/// exactly [`CODE_DIGITS`] of them.
pub fn normalise_code(typed: &str) -> Option<String> {
    if typed.chars().any(char::is_alphabetic) {
        return None;
    }
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == CODE_DIGITS).then_some(digits)
}

/// The hash stored for a (normalised) code.
pub fn code_hash(digits: &str) -> String {
    sha256_hex(format!("hailong-enrollment-code:{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_digits_and_survive_typing_with_separators() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), CODE_DIGITS);
        let shown = display_code(&code);
        assert_eq!(normalise_code(&shown).as_deref(), Some(code.as_str()));
        assert_eq!(
            normalise_code(" 12345 67890 ").as_deref(),
            Some("1234567890")
        );
        assert_eq!(normalise_code("12345"), None);
        assert_eq!(normalise_code("12345-6789a0"), None);
    }

    #[test]
    fn tokens_are_43_url_safe_chars_and_differ() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(token_hash(&a).len(), 64);
    }
}

/// Fewest characters a report token may have.
pub const MIN_REPORT_TOKEN_CHARS: usize = 32;

/// The token that opens `GET /api/v1/reports` (the province's dashboards), configured when the
/// server starts. Only its SHA-256 is kept; `Debug` never shows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ReportToken([u8; 32]);

/// Why a report token was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportTokenError {
    /// Too short to resist guessing.
    #[error(
        "the report token must have at least {MIN_REPORT_TOKEN_CHARS} characters \
         (e.g. `head -c 32 /dev/urandom | base64`)"
    )]
    TooShort,
    /// Spaces or control characters: it would not survive an `Authorization` header.
    #[error("the report token must not contain spaces or control characters")]
    BadCharacters,
}

impl ReportToken {
    /// The token `secret` (surrounding whitespace, e.g. a file's final newline, ignored).
    pub fn new(secret: &str) -> Result<Self, ReportTokenError> {
        let secret = secret.trim();
        if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ReportTokenError::BadCharacters);
        }
        if secret.chars().count() < MIN_REPORT_TOKEN_CHARS {
            return Err(ReportTokenError::TooShort);
        }
        Ok(Self(Sha256::digest(secret.as_bytes()).into()))
    }

    /// Whether `presented` is the token, comparing digests in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest
            .iter()
            .zip(self.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for ReportToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportToken(<redacted>)")
    }
}
