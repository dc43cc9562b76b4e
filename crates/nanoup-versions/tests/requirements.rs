//! Requirement (range) parsing and matching per scheme: vectors, the requirement strings of the
//! real manifests in `../shared/corpus`, `latest_matching`, and a no-panic sweep.

use std::path::{Path, PathBuf};

use nanoup_versions::{Requirement, RequirementKind, Scheme, Version, latest_matching};
use proptest::prelude::*;

fn req(scheme: Scheme, text: &str) -> Requirement {
    scheme
        .parse_requirement(text)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn v(scheme: Scheme, text: &str) -> Version {
    scheme.parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// `text` matches every version of `yes` and none of `no`.
fn check(scheme: Scheme, text: &str, yes: &[&str], no: &[&str]) {
    let r = req(scheme, text);
    for y in yes {
        assert!(
            r.matches(&v(scheme, y)),
            "{scheme}: {text:?} should match {y}"
        );
    }
    for n in no {
        assert!(
            !r.matches(&v(scheme, n)),
            "{scheme}: {text:?} should not match {n}"
        );
    }
}

fn rejects(scheme: Scheme, list: &[&str]) {
    for text in list {
        let err = scheme
            .parse_requirement(text)
            .expect_err(&format!("{scheme}: {text:?} should be rejected"));
        assert_eq!(err.text, *text);
        assert_eq!(err.scheme, scheme);
        assert!(!err.expected.is_empty());
    }
}

// ---------------------------------------------------------------- SemVer (Cargo)

#[test]
fn cargo_caret_is_the_default() {
    let s = Scheme::SemVer;
    check(s, "1.2", &["1.2.0", "1.9.9"], &["1.1.9", "2.0.0"]);
    check(
        s,
        "^1.2.3",
        &["1.2.3", "1.99.0"],
        &["1.2.2", "2.0.0", "1.3.0-beta"],
    );
    check(s, "^0.2.3", &["0.2.3", "0.2.99"], &["0.2.2", "0.3.0"]);
    check(s, "0.2.3", &["0.2.3", "0.2.99"], &["0.3.0"]);
    check(s, "^0.0.3", &["0.0.3"], &["0.0.4", "0.0.2"]);
    check(s, "0", &["0.0.1", "0.99.0"], &["1.0.0"]);
}

#[test]
fn cargo_operators() {
    let s = Scheme::SemVer;
    check(s, "~1.2.3", &["1.2.3", "1.2.9"], &["1.3.0"]);
    check(s, "~1", &["1.0.0", "1.9.0"], &["2.0.0"]);
    check(s, "=1.2.3", &["1.2.3", "1.2.3+build"], &["1.2.4"]);
    check(s, ">= 1.2, < 1.5", &["1.2.0", "1.4.9"], &["1.5.0", "1.1.0"]);
    check(s, "*", &["0.0.1", "99.0.0"], &["1.0.0-alpha"]);
    check(s, "1.*", &["1.0.0", "1.5.0"], &["2.0.0"]);
}

#[test]
fn cargo_prereleases_only_when_named_for_the_same_triple() {
    let s = Scheme::SemVer;
    check(
        s,
        ">=1.2.3-beta.1",
        &["1.2.3-beta.1", "1.2.3-beta.2", "1.2.3", "1.3.0"],
        &["1.2.3-alpha", "1.3.0-alpha", "1.2.4-beta.1"],
    );
    check(s, "^1.0.0-rc.1", &["1.0.0-rc.2", "1.0.0"], &["1.1.0-rc.1"]);
}

#[test]
fn cargo_rejects_garbage() {
    rejects(
        Scheme::SemVer,
        &["", "^^1", "1.2.3.4", "abc", ">=1 <2", "1 || 2", "~>1"],
    );
}

// ---------------------------------------------------------------- npm

#[test]
fn npm_caret_tilde_and_x_ranges() {
    let s = Scheme::Npm;
    check(
        s,
        "^1.2.3",
        &["1.2.3", "1.9.9"],
        &["1.2.2", "2.0.0", "1.3.0-beta"],
    );
    check(s, "^0.2.3", &["0.2.3", "0.2.9"], &["0.3.0"]);
    check(s, "^0.0.3", &["0.0.3"], &["0.0.4"]);
    check(s, "~1.2", &["1.2.0", "1.2.9"], &["1.3.0"]);
    check(s, "~1.2.3", &["1.2.3", "1.2.9"], &["1.3.0", "1.2.2"]);
    check(s, "1.x", &["1.0.0", "1.9.0"], &["2.0.0", "0.9.0"]);
    check(s, "1.2.X", &["1.2.0", "1.2.9"], &["1.3.0"]);
    check(s, "1", &["1.0.0", "1.9.0"], &["2.0.0"]);
    check(s, "=v1.2.3", &["1.2.3", "v1.2.3"], &["1.2.4"]);
    check(s, "1.2.3", &["1.2.3"], &["1.2.4"]);
}

#[test]
fn npm_hyphen_and_or_ranges() {
    let s = Scheme::Npm;
    check(s, "1.0.0 - 2.0.0", &["1.0.0", "2.0.0"], &["2.0.1", "0.9.9"]);
    check(s, "1.2 - 2.3.4", &["1.2.0", "2.3.4"], &["2.3.5", "1.1.9"]);
    check(s, "1.2.3 - 2", &["2.9.9"], &["3.0.0"]);
    check(
        s,
        ">=1 <3 || 4.x",
        &["1.0.0", "2.9.9", "4.5.0"],
        &["3.0.0", "5.0.0"],
    );
    check(s, "^1 || ^2", &["1.5.0", "2.5.0"], &["3.0.0"]);
    check(s, ">= 1.2.7 < 1.3.0", &["1.2.7", "1.2.99"], &["1.3.0"]);
}

#[test]
fn npm_star_and_empty_match_every_stable_version() {
    for text in ["*", "", "x", "X", " "] {
        check(
            Scheme::Npm,
            text,
            &["0.0.1", "1.0.0", "99.9.9"],
            &["1.0.0-rc.1"],
        );
    }
}

#[test]
fn npm_prerelease_rule_is_include_prerelease_false() {
    let s = Scheme::Npm;
    check(
        s,
        "^1.2.3-beta.1",
        &["1.2.3-beta.1", "1.2.3-beta.4", "1.2.3", "1.5.0"],
        &["1.2.4-beta", "1.2.3-alpha.9", "2.0.0-0"],
    );
    check(
        s,
        ">1.2.3-alpha.3",
        &["1.2.3-alpha.7", "3.4.5"],
        &["3.4.5-alpha.9", "1.2.3-alpha.3"],
    );
    // The prerelease comparator only lets in its own alternative.
    check(
        s,
        "^2 || >=1.0.0-rc.1 <1.1.0",
        &["1.0.0-rc.2"],
        &["2.1.0-rc.1"],
    );
}

#[test]
fn npm_dist_tags() {
    let latest = req(Scheme::Npm, "latest");
    assert_eq!(latest.kind(), &RequirementKind::Tag("latest".into()));
    assert!(latest.matches(&v(Scheme::Npm, "5.0.0")));
    assert!(!latest.matches(&v(Scheme::Npm, "5.1.0-rc.1")));

    for tag in ["next", "beta", "canary", "rc-3", "legacy_v1"] {
        let r = req(Scheme::Npm, tag);
        assert_eq!(r.kind(), &RequirementKind::Tag(tag.into()), "{tag}");
        assert!(!r.matches(&v(Scheme::Npm, "1.0.0")), "{tag}");
    }
}

#[test]
fn npm_aliases_use_the_range_of_the_real_package() {
    let r = req(Scheme::Npm, "npm:string-width@^4.2.0");
    assert_eq!(r.alias_of(), Some("string-width"));
    assert_eq!(r.kind(), &RequirementKind::Range);
    assert!(r.matches(&v(Scheme::Npm, "4.2.3")));
    assert!(!r.matches(&v(Scheme::Npm, "5.0.0")));
    assert_eq!(r.as_str(), "npm:string-width@^4.2.0");

    let scoped = req(Scheme::Npm, "npm:@vue/reactivity@~3.2.0");
    assert_eq!(scoped.alias_of(), Some("@vue/reactivity"));
    assert!(scoped.matches(&v(Scheme::Npm, "3.2.45")));

    let bare = req(Scheme::Npm, "npm:lodash");
    assert_eq!(bare.alias_of(), Some("lodash"));
    assert_eq!(bare.kind(), &RequirementKind::Tag("latest".into()));
    assert!(bare.matches(&v(Scheme::Npm, "4.17.21")));

    rejects(
        Scheme::Npm,
        &["npm:", "npm:@", "npm:foo@git+https://x/y.git", "npm:a b@1"],
    );
}

#[test]
fn npm_external_sources_match_nothing() {
    for (text, source) in [
        ("git+https://github.com/user/repo.git#v1.0.0", "git"),
        ("git://github.com/user/repo.git", "git"),
        ("git@github.com:user/repo.git", "git"),
        ("github:user/repo", "github"),
        ("user/repo", "github"),
        ("user/repo#semver:^1.0", "github"),
        ("gitlab:user/repo", "gitlab"),
        ("https://example.com/pkg-1.0.0.tgz", "url"),
        ("file:../local", "file"),
        ("../local", "file"),
        ("./pkg.tgz", "file"),
        ("link:../x", "link"),
        ("workspace:^1.0.0", "workspace"),
        ("workspace:*", "workspace"),
    ] {
        let r = req(Scheme::Npm, text);
        assert_eq!(
            r.kind(),
            &RequirementKind::External(source.into()),
            "{text}"
        );
        assert!(!r.matches(&v(Scheme::Npm, "1.0.0")), "{text}");
    }
}

#[test]
fn npm_rejects_garbage() {
    rejects(Scheme::Npm, &["not a range", "^1.2.3 || %", "@@", ">=>=1"]);
}

// ---------------------------------------------------------------- PEP 440

#[test]
fn pep440_specifiers() {
    let s = Scheme::Pep440;
    check(
        s,
        ">=1.0,<2",
        &["1.0", "1.5", "1.99.post1"],
        &["0.9", "2.0", "2.0a1"],
    );
    check(s, ">= 1.0, < 2", &["1.5"], &["2.0"]);
    check(s, "~=2.2", &["2.2", "2.3", "2.9.1"], &["2.1", "3.0"]);
    check(s, "~=2.2.0", &["2.2.0", "2.2.5"], &["2.3.0", "2.1.9"]);
    check(
        s,
        "~=1.4.5a4",
        &["1.4.5a4", "1.4.5", "1.4.9"],
        &["1.5.0", "1.4.5a3"],
    );
    check(
        s,
        "==1.*",
        &["1.0", "1.9.3", "1.0.post1"],
        &["2.0", "0.9", "1.1a1"],
    );
    check(s, "==1.4.*", &["1.4", "1.4.7"], &["1.5"]);
    check(s, "!=1.3", &["1.2", "1.4"], &["1.3", "1.3.0"]);
    check(s, "==1.0", &["1.0", "1.0.0", "1.0+local"], &["1.0.1"]);
    check(
        s,
        "<=1.5,>1.0",
        &["1.5", "1.1"],
        &["1.0", "1.0.post1", "1.6"],
    );
    check(s, "", &["0.1", "9.9"], &["1.0rc1"]);
}

#[test]
fn pep440_arbitrary_equality_compares_text() {
    check(Scheme::Pep440, "===1.0", &["1.0"], &["1.0.0", "1.0.1"]);
    check(Scheme::Pep440, "===1.0RC1", &["1.0rc1"], &["1.0.0rc1"]);
}

#[test]
fn pep440_prereleases_only_when_named() {
    let s = Scheme::Pep440;
    check(
        s,
        ">=1.0",
        &["1.0", "2.0"],
        &["2.0a1", "2.0.dev1", "1.5rc1"],
    );
    check(
        s,
        ">=1.0rc1",
        &["1.0rc1", "1.0rc2", "1.0", "2.0b1"],
        &["1.0b9"],
    );
    check(s, ">=1.0.dev0,<2", &["1.1.dev3"], &["2.0a1"]);
    // `!=` naming a prerelease does not let prereleases in.
    check(s, "!=1.3a1", &["1.2"], &["1.3a2"]);
}

#[test]
fn pep440_latest_matching_falls_back_to_prereleases() {
    let s = Scheme::Pep440;
    let pool = |list: &[&str]| list.iter().map(|t| v(s, t)).collect::<Vec<_>>();
    let r = req(s, ">=1.0");
    let only_pre = pool(&["0.9", "1.1a1", "1.2b1"]);
    assert_eq!(latest_matching(&r, &only_pre).unwrap().as_str(), "1.2b1");
    let with_final = pool(&["0.9", "1.0", "1.2b1"]);
    assert_eq!(latest_matching(&r, &with_final).unwrap().as_str(), "1.0");
    let nothing = pool(&["0.9", "0.9.1a1"]);
    assert_eq!(latest_matching(&r, &nothing), None);
}

#[test]
fn poetry_constraints() {
    let s = Scheme::Pep440;
    check(s, "^1.2", &["1.2", "1.9.9"], &["1.1", "2.0", "2.0a1"]);
    check(s, "^1.2.3", &["1.2.3", "1.9"], &["1.2.2", "2.0.0"]);
    check(s, "^0.2.3", &["0.2.3", "0.2.9"], &["0.3.0"]);
    check(s, "^0.0.3", &["0.0.3"], &["0.0.4"]);
    check(s, "^0", &["0", "0.9.9"], &["1.0"]);
    check(s, "^0.0", &["0.0.9"], &["0.1"]);
    check(s, "^2018.701", &["2018.701", "2018.9999"], &["2019.1"]);
    check(s, "^0.0.0-alpha.1", &["0.0.0a2", "0.0.0"], &["0.0.1"]);
    check(s, "~1.2", &["1.2", "1.2.9"], &["1.3"]);
    check(s, "~1.2.3", &["1.2.3", "1.2.9"], &["1.3.0"]);
    check(s, "~1", &["1.0", "1.9"], &["2.0"]);
    check(s, "~3.8", &["3.8", "3.8.10"], &["3.9"]);
    check(s, "*", &["0.1", "9.9"], &["1.0a1"]);
    check(s, "1.6.7", &["1.6.7"], &["1.6.8"]);
    check(s, "19.10b0", &["19.10b0"], &["19.10b1", "19.10"]);
    check(s, "1.2.*", &["1.2.0", "1.2.9"], &["1.3.0"]);
    check(s, "=1.2", &["1.2"], &["1.3"]);
    check(s, ">=1.2 <2", &["1.5"], &["2.0", "1.1"]);
    check(s, ">= 1.2 < 2", &["1.5"], &["2.0"]);
    check(s, "^1.0 || ^3.0", &["1.5", "3.5"], &["2.0", "4.0"]);
    check(s, "^1.0 | ^3.0", &["1.5", "3.5"], &["2.0"]);
}

#[test]
fn pep440_rejects_garbage() {
    rejects(
        Scheme::Pep440,
        &[
            ">=0.5.0.<0.6.0",
            ">=",
            "~=1",
            ">=1,,<2",
            ">=1,",
            "||",
            "^",
            "^abc",
            "=== ",
            "== 1.0 foo bar",
        ],
    );
}

// ---------------------------------------------------------------- Maven

#[test]
fn maven_range_bounds() {
    let s = Scheme::Maven;
    check(
        s,
        "[1.0,2.0)",
        &["1.0", "1.5", "1.99.9"],
        &["0.9", "2.0", "2.0.0"],
    );
    check(
        s,
        "(1.0,2.0]",
        &["1.0.1", "2.0", "2.0.0.RELEASE"],
        &["1.0", "2.0.1"],
    );
    check(s, "(,1.0]", &["0.1", "1.0"], &["1.0.1", "1.1"]);
    check(s, "(,1.0)", &["0.9"], &["1.0"]);
    check(s, "[1.0,)", &["1.0", "99"], &["0.9"]);
    check(s, "(1.0,)", &["1.0.1", "1.0-sp1"], &["1.0"]);
    check(s, "[1.2]", &["1.2", "1.2.0"], &["1.2.1", "1.1"]);
    check(s, "[1,2),[3,4)", &["1.5", "3.5", "3"], &["2.5", "4", "0.5"]);
    check(s, "[1,2) , [3,4]", &["4"], &["2"]);
    check(s, " [ 1.0 , 2.0 ) ", &["1.5"], &["2.0"]);
    check(s, "(,)", &["0.1", "99"], &[]);
}

#[test]
fn maven_prereleases_only_when_a_bound_is_one() {
    let s = Scheme::Maven;
    check(
        s,
        "[1.0,2.0)",
        &["1.5"],
        &["2.0-rc1", "1.5-SNAPSHOT", "1.1-alpha-2", "2.0-M1"],
    );
    check(
        s,
        "[1.0-alpha-1,1.0]",
        &["1.0-alpha-2", "1.0-beta-1", "1.0"],
        &["0.9"],
    );
    check(s, "[2.0-SNAPSHOT]", &["2.0-SNAPSHOT"], &["2.0"]);
}

#[test]
fn maven_soft_requirement_is_a_minimum() {
    let r = req(Scheme::Maven, "1.0");
    assert_eq!(r.kind(), &RequirementKind::Minimum);
    check(
        Scheme::Maven,
        "1.0",
        &["1.0", "1.1", "3.0"],
        &["0.9", "2.0-rc1"],
    );
    check(
        Scheme::Maven,
        "4.3.26.RELEASE",
        &["4.3.26", "5.0.0.RELEASE"],
        &["4.3.25.RELEASE"],
    );
    check(
        Scheme::Maven,
        "1.0-SNAPSHOT",
        &["1.0-SNAPSHOT", "1.1-rc1"],
        &[],
    );
}

#[test]
fn maven_meta_versions() {
    let latest = req(Scheme::Maven, "LATEST");
    let release = req(Scheme::Maven, "RELEASE");
    assert_eq!(latest.kind(), &RequirementKind::Tag("LATEST".into()));
    let snap = v(Scheme::Maven, "2.0-SNAPSHOT");
    let ga = v(Scheme::Maven, "2.0");
    assert!(latest.matches(&snap) && latest.matches(&ga));
    assert!(!release.matches(&snap) && release.matches(&ga));
}

#[test]
fn maven_rejects_garbage() {
    rejects(
        Scheme::Maven,
        &[
            "",
            "[2.0,1.0]",
            "(1.0)",
            "[1.0)",
            "[1.0,2.0",
            "${jackson.version}",
            "[1.0,2.0),1.5",
            "[1,2,3]",
            "[]",
            "1.0 2.0",
        ],
    );
}

// ---------------------------------------------------------------- Go

#[test]
fn go_requirement_is_a_minimum_within_the_major() {
    let s = Scheme::Go;
    assert_eq!(req(s, "v1.2.3").kind(), &RequirementKind::Minimum);
    check(
        s,
        "v1.2.3",
        &["v1.2.3", "v1.9.0", "1.2.4"],
        &[
            "v1.2.2",
            "v2.0.0",
            "v2.0.0+incompatible",
            "v1.3.0-rc.1",
            "v1.2.4-0.20210101000000-abcdef123456",
        ],
    );
    check(s, "v0.3.0", &["v0.3.1", "v1.0.0"], &["v2.0.0"]);
    check(s, "v2.1.0", &["v2.3.0"], &["v3.0.0", "v1.9.0"]);
    check(
        s,
        "v0.0.0-20210101000000-abcdef123456",
        &[
            "v0.0.0-20220101000000-abcdef123456",
            "v0.1.0",
            "v0.2.1-0.20210502190812-c80126ec2ad5",
        ],
        &["v0.0.0-20200101000000-abcdef123456"],
    );
    check(
        s,
        "v2.0.0+incompatible",
        &["v3.0.0+incompatible", "v2.0.1+incompatible"],
        &["v1.9.0"],
    );
}

#[test]
fn go_rejects_ranges() {
    rejects(
        Scheme::Go,
        &["^1.2", ">=v1.0.0", "latest", "", "v1.2.3 v1.2.4"],
    );
}

// ---------------------------------------------------------------- latest_matching

#[test]
fn latest_matching_per_scheme() {
    let cases: &[(Scheme, &str, &[&str], Option<&str>)] = &[
        (
            Scheme::SemVer,
            "^0.2.3",
            &["0.2.3", "0.2.10", "0.3.0", "0.2.11-alpha"],
            Some("0.2.10"),
        ),
        (
            Scheme::Npm,
            "^1.2.3",
            &["2.0.0", "1.4.0", "1.3.0-beta", "1.10.0", "1.2.0"],
            Some("1.10.0"),
        ),
        (Scheme::Npm, "next", &["1.0.0"], None),
        (
            Scheme::Pep440,
            "~=2.2",
            &["2.1", "2.2", "2.10", "3.0", "2.11rc1"],
            Some("2.10"),
        ),
        (
            Scheme::Maven,
            "[1.0,2.0)",
            &["1.0", "1.9.1", "2.0", "2.0-rc1", "1.10-SNAPSHOT"],
            Some("1.9.1"),
        ),
        (
            Scheme::Go,
            "v1.2.3",
            &["v1.2.3", "v1.5.0", "v2.0.0+incompatible", "v1.6.0-rc.1"],
            Some("v1.5.0"),
        ),
        (Scheme::SemVer, "^9", &["1.0.0"], None),
    ];
    for (scheme, text, pool, want) in cases {
        let r = req(*scheme, text);
        let versions: Vec<Version> = pool.iter().map(|t| v(*scheme, t)).collect();
        let got = latest_matching(&r, &versions).map(Version::as_str);
        assert_eq!(got, *want, "{scheme} {text}");
    }
    // Nothing to choose from, and versions of other schemes are ignored.
    let r = req(Scheme::Npm, "*");
    assert_eq!(latest_matching(&r, &[]), None);
    let foreign = [v(Scheme::SemVer, "1.0.0")];
    assert!(!r.matches(&foreign[0]));
    assert_eq!(latest_matching(&r, &foreign), None);
}

#[test]
fn requirement_keeps_its_text_and_scheme() {
    let r = Requirement::parse(Scheme::SemVer, " ^1.2 ").unwrap();
    assert_eq!(r.as_str(), " ^1.2 ");
    assert_eq!(r.to_string(), " ^1.2 ");
    assert_eq!(r.scheme(), Scheme::SemVer);
    assert_eq!(r.alias_of(), None);
    let err = Scheme::SemVer.parse_requirement("^^1").unwrap_err();
    assert!(err.to_string().contains("^^1"), "{err}");
}

// ---------------------------------------------------------------- real manifests

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

fn files_named(dir: &Path, pred: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_named(&path, pred, out);
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(pred) {
            out.push(path);
        }
    }
}

/// The value of the first `key = "value"` on the line (in an inline table or as the whole line).
fn quoted_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let mut rest = line;
    while let Some(i) = rest.find(key) {
        let before_ok = i == 0
            || rest[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c == '{' || c == ',' || c.is_whitespace());
        let after = rest[i + key.len()..].trim_start();
        if before_ok && let Some(after) = after.strip_prefix('=') {
            let after = after.trim_start().strip_prefix('"')?;
            return after.split_once('"').map(|(value, _)| value);
        }
        rest = &rest[i + key.len()..];
    }
    None
}

