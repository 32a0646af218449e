//! Property tests for the field newtypes, the Verhoeff check digit and request-level validation
//! (CONTRACT §5). All numbers are generated; none is a real Aadhaar or mobile number.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use abdm_hpr::types::verhoeff::{check_digit, is_valid};
use abdm_hpr::types::{
    Aadhaar, Address, CategoryCode, CreateHprIdInput, DateOfBirth, DistrictCode, DomainName, Email,
    HprId, IdType, Invalid, Mobile, Otp, Password, PersonName, Photo, Pincode, Rule, StateCode,
    SubCategoryCode, Token, TxnId,
};
use proptest::prelude::*;
use proptest::sample::select;
use time::Date;
use time::macros::date;

/// The fixed "today" used for date rules, so runs are reproducible.
const TODAY: Date = date!(2026 - 11 - 27);

/// 128 cases per property by default; `PROPTEST_CASES=n` overrides it for deeper runs.
fn config() -> ProptestConfig {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(128)
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

fn to_text(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

fn to_values(text: &str) -> Vec<u8> {
    text.bytes().map(|b| b - b'0').collect()
}

/// 11 random payload digits.
fn payload11() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..10, 11)
}

/// A syntactically valid Aadhaar number: first digit 2–9, Verhoeff check digit appended.
fn aadhaar() -> impl Strategy<Value = String> {
    (2u8..10, prop::collection::vec(0u8..10, 10)).prop_map(|(first, rest)| {
        let mut digits = vec![first];
        digits.extend(rest);
        digits.push(check_digit(&digits));
        to_text(&digits)
    })
}

/// Runs of ASCII spaces and hyphens (possibly empty) as people type them between digits.
fn separator() -> impl Strategy<Value = String> {
    "[ -]{0,3}"
}

/// Joins `text` with the given separators between characters (`seps[i]` after character `i`).
fn interleave(text: &str, seps: &[String]) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        out.push(c);
        if let Some(sep) = seps.get(i).filter(|_| i + 1 < text.chars().count()) {
            out.push_str(sep);
        }
    }
    out
}

/// Unicode decimal digits that are not ASCII, per script (zero of each block).
static NON_ASCII_ZEROS: [char; 6] = [
    '\u{0966}', // Devanagari ०
    '\u{FF10}', // full-width ０
    '\u{0660}', // Arabic-Indic ٠
    '\u{06F0}', // Extended Arabic-Indic ۰
    '\u{09E6}', // Bengali ০
    '\u{0BE6}', // Tamil ௦
];

/// The digit `d` written in the script whose zero is `zero`.
fn in_script(zero: char, d: u8) -> char {
    char::from_u32(zero as u32 + u32::from(d)).expect("digit blocks are contiguous")
}

/// Unicode whitespace (`char::is_whitespace`), ASCII and not.
static WHITESPACE: [char; 17] = [
    ' ', '\t', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}',
    '\u{2007}', '\u{200A}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}',
];

fn whitespace_only() -> impl Strategy<Value = String> {
    prop::collection::vec(select(&WHITESPACE[..]), 0..8).prop_map(|v| v.into_iter().collect())
}

/// A 10-digit mobile number starting with 6–9.
fn mobile() -> impl Strategy<Value = String> {
    "[6-9][0-9]{9}"
}

/// A valid HPR ID username by CONTRACT §5.2: 4–50 of `[A-Za-z0-9._]`, first alphanumeric, last
/// neither `.` nor `_`.
fn username() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._]{2,48}[A-Za-z0-9]"
}

/// `@hpr.abdm` with each letter's case chosen at random.
fn hpr_suffix() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), 9).prop_map(|upper| {
        "@hpr.abdm"
            .chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

/// Simple valid e-mail addresses.
fn email() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_+-]{1,16}(\\.[A-Za-z0-9_+-]{1,8}){0,2}@[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]{1,10}){0,2}\\.[a-z]{2,6}"
}

const PW_CLASSES: [&str; 4] = [
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
];

