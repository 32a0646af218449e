//! The KYC identity behind an Aadhaar number.
//!
//! The sandbox knows an [`Identity`] for every Aadhaar number: either one seeded from a file or the
//! admin API (checked with [`Identity::normalized`]), or one made up on the spot by [`derive()`],
//! deterministically from the number and a seed.
//!
//! ```
//! use abdm_hpr::types::Aadhaar;
//! use hpr_sandbox::identity;
//!
//! let aadhaar: Aadhaar = "234123412346".parse().unwrap();
//! let a = identity::derive(&aadhaar, 7);
//! assert_eq!(a, identity::derive(&aadhaar, 7)); // same inputs, same person
//! assert!(a.validate().is_ok());
//! assert_eq!(format!("{a:?}").matches("2346").count(), 1); // Debug shows only last 4 digits
//! ```

use std::fmt;

use abdm_hpr::types::{
    Aadhaar, Address, Checker, DateOfBirth, DistrictCode, Invalid, Mobile, PersonName, Photo,
    Pincode, Rule, StateCode, ValidationErrors, mask,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::geo;

/// A tiny but real JPEG (1×1 pixel, grey, baseline, 159 bytes) in standard base64, used as the KYC
/// photo of every derived identity. It starts with `FF D8 FF` and ends with `FF D9`.
pub const SAMPLE_PHOTO_BASE64: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z";

/// The demographic record UIDAI would return for an Aadhaar number (personal data).
///
/// JSON keys are camelCase: `aadhaar, mobile, name, firstName, middleName, lastName, gender,
/// yearOfBirth, monthOfBirth, dayOfBirth, address, pincode, stateCode, stateName, districtCode,
/// districtName, photo`; unknown keys are rejected and a missing `middleName` is `null`.
///
/// `Debug` shows only the last 4 digits of the Aadhaar number and of the mobile number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Identity {
    /// The 12-digit Aadhaar number (bare digits once [normalised](Identity::normalized)).
    pub aadhaar: String,
    /// The mobile number linked to the Aadhaar: 10 digits, first 6–9.
    pub mobile: String,
    /// The full name, e.g. `"Asha Verma"`.
    pub name: String,
    /// First name.
    pub first_name: String,
    /// Middle name, if any.
    #[serde(default)]
    pub middle_name: Option<String>,
    /// Last name.
    pub last_name: String,
    /// `M`, `F`, `O` or `T`.
    pub gender: String,
    /// Four-digit year of birth.
    pub year_of_birth: String,
    /// Month of birth, zero-padded to 2 digits (`"08"`).
    pub month_of_birth: String,
    /// Day of birth, zero-padded to 2 digits (`"05"`).
    pub day_of_birth: String,
    /// Postal address, e.g. `"12 Station Road, Raj Nagar, Ghaziabad"`.
    pub address: String,
    /// Six-digit PIN code.
    pub pincode: String,
    /// LGD state code (1–6 digits), e.g. `"9"`.
    pub state_code: String,
    /// State name, e.g. `"Uttar Pradesh"`.
    pub state_name: String,
    /// LGD district code (1–6 digits), e.g. `"145"`.
    pub district_code: String,
    /// District name, e.g. `"Ghaziabad"`.
    pub district_name: String,
    /// The KYC photo: standard base64 of a JPEG or PNG.
    pub photo: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("aadhaar", &format_args!("{}", mask::last4(&self.aadhaar)))
            .field("mobile", &format_args!("{}", mask::last4(&self.mobile)))
            .finish_non_exhaustive()
    }
}

/// Longest accepted full name (three parts of at most 100 characters each, plus spaces).
const MAX_FULL_NAME: usize = 302;
/// Longest accepted state or district name.
const MAX_PLACE_NAME: usize = 100;

