//! Maven versions: a port of the algorithm of Maven's `ComparableVersion`.
//!
//! Written from the algorithm's description, not from Maven's source:
//!
//! - The version is lower-cased and split into *items*: integers, strings and lists.
//!   `.` separates items within a list; `-` separates too and opens a new sub-list for what
//!   follows; a transition between digits and letters acts like `-` (`1a1` = `1-a-1`).
//!   An empty token (`1..2`, `1-`) is the integer 0.
//! - Strings are qualifiers ordered `alpha < beta < milestone < rc = cr < snapshot <
//!   "" = ga = final = release < sp < any other string` (other strings among themselves
//!   lexically). `a`, `b`, `m` directly followed by a digit mean alpha, beta, milestone.
//! - Each list is normalised from its end: trailing "null" items (0, "", an empty list) are
//!   dropped, walking back over non-null sub-lists and stopping at the first other non-null item.
//!   So `1 = 1.0 = 1.0.0 = 1-0 = 1.ga = 1-release` and `2.0.0.RELEASE = 2`.
//! - Comparison is item by item; a missing item compares as "null": an integer is above null
//!   unless it is 0, a string compares as the release qualifier `""`, a list compares its items
//!   against null in turn. Between kinds: integer > list > string.
//!
//! Deviations from classic Maven (the first and third as in Maven 3.9), chosen so that the
//! order is a true total order (classic Maven's comparison is not transitive:
//! `1.r > 1 > 1-alpha > 1.r`, which would break sorting) and `Eq`/`Hash` can be derived and
//! agree with `Ord`. Ordinary versions (`2.0-beta9`, `2.12.6.1`, `5.0.0.RC1`, `1.0-SNAPSHOT`)
//! order exactly as in Maven:
//!
//! - A qualifier after `.` opens a sub-list as if written after `-` (Maven 3.9 does this for a
//!   trailing qualifier and for `.X1`; here for every one): `1.0.RC1 = 1.0-RC1`, `2.0.a < 2-1`.
//!   So qualifiers only ever start a list, and a sub-list is always the last item of its parent.
//! - A list whose only item is a list is replaced by that list (`1-0-alpha = 1-alpha`).
//! - A list compared with "null" looks at all its items (Maven 3.9), not just the first
//!   (older Maven, where `1-0.1 == 1`).
//!
//! Integers have no size limit (kept as digit strings without leading zeros).

use std::cmp::Ordering;

use crate::{ParsedRequirement, RequirementKind, VersionScheme};

/// Maven `ComparableVersion` order.
pub(crate) struct Maven;

impl VersionScheme for Maven {
    type Key = Item;

    fn parse(text: &str) -> Result<Self::Key, String> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("a Maven version without whitespace or control characters".to_string());
        }
        Ok(parse(text))
    }

    fn is_prerelease(key: &Self::Key) -> bool {
        match key {
            Item::Int(_) => false,
            Item::Str(s) => qualifier_rank(s) < qualifier_rank(""),
            Item::List(items) => items.iter().any(Maven::is_prerelease),
        }
    }

    /// Maven version ranges (a union of restrictions), a soft requirement or a meta-version.
    type Req = MavenReq;

    fn parse_requirement(text: &str) -> Result<ParsedRequirement<Self::Req>, String> {
        parse_requirement(text)
    }

    fn matches(req: &Self::Req, key: &Self::Key, _text: &str) -> bool {
        match req {
            MavenReq::Ranges(ranges) => ranges.iter().any(|r| r.contains(key)),
            MavenReq::Latest => true,
            MavenReq::Release => !Maven::is_prerelease(key),
        }
    }
}

/// A parsed Maven requirement.
#[derive(Clone, Debug)]
pub(crate) enum MavenReq {
    /// A union of ranges; a soft requirement `1.0` is the single range `[1.0,)`.
    Ranges(Vec<Restriction>),
    /// The `LATEST` meta-version: any version, snapshots included.
    Latest,
    /// The `RELEASE` meta-version: any non-prerelease version.
    Release,
}

/// One range such as `[1.0,2.0)`; `None` bounds are open.
#[derive(Clone, Debug)]
pub(crate) struct Restriction {
    /// Lower bound and whether it is inclusive.
    lower: Option<(Item, bool)>,
    /// Upper bound and whether it is inclusive.
    upper: Option<(Item, bool)>,
    /// Whether a bound is a prerelease, which lets prereleases match this range.
    names_prerelease: bool,
}

impl Restriction {
    fn contains(&self, key: &Item) -> bool {
        let above = match &self.lower {
            None => true,
            Some((low, true)) => key >= low,
            Some((low, false)) => key > low,
        };
        let below = match &self.upper {
            None => true,
            Some((high, true)) => key <= high,
            Some((high, false)) => key < high,
        };
        above && below && (self.names_prerelease || !Maven::is_prerelease(key))
    }
}

