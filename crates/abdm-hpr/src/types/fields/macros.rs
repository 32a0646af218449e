//! Shared plumbing for string newtypes: parsing entry points and serde, all through `parse`.

/// Implements `FromStr`, `TryFrom<String>`, `TryFrom<&str>`, `Serialize` (the wire value) and
/// `Deserialize` (validating through `parse`) for a type with `fn parse(&str) -> Result<Self, Invalid>`
/// and `fn as_str(&self) -> &str`.
macro_rules! string_newtype {
    ($ty:ident) => {
        impl ::std::str::FromStr for $ty {
            type Err = $crate::types::Invalid;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $crate::types::Invalid;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $crate::types::Invalid;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&raw).map_err(::serde::de::Error::custom)
            }
        }
    };
}

/// `Debug` and `Display` that print `[redacted]` (with the type name for `Debug`).
macro_rules! redacted_fmt {
    ($ty:ident) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(
                    f,
                    concat!(stringify!($ty), "({})"),
                    $crate::types::mask::REDACTED
                )
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::types::mask::REDACTED)
            }
        }
    };
}

pub(crate) use redacted_fmt;
pub(crate) use string_newtype;
