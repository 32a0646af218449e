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

/// Control characters (category Cc) and invisible format characters (category Cf: zero-width
/// space, ZWJ/ZWNJ, bidi controls, a byte-order mark, …) are rejected everywhere (CONTRACT §5).
pub(crate) fn reject_control(s: &str) -> Result<(), Invalid> {
    // the common case, checked byte by byte: ASCII has control characters but no format ones
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_control()) {
            return Err(Invalid::new(
                Rule::ControlCharacter,
                "must not contain control characters",
            ));
        }
        return Ok(());
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::new(
            Rule::ControlCharacter,
            "must not contain control characters",
        ));
    }
    if s.chars().any(is_format_char) {
        return Err(Invalid::new(
            Rule::ControlCharacter,
            "must not contain invisible formatting characters (zero-width, bidi or byte-order marks)",
        ));
    }
    Ok(())
}

/// `true` for a character of Unicode general category Cf (format), Unicode 16.
pub(crate) fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// `true` if every character is an ASCII digit `0`–`9` (Unicode digits are not).
pub(crate) fn all_ascii_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Removes the given ASCII separators (spaces, hyphens, …) used when people type numbers.
pub(crate) fn strip_separators(s: &str, separators: &[u8]) -> String {
    let is_separator = |c: char| u8::try_from(c).is_ok_and(|b| separators.contains(&b));
    // the common case, a number typed without separators, is one scan and one copy
    if !s.bytes().any(|b| separators.contains(&b)) {
        return s.to_owned();
    }
    let mut kept = String::with_capacity(s.len());
    kept.extend(s.chars().filter(|&c| !is_separator(c)));
    kept
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
