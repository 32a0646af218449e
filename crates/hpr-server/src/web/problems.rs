//! Engine errors as page problems: field rules and registry codes turned into the page's
//! language, on the field they concern.

use abdm_hpr::flow::{ErrorDocument, describe};

use super::i18n::{self, Lang, t};
use super::pages::{self, Page, Problem, Problems};

/// A problem on `field` by the engine's rule `code`: the engine's English, or the table's
/// translation.
pub(super) fn field_problem(lang: Lang, field: &str, code: &str, message: &str) -> Problem {
    let text = i18n::text_or(lang, &format!("rule.{code}"), message);
    let label = describe(field).map_or_else(
        || i18n::t(lang, &format!("field.{field}")).to_owned(),
        |d| pages::label(lang, &d, None),
    );
    Problem {
        field: Some(field.to_owned()),
        text: format!("{label}: {text}"),
    }
}

/// What to show for an engine error, in the page's language (never the submitted values: the
/// engine's messages do not hold them).
pub(super) fn problems_of(lang: Lang, error: &abdm_hpr::Error, page: Page) -> Problems {
    let doc = ErrorDocument::from_error(error);
    if let Some(fields) = &doc.error.fields {
        return Problems {
            items: fields
                .iter()
                .map(|f| {
                    let mut p = field_problem(lang, &f.field, &f.code, &f.message);
                    if f.field == "otp" {
                        let key = if page == Page::MobileOtp {
                            "field.otp.mobile"
                        } else {
                            "field.otp.aadhaar"
                        };
                        let text = i18n::text_or(lang, &format!("rule.{}", f.code), &f.message);
                        p.text = format!("{}: {text}", t(lang, key));
                    }
                    p
                })
                .collect(),
            attempts_left: None,
        };
    }
    let otp_field = matches!(page, Page::Otp | Page::MobileOtp).then(|| "otp".to_owned());
    let (key, field) = match (doc.error.kind, error.api_code()) {
        (_, Some("HIS-1013" | "HIS-2022")) => ("err.otp_wrong", otp_field),
        (_, Some("HIS-1041")) => ("err.otp_locked", otp_field),
        (_, Some("HIS-1060")) => ("err.otp_expired", otp_field),
        (_, Some("HIS-1023")) => ("err.resend_wait", None),
        (_, Some("HIS-1015" | "HIS-3021" | "HIS-1016" | "HIS-1029")) => ("err.hpr_id_taken", None),
        (abdm_hpr::flow::ErrorKind::Transport, _) => ("err.transport", None),
        (abdm_hpr::flow::ErrorKind::Conflict, _) => ("err.busy", None),
        (abdm_hpr::flow::ErrorKind::Flow, _) => ("err.flow", None),
        (abdm_hpr::flow::ErrorKind::Api, _) => ("err.registry", None),
        _ => ("err.generic", None),
    };
    let mut text = t(lang, key).to_owned();
    if key == "err.registry"
        && let Some(code) = error.api_code()
    {
        text.push_str(&format!(" ({code})"));
    }
    Problems {
        items: vec![Problem { field, text }],
        attempts_left: (key == "err.otp_wrong")
            .then(|| attempts_left(&error.to_string()))
            .flatten(),
    }
}

/// "… (2 attempts left)" in the registry's message → 2.
fn attempts_left(message: &str) -> Option<u32> {
    let at = message.find(" attempt")?;
    let digits: String = message[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_read_from_the_registry_message() {
        assert_eq!(
            attempts_left("verify_aadhaar_otp: OTP verification failed (2 attempts left)"),
            Some(2)
        );
        assert_eq!(attempts_left("(1 attempt left)"), Some(1));
        assert_eq!(attempts_left("Incorrect OTP"), None);
    }
}