/// A password of 8–128 characters with at least one character from each class in `classes`,
/// every other character drawn from those classes (plus spaces when `space`), shuffled.
fn password_from(classes: Vec<usize>, space: bool) -> impl Strategy<Value = String> {
    let mut pool: Vec<char> = classes
        .iter()
        .flat_map(|&k| PW_CLASSES[k].chars())
        .collect();
    if space {
        pool.push(' ');
    }
    let required: Vec<_> = classes
        .iter()
        .map(|&k| select(PW_CLASSES[k].chars().collect::<Vec<_>>()))
        .collect();
    let filler_len = 8usize.saturating_sub(classes.len())..=(128 - classes.len()).min(60);
    (required, prop::collection::vec(select(pool), filler_len))
        .prop_flat_map(|(mut chars, filler)| {
            chars.extend(filler);
            Just(chars).prop_shuffle()
        })
        .prop_map(|chars| chars.into_iter().collect())
}

fn policy_password() -> impl Strategy<Value = String> {
    password_from(vec![0, 1, 2, 3], true)
}

/// A real Gregorian date from 1900-01-01 up to and including `TODAY`.
fn real_date() -> impl Strategy<Value = Date> {
    let lo = date!(1900 - 01 - 01).to_julian_day();
    let hi = TODAY.to_julian_day();
    (lo..=hi).prop_map(|jd| Date::from_julian_day(jd).expect("in range"))
}

fn rule_of<T>(r: Result<T, Invalid>) -> Rule {
    match r {
        Ok(_) => panic!("expected a rejection"),
        Err(e) => e.rule,
    }
}

// ---------------------------------------------------------------------------------------------
// Verhoeff

