//! HPR ID (username) suggestions, as returned by `POST /hpId/suggestion`.
//!
//! ```
//! use abdm_hpr::types::Aadhaar;
//! use hpr_sandbox::{identity, suggest};
//!
//! let person = identity::derive(&"234123412346".parse::<Aadhaar>().unwrap(), 1);
//! let ids = suggest::suggestions(&person, |id| id == "taken.name");
//! assert!((3..=5).contains(&ids.len()));
//! ```

use abdm_hpr::types::HprId;

use crate::identity::Identity;

/// Fewest suggestions returned (unless nearly every candidate is taken).
pub const MIN_SUGGESTIONS: usize = 3;
/// Most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 5;

/// Longest part taken from one name, so every candidate stays within the 50-character limit.
const MAX_PART: usize = 20;
/// How many numbered variants (`asha.verma2`, `asha.verma3`, …) are tried at most.
const MAX_NUMBERED: u32 = 1000;

/// The ASCII letters and digits of a name, lower-cased and cut to [`MAX_PART`] characters.
fn slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(MAX_PART)
        .collect()
}

/// Joins the non-empty parts with `sep`.
fn join(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

/// The preferred candidates, best first, and the base for numbered variants.
fn candidates(first: &str, last: &str, year: &str) -> (Vec<String>, String) {
    let yy = year.get(2..).unwrap_or("");
    match (first.is_empty(), last.is_empty()) {
        (false, false) => (
            vec![
                join(&[first, last], "."),
                format!("{first}{last}{year}"),
                join(&[last, first], "."),
                format!("{}{yy}", join(&[first, last], "_")),
                join(&[first, last, year], "."),
            ],
            join(&[first, last], "."),
        ),
        (false, true) | (true, false) => {
            let name = if first.is_empty() { last } else { first };
            (
                vec![
                    name.to_owned(),
                    format!("{name}{year}"),
                    join(&[name, year], "."),
                    join(&[name, yy], "_"),
                    join(&[name, yy], "."),
                ],
                name.to_owned(),
            )
        }
        (true, true) => {
            let base = format!("hpr{year}");
            (vec![base.clone()], base)
        }
    }
}

/// Suggests 3 to 5 distinct, free HPR ID usernames for a person, best first.
///
/// Candidates come from the first name, last name and birth year, e.g. `asha.verma`,
/// `ashaverma1988`, `verma.asha`, `asha_verma88`, `asha.verma.1988`. Only the ASCII letters and
/// digits of each name are used, lower-cased (at most 20 per name); if neither name has any, the
/// candidates are `hpr` + birth year (+ digits). Every suggestion is lower-case and valid under
/// [`HprId::parse`].
///
/// `is_taken` is asked about each lower-case candidate (the registry should compare
/// case-insensitively); taken ones are skipped. If fewer than 3 remain, numbered variants of the
/// first candidate (`asha.verma2`, `asha.verma3`, …) are added until there are 3. A taken ID is
/// never returned; if almost everything is taken (after 1000 numbered variants) fewer than 3, or
/// none, are returned.
pub fn suggestions(identity: &Identity, is_taken: impl Fn(&str) -> bool) -> Vec<String> {
    let first = slug(&identity.first_name);
    let last = slug(&identity.last_name);
    let year = identity.year_of_birth.trim();
    let year = if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) {
        year
    } else {
        ""
    };
    let (preferred, base) = candidates(&first, &last, year);

    let mut out: Vec<String> = Vec::with_capacity(MAX_SUGGESTIONS);
    let offer = |candidate: String, out: &mut Vec<String>| {
        if HprId::parse(&candidate).is_ok() && !out.contains(&candidate) && !is_taken(&candidate) {
            out.push(candidate);
        }
    };
    for candidate in preferred {
        if out.len() == MAX_SUGGESTIONS {
            break;
        }
        offer(candidate, &mut out);
    }
    for n in 2..2 + MAX_NUMBERED {
        if out.len() >= MIN_SUGGESTIONS {
            break;
        }
        offer(format!("{base}{n}"), &mut out);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::identity::testing::random_aadhaar;
    use crate::identity::{SAMPLE_PHOTO_BASE64, derive};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::cell::RefCell;
    use std::collections::HashSet;

    fn person(first: &str, last: &str, year: &str) -> Identity {
        Identity {
            aadhaar: "234123412346".into(),
            mobile: "9876543210".into(),
            name: format!("{first} {last}"),
            first_name: first.into(),
            middle_name: None,
            last_name: last.into(),
            gender: "F".into(),
            year_of_birth: year.into(),
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

    fn free(_: &str) -> bool {
        false
    }

    /// The invariants every answer must keep.
    fn check(ids: &[String], taken: &dyn Fn(&str) -> bool) {
        assert!(
            (MIN_SUGGESTIONS..=MAX_SUGGESTIONS).contains(&ids.len()),
            "{ids:?}"
        );
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{ids:?}");
        for id in ids {
            let parsed = HprId::parse(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(parsed.as_str(), id);
            assert_eq!(*id, id.to_ascii_lowercase());
            assert!(!taken(id), "{id} is taken");
        }
    }

    #[test]
    fn contract_example() {
        let ids = suggestions(&person("Asha", "Verma", "1988"), free);
        assert_eq!(
            ids,
            [
                "asha.verma",
                "ashaverma1988",
                "verma.asha",
                "asha_verma88",
                "asha.verma.1988"
            ]
        );
        check(&ids, &free);
    }

    #[test]
    fn skips_taken_and_fills_with_numbers() {
        let registry = ["Asha.Verma", "ASHAVERMA1988", "verma.asha", "asha_verma88"];
        let asked = RefCell::new(Vec::new());
        let taken = |id: &str| {
            asked.borrow_mut().push(id.to_owned());
            registry.iter().any(|t| t.eq_ignore_ascii_case(id))
        };
        let ids = suggestions(&person("Asha", "Verma", "1988"), taken);
        assert_eq!(ids, ["asha.verma.1988", "asha.verma2", "asha.verma3"]);
        check(&ids, &taken);
        for id in asked.borrow().iter() {
            assert_eq!(*id, id.to_ascii_lowercase(), "is_taken gets lower case");
        }

        // all preferred ones and some numbered ones taken
        let taken = |id: &str| {
            !id.starts_with("asha.verma")
                || ["asha.verma.1988", "asha.verma2"].contains(&id)
                || id == "asha.verma"
        };
        let ids = suggestions(&person("Asha", "Verma", "1988"), taken);
        assert_eq!(ids, ["asha.verma3", "asha.verma4", "asha.verma5"]);
        check(&ids, &taken);
    }

    #[test]
    fn everything_taken_terminates() {
        assert!(suggestions(&person("Asha", "Verma", "1988"), |_| true).is_empty());
        let ids = suggestions(&person("Asha", "Verma", "1988"), |id| id != "asha.verma77");
        assert_eq!(ids, ["asha.verma77"]);
    }

    #[test]
    fn non_ascii_names_fall_back() {
        let taken = |id: &str| id == "hpr19882";
        let ids = suggestions(&person("आशा", "वर्मा", "1988"), taken);
        assert_eq!(ids, ["hpr1988", "hpr19883", "hpr19884"]);
        check(&ids, &taken);
        for id in &ids {
            assert!(id.starts_with("hpr1988"));
        }
        // no usable year either
        let ids = suggestions(&person("  ", "。", "??"), free);
        check(&ids, &free);
        assert_eq!(ids, ["hpr2", "hpr3", "hpr4"]);
    }

    #[test]
    fn mixed_names() {
        let ids = suggestions(&person("Mary Ann", "D'Souza-Fernandes", " 1990 "), free);
        assert_eq!(ids[0], "maryann.dsouzafernandes");
        assert_eq!(ids[1], "maryanndsouzafernandes1990");
        check(&ids, &free);

        // only the last name is usable
        let ids = suggestions(&person("आशा", "Verma", "1988"), free);
        assert_eq!(
            ids,
            ["verma", "verma1988", "verma.1988", "verma_88", "verma.88"]
        );
        // a short single name: "om" itself is too short
        let ids = suggestions(&person("Om", "ॐ", "1975"), free);
        assert_eq!(ids, ["om1975", "om.1975", "om_75", "om.75"]);
        check(&ids, &free);
        // one-letter names
        let ids = suggestions(&person("A", "B", "2000"), free);
        assert_eq!(ids, ["ab2000", "a_b00", "a.b.2000"]);
        check(&ids, &free);
        let ids = suggestions(&person("A", "B", "2000"), |id| id == "a_b00");
        assert_eq!(ids, ["ab2000", "a.b.2000", "a.b2"]);
    }

    #[test]
    fn long_names_stay_within_limit() {
        let long = "Venkataramanasubrahmanyam".repeat(3);
        let ids = suggestions(&person(&long, &long, "1961"), free);
        check(&ids, &free);
        assert!(ids.iter().all(|id| id.len() <= 50));
        let ids = suggestions(&person(&long, &long, "1961"), |id| !id.ends_with("999"));
        assert_eq!(ids.len(), 1);
        assert!(ids[0].len() <= 50);
    }

    #[test]
    fn derived_people_with_random_registries() {
        let mut rng = StdRng::seed_from_u64(5);
        for n in 0..300 {
            let p = derive(&random_aadhaar(&mut rng), n);
            let all = suggestions(&p, free);
            check(&all, &free);
            assert_eq!(all.len(), MAX_SUGGESTIONS);
            // take a random subset of the free answer, plus some numbered variants
            let registry: HashSet<String> = all
                .iter()
                .cloned()
                .chain((2..6).map(|k| format!("{}{k}", all[0])))
                .filter(|_| rng.random_bool(0.6))
                .collect();
            let taken = |id: &str| registry.contains(id);
            let ids = suggestions(&p, taken);
            check(&ids, &taken);
            assert_eq!(ids, suggestions(&p, taken), "deterministic");
        }
    }
}
