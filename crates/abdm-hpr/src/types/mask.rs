//! Masking rules for anything that may reach a log, a `Debug` print or an error message.

/// What a secret or a personal value prints as.
pub const REDACTED: &str = "[redacted]";

/// Keeps the last 4 characters and replaces the rest with `X`: `XXXXXXXX2346`.
///
/// Values shorter than 8 characters are masked entirely, so nothing meaningful leaks from them.
///
/// ```
/// assert_eq!(abdm_hpr::types::mask::last4("234123412346"), "XXXXXXXX2346");
/// assert_eq!(abdm_hpr::types::mask::last4("1234"), "[redacted]");
/// ```
pub fn last4(value: &str) -> String {
    let n = value.chars().count();
    if n < 8 {
        return REDACTED.to_owned();
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { 'X' } else { c })
        .collect()
}

/// Cuts a transaction id to its first 8 characters for logs: `3fa85f64…`.
///
/// ```
/// assert_eq!(abdm_hpr::types::mask::txn("3fa85f64-5717-4562-b3fc-2c963f66afa6"), "3fa85f64…");
/// assert_eq!(abdm_hpr::types::mask::txn("short"), "[redacted]");
/// ```
pub fn txn(value: &str) -> String {
    if value.chars().count() < 8 {
        return REDACTED.to_owned();
    }
    let head: String = value.chars().take(8).collect();
    format!("{head}…")
}
