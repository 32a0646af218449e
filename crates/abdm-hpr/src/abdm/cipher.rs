//! Which request fields Backend B encrypts, and how (CONTRACT §3.3).
//!
//! The legacy HPR host's rules rest on uncertain public sources, so the mode is configurable per
//! field: `none`, `pkcs1v15` (RSA/ECB/PKCS1Padding) or `oaep-sha1`
//! (RSA/ECB/OAEPWithSHA-1AndMGF1Padding), written as `password=oaep-sha1,mobileNumber=pkcs1v15`.
//! The default encrypts only `password`, with OAEP-SHA1 as `BlueBash/abdm-ruby` does. This module
//! holds the names and the parsing; the RSA work is the client's (and the sandbox's).

use std::fmt;
use std::str::FromStr;

/// How one field is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CipherMode {
    /// In clear.
    #[default]
    None,
    /// RSA PKCS#1 v1.5 padding (`RSA/ECB/PKCS1Padding`), standard base64.
    Pkcs1v15,
    /// RSA OAEP with SHA-1 and MGF1-SHA-1 (`RSA/ECB/OAEPWithSHA-1AndMGF1Padding`), standard base64.
    OaepSha1,
}

impl CipherMode {
    /// Every mode, in the order they are listed to people.
    pub const ALL: [CipherMode; 3] = [CipherMode::None, CipherMode::Pkcs1v15, CipherMode::OaepSha1];

    /// The configuration name: `none`, `pkcs1v15`, `oaep-sha1`.
    pub fn as_str(self) -> &'static str {
        match self {
            CipherMode::None => "none",
            CipherMode::Pkcs1v15 => "pkcs1v15",
            CipherMode::OaepSha1 => "oaep-sha1",
        }
    }

    /// The other RSA padding: what to try when the registry cannot decrypt this one.
    pub fn other_padding(self) -> CipherMode {
        match self {
            CipherMode::Pkcs1v15 => CipherMode::OaepSha1,
            CipherMode::OaepSha1 | CipherMode::None => CipherMode::Pkcs1v15,
        }
    }
}

impl fmt::Display for CipherMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CipherMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.trim();
        CipherMode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                format!("unknown encryption mode `{wanted}`; use none, pkcs1v15 or oaep-sha1")
            })
    }
}

/// A request field Backend B may encrypt, by its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretField {
    /// `aadhaar` (step 1).
    Aadhaar,
    /// `otp` (steps 2 and 6).
    Otp,
    /// `mobileNumber` (step 4).
    MobileNumber,
    /// `mobile` (step 5).
    Mobile,
    /// `email` (step 8).
    Email,
    /// `password` (step 8).
    Password,
}

impl SecretField {
    /// Every field, in flow order.
    pub const ALL: [SecretField; 6] = [
        SecretField::Aadhaar,
        SecretField::Otp,
        SecretField::MobileNumber,
        SecretField::Mobile,
        SecretField::Email,
        SecretField::Password,
    ];