/// Trimmed free text of 1..=`max` characters without control characters.
fn text(raw: &str, max: usize) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::required());
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::new(
            Rule::ControlCharacter,
            "must not contain control characters",
        ));
    }
    if s.chars().count() > max {
        return Err(Invalid::with_message(
            Rule::Length,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

impl Identity {
    /// The same as the free function [`derive()`]: the identity made up for an Aadhaar number.
    pub fn derive(aadhaar: &Aadhaar, seed: u64) -> Identity {
        derive(aadhaar, seed)
    }

    /// Checks an identity seeded from a file or the admin API; lists every broken rule.
    ///
    /// Each error names the field (by its JSON key) and the rule, never the value; its `Display`
    /// is `field message [rule]`. Typing variants that parse (`"2341 2341 2346"`,
    /// `"+91 98765-43210"`, day `"5"`) are accepted here; use [`Identity::normalized`] to get the
    /// canonical form to store.
    ///
    /// State and district codes need not be in [`geo`], but must be 1–6 digits.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        self.check().map(drop)
    }

    /// Validates the identity and returns it in canonical form: Aadhaar and mobile as bare digits,
    /// day and month zero-padded, PIN code without a space, text trimmed, a blank middle name as
    /// `None` and the photo without a `data:` prefix or whitespace.
    ///
    /// The error is the same list as [`Identity::validate`]'s.
    pub fn normalized(self) -> Result<Identity, ValidationErrors> {
        self.check()
    }

    fn check(&self) -> Result<Identity, ValidationErrors> {
        let mut e = Checker::new();
        let aadhaar = e.record("aadhaar", Aadhaar::parse(&self.aadhaar));
        let mobile = e.record("mobile", Mobile::parse(&self.mobile));
        let name = e.record("name", text(&self.name, MAX_FULL_NAME));
        let first_name = e.record("firstName", PersonName::parse(&self.first_name));
        let middle_name = match self.middle_name.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(m) => e
                .record("middleName", PersonName::parse(m))
                .map(|m| Some(m.as_str().to_owned())),
        };
        let last_name = e.record("lastName", PersonName::parse(&self.last_name));
        let gender = e.record(
            "gender",
            match self.gender.trim() {
                "" => Err(Invalid::required()),
                g @ ("M" | "F" | "O" | "T") => Ok(g.to_owned()),
                _ => Err(Invalid::new(Rule::Format, "must be one of M, F, O, T")),
            },
        );
        let dob = DateOfBirth::from_parts(
            &self.day_of_birth,
            &self.month_of_birth,
            &self.year_of_birth,
        )
        .map_err(|errors| e.extend(errors))
        .ok();
        let address = e.record("address", Address::parse(&self.address));
        let pincode = e.record("pincode", Pincode::parse(&self.pincode));
        let state_code = e.record("stateCode", StateCode::parse(&self.state_code));
        let state_name = e.record("stateName", text(&self.state_name, MAX_PLACE_NAME));
        let district_code = e.record("districtCode", DistrictCode::parse(&self.district_code));
        let district_name = e.record("districtName", text(&self.district_name, MAX_PLACE_NAME));
        let photo = e.record("photo", Photo::parse(&self.photo));

        e.finish()?;
        // `finish` passed, so every check above succeeded and nothing below is `None`.
        let (
            Some(aadhaar),
            Some(mobile),
            Some(name),
            Some(first_name),
            Some(middle_name),
            Some(last_name),
            Some(gender),
            Some(dob),
            Some(address),
            Some(pincode),
            Some(state_code),
            Some(state_name),
            Some(district_code),
            Some(district_name),
            Some(photo),
        ) = (
            aadhaar,
            mobile,
            name,
            first_name,
            middle_name,
            last_name,
            gender,
            dob,
            address,
            pincode,
            state_code,
            state_name,
            district_code,
            district_name,
            photo,
        )
        else {
            // unreachable while every `None` above records an error; report rather than panic
            return Err(ValidationErrors::single(
                Invalid::new(Rule::Required, "could not be checked").at("identity"),
            ));
        };
        Ok(Identity {
            aadhaar: aadhaar.expose().to_owned(),
            mobile: mobile.expose().to_owned(),
            name,
            first_name: first_name.as_str().to_owned(),
            middle_name,
            last_name: last_name.as_str().to_owned(),
            gender,
            year_of_birth: dob.year().to_owned(),
            month_of_birth: dob.month().to_owned(),
            day_of_birth: dob.day().to_owned(),
            address: address.as_str().to_owned(),
            pincode: pincode.as_str().to_owned(),
            state_code: state_code.as_str().to_owned(),
            state_name,
            district_code: district_code.as_str().to_owned(),
            district_name,
            photo: photo.as_str().to_owned(),
        })
    }

    /// The birth date as `dd-MM-yyyy` (`"15-08-1988"`), the form of verify-Aadhaar-OTP's `birthDate`.
    ///
    /// Day and month are zero-padded even if stored as `"5"`.
    pub fn birth_date(&self) -> String {
        format!(
            "{:0>2}-{:0>2}-{}",
            self.day_of_birth.trim(),
            self.month_of_birth.trim(),
            self.year_of_birth.trim()
        )
    }

    /// The linked mobile as generate-Aadhaar-OTP shows it: 6 asterisks and the last 4 digits
    /// (`"******3210"`); 10 asterisks if the number has fewer than 4 digits.
    pub fn masked_mobile(&self) -> String {
        masked_mobile(&self.mobile)
    }
}

// ---------------------------------------------------------------------------------------------
// Derivation
// ---------------------------------------------------------------------------------------------

const FEMALE_NAMES: &[&str] = &[
    "Asha", "Priya", "Sunita", "Anjali", "Kavita", "Meena", "Pooja", "Neha", "Lakshmi", "Divya",
    "Shalini", "Rekha", "Anita", "Deepika", "Geeta", "Fatima", "Ayesha", "Harpreet", "Sneha",
    "Radha", "Nandini", "Swati",
];

const MALE_NAMES: &[&str] = &[
    "Rahul",
    "Amit",
    "Suresh",
    "Rajesh",
    "Vikram",
    "Arjun",
    "Sanjay",
    "Anil",
    "Ravi",
    "Mohammed",
    "Imran",
    "Karthik",
    "Venkatesh",
    "Gurpreet",
    "Manoj",
    "Deepak",
    "Arun",
    "Nikhil",
    "Rohan",
    "Abdul",
    "Prakash",
    "Vijay",
];

const FEMALE_MIDDLE_NAMES: &[&str] = &["Devi", "Rani", "Kumari", "Lata", "Bai", "Priya"];

const MALE_MIDDLE_NAMES: &[&str] = &["Kumar", "Prasad", "Lal", "Chandra", "Nath", "Mohan"];

const SURNAMES: &[&str] = &[
    "Verma",
    "Sharma",
    "Gupta",
    "Singh",
    "Patel",
    "Shah",
    "Reddy",
    "Nair",
    "Iyer",
    "Menon",
    "Pillai",
    "Rao",
    "Naidu",
    "Das",
    "Banerjee",
    "Chatterjee",
    "Mukherjee",
    "Ghosh",
    "Yadav",
    "Mishra",
    "Tiwari",
    "Pandey",
    "Joshi",
    "Kulkarni",
    "Patil",
    "Khan",
    "Ansari",
    "Sinha",
    "Agarwal",
    "Mehta",
    "Desai",
    "Gill",
];

const STREETS: &[&str] = &[
    "Station Road",
    "MG Road",
    "Nehru Marg",
    "Temple Street",
    "Market Road",
    "Church Street",
    "Park Avenue",
    "Rajendra Path",
    "Lake View Road",
    "Canal Road",
    "Hospital Road",
    "Gandhi Road",
];

const LOCALITIES: &[&str] = &[
    "Raj Nagar",
    "Shastri Nagar",
    "Civil Lines",
    "Model Town",
    "Indira Colony",
    "Sector 12",
    "Ashok Vihar",
    "Kamla Nagar",
    "Gandhi Colony",
    "Subhash Nagar",
    "Vivekananda Layout",
    "Green Park",
];

/// One SplitMix64 step (Steele, Lea and Flood 2014): a stable, well-mixing 64-bit permutation.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes the seed and the Aadhaar digits into one RNG seed. Stable across Rust releases (unlike
/// `DefaultHasher`): it depends only on the digits, in order, and the seed.
fn mix(digits: &str, seed: u64) -> u64 {
    digits.bytes().fold(splitmix64(seed), |h, b| {
        splitmix64(h ^ u64::from(b.wrapping_sub(b'0')))
    })
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Makes up the identity behind an Aadhaar number, deterministically.
///
/// The same `(aadhaar, seed)` always gives the same identity (with this crate's pinned `rand`);
/// different numbers give varied ones: gender (`F`, `M`, rarely `O`), Indian ASCII names (a middle
/// name for about 30%), a real birth date from 1960-01-01 to 2000-12-31, a state and district of
/// [`geo::STATES`] with a PIN code sharing the first 3 digits of the district's, an address
/// `"<house> <street>, <locality>, <district>"`, a linked mobile (10 digits, first 6–9) and
/// [`SAMPLE_PHOTO_BASE64`]. The result always passes [`Identity::validate`].
pub fn derive(aadhaar: &Aadhaar, seed: u64) -> Identity {
    let d = Draws::new(aadhaar, seed);
    let name = match d.middle_name {
        Some(m) => format!("{} {m} {}", d.first_name, d.last_name),
        None => format!("{} {}", d.first_name, d.last_name),
    };
    let state = &geo::STATES[d.state];
    let district = &state.districts[d.district];
    let pincode = match d.pincode_tail {
        None => district.pincode.to_owned(),
        Some(tail) => format!("{}{tail:03}", &district.pincode[..3]),
    };
    let house = match d.house {
        House::Block(block, n) => format!("{block}-{n}"),
        House::Number(n) => n.to_string(),
    };
    let address = format!("{house} {}, {}, {}", d.street, d.locality, district.name);
    Identity {
        aadhaar: aadhaar.expose().to_owned(),
        mobile: d.mobile_string(),
        name,
        first_name: d.first_name.to_owned(),
        middle_name: d.middle_name.map(str::to_owned),
        last_name: d.last_name.to_owned(),
        gender: d.gender.to_owned(),
        year_of_birth: format!("{:04}", d.year),
        month_of_birth: format!("{:02}", d.month),
        day_of_birth: format!("{:02}", d.day),
        address,
        pincode,
        state_code: state.code.to_owned(),
        state_name: state.name.to_owned(),
        district_code: district.code.to_owned(),
        district_name: district.name.to_owned(),
        photo: SAMPLE_PHOTO_BASE64.to_owned(),
    }
}

/// The linked mobile of [`derive()`]'s identity, without building the rest of it (the
/// generate-OTP step needs only this).
pub(crate) fn derive_mobile(aadhaar: &Aadhaar, seed: u64) -> String {
    Draws::new(aadhaar, seed).mobile_string()
}

/// A mobile number as generate-Aadhaar-OTP shows it: 6 asterisks and the last 4 digits
/// (`"******3210"`); 10 asterisks if the number has fewer than 4 digits.
pub(crate) fn masked_mobile(mobile: &str) -> String {
    // the usual case, a stored mobile of ASCII digits only: no second pass
    if mobile.len() >= 4 && mobile.bytes().all(|b| b.is_ascii_digit()) {
        let mut masked = String::with_capacity(10);
        masked.push_str("******");
        masked.push_str(&mobile[mobile.len() - 4..]);
        return masked;
    }
    let digits = mobile.bytes().filter(u8::is_ascii_digit).count();
    if digits < 4 {
        return "*".repeat(10);
    }
    let mut masked = String::with_capacity(10);
    masked.push_str("******");
    mobile
        .chars()
        .filter(char::is_ascii_digit)
        .skip(digits - 4)
        .for_each(|c| masked.push(c));
    masked
}

/// The house part of a derived address.
enum House {
    Block(char, u16),
    Number(u16),
}

/// Every random choice behind a derived identity, in the order they are drawn: [`derive()`]
/// builds the strings from them, [`derive_mobile`] only the mobile. One sequence of draws for
/// both keeps them the same person.
struct Draws {
    gender: &'static str,
    first_name: &'static str,
    middle_name: Option<&'static str>,
    last_name: &'static str,
    year: u16,
    month: u8,
    day: u8,
    /// Index into [`geo::STATES`].
    state: usize,
    /// Index into the state's districts.
    district: usize,
    /// `None`: the district's own PIN code; else its first 3 digits and this tail.
    pincode_tail: Option<u16>,
    house: House,
    street: &'static str,
    locality: &'static str,
    mobile: [u8; 10],
}

impl Draws {
    fn new(aadhaar: &Aadhaar, seed: u64) -> Draws {
        let mut rng = StdRng::seed_from_u64(mix(aadhaar.expose(), seed));

        let gender = match rng.random_range(0..100) {
            0..48 => "F",
            48..96 => "M",
            _ => "O",
        };
        let female = match gender {
            "F" => true,
            "M" => false,
            _ => rng.random_bool(0.5),
        };
        let (firsts, middles) = if female {
            (FEMALE_NAMES, FEMALE_MIDDLE_NAMES)
        } else {
            (MALE_NAMES, MALE_MIDDLE_NAMES)
        };
        let first_name = pick(&mut rng, firsts);
        let middle_name = rng.random_bool(0.3).then(|| pick(&mut rng, middles));
        let last_name = pick(&mut rng, SURNAMES);

        let year: u16 = rng.random_range(1960..=2000);
        let month: u8 = rng.random_range(1..=12);
        let day: u8 = rng.random_range(1..=days_in_month(year, month));

        let state = rng.random_range(0..geo::STATES.len());
        let districts = geo::STATES[state].districts;
        let district = rng.random_range(0..districts.len());
        let pincode_tail = if rng.random_bool(0.5) {
            None
        } else {
            // a nearby PIN of the same sorting district: same first 3 digits; geo's PIN codes
            // are 6 ASCII digits (its tests check), so this parse succeeds
            let tail: u16 = districts[district].pincode[3..].parse().unwrap_or_default();
            Some((tail + rng.random_range(1..=30)).min(999))
        };

        let house = if rng.random_bool(0.25) {
            let block = char::from(b'A' + rng.random_range(0..6u8));
            House::Block(block, rng.random_range(1..=120u16))
        } else {
            House::Number(rng.random_range(1..=499u16))
        };
        let street = pick(&mut rng, STREETS);
        let locality = pick(&mut rng, LOCALITIES);

        let mut mobile = [0u8; 10];
        mobile[0] = b'0' + rng.random_range(6..=9u8);
        for digit in &mut mobile[1..] {
            *digit = b'0' + rng.random_range(0..=9u8);
        }
        Draws {
            gender,
            first_name,
            middle_name,
            last_name,
            year,
            month,
            day,
            state,
            district,
            pincode_tail,
            house,
            street,
            locality,
            mobile,
        }
    }

    fn mobile_string(&self) -> String {
        // ten ASCII digits, so always UTF-8
        String::from_utf8_lossy(&self.mobile).into_owned()
    }
}

/// Helpers shared by this crate's unit tests.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod testing {
    use abdm_hpr::types::{Aadhaar, verhoeff};
    use rand::Rng;

    /// A valid Aadhaar from an 11-digit payload (first digit 2–9) plus its Verhoeff check digit.
    pub(crate) fn aadhaar_from_payload(payload: u64) -> Aadhaar {
        let mut digits: Vec<u8> = format!("{payload:011}").bytes().map(|b| b - b'0').collect();
        assert_eq!(digits.len(), 11);
        assert!((2..=9).contains(&digits[0]));
        digits.push(verhoeff::check_digit(&digits));
        let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        Aadhaar::parse(&s).expect("valid by construction")
    }

    /// A random valid Aadhaar number.
    pub(crate) fn random_aadhaar(rng: &mut impl Rng) -> Aadhaar {
        aadhaar_from_payload(rng.random_range(20_000_000_000..=99_999_999_999))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::testing::{aadhaar_from_payload, random_aadhaar};
    use super::*;
    use base64::Engine as _;
    use std::collections::{BTreeSet, HashSet};

    fn asha() -> Identity {
        Identity {
            aadhaar: "234123412346".into(),
            mobile: "9876543210".into(),
            name: "Asha Verma".into(),
            first_name: "Asha".into(),
            middle_name: None,
            last_name: "Verma".into(),
            gender: "F".into(),
            year_of_birth: "1988".into(),
            month_of_birth: "08".into(),
            day_of_birth: "15".into(),
            address: "12 Station Rd, Ghaziabad".into(),
            pincode: "201001".into(),
            state_code: "9".into(),
            state_name: "Uttar Pradesh".into(),
            district_code: "145".into(),
            district_name: "Ghaziabad".into(),
            photo: SAMPLE_PHOTO_BASE64.into(),
        }
    }

    #[test]
    fn sample_photo_is_a_real_jpeg() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(SAMPLE_PHOTO_BASE64)
            .unwrap();
        assert_eq!(bytes.len(), 159);
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(bytes.ends_with(&[0xFF, 0xD9]));
        let photo = Photo::parse(SAMPLE_PHOTO_BASE64).unwrap();
        assert_eq!(photo.decoded_len(), 159);
        assert_eq!(photo.as_str(), SAMPLE_PHOTO_BASE64);
    }

    #[test]
    fn mixing_is_stable() {
        // Pinned: changing `mix` would silently change every derived identity.
        assert_eq!(mix("234123412346", 0), mix("234123412346", 0));
        assert_ne!(mix("234123412346", 0), mix("234123412346", 1));
        assert_ne!(mix("234123412346", 0), mix("234123412364", 0));
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(mix("", 0), splitmix64(0));
    }

    #[test]
    fn derive_mobile_is_the_derived_identitys_mobile() {
        let mut rng = StdRng::seed_from_u64(11);
        for seed in [0, 1, 7, u64::MAX] {
            for _ in 0..500 {
                let aadhaar = random_aadhaar(&mut rng);
                let identity = derive(&aadhaar, seed);
                assert_eq!(derive_mobile(&aadhaar, seed), identity.mobile);
                assert_eq!(
                    masked_mobile(&identity.mobile),
                    format!("******{}", &identity.mobile[6..])
                );
            }
        }
    }

    #[test]
    fn derive_is_deterministic() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let a = random_aadhaar(&mut rng);
            let seed = rng.random();
            assert_eq!(derive(&a, seed), derive(&a, seed));
            assert_eq!(derive(&a, seed).aadhaar, a.expose());
        }
        let a = aadhaar_from_payload(23_412_341_234);
        let differ = (1..20).filter(|&s| derive(&a, s) != derive(&a, 0)).count();
        assert_eq!(differ, 19, "the seed changes the identity");
    }

    #[test]
    fn derive_is_varied() {
        let ids: Vec<Identity> = (0..200)
            .map(|i| derive(&aadhaar_from_payload(23_412_341_234 + i), 42))
            .collect();
        let distinct = |f: fn(&Identity) -> String| ids.iter().map(f).collect::<HashSet<_>>().len();
        assert!(distinct(|i| i.name.clone()) >= 120, "names");
        assert!(distinct(|i| i.first_name.clone()) >= 30, "first names");
        assert!(distinct(|i| i.last_name.clone()) >= 25, "last names");
        assert!(distinct(|i| i.mobile.clone()) >= 198, "mobiles");
        assert!(distinct(|i| i.birth_date()) >= 180, "birth dates");
        assert!(distinct(|i| i.year_of_birth.clone()) >= 30, "years");
        assert!(distinct(|i| i.state_code.clone()) >= 9, "states");
        assert!(distinct(|i| i.district_code.clone()) >= 30, "districts");
        assert!(distinct(|i| i.address.clone()) >= 190, "addresses");
        let genders: BTreeSet<&str> = ids.iter().map(|i| i.gender.as_str()).collect();
        assert!(genders.contains("F") && genders.contains("M"));
        let middles = ids.iter().filter(|i| i.middle_name.is_some()).count();
        assert!(
            (30..=90).contains(&middles),
            "about 30% have a middle name: {middles}"
        );
        let others = ids.iter().filter(|i| i.gender == "O").count();
        assert!(others <= 20, "O is rare: {others}");
    }

    #[test]
    fn derived_identities_are_valid_and_consistent() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut genders = HashSet::new();
        for n in 0..500 {
            let a = random_aadhaar(&mut rng);
            let id = derive(&a, n);
            assert_eq!(id.validate(), Ok(()), "{id:?}");
            assert_eq!(
                id.clone().normalized().as_ref(),
                Ok(&id),
                "already canonical"
            );
            genders.insert(id.gender.clone());

            let parts: Vec<&str> = [
                Some(&id.first_name),
                id.middle_name.as_ref(),
                Some(&id.last_name),
            ]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
            assert_eq!(id.name, parts.join(" "));
            assert!(id.name.is_ascii() && id.address.is_ascii());

            let year: u16 = id.year_of_birth.parse().unwrap();
            assert!((1960..=2000).contains(&year));
            assert_eq!(id.month_of_birth.len(), 2);
            assert_eq!(id.day_of_birth.len(), 2);
            assert_eq!(id.year_of_birth.len(), 4);

            let state = geo::state(&id.state_code).unwrap();
            assert_eq!(state.name, id.state_name);
            let district = geo::district(&id.state_code, &id.district_code).unwrap();
            assert_eq!(district.name, id.district_name);
            assert_eq!(id.pincode[..3], district.pincode[..3]);
            assert!(id.address.ends_with(&format!(", {}", district.name)));

            assert_eq!(id.mobile.len(), 10);
            assert!(id.mobile.bytes().all(|b| b.is_ascii_digit()));
            assert!((b'6'..=b'9').contains(&id.mobile.as_bytes()[0]));
            assert_eq!(id.photo, SAMPLE_PHOTO_BASE64);
        }
        assert_eq!(genders.len(), 3, "F, M and O all occur");
    }

    #[test]
    fn json_round_trip_with_exact_keys() {
        let id = asha();
        let value = serde_json::to_value(&id).unwrap();
        let keys: BTreeSet<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let want: BTreeSet<&str> = [
            "aadhaar",
            "mobile",
            "name",
            "firstName",
            "middleName",
            "lastName",
            "gender",
            "yearOfBirth",
            "monthOfBirth",
            "dayOfBirth",
            "address",
            "pincode",
            "stateCode",
            "stateName",
            "districtCode",
            "districtName",
            "photo",
        ]
        .into();
        assert_eq!(keys, want);
        assert_eq!(value["middleName"], serde_json::Value::Null);
        assert_eq!(value["firstName"], "Asha");
        let back: Identity = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back, id);

        let derived = derive(&aadhaar_from_payload(98_765_432_101), 3);
        let text = serde_json::to_string(&derived).unwrap();
        assert_eq!(serde_json::from_str::<Identity>(&text).unwrap(), derived);

        // middleName may be omitted; unknown keys are rejected
        let mut obj = value.as_object().unwrap().clone();
        obj.remove("middleName");
        let back: Identity = serde_json::from_value(obj.clone().into()).unwrap();
        assert_eq!(back.middle_name, None);
        obj.insert("email".into(), "a@example.com".into());
        assert!(serde_json::from_value::<Identity>(obj.into()).is_err());
    }

    #[test]
    fn debug_shows_only_last_four_digits() {
        let mut id = asha();
        id.middle_name = Some("Rani".into());
        let shown = format!("{id:?}");
        assert_eq!(
            shown,
            "Identity { aadhaar: XXXXXXXX2346, mobile: XXXXXX3210, .. }"
        );
        let alt = format!("{id:#?}");
        for secret in [
            "23412341",
            "987654",
            "Asha",
            "Verma",
            "Rani",
            "1988",
            "201001",
            "Station",
            "Ghaziabad",
            "Uttar",
            "145",
            "/9j/",
        ] {
            assert!(!shown.contains(secret), "{secret}");
            assert!(!alt.contains(secret), "{secret}");
        }
        let derived = derive(&aadhaar_from_payload(45_678_901_234), 9);
        let shown = format!("{derived:?}");
        assert!(!shown.contains(&derived.aadhaar[..8]));
        assert!(!shown.contains(&derived.mobile[..6]));
        assert!(!shown.contains(&derived.name));
        assert!(shown.contains(&derived.aadhaar[8..]));
    }

    #[test]
    fn birth_date_and_masked_mobile() {
        let mut id = asha();
        assert_eq!(id.birth_date(), "15-08-1988");
        assert_eq!(id.masked_mobile(), "******3210");
        id.day_of_birth = "5".into();
        id.month_of_birth = " 8".into();
        assert_eq!(id.birth_date(), "05-08-1988");
        id.mobile = "+91 98765-43210".into();
        assert_eq!(id.masked_mobile(), "******3210");
        id.mobile = "12".into();
        assert_eq!(id.masked_mobile(), "**********");
    }

    #[test]
    fn normalized_canonicalises() {
        let mut id = asha();
        id.aadhaar = " 2341 2341-2346 ".into();
        id.mobile = "+91 98765-43210".into();
        id.day_of_birth = "5".into();
        id.month_of_birth = "8".into();
        id.pincode = "201 001".into();
        id.first_name = "  Asha ".into();
        id.middle_name = Some("   ".into());
        id.state_code = " 09 ".into();
        id.photo = format!("data:image/jpeg;base64,{}", SAMPLE_PHOTO_BASE64);
        assert_eq!(id.validate(), Ok(()));
        let n = id.normalized().unwrap();
        assert_eq!(n.aadhaar, "234123412346");
        assert_eq!(n.mobile, "9876543210");
        assert_eq!(
            (n.day_of_birth.as_str(), n.month_of_birth.as_str()),
            ("05", "08")
        );
        assert_eq!(n.pincode, "201001");
        assert_eq!(n.first_name, "Asha");
        assert_eq!(n.middle_name, None);
        assert_eq!(n.state_code, "09");
        assert_eq!(n.photo, SAMPLE_PHOTO_BASE64);
        assert_eq!(asha().normalized(), Ok(asha()));
    }

    #[test]
    fn validate_names_field_and_rule_never_value() {
        let mut id = asha();
        id.aadhaar = "234123412345".into();
        id.mobile = "5876543219".into();
        id.name = " ".into();
        id.first_name = String::new();
        id.middle_name = Some("Ra\u{7}ni".into());
        id.last_name = "\t".into();
        id.gender = "Female".into();
        id.day_of_birth = "31".into();
        id.month_of_birth = "04".into();
        id.year_of_birth = "1990".into();
        id.address = String::new();
        id.pincode = "012345".into();
        id.state_code = "U9".into();
        id.state_name = String::new();
        id.district_code = "1234567".into();
        id.district_name = " ".into();
        id.photo = "R0lGODlh".into();
        let errors = id.validate().unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_ref()).collect();
        assert_eq!(
            fields,
            [
                "aadhaar",
                "mobile",
                "name",
                "firstName",
                "middleName",
                "lastName",
                "gender",
                // 31 April: all three date parts are named
                "dayOfBirth",
                "monthOfBirth",
                "yearOfBirth",
                "address",
                "pincode",
                "stateCode",
                "stateName",
                "districtCode",
                "districtName",
                "photo"
            ]
        );
        let all = errors.to_string();
        for value in [
            "234123412345",
            "5876543219",
            "Female",
            "012345",
            "U9",
            "1234567",
            "R0lG",
        ] {
            assert!(!all.contains(value), "{value} leaked: {all}");
        }
        let lines: Vec<String> = errors.errors().iter().map(ToString::to_string).collect();
        assert!(lines[0].contains("[checksum]"), "{}", lines[0]);
        assert_eq!(errors.errors()[0].rule, Rule::Checksum);
        assert!(lines[6].contains("M, F, O, T"), "{}", lines[6]);
        assert_eq!(id.normalized().unwrap_err(), errors);

        let mut future = asha();
        future.year_of_birth = "2999".into();
        let errors = future.validate().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors.errors()[0].field, "yearOfBirth", "{errors}");

        for g in ["M", "F", "O", "T", " T "] {
            let mut id = asha();
            id.gender = g.into();
            assert_eq!(id.validate(), Ok(()), "{g:?}");
        }
        let mut id = asha();
        id.gender = "f".into();
        assert!(id.validate().is_err());

        // codes outside geo are fine if they are 1-6 digits
        let mut id = asha();
        id.state_code = "123456".into();
        id.district_code = "000001".into();
        id.first_name = "आशा".into();
        assert_eq!(id.validate(), Ok(()));
    }
}
