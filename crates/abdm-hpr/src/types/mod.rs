//! Wire types and validated values for the 8 HPR registration operations. No I/O here.
//!
//! - [`fields`](self#reexports): newtypes such as [`Aadhaar`], [`Otp`], [`Mobile`] that can only hold
//!   valid values and never print secrets.
//! - [`requests`]: one request type per operation, validated as a whole ([`ValidationErrors`] lists
//!   every failing field at once).
//! - [`responses`]: the decoded responses, tolerant of the aliases and extras upstream sends.
//! - [`scrub`]: third-party error text (serde's) without the values it quotes.

mod fields;
pub mod mask;
mod report;
pub mod requests;
pub mod responses;
pub mod scrub;
pub mod verhoeff;

pub use fields::*;
pub use report::{Checker, FieldError, Invalid, Rule, ValidationErrors};
pub use requests::*;
pub use responses::*;