#[test]
fn verhoeff_contract_vectors() {
    assert_eq!(check_digit(&[2, 3, 6]), 3);
    assert_eq!(check_digit(&[1, 2, 3, 4, 5]), 1);
    assert!(is_valid(&[2, 3, 6, 3]));
    assert!(is_valid(&[1, 2, 3, 4, 5, 1]));
    for ok in ["234123412346", "498765432102", "987654321012"] {
        assert!(is_valid(&to_values(ok)), "{ok} should pass Verhoeff");
        assert!(Aadhaar::parse(ok).is_ok(), "{ok} should be an Aadhaar");
    }
    for bad in ["234123412345", "234123412364"] {
        assert!(!is_valid(&to_values(bad)), "{bad} should fail Verhoeff");
        assert_eq!(rule_of(Aadhaar::parse(bad)), Rule::Checksum, "{bad}");
    }
    // The checksum passes but an Aadhaar never starts with 1 (nor does the peer docs' example).
    assert!(is_valid(&to_values("123456789010")));
    assert_eq!(rule_of(Aadhaar::parse("123456789010")), Rule::FirstDigit);
    assert_eq!(rule_of(Aadhaar::parse("123456789012")), Rule::FirstDigit);
    // Edge cases of the slice API.
    assert!(!is_valid(&[]));
    assert!(!is_valid(&[2, 3, 6, 13]));
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn verhoeff_appended_check_digit_is_valid(payload in payload11()) {
        let mut full = payload.clone();
        full.push(check_digit(&payload));
        prop_assert!(is_valid(&full));
        // Exactly one check digit works.
        let valid_endings = (0..10u8)
            .filter(|&d| {
                let mut other = payload.clone();
                other.push(d);
                is_valid(&other)
            })
            .count();
        prop_assert_eq!(valid_endings, 1);
    }

    #[test]
    fn verhoeff_detects_every_single_digit_error(payload in payload11()) {
        let mut full = payload.clone();
        full.push(check_digit(&payload));
        for pos in 0..full.len() {
            for replacement in (0..10u8).filter(|&d| d != full[pos]) {
                let mut changed = full.clone();
                changed[pos] = replacement;
                prop_assert!(
                    !is_valid(&changed),
                    "{} -> {} (position {pos})", to_text(&full), to_text(&changed)
                );
            }
        }
    }

    #[test]
    fn verhoeff_detects_every_adjacent_transposition(payload in payload11()) {
        let mut full = payload.clone();
        full.push(check_digit(&payload));
        for i in 0..full.len() - 1 {
            if full[i] == full[i + 1] {
                continue;
            }
            let mut swapped = full.clone();
            swapped.swap(i, i + 1);
            prop_assert!(!is_valid(&swapped), "{} -> {}", to_text(&full), to_text(&swapped));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Aadhaar

proptest! {
    #![proptest_config(config())]

    #[test]
    fn aadhaar_round_trips(s in aadhaar()) {
        let a = Aadhaar::parse(&s).unwrap();
        prop_assert_eq!(a.expose(), s.as_str());
        prop_assert_eq!(a.last4(), &s[8..]);

        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(&json, &format!("\"{s}\""));
        let back: Aadhaar = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &a);

        prop_assert_eq!(&s.parse::<Aadhaar>().unwrap(), &a);
        prop_assert_eq!(&Aadhaar::try_from(s.clone()).unwrap(), &a);
        prop_assert_eq!(&Aadhaar::try_from(s.as_str()).unwrap(), &a);
    }

    #[test]
    fn aadhaar_accepts_typing_separators(
        s in aadhaar(),
        seps in prop::collection::vec(separator(), 11),
        lead in "[ \t]{0,2}",
        trail in "[ \t\n]{0,2}",
    ) {
        let typed = format!("{lead}{}{trail}", interleave(&s, &seps));
        let a = Aadhaar::parse(&typed).unwrap();
        prop_assert_eq!(a.expose(), s.as_str());
        // The 4-4-4 grouping people actually write.
        for sep in [" ", "-", " - "] {
            let grouped = format!("{}{sep}{}{sep}{}", &s[..4], &s[4..8], &s[8..]);
            let parsed = Aadhaar::parse(&grouped).unwrap();
            prop_assert_eq!(parsed.expose(), s.as_str());
        }
    }

    #[test]
    fn aadhaar_prints_at_most_last_four(s in aadhaar()) {
        let a = Aadhaar::parse(&s).unwrap();
        for shown in [format!("{a}"), format!("{a:?}"), format!("{a:#?}"), a.masked()] {
            prop_assert!(!shown.contains(&s[..8]), "{shown}");
            // No run of 5 consecutive digits of the number appears anywhere.
            for w in 0..=s.len() - 5 {
                prop_assert!(!shown.contains(&s[w..w + 5]), "{shown}");
            }
            prop_assert!(shown.contains(&s[8..]), "{shown}");
        }
    }

    #[test]
    fn aadhaar_rejects_non_ascii_digits(
        s in aadhaar(),
        zero in select(&NON_ASCII_ZEROS[..]),
        pos in 0usize..12,
    ) {
        // One digit replaced by the same digit in another script.
        let one: String = s
            .chars()
            .enumerate()
            .map(|(i, c)| if i == pos { in_script(zero, c as u8 - b'0') } else { c })
            .collect();
        prop_assert_eq!(rule_of(Aadhaar::parse(&one)), Rule::Charset);
        // The whole number in another script.
        let all: String = s.bytes().map(|b| in_script(zero, b - b'0')).collect();
        prop_assert_eq!(rule_of(Aadhaar::parse(&all)), Rule::Charset);
    }

    #[test]
    fn aadhaar_rejects_wrong_first_digit_and_length(
        payload in prop::collection::vec(0u8..10, 10),
        first in 0u8..2,
        extra in "[0-9]{1,4}",
        cut in 1usize..12,
    ) {
        let mut digits = vec![first];
        digits.extend(payload);
        digits.push(check_digit(&digits));
        let s = to_text(&digits);
        prop_assert_eq!(rule_of(Aadhaar::parse(&s)), Rule::FirstDigit);
        let valid_first = format!("2{}", &s[1..]);
        prop_assert_eq!(rule_of(Aadhaar::parse(&format!("{valid_first}{extra}"))), Rule::Length);
        prop_assert_eq!(rule_of(Aadhaar::parse(&valid_first[..cut])), Rule::Length);
    }
}

// ---------------------------------------------------------------------------------------------
// OTP

proptest! {
    #![proptest_config(config())]

    #[test]
    fn otp_six_digits_round_trip(s in "[0-9]{6}", pad in "[ \t]{0,2}") {
        let otp = Otp::parse(&format!("{pad}{s}{pad}")).unwrap();
        prop_assert_eq!(otp.expose(), s.as_str());
        prop_assert_eq!(&s.parse::<Otp>().unwrap(), &otp);
        let json = serde_json::to_string(&otp).unwrap();
        prop_assert_eq!(&json, &format!("\"{s}\""));
        prop_assert_eq!(&serde_json::from_str::<Otp>(&json).unwrap(), &otp);
        for shown in [format!("{otp:?}"), format!("{otp:#?}"), format!("{otp}")] {
            prop_assert!(!shown.contains(&s), "{shown}");
            prop_assert!(!shown.bytes().any(|b| b.is_ascii_digit()), "{shown}");
        }
    }

    #[test]
    fn otp_other_lengths_rejected(s in "[0-9]{1,5}|[0-9]{7,24}") {
        prop_assert_eq!(rule_of(Otp::parse(&s)), Rule::Length);
    }

    #[test]
    fn otp_non_ascii_digits_rejected(
        s in "[0-9]{6}",
        zero in select(&NON_ASCII_ZEROS[..]),
        pos in 0usize..6,
    ) {
        let changed: String = s
            .chars()
            .enumerate()
            .map(|(i, c)| if i == pos { in_script(zero, c as u8 - b'0') } else { c })
            .collect();
        prop_assert_eq!(rule_of(Otp::parse(&changed)), Rule::Charset);
    }
}

// ---------------------------------------------------------------------------------------------
// Mobile

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mobile_round_trips(s in mobile()) {
        let m = Mobile::parse(&s).unwrap();
        prop_assert_eq!(m.expose(), s.as_str());
        prop_assert_eq!(m.last4(), &s[6..]);
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Mobile>(&json).unwrap(), &m);
        prop_assert_eq!(&Mobile::try_from(s.clone()).unwrap(), &m);
        for shown in [format!("{m}"), format!("{m:?}")] {
            prop_assert!(!shown.contains(&s[..6]), "{shown}");
            for w in 0..=s.len() - 5 {
                prop_assert!(!shown.contains(&s[w..w + 5]), "{shown}");
            }
        }
    }

    #[test]
    fn mobile_prefixes_and_separators_normalise(
        s in mobile(),
        prefix in select(vec!["", "+91", "91", "0", "+91 ", "+91-", "0 ", "91 "]),
        seps in prop::collection::vec(separator(), 10),
        pad in "[ \t]{0,2}",
    ) {
        let typed = format!("{pad}{prefix}{}{pad}", interleave(&s, &seps));
        let parsed = Mobile::parse(&typed).unwrap();
        prop_assert_eq!(parsed.expose(), s.as_str(), "{:?}", typed);
    }

    #[test]
    fn mobile_first_digit_zero_to_five_rejected(s in "[0-5][0-9]{9}") {
        prop_assert_eq!(rule_of(Mobile::parse(&s)), Rule::FirstDigit);
        prop_assert_eq!(rule_of(Mobile::parse(&format!("+91{s}"))), Rule::FirstDigit);
    }
}

