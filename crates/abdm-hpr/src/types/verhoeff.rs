//! The Verhoeff check digit (J. Verhoeff, *Error Detecting Decimal Codes*, 1969), as used by UIDAI
//! for Aadhaar numbers. It catches every single-digit error and every adjacent transposition.
//!
//! Digits are passed as values `0..=9`, most significant first.

/// Multiplication table of the dihedral group D5.
const D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/// Position-dependent permutations: row k is row 1 applied k times.
const P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Inverses in D5.
const INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

fn fold(digits: &[u8], first_position: usize) -> u8 {
    digits.iter().rev().enumerate().fold(0, |c, (i, &digit)| {
        D[c as usize][P[(i + first_position) % 8][digit as usize] as usize]
    })
}

/// `true` if the last digit is the Verhoeff check digit of the ones before it.
///
/// ```
/// use abdm_hpr::types::verhoeff;
/// assert!(verhoeff::is_valid(&[2, 3, 6, 3]));
/// assert!(!verhoeff::is_valid(&[2, 3, 6, 4]));
/// ```
pub fn is_valid(digits: &[u8]) -> bool {
    !digits.is_empty() && digits.iter().all(|&d| d < 10) && fold(digits, 0) == 0
}

/// The check digit to append to `payload`.
///
/// ```
/// use abdm_hpr::types::verhoeff;
/// assert_eq!(verhoeff::check_digit(&[2, 3, 6]), 3);
/// assert_eq!(verhoeff::check_digit(&[1, 2, 3, 4, 5]), 1);
/// ```
///
/// # Panics
/// If a value is not a digit `0..=9`.
pub fn check_digit(payload: &[u8]) -> u8 {
    assert!(payload.iter().all(|&d| d < 10), "Verhoeff digits are 0..=9");
    INV[fold(payload, 1) as usize]
}
