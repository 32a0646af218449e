//! Reading contract request bodies leniently, as the gateway does: unknown keys ignored, `null`,
//! `""` and a missing key all mean "absent", and codes may come as JSON numbers.

use std::future::Future as _;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use abdm_hpr::types::{Rule, ValidationErrors};
use axum::body::{Bytes, HttpBody};
use axum::http::StatusCode;
use std::borrow::Cow;

use crate::his::{Detail, HisError};

mod object;

pub(crate) use object::{Body, Field};

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unread {
    /// It is longer than the limit.
    TooLarge,
    /// The connection failed (or, read through `middleware::body_deadline`, the body came too
    /// late).
    Failed,
    /// It was not complete `timeout` after [`read_within`] first looked for it.
    Late,
}

/// The whole body, if it holds at most `max_bytes` and is complete `timeout` after this first
/// polls it (see `middleware::body_deadline`: the same rule, for a body read here).
///
/// Why not `http_body_util`'s `Limited` and `collect` under a deadline wrapper: a contract
/// request's body nearly always came with its head and is one frame. Read here, that frame is
/// the result as it is (no copy, no list of frames), and nothing is allocated, nor is the clock
/// read, unless the body is not all there yet; the wrapper, a boxed body and its flag cost four
/// allocations per request.
pub(crate) async fn read_within<B>(
    mut body: B,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Bytes, Unread>
where
    B: HttpBody<Data = Bytes> + Unpin,
{
    let mut read = Frames::default();
    let mut deadline: Option<Pin<Box<tokio::time::Sleep>>> = None;
    std::future::poll_fn(|cx| {
        loop {
            match Pin::new(&mut body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // trailers carry nothing a contract call reads
                    if let Ok(data) = frame.into_data()
                        && read.push(data, max_bytes).is_err()
                    {
                        return Poll::Ready(Err(Unread::TooLarge));
                    }
                }
                Poll::Ready(Some(Err(_))) => return Poll::Ready(Err(Unread::Failed)),
                Poll::Ready(None) => {
                    return Poll::Ready(Ok(std::mem::take(&mut read).into_bytes()));
                }
                Poll::Pending => {
                    // armed at the first wait, which is within the first poll's time (everything
                    // before it was ready at once); data that is ready wins over a passed deadline
                    let deadline =
                        deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                    return match deadline.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Err(Unread::Late)),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    })
    .await
}

/// The data frames of a body read so far: none, one (kept as it came), or several (copied
/// together).
#[derive(Default)]
enum Frames {
    #[default]
    None,
    One(Bytes),
    Several(Vec<u8>),
}

impl Frames {
    /// Adds a frame; `Err` if the body would hold more than `max_bytes`.
    fn push(&mut self, data: Bytes, max_bytes: usize) -> Result<(), ()> {
        if self.len().saturating_add(data.len()) > max_bytes {
            return Err(());
        }
        *self = match std::mem::take(self) {
            Frames::None => Frames::One(data),
            Frames::One(first) => {
                let mut several = Vec::with_capacity(first.len() + data.len());
                several.extend_from_slice(&first);
                several.extend_from_slice(&data);
                Frames::Several(several)
            }
            Frames::Several(mut several) => {
                several.extend_from_slice(&data);
                Frames::Several(several)
            }
        };
        Ok(())
    }

    fn len(&self) -> usize {
        match self {
            Frames::None => 0,
            Frames::One(one) => one.len(),
            Frames::Several(several) => several.len(),
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Frames::None => Bytes::new(),
            Frames::One(one) => one,
            Frames::Several(several) => Bytes::from(several),
        }
    }
}

/// Parses a body that must be a JSON object.
pub(crate) fn parse(bytes: &[u8]) -> Result<Body<'_>, HisError> {
    // straight into the object: valid JSON of another type is a type (`Data`) error
    match serde_json::from_slice::<Body>(bytes) {
        Ok(map) => Ok(map),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Err(malformed("The request body must be a JSON object"))
        }
        Err(_) => Err(malformed("The request body is not valid JSON")),
    }
}

fn malformed(detail: &str) -> HisError {
    HisError::new(
        StatusCode::BAD_REQUEST,
        "Malformed request",
        "HIS-400",
        detail,
    )
}