const EXPECTED: &str = "a Maven version (soft requirement) or version range such as \
    [1.0,2.0), (,1.0], [1.2] or [1,2),[3,4)";

/// Parses ranges the way Maven's `VersionRange.createFromVersionSpec` does.
fn parse_requirement(text: &str) -> Result<ParsedRequirement<MavenReq>, String> {
    if text.contains("${") {
        return Err(format!(
            "{EXPECTED}; property references such as ${{x.version}} must be resolved first"
        ));
    }
    match text {
        "" => return Err(format!("{EXPECTED} (got nothing)")),
        "LATEST" => {
            return Ok(ParsedRequirement::with_kind(
                MavenReq::Latest,
                RequirementKind::Tag(text.to_string()),
            ));
        }
        "RELEASE" => {
            return Ok(ParsedRequirement::with_kind(
                MavenReq::Release,
                RequirementKind::Tag(text.to_string()),
            ));
        }
        _ => {}
    }
    if !text.starts_with(['[', '(']) {
        let soft = bound(text)?;
        let names_prerelease = Maven::is_prerelease(&soft);
        let range = Restriction {
            lower: Some((soft, true)),
            upper: None,
            names_prerelease,
        };
        return Ok(ParsedRequirement::with_kind(
            MavenReq::Ranges(vec![range]),
            RequirementKind::Minimum,
        ));
    }
    let mut ranges = Vec::new();
    let mut rest = text;
    while rest.starts_with(['[', '(']) {
        let close = rest
            .find([']', ')'])
            .ok_or_else(|| format!("{EXPECTED} (unbounded range: no closing `]` or `)`)"))?;
        ranges.push(parse_restriction(&rest[..=close])?);
        rest = rest[close + 1..].trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma.trim_start();
        }
    }
    if !rest.is_empty() {
        return Err(format!(
            "{EXPECTED} (only ranges may follow a range, found {rest:?})"
        ));
    }
    Ok(ParsedRequirement::range(MavenReq::Ranges(ranges)))
}

/// One bracketed range, brackets included.
fn parse_restriction(text: &str) -> Result<Restriction, String> {
    let lower_inclusive = text.starts_with('[');
    let upper_inclusive = text.ends_with(']');
    let inner = text
        .get(1..text.len().saturating_sub(1))
        .unwrap_or_default()
        .trim();
    let Some((low, high)) = inner.split_once(',') else {
        if !(lower_inclusive && upper_inclusive) {
            return Err(format!(
                "{EXPECTED} (a single version must be written [1.0], got {text:?})"
            ));
        }
        let exact = bound(inner)?;
        let names_prerelease = Maven::is_prerelease(&exact);
        return Ok(Restriction {
            lower: Some((exact.clone(), true)),
            upper: Some((exact, true)),
            names_prerelease,
        });
    };
    let optional = |t: &str| {
        let t = t.trim();
        if t.is_empty() {
            Ok(None)
        } else {
            bound(t).map(Some)
        }
    };
    let lower = optional(low)?;
    let upper = optional(high)?;
    if let (Some(l), Some(u)) = (&lower, &upper)
        && u < l
    {
        return Err(format!(
            "{EXPECTED} (range {text:?} defies version ordering: upper bound below lower)"
        ));
    }
    let names_prerelease = lower.iter().chain(&upper).any(Maven::is_prerelease);
    Ok(Restriction {
        lower: lower.map(|l| (l, lower_inclusive)),
        upper: upper.map(|u| (u, upper_inclusive)),
        names_prerelease,
    })
}

/// A bound or soft version.
fn bound(text: &str) -> Result<Item, String> {
    if text.is_empty() || text.contains([',', '[', ']', '(', ')']) {
        return Err(format!("{EXPECTED} (bad version {text:?} in the range)"));
    }
    <Maven as VersionScheme>::parse(text).map_err(|e| format!("{EXPECTED} ({e})"))
}

/// One item of a parsed Maven version. The top level is always a [`Item::List`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Item {
    /// A number, as decimal digits without leading zeros (`"0"` for zero).
    Int(String),
    /// A qualifier, lower-cased, with aliases resolved (`cr` → `rc`, `ga` → ``, `a1` → `alpha`).
    Str(String),
    /// A sub-list (opened by `-` or a digit/letter transition), normalised.
    List(Vec<Item>),
}