/// Requirement strings of a TOML manifest, line by line: `name = "req"` and
/// `name = { version = "req", ... }` inside tables accepted by `is_dep_table`, and
/// `version = "req"` inside tables accepted by `is_dep_subtable` (`[dependencies.clap]`).
fn toml_requirements(
    text: &str,
    is_dep_table: &dyn Fn(&str) -> bool,
    is_dep_subtable: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut table = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            table = line.trim_matches(['[', ']']).to_string();
            continue;
        }
        if line.starts_with('#') || !line.contains('=') {
            continue;
        }
        if is_dep_table(&table) {
            let (_, value) = line.split_once('=').unwrap_or_default();
            let value = value.trim();
            if let Some(quoted) = value.strip_prefix('"') {
                if let Some((req, _)) = quoted.split_once('"') {
                    out.push(req.to_string());
                }
            } else if value.starts_with('{')
                && let Some(req) = quoted_value(value, "version")
            {
                out.push(req.to_string());
            }
        } else if is_dep_subtable(&table)
            && let Some(req) = quoted_value(line, "version")
            && line.starts_with("version")
        {
            out.push(req.to_string());
        }
    }
    out
}

/// The specifier part of a PEP 508 requirement: `name[extras] (spec) ; marker` → `spec`.
fn pep508_specifier(line: &str) -> &str {
    let line = line.split(['#', ';']).next().unwrap_or_default().trim();
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        .unwrap_or(line.len());
    let mut rest = line[name_end..].trim_start();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map_or("", |(_, r)| r).trim_start();
    }
    rest.trim_matches(['(', ')']).trim()
}

