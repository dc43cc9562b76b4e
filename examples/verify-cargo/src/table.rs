//! The table: columns, rows, style, look-up and rendering.

use std::fmt;

use arrayvec::ArrayVec;
use bitflags::bitflags;
use fnv::FnvHashMap;
use smallvec::SmallVec;

use crate::cell::Cell;
use crate::text::{self, Align};

/// The most columns a table can have.
pub const MAX_COLUMNS: usize = 16;

/// Per-column values for one table; inline up to 8 columns.
pub type PerColumn<T> = SmallVec<[T; 8]>;

bitflags! {
    /// How a table is drawn.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Style: u8 {
        /// Print the header row.
        const HEADER = 0b0001;
        /// Frame the table with `+---+` rules and `|` bars.
        const BORDER = 0b0010;
        /// Right-align columns whose cells are all numbers.
        const ALIGN_NUMBERS = 0b0100;
    }
}

impl Default for Style {
    fn default() -> Style {
        Style::HEADER | Style::BORDER | Style::ALIGN_NUMBERS
    }
}

/// A column-level mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnError {
    /// No column of that name; `suggestion` is the closest existing one.
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    /// Two columns share a key once case is normalised.
    Duplicate(String),
    /// More than [`MAX_COLUMNS`] columns.
    TooMany(String),
    /// A row with the wrong number of cells.
    Arity { expected: usize, found: usize },
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnError::Unknown {
                name,
                suggestion: Some(s),
            } => write!(f, "no column `{name}` (did you mean `{s}`?)"),
            ColumnError::Unknown { name, .. } => write!(f, "no column `{name}`"),
            ColumnError::Duplicate(k) => write!(f, "column `{k}` appears twice"),
            ColumnError::TooMany(k) => {
                write!(f, "column `{k}` is past the limit of {MAX_COLUMNS}")
            }
            ColumnError::Arity { expected, found } => {
                write!(f, "row has {found} cells, the table has {expected} columns")
            }
        }
    }
}

impl std::error::Error for ColumnError {}

/// Rows of typed cells under named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub(crate) keys: ArrayVec<String, MAX_COLUMNS>,
    pub(crate) index: FnvHashMap<String, usize>,
    pub(crate) rows: Vec<Vec<Cell>>,
    pub(crate) style: Style,
    pub(crate) max_cell_width: Option<usize>,
}

impl Table {
    /// A table with these columns. Names are stored as snake_case keys, so
    /// `"Release Date"` and `"release_date"` are the same column.
    pub fn new<S: AsRef<str>>(columns: &[S]) -> Result<Table, ColumnError> {
        let mut table = Table {
            keys: ArrayVec::new(),
            index: FnvHashMap::default(),
            rows: Vec::new(),
            style: Style::default(),
            max_cell_width: None,
        };
        for name in columns {
            table.add_column(name.as_ref())?;
        }
        Ok(table)
    }

    pub(crate) fn add_column(&mut self, name: &str) -> Result<(), ColumnError> {
        let key = text::column_key(name);
        if self.index.contains_key(&key) {
            return Err(ColumnError::Duplicate(key));
        }
        self.keys
            .try_push(key.clone())
            .map_err(|e| ColumnError::TooMany(e.element()))?;
        self.index.insert(key, self.keys.len() - 1);
        Ok(())
    }

    /// Sets the drawing style.
    pub fn with_style(mut self, style: Style) -> Table {
        self.style = style;
        self
    }

    /// Truncates rendered cells (not headers) wider than `width` columns.
    pub fn with_max_cell_width(mut self, width: usize) -> Table {
        self.max_cell_width = Some(width);
        self
    }

    pub fn style(&self) -> Style {
        self.style
    }

