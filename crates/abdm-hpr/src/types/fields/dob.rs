//! Date of birth, sent as three wire fields `dayOfBirth`, `monthOfBirth`, `yearOfBirth`.

use time::{Date, Month, OffsetDateTime, UtcOffset};

use super::text::{clean, digits};
use crate::types::report::checked;
use crate::types::{Checker, Invalid, Rule, ValidationErrors};

/// A real Gregorian date, year ≥ 1900, not after today in India (UTC+05:30).
///
/// Day and month may be typed with or without a leading zero; they are sent zero-padded.
/// `Debug` is redacted (demographic data).
///
/// ```
/// use abdm_hpr::types::DateOfBirth;
/// let dob = DateOfBirth::from_parts("5", "8", "1988").unwrap();
/// assert_eq!((dob.day(), dob.month(), dob.year()), ("05", "08", "1988"));
/// let err = DateOfBirth::from_parts("31", "04", "1990").unwrap_err();
/// let fields: Vec<_> = err.errors().iter().map(|e| e.field.as_ref()).collect();
/// assert_eq!(fields, ["dayOfBirth", "monthOfBirth", "yearOfBirth"]);
/// let err = DateOfBirth::from_parts("1", "13", "1990").unwrap_err();
/// assert_eq!(err.to_string(), "invalid request: monthOfBirth must be 1–12 [invalid_date]");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DateOfBirth {
    day: String,
    month: String,
    year: String,
}

/// Today's date in India, the reference for "not in the future".
pub fn today_in_india() -> Date {
    // cannot fail: the offset is a constant well within ±25:59:59 (`time` has no const
    // constructor without its `macros` feature)
    #[allow(clippy::expect_used)]
    let ist = UtcOffset::from_hms(5, 30, 0).expect("+05:30 is a valid offset");
    OffsetDateTime::now_utc().to_offset(ist).date()
}

impl DateOfBirth {
    /// Day and month: 1 or 2 digits (a leading zero is optional).
    pub const DAY_MONTH_LEN: (usize, usize) = (1, 2);
    /// Year: exactly 4 digits.
    pub const YEAR_LEN: usize = 4;
    /// The earliest year accepted.
    pub const MIN_YEAR: u16 = 1900;
    /// The rule beyond the lengths, for forms and hints.
    pub const RULE: &'static str =
        "day, month and year together form a real calendar date, not after today (India time)";

    /// Validates the three parts against today's date in India.
    pub fn from_parts(day: &str, month: &str, year: &str) -> Result<Self, ValidationErrors> {
        Self::from_parts_on(day, month, year, today_in_india())
    }

    /// Validates the three parts against a given "today" (for tests and reproducible runs).
    pub fn from_parts_on(
        day: &str,
        month: &str,
        year: &str,
        today: Date,
    ) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let dob = Self::check(&mut c, Some(day), Some(month), Some(year), today);
        c.finish()?;
        checked(dob, "dayOfBirth")
    }

    /// Checks optional raw parts, recording every problem under its wire field name.
    pub(crate) fn check(
        c: &mut Checker,
        day: Option<&str>,
        month: Option<&str>,
        year: Option<&str>,
        today: Date,
    ) -> Option<Self> {
        let number = |(min_len, max_len): (usize, usize)| {
            move |raw: &str| -> Result<u16, Invalid> {
                let s = clean(raw)?;
                digits(s, min_len, max_len)?;
                // 1 to 4 ASCII digits always fit in u16; the error is for form only
                s.parse()
                    .map_err(|_| Invalid::new(Rule::Charset, "must contain only digits"))
            }
        };
        let in_range = |max: u16, message: &'static str| {
            move |n: u16| {
                if (1..=max).contains(&n) {
                    Ok(n)
                } else {
                    Err(Invalid::new(Rule::InvalidDate, message))
                }
            }
        };
        let d = c
            .required("dayOfBirth", day, number(Self::DAY_MONTH_LEN))
            .and_then(|d| c.record("dayOfBirth", in_range(31, "must be 1–31")(d)));
        let m = c
            .required("monthOfBirth", month, number(Self::DAY_MONTH_LEN))
            .and_then(|m| c.record("monthOfBirth", in_range(12, "must be 1–12")(m)));
        let y = c.required(
            "yearOfBirth",
            year,
            number((Self::YEAR_LEN, Self::YEAR_LEN)),
        );
        let y = y.and_then(|y| {
            c.record(
                "yearOfBirth",
                if y < Self::MIN_YEAR {
                    Err(Invalid::with_message(
                        Rule::TooEarly,
                        format!("must be {} or later", Self::MIN_YEAR),
                    ))
                } else {
                    Ok(y)
                },
            )
        });
        let (d, m, y) = (d?, m?, y?);
        let date = Month::try_from(m as u8)
            .ok()
            .and_then(|month| Date::from_calendar_date(i32::from(y), month, d as u8).ok());
        let Some(date) = date else {
            // each part is in range, the combination is not (30 February, 29 February 1900):
            // all three are named, each message naming the other two
            for (field, message) in [
                (
                    "dayOfBirth",
                    "is not a day of that month (with monthOfBirth and yearOfBirth)",
                ),
                (
                    "monthOfBirth",
                    "does not have that day (with dayOfBirth and yearOfBirth)",
                ),
                (
                    "yearOfBirth",
                    "with dayOfBirth and monthOfBirth does not form a real calendar date",
                ),
            ] {
                c.push(Invalid::new(Rule::InvalidDate, message).at(field));
            }
            return None;
        };
        if date > today {
            c.push(Invalid::new(Rule::InFuture, "must not be in the future").at("yearOfBirth"));
            return None;
        }
        Some(Self {
            day: format!("{d:02}"),
            month: format!("{m:02}"),
            year: format!("{y:04}"),
        })
    }

    /// Day, zero-padded to 2 digits.
    pub fn day(&self) -> &str {
        &self.day
    }

    /// Month, zero-padded to 2 digits.
    pub fn month(&self) -> &str {
        &self.month
    }

    /// Four-digit year.
    pub fn year(&self) -> &str {
        &self.year
    }
}