/// The `<version>` texts of every `<dependency>`/`<plugin>` element of a pom.
fn pom_requirements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in text
        .split("<dependency>")
        .skip(1)
        .chain(text.split("<plugin>").skip(1))
    {
        let end = ["</dependency>", "</plugin>"]
            .iter()
            .filter_map(|tag| block.find(tag))
            .min()
            .unwrap_or(block.len());
        let block = &block[..end];
        if let Some((_, after)) = block.split_once("<version>")
            && let Some((version, _)) = after.split_once("</version>")
        {
            out.push(version.trim().to_string());
        }
    }
    out
}

/// The versions of `require` lines (single and block form) of a go.mod.
fn gomod_requirements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["require", "("] => in_block = true,
            [")"] => in_block = false,
            ["require", _, version] => out.push((*version).to_string()),
            [_, version] if in_block => out.push((*version).to_string()),
            _ => {}
        }
    }
    out
}

/// Parses every requirement; returns (parsed count, failures as "file: text: error").
fn parse_all(scheme: Scheme, found: &[(PathBuf, String)]) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    for (path, text) in found {
        if let Err(e) = scheme.parse_requirement(text) {
            let short = path.strip_prefix(corpus()).unwrap_or(path);
            failures.push(format!("{}: {text:?}: {e}", short.display()));
        }
    }
    (found.len() - failures.len(), failures)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn corpus_cargo_requirements_parse() {
    let mut files = Vec::new();
    files_named(&corpus().join("cargo"), &|n| n == "Cargo.toml", &mut files);
    let mut found = Vec::new();
    for path in &files {
        for r in toml_requirements(&read(path), &|t| t.ends_with("dependencies"), &|t| {
            t.contains("dependencies.")
        }) {
            found.push((path.clone(), r));
        }
    }
    let (ok, failures) = parse_all(Scheme::SemVer, &found);
    eprintln!("cargo: {ok} requirements from {} files", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ok > 100, "only {ok} requirements found");
    // Spot check: ripgrep's `regex = "1.3.5"` is `^1.3.5`.
    assert!(found.iter().any(|(_, r)| r == "1.3.5"));
}

