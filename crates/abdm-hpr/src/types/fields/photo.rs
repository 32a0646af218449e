//! The optional profile photo: base64 of a JPEG or PNG up to 1 MiB.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::macros::string_newtype;
use crate::types::{Invalid, Rule};

/// Largest accepted decoded photo.
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;

/// A base64 (RFC 4648, padded) JPEG or PNG of at most 1 MiB.
///
/// A `data:image/...;base64,` prefix and all ASCII whitespace are removed. `Debug` shows only the
/// decoded size.
///
/// ```
/// use abdm_hpr::types::Photo;
/// let p: Photo = "data:image/jpeg;base64,/9j/4A==".parse().unwrap();
/// assert_eq!(p.as_str(), "/9j/4A==");
/// assert_eq!(format!("{p:?}"), "Photo(4 bytes)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    base64: String,
    decoded_len: usize,
}

impl Photo {
    /// The rule, for forms and hints (the size limit is [`MAX_PHOTO_BYTES`]).
    pub const RULE: &'static str =
        "a base64 JPEG or PNG image (a data:image/...;base64, prefix is accepted)";

    /// Validates a base64 photo.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        // Not `clean`: line breaks inside base64 are allowed and removed below.
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::required());
        }
        let s = match s.strip_prefix("data:") {
            Some(rest) => match rest.split_once(";base64,") {
                Some((mime, data)) if mime.starts_with("image/") => data,
                _ => {
                    return Err(Invalid::new(
                        Rule::Encoding,
                        "must be a base64 image (data:image/...;base64,)",
                    ));
                }
            },
            None => s,
        };
        let base64: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if base64.chars().any(char::is_control) {
            return Err(Invalid::new(
                Rule::ControlCharacter,
                "must not contain control characters",
            ));
        }
        // Reject before decoding: base64 of 1 MiB is at most 4 * ceil(1 MiB / 3) characters.
        if base64.len() > MAX_PHOTO_BYTES.div_ceil(3) * 4 {
            return Err(Invalid::new(Rule::TooLarge, "must be at most 1 MiB"));
        }
        let bytes = STANDARD
            .decode(&base64)
            .map_err(|_| Invalid::new(Rule::Encoding, "must be standard base64 with padding"))?;
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(Invalid::new(Rule::TooLarge, "must be at most 1 MiB"));
        }
        let jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
        let png = bytes.starts_with(&[0x89, 0x50, 0x4E, 0x47]);
        if !jpeg && !png {
            return Err(Invalid::new(Rule::Encoding, "must be a JPEG or PNG image"));
        }
        Ok(Self {
            base64,
            decoded_len: bytes.len(),
        })
    }

    /// The base64 text, as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.base64
    }

    /// Size of the decoded image in bytes.
    pub fn decoded_len(&self) -> usize {
        self.decoded_len
    }
}

string_newtype!(Photo);

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo({} bytes)", self.decoded_len)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    #[test]
    fn rules() {
        let jpeg = b64(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2]);
        let png = b64(&[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A]);
        assert!(Photo::parse(&jpeg).is_ok());
        assert!(Photo::parse(&format!("data:image/png;base64,{png}")).is_ok());
        let wrapped = format!("{}\n{}", &jpeg[..4], &jpeg[4..]);
        assert_eq!(Photo::parse(&wrapped).unwrap().as_str(), jpeg);
        let rule = |s: &str| Photo::parse(s).unwrap_err().rule;
        assert_eq!(rule(&b64(b"GIF89a")), Rule::Encoding);
        assert_eq!(rule("/9j/4A"), Rule::Encoding); // no padding
        assert_eq!(rule("not base64!"), Rule::Encoding);
        assert_eq!(rule("data:text/plain;base64,/9j/4A=="), Rule::Encoding);
        let mut big = vec![0u8; MAX_PHOTO_BYTES + 1];
        big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        assert_eq!(rule(&b64(&big)), Rule::TooLarge);
        let mut max = vec![0u8; MAX_PHOTO_BYTES];
        max[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        assert!(Photo::parse(&b64(&max)).is_ok());
    }
}
