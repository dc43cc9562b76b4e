//! What the surgical editors of several ecosystems share: splicing new text into byte ranges
//! of the old, and the blast-radius check by fingerprints (each entry's identity, label and
//! content read before and after an edit, paired by name).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use nanoup_core::{EntryChange, ParseError};

use crate::file_name;

/// One entry's identity, label (version) and content, for comparing a file before and after an
/// edit.
pub(crate) type Fingerprint = (String, Option<String>, String);

/// The entries that differ between two fingerprint lists, paired by name: a changed version
/// gives `{name, from, to}`, an added or removed entry has `from` or `to` unset, a changed
/// content under the same label gives `from == to`. Sorted.
pub(crate) fn diff_fingerprints(before: &[Fingerprint], after: &[Fingerprint]) -> Vec<EntryChange> {
    let mut counts: BTreeMap<&Fingerprint, i64> = BTreeMap::new();
    for print in before {
        *counts.entry(print).or_default() += 1;
    }
    for print in after {
        *counts.entry(print).or_default() -= 1;
    }
    let mut removed: BTreeMap<&str, Vec<Option<String>>> = BTreeMap::new();
    let mut added: BTreeMap<&str, Vec<Option<String>>> = BTreeMap::new();
    for (print, count) in counts {
        let side = if count > 0 { &mut removed } else { &mut added };
        for _ in 0..count.unsigned_abs() {
            side.entry(print.0.as_str())
                .or_default()
                .push(print.1.clone());
        }
    }
    let names: BTreeSet<&str> = removed.keys().chain(added.keys()).copied().collect();
    let mut out = Vec::new();
    for name in names {
        let mut olds = removed.remove(name).unwrap_or_default().into_iter();
        let mut news = added.remove(name).unwrap_or_default().into_iter();
        loop {
            match (olds.next(), news.next()) {
                (None, None) => break,
                (from, to) => out.push(EntryChange {
                    name: name.to_string(),
                    from: from.flatten(),
                    to: to.flatten(),
                    path: None,
                }),
            }
        }
    }
    out.sort();
    out
}

/// The entries that differ between the texts `old` and `new` of one file, as
/// [`diff_fingerprints`] of what `fingerprints` reads in each.
pub(crate) fn changed_fingerprints(
    old: &str,
    new: &str,
    fingerprints: impl Fn(&str) -> Result<Vec<Fingerprint>, ParseError>,
) -> Result<Vec<EntryChange>, ParseError> {
    let before = fingerprints(old)?;
    let after = fingerprints(new)?;
    Ok(diff_fingerprints(&before, &after))
}

/// The name under which a `changed_entries` reports a change of `file` outside the entries it
/// edits (the versions of a pom, the image references of a Dockerfile): `[rest of NAME]`, with
/// the file's name.
pub fn rest_of(file: &str) -> String {
    format!("[rest of {}]", file_name(file))
}

/// `text` with each of `pieces` (byte ranges in order, each with its replacement) spliced in;
/// a range that starts before the end of the one spliced before it is left out.
pub(crate) fn splice<'r>(
    text: &str,
    pieces: impl IntoIterator<Item = (Range<usize>, &'r str)>,
) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (range, replacement) in pieces {
        if range.start < at {
            continue;
        }
        out.push_str(text.get(at..range.start).unwrap_or(""));
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    out
}

/// `text` with each of `ranges` (in order) replaced by one `\u{1}`: what must stay byte for
/// byte the same when only the masked places may change (see [`splice`]).
pub(crate) fn mask(text: &str, ranges: impl IntoIterator<Item = Range<usize>>) -> String {
    splice(text, ranges.into_iter().map(|range| (range, "\u{1}")))
}
