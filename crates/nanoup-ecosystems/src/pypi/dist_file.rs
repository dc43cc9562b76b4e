//! A release's core metadata read from one of its files, for file hosts that keep no
//! `.metadata` file beside a wheel (PEP 658/714 is optional, and mirrors often lack it):
//!
//! - a wheel's `*.dist-info/METADATA`, read from the few parts of the zip that hold it — its
//!   end (the end-of-central-directory record and the central directory), then the member —
//!   with HTTP range requests, as uv reads it, instead of downloading the wheel;
//! - an sdist's `PKG-INFO` (a `.tar.gz`, fetched whole), with `*.egg-info/requires.txt`
//!   standing in for the `Requires-Dist` headers that setuptools did not write into `PKG-INFO`
//!   before core metadata 2.2 made them reliable.
//!
//! Pure: the caller fetches the parts these functions ask for (see
//! [`crate::datasource::Datasource::complete_from_file`]).

use std::cell::Cell;
use std::io::{Read, Seek, SeekFrom};
use std::rc::Rc;

use crate::datasource::{FileParts, FileRead, RegistryError};

/// How much of a wheel's end to ask for first: enough for the central directory of almost
/// every wheel, so that one more request (the member) is usually all.
pub const WHEEL_TAIL: u64 = 64 * 1024;

/// The least to ask for when a part is missing: a local header is read 30 bytes at a time,
/// and asking for its member's data with it saves a round trip.
const MIN_RANGE: u64 = 16 * 1024;

/// The largest `METADATA` or `PKG-INFO` read (a long description is in there too).
const MAX_METADATA: u64 = 8 * 1024 * 1024;

/// The core metadata of a wheel (`<name>.dist-info/METADATA`, the only `.dist-info` directory
/// at the top) from the parts fetched so far, or the bytes needed next.
pub fn wheel_metadata(parts: &FileParts) -> Result<FileRead, RegistryError> {
    let file = Sparse::of(parts)?;
    let missed = Rc::clone(&file.missed);
    let need = |error: &dyn std::fmt::Display| match missed.get() {
        Some((start, end)) => Ok(FileRead::Need { start, end }),
        None => Err(RegistryError(format!("the wheel cannot be read: {error}"))),
    };
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(archive) => archive,
        Err(e) => return need(&e),
    };
    let names: Vec<String> = archive
        .file_names_raw()
        .filter_map(|raw| std::str::from_utf8(raw).ok())
        .filter(|name| {
            name.split_once('/').is_some_and(|(dir, rest)| {
                dir.ends_with(".dist-info") && rest == "METADATA" && !dir.is_empty()
            })
        })
        .map(str::to_string)
        .collect();
    let [name] = names.as_slice() else {
        return Err(RegistryError(format!(
            "the wheel has {} `*.dist-info/METADATA` files, not one",
            names.len()
        )));
    };
    let mut member = match archive.by_name(name) {
        Ok(member) => member,
        Err(e) => return need(&e),
    };
    if member.size() > MAX_METADATA {
        return Err(RegistryError(format!(
            "the wheel's {name} is {} bytes, more than nanoup reads",
            member.size()
        )));
    }
    let mut bytes = Vec::new();
    match member.read_to_end(&mut bytes) {
        Ok(_) => Ok(FileRead::Done(bytes)),
        Err(e) => need(&e),
    }
}

/// The core metadata of an sdist (a `.tar.gz` fetched whole): its top `PKG-INFO`, trusted for
/// its dependencies when it lists any or declares core metadata 2.2 or later without marking
/// them `Dynamic`; otherwise with `Requires-Dist` headers made from the `*.egg-info/requires.txt`
/// setuptools wrote beside it (none there, with an `.egg-info` directory present: no
/// dependencies). An sdist that says neither is an error: its dependencies are unknown.
pub fn sdist_metadata(tar_gz: &[u8]) -> Result<Vec<u8>, RegistryError> {
    let unreadable = |e: std::io::Error| RegistryError(format!("the sdist cannot be read: {e}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tar_gz));
    let mut pkg_info: Option<String> = None;
    let mut requires: Option<String> = None;
    let mut egg_info = false;
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let path = entry
            .path()
            .map_err(unreadable)?
            .to_string_lossy()
            .into_owned();
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let wanted = match parts.as_slice() {
            [_, "PKG-INFO"] => true,
            [_, dir, file] | [_, _, dir, file] if dir.ends_with(".egg-info") => {
                egg_info = true;
                *file == "requires.txt"
            }
            _ => false,
        };
        if !wanted || entry.size() > MAX_METADATA {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).map_err(unreadable)?;
        if parts.len() == 2 {
            pkg_info = Some(text);
        } else if requires.is_none() {
            requires = Some(text);
        }
    }
    let Some(pkg_info) = pkg_info else {
        return Err(RegistryError("the sdist has no PKG-INFO at its top".into()));
    };
    let headers: Vec<(String, String)> = pkg_info
        .lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let listed = headers.iter().any(|(k, _)| k == "requires-dist");
    let reliable = headers
        .iter()
        .find(|(k, _)| k == "metadata-version")
        .and_then(|(_, v)| v.split_once('.'))
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)))
        .is_some_and(|version| version >= (2, 2))
        && !headers
            .iter()
            .any(|(k, v)| k == "dynamic" && v.eq_ignore_ascii_case("requires-dist"));
    if listed || reliable {
        return Ok(pkg_info.into_bytes());
    }
    let requires_dist = match requires {
        Some(text) => requires_txt(&text),
        None if egg_info => Vec::new(),
        None => {
            return Err(RegistryError(
                "the sdist's PKG-INFO does not list its dependencies and it has no \
                 `.egg-info/requires.txt`: they are only known by building it"
                    .into(),
            ));
        }
    };
    let mut text: String = pkg_info
        .lines()
        .take_while(|line| !line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect();
    for requirement in requires_dist {
        text.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    Ok(text.into_bytes())
}

/// The requirements of setuptools' `requires.txt` as `Requires-Dist` values: a section
/// `[extra]`, `[:marker]` or `[extra:marker]` puts its marker on the lines under it.
fn requires_txt(text: &str) -> Vec<String> {
    let mut marker: Option<String> = None;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (extra, condition) = section.split_once(':').unwrap_or((section, ""));
            let (extra, condition) = (extra.trim(), condition.trim());
            marker = match (extra.is_empty(), condition.is_empty()) {
                (true, true) => None,
                (true, false) => Some(condition.to_string()),
                (false, true) => Some(format!("extra == \"{extra}\"")),
                (false, false) => Some(format!("({condition}) and extra == \"{extra}\"")),
            };
            continue;
        }
        out.push(match &marker {
            Some(marker) => format!("{line}; {marker}"),
            None => line.to_string(),
        });
    }
    out
}