#[test]
fn corpus_npm_requirements_parse() {
    let mut files = Vec::new();
    files_named(&corpus().join("npm"), &|n| n == "package.json", &mut files);
    let mut found = Vec::new();
    for path in &files {
        let json: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
        for field in [
            "dependencies",
            "devDependencies",
            "peerDependencies",
            "optionalDependencies",
        ] {
            if let Some(deps) = json.get(field).and_then(|d| d.as_object()) {
                for value in deps.values().filter_map(|v| v.as_str()) {
                    found.push((path.clone(), value.to_string()));
                }
            }
        }
    }
    let (ok, failures) = parse_all(Scheme::Npm, &found);
    eprintln!("npm: {ok} requirements from {} files", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ok > 150, "only {ok} requirements found");
    // json-server's ranges all match their own lower bound.
    for (path, text) in &found {
        let r = req(Scheme::Npm, text);
        if let (RequirementKind::Range, Some(caret)) = (r.kind(), text.strip_prefix('^'))
            && let Ok(low) = Scheme::Npm.parse(caret)
        {
            assert!(r.matches(&low), "{}: {text}", path.display());
        }
    }
}

#[test]
fn corpus_python_requirements_parse() {
    let mut found = Vec::new();
    let mut files = Vec::new();
    files_named(&corpus().join("python"), &|n| n == "Pipfile", &mut files);
    for path in &files {
        for r in toml_requirements(
            &read(path),
            &|t| t == "packages" || t == "dev-packages",
            &|_| false,
        ) {
            found.push((path.clone(), r));
        }
    }
    let mut pyprojects = Vec::new();
    files_named(
        &corpus().join("python"),
        &|n| n == "pyproject.toml",
        &mut pyprojects,
    );
    for path in &pyprojects {
        let text = read(path);
        // Poetry tables.
        for r in toml_requirements(
            &text,
            &|t| t.starts_with("tool.poetry") && t.ends_with("dependencies"),
            &|_| false,
        ) {
            found.push((path.clone(), r));
        }
        // PEP 621 / uv arrays of PEP 508 strings, and requires-python.
        let mut in_array = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("dependencies = [") || line.starts_with("dev-dependencies = [") {
                in_array = true;
            } else if in_array && line.starts_with(']') {
                in_array = false;
            } else if in_array && let Some(quoted) = line.strip_prefix('"') {
                let item = quoted.split('"').next().unwrap_or_default();
                found.push((path.clone(), pep508_specifier(item).to_string()));
            } else if let Some(req) = quoted_value(line, "requires-python") {
                found.push((path.clone(), req.to_string()));
            }
        }
    }
    let mut reqs_txt = Vec::new();
    files_named(
        &corpus().join("python"),
        &|n| n.starts_with("requirements") && n.ends_with(".txt"),
        &mut reqs_txt,
    );
    for path in &reqs_txt {
        for line in read(path).lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', '-']) {
                continue;
            }
            found.push((path.clone(), pep508_specifier(line).to_string()));
        }
    }
    let (ok, failures) = parse_all(Scheme::Pep440, &found);
    eprintln!(
        "python: {ok} requirements from {} files; failures:\n{}",
        files.len() + pyprojects.len() + reqs_txt.len(),
        failures.join("\n")
    );
    // The one known failure: saleor's Pipfile has the typo `>=0.5.0.<0.6.0` (a `.` for a `,`),
    // which pip rejects too.
    assert_eq!(failures.len(), 1, "{}", failures.join("\n"));
    assert!(failures[0].contains(">=0.5.0.<0.6.0"), "{}", failures[0]);
    assert!(ok > 200, "only {ok} requirements found");
}

