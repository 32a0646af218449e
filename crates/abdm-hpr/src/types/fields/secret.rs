//! Secrets: OTPs, passwords and tokens. They print as `[redacted]` everywhere, and their bytes are
//! overwritten with zeros when they are dropped (each holds a [`Zeroizing`] string), so a secret
//! does not linger in freed memory where a core dump or a later allocation could expose it.
//!
//! Copies made on purpose through `expose()` (e.g. into a serialised request body) are not covered.

use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::macros::{redacted_fmt, string_newtype};
use super::text::{clean, digits, reject_control};
use crate::types::{Invalid, Rule};

/// A one-time password: exactly 6 ASCII digits after trimming.
///
/// ```
/// use abdm_hpr::types::Otp;
/// let otp: Otp = " 123456 ".parse().unwrap();
/// assert_eq!(otp.expose(), "123456");
/// assert_eq!(format!("{otp:?}"), "Otp([redacted])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Otp(Zeroizing<String>);

// `Zeroizing` wipes the string when it drops; this marker tells callers so.
impl ZeroizeOnDrop for Otp {}

impl Otp {
    /// The number of digits.
    pub const LEN: usize = 6;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "digits only";

    /// Validates an OTP.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = clean(raw)?;
        digits(s, Self::LEN, Self::LEN)?;
        Ok(Self(Zeroizing::new(s.to_owned())))
    }

    /// The OTP itself. Only for the wire: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(Otp);
redacted_fmt!(Otp);

/// An HPR account password, never altered (not even trimmed).
///
/// 8–128 characters, no control characters, at least one ASCII upper-case letter, lower-case
/// letter, digit and punctuation character.
///
/// ```
/// use abdm_hpr::types::Password;
/// assert!("Ayushman@143".parse::<Password>().is_ok());
/// assert!("ayushman143".parse::<Password>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Zeroizing<String>);

// `Zeroizing` wipes the string when it drops; this marker tells callers so.
impl ZeroizeOnDrop for Password {}

impl Password {
    /// The fewest characters accepted.
    pub const MIN_LEN: usize = 8;
    /// The most characters accepted (the project's choice).
    pub const MAX_LEN: usize = 128;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "at least one upper-case letter, one lower-case letter, one digit and one special character; no control characters; kept exactly as typed";

    /// Each criterion of the policy and whether `raw` meets it, in a fixed order (a form's live
    /// checklist shows exactly what [`parse`](Self::parse) enforces).
    ///
    /// ```
    /// use abdm_hpr::types::{Password, PasswordCriterion};
    /// let list = Password::checklist("ayushman143");
    /// assert!(list.contains(&(PasswordCriterion::Lowercase, true)));
    /// assert!(list.contains(&(PasswordCriterion::Uppercase, false)));
    /// ```
    pub fn checklist(raw: &str) -> Vec<(PasswordCriterion, bool)> {
        let has = |f: fn(&char) -> bool| raw.chars().any(|c| f(&c));
        let n = raw.chars().count();
        PasswordCriterion::ALL
            .into_iter()
            .map(|criterion| {
                let met = match criterion {
                    PasswordCriterion::Length => (Self::MIN_LEN..=Self::MAX_LEN).contains(&n),
                    PasswordCriterion::Uppercase => has(char::is_ascii_uppercase),
                    PasswordCriterion::Lowercase => has(char::is_ascii_lowercase),
                    PasswordCriterion::Digit => has(char::is_ascii_digit),
                    PasswordCriterion::Special => has(char::is_ascii_punctuation),
                    PasswordCriterion::NoControl => !raw.chars().any(char::is_control),
                };
                (criterion, met)
            })
            .collect()
    }

    /// Checks the password policy.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Err(Invalid::required());
        }
        reject_control(raw)?;
        let checklist = Self::checklist(raw);
        let met = |c: PasswordCriterion| checklist.iter().any(|(k, ok)| *k == c && *ok);
        if !met(PasswordCriterion::Length) {
            return Err(Invalid::with_message(
                Rule::Length,
                format!("must be {} to {} characters", Self::MIN_LEN, Self::MAX_LEN),
            ));
        }
        let missing: Vec<&str> = checklist
            .iter()
            .filter(|(c, ok)| !ok && c.is_character_class())
            .map(|(c, _)| c.missing())
            .collect();
        if !missing.is_empty() {
            return Err(Invalid::with_message(
                Rule::PasswordPolicy,
                format!("must contain {}", missing.join(", ")),
            ));
        }
        Ok(Self(Zeroizing::new(raw.to_owned())))
    }

    /// The password itself. Only for the wire: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

/// One criterion of the password policy (see [`Password::checklist`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasswordCriterion {
    /// 8–128 characters.
    Length,
    /// An ASCII upper-case letter.
    Uppercase,
    /// An ASCII lower-case letter.
    Lowercase,
    /// An ASCII digit.
    Digit,
    /// An ASCII punctuation character.
    Special,
    /// No control characters.
    NoControl,
}

impl PasswordCriterion {
    /// Every criterion, in the order to show them.
    pub const ALL: [PasswordCriterion; 6] = [
        PasswordCriterion::Length,
        PasswordCriterion::Uppercase,
        PasswordCriterion::Lowercase,
        PasswordCriterion::Digit,
        PasswordCriterion::Special,
        PasswordCriterion::NoControl,
    ];

