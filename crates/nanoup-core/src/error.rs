use std::fmt;

use serde::{Deserialize, Serialize};

/// A file nanoup could not read as what it claims to be, with the place and what was expected.
///
/// Parsers return this instead of panicking; a scan records it and goes on with other stacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ParseError {
    /// The file, relative to the scanned root, with `/` separators.
    pub file: String,
    /// 1-based line of the problem (1 when the problem concerns the whole file).
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// What was found and what was expected instead.
    pub message: String,
}

impl ParseError {
    /// An error at a known line and column of `file`.
    pub fn new(
        file: impl Into<String>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        ParseError {
            file: file.into(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at the byte `offset` of `text`, the content of `file`.
    pub fn at_offset(file: &str, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = crate::LineIndex::new(text).line_column(offset);
        ParseError::new(file, line, column, message)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}