// ---------------------------------------------------------------------------------------------
// Pincode, HPR ID, e-mail, password, date of birth, txnId

proptest! {
    #![proptest_config(config())]

    #[test]
    fn pincode_round_trips(s in "[1-9][0-9]{5}", space_at in 1usize..6) {
        let p = Pincode::parse(&s).unwrap();
        prop_assert_eq!(p.as_str(), s.as_str());
        let spaced = format!("{} {}", &s[..space_at], &s[space_at..]);
        prop_assert_eq!(&Pincode::parse(&spaced).unwrap(), &p);
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Pincode>(&json).unwrap(), &p);
        let shown = format!("{p:?}{p}");
        prop_assert!(!shown.contains(&s));
        prop_assert_eq!(rule_of(Pincode::parse(&format!("0{}", &s[1..]))), Rule::FirstDigit);
    }

    #[test]
    fn hpr_id_round_trips(user in username(), suffix in hpr_suffix(), with_suffix in any::<bool>()) {
        let typed = if with_suffix { format!("{user}{suffix}") } else { user.clone() };
        let id = HprId::parse(&typed).unwrap();
        prop_assert_eq!(id.as_str(), user.as_str());
        prop_assert_eq!(id.full(), format!("{user}@hpr.abdm"));
        prop_assert_eq!(&HprId::parse(&id.full()).unwrap(), &id);
        let json = serde_json::to_string(&id).unwrap();
        prop_assert_eq!(&json, &format!("\"{user}\""));
        prop_assert_eq!(&serde_json::from_str::<HprId>(&json).unwrap(), &id);
    }

    #[test]
    fn hpr_id_rejects_bad_usernames(user in username(), bad_end in select(vec!['.', '_'])) {
        // One character is added below, so stay within 50.
        let user = &user[..user.len().min(49)];
        prop_assert_eq!(rule_of(HprId::parse(&format!("{user}{bad_end}"))), Rule::Format);
        prop_assert_eq!(rule_of(HprId::parse(&format!("{bad_end}{user}"))), Rule::Format);
        prop_assert_eq!(rule_of(HprId::parse(&format!("{user}@gmail.com"))), Rule::Format);
        prop_assert_eq!(rule_of(HprId::parse(&format!("{}-x", &user[..3]))), Rule::Charset);
        prop_assert_eq!(rule_of(HprId::parse(&user[..3])), Rule::Length);
    }

    #[test]
    fn email_round_trips(addr in email(), pad in "[ \t]{0,2}") {
        let e = Email::parse(&format!("{pad}{addr}{pad}")).unwrap();
        prop_assert_eq!(e.as_str(), addr.as_str());
        let json = serde_json::to_string(&e).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Email>(&json).unwrap(), &e);
        let shown = format!("{e:?}{e}");
        prop_assert!(!shown.contains('@'));
    }

    #[test]
    fn password_policy_compliant_round_trips(pw in policy_password()) {
        let p = Password::parse(&pw).unwrap();
        prop_assert_eq!(p.expose(), pw.as_str());
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Password>(&json).unwrap(), &p);
        prop_assert_eq!(&Password::try_from(pw.clone()).unwrap(), &p);
        prop_assert_eq!(format!("{p:?} {p}"), "Password([redacted]) [redacted]");
    }

    #[test]
    fn password_missing_a_class_is_rejected(
        (missing, pw) in (0usize..4).prop_flat_map(|missing| {
            let others: Vec<usize> = (0..4).filter(|&k| k != missing).collect();
            (Just(missing), password_from(others, false))
        })
    ) {
        let e = Password::parse(&pw).unwrap_err();
        prop_assert_eq!(e.rule, Rule::PasswordPolicy, "class {} missing", missing);
        prop_assert_eq!(e.rule.as_str(), "password_policy");
        prop_assert!(!e.message.contains(pw.as_str()));
    }

    #[test]
    fn password_with_class_removed_is_rejected(pw in policy_password(), class in 0usize..4) {
        let stripped: String = pw.chars().filter(|&c| !PW_CLASSES[class].contains(c)).collect();
        let rule = rule_of(Password::parse(&stripped));
        if stripped.trim().is_empty() {
            prop_assert_eq!(rule, Rule::Required);
        } else if stripped.chars().count() < 8 {
            prop_assert_eq!(rule, Rule::Length);
        } else {
            prop_assert_eq!(rule, Rule::PasswordPolicy);
        }
    }

    #[test]
    fn date_of_birth_accepts_every_real_date(
        d in real_date(),
        pad_day in any::<bool>(),
        pad_month in any::<bool>(),
    ) {
        let (day, month, year) = (d.day(), u8::from(d.month()), d.year());
        let day_in = if pad_day { format!("{day:02}") } else { day.to_string() };
        let month_in = if pad_month { format!("{month:02}") } else { month.to_string() };
        let dob = DateOfBirth::from_parts_on(&day_in, &month_in, &year.to_string(), TODAY).unwrap();
        prop_assert_eq!(dob.day(), format!("{day:02}"));
        prop_assert_eq!(dob.month(), format!("{month:02}"));
        prop_assert_eq!(dob.year(), year.to_string());
        prop_assert_eq!(format!("{dob:?}"), "DateOfBirth([redacted])");
    }

    #[test]
    fn date_of_birth_rejects_impossible_days(
        year in 1900i32..=2025,
        month in select(vec![4u8, 6, 9, 11]),
        feb_day in 30u8..=31,
    ) {
        let only = |d: &str, m: &str| {
            let e = DateOfBirth::from_parts_on(d, m, &year.to_string(), TODAY).unwrap_err();
            e.errors().iter().map(|e| (e.field.to_string(), e.rule)).collect::<Vec<_>>()
        };
        let want: Vec<(String, Rule)> = ["dayOfBirth", "monthOfBirth", "yearOfBirth"]
            .iter()
            .map(|f| ((*f).to_owned(), Rule::InvalidDate))
            .collect();
        prop_assert_eq!(only("31", &month.to_string()), want.clone());
        prop_assert_eq!(only("31", &format!("{month:02}")), want.clone());
        prop_assert_eq!(only(&feb_day.to_string(), "2"), want.clone());
        let leap = time::util::is_leap_year(year);
        let feb29 = DateOfBirth::from_parts_on("29", "02", &year.to_string(), TODAY);
        prop_assert_eq!(feb29.is_ok(), leap);
    }

    #[test]
    fn date_of_birth_rejects_the_future(days_ahead in 1i32..40_000) {
        let d = Date::from_julian_day(TODAY.to_julian_day() + days_ahead).unwrap();
        let e = DateOfBirth::from_parts_on(
            &d.day().to_string(),
            &u8::from(d.month()).to_string(),
            &d.year().to_string(),
            TODAY,
        )
        .unwrap_err();
        prop_assert_eq!(e.len(), 1);
        prop_assert_eq!(&e.errors()[0].field, "yearOfBirth");
        prop_assert_eq!(e.errors()[0].rule, Rule::InFuture);
    }

    #[test]
    fn txn_id_round_trips(s in "[!-~]{1,256}") {
        let t = TxnId::parse(&s).unwrap();
        prop_assert_eq!(t.as_str(), s.as_str());
        let json = serde_json::to_string(&t).unwrap();
        prop_assert_eq!(&serde_json::from_str::<TxnId>(&json).unwrap(), &t);
        prop_assert_eq!(&TxnId::try_from(s.clone()).unwrap(), &t);
        // Logs see at most the first 8 characters.
        let shown = t.to_string();
        prop_assert!(shown.chars().count() <= 10, "{shown}");
    }

    #[test]
    fn txn_id_rejects_inner_whitespace_and_overlength(
        a in "[!-~]{1,20}",
        b in "[!-~]{1,20}",
        ws in select(&WHITESPACE[..]),
        long in "[!-~]{257,300}",
    ) {
        prop_assert_eq!(rule_of(TxnId::parse(&format!("{a}{ws}{b}"))), if ws.is_control() {
            Rule::ControlCharacter
        } else {
            Rule::Charset
        });
        prop_assert_eq!(rule_of(TxnId::parse(&long)), Rule::Length);
    }
}

