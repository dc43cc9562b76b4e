/// Maps byte offsets in a text to 1-based line and column numbers.
///
/// Parsers that report places build one per file; looking up an offset is a binary search.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
        LineIndex { text, line_starts }
    }

    /// The 1-based line holding byte `offset` (offsets past the end count as the last line).
    pub fn line(&self, offset: usize) -> u32 {
        let idx = self.line_starts.partition_point(|&start| start <= offset);
        idx.max(1) as u32
    }

    /// The 1-based (line, column) of byte `offset`; the column counts characters.
    pub fn line_column(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line(offset);
        let start = self.line_starts[line as usize - 1];
        let prefix = self.text.get(start..offset).unwrap_or("");
        (line, prefix.chars().count() as u32 + 1)
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
}

/// A PyPI project name in the normal form of PEP 503: lowercase, with every run of
/// `-`, `_` and `.` replaced by a single `-`.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            in_separator = true;
        } else {
            if in_separator && !out.is_empty() {
                out.push('-');
            }
            in_separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let text = "ab\ncdé\n\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_column(0), (1, 1));
        assert_eq!(idx.line_column(1), (1, 2));
        assert_eq!(idx.line_column(3), (2, 1));
        // 'é' is two bytes; the column after it counts one character.
        assert_eq!(idx.line_column(7), (2, 4));
        assert_eq!(idx.line_column(8), (3, 1));
        assert_eq!(idx.line_column(9), (4, 1));
        assert_eq!(idx.line_column(1000), (4, 2));
    }

    #[test]
    fn pep503_normalisation() {
        assert_eq!(normalize_pypi_name("Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(normalize_pypi_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_pypi_name("A-._-B"), "a-b");
        assert_eq!(normalize_pypi_name("PyYAML"), "pyyaml");
    }
}
