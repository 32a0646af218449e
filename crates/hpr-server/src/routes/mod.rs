//! The request handlers.

pub mod ops;
pub mod registrations;