    /// The wire name, e.g. `mobileNumber`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretField::Aadhaar => "aadhaar",
            SecretField::Otp => "otp",
            SecretField::MobileNumber => "mobileNumber",
            SecretField::Mobile => "mobile",
            SecretField::Email => "email",
            SecretField::Password => "password",
        }
    }

    /// The field with this wire name.
    pub fn from_wire(name: &str) -> Option<SecretField> {
        SecretField::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl fmt::Display for SecretField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The mode of every [`SecretField`]. The default encrypts `password` with OAEP-SHA1 and sends
/// the rest in clear.
///
/// ```
/// use abdm_hpr::abdm::{CipherMode, FieldModes, SecretField};
/// let modes: FieldModes = "mobileNumber=pkcs1v15, password=none".parse().unwrap();
/// assert_eq!(modes.get(SecretField::MobileNumber), CipherMode::Pkcs1v15);
/// assert_eq!(modes.get(SecretField::Password), CipherMode::None);
/// assert_eq!(modes.to_string(), "mobileNumber=pkcs1v15");
/// assert!("pin=none".parse::<FieldModes>().unwrap_err().contains("pin"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldModes([CipherMode; 6]);

impl Default for FieldModes {
    fn default() -> Self {
        let mut modes = [CipherMode::None; 6];
        modes[SecretField::Password as usize] = CipherMode::OaepSha1;
        Self(modes)
    }
}

impl FieldModes {
    /// Every field in clear.
    pub fn none() -> Self {
        Self([CipherMode::None; 6])
    }

    /// The mode of `field`.
    pub fn get(&self, field: SecretField) -> CipherMode {
        self.0[field as usize]
    }

    /// Sets the mode of `field`.
    pub fn set(&mut self, field: SecretField, mode: CipherMode) -> &mut Self {
        self.0[field as usize] = mode;
        self
    }

    /// `true` when at least one field is encrypted (the registry's key is needed).
    pub fn any_encrypted(&self) -> bool {
        self.0.iter().any(|m| *m != CipherMode::None)
    }

    /// The encrypted fields and their modes.
    pub fn encrypted(&self) -> impl Iterator<Item = (SecretField, CipherMode)> + '_ {
        SecretField::ALL
            .into_iter()
            .map(|f| (f, self.get(f)))
            .filter(|(_, m)| *m != CipherMode::None)
    }

    /// Parses `field=mode` entries separated by commas, applied on top of the defaults; an empty
    /// string keeps the defaults. Errors name the entry, the unknown field or the unknown mode.
    pub fn parse_over_defaults(s: &str) -> Result<Self, String> {
        let mut modes = Self::default();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((field, mode)) = entry.split_once('=') else {
                return Err(format!(
                    "`{entry}` is not FIELD=MODE (e.g. password=oaep-sha1)"
                ));
            };
            let field = field.trim();
            let Some(field) = SecretField::from_wire(field) else {
                let known: Vec<&str> = SecretField::ALL.iter().map(|f| f.as_str()).collect();
                return Err(format!(
                    "unknown field `{field}` to encrypt; known: {}",
                    known.join(", ")
                ));
            };
            modes.set(field, mode.parse()?);
        }
        Ok(modes)
    }
}

impl FromStr for FieldModes {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse_over_defaults(s)
    }
}

impl fmt::Display for FieldModes {
    /// The encrypted fields as `field=mode,…` (empty when everything is in clear).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .encrypted()
            .map(|(field, mode)| format!("{field}={mode}"))
            .collect();
        f.write_str(&entries.join(","))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_encrypt_only_the_password() {
        let modes = FieldModes::default();
        assert_eq!(modes.to_string(), "password=oaep-sha1");
        assert_eq!(modes, "".parse().unwrap());
        assert!(!FieldModes::none().any_encrypted());
    }

    #[test]
    fn display_round_trips() {
        let modes: FieldModes = "otp=PKCS1V15,email=oaep-sha1".parse().unwrap();
        assert_eq!(
            modes.to_string(),
            "otp=pkcs1v15,email=oaep-sha1,password=oaep-sha1"
        );
        let again: FieldModes = modes.to_string().parse().unwrap();
        assert_eq!(again, modes);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert!(
            "password"
                .parse::<FieldModes>()
                .unwrap_err()
                .contains("FIELD=MODE")
        );
        assert!(
            "password=rot13"
                .parse::<FieldModes>()
                .unwrap_err()
                .contains("rot13")
        );
        assert!(
            "pin=none"
                .parse::<FieldModes>()
                .unwrap_err()
                .contains("`pin`")
        );
    }

    #[test]
    fn the_other_padding() {
        assert_eq!(CipherMode::Pkcs1v15.other_padding(), CipherMode::OaepSha1);
        assert_eq!(CipherMode::OaepSha1.other_padding(), CipherMode::Pkcs1v15);
    }
}
