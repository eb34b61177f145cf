//! Logins: argon2 password hashes, and the defender that bans an address
//! after repeated failures (SFTPGo's defender as the model).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// An argon2id hash of a password, as a PHC string (`$argon2id$v=19$…`).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` matches `hash`. With no hash (an unknown user, or a
/// retailer without a password), a dummy hash is checked all the same, so
/// both cases cost the same time as a wrong password.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("no password is set for this account").unwrap_or_default());
    let (stored, real) = match hash {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    };
    ok && real
}

/// Failed logins per client address; an address with too many in a row is
/// banned for a while. A success clears the address's count.
pub struct Defender {
    after: u32,
    ban: Duration,
    state: Mutex<HashMap<IpAddr, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    banned_until: Option<Instant>,
}

impl Defender {
    pub fn new(after: u32, ban: Duration) -> Defender {
        Defender { after: after.max(1), ban, state: Mutex::new(HashMap::new()) }
    }

    pub fn is_banned(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match st.get(&ip).and_then(|e| e.banned_until) {
            Some(until) if until > now => true,
            Some(_) => {
                st.remove(&ip);
                false
            }
            None => false,
        }
    }

    /// Records a failed login; returns true when this failure bans the address.
    pub fn fail(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget old entries now and then so the map stays small.
        if st.len() > 10_000 {
            let ban = self.ban;
            st.retain(|_, e| e.banned_until.is_some_and(|u| u > now) || now.duration_since(e.last) < ban);
        }
        let e = st.entry(ip).or_insert(Entry { failures: 0, last: now, banned_until: None });
        // Failures older than a ban period no longer count.
        if now.duration_since(e.last) > self.ban {
            e.failures = 0;
        }
        e.failures += 1;
        e.last = now;
        if e.failures >= self.after && e.banned_until.is_none() {
            e.banned_until = Some(now + self.ban);
            return true;
        }
        false
    }

    pub fn succeed(&self, ip: IpAddr) {
        let mut st = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if st.get(&ip).is_some_and(|e| e.banned_until.is_none()) {
            st.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("s3cret pass").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("s3cret"));
        assert!(verify_password(Some(&h), "s3cret pass"));
        assert!(!verify_password(Some(&h), "s3cret pas"));
        assert!(!verify_password(None, "no password is set for this account"));
        assert!(!verify_password(Some("garbage"), "x"));
    }

    #[test]
    fn the_defender_bans_and_forgives() {
        let d = Defender::new(3, Duration::from_millis(200));
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        assert!(!d.fail(ip));
        assert!(!d.fail(ip));
        assert!(!d.is_banned(ip));
        assert!(d.fail(ip));
        assert!(d.is_banned(ip));
        assert!(!d.is_banned(other));
        d.succeed(ip);
        assert!(d.is_banned(ip), "a ban outlives a success");
        std::thread::sleep(Duration::from_millis(250));
        assert!(!d.is_banned(ip), "bans expire");
        assert!(!d.fail(ip), "the count starts over");
    }
}
