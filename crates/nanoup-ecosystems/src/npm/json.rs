//! JSON helpers shared by the `package.json` and `package-lock.json` readers.
//!
//! serde_json gives no positions, but it hands out object keys as slices of the input when they
//! hold no escapes. [`JsonKey`] keeps such a slice, so the byte offset (and so the line) of a key
//! is a pointer difference: no second parse, no search. This keeps a 1 MB lockfile in the
//! few-milliseconds range that a full AST with ranges would not.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use nanoup_core::{LineIndex, ParseError};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// An object key as written in the input: borrowed from it unless it had escapes.
#[derive(Debug, Clone)]
pub(crate) struct JsonKey<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for JsonKey<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = JsonKey<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonKey(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonKey(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonKey(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor(PhantomData))
    }
}

impl JsonKey<'_> {
    /// The key's text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The 1-based line of the key in `index`'s text: exact for keys borrowed from the text,
    /// else the first line holding the key in quotes (or 1 when none does).
    pub(crate) fn line(&self, text: &str, index: &LineIndex) -> u32 {
        if let Cow::Borrowed(key) = &self.0 {
            let start = text.as_ptr() as usize;
            let at = key.as_ptr() as usize;
            if at >= start && at <= start + text.len() {
                return index.line(at - start);
            }
        }
        let quoted = serde_json::to_string(self.as_str()).unwrap_or_default();
        text.find(&quoted).map_or(1, |offset| index.line(offset))
    }
}

/// The members of a JSON object in input order, with their keys as written.
#[derive(Debug)]
pub(crate) struct Entries<'a, V>(pub Vec<(JsonKey<'a>, V)>);

impl<V> Default for Entries<'_, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Entries<'a, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<'a, V>(PhantomData<(&'a (), V)>);
        impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<'a, V> {
            type Value = Entries<'a, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some(key) = map.next_key::<JsonKey<'a>>()? {
                    let value = map.next_value::<V>()?;
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// Reads `text` as JSON of shape `T`, turning serde_json's error into a [`ParseError`] at the
/// place it names.
pub(crate) fn from_str<'a, T: Deserialize<'a>>(file: &str, text: &'a str) -> Result<T, ParseError> {
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let message = full
            .rsplit_once(" at line ")
            .map_or(full.as_str(), |(message, _)| message);
        let line = u32::try_from(e.line()).unwrap_or(u32::MAX).max(1);
        let column = u32::try_from(e.column()).unwrap_or(u32::MAX).max(1);
        ParseError::new(file, line, column, format!("invalid JSON: {message}"))
    })
}