// ---------------------------------------------------------------------------------------------
// Every parser: blank input and arbitrary input

/// Runs every newtype parser on `s`, returning the rules of the rejections (Token included: it
/// accepts anything).
fn parse_all(s: &str) -> Vec<(&'static str, Option<Rule>)> {
    fn r<T>(res: Result<T, Invalid>) -> Option<Rule> {
        res.err().map(|e| e.rule)
    }
    vec![
        ("Aadhaar", r(Aadhaar::parse(s))),
        ("Otp", r(Otp::parse(s))),
        ("Mobile", r(Mobile::parse(s))),
        ("Pincode", r(Pincode::parse(s))),
        ("HprId", r(HprId::parse(s))),
        ("Email", r(Email::parse(s))),
        ("Password", r(Password::parse(s))),
        ("TxnId", r(TxnId::parse(s))),
        ("Photo", r(Photo::parse(s))),
        ("CategoryCode", r(CategoryCode::parse(s))),
        ("SubCategoryCode", r(SubCategoryCode::parse(s))),
        ("StateCode", r(StateCode::parse(s))),
        ("DistrictCode", r(DistrictCode::parse(s))),
        ("PersonName", r(PersonName::parse(s))),
        ("Address", r(Address::parse(s))),
        ("DomainName", r(DomainName::parse(s))),
        ("IdType", r(IdType::parse(s))),
    ]
}

