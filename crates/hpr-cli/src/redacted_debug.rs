//! `Debug` for the flag structs that hold secrets (OTPs, payloads, API keys, client secrets,
//! tokens, database URLs): each secret shows only whether it is set, never its value, so a
//! `{:?}` of a parsed command line (a log line, a panic message) cannot leak one.

use std::fmt;

use abdm_hpr::types::mask::REDACTED;

/// A secret flag's value as `Debug` shows it: set or not, and how many for a list, with the
/// marker every other `Debug` of a secret in this workspace uses ([`REDACTED`]).
pub(crate) struct Redacted<'a, T: ?Sized>(pub &'a T);

impl fmt::Debug for Redacted<'_, Option<String>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => write!(f, "Some({REDACTED})"),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for Redacted<'_, Vec<String>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{REDACTED} x {}]", self.0.len())
    }
}

impl fmt::Debug for Redacted<'_, String> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// `redacted_debug!(Type { plain fields…; secret fields… })` implements `Debug` for `Type`,
/// showing the secret fields through [`Redacted`]. Every field must be listed: a field added to
/// the struct and not here is a compile error (the struct is destructured without `..`).
macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* ; $($secret:ident),* $(,)? }) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let Self { $($field,)* $($secret,)* } = self;
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), $field))*
                    $(.field(stringify!($secret), &$crate::redacted_debug::Redacted($secret)))*
                    .finish()
            }
        }
    };
}
