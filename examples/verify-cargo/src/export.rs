//! A compact binary form of a table, with an Adler-32 trailer, and its base64
//! and hex companions.
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! "CTB1"  style:u8  columns:u16  { name_len:u16 name }*
//! rows:u32  { tag:u8 payload }*   (tag 0 empty, 1 i64, 2 f64 bits, 3 text_len:u16 text)
//! adler32:u32                      (of every byte before it)
//! ```

use std::fmt;
use std::io::{self, Read};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use byteorder::{BigEndian, ReadBytesExt, WriteBytesExt};
use scopeguard::ScopeGuard;

use crate::cell::Cell;
use crate::table::{Style, Table};

const MAGIC: &[u8; 4] = b"CTB1";

/// Why a table could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// Names and texts are at most `u16::MAX` bytes.
    TooLong { what: &'static str, len: usize },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { what, len } => {
                write!(f, "{what} of {len} bytes is over the limit of {}", u16::MAX)
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why bytes could not be read back into a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    BadMagic,
    Truncated,
    Checksum { stored: u32, computed: u32 },
    BadStyle(u8),
    BadTag(u8),
    BadText,
    Column(String),
    Base64(String),
    Hex(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadMagic => write!(f, "not a coltab blob"),
            DecodeError::Truncated => write!(f, "blob ends early"),
            DecodeError::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch: stored {}, computed {}",
                hex::encode(stored.to_be_bytes()),
                hex::encode(computed.to_be_bytes())
            ),
            DecodeError::BadStyle(b) => write!(f, "unknown style bits {b:#04x}"),
            DecodeError::BadTag(t) => write!(f, "unknown cell tag {t}"),
            DecodeError::BadText => write!(f, "text is not UTF-8"),
            DecodeError::Column(e) => write!(f, "{e}"),
            DecodeError::Base64(e) => write!(f, "base64: {e}"),
            DecodeError::Hex(e) => write!(f, "hex: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<io::Error> for DecodeError {
    fn from(_: io::Error) -> DecodeError {
        DecodeError::Truncated
    }
}

/// The Adler-32 checksum of `bytes`.
pub fn checksum(bytes: &[u8]) -> u32 {
    adler::adler32_slice(bytes)
}

fn write_str(out: &mut Vec<u8>, what: &'static str, s: &str) -> Result<(), EncodeError> {
    let len = u16::try_from(s.len()).map_err(|_| EncodeError::TooLong { what, len: s.len() })?;
    out.write_u16::<BigEndian>(len).expect("Vec write");
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn read_str(input: &mut &[u8]) -> Result<String, DecodeError> {
    let len = input.read_u16::<BigEndian>()? as usize;
    let mut buf = vec![0; len];
    input.read_exact(&mut buf)?;
    String::from_utf8(buf).map_err(|_| DecodeError::BadText)
}

impl Table {
    /// Appends the binary form to `out`. On error `out` is left exactly as it
    /// was: a guard cuts off whatever was written before the failure.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let mut out = scopeguard::guard(out, |out| out.truncate(start));
        out.extend_from_slice(MAGIC);
        out.write_u8(self.style.bits()).expect("Vec write");
        out.write_u16::<BigEndian>(self.keys.len() as u16)
            .expect("Vec write");
        for key in &self.keys {
            write_str(&mut out, "column name", key)?;
        }
        out.write_u32::<BigEndian>(self.rows.len() as u32)
            .expect("Vec write");
        for cell in self.rows.iter().flatten() {
            match cell {
                Cell::Empty => out.write_u8(0).expect("Vec write"),
                Cell::Int(n) => {
                    out.write_u8(1).expect("Vec write");
                    out.write_i64::<BigEndian>(*n).expect("Vec write");
                }
                Cell::Float(x) => {
                    out.write_u8(2).expect("Vec write");
                    out.write_f64::<BigEndian>(*x).expect("Vec write");
                }
                Cell::Text(s) => {
                    out.write_u8(3).expect("Vec write");
                    write_str(&mut out, "text cell", s)?;
                }
            }
        }
        let sum = checksum(&out[start..]);
        out.write_u32::<BigEndian>(sum).expect("Vec write");
        ScopeGuard::into_inner(out); // success: keep what was written
        Ok(())
    }

    /// The binary form.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// The binary form as standard, padded base64.
    pub fn to_base64(&self) -> Result<String, EncodeError> {
        Ok(STANDARD.encode(self.encode()?))
    }

    /// A short content fingerprint: the blob's checksum as 8 hex digits.
    pub fn fingerprint(&self) -> Result<String, EncodeError> {
        let blob = self.encode()?;
        Ok(hex::encode(&blob[blob.len() - 4..]))
    }
}

/// Reads a table back from its binary form, checking the trailer first.
pub fn decode(bytes: &[u8]) -> Result<Table, DecodeError> {
    if bytes.len() < MAGIC.len() + 4 {
        return Err(DecodeError::Truncated);
    }
    let (body, mut trailer) = bytes.split_at(bytes.len() - 4);
    if &body[..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let stored = trailer.read_u32::<BigEndian>()?;
    let computed = checksum(body);
    if stored != computed {
        return Err(DecodeError::Checksum { stored, computed });
    }
    let mut input = &body[4..];
    let bits = input.read_u8()?;
    let style = Style::from_bits(bits).ok_or(DecodeError::BadStyle(bits))?;
    let columns = input.read_u16::<BigEndian>()? as usize;
    let mut names = Vec::with_capacity(columns);
    for _ in 0..columns {
        names.push(read_str(&mut input)?);
    }
    let mut table = Table::new(&names)
        .map_err(|e| DecodeError::Column(e.to_string()))?
        .with_style(style);
    let rows = input.read_u32::<BigEndian>()?;
    for _ in 0..rows {
        let mut row = Vec::with_capacity(columns);
        for _ in 0..columns {
            row.push(match input.read_u8()? {
                0 => Cell::Empty,
                1 => Cell::Int(input.read_i64::<BigEndian>()?),
                2 => Cell::Float(input.read_f64::<BigEndian>()?),
                3 => Cell::Text(read_str(&mut input)?),
                tag => return Err(DecodeError::BadTag(tag)),
            });
        }
        table
            .push_row(row)
            .map_err(|e| DecodeError::Column(e.to_string()))?;
    }
    if !input.is_empty() {
        return Err(DecodeError::Truncated);
    }
    Ok(table)
}

/// Reads a table from [`Table::to_base64`] output.
pub fn from_base64(s: &str) -> Result<Table, DecodeError> {
    let bytes = STANDARD
        .decode(s.trim())
        .map_err(|e| DecodeError::Base64(e.to_string()))?;
    decode(&bytes)
}

/// Reads a fingerprint back into its checksum value.
pub fn parse_fingerprint(s: &str) -> Result<u32, DecodeError> {
    let bytes = hex::decode(s).map_err(|e| DecodeError::Hex(e.to_string()))?;
    let mut input = bytes.as_slice();
    let value = input.read_u32::<BigEndian>()?;
    if !input.is_empty() {
        return Err(DecodeError::Hex(format!(
            "{} bytes, expected 4",
            bytes.len()
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&["id", "ratio", "note"]).unwrap();
        t.push_row([Cell::Int(-7), Cell::Float(0.5), "naïve".into()])
            .unwrap();
        t.push_row([Cell::Int(1 << 40), Cell::Empty, "日本".into()])
            .unwrap();
        t
    }

    #[test]
    fn adler32_known_values() {
        assert_eq!(checksum(b""), 1);
        assert_eq!(checksum(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(
            hex::encode(checksum(b"Wikipedia").to_be_bytes()),
            "11e60398"
        );
    }

    #[test]
    fn layout_is_big_endian_and_round_trips() {
        let t = sample();
        let blob = t.encode().unwrap();
        assert_eq!(&blob[..4], b"CTB1");
        assert_eq!(blob[4], 0b0111); // style bits
        assert_eq!(&blob[5..7], &[0, 3]); // three columns, big-endian
        assert_eq!(&blob[7..11], &[0, 2, b'i', b'd']);
        let trailer = u32::from_be_bytes(blob[blob.len() - 4..].try_into().unwrap());
        assert_eq!(trailer, checksum(&blob[..blob.len() - 4]));
        assert_eq!(decode(&blob).unwrap(), t);
    }

    #[test]
    fn corruption_is_caught_by_the_checksum() {
        let mut blob = sample().encode().unwrap();
        let n = blob.len();
        blob[n - 8] ^= 0x20; // flip one bit of the last text cell
        assert!(matches!(decode(&blob), Err(DecodeError::Checksum { .. })));
        assert_eq!(decode(b"XXXX\0\0\0\0"), Err(DecodeError::BadMagic));
        assert_eq!(decode(b"CTB"), Err(DecodeError::Truncated));
    }

    #[test]
    fn base64_and_hex_forms() {
        let t = sample();
        let b64 = t.to_base64().unwrap();
        assert!(b64.starts_with("Q1RCMQ")); // "CTB1"
        assert_eq!(b64.len() % 4, 0);
        assert_eq!(from_base64(&format!("{b64}\n")).unwrap(), t);
        assert!(matches!(
            from_base64("not base64!"),
            Err(DecodeError::Base64(_))
        ));

        let fp = t.fingerprint().unwrap();
        assert_eq!(fp.len(), 8);
        assert!(fp
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let blob = t.encode().unwrap();
        assert_eq!(
            parse_fingerprint(&fp).unwrap(),
            checksum(&blob[..blob.len() - 4])
        );
        assert_eq!(parse_fingerprint("ABCDEF01").unwrap(), 0xABCD_EF01);
        assert!(matches!(parse_fingerprint("xyz"), Err(DecodeError::Hex(_))));
    }

    #[test]
    fn a_failed_encode_leaves_the_buffer_untouched() {
        let mut t = Table::new(&["note"]).unwrap();
        t.push_row(["fine"]).unwrap();
        t.push_row([Cell::Text("x".repeat(70_000))]).unwrap();
        let mut out = b"prefix".to_vec();
        let err = t.encode_into(&mut out).unwrap_err();
        assert_eq!(
            err,
            EncodeError::TooLong {
                what: "text cell",
                len: 70_000
            }
        );
        assert_eq!(out, b"prefix");
        t.rows.pop();
        t.encode_into(&mut out).unwrap();
        assert_eq!(&out[..10], b"prefixCTB1");
    }
}
