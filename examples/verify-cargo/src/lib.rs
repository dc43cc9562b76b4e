//! coltab: render records as aligned plain-text tables, and export them as a
//! small checksummed binary blob (with base64 and hex forms for transport).
//!
//! ```text
//! +---------+-----------+
//! | Name    | Downloads |
//! +---------+-----------+
//! | itoa    |    123456 |
//! +---------+-----------+
//! ```
//!
//! - [`text`]: display width, grapheme-safe truncation, padding, wrapping and
//!   header labels (unicode-width, unicode-segmentation, heck).
//! - [`cell`]: typed cells and their text form (itoa, ryu, either).
//! - [`table`]: the table, its style flags, column look-up with suggestions and
//!   the renderer (bitflags, arrayvec, smallvec, fnv, strsim).
//! - [`export`]: the binary form, its checksum and text encodings (byteorder,
//!   adler, base64, hex, scopeguard).

pub mod cell;
pub mod export;
pub mod table;
pub mod text;

pub use cell::Cell;
pub use export::{decode, DecodeError, EncodeError};
pub use table::{ColumnError, Style, Table, MAX_COLUMNS};
pub use text::Align;
