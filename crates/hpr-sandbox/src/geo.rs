//! Built-in reference data: a few Indian states and districts (and, re-exported from
//! [`abdm_hpr::categories`], the professional categories).
//!
//! The state codes are the LGD (Local Government Directory) / census codes; the district codes are
//! LGD-style and illustrative (Uttar Pradesh `"9"` / Ghaziabad `"145"` as in the contract), not a
//! copy of the LGD master list. Each district carries one representative PIN code whose first
//! digit is that of its postal region.
//!
//! ```
//! use hpr_sandbox::geo;
//! assert_eq!(geo::state("09").unwrap().name, "Uttar Pradesh");
//! assert_eq!(geo::district("9", "145").unwrap().name, "Ghaziabad");
//! assert_eq!(geo::sub_category_name("1", "220"), Some("Yoga and Naturopathy"));
//! ```

/// A district of a [`State`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct District {
    /// LGD-style district code, e.g. `"145"`.
    pub code: &'static str,
    /// District name, e.g. `"Ghaziabad"`.
    pub name: &'static str,
    /// A representative 6-digit PIN code of the district, e.g. `"201001"`.
    pub pincode: &'static str,
}

/// A state or union territory with some of its districts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// LGD state code, e.g. `"9"` (no leading zeros in the table).
    pub code: &'static str,
    /// State name, e.g. `"Uttar Pradesh"`.
    pub name: &'static str,
    /// Some of the state's districts (never empty).
    pub districts: &'static [District],
}

const fn d(code: &'static str, name: &'static str, pincode: &'static str) -> District {
    District {
        code,
        name,
        pincode,
    }
}

/// The built-in states, each with 4–6 districts.
pub static STATES: &[State] = &[
    State {
        code: "9",
        name: "Uttar Pradesh",
        districts: &[
            d("145", "Ghaziabad", "201001"),
            d("144", "Gautam Buddha Nagar", "201301"),
            d("162", "Lucknow", "226001"),
            d("118", "Agra", "282001"),
            d("187", "Varanasi", "221001"),
            d("157", "Kanpur Nagar", "208001"),
        ],
    },
    State {
        code: "7",
        name: "Delhi",
        districts: &[
            d("79", "New Delhi", "110001"),
            d("77", "Central Delhi", "110002"),
            d("83", "South Delhi", "110017"),
            d("82", "North West Delhi", "110085"),
            d("78", "East Delhi", "110092"),
        ],
    },
    State {
        code: "27",
        name: "Maharashtra",
        districts: &[
            d("482", "Mumbai", "400001"),
            d("500", "Thane", "400601"),
            d("490", "Pune", "411001"),
            d("483", "Nagpur", "440001"),
            d("487", "Nashik", "422001"),
        ],
    },
    State {
        code: "29",
        name: "Karnataka",
        districts: &[
            d("525", "Bengaluru Urban", "560001"),
            d("541", "Mysuru", "570001"),
            d("522", "Belagavi", "590001"),
            d("531", "Dakshina Kannada", "575001"),
        ],
    },
    State {
        code: "33",
        name: "Tamil Nadu",
        districts: &[
            d("569", "Chennai", "600001"),
            d("570", "Coimbatore", "641001"),
            d("582", "Madurai", "625001"),
            d("598", "Tiruchirappalli", "620001"),
        ],
    },
    State {
        code: "32",
        name: "Kerala",
        districts: &[
            d("601", "Thiruvananthapuram", "695001"),
            d("590", "Ernakulam", "682011"),
            d("593", "Kozhikode", "673001"),
            d("602", "Thrissur", "680001"),
        ],
    },
    State {
        code: "19",
        name: "West Bengal",
        districts: &[
            d("331", "Kolkata", "700001"),
            d("326", "Howrah", "711101"),
            d("325", "Darjeeling", "734101"),
            d("320", "Purba Bardhaman", "713101"),
        ],
    },
    State {
        code: "10",
        name: "Bihar",
        districts: &[
            d("230", "Patna", "800001"),
            d("217", "Gaya", "823001"),
            d("228", "Muzaffarpur", "842001"),
            d("209", "Bhagalpur", "812001"),
        ],
    },
    State {
        code: "24",
        name: "Gujarat",
        districts: &[
            d("438", "Ahmedabad", "380001"),
            d("466", "Surat", "395003"),
            d("467", "Vadodara", "390001"),
            d("461", "Rajkot", "360001"),
        ],
    },
    State {
        code: "8",
        name: "Rajasthan",
        districts: &[
            d("110", "Jaipur", "302001"),
            d("113", "Jodhpur", "342001"),
            d("130", "Udaipur", "313001"),
            d("116", "Kota", "324001"),
        ],
    },
];

