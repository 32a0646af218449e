//! [`Body`]: a request's JSON object, parsed once, its keys and texts borrowed from the
//! request's bytes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON object body, as the lenient reader looks at it: each field's key and value, in the
/// order they came. A key or text without escapes is borrowed from the request's bytes.
///
/// Why not `serde_json::Map<String, Value>`: that copies every key and text into an allocation
/// of its own, inside a tree of allocations, for a body whose fields are read once or twice. A
/// key given twice reads as its last value, as in such a map.
#[derive(Default, Clone, PartialEq)]
pub(crate) struct Body<'a> {
    fields: Vec<(Cow<'a, str>, Field<'a>)>,
}

/// A field's value: what the operations tell apart.
#[derive(Clone, PartialEq)]
pub(crate) enum Field<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(Cow<'a, str>),
    /// An array or an object: present, and of no use as a field's value.
    Nested,
}

impl<'a> Body<'a> {
    /// An empty object.
    #[cfg(test)]
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key` (its last, if it came twice).
    pub fn get(&self, key: &str) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// Sets `key` to `value`, in place of any value it had.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Field<'a>) {
        let key = key.into();
        self.fields.retain(|(name, _)| *name != key);
        self.fields.push((key, value));
    }

    /// The same fields, owning every key and text.
    #[cfg(test)]
    pub fn into_owned(self) -> Body<'static> {
        let own = |text: Cow<'a, str>| Cow::Owned(text.into_owned());
        let fields = self
            .fields
            .into_iter()
            .map(|(key, value)| {
                let value = match value {
                    Field::Text(text) => Field::Text(own(text)),
                    Field::Null => Field::Null,
                    Field::Bool(b) => Field::Bool(b),
                    Field::Number(n) => Field::Number(n),
                    Field::Nested => Field::Nested,
                };
                (own(key), value)
            })
            .collect();
        Body { fields }
    }

    /// Forgets `key`.
    #[cfg(test)]
    pub fn remove(&mut self, key: &str) {
        self.fields.retain(|(name, _)| name != key);
    }
}

impl Field<'_> {
    pub fn is_null(&self) -> bool {
        matches!(self, Field::Null)
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// The keys and the kind of each value, never a text: a body carries OTPs, passwords and
/// Aadhaar numbers.
impl fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.fields.iter().map(|(key, value)| (key, value)))
            .finish()
    }
}

/// A text shows as its length only.
impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Null => f.write_str("Null"),
            Field::Bool(b) => write!(f, "Bool({b})"),
            Field::Number(_) => f.write_str("Number"),
            Field::Text(text) => write!(f, "Text({} bytes)", text.len()),
            Field::Nested => f.write_str("Nested"),
        }
    }
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Body<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body<'de>, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0).min(32));
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let value = map.next_value::<Field<'de>>()?;
            fields.push((key, value));
        }
        Ok(Body { fields })
    }
}

/// A key: borrowed when the input allows it (serde's own `Cow<str>` always copies).
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // the values' visitor, asked for a string: it borrows or copies as a text value does
        match deserializer.deserialize_str(FieldVisitor)? {
            Field::Text(text) => Ok(Text(text)),
            _ => Err(de::Error::custom("a key must be a string")),
        }
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Field<'de>, E> {
        Ok(Field::Null)
    }

    fn visit_none<E>(self) -> Result<Field<'de>, E> {
        Ok(Field::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
        Ok(Field::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
        Ok(Field::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
        Ok(Field::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
        // JSON has no NaN nor infinity: every parsed float is a number
        Ok(serde_json::Number::from_f64(v).map_or(Field::Null, Field::Number))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Nested)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Nested)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Body<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fields_keep_their_kind_and_plain_texts_are_borrowed() {
        let json =
            r#"{"a":"x","b":null,"c":12,"d":-3,"e":1.5,"f":true,"g":[1,{"h":2}],"i":{"j":[]}}"#;
        let body = parse(json);
        assert!(matches!(
            body.get("a"),
            Some(Field::Text(Cow::Borrowed("x")))
        ));
        assert!(body.get("b").unwrap().is_null());
        assert_eq!(body.get("c"), Some(&Field::Number(12.into())));
        assert_eq!(body.get("d"), Some(&Field::Number((-3).into())));
        assert_eq!(
            body.get("e"),
            Some(&Field::Number(serde_json::Number::from_f64(1.5).unwrap()))
        );
        assert_eq!(body.get("f"), Some(&Field::Bool(true)));
        assert_eq!(body.get("g"), Some(&Field::Nested));
        assert_eq!(body.get("i"), Some(&Field::Nested));
        assert_eq!(body.get("missing"), None);
        assert!(matches!(body.fields[0].0, Cow::Borrowed("a")));
    }

    #[test]
    fn debug_shows_keys_and_kinds_never_values() {
        let body =
            parse(r#"{"otp":"123456","aadhaar":234123412346,"password":"Secret@123","x":[1]}"#);
        let shown = format!("{body:?}");
        assert_eq!(
            shown,
            r#"{"otp": Text(6 bytes), "aadhaar": Number, "password": Text(10 bytes), "x": Nested}"#
        );
    }

    #[test]
    fn escaped_keys_and_texts_are_unescaped() {
        let body = parse(r#"{"t\u0078tId":"a\"b\u00e9"}"#);
        assert_eq!(body.get("txtId").unwrap().as_str(), Some("a\"bé"));
    }

    #[test]
    fn a_key_given_twice_reads_as_its_last_value() {
        let mut body = parse(r#"{"a":"1","b":"2","a":"3"}"#);
        assert_eq!(body.get("a").unwrap().as_str(), Some("3"));
        body.insert("b", Field::Text("4".into()));
        assert_eq!(body.get("b").unwrap().as_str(), Some("4"));
        assert_eq!(body.fields.iter().filter(|(k, _)| k == "b").count(), 1);
        body.remove("a");
        assert_eq!(body.get("a"), None);
    }

    #[test]
    fn only_an_object_is_a_body() {
        for other in ["[1]", "\"a\"", "1", "null", "true"] {
            let e = serde_json::from_str::<Body<'_>>(other).unwrap_err();
            assert_eq!(e.classify(), serde_json::error::Category::Data, "{other}");
        }
        for broken in ["{", "{\"a\":}", "{} {}", "{\"a\":1,}"] {
            let e = serde_json::from_str::<Body<'_>>(broken).unwrap_err();
            assert_ne!(e.classify(), serde_json::error::Category::Data, "{broken}");
        }
    }
}
