//! What both HTTP adapters share: URL rules, the capped body read, the classification of
//! failures by whether the request can have been sent, and `Retry-After`.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use url::Url;

use crate::error::{Error, RequestSent, Result};
use crate::step::Step;

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

/// Reads the body, refusing to buffer more than [`MAX_RESPONSE_BYTES`].
pub(crate) async fn read_capped(op: Step, mut response: reqwest::Response) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(op, e))? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::Transport {
                operation: op,
                sent: RequestSent::Maybe,
                source: format!("response body exceeds {MAX_RESPONSE_BYTES} bytes").into(),
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Classifies a reqwest failure by whether the request can have reached the server.
pub(crate) fn transport_error(op: Step, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            operation: op,
            during_connect: e.is_connect(),
        };
    }
    let sent = if e.is_connect() {
        RequestSent::No
    } else {
        RequestSent::Maybe
    };
    Error::Transport {
        operation: op,
        sent,
        // the URL is dropped: it may carry more than the operation name already says
        source: Box::new(e.without_url()),
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