/// The known qualifiers, lowest first; `""` is the release itself.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// Rank of a qualifier: known ones by position, unknown ones above all known, lexically.
fn qualifier_rank(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(digits) => digits == "0",
            Item::Str(s) => s.is_empty(),
            Item::List(items) => items.is_empty(),
        }
    }

    /// Compares this item with a missing one.
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Int(digits) if digits == "0" => Ordering::Equal,
            Item::Int(_) => Ordering::Greater,
            Item::Str(s) => qualifier_rank(s).cmp(&qualifier_rank("")),
            Item::List(items) => items
                .iter()
                .map(Item::cmp_null)
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        }
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        use Item::{Int, List, Str};
        match (self, other) {
            (Int(a), Int(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Str(a), Str(b)) => qualifier_rank(a).cmp(&qualifier_rank(b)),
            (List(a), List(b)) => {
                for i in 0..a.len().max(b.len()) {
                    let o = match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => x.cmp(y),
                        (Some(x), None) => x.cmp_null(),
                        (None, Some(y)) => y.cmp_null().reverse(),
                        (None, None) => Ordering::Equal,
                    };
                    if o.is_ne() {
                        return o;
                    }
                }
                Ordering::Equal
            }
            (Int(_), _) | (List(_), Str(_)) => Ordering::Greater,
            (Str(_), _) | (List(_), Int(_)) => Ordering::Less,
        }
    }
}

/// Builds the item tree. Never fails: Maven accepts any string.
fn parse(text: &str) -> Item {
    let chars: Vec<char> = text.to_lowercase().chars().collect();
    // The open lists, outermost first. A new sub-list is always the last item of its parent
    // and nothing is added to the parent afterwards, so children are attached when closed.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0;
    // Whether the current token follows a `.` (a qualifier there opens a sub-list).
    let mut after_dot = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' || c == '-' {
            if i == start {
                push(&mut stack, Item::Int("0".to_string()), false);
            } else {
                push(
                    &mut stack,
                    token(is_digit, &chars[start..i], false),
                    after_dot,
                );
            }
            start = i + 1;
            after_dot = c == '.';
            if c == '-' {
                stack.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                push(&mut stack, token(false, &chars[start..i], true), after_dot);
                start = i;
                after_dot = false;
                stack.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut stack, token(true, &chars[start..i], false), after_dot);
                start = i;
                after_dot = false;
                stack.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if chars.len() > start {
        push(
            &mut stack,
            token(is_digit, &chars[start..], false),
            after_dot,
        );
    }
    while stack.len() > 1 {
        let child = close(stack.pop().unwrap_or_default());
        if let Some(parent) = stack.last_mut() {
            parent.push(child);
        }
    }
    close(stack.pop().unwrap_or_default())
}

/// Adds an item to the innermost open list. A qualifier that follows a `.` in a non-empty
/// list goes into a new sub-list, as if written after `-` (`1.0.RC1` = `1.0-RC1`).
fn push(stack: &mut Vec<Vec<Item>>, item: Item, after_dot: bool) {
    let opens = after_dot
        && matches!(item, Item::Str(_))
        && stack.last().is_some_and(|list| !list.is_empty());
    if opens {
        stack.push(Vec::new());
    }
    if let Some(list) = stack.last_mut() {
        list.push(item);
    }
}

/// Normalises a finished list; a list whose only item is a list becomes that list.
fn close(mut items: Vec<Item>) -> Item {
    normalize(&mut items);
    if let [Item::List(_)] = items.as_slice()
        && let Some(Item::List(inner)) = items.pop()
    {
        return Item::List(inner);
    }
    Item::List(items)
}

/// One token: an integer (leading zeros stripped) or a qualifier (aliases resolved).
fn token(is_digit: bool, chars: &[char], followed_by_digit: bool) -> Item {
    let text: String = chars.iter().collect();
    if is_digit {
        let digits = text.trim_start_matches('0');
        return Item::Int(if digits.is_empty() { "0" } else { digits }.to_string());
    }
    let text = match text.as_str() {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(text.to_string())
}

/// Drops trailing null items, walking back over non-null sub-lists.
fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_shapes() {
        let l = |v: Vec<Item>| Item::List(v);
        let i = |s: &str| Item::Int(s.to_string());
        let s = |s: &str| Item::Str(s.to_string());
        assert_eq!(parse("1.0.0"), l(vec![i("1")]));
        assert_eq!(parse("1-1"), l(vec![i("1"), l(vec![i("1")])]));
        assert_eq!(parse("1.0-1"), l(vec![i("1"), l(vec![i("1")])]));
        assert_eq!(
            parse("1a1"),
            l(vec![i("1"), l(vec![s("alpha"), l(vec![i("1")])])])
        );
        assert_eq!(parse("2.0.0.RELEASE"), l(vec![i("2")]));
        assert_eq!(parse("007"), l(vec![i("7")]));
        assert_eq!(parse("1-"), l(vec![i("1")]));
        assert_eq!(
            parse("1.0.0.RC1"),
            l(vec![i("1"), l(vec![s("rc"), l(vec![i("1")])])])
        );
        assert_eq!(parse("1.rc.1"), l(vec![i("1"), l(vec![s("rc"), i("1")])]));
        assert_eq!(parse("1-0-alpha"), l(vec![i("1"), l(vec![s("alpha")])]));
        assert_eq!(parse("-m0"), l(vec![s("milestone")]));
    }
}
