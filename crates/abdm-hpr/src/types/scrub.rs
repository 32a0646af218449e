//! Making third-party error text safe to show.
//!
//! serde quotes the offending value in its messages (``invalid type: string "eyJhbGciOi…",
//! expected a boolean``). What is being decoded here is a registry response, a session file or an
//! identity list: the value can be a token, an Aadhaar number or a name, which CONTRACT §7 keeps
//! out of error text. The functions here keep what helps to fix the problem — the kind of value,
//! the expectation, the position — and drop the value itself.

/// The kinds of message whose value [`serde_message`] drops, and the words it keeps.
const VALUE_PREFIXES: [(&str, &str); 2] = [
    ("invalid type: ", "invalid type"),
    ("invalid value: ", "invalid value"),
];

/// Where the expectation starts, in the forms serde writes it.
const TAILS: [&str; 3] = [
    ", expected",
    ", there are no fields",
    ", there are no variants",
];

/// Longest unknown key shown back to the user; longer keys are more likely data than typos.
const MAX_SHOWN_KEY: usize = 64;

/// A serde error message without the value it quotes.
///
/// - `invalid type: …` / `invalid value: …` keep the kind of value (`integer`, `string`,
///   `floating point`, …) and the expectation: ``invalid type: integer `234123412346`, expected a
///   string at line 3 column 20`` becomes `invalid type: integer, expected a string at line 3
///   column 20`.
/// - `unknown variant …` never shows the variant (an enum value can be personal data such as a
///   gender): ``unknown variant `Female`, expected `M` or `F` `` becomes
///   ``unknown variant, expected `M` or `F` ``.
/// - `unknown field …` keeps the key when it looks like a misspelt field name (ASCII letters,
///   digits, `_` and `-`, starting with a letter or `_`, at most 64 characters), since that is
///   what the user needs to fix, and drops it otherwise (a key made of digits may be an Aadhaar
///   number used as a key).
/// - Any other message (`missing field`, syntax errors, messages written by this crate's own
///   validators) is returned unchanged: they name keys and positions, never values.
///
/// When the expectation cannot be found, only the kind of problem is kept.
///
/// ```
/// use abdm_hpr::types::scrub::serde_message;
///
/// let err = serde_json::from_str::<u32>(r#""9876543210""#).unwrap_err();
/// assert_eq!(
///     serde_message(&err.to_string()),
///     "invalid type: string, expected u32 at line 1 column 12"
/// );
/// ```
pub fn serde_message(message: &str) -> String {
    for (prefix, kind) in VALUE_PREFIXES {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (what, tail) = split_tail(rest);
            // the kind is the text before the quoted value; only plain words are trusted
            // (serde's own descriptions), anything else may carry the value
            let shown = what
                .split(['`', '"'])
                .next()
                .map(str::trim_end)
                .filter(|k| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
                });
            return match shown {
                Some(shown) => format!("{kind}: {shown}{tail}"),
                None => format!("{kind}{tail}"),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (_, tail) = split_tail(rest);
        return format!("unknown variant{tail}");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (what, tail) = split_tail(rest);
        return match what
            .strip_prefix('`')
            .and_then(|w| w.strip_suffix('`'))
            .filter(|key| looks_like_a_key(key))
        {
            Some(key) => format!("unknown field `{key}`{tail}"),
            None => format!("unknown field{tail}"),
        };
    }
    message.to_owned()
}

/// Splits `rest` before the last expectation marker: the value always comes before it, and a
/// value containing `, expected` must not move the split into the value.
fn split_tail(rest: &str) -> (&str, &str) {
    let at = TAILS.iter().filter_map(|t| rest.rfind(t)).max();
    match at {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    }
}