impl std::fmt::Debug for DateOfBirth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DateOfBirth({})", crate::types::mask::REDACTED)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules(d: &str, m: &str, y: &str) -> Vec<(String, Rule)> {
        match DateOfBirth::from_parts_on(d, m, y, date!(2026 - 11 - 27)) {
            Ok(_) => vec![],
            Err(e) => e
                .into_iter()
                .map(|e| (e.field.into_owned(), e.rule))
                .collect(),
        }
    }

    #[test]
    fn calendar_rules() {
        assert!(rules("29", "02", "1988").is_empty());
        assert!(rules("5", "8", "1988").is_empty());
        assert!(rules("27", "11", "2026").is_empty());
        let all_three = [
            ("dayOfBirth".to_owned(), Rule::InvalidDate),
            ("monthOfBirth".to_owned(), Rule::InvalidDate),
            ("yearOfBirth".to_owned(), Rule::InvalidDate),
        ];
        assert_eq!(rules("31", "04", "1990"), all_three);
        assert_eq!(rules("29", "02", "1900"), all_three);
        assert_eq!(rules("30", "02", "2000"), all_three);
        assert_eq!(
            rules("1", "13", "2000"),
            [("monthOfBirth".into(), Rule::InvalidDate)]
        );
        assert_eq!(
            rules("0", "0", "2000"),
            [
                ("dayOfBirth".into(), Rule::InvalidDate),
                ("monthOfBirth".into(), Rule::InvalidDate)
            ]
        );
        assert_eq!(
            rules("32", "01", "2000"),
            [("dayOfBirth".into(), Rule::InvalidDate)]
        );
        assert_eq!(
            rules("28", "11", "2026"),
            [("yearOfBirth".into(), Rule::InFuture)]
        );
        assert_eq!(
            rules("01", "01", "1899"),
            [("yearOfBirth".into(), Rule::TooEarly)]
        );
        assert_eq!(
            rules("01", "01", "0000"),
            [("yearOfBirth".into(), Rule::TooEarly)]
        );
        assert_eq!(
            rules("01", "01", "88"),
            [("yearOfBirth".into(), Rule::Length)]
        );
    }

    #[test]
    fn messages_name_their_field_once() {
        for (d, m, y) in [
            ("13", "13", "2000"),
            ("30", "02", "2000"),
            ("32", "1", "1990"),
        ] {
            let report = DateOfBirth::from_parts_on(d, m, y, date!(2026 - 11 - 27)).unwrap_err();
            for e in report.errors() {
                assert!(!e.message.contains(e.field.as_ref()), "{e}");
            }
        }
        let report =
            DateOfBirth::from_parts_on("1", "13", "2000", date!(2026 - 11 - 27)).unwrap_err();
        assert_eq!(
            report.to_string(),
            "invalid request: monthOfBirth must be 1–12 [invalid_date]"
        );
    }

    #[test]
    fn reports_each_bad_part() {
        assert_eq!(
            rules("", "x", "١٩٨٨"),
            [
                ("dayOfBirth".into(), Rule::Required),
                ("monthOfBirth".into(), Rule::Charset),
                ("yearOfBirth".into(), Rule::Charset)
            ]
        );
        assert_eq!(
            rules("123", "1", "1990"),
            [("dayOfBirth".into(), Rule::Length)]
        );
    }
}