/// A string field; numbers give their decimal text; `null`, blank and missing give `None`.
pub(crate) fn text<'b>(body: &'b Body<'_>, key: &str) -> Option<Cow<'b, str>> {
    match body.get(key)? {
        Field::Text(s) if !s.trim().is_empty() => Some(Cow::Borrowed(s)),
        Field::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// A boolean field (`true`/`false`, or the strings `"true"`/`"false"`).
pub(crate) fn flag(body: &Body<'_>, key: &str) -> Option<bool> {
    match body.get(key)? {
        Field::Bool(b) => Some(*b),
        Field::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The HIS code for a present but invalid value of a field (CONTRACT §4), and the field's name
/// with a `'static` lifetime for the detail. Unknown fields get the generic `HIS-1003`.
fn invalid_code(field: &str, rule: Rule) -> (Option<&'static str>, &'static str) {
    const CODES: [(&str, &str); 16] = [
        ("address", "HIS-1003"),
        ("firstName", "HIS-1003"),
        ("middleName", "HIS-1003"),
        ("lastName", "HIS-1003"),
        ("email", "HIS-1003"),
        ("password", "HIS-1010"),
        ("pincode", "HIS-1114"),
        ("hprId", "HIS-1003"),
        ("profilePhoto", "HIS-1063"),
        ("dayOfBirth", "HIS-1003"),
        ("monthOfBirth", "HIS-1003"),
        ("yearOfBirth", "HIS-1003"),
        ("stateCode", "HIS-1024"),
        ("districtCode", "HIS-1025"),
        ("hpCategoryCode", "HIS-1061"),
        ("hpSubCategoryCode", "HIS-1062"),
    ];
    match CODES.iter().find(|(name, _)| *name == field) {
        Some(("profilePhoto", _)) if rule == Rule::TooLarge => (Some("profilePhoto"), "HIS-1064"),
        Some((name, code)) => (Some(name), code),
        None => (None, "HIS-1003"),
    }
}

/// The one place where the SDK's field errors become HIS details: a field absent from `body` is
/// `HIS-1070` ("Required field is empty"), a present one gets its field's code. Messages name the
/// field and the rule, never the value (the SDK's messages never contain it).
pub(crate) fn invalid_fields(body: &Body<'_>, report: ValidationErrors) -> HisError {
    let details = report
        .into_iter()
        .map(|e| {
            let (field, code) = invalid_code(&e.field, e.rule);
            if text(body, &e.field).is_none() {
                return Detail {
                    code: "HIS-1070",
                    message: format!("Required field is empty: {}", e.field),
                    field,
                };
            }
            let message = match field {
                // the date parts have always been reported with their rule; kept for clients
                // that match on the text
                Some("dayOfBirth" | "monthOfBirth" | "yearOfBirth") => e.to_string(),
                _ => format!("{} {}", e.field, e.message),
            };
            Detail {
                code,
                message,
                field,
            }
        })
        .collect();
    HisError::invalid_fields(details)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields() {
        let body =
            parse(br#"{"a":"x","b":"  ","c":null,"d":12,"e":true,"f":"false","g":[1]}"#).unwrap();
        assert_eq!(text(&body, "a").as_deref(), Some("x"));
        assert_eq!(text(&body, "b"), None);
        assert_eq!(text(&body, "c"), None);
        assert_eq!(text(&body, "d").as_deref(), Some("12"));
        assert_eq!(text(&body, "missing"), None);
        assert_eq!(text(&body, "g"), None);
        assert_eq!(flag(&body, "e"), Some(true));
        assert_eq!(flag(&body, "f"), Some(false));
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"{").is_err());
    }

    mod read_within {
        use std::time::Duration;

        use axum::body::Bytes;
        use futures_util::{StreamExt as _, stream};
        use http_body_util::StreamBody;
        use hyper::body::Frame;

        use crate::body::{Unread, read_within};

        type Item = Result<Frame<Bytes>, std::io::Error>;

        fn data(text: &'static str) -> Item {
            Ok(Frame::data(Bytes::from_static(text.as_bytes())))
        }

        const TIMEOUT: Duration = Duration::from_secs(10);

        async fn read(frames: Vec<Item>, max: usize) -> Result<Bytes, Unread> {
            read_within(StreamBody::new(stream::iter(frames)), max, TIMEOUT).await
        }

        #[tokio::test]
        async fn one_frame_is_the_body_as_it_came() {
            let frame = Bytes::from_static(br#"{"a":1}"#);
            let body = StreamBody::new(stream::iter([Ok::<_, std::io::Error>(Frame::data(
                frame.clone(),
            ))]));
            let got = read_within(body, 100, TIMEOUT).await.unwrap();
            assert_eq!(got, frame);
            assert_eq!(got.as_ptr(), frame.as_ptr(), "not copied");
            assert_eq!(read(vec![], 100).await.unwrap(), Bytes::new());
        }

        #[tokio::test]
        async fn several_frames_are_joined_and_trailers_ignored() {
            let mut trailers = axum::http::HeaderMap::new();
            trailers.insert("x-t", "1".parse().unwrap());
            let frames = vec![
                data("{\"a\""),
                data(":"),
                data("1}"),
                Ok(Frame::trailers(trailers)),
            ];
            assert_eq!(
                read(frames, 100).await.unwrap(),
                Bytes::from_static(br#"{"a":1}"#)
            );
        }

        #[tokio::test]
        async fn the_limit_holds_for_the_whole_body() {
            assert_eq!(
                read(vec![data("abc"), data("de")], 5).await.unwrap(),
                "abcde"
            );
            assert_eq!(
                read(vec![data("abc"), data("def")], 5).await,
                Err(Unread::TooLarge)
            );
            assert_eq!(read(vec![data("abcdef")], 5).await, Err(Unread::TooLarge));
            assert_eq!(
                read(vec![data("a"), data("b"), data("cdef")], 5).await,
                Err(Unread::TooLarge)
            );
        }

        #[tokio::test]
        async fn a_failing_body_is_unread() {
            let frames = vec![data("ab"), Err(std::io::Error::other("reset"))];
            assert_eq!(read(frames, 100).await, Err(Unread::Failed));
        }

        const SHORT: Duration = Duration::from_millis(200);

        #[tokio::test]
        async fn a_body_not_complete_in_time_is_late() {
            let never_ends = stream::iter([data("ab")]).chain(stream::pending());
            let started = std::time::Instant::now();
            let got = read_within(StreamBody::new(never_ends), 100, SHORT).await;
            assert_eq!(got, Err(Unread::Late));
            assert!(started.elapsed() >= SHORT, "{:?}", started.elapsed());
        }

        #[tokio::test]
        async fn a_body_in_pieces_within_the_time_is_read() {
            let later = stream::once(async {
                tokio::time::sleep(SHORT).await;
                data("cd")
            });
            let body = StreamBody::new(stream::iter([data("ab")]).chain(Box::pin(later)));
            assert_eq!(read_within(body, 100, TIMEOUT).await.unwrap(), "abcd");
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_told_from_one_that_is_not_json() {
        let detail = |bytes: &[u8]| parse(bytes).unwrap_err().body().to_string();
        for other_json in [&b"[1]"[..], b"\"text\"", b"12", b"null", b"true", b" [] "] {
            assert!(
                detail(other_json).contains("must be a JSON object"),
                "{other_json:?}"
            );
        }
        for broken in [
            &b""[..],
            b"{",
            b"{\"a\":}",
            b"{} {}",
            b"{}x",
            b"nul",
            b"\xff",
        ] {
            assert!(detail(broken).contains("not valid JSON"), "{broken:?}");
        }
        assert!(parse(br#" {"a": {"b": [1, 2]}} "#).is_ok());
    }

    #[test]
    fn field_errors_become_his_details_with_the_wire_texts() {
        use abdm_hpr::types::{Checker, Invalid, Photo};
        let body = parse(br#"{"pincode":"0123","dayOfBirth":"31","profilePhoto":"x"}"#).unwrap();
        let mut c = Checker::new();
        let _ = c.required("address", text(&body, "address").as_deref(), |_| Ok(()));
        let _ = c.required("pincode", text(&body, "pincode").as_deref(), |_| {
            Err::<(), _>(Invalid::new(Rule::Length, "must be 6 digits"))
        });
        c.push(Invalid::new(Rule::InvalidDate, "must be a real date").at("dayOfBirth"));
        let _ = c.record("profilePhoto", Photo::parse("x"));
        c.push(Invalid::new(Rule::TooLarge, "is too large").at("profilePhoto"));
        let e = invalid_fields(&body, c.finish().unwrap_err());
        let got: Vec<(&str, Option<&str>, &str)> = e
            .details
            .iter()
            .map(|d| (d.code, d.field, d.message.as_str()))
            .collect();
        assert_eq!(
            got[..4],
            [
                (
                    "HIS-1070",
                    Some("address"),
                    "Required field is empty: address"
                ),
                ("HIS-1114", Some("pincode"), "pincode must be 6 digits"),
                (
                    "HIS-1003",
                    Some("dayOfBirth"),
                    "dayOfBirth must be a real date [invalid_date]"
                ),
                ("HIS-1063", Some("profilePhoto"), got[3].2),
            ]
        );
        assert!(got[3].2.starts_with("profilePhoto "), "{}", got[3].2);
        assert_eq!(
            got[4],
            (
                "HIS-1064",
                Some("profilePhoto"),
                "profilePhoto is too large"
            )
        );
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.message, "Invalid request: 5 fields are invalid");
    }
}
