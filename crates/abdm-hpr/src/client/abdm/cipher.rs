//! The registry's public key and the field encryption (CONTRACT §3.3): RSA with PKCS#1 v1.5 or
//! OAEP-SHA1 padding, standard base64. Only public-key operations happen here (the timing
//! advisory RUSTSEC-2023-0071 concerns private-key operations).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};

use crate::abdm::CipherMode;

/// The key published at [`CERT_PATH`](crate::abdm::CERT_PATH).
#[derive(Debug, Clone)]
pub(crate) struct RegistryKey(RsaPublicKey);

impl RegistryKey {
    /// Reads the certificate endpoint's answer: a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or
    /// `RSA PUBLIC KEY`, bare base64 DER, or either inside a JSON object's `publicKey`.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(body)
            .map_err(|_| "the certificate is not UTF-8 text".to_owned())?
            .trim();
        let text = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(obj)) => match obj.get("publicKey") {
                Some(serde_json::Value::String(key)) => key.trim().to_owned(),
                _ => return Err("the certificate JSON has no string `publicKey`".to_owned()),
            },
            _ => text.to_owned(),
        };
        let key = if text.contains("-----BEGIN RSA PUBLIC KEY-----") {
            RsaPublicKey::from_pkcs1_pem(&text).map_err(|e| e.to_string())
        } else if text.contains("-----BEGIN") {
            RsaPublicKey::from_public_key_pem(&text).map_err(|e| e.to_string())
        } else {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let der = STANDARD
                .decode(compact)
                .map_err(|_| "the certificate is neither PEM nor base64".to_owned())?;
            RsaPublicKey::from_public_key_der(&der).map_err(|e| e.to_string())
        };
        key.map(Self)
            .map_err(|e| format!("the certificate is not an RSA public key: {e}"))
    }

    /// `plaintext` encrypted with `mode`'s padding, as standard base64; `None` for
    /// [`CipherMode::None`].
    pub fn seal(&self, mode: CipherMode, plaintext: &str) -> Result<Option<String>, String> {
        let mut rng = rsa::rand_core::OsRng;
        let sealed = match mode {
            CipherMode::None => return Ok(None),
            CipherMode::Pkcs1v15 => self
                .0
                .encrypt(&mut rng, Pkcs1v15Encrypt, plaintext.as_bytes()),
            CipherMode::OaepSha1 => {
                self.0
                    .encrypt(&mut rng, Oaep::new::<sha1::Sha1>(), plaintext.as_bytes())
            }
        };
        // the error names the failure (e.g. "message too long"), never the plaintext
        sealed
            .map(|bytes| Some(STANDARD.encode(bytes)))
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use rsa::pkcs8::EncodePublicKey as _;
    use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey};

    use super::*;

    fn keys() -> (RsaPrivateKey, String) {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        let pem = private
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        (private, pem)
    }

    #[test]
    fn every_published_form_parses_and_both_paddings_decrypt() {
        let (private, pem) = keys();
        let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        for body in [
            pem.clone(),
            der_b64.clone(),
            format!(r#"{{"publicKey":"{der_b64}"}}"#),
        ] {
            let key = RegistryKey::parse(body.as_bytes()).unwrap();
            let sealed = key
                .seal(CipherMode::Pkcs1v15, "Ayushman@143")
                .unwrap()
                .unwrap();
            let clear = private
                .decrypt(Pkcs1v15Encrypt, &STANDARD.decode(sealed).unwrap())
                .unwrap();
            assert_eq!(clear, b"Ayushman@143");
            let sealed = key
                .seal(CipherMode::OaepSha1, "Ayushman@143")
                .unwrap()
                .unwrap();
            let clear = private
                .decrypt(Oaep::new::<sha1::Sha1>(), &STANDARD.decode(sealed).unwrap())
                .unwrap();
            assert_eq!(clear, b"Ayushman@143");
            assert_eq!(key.seal(CipherMode::None, "x").unwrap(), None);
        }
    }

    #[test]
    fn other_bodies_are_refused_by_reason() {
        assert!(
            RegistryKey::parse(b"not a key!")
                .unwrap_err()
                .contains("neither PEM nor base64")
        );
        assert!(
            RegistryKey::parse(b"{\"key\":1}")
                .unwrap_err()
                .contains("publicKey")
        );
        assert!(
            RegistryKey::parse(b"aGVsbG8=")
                .unwrap_err()
                .contains("not an RSA public key")
        );
    }
}
