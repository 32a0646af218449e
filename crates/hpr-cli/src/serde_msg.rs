//! serde error messages made safe to print: the files the CLI reads (session files, identity
//! lists) hold personal data, and serde quotes the offending value.

/// Drops the offending value from a serde message: ``invalid type: string "9876543210",
/// expected u32`` becomes `invalid type: string, expected u32`. Other messages are kept as they
/// are.
pub fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(end) = rest.find(", expected")
        {
            let what = &rest[..end];
            let kind = what[..what.find(['`', '"']).unwrap_or(what.len())].trim_end();
            return format!("{prefix}{kind}{}", &rest[end..]);
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_the_values() {
        assert_eq!(
            without_values(
                "invalid type: integer `234123412346`, expected a string at line 3 column 20"
            ),
            "invalid type: integer, expected a string at line 3 column 20"
        );
        assert_eq!(
            without_values("invalid type: floating point `1.5`, expected a string"),
            "invalid type: floating point, expected a string"
        );
        assert_eq!(
            without_values("invalid value: string \"9876543210\", expected x"),
            "invalid value: string, expected x"
        );
        assert_eq!(
            without_values("invalid type: map, expected a sequence at line 1 column 0"),
            "invalid type: map, expected a sequence at line 1 column 0"
        );
        assert_eq!(
            without_values("unknown field `nmae`, expected one of `aadhaar`"),
            "unknown field `nmae`, expected one of `aadhaar`"
        );
    }
}