/// Exercises the non-panicking contract of everything that takes a raw string.
fn touch_everything(s: &str) {
    let _ = parse_all(s);
    let _ = Token::parse(s).map(|t| format!("{t:?}{t}"));
    let _ = Aadhaar::parse(s).map(|a| format!("{a:?}{a}"));
    let _ = Mobile::parse(s).map(|m| format!("{m:?}{m}"));
    let _ = TxnId::parse(s).map(|t| format!("{t:?}{t}"));
    let _ = Photo::parse(s).map(|p| format!("{p:?}"));
    let _ = serde_json::from_value::<Aadhaar>(serde_json::Value::String(s.to_owned()));
    let _ = DateOfBirth::from_parts_on(s, s, s, TODAY);
    let _ = abdm_hpr::types::mask::last4(s);
    let _ = abdm_hpr::types::mask::txn(s);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn blank_input_is_required_everywhere(s in whitespace_only()) {
        for (name, rule) in parse_all(&s) {
            prop_assert_eq!(rule, Some(Rule::Required), "{} on {:?}", name, s);
        }
        let e = DateOfBirth::from_parts_on(&s, &s, &s, TODAY).unwrap_err();
        let got: Vec<_> = e.errors().iter().map(|e| (e.field.as_ref(), e.rule)).collect();
        prop_assert_eq!(
            got,
            vec![
                ("dayOfBirth", Rule::Required),
                ("monthOfBirth", Rule::Required),
                ("yearOfBirth", Rule::Required),
            ]
        );
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        touch_everything(&s);
    }

    #[test]
    fn near_miss_strings_never_panic(
        s in "[0-9\u{0966}-\u{096F}\u{FF10}-\u{FF19}\u{0660}-\u{0669} +()@._-]{0,24}|[A-Za-z0-9._@ \u{00E9}\u{0915}-]{0,60}|(data:image/[a-z]{0,4};base64,)?[A-Za-z0-9+/= \n]{0,40}",
    ) {
        touch_everything(&s);
    }

    #[test]
    fn non_ascii_digits_rejected_by_digit_fields(
        zero in select(&NON_ASCII_ZEROS[..]),
        digits in prop::collection::vec(0u8..10, 1..12),
    ) {
        let s: String = digits.iter().map(|&d| in_script(zero, d)).collect();
        for (name, rule) in [
            ("Otp", rule_of(Otp::parse(&s))),
            ("Mobile", rule_of(Mobile::parse(&s))),
            ("Pincode", rule_of(Pincode::parse(&s))),
            ("Aadhaar", rule_of(Aadhaar::parse(&s))),
            ("CategoryCode", rule_of(CategoryCode::parse(&s))),
            ("StateCode", rule_of(StateCode::parse(&s))),
        ] {
            prop_assert_eq!(rule, Rule::Charset, "{} on {:?}", name, s);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request level: every invalid field reported at once

/// One create-request field: wire name, a valid value (None = absent) and an invalid one
/// (None = absent, for a required field).
struct FieldCase {
    wire: &'static str,
    valid: Option<&'static str>,
    invalid: Option<String>,
}

fn create_cases() -> Vec<FieldCase> {
    let case = |wire, valid, invalid: Option<String>| FieldCase {
        wire,
        valid,
        invalid,
    };
    vec![
        case(
            "address",
            Some("12 Station Rd, Ghaziabad"),
            Some("a".repeat(501)),
        ),
        case("dayOfBirth", Some("15"), Some("x".into())),
        case("districtCode", Some("145"), Some("1234567".into())),
        case(
            "email",
            Some("asha@example.com"),
            Some("asha@localhost".into()),
        ),
        case("firstName", Some("Asha"), Some("As\u{7}ha".into())),
        case("hpCategoryCode", Some("1"), Some("one".into())),
        case("hpSubCategoryCode", Some("1"), Some("12345".into())),
        case("hprId", Some("asha.verma"), Some("_asha".into())),
        case("lastName", Some("Verma"), None),
        case("middleName", None, Some("m".repeat(101))),
        case("monthOfBirth", Some("8"), Some("123".into())),
        case("password", Some("Ayushman@143"), Some("ayushman143".into())),
        case("pincode", Some("201001"), Some("012345".into())),
        case("profilePhoto", Some("/9j/4A=="), Some("not base64!".into())),
        case("stateCode", Some("9"), Some("  ".into())),
        case("txnId", Some("txn_abcdef123456"), Some("txn 1".into())),
        case("yearOfBirth", Some("1988"), Some("1899".into())),
    ]
}

fn build_input(values: &[Option<String>]) -> CreateHprIdInput {
    let mut it = values.iter().cloned();
    let mut next = || it.next().expect("17 values");
    CreateHprIdInput {
        address: next(),
        day_of_birth: next(),
        district_code: next(),
        email: next(),
        first_name: next(),
        hp_category_code: next(),
        hp_sub_category_code: next(),
        hpr_id: next(),
        last_name: next(),
        middle_name: next(),
        month_of_birth: next(),
        password: next(),
        pincode: next(),
        profile_photo: next(),
        state_code: next(),
        txn_id: next(),
        year_of_birth: next(),
    }
}

#[test]
fn create_baseline_is_valid() {
    let cases = create_cases();
    assert_eq!(cases.len(), 17);
    let input = build_input(
        &cases
            .iter()
            .map(|c| c.valid.map(str::to_owned))
            .collect::<Vec<_>>(),
    );
    let req = input.validate_on(TODAY).unwrap();
    let body =
        abdm_hpr::gateway::encode(&abdm_hpr::backend::StepRequest::into_request(req)).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    let mut wires: Vec<_> = cases.iter().map(|c| c.wire.to_owned()).collect();
    wires.sort();
    assert_eq!(keys, wires);
    assert_eq!(json["monthOfBirth"], "08");
    assert_eq!(json["middleName"], serde_json::Value::Null);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn create_reports_exactly_the_invalid_fields(broken in prop::collection::vec(any::<bool>(), 17)) {
        let cases = create_cases();
        let values: Vec<Option<String>> = cases
            .iter()
            .zip(&broken)
            .map(|(c, &bad)| if bad { c.invalid.clone() } else { c.valid.map(str::to_owned) })
            .collect();
        let expected: BTreeSet<&str> = cases
            .iter()
            .zip(&broken)
            .filter(|(_, bad)| **bad)
            .map(|(c, _)| c.wire)
            .collect();
        let n = expected.len();
        match build_input(&values).validate_on(TODAY) {
            Ok(_) => prop_assert_eq!(n, 0, "accepted with {:?} broken", expected),
            Err(report) => {
                prop_assert_eq!(report.len(), n, "{}", report);
                let got: BTreeSet<&str> = report.errors().iter().map(|e| e.field.as_ref()).collect();
                prop_assert_eq!(got, expected);
                // The report never quotes a rejected value.
                let text = report.to_string();
                for (c, &bad) in cases.iter().zip(&broken) {
                    if let (true, Some(v)) = (bad, c.invalid.as_deref())
                        && v.trim().len() > 3 {
                            prop_assert!(!text.contains(v), "{} leaked into {}", c.wire, text);
                        }
                }
            }
        }
    }
}
