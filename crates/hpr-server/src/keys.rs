//! API keys: random, shown once, stored only as a SHA-256 hash.
//!
//! A key is `hpr_` and 43 characters of URL-safe base64 (32 random bytes from the operating
//! system's generator). 256 random bits need no slow password hash: a plain SHA-256 cannot be
//! reversed, and it lets a request's key be found with one indexed lookup.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use sha2::{Digest as _, Sha256};

/// Every key starts with this (so a leaked key is recognisable by secret scanners).
pub const KEY_PREFIX: &str = "hpr_";

/// A new random key. Fails only if the operating system's random source does.
pub fn generate() -> Result<String, String> {
    Ok(format!("{KEY_PREFIX}{}", random_token()?))
}

/// 32 random bytes from the operating system, URL-safe base64 (43 characters): the secret part
/// of API keys, web-session cookies, CSRF tokens and registration links.
pub fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| format!("no random numbers from the operating system: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of `key`: its SHA-256, in hex.
pub fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Checks a key name or tenant given on the command line: 1–64 of `A–Z a–z 0–9 . _ -`.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} must be 1 to 64 letters, digits, '.', '_' or '-'"
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hash_to_hex() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(
            a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 43,
            "{a}"
        );
        assert_eq!(hash(&a).len(), 64);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("--name", "emr-1.prod_a").is_ok());
        for bad in ["", "with space", "ü", &"x".repeat(65)] {
            assert!(check_name("--name", bad).is_err(), "{bad:?}");
        }
    }
}
