//! Professional categories and their sub-categories (CONTRACT §5.2), as published in
//! `nha-in/docs: site/docs/hiecm/v3/api/m4/undocumented.md`.
//!
//! These are the codes a registration usually sends as `hpCategoryCode` / `hpSubCategoryCode`.
//! They are a **known list, not a rule**: upstream tables disagree, so the client never rejects an
//! unlisted code (the offline sandbox, by contrast, accepts only these pairs). Front ends use the
//! table to offer choices; the flow's field descriptors carry it as `choices`.
//!
//! Codes are compared as integers after trimming, so `"01"` is Doctor.
//!
//! ```
//! use abdm_hpr::categories;
//! assert_eq!(categories::category_name("1"), Some("Doctor"));
//! assert_eq!(categories::sub_category_name("2", "8"), Some("RN"));
//! assert_eq!(categories::sub_category_name("2", "1"), None); // Modern Medicine is a Doctor's
//! let nurse = categories::category(" 02 ").unwrap();
//! assert_eq!(nurse.sub_categories.len(), 4);
//! ```

/// A sub-category of a [`Category`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubCategory {
    /// Sub-category code, e.g. `"1"`.
    pub code: &'static str,
    /// Sub-category name, e.g. `"Modern Medicine"`.
    pub name: &'static str,
}

/// A professional category and its sub-categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Category code, e.g. `"1"`.
    pub code: &'static str,
    /// Category name, e.g. `"Doctor"`.
    pub name: &'static str,
    /// The sub-categories of this category (never empty).
    pub sub_categories: &'static [SubCategory],
}

const fn sub(code: &'static str, name: &'static str) -> SubCategory {
    SubCategory { code, name }
}

/// The professional categories of CONTRACT §5.2, in the contract's order.
pub static CATEGORIES: &[Category] = &[
    Category {
        code: "1",
        name: "Doctor",
        sub_categories: &[
            sub("1", "Modern Medicine"),
            sub("2", "Dentist"),
            sub("3", "Ayurveda"),
            sub("4", "Unani"),
            sub("5", "Siddha"),
            sub("6", "Homoeopathy"),
            sub("89", "Sowa-Rigpa"),
            sub("220", "Yoga and Naturopathy"),
        ],
    },
    Category {
        code: "2",
        name: "Nurse",
        sub_categories: &[
            sub("7", "RANM"),
            sub("8", "RN"),
            sub("9", "RN and RM"),
            sub("10", "RLHV"),
        ],
    },
    Category {
        code: "6",
        name: "Pharmacist",
        sub_categories: &[sub("33", "Pharmacist")],
    },
];

/// A code as an integer: trimmed ASCII digits only (`"01"` is 1; `"+1"`, `""` and `"1a"` are not).
fn number(code: &str) -> Option<u32> {
    let code = code.trim();
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

/// The category with this code (compared as integers), if listed.
pub fn category(code: &str) -> Option<&'static Category> {
    let code = number(code)?;
    CATEGORIES.iter().find(|c| number(c.code) == Some(code))
}

/// The sub-category with this code **under that category**, if listed.
///
/// `None` if the category is unknown or the sub-category belongs to another one (e.g. `("2", "1")`).
pub fn sub_category(category_code: &str, sub_code: &str) -> Option<&'static SubCategory> {
    let sub = number(sub_code)?;
    category(category_code)?
        .sub_categories
        .iter()
        .find(|s| number(s.code) == Some(sub))
}

/// The name of a professional category (`1` Doctor, `2` Nurse, `6` Pharmacist).
pub fn category_name(code: &str) -> Option<&'static str> {
    category(code).map(|c| c.name)
}

/// The name of a sub-category, only for the listed category/sub-category pairs.
pub fn sub_category_name(category_code: &str, sub_code: &str) -> Option<&'static str> {
    sub_category(category_code, sub_code).map(|s| s.name)
}

/// `"Nurse · RN and RM"`, or just `"Pharmacist"` when the category has a single sub-category;
/// `None` unless the pair is listed.
pub fn label(category_code: &str, sub_code: &str) -> Option<String> {
    let cat = category(category_code)?;
    let sub = sub_category(category_code, sub_code)?;
    Some(if cat.sub_categories.len() > 1 {
        format!("{} · {}", cat.name, sub.name)
    } else {
        cat.name.to_owned()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::types::{CategoryCode, SubCategoryCode};

    #[test]
    fn table_is_well_formed() {
        let names: Vec<&str> = CATEGORIES.iter().map(|c| c.name).collect();
        assert_eq!(names, ["Doctor", "Nurse", "Pharmacist"]);
        for c in CATEGORIES {
            assert!(CategoryCode::parse(c.code).is_ok(), "{}", c.code);
            assert!(!c.sub_categories.is_empty());
            for s in c.sub_categories {
                assert!(SubCategoryCode::parse(s.code).is_ok(), "{}", s.code);
                assert_eq!(sub_category_name(c.code, s.code), Some(s.name));
            }
        }
    }

    #[test]
    fn categories() {
        assert_eq!(category_name("1"), Some("Doctor"));
        assert_eq!(category_name("01"), Some("Doctor"));
        assert_eq!(category_name(" 2 "), Some("Nurse"));
        assert_eq!(category_name("6"), Some("Pharmacist"));
        for bad in [
            "",
            "0",
            "3",
            "100",
            "+1",
            "1a",
            "-1",
            "99999999999999999999",
        ] {
            assert_eq!(category_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sub_categories() {
        let doctor = [
            ("1", "Modern Medicine"),
            ("2", "Dentist"),
            ("3", "Ayurveda"),
            ("4", "Unani"),
            ("5", "Siddha"),
            ("6", "Homoeopathy"),
            ("89", "Sowa-Rigpa"),
            ("220", "Yoga and Naturopathy"),
        ];
        for (sub, name) in doctor {
            assert_eq!(sub_category_name("1", sub), Some(name));
        }
        let nurse = [
            ("7", "RANM"),
            ("8", "RN"),
            ("9", "RN and RM"),
            ("10", "RLHV"),
        ];
        for (sub, name) in nurse {
            assert_eq!(sub_category_name("2", sub), Some(name));
        }
        assert_eq!(sub_category_name("6", "33"), Some("Pharmacist"));
        assert_eq!(sub_category_name("01", "001"), Some("Modern Medicine"));
        assert_eq!(sub_category_name("0006", "033"), Some("Pharmacist"));
        // pairs outside the table
        assert_eq!(sub_category_name("2", "1"), None);
        assert_eq!(sub_category_name("1", "7"), None);
        assert_eq!(sub_category_name("6", "13"), None);
        assert_eq!(sub_category_name("3", "1"), None);
        assert_eq!(sub_category_name("1", ""), None);
        assert_eq!(sub_category_name("1", "x"), None);
        assert_eq!(sub_category_name("100", "1"), None);
    }

    #[test]
    fn labels() {
        assert_eq!(label("2", "9").as_deref(), Some("Nurse · RN and RM"));
        assert_eq!(label("6", "33").as_deref(), Some("Pharmacist"));
        assert_eq!(label("2", "1"), None);
    }
}