    /// A stable machine id, e.g. `"uppercase"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordCriterion::Length => "length",
            PasswordCriterion::Uppercase => "uppercase",
            PasswordCriterion::Lowercase => "lowercase",
            PasswordCriterion::Digit => "digit",
            PasswordCriterion::Special => "special",
            PasswordCriterion::NoControl => "no_control",
        }
    }

    /// The criterion in English, e.g. "8 to 128 characters".
    pub fn describe(self) -> &'static str {
        match self {
            PasswordCriterion::Length => "8 to 128 characters",
            PasswordCriterion::Uppercase => "an upper-case letter (A-Z)",
            PasswordCriterion::Lowercase => "a lower-case letter (a-z)",
            PasswordCriterion::Digit => "a digit (0-9)",
            PasswordCriterion::Special => "a special character, e.g. @ # ! -",
            PasswordCriterion::NoControl => "no control characters",
        }
    }

    fn is_character_class(self) -> bool {
        matches!(
            self,
            PasswordCriterion::Uppercase
                | PasswordCriterion::Lowercase
                | PasswordCriterion::Digit
                | PasswordCriterion::Special
        )
    }

    fn missing(self) -> &'static str {
        match self {
            PasswordCriterion::Uppercase => "an upper-case letter",
            PasswordCriterion::Lowercase => "a lower-case letter",
            PasswordCriterion::Digit => "a digit",
            _ => "a special character",
        }
    }
}

string_newtype!(Password);
redacted_fmt!(Password);

/// A bearer-like token issued by the registry (the professional's HPR `token`).
///
/// Any non-empty string is accepted; it only ever comes from the server.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Zeroizing<String>);

// `Zeroizing` wipes the string when it drops; this marker tells callers so.
impl ZeroizeOnDrop for Token {}

impl Token {
    /// Wraps a token; empty is allowed because upstream may send `""`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Ok(Self(Zeroizing::new(raw.to_owned())))
    }

    /// The token itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `true` when the server sent an empty token.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(Token);
redacted_fmt!(Token);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn otp_rules() {
        assert!(Otp::parse("012345").is_ok());
        assert_eq!(Otp::parse("12345").unwrap_err().rule, Rule::Length);
        assert_eq!(Otp::parse("12345a").unwrap_err().rule, Rule::Charset);
        assert_eq!(Otp::parse("١٢٣٤٥٦").unwrap_err().rule, Rule::Charset);
        assert_eq!(Otp::parse("").unwrap_err().rule, Rule::Required);
    }

    #[test]
    fn password_lists_missing_classes_without_the_value() {
        let e = Password::parse("lowercase1").unwrap_err();
        assert_eq!(e.rule, Rule::PasswordPolicy);
        assert_eq!(
            e.message,
            "must contain an upper-case letter, a special character"
        );
        assert!(!e.message.contains("lowercase1"));
        assert_eq!(Password::parse("Aa@1").unwrap_err().rule, Rule::Length);
        assert_eq!(
            Password::parse("Ayushman@143\n").unwrap_err().rule,
            Rule::ControlCharacter
        );
        // never trimmed: leading space is kept
        assert_eq!(
            Password::parse(" Ayushman@143").unwrap().expose(),
            " Ayushman@143"
        );
    }

    #[test]
    fn the_checklist_is_the_policy() {
        let all_met = |raw: &str| Password::checklist(raw).iter().all(|(_, met)| *met);
        for raw in [
            "Ayushman@143",
            "lowercase1",
            "Aa@1",
            "Ayushman@143\n",
            "AAAAAAAA1@",
        ] {
            assert_eq!(all_met(raw), Password::parse(raw).is_ok(), "{raw:?}");
        }
        let length = PasswordCriterion::Length.describe();
        assert!(length.contains(&Password::MIN_LEN.to_string()));
        assert!(length.contains(&Password::MAX_LEN.to_string()));
        let ids: Vec<&str> = PasswordCriterion::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            ids,
            [
                "length",
                "uppercase",
                "lowercase",
                "digit",
                "special",
                "no_control"
            ]
        );
    }

    #[test]
    fn secrets_are_wiped_on_drop() {
        // compile-time: each secret type promises to zeroize its memory when dropped
        fn wipes_on_drop<T: ZeroizeOnDrop>() {}
        wipes_on_drop::<Otp>();
        wipes_on_drop::<Password>();
        wipes_on_drop::<Token>();
        // and wrapping did not change what the values hold or compare equal to
        let otp = Otp::parse("012345").unwrap();
        assert_eq!(otp.clone(), otp);
        assert_eq!(otp.expose(), "012345");
        assert_eq!(serde_json::to_string(&otp).unwrap(), "\"012345\"");
        let back: Token = serde_json::from_str("\"abc.def\"").unwrap();
        assert_eq!(back.expose(), "abc.def");
        assert!(Token::parse("").unwrap().is_empty());
    }

    #[test]
    fn secrets_are_redacted() {
        let p = Password::parse("Ayushman@143").unwrap();
        let t = Token::parse("eyJhbGciOi.secret").unwrap();
        assert_eq!(
            format!("{p:?} {p} {t:?} {t}"),
            "Password([redacted]) [redacted] Token([redacted]) [redacted]"
        );
    }
}
