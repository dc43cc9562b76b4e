//! Ordering vectors per scheme, parse errors, and order laws (total, consistent with Eq/Hash).

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use nanoup_versions::{Scheme, Version};
use proptest::prelude::*;

fn v(scheme: Scheme, text: &str) -> Version {
    scheme.parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// Every version is strictly below every later one (all pairs, not just neighbours).
fn assert_ascending(scheme: Scheme, list: &[&str]) {
    let parsed: Vec<Version> = list.iter().map(|t| v(scheme, t)).collect();
    for (i, a) in parsed.iter().enumerate() {
        for b in &parsed[i + 1..] {
            assert!(a < b, "{scheme}: expected {a} < {b}");
            assert!(b > a, "{scheme}: expected {b} > {a}");
        }
    }
}

/// All versions are equal to each other, and hash alike.
fn assert_all_equal(scheme: Scheme, list: &[&str]) {
    let parsed: Vec<Version> = list.iter().map(|t| v(scheme, t)).collect();
    for a in &parsed {
        for b in &parsed {
            assert_eq!(a.cmp(b), Ordering::Equal, "{scheme}: expected {a} == {b}");
            assert_eq!(a, b);
            assert_eq!(hash(a), hash(b), "{scheme}: hash of {a} and {b}");
        }
    }
}

fn hash(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

// ---------------------------------------------------------------- ecosystems

#[test]
fn ecosystem_names() {
    assert_eq!(Scheme::for_ecosystem("crates.io"), Some(Scheme::SemVer));
    assert_eq!(Scheme::for_ecosystem("npm"), Some(Scheme::Npm));
    assert_eq!(Scheme::for_ecosystem("PyPI"), Some(Scheme::Pep440));
    assert_eq!(Scheme::for_ecosystem("pypi"), Some(Scheme::Pep440));
    assert_eq!(Scheme::for_ecosystem("Maven"), Some(Scheme::Maven));
    assert_eq!(Scheme::for_ecosystem("Go"), Some(Scheme::Go));
    assert_eq!(Scheme::for_ecosystem("Debian:12"), None);
    assert_eq!(Scheme::for_ecosystem("Ubuntu:22.04:LTS"), None);
    assert_eq!(Scheme::for_ecosystem("RubyGems"), None);
    assert_eq!(Scheme::for_ecosystem(""), None);
    assert_eq!(Scheme::for_range("GIT", "PyPI"), None);
    assert_eq!(Scheme::for_range("SEMVER", "Go"), Some(Scheme::Go));
    assert_eq!(
        Scheme::for_range("SEMVER", "crates.io"),
        Some(Scheme::SemVer)
    );
    assert_eq!(Scheme::for_range("SEMVER", "PyPI"), Some(Scheme::SemVer));
    assert_eq!(Scheme::for_range("ECOSYSTEM", "Maven"), Some(Scheme::Maven));
}

#[test]
fn original_text_is_kept() {
    let a = v(Scheme::Pep440, "3.9.0c2");
    let b = v(Scheme::Pep440, "3.9.0rc2");
    assert_eq!(a, b);
    assert_eq!(a.as_str(), "3.9.0c2");
    assert_eq!(b.to_string(), "3.9.0rc2");
    assert_eq!(a.scheme(), Scheme::Pep440);
}

// ---------------------------------------------------------------- SemVer

#[test]
fn semver_precedence() {
    // The SemVer 2.0 spec's own example, plus release trains.
    assert_ascending(
        Scheme::SemVer,
        &[
            "0.0.0-0",
            "0.1.0",
            "0.9.9",
            "0.10.0",
            "1.0.0-0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
            "10.0.0",
        ],
    );
}

#[test]
fn semver_build_metadata_is_ignored() {
    assert_all_equal(
        Scheme::SemVer,
        &["1.0.0", "1.0.0+build.1", "1.0.0+zzz", "1"],
    );
    assert_all_equal(
        Scheme::SemVer,
        &["1.0.0-rc.1+a", "1.0.0-rc.1+b", "1.0-rc.1"],
    );
}

#[test]
fn semver_partial_versions() {
    assert_all_equal(Scheme::SemVer, &["0.1", "0.1.0"]);
    assert_all_equal(Scheme::SemVer, &["2", "2.0", "2.0.0"]);
    assert!(v(Scheme::SemVer, "0.1") < v(Scheme::SemVer, "0.1.1"));
}

#[test]
fn semver_rejects_garbage() {
    for bad in [
        "", "  ", "v1.0.0", "1.0.0.0", "a.b.c", "1..0", "01.0.0", "1.0.0-", "1.0.0-01", "1.-1",
    ] {
        let err = Scheme::SemVer.parse(bad).unwrap_err();
        assert_eq!(err.text, bad);
        assert!(err.to_string().contains("SemVer"), "{err}");
    }
}

// ---------------------------------------------------------------- npm

#[test]
fn npm_prerelease_order() {
    assert_ascending(
        Scheme::Npm,
        &[
            "7.23.1",
            "7.23.2",
            "8.0.0-alpha.0",
            "8.0.0-alpha.3",
            "8.0.0-alpha.4",
            "8.0.0-alpha.10",
            "8.0.0-alpha.beta",
            "8.0.0-beta.1",
            "8.0.0-next.0",
            "8.0.0-rc.1",
            "8.0.0",
        ],
    );
}

#[test]
fn npm_prefixes_are_stripped() {
    assert_all_equal(
        Scheme::Npm,
        &[
            "1.2.3",
            "v1.2.3",
            "=1.2.3",
            "=v1.2.3",
            " = v1.2.3 ",
            "1.2.3+sha.1",
        ],
    );
    assert!(Scheme::Npm.parse("vv1.2.3").is_err());
    assert!(Scheme::Npm.parse("^1.2.3").is_err());
}

// ---------------------------------------------------------------- Go

#[test]
fn go_pseudo_versions() {
    assert_ascending(
        Scheme::Go,
        &[
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20211208000000-aaaaaaaaaaaa",
            "v0.0.0-20211209124913-491a49abca63",
            "v0.1.0",
            "v1.2.3",
            "v1.2.4-0.20210101000000-abcdef123456",
            "v1.2.4-pre",
            "v1.2.4-pre.0.20210101000000-abcdef123456",
            "v1.2.4",
            "v2.0.0+incompatible",
            "v3.0.0+incompatible",
            "v3.0.1-0.20180101000000-aaaaaaaaaaaa+incompatible",
            "v3.0.1-0.20180525145409-4c9aadca8f89+incompatible",
            "v3.0.1",
        ],
    );
    assert!(v(Scheme::Go, "v0.0.0-20211209124913-491a49abca63").is_prerelease());
}

#[test]
fn go_incompatible_and_prefix_are_ignored_for_order() {
    assert_all_equal(Scheme::Go, &["v2.0.0+incompatible", "v2.0.0", "2.0.0"]);
    assert_all_equal(
        Scheme::Go,
        &[
            "3.0.1-0.20180525145409-4c9aadca8f89+incompatible",
            "v3.0.1-0.20180525145409-4c9aadca8f89+incompatible",
        ],
    );
}

#[test]
fn go_toolchain_versions() {
    assert_all_equal(Scheme::Go, &["go1.17", "1.17.0", "v1.17.0"]);
    assert_all_equal(Scheme::Go, &["go1.17rc1", "1.17.0-rc.1"]);
    assert_all_equal(Scheme::Go, &["go1.18beta2", "1.18.0-beta.2"]);
    assert_ascending(
        Scheme::Go,
        &[
            "go1.16.15",
            "go1.17beta1",
            "go1.17rc1",
            "go1.17",
            "go1.17.4",
        ],
    );
    for bad in ["go", "go1.", "gox", "go1.17rc", "go1.17.1.1", "go1.17xx1"] {
        assert!(Scheme::Go.parse(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------- PEP 440

#[test]
fn pep440_release_cycle() {
    assert_ascending(
        Scheme::Pep440,
        &[
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a2.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+abc",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.0.1",
            "1.1.dev1",
            "2.0",
            "1!0.1",
            "1!1.0",
        ],
    );
}

#[test]
fn pep440_epochs() {
    assert!(v(Scheme::Pep440, "1!1.0") > v(Scheme::Pep440, "2.0"));
    assert!(v(Scheme::Pep440, "1!1.0") > v(Scheme::Pep440, "9999.0"));
    assert_all_equal(Scheme::Pep440, &["0!1.0", "1.0"]);
}

#[test]
fn pep440_local_versions() {
    assert!(v(Scheme::Pep440, "1.0+abc") > v(Scheme::Pep440, "1.0"));
    assert_ascending(
        Scheme::Pep440,
        &[
            "2.6.0",
            "2.6.0+cpu",
            "2.6.0+cu124",
            "2.6.0+cu126",
            "2.6.0.post1",
        ],
    );
    // Numeric local segments sort above alphanumeric ones and numerically among themselves.
    assert_ascending(Scheme::Pep440, &["1.0+abc", "1.0+2", "1.0+10"]);
}

#[test]
fn pep440_normalisation() {
    assert_all_equal(
        Scheme::Pep440,
        &[
            "1.0rc1", "1.0RC1", "1.0c1", "1.0-rc.1", "v1.0rc1", "V1.0rc1",
        ],
    );
    assert_all_equal(Scheme::Pep440, &["3.8", "3.8.0", "3.8.0.0"]);
    assert_all_equal(Scheme::Pep440, &["3.9a0", "3.9.0a0", "3.9.0alpha0"]);
    assert_all_equal(
        Scheme::Pep440,
        &["1.0.post1", "1.0-1", "1.0post1", "1.0.rev1"],
    );
    assert_all_equal(Scheme::Pep440, &["1.0.dev0", "1.0.dev", "1.0-dev"]);
    assert!(v(Scheme::Pep440, "1.0a1").is_prerelease());
    assert!(v(Scheme::Pep440, "1.0.dev1").is_prerelease());
    assert!(!v(Scheme::Pep440, "1.0.post1").is_prerelease());
}

#[test]
fn pep440_rejects_garbage() {
    for bad in ["", "1.0-", "abc", "1.0+", "1!", "1.0 2.0", "1.0.*"] {
        let err = Scheme::Pep440.parse(bad).unwrap_err();
        assert_eq!(err.scheme, Scheme::Pep440);
    }
}

// ---------------------------------------------------------------- Maven

/// Maven ComparableVersionTest: qualifier order.
#[test]
fn maven_qualifiers_in_order() {
    assert_ascending(
        Scheme::Maven,
        &[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ],
    );
}

/// Maven ComparableVersionTest (Maven 3.9 list): numbers and mixed separators.
#[test]
fn maven_numbers_in_order() {
    assert_ascending(
        Scheme::Maven,
        &[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ],
    );
}

/// Maven ComparableVersionTest: equalities (padding, aliases, case).
#[test]
fn maven_equalities() {
    assert_all_equal(
        Scheme::Maven,
        &[
            "1",
            "1.0",
            "1.0.0",
            "1-0",
            "1.0-0",
            "1.ga",
            "1.final",
            "1-release",
            "1ga",
            "1GA",
            "1Final",
            "1RELeaSE",
        ],
    );
    assert_all_equal(
        Scheme::Maven,
        &["1a", "1-a", "1.0-a", "1.0.0-a", "1.0a", "1.0.0a"],
    );
    assert_all_equal(
        Scheme::Maven,
        &["1x", "1-x", "1.0-x", "1.0.0-x", "1.0x", "1.0.0x", "1X"],
    );
    assert_all_equal(Scheme::Maven, &["1cr", "1rc", "1Cr", "1cR", "1rC"]);
    assert_all_equal(Scheme::Maven, &["1a1", "1-alpha-1", "1A1", "1alpha1"]);
    assert_all_equal(Scheme::Maven, &["1b2", "1-beta-2", "1B2"]);
    assert_all_equal(
        Scheme::Maven,
        &[
            "1m3",
            "1-milestone-3",
            "1Milestone3",
            "1MileStone3",
            "1MILESTONE3",
        ],
    );
    assert_all_equal(Scheme::Maven, &["2.0.0.RELEASE", "2.0.0", "2", "2.0.0-GA"]);
    assert_all_equal(Scheme::Maven, &["2.12.6", "2.12.6.0", "2.12.6-0"]);
    assert_all_equal(Scheme::Maven, &["1.007", "1.7"]);
    // A qualifier after `.` acts as after `-` (Maven 3.9, MNG-7644).
    assert_all_equal(
        Scheme::Maven,
        &["1.0.0.RC1", "1.0.0-RC1", "1-rc1", "1.0.0.rc-1"],
    );
    assert_all_equal(Scheme::Maven, &["2.0.a", "2.0.0.a", "2-a"]);
}

#[test]
fn maven_release_cycle() {
    assert!(v(Scheme::Maven, "1-sp") > v(Scheme::Maven, "1-ga"));
    assert!(v(Scheme::Maven, "1-SNAPSHOT") < v(Scheme::Maven, "1"));
    assert_ascending(
        Scheme::Maven,
        &[
            "2.0-alpha1",
            "2.0-beta9",
            "2.0-rc1",
            "2.0",
            "2.3",
            "2.3.1",
            "2.4",
            "2.12.1",
            "2.12.2",
            "2.13.0-rc1",
            "2.13.0",
            "2.15.0-rc1",
            "2.15.0",
            "2.15.0-sp1",
        ],
    );
    assert_ascending(
        Scheme::Maven,
        &[
            "5.0.0.M1",
            "5.0.0.RC1",
            "5.0.0.RELEASE",
            "5.0.0.BUILD-SNAPSHOT",
            "5.0.1",
        ],
    );
    // Maven's own quirk, kept on purpose: `build` is an unknown qualifier, so Spring's
    // `5.0.0.BUILD-SNAPSHOT` sorts *above* the release (and below 5.0.1).
    // Arbitrarily large numbers (MNG-6572): no overflow.
    assert_ascending(
        Scheme::Maven,
        &[
            "1",
            "2147483647",
            "2147483648",
            "9223372036854775807",
            "9223372036854775808",
            "184467440737095516160",
        ],
    );
    assert!(v(Scheme::Maven, "2.15.0-rc1").is_prerelease());
    assert!(!v(Scheme::Maven, "2.0.0.RELEASE").is_prerelease());
    assert!(!v(Scheme::Maven, "1-sp1").is_prerelease());
}

/// Classic Maven is not transitive on these triples (`1.r > 1 > 1-alpha > 1.r`); ours sorts
/// them consistently. The second triple is the one proptest found.
#[test]
fn maven_classic_cycles_are_resolved() {
    assert_ascending(Scheme::Maven, &["1-alpha", "1", "1.r"]);
    assert_all_equal(Scheme::Maven, &["1.r", "1-r"]);
    assert_ascending(Scheme::Maven, &["-m0", "-", "R"]);
}

#[test]
fn maven_rejects_only_blank_or_whitespace() {
    assert!(Scheme::Maven.parse("").is_err());
    assert!(Scheme::Maven.parse("1.0 beta").is_err());
    assert!(Scheme::Maven.parse("anything-goes_really!").is_ok());
}

// ---------------------------------------------------------------- order laws

/// Tricky versions of every scheme, in one pool.
fn pool() -> Vec<Version> {
    let lists: [(Scheme, &[&str]); 5] = [
        (
            Scheme::SemVer,
            &[
                "0.0.0-0",
                "0.1",
                "0.1.0",
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-1",
                "1.0.0+b",
                "1.0.0",
                "2",
            ],
        ),
        (
            Scheme::Npm,
            &[
                "v1.0.0",
                "=1.0.0",
                "1.0.0-rc.1",
                "1.0.0-rc.1+x",
                "8.0.0-alpha.10",
                "0",
            ],
        ),
        (
            Scheme::Pep440,
            &[
                "1!1.0",
                "2.0",
                "1.0.dev1",
                "1.0a1",
                "1.0b1",
                "1.0rc1",
                "1.0c1",
                "1.0",
                "1.0.0",
                "1.0+abc",
                "1.0.post1",
            ],
        ),
        (
            Scheme::Maven,
            &[
                "1",
                "1.0",
                "1-0.1",
                "1-ga",
                "1-sp",
                "1-SNAPSHOT",
                "1a1",
                "1-alpha-1",
                "2.0.0.RELEASE",
                "1-1",
                "1.0.0.x",
            ],
        ),
        (
            Scheme::Go,
            &[
                "v0.0.0-20210101000000-abcdef123456",
                "v1.2.4-0.20210101000000-abcdef123456",
                "v1.2.4",
                "1.2.4+incompatible",
                "go1.17rc1",
            ],
        ),
    ];
    lists
        .iter()
        .flat_map(|(s, l)| l.iter().map(|t| v(*s, t)))
        .collect()
}

#[test]
fn order_is_total_and_consistent_on_the_pool() {
    let pool = pool();
    for a in &pool {
        assert_eq!(a.cmp(a), Ordering::Equal);
        for b in &pool {
            let ab = a.cmp(b);
            assert_eq!(ab, b.cmp(a).reverse(), "antisymmetry {a:?} {b:?}");
            assert_eq!(ab == Ordering::Equal, a == b, "Eq vs Ord {a:?} {b:?}");
            if a == b {
                assert_eq!(hash(a), hash(b), "Hash vs Eq {a:?} {b:?}");
            }
            if a.scheme() != b.scheme() {
                assert_eq!(
                    ab,
                    a.scheme().cmp(&b.scheme()),
                    "mixed schemes sort by scheme"
                );
            }
            for c in &pool {
                if a <= b && b <= c {
                    assert!(a <= c, "transitivity {a:?} {b:?} {c:?}");
                }
            }
        }
    }
    // Sorting is deterministic whatever the input order.
    let mut forward = pool.clone();
    let mut backward: Vec<Version> = pool.iter().rev().cloned().collect();
    forward.sort();
    backward.sort();
    assert!(forward.iter().zip(&backward).all(|(x, y)| x == y));
}

/// Strings built from the characters that matter to each parser.
fn tricky_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[v=0-9.+\\-a-eglmnoprstxACR!]{0,14}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Never panics; on success the text is kept; Eq, Hash and Ord agree; order is total.
    #[test]
    fn laws_hold_on_arbitrary_input(a in tricky_text(), b in tricky_text(), c in tricky_text()) {
        for &scheme in Scheme::ALL {
            let parsed: Vec<Version> = [&a, &b, &c]
                .iter()
                .filter_map(|t| match scheme.parse(t) {
                    Ok(v) => {
                        assert_eq!(v.as_str(), t.as_str());
                        Some(v)
                    }
                    Err(e) => {
                        assert_eq!(&e.text, *t);
                        assert!(!e.expected.is_empty());
                        None
                    }
                })
                .collect();
            for x in &parsed {
                for y in &parsed {
                    prop_assert_eq!(x.cmp(y), y.cmp(x).reverse());
                    prop_assert_eq!(x.cmp(y) == Ordering::Equal, x == y);
                    if x == y {
                        prop_assert_eq!(hash(x), hash(y));
                    }
                    for z in &parsed {
                        if x <= y && y <= z {
                            prop_assert!(x <= z);
                        }
                    }
                }
            }
        }
    }

    /// Any Unicode input: no panic in any scheme.
    #[test]
    fn never_panics(text in "\\PC{0,20}") {
        for &scheme in Scheme::ALL {
            let _ = scheme.parse(&text);
        }
    }

    /// Maven: equality is exactly structural (so Hash is sound) and the order is transitive,
    /// even for odd inputs where Maven's own comparison is not.
    #[test]
    fn maven_laws(
        a in "[0-9a-emprsx.\\-]{0,10}",
        b in "[0-9a-emprsx.\\-]{0,10}",
        c in "[0-9a-emprsx.\\-]{0,10}",
    ) {
        let parse = |t: &str| Scheme::Maven.parse(t).ok();
        if let (Some(x), Some(y), Some(z)) = (parse(&a), parse(&b), parse(&c)) {
            for (p, q) in [(&x, &y), (&y, &z), (&x, &z)] {
                prop_assert_eq!(p.cmp(q) == Ordering::Equal, p == q);
                prop_assert_eq!(p.cmp(q), q.cmp(p).reverse());
            }
            let all = [&x, &y, &z];
            for p in all {
                for q in all {
                    for r in all {
                        if p <= q && q <= r {
                            prop_assert!(p <= r, "{:?} <= {:?} <= {:?}", p, q, r);
                        }
                    }
                }
            }
        }
    }
}

/// Every string of up to 4 characters over an alphabet that exercises Maven's separators,
/// zeros, aliases and unknown qualifiers: after sorting, no later version is below an earlier
/// one (so the order is a total preorder: transitive), and Eq agrees with Ord and Hash.
#[test]
fn order_is_total_exhaustively_on_short_strings() {
    let alphabet = ['0', '1', 'a', 'x', 'r', '.', '-'];
    let mut texts = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..4 {
        frontier = frontier
            .iter()
            .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
            .collect();
        texts.extend(frontier.iter().cloned());
    }
    for &scheme in Scheme::ALL {
        let mut parsed: Vec<Version> = texts.iter().filter_map(|t| scheme.parse(t).ok()).collect();
        parsed.sort();
        for (i, a) in parsed.iter().enumerate() {
            for b in &parsed[i..] {
                let o = a.cmp(b);
                assert_ne!(o, Ordering::Greater, "{scheme}: {a:?} sorted before {b:?}");
                assert_eq!(o == Ordering::Equal, a == b, "{scheme}: {a:?} vs {b:?}");
                if a == b {
                    assert_eq!(hash(a), hash(b), "{scheme}: hash {a:?} {b:?}");
                }
            }
        }
    }
}