#[test]
fn corpus_maven_and_go_requirements_parse() {
    let mut poms = Vec::new();
    files_named(&corpus().join("maven"), &|n| n == "pom.xml", &mut poms);
    let mut found = Vec::new();
    let mut properties = 0;
    for path in &poms {
        for r in pom_requirements(&read(path)) {
            if r.contains("${") {
                properties += 1;
                assert!(Scheme::Maven.parse_requirement(&r).is_err(), "{r}");
            } else {
                found.push((path.clone(), r));
            }
        }
    }
    let (ok, failures) = parse_all(Scheme::Maven, &found);
    eprintln!("maven: {ok} literal requirements, {properties} property references skipped");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ok + properties > 50, "only {ok} + {properties} found");

    let mut gomods = Vec::new();
    files_named(&corpus().join("go"), &|n| n == "go.mod", &mut gomods);
    let mut found = Vec::new();
    for path in &gomods {
        for r in gomod_requirements(&read(path)) {
            found.push((path.clone(), r));
        }
    }
    let (ok, failures) = parse_all(Scheme::Go, &found);
    eprintln!("go: {ok} requirements");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ok >= 32, "only {ok} found");
    // Every requirement matches the version it names.
    for (_, text) in &found {
        assert!(
            req(Scheme::Go, text).matches(&v(Scheme::Go, text)),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------- never panic

fn probe_versions() -> Vec<Version> {
    let mut out = Vec::new();
    for scheme in Scheme::ALL {
        for text in [
            "0",
            "1.0.0",
            "1.2.3-beta.1",
            "2.0",
            "1.0rc1",
            "1.0-SNAPSHOT",
            "v1.2.3",
            "v2.0.0+incompatible",
            "18446744073709551615.0.0",
        ] {
            if let Ok(version) = scheme.parse(text) {
                out.push(version);
            }
        }
    }
    out
}

fn exercise(text: &str, versions: &[Version]) {
    for scheme in Scheme::ALL {
        if let Ok(r) = scheme.parse_requirement(text) {
            for version in versions {
                let _ = r.matches(version);
            }
            let _ = latest_matching(&r, versions);
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        exercise(&text, &probe_versions());
    }

    #[test]
    fn range_like_text_never_panics(
        text in "[ 0-9.xX*^~<>=!|,()\\[\\]a-z:@/+-]{0,30}"
    ) {
        exercise(&text, &probe_versions());
    }
}

#[test]
fn short_strings_never_panic() {
    let alphabet: Vec<char> = "01.x*^~<>=!|,()[]- va".chars().collect();
    let versions = probe_versions();
    let mut text = String::new();
    for a in &alphabet {
        for b in &alphabet {
            for c in &alphabet {
                text.clear();
                text.extend([*a, *b, *c]);
                exercise(&text, &versions);
            }
        }
    }
}