fn looks_like_a_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && key.len() <= MAX_SHOWN_KEY
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn mistyped_values_keep_their_kind_not_their_value() {
        assert_eq!(
            serde_message(
                "invalid type: integer `234123412346`, expected a string at line 3 column 20"
            ),
            "invalid type: integer, expected a string at line 3 column 20"
        );
        assert_eq!(
            serde_message("invalid type: floating point `1.5`, expected a string"),
            "invalid type: floating point, expected a string"
        );
        assert_eq!(
            serde_message("invalid value: string \"9876543210\", expected x"),
            "invalid value: string, expected x"
        );
        assert_eq!(
            serde_message(r#"invalid type: string "eyJ.secret-token", expected a boolean"#),
            "invalid type: string, expected a boolean"
        );
        // no value quoted: unchanged
        assert_eq!(
            serde_message("invalid type: map, expected a sequence at line 1 column 0"),
            "invalid type: map, expected a sequence at line 1 column 0"
        );
    }

    #[test]
    fn a_value_that_mimics_the_expectation_does_not_leak() {
        let message = r#"invalid type: string "Asha, expected 9876543210", expected a boolean"#;
        assert_eq!(
            serde_message(message),
            "invalid type: string, expected a boolean"
        );
        // an unknown description (not plain words) is dropped with the value
        assert_eq!(
            serde_message("invalid value: 9876543210, expected u8"),
            "invalid value, expected u8"
        );
        assert_eq!(
            serde_message("invalid type: string \"secret\""),
            "invalid type: string"
        );
        assert_eq!(serde_message("invalid value: 9876543210"), "invalid value");
    }

    #[test]
    fn unknown_variants_are_never_shown() {
        assert_eq!(
            serde_message("unknown variant `Female`, expected `M` or `F`"),
            "unknown variant, expected `M` or `F`"
        );
        assert_eq!(
            serde_message("unknown variant `secret`, there are no variants"),
            "unknown variant, there are no variants"
        );
        assert_eq!(serde_message("unknown variant `secret`"), "unknown variant");
    }

    #[test]
    fn unknown_keys_are_shown_only_when_they_look_like_keys() {
        assert_eq!(
            serde_message("unknown field `nmae`, expected one of `aadhaar`"),
            "unknown field `nmae`, expected one of `aadhaar`"
        );
        assert_eq!(
            serde_message("unknown field `first_name-2`, there are no fields"),
            "unknown field `first_name-2`, there are no fields"
        );
        assert_eq!(
            serde_message("unknown field `234123412346`, expected `name`"),
            "unknown field, expected `name`"
        );
        assert_eq!(
            serde_message("unknown field `Asha Verma`, expected `name`"),
            "unknown field, expected `name`"
        );
        let long = format!("unknown field `{}`, expected `name`", "a".repeat(65));
        assert_eq!(serde_message(&long), "unknown field, expected `name`");
    }

    #[test]
    fn other_messages_are_kept() {
        for message in [
            "missing field `txnId`",
            "expected value at line 1 column 1",
            "trailing characters at line 1 column 18",
            "must be exactly 6 digits",
            "invalid length 3, expected a tuple of size 2",
        ] {
            assert_eq!(serde_message(message), message);
        }
    }

    #[test]
    fn real_serde_json_errors() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Person {
            name: String,
            gender: Gender,
        }
        #[derive(Debug, serde::Deserialize)]
        enum Gender {
            M,
            F,
        }
        let scrub = |json: &str| {
            let err = serde_json::from_str::<Person>(json).unwrap_err();
            serde_message(&err.to_string())
        };
        let text = scrub(r#"{"name": 234123412346, "gender": "M"}"#);
        assert!(
            text.starts_with("invalid type: integer, expected a string"),
            "{text}"
        );
        let text = scrub(r#"{"name": "Asha", "gender": "Female"}"#);
        assert!(text.starts_with("unknown variant, expected"), "{text}");
        assert!(!text.contains("Female"), "{text}");
        let text = scrub(r#"{"nmae": "Asha"}"#);
        assert!(text.starts_with("unknown field `nmae`, expected"), "{text}");
    }
}
