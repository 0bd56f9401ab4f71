//! Staff mode without the screens: who a PIN belongs to, the lockout after wrong PINs, and the
//! session that ends by itself.

use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};

use crate::config::TerminalConfig;

/// Wrong PINs allowed before the pad locks.
pub const MAX_TRIES: u32 = 5;
/// The first lockout; each further one doubles, up to [`LOCKOUT_MAX`].
pub const LOCKOUT_FIRST: Duration = Duration::from_secs(30);
/// The longest lockout.
pub const LOCKOUT_MAX: Duration = Duration::from_secs(3600);
/// Staff mode ends after this long without a touch.
pub const SESSION_IDLE: Duration = Duration::from_secs(60);
/// Holding the corner this long opens the PIN pad.
pub const LONG_PRESS: Duration = Duration::from_secs(3);

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A staff member (by id): sees aggregates only.
    Staff(String),
    /// The supervisor: may also see individual answers and export personal data.
    Supervisor,
}

impl Role {
    /// Whether individual answers may be shown.
    pub fn is_supervisor(&self) -> bool {
        matches!(self, Self::Supervisor)
    }
}

/// Who `pin` belongs to, if anyone. Slow on purpose (Argon2): call it off the UI thread.
pub fn identify(config: &TerminalConfig, pin: &str) -> Option<Role> {
    let matches = |hash: &str| {
        PasswordHash::new(hash).ok().is_some_and(|parsed| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
        })
    };
    if config
        .terminal
        .supervisor_pin_hash
        .as_deref()
        .is_some_and(matches)
    {
        return Some(Role::Supervisor);
    }
    config
        .staff
        .iter()
        .find(|staff| staff.pin_hash.as_deref().is_some_and(matches))
        .map(|staff| Role::Staff(staff.id.clone()))
}

/// An Argon2 hash of `pin` with a fresh salt, for the configuration.
pub fn hash_pin(pin: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Wrong PINs and the growing delay they cause. Time is given, never read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lockout {
    failures: u32,
    lockouts: u32,
    until: Option<Instant>,
}

impl Lockout {
    /// How long the pad stays locked from `now`, if it is.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        self.until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// A wrong PIN at `now`.
    pub fn failed(&mut self, now: Instant) {
        self.failures += 1;
        if self.failures >= MAX_TRIES {
            self.failures = 0;
            self.lockouts += 1;
            let delay = LOCKOUT_FIRST
                .saturating_mul(1 << self.lockouts.saturating_sub(1).min(16))
                .min(LOCKOUT_MAX);
            self.until = Some(now + delay);
        }
    }

    /// Wrong PINs since the last success or lockout.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A right PIN: everything is forgiven.
    pub fn succeeded(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_pins_identify_their_owners() {
        let demo = TerminalConfig::demo();
        assert_eq!(identify(&demo, "9999"), Some(Role::Supervisor));
        assert_eq!(identify(&demo, "1111"), Some(Role::Staff("nv-lan".into())));
        assert_eq!(identify(&demo, "2222"), Some(Role::Staff("nv-minh".into())));
        assert_eq!(identify(&demo, "1234"), None);
    }

    #[test]
    fn a_new_hash_verifies() {
        let mut config = TerminalConfig::demo();
        config.staff[0].pin_hash = Some(hash_pin("482913").expect("hash"));
        assert_eq!(
            identify(&config, "482913"),
            Some(Role::Staff(config.staff[0].id.clone()))
        );
    }

    #[test]
    fn five_wrong_pins_lock_for_a_growing_delay() {
        let start = Instant::now();
        let mut lockout = Lockout::default();
        for _ in 0..4 {
            lockout.failed(start);
        }
        assert_eq!(lockout.remaining(start), None);
        lockout.failed(start);
        assert_eq!(lockout.remaining(start), Some(LOCKOUT_FIRST));
        let later = start + LOCKOUT_FIRST;
        assert_eq!(lockout.remaining(later), None);
        for _ in 0..5 {
            lockout.failed(later);
        }
        assert_eq!(lockout.remaining(later), Some(LOCKOUT_FIRST * 2));
        lockout.succeeded();
        assert_eq!(lockout.remaining(later), None);
        assert_eq!(lockout.failures(), 0);
    }
}
