//! Text measurement and shaping for monospace terminals.

use std::borrow::Cow;

use heck::{ToSnakeCase, ToTitleCase};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The marker appended to a truncated cell.
pub const ELLIPSIS: char = '…';

/// Horizontal alignment of a cell inside its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// How many terminal columns `s` occupies.
pub fn display_width(s: &str) -> usize {
    s.width()
}

/// How many user-perceived characters (extended grapheme clusters) `s` has.
pub fn grapheme_count(s: &str) -> usize {
    s.graphemes(true).count()
}

/// Cuts `s` to at most `max` columns, ending with [`ELLIPSIS`] when something
/// was cut. A grapheme cluster is never split (an accent stays on its letter).
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if display_width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Owned(String::new());
    }
    let budget = max - 1; // one column for the ellipsis
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = g.width();
        if used + w > budget {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// Pads `s` with spaces to `width` columns. Text already wider is returned as is.
pub fn pad(s: &str, width: usize, align: Align) -> String {
    let fill = width.saturating_sub(display_width(s));
    let mut out = String::with_capacity(s.len() + fill);
    if align == Align::Right {
        out.extend(std::iter::repeat_n(' ', fill));
    }
    out.push_str(s);
    if align == Align::Left {
        out.extend(std::iter::repeat_n(' ', fill));
    }
    out
}

/// Breaks `s` into lines of at most `width` columns at word boundaries.
/// A single word wider than `width` gets a line of its own, truncated.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for piece in s.split_word_bounds() {
        let is_space = piece.chars().all(char::is_whitespace);
        let w = display_width(piece);
        if used + w > width && !line.is_empty() {
            lines.push(line.trim_end().to_string());
            line.clear();
            used = 0;
        }
        if is_space && line.is_empty() {
            continue; // no leading spaces on a new line
        }
        if w > width {
            lines.push(truncate(piece, width).into_owned());
            continue;
        }
        line.push_str(piece);
        used += w;
    }
    if !line.trim_end().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// The header shown for a column key: `"release_date"` → `"Release Date"`.
pub fn header_label(key: &str) -> String {
    key.to_title_case()
}

/// The key a column is stored under, whatever case it was written in:
/// `"Release Date"`, `"releaseDate"` and `"release-date"` → `"release_date"`.
pub fn column_key(name: &str) -> String {
    name.to_snake_case()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_counts_wide_and_zero_width_characters() {
        assert_eq!(display_width("table"), 5);
        assert_eq!(display_width("日本語"), 6); // East Asian Wide
        assert_eq!(display_width("ｔａｂｌｅ"), 10); // Fullwidth forms
        assert_eq!(display_width("cafe\u{301}"), 4); // combining acute accent
        assert_eq!(display_width("a\u{200B}b"), 2); // zero width space
        assert_eq!(display_width("\u{1F415}"), 2); // 🐕 has emoji presentation
    }

    #[test]
    fn graphemes_keep_marks_flags_and_families_together() {
        assert_eq!(grapheme_count("cafe\u{301}"), 4);
        assert_eq!(grapheme_count("\u{1F1EB}\u{1F1F7}\u{1F1E9}\u{1F1EA}"), 2); // 🇫🇷🇩🇪
        assert_eq!(
            grapheme_count("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"), // 👨‍👩‍👧
            1
        );
        assert_eq!(grapheme_count("\u{1100}\u{1161}\u{11A8}"), 1); // 각 as jamo
        assert_eq!(grapheme_count("\r\n"), 1);
    }

    #[test]
    fn truncate_never_splits_a_grapheme() {
        assert_eq!(truncate("short", 10), "short");
        assert!(matches!(truncate("short", 10), Cow::Borrowed(_)));
        assert_eq!(truncate("crate-name", 6), "crate…");
        // "é" written as e + U+0301 stays whole.
        assert_eq!(truncate("re\u{301}sume\u{301}", 3), "re\u{301}…");
        // A wide character that does not fit is dropped, not cut in half.
        assert_eq!(truncate("日本語", 4), "日…");
        assert_eq!(display_width(&truncate("日本語", 4)), 3);
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn pad_uses_display_width() {
        assert_eq!(pad("ab", 5, Align::Left), "ab   ");
        assert_eq!(pad("ab", 5, Align::Right), "   ab");
        assert_eq!(pad("日本", 6, Align::Left), "日本  ");
        assert_eq!(pad("toolong", 3, Align::Left), "toolong");
    }

    #[test]
    fn wrap_breaks_at_word_bounds() {
        assert_eq!(
            wrap("the quick brown fox jumps", 10),
            vec!["the quick", "brown fox", "jumps"]
        );
        assert_eq!(
            wrap("a supercalifragilistic b", 8),
            vec!["a", "superca…", "b"]
        );
        assert_eq!(wrap("", 8), Vec::<String>::new());
    }

    #[test]
    fn header_labels_and_keys() {
        assert_eq!(header_label("release_date"), "Release Date");
        assert_eq!(header_label("downloads"), "Downloads");
        assert_eq!(column_key("Release Date"), "release_date");
        assert_eq!(column_key("releaseDate"), "release_date");
        assert_eq!(column_key("release-date"), "release_date");
    }
}
