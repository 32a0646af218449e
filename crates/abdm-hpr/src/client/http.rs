//! What both HTTP adapters share in their configuration: URL rules, header values and the body
//! cap. The exchange itself is in [`transport`](super::transport).

use std::net::IpAddr;

use hyper::header::HeaderValue;
use url::Url;

use crate::error::{Error, Result};

/// Responses larger than this are cut off as a transport error (a KYC photo is well below).
pub(crate) const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Validates a base URL: http(s), no query, fragment or credentials, plain `http` only for
/// loopback hosts (bodies carry Aadhaar numbers, OTPs and passwords). `what` names the setting
/// in errors (`HPR_API_URL`). Returns it without a trailing `/`.
pub(crate) fn checked_base_url(raw: &str, what: &str) -> Result<String> {
    let url =
        Url::parse(raw).map_err(|e| Error::Config(format!("{what} is not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::Config(format!(
                "{what}: plain http is only allowed for loopback hosts: bodies carry Aadhaar numbers, OTPs and passwords"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "{what}: unsupported URL scheme `{other}`"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{what} must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{what} must not contain credentials"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A header value, or a configuration error naming the setting (never quoting the value).
pub(crate) fn header_value(name: &str, value: String) -> Result<HeaderValue> {
    HeaderValue::try_from(value).map_err(|_| {
        Error::Config(format!(
            "the {name} value has characters not allowed in an HTTP header"
        ))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let ok = |u| checked_base_url(u, "URL").unwrap();
        assert_eq!(ok("https://h/api/"), "https://h/api");
        assert_eq!(ok("http://127.0.0.1:9/x"), "http://127.0.0.1:9/x");
        assert!(checked_base_url("http://[::1]:9", "URL").is_ok());
        assert!(checked_base_url("http://localhost:9", "URL").is_ok());
        for bad in [
            "http://example.com",
            "ftp://h",
            "https://h/?q=1",
            "https://u:p@h",
            "not a url",
        ] {
            let err = checked_base_url(bad, "HPR_X_URL").unwrap_err();
            assert!(
                matches!(&err, Error::Config(m) if m.contains("HPR_X_URL")),
                "{bad}: {err}"
            );
        }
    }
}