/// Canonical form of a numeric code: trimmed, ASCII digits only, leading zeros removed.
///
/// `None` for anything that is not a non-zero run of ASCII digits.
fn canonical(code: &str) -> Option<&str> {
    let code = code.trim();
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let stripped = code.trim_start_matches('0');
    (!stripped.is_empty()).then_some(stripped)
}

/// The state with this code, compared after trimming and ignoring leading zeros (`"09"` is `"9"`).
pub fn state(code: &str) -> Option<&'static State> {
    let code = canonical(code)?;
    STATES.iter().find(|s| canonical(s.code) == Some(code))
}

/// The district with this code **in that state** (codes compared as in [`state`]).
///
/// `None` if the state is unknown or the district belongs to another state.
pub fn district(state_code: &str, district_code: &str) -> Option<&'static District> {
    let code = canonical(district_code)?;
    state(state_code)?
        .districts
        .iter()
        .find(|d| canonical(d.code) == Some(code))
}

// The professional categories live in the SDK core, where the flow offers them as choices; the
// sandbox accepts exactly those pairs (CONTRACT §5.2).
pub use abdm_hpr::categories::{
    CATEGORIES, Category, SubCategory, category_name, sub_category_name,
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_is_well_formed() {
        assert!((8..=10).contains(&STATES.len()));
        let mut state_codes = HashSet::new();
        let mut district_codes = HashSet::new();
        for s in STATES {
            assert!(state_codes.insert(s.code), "duplicate state {}", s.code);
            assert!(canonical(s.code) == Some(s.code), "state code {}", s.code);
            assert!((3..=6).contains(&s.districts.len()), "{}", s.name);
            assert!(s.name.is_ascii() && !s.name.trim().is_empty());
            let first = s.districts[0].pincode.as_bytes()[0];
            for d in s.districts {
                assert!(
                    district_codes.insert(d.code),
                    "duplicate district {}",
                    d.code
                );
                assert!(canonical(d.code) == Some(d.code) && d.code.len() <= 6);
                assert!(d.name.is_ascii() && !d.name.trim().is_empty());
                assert_eq!(d.pincode.len(), 6, "{}", d.name);
                assert!(d.pincode.bytes().all(|b| b.is_ascii_digit()), "{}", d.name);
                assert_ne!(d.pincode.as_bytes()[0], b'0', "{}", d.name);
                // one postal region per state in this table
                assert_eq!(d.pincode.as_bytes()[0], first, "{}", d.name);
                assert!(abdm_hpr::types::Pincode::parse(d.pincode).is_ok());
                assert!(abdm_hpr::types::DistrictCode::parse(d.code).is_ok());
            }
            assert!(abdm_hpr::types::StateCode::parse(s.code).is_ok());
        }
    }

    #[test]
    fn contract_example() {
        let up = state("9").unwrap();
        assert_eq!(up.name, "Uttar Pradesh");
        let g = district("9", "145").unwrap();
        assert_eq!((g.name, g.pincode), ("Ghaziabad", "201001"));
    }

    #[test]
    fn state_lookup_normalises() {
        for code in ["9", "09", "009", " 9 ", "\t09\n"] {
            assert_eq!(
                state(code).map(|s| s.name),
                Some("Uttar Pradesh"),
                "{code:?}"
            );
        }
        assert_eq!(state("27").unwrap().name, "Maharashtra");
        assert_eq!(state("027").unwrap().name, "Maharashtra");
        for code in ["", " ", "0", "00", "90", "+9", "9a", "٩", "999999"] {
            assert!(state(code).is_none(), "{code:?}");
        }
    }

    #[test]
    fn district_must_belong_to_state() {
        assert_eq!(district("09", "0145").unwrap().name, "Ghaziabad");
        assert_eq!(district(" 9", "145 ").unwrap().name, "Ghaziabad");
        assert!(district("7", "145").is_none()); // Ghaziabad is not in Delhi
        assert!(district("9", "79").is_none());
        assert_eq!(district("7", "79").unwrap().name, "New Delhi");
        assert!(district("99", "145").is_none());
        assert!(district("9", "").is_none());
        assert!(district("9", "0").is_none());
        for s in STATES {
            for d in s.districts {
                assert_eq!(district(s.code, d.code), Some(d));
            }
        }
    }
}
