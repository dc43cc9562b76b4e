//! Reading TOML with the byte spans nanoup needs to name lines.

use nanoup_core::ParseError;
use toml_edit::{Document, Item, TableLike};

/// Parses `text` (the content of `file`) as TOML, keeping spans; a syntax error names its place.
pub fn parse(file: &str, text: &str) -> Result<Document<String>, ParseError> {
    Document::parse(text.to_string()).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().replace('\n', " ");
        ParseError::at_offset(file, text, offset, format!("invalid TOML: {message}"))
    })
}

/// The string at `key` of a table, if it is a string.
pub fn str_at<'a>(table: &'a dyn TableLike, key: &str) -> Option<&'a str> {
    table.get(key).and_then(Item::as_str)
}

/// The start offset of `key`'s value in a table, falling back to `fallback`.
pub fn offset_of(table: &dyn TableLike, key: &str, fallback: usize) -> usize {
    table
        .get(key)
        .and_then(Item::span)
        .map_or(fallback, |s| s.start)
}