    /// The column keys, in order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.rows
    }

    /// Appends a row; it must have one cell per column.
    pub fn push_row<I>(&mut self, cells: I) -> Result<(), ColumnError>
    where
        I: IntoIterator,
        I::Item: Into<Cell>,
    {
        let row: Vec<Cell> = cells.into_iter().map(Into::into).collect();
        if row.len() != self.keys.len() {
            return Err(ColumnError::Arity {
                expected: self.keys.len(),
                found: row.len(),
            });
        }
        self.rows.push(row);
        Ok(())
    }

    /// The position of a column, by any spelling of its name; an unknown name
    /// comes back with the closest existing key when one is near enough.
    pub fn column(&self, name: &str) -> Result<usize, ColumnError> {
        let key = text::column_key(name);
        if let Some(&i) = self.index.get(&key) {
            return Ok(i);
        }
        let suggestion = self
            .keys
            .iter()
            .map(|k| (strsim::levenshtein(&key, k), k))
            .filter(|(d, k)| *d <= (k.len() / 3).max(1))
            .min()
            .map(|(_, k)| k.clone());
        Err(ColumnError::Unknown {
            name: name.to_string(),
            suggestion,
        })
    }

    /// The cells of one column, top to bottom.
    pub fn values(&self, name: &str) -> Result<impl Iterator<Item = &Cell> + '_, ColumnError> {
        let i = self.column(name)?;
        Ok(self.rows.iter().map(move |row| &row[i]))
    }

    /// Sorts the rows by one column (numbers first, then text); stable.
    pub fn sort_by(&mut self, name: &str) -> Result<(), ColumnError> {
        let i = self.column(name)?;
        self.rows.sort_by(|a, b| a[i].sort_cmp(&b[i]));
        Ok(())
    }

    fn cell_text(&self, cell: &Cell) -> String {
        let shown = cell.render();
        match self.max_cell_width {
            Some(w) => text::truncate(&shown, w).into_owned(),
            None => shown,
        }
    }

    /// The display width of each column: its widest cell or header.
    pub fn widths(&self) -> PerColumn<usize> {
        let mut widths: PerColumn<usize> = self
            .keys
            .iter()
            .map(|k| {
                if self.style.contains(Style::HEADER) {
                    text::display_width(&text::header_label(k))
                } else {
                    0
                }
            })
            .collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(text::display_width(&self.cell_text(cell)));
            }
        }
        widths
    }

    /// The alignment of each column.
    pub fn aligns(&self) -> PerColumn<Align> {
        (0..self.keys.len())
            .map(|i| {
                let numeric = !self.rows.is_empty()
                    && self.rows.iter().all(|row| match &row[i] {
                        Cell::Empty => true,
                        cell => cell.as_number().is_left(),
                    });
                if numeric && self.style.contains(Style::ALIGN_NUMBERS) {
                    Align::Right
                } else {
                    Align::Left
                }
            })
            .collect()
    }

    /// Draws the table, one line per row, each line ending in `\n`.
    pub fn render(&self) -> String {
        let widths = self.widths();
        let aligns = self.aligns();
        let border = self.style.contains(Style::BORDER);
        let rule: String = if border {
            let mut r = String::from("+");
            for w in &widths {
                r.push_str(&"-".repeat(w + 2));
                r.push('+');
            }
            r.push('\n');
            r
        } else {
            String::new()
        };
        let line = |cells: &[String], aligns: &[Align]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(aligns)
                .map(|((c, w), a)| text::pad(c, *w, *a))
                .collect();
            if border {
                format!("| {} |\n", padded.join(" | "))
            } else {
                format!("{}\n", padded.join("  ").trim_end())
            }
        };

        let mut out = rule.clone();
        if self.style.contains(Style::HEADER) {
            let headers: Vec<String> = self.keys.iter().map(|k| text::header_label(k)).collect();
            let left: PerColumn<Align> = aligns.iter().map(|_| Align::Left).collect();
            out.push_str(&line(&headers, &left));
            out.push_str(&rule);
        }
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| self.cell_text(c)).collect();
            out.push_str(&line(&cells, &aligns));
        }
        if !self.rows.is_empty() {
            out.push_str(&rule);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crates() -> Table {
        let mut t = Table::new(&["name", "version", "downloads"]).unwrap();
        t.push_row(["itoa".into(), "1.0.1".into(), Cell::Int(350)])
            .unwrap();
        t.push_row(["ryu".into(), "1.0.9".into(), Cell::Int(12)])
            .unwrap();
        t
    }

    #[test]
    fn style_flags_combine() {
        let s = Style::default();
        assert!(s.contains(Style::HEADER | Style::BORDER));
        assert_eq!(s.bits(), 0b0111);
        assert_eq!(s - Style::BORDER, Style::HEADER | Style::ALIGN_NUMBERS);
        assert_eq!(Style::from_bits(0b1000), None);
        assert_eq!(Style::from_bits_truncate(0b1010), Style::BORDER);
        assert!(Style::empty().is_empty());
    }

    #[test]
    fn lookup_by_any_spelling_and_suggest_near_misses() {
        let t = crates();
        assert_eq!(t.column("Downloads"), Ok(2));
        assert_eq!(t.column("DOWNLOADS"), Ok(2));
        let err = t.column("dowloads").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no column `dowloads` (did you mean `downloads`?)"
        );
        let err = t.column("licence").unwrap_err();
        assert_eq!(err.to_string(), "no column `licence`");
        assert_eq!(strsim::levenshtein("dowloads", "downloads"), 1);
    }

    #[test]
    fn duplicate_and_too_many_columns_are_refused() {
        assert_eq!(
            Table::new(&["Name", "name"]).unwrap_err(),
            ColumnError::Duplicate("name".into())
        );
        let names: Vec<String> = (0..MAX_COLUMNS + 1).map(|i| format!("c{i}")).collect();
        assert_eq!(
            Table::new(&names).unwrap_err(),
            ColumnError::TooMany(format!("c{MAX_COLUMNS}"))
        );
        assert!(Table::new(&names[..MAX_COLUMNS]).is_ok());
    }

    #[test]
    fn rows_must_match_the_columns() {
        let mut t = crates();
        let err = t.push_row(["only one"]).unwrap_err();
        assert_eq!(
            err,
            ColumnError::Arity {
                expected: 3,
                found: 1
            }
        );
        assert_eq!(t.rows().len(), 2);
    }

    #[test]
    fn widths_stay_inline_up_to_eight_columns() {
        let t = crates();
        let w = t.widths();
        assert_eq!(w.as_slice(), &[4, 7, 9]);
        assert!(!w.spilled());
        let wide = Table::new(&["a", "b", "c", "d", "e", "f", "g", "h", "i"]).unwrap();
        assert!(wide.widths().spilled());
        assert_eq!(wide.widths().len(), 9);
    }

    #[test]
    fn values_and_sort() {
        let mut t = crates();
        t.sort_by("downloads").unwrap();
        let names: Vec<String> = t.values("name").unwrap().map(Cell::render).collect();
        assert_eq!(names, ["ryu", "itoa"]);
        assert!(t.sort_by("nmae").is_err());
    }
}
