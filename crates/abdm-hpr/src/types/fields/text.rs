//! Character-level checks shared by the field rules.

use crate::types::{Invalid, Rule};

/// Trims Unicode whitespace and rejects empty input and control characters.
pub(crate) fn clean(raw: &str) -> Result<&str, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::required());
    }
    reject_control(s)?;
    Ok(s)
}

/// Control characters are rejected everywhere (CONTRACT §5).
pub(crate) fn reject_control(s: &str) -> Result<(), Invalid> {
    if s.chars().any(char::is_control) {
        return Err(Invalid::new(
            Rule::ControlCharacter,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// `true` if every character is an ASCII digit `0`–`9` (Unicode digits are not).
pub(crate) fn all_ascii_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Removes the given ASCII separators (spaces, hyphens, …) used when people type numbers.
pub(crate) fn strip_separators(s: &str, separators: &[char]) -> String {
    s.chars().filter(|c| !separators.contains(c)).collect()
}

/// Checks "between `min` and `max` ASCII digits" and names the rule in the message.
pub(crate) fn digits(s: &str, min: usize, max: usize) -> Result<(), Invalid> {
    if !all_ascii_digits(s) {
        return Err(Invalid::new(
            Rule::Charset,
            "must contain only the digits 0-9",
        ));
    }
    let n = s.len();
    if n < min || n > max {
        let message = if min == max {
            format!("must be exactly {min} digits")
        } else {
            format!("must be {min} to {max} digits")
        };
        return Err(Invalid::with_message(Rule::Length, message));
    }
    Ok(())
}
