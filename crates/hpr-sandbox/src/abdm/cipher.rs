//! The registry's key pair and the decryption of B's secret fields (CONTRACT §3.3).
//!
//! The key is generated on first need, off the runtime threads: most sandboxes (every Backend A
//! test) never need it, and RSA key generation takes a noticeable fraction of a second.
//! Plaintexts are put back into the body and go nowhere else: no log, no error message.

use std::sync::Arc;

use abdm_hpr::Step;
use abdm_hpr::abdm::{self, CipherMode, FieldModes, SecretField};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};

use crate::body::{Body, Field};
use crate::his::{Detail, HisError};

/// The key size: a ciphertext is exactly `KEY_BITS / 8` bytes.
pub(crate) const KEY_BITS: usize = 2048;

/// The private key and its public half as published at the cert path.
pub(crate) struct Keys {
    private: RsaPrivateKey,
    /// PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub pem: String,
}

impl Keys {
    /// A fresh pair (slow: run it on a blocking thread).
    fn generate() -> Option<Keys> {
        let private = RsaPrivateKey::new(&mut OsRng, KEY_BITS).ok()?;
        let pem = RsaPublicKey::from(&private)
            .to_public_key_pem(LineEnding::LF)
            .ok()?;
        Some(Keys { private, pem })
    }

    /// The plaintext of `ciphertext` under `mode`, if it decrypts to UTF-8. Blinded, so the
    /// time taken says nothing about the key.
    fn open(&self, mode: CipherMode, ciphertext: &[u8]) -> Option<String> {
        let plain = match mode {
            CipherMode::Pkcs1v15 => {
                self.private
                    .decrypt_blinded(&mut OsRng, Pkcs1v15Encrypt, ciphertext)
            }
            CipherMode::OaepSha1 => {
                self.private
                    .decrypt_blinded(&mut OsRng, Oaep::new::<sha1::Sha1>(), ciphertext)
            }
            CipherMode::None => return None,
        };
        String::from_utf8(plain.ok()?).ok()
    }
}

/// The key pair, made once on first use.
#[derive(Default)]
pub(crate) struct KeyCell(tokio::sync::OnceCell<Arc<Keys>>);

impl KeyCell {
    /// The keys, generating them on a blocking thread the first time (concurrent callers wait
    /// for the same generation).
    pub async fn get(&self) -> Result<Arc<Keys>, HisError> {
        self.0
            .get_or_try_init(|| async {
                match tokio::task::spawn_blocking(Keys::generate).await {
                    Ok(Some(keys)) => Ok(Arc::new(keys)),
                    _ => {
                        tracing::error!("the sandbox's RSA key pair could not be generated");
                        Err(internal())
                    }
                }
            })
            .await
            .cloned()
    }
}

/// The registry's bare 500: nothing about why (a wrong padding upstream yields just this).
pub(crate) fn internal() -> HisError {
    HisError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "HIS-500",
        "Something went wrong, please try again later",
    )
}

/// Replaces every encrypted secret field of `body` by its plaintext. A field whose mode is not
/// `none` must be standard base64 of exactly one RSA block, else it "arrived in clear": `400`
/// with `HIS-1047` per such field. A block that does not decrypt under the field's padding is a
/// bare `500`. Absent, `null` and blank fields are left for the operation to report.
pub(crate) async fn open_fields(
    keys: &KeyCell,
    modes: FieldModes,
    step: Step,
    body: &mut Body<'_>,
) -> Result<(), HisError> {
    let mut sealed = Vec::new();
    let mut in_clear = Vec::new();
    for &field in abdm::secret_fields(step) {
        let mode = modes.get(field);
        if mode == CipherMode::None {
            continue;
        }
        let value = match body.get(field.as_str()) {
            None | Some(Field::Null) => continue,
            Some(Field::Text(s)) if s.trim().is_empty() => continue,
            Some(value) => value,
        };
        match value
            .as_str()
            .and_then(|s| STANDARD.decode(s.trim()).ok())
            .filter(|block| block.len() == KEY_BITS / 8)
        {
            Some(block) => sealed.push((field, mode, block)),
            None => in_clear.push(field),
        }
    }
    if !in_clear.is_empty() {
        return Err(must_be_encrypted(&in_clear));
    }
    if sealed.is_empty() {
        return Ok(());
    }
    let keys = keys.get().await?;
    // a few milliseconds of big-number work per field: off the runtime threads
    let opened = tokio::task::spawn_blocking(move || {
        sealed
            .into_iter()
            .map(|(field, mode, block)| Some((field, keys.open(mode, &block)?)))
            .collect::<Option<Vec<_>>>()
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(internal)?;
    for (field, plain) in opened {
        body.insert(field.as_str(), Field::Text(plain.into()));
    }
    Ok(())
}

/// `400` with one `HIS-1047` detail per field that arrived in clear.
fn must_be_encrypted(fields: &[SecretField]) -> HisError {
    let details = fields
        .iter()
        .map(|field| Detail {
            code: "HIS-1047",
            message: "Input must be encrypted".to_owned(),
            field: Some(field.as_str()),
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
    HisError {
        status: StatusCode::BAD_REQUEST,
        message: format!(
            "Invalid request: {} must be encrypted with the key from {}",
            names.join(", "),
            abdm::CERT_PATH
        ),
        details,
        retry_after: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fields_in_clear_are_named_and_blocks_decrypt_under_their_padding() {
        let cell = KeyCell::default();
        let keys = cell.get().await.unwrap();
        assert!(keys.pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let public = RsaPublicKey::from(&keys.private);
        let seal = |mode: CipherMode, plain: &str| {
            let block = match mode {
                CipherMode::Pkcs1v15 => {
                    public.encrypt(&mut OsRng, Pkcs1v15Encrypt, plain.as_bytes())
                }
                _ => public.encrypt(&mut OsRng, Oaep::new::<sha1::Sha1>(), plain.as_bytes()),
            };
            STANDARD.encode(block.unwrap())
        };
        let modes: FieldModes = "email=pkcs1v15".parse().unwrap();
        let step = Step::CreateHprIdWithPreverified;

        let mut body = Body::new();
        body.insert("password", Field::Text("Secret@123".into()));
        body.insert("email", Field::Text("a@b.in".into()));
        let err = open_fields(&cell, modes, step, &mut body)
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        let codes: Vec<_> = err.details.iter().map(|d| (d.code, d.field)).collect();
        assert_eq!(
            codes,
            [("HIS-1047", Some("email")), ("HIS-1047", Some("password"))]
        );
        assert!(!err.message.contains("Secret@123"));

        body.insert(
            "password",
            Field::Text(seal(CipherMode::OaepSha1, "Secret@123").into()),
        );
        body.insert(
            "email",
            Field::Text(seal(CipherMode::Pkcs1v15, "a@b.in").into()),
        );
        open_fields(&cell, modes, step, &mut body).await.unwrap();
        assert_eq!(
            body.get("password").and_then(Field::as_str),
            Some("Secret@123")
        );
        assert_eq!(body.get("email").and_then(Field::as_str), Some("a@b.in"));

        body.insert(
            "password",
            Field::Text(seal(CipherMode::Pkcs1v15, "Secret@123").into()),
        );
        body.remove("email");
        let err = open_fields(&cell, modes, step, &mut body)
            .await
            .unwrap_err();
        assert_eq!(err, internal());
    }
}
