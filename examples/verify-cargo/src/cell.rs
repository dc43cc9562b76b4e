//! Typed table cells and their text form.

use std::cmp::Ordering;

use either::Either;

/// One value in a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Int(i64),
    Float(f64),
    Text(String),
}

impl Cell {
    /// Reads a cell from text: an integer, else a float, else text.
    pub fn parse(s: &str) -> Cell {
        let t = s.trim();
        if t.is_empty() {
            Cell::Empty
        } else if let Ok(n) = t.parse::<i64>() {
            Cell::Int(n)
        } else if let Ok(x) = t.parse::<f64>() {
            Cell::Float(x)
        } else {
            Cell::Text(s.to_string())
        }
    }

    /// The text shown in the table: integers through itoa, floats through ryu
    /// (shortest form that reads back to the same `f64`).
    pub fn render(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Int(n) => itoa::Buffer::new().format(*n).to_string(),
            Cell::Float(x) => ryu::Buffer::new().format(*x).to_string(),
            Cell::Text(s) => s.clone(),
        }
    }

    /// A number on the left, text on the right (an empty cell is empty text).
    pub fn as_number(&self) -> Either<f64, &str> {
        match self {
            Cell::Int(n) => Either::Left(*n as f64),
            Cell::Float(x) => Either::Left(*x),
            Cell::Text(s) => Either::Right(s.as_str()),
            Cell::Empty => Either::Right(""),
        }
    }

    /// Sort order within a column: numbers first (by value), then text.
    pub fn sort_cmp(&self, other: &Cell) -> Ordering {
        match (self.as_number(), other.as_number()) {
            (Either::Left(a), Either::Left(b)) => a.total_cmp(&b),
            (Either::Left(_), Either::Right(_)) => Ordering::Less,
            (Either::Right(_), Either::Left(_)) => Ordering::Greater,
            (Either::Right(a), Either::Right(b)) => a.cmp(b),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Float(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_render_through_itoa() {
        assert_eq!(Cell::Int(0).render(), "0");
        assert_eq!(Cell::Int(1_234_567).render(), "1234567");
        assert_eq!(Cell::Int(i64::MIN).render(), "-9223372036854775808");
        assert_eq!(Cell::Int(i64::MAX).render(), "9223372036854775807");
    }

    #[test]
    fn floats_render_shortest_round_trip_through_ryu() {
        assert_eq!(Cell::Float(1.5).render(), "1.5");
        assert_eq!(Cell::Float(0.1 + 0.2).render(), "0.30000000000000004");
        assert_eq!(Cell::Float(1.0).render(), "1.0");
        assert_eq!(Cell::Float(1e21).render(), "1e21");
        assert_eq!(Cell::Float(-2.5e-7).render(), "-2.5e-7");
        assert_eq!(Cell::Float(f64::NAN).render(), "NaN");
        assert_eq!(Cell::Float(f64::NEG_INFINITY).render(), "-inf");
        for x in [0.1, 2.0 / 3.0, 6.02214076e23, f64::MIN_POSITIVE] {
            assert_eq!(Cell::Float(x).render().parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn parse_prefers_integer_then_float_then_text() {
        assert_eq!(Cell::parse(" 42 "), Cell::Int(42));
        assert_eq!(Cell::parse("-0.25"), Cell::Float(-0.25));
        assert_eq!(Cell::parse("v1.2"), Cell::Text("v1.2".into()));
        assert_eq!(Cell::parse("  "), Cell::Empty);
    }

    #[test]
    fn numbers_are_left_text_is_right() {
        assert_eq!(Cell::Int(3).as_number(), Either::Left(3.0));
        assert_eq!(Cell::from("x").as_number(), Either::Right("x"));
        assert!(Cell::Empty.as_number().is_right());
        let widths: Vec<usize> = [Cell::Int(7), Cell::from("abc")]
            .iter()
            .map(|c| c.as_number().either(|_| 0, str::len))
            .collect();
        assert_eq!(widths, [0, 3]);
    }

    #[test]
    fn sort_puts_numbers_before_text() {
        let mut cells = [
            Cell::from("beta"),
            Cell::Float(2.5),
            Cell::from("alpha"),
            Cell::Int(-1),
            Cell::Int(10),
        ];
        cells.sort_by(Cell::sort_cmp);
        let shown: Vec<String> = cells.iter().map(Cell::render).collect();
        assert_eq!(shown, ["-1", "2.5", "10", "alpha", "beta"]);
    }
}