/// The parts of a remote file as a reader: reading outside them fails, remembering (in
/// `missed`) the first range asked for that was not there.
struct Sparse {
    len: u64,
    /// (offset, bytes), in the order given.
    chunks: Vec<(u64, Vec<u8>)>,
    position: u64,
    missed: Rc<Cell<Option<(u64, u64)>>>,
}

impl Sparse {
    /// The parts placed in the file. A first answer no longer than asked and exactly as long
    /// is the file's end; its length comes from the end-of-central-directory record it holds
    /// (the central directory ends where that record starts, in every wheel); anything else is
    /// the whole file.
    fn of(parts: &FileParts) -> Result<Sparse, RegistryError> {
        let first = &parts.first;
        let whole = parts
            .tail_asked
            .is_none_or(|asked| first.len() as u64 != asked);
        let len = if whole {
            first.len() as u64
        } else {
            zip_length(first)?
        };
        let start = len - first.len() as u64;
        let mut chunks = vec![(start, first.clone())];
        chunks.extend(parts.ranges.iter().cloned());
        Ok(Sparse {
            len,
            chunks,
            position: 0,
            missed: Rc::new(Cell::new(None)),
        })
    }
}

/// The length of the zip file whose last bytes are `tail`: where its end-of-central-directory
/// record is found in `tail`, plus what follows it, lies `cd offset + cd size` into the file.
fn zip_length(tail: &[u8]) -> Result<u64, RegistryError> {
    const EOCD: [u8; 4] = [b'P', b'K', 5, 6];
    const EOCD_LEN: usize = 22;
    let found = (0..tail.len().saturating_sub(EOCD_LEN - 1))
        .rev()
        .find(|&at| {
            tail[at..].starts_with(&EOCD) && {
                // The record's comment runs exactly to the end of the file.
                let comment = u16::from_le_bytes([tail[at + 20], tail[at + 21]]) as usize;
                at + EOCD_LEN + comment == tail.len()
            }
        });
    let Some(at) = found else {
        return Err(RegistryError(
            "the file's end holds no zip end-of-central-directory record: not a wheel".into(),
        ));
    };
    let u32_at = |i: usize| u32::from_le_bytes([tail[i], tail[i + 1], tail[i + 2], tail[i + 3]]);
    let (cd_size, cd_offset) = (u32_at(at + 12), u32_at(at + 16));
    if cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(RegistryError(
            "the wheel is a zip64 archive, which nanoup does not read in parts".into(),
        ));
    }
    let eocd_offset = u64::from(cd_offset) + u64::from(cd_size);
    let len = eocd_offset + (tail.len() - at) as u64;
    if len < tail.len() as u64 {
        return Err(RegistryError(
            "the wheel's end-of-central-directory record points outside the file".into(),
        ));
    }
    Ok(len)
}

impl Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.position >= self.len {
            return Ok(0);
        }
        let at = self.position;
        let held = self
            .chunks
            .iter()
            .find(|(start, bytes)| *start <= at && at < start + bytes.len() as u64);
        let Some((start, bytes)) = held else {
            let wanted = (buf.len() as u64).max(MIN_RANGE);
            // Up to the next part held (or the end): what is there already is not asked again.
            let next = self
                .chunks
                .iter()
                .map(|(start, _)| *start)
                .filter(|&start| start > at)
                .min()
                .unwrap_or(self.len);
            let end = (at + wanted).min(next).min(self.len);
            if self.missed.get().is_none() {
                self.missed.set(Some((at, end)));
            }
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("bytes {at}..{end} of the file were not fetched"),
            ));
        };
        let from = (at - start) as usize;
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        let Some(target) = target else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            ));
        };
        self.position = target;
        Ok(target)
    }
}

#[cfg(test)]
#[path = "dist_file_tests.rs"]
mod tests;
