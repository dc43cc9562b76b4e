//! The policy file: every key, every error with its place, merging order, expiry and holds.

use std::collections::BTreeSet;

use nanoup_core::{Ecosystem, UpdateKind};
use nanoup_policy::{DEFAULT_ALLOW, POLICY_FILE, Policy, parse, parse_age};
use nanoup_versions::Scheme;

fn ok(text: &str) -> Policy {
    parse(POLICY_FILE, text).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses `text`, expects an error at (line, column) whose message contains `needle`.
fn err(text: &str, line: u32, column: u32, needle: &str) {
    let e = parse(POLICY_FILE, text).expect_err(text);
    assert_eq!(e.file, POLICY_FILE);
    assert!(e.message.contains(needle), "{e}\n(wanted {needle:?})");
    assert_eq!((e.line, e.column), (line, column), "{e}");
}

fn kinds(list: &[UpdateKind]) -> BTreeSet<UpdateKind> {
    list.iter().copied().collect()
}

#[test]
fn rules_with_reasons_and_dates() {
    let text = "# policy\n[[ignore]]\nid = \"RUSTSEC-2020-0071\"\nreason = \"not reachable\"\nuntil = 2027-01-01\n\n[[ignore]]\nid = \"GHSA-x\"\nreason = \"dev only\"\n";
    let policy = ok(text);
    assert_eq!(policy.ignores.len(), 2);
    assert_eq!(policy.ignores[0].until.as_deref(), Some("2027-01-01"));
    assert_eq!(policy.ignores[0].origin, "nanoup.toml:2");
    assert!(!policy.ignores[0].expired("2027-01-01"));
    assert!(policy.ignores[0].expired("2027-01-02"));
    assert!(!policy.ignores[1].expired("2099-01-01"));
    let inline = "ignore = [{ id = \"A\", reason = \"r\", until = \"2026-02-03\" }]\n";
    assert_eq!(ok(inline).ignores[0].until.as_deref(), Some("2026-02-03"));
}

#[test]
fn cooldown_and_ages() {
    let policy = ok("min-age = \"5d\"\n");
    assert_eq!(
        policy.min_age,
        Some(("5d".to_string(), jiff::SignedDuration::from_hours(120)))
    );
    assert_eq!(parse_age("0s").unwrap(), jiff::SignedDuration::ZERO);
    assert_eq!(
        parse_age("1w").unwrap(),
        jiff::SignedDuration::from_hours(168)
    );
    assert!(parse_age("1 month").is_err());
    assert!(parse_age("-1d").is_err());
    err("\nmin-age = \"soon\"\n", 2, 11, "invalid `min-age`");
    err("min-age = 3\n", 1, 11, "expected `min-age` to be a string");
}

#[test]
fn an_empty_file_is_the_default_policy() {
    let policy = ok("# nothing yet\n");
    assert_eq!(policy, Policy::default());
    let stack = policy.for_stack(".");
    assert_eq!(stack.allow, kinds(&DEFAULT_ALLOW));
    assert!(stack.allows(UpdateKind::Patch) && stack.allows(UpdateKind::Minor));
    assert!(!stack.allows(UpdateKind::Major));
    assert_eq!(
        (stack.min_age, stack.test, stack.holds.len()),
        (None, None, 0)
    );
    assert!(stack.matched.is_empty());
}

const FULL: &str = r#"min-age = "3d"
allow = ["patch"]
test = "make test"

[[ignore]]
id = "GHSA-top"
reason = "global"

[[hold]]
package = "python"
below = "3.13"
until = "2027-01-01"
reason = "wheels"

[[stack]]
path = "services/*"
allow = ["patch", "minor", "major"]
min-age = "7d"
test = "cargo test --locked"
hold = [{ package = "serde", below = "2", ecosystem = "crates.io", reason = "msrv" }]
ignore = [{ id = "GHSA-svc", reason = "dev server only", until = "2026-12-31" }]

[[stack]]
path = "services/legacy"
allow = []
test = "./legacy-tests.sh"

[[stack.hold]]
package = "Django"
below = "5"
reason = "ORM port"

[[stack.ignore]]
id = "PYSEC-1"
reason = "legacy"
"#;

#[test]
fn every_key_is_read() {
    let policy = ok(FULL);
    assert_eq!(policy.allow, Some(kinds(&[UpdateKind::Patch])));
    assert_eq!(policy.test.as_deref(), Some("make test"));
    assert_eq!(policy.min_age.as_ref().map(|a| a.0.as_str()), Some("3d"));
    assert_eq!(policy.ignores[0].id, "GHSA-top");
    let hold = &policy.holds[0];
    assert_eq!(
        (
            hold.package.as_str(),
            hold.below.as_str(),
            hold.reason.as_str()
        ),
        ("python", "3.13", "wheels")
    );
    assert_eq!(
        (hold.until.as_deref(), hold.ecosystem, hold.origin.as_str()),
        (Some("2027-01-01"), None, "nanoup.toml:9")
    );
    assert_eq!(policy.stacks.len(), 2);
    let services = &policy.stacks[0];
    assert_eq!(services.path, "services/*");
    assert_eq!(services.origin, "nanoup.toml:15");
    assert_eq!(
        services.allow,
        Some(kinds(&[
            UpdateKind::Patch,
            UpdateKind::Minor,
            UpdateKind::Major
        ]))
    );
    assert_eq!(services.holds[0].ecosystem, Some(Ecosystem::Cargo));
    assert_eq!(services.holds[0].origin, "nanoup.toml:20");
    assert_eq!(services.ignores[0].until.as_deref(), Some("2026-12-31"));
    let legacy = &policy.stacks[1];
    assert_eq!(legacy.allow, Some(BTreeSet::new()));
    assert_eq!(legacy.holds[0].package, "Django");
    assert_eq!(legacy.holds[0].origin, "nanoup.toml:28");
    assert_eq!(legacy.ignores[0].origin, "nanoup.toml:33");
}

#[test]
fn stacks_merge_in_file_order() {
    let policy = ok(FULL);
    // No table matches the root: top-level settings only.
    let root = policy.for_stack(".");
    assert_eq!(root.allow, kinds(&[UpdateKind::Patch]));
    assert_eq!(root.test.as_deref(), Some("make test"));
    assert_eq!(root.min_age.as_ref().map(|a| a.0.as_str()), Some("3d"));
    assert_eq!(root.holds.len(), 1);
    assert_eq!(root.ignores.len(), 1);
    // One table matches: its scalars replace the defaults, its lists add to them.
    let api = policy.for_stack("services/api");
    assert!(api.allows(UpdateKind::Major));
    assert_eq!(api.min_age.as_ref().map(|a| a.0.as_str()), Some("7d"));
    assert_eq!(
        api.min_age.as_ref().map(|a| a.1),
        Some(jiff::SignedDuration::from_hours(168))
    );
    assert_eq!(api.test.as_deref(), Some("cargo test --locked"));
    let held: Vec<&str> = api.holds.iter().map(|h| h.package.as_str()).collect();
    assert_eq!(held, ["python", "serde"]);
    let ignored: Vec<&str> = api.ignores.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ignored, ["GHSA-top", "GHSA-svc"]);
    assert_eq!(api.matched, ["nanoup.toml:15"]);
    // Both tables match: the later one wins for scalars it sets, keeps the earlier min-age.
    let legacy = policy.for_stack("./services/legacy/");
    assert!(legacy.allow.is_empty());
    assert_eq!(legacy.test.as_deref(), Some("./legacy-tests.sh"));
    assert_eq!(legacy.min_age.as_ref().map(|a| a.0.as_str()), Some("7d"));
    let held: Vec<&str> = legacy.holds.iter().map(|h| h.package.as_str()).collect();
    assert_eq!(held, ["python", "serde", "Django"]);
    let ignored: Vec<&str> = legacy.ignores.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ignored, ["GHSA-top", "GHSA-svc", "PYSEC-1"]);
    assert_eq!(legacy.matched, ["nanoup.toml:15", "nanoup.toml:23"]);
    // `*` does not cross `/`.
    assert!(policy.for_stack("services/api/web").matched.is_empty());
    assert!(policy.for_stack("services").matched.is_empty());
}

#[test]
fn globs() {
    let policy = ok(
        "[[stack]]\npath = \"./\"\ntest = \"root\"\n[[stack]]\npath = \"apps/**\"\ntest = \"apps\"\n[[stack]]\npath = \"**/docs\"\ntest = \"docs\"\n[[stack]]\npath = \"tools/{a,b}?\"\ntest = \"tools\"\n",
    );
    assert_eq!(policy.stacks[0].path, ".");
    let test = |path: &str| policy.for_stack(path).test;
    assert_eq!(test(".").as_deref(), Some("root"));
    assert_eq!(test("").as_deref(), Some("root"));
    assert_eq!(test("apps/web/ui").as_deref(), Some("apps"));
    assert_eq!(test("apps").as_deref(), None);
    assert_eq!(test("docs").as_deref(), Some("docs"));
    assert_eq!(test("a/b/docs").as_deref(), Some("docs"));
    assert_eq!(test("tools/a1").as_deref(), Some("tools"));
    assert_eq!(test("tools/c1").as_deref(), None);
    let unused: Vec<&str> = policy
        .unused_stacks(&[".", "apps/x"])
        .iter()
        .map(|s| s.path.as_str())
        .collect();
    assert_eq!(unused, ["**/docs", "tools/{a,b}?"]);
}

#[test]
fn mistakes_name_their_place() {
    // Unknown keys, everywhere.
    err(
        "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntill = 2027-01-01\n",
        4,
        1,
        "unknown key `untill` in an ignore rule",
    );
    err("[ignores]\n", 1, 2, "unknown key `ignores`");
    err("min_age = \"3d\"\n", 1, 1, "unknown key `min_age`");
    err(
        "[[stack]]\npath = \"a\"\n  tests = \"x\"\n",
        3,
        3,
        "unknown key `tests` in a [[stack]] table",
    );
    err(
        "[[stack]]\npath = \"a\"\nhold = [{ package = \"p\", below = \"1\", reason = \"r\", untl = \"2027-01-01\" }]\n",
        3,
        53,
        "unknown key `untl` in a hold of the [[stack]] at line 1",
    );
    err(
        "[[stack]]\npath = \"a\"\n[[stack.ignore]]\nid = \"X\"\nreason = \"r\"\nwhy = \"\"\n",
        6,
        1,
        "unknown key `why` in an ignore rule of the [[stack]] at line 1",
    );
    err(
        "[[hold]]\npackage = \"p\"\nbelow = \"1\"\nreason = \"r\"\nversion = \"1\"\n",
        5,
        1,
        "unknown key `version` in a hold",
    );
    // Missing or wrongly typed values.
    err("[[ignore]]\nid = \"A\"\n", 1, 1, "needs a `reason`");
    err("[[ignore]]\nreason = \"r\"\n", 1, 1, "needs an `id`");
    err(
        "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntil = \"soon\"\n",
        4,
        9,
        "expected `until` to be a date",
    );
    err(
        "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntil = \"2027-02-30\"\n",
        4,
        9,
        "expected `until` to be a date",
    );
    err(
        "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntil = 2027-02-30\n",
        4,
        9,
        "invalid TOML: invalid date",
    );
    err(
        "[[hold]]\npackage = \"p\"\nbelow = \"1\"\nreason = \"r\"\nuntil = 2027-01-01T00:00:00Z\n",
        5,
        9,
        "expected `until` to be a date",
    );
    err("[[ignore]\n", 1, 10, "invalid TOML");
    err(
        "[[hold]]\nbelow = \"1\"\nreason = \"r\"\n",
        1,
        1,
        "a hold needs a `package`",
    );
    err(
        "[[hold]]\npackage = \"p\"\nreason = \"r\"\n",
        1,
        1,
        "the hold of p needs `below`",
    );
    err(
        "[[hold]]\npackage = \"p\"\nbelow = 3.13\nreason = \"r\"\n",
        3,
        9,
        "quote versions",
    );
    err(
        "[[hold]]\npackage = \"p\"\nbelow = \"1\"\n",
        1,
        1,
        "the hold of p needs a `reason`",
    );
    err(
        "[[hold]]\npackage = \"p\"\nbelow = \"1\"\nreason = \"  \"\n",
        4,
        10,
        "`reason` to be a non-empty string",
    );
    err(
        "[[hold]]\npackage = \"p\"\nbelow = \"1\"\nreason = \"r\"\necosystem = \"pip\"\n",
        5,
        13,
        "unknown ecosystem `pip`",
    );
    err(
        "[[hold]]\npackage = \"p\"\nbelow = \"not a version!\"\nreason = \"r\"\necosystem = \"PyPI\"\n",
        3,
        9,
        "invalid `below`: invalid PEP 440 version",
    );
    err(
        "hold = \"python\"\n",
        1,
        8,
        "expected `hold` to be [[hold]] tables",
    );
    err(
        "hold = [\"python\"]\n",
        1,
        9,
        "expected `hold` to hold inline tables",
    );
    err(
        "[stack]\npath = \"a\"\n",
        1,
        1,
        "expected `stack` to be [[stack]] tables",
    );
    // Kinds.
    err(
        "allow = \"major\"\n",
        1,
        9,
        "expected `allow` to be an array",
    );
    err(
        "allow = [\"patch\", \"mayor\"]\n",
        1,
        19,
        "unknown update kind `mayor`",
    );
    err("allow = [\"patch\", 1]\n", 1, 19, "expected an update kind");
    err(
        "allow = [\"patch\", \"patch\"]\n",
        1,
        19,
        "listed twice in `allow`",
    );
    // Stacks.
    err("[[stack]]\ntest = \"x\"\n", 1, 1, "needs a `path` glob");
    err(
        "[[stack]]\npath = 1\n",
        2,
        8,
        "`path` to be a non-empty string",
    );
    err(
        "[[stack]]\npath = \"a/[b\"\n",
        2,
        8,
        "invalid glob in `path`",
    );
    err(
        "[[stack]]\npath = \"a\"\nmin-age = \"1 month\"\n",
        3,
        11,
        "invalid `min-age`",
    );
    err(
        "[[stack]]\npath = \"a\"\ntest = \"\"\n",
        3,
        8,
        "`test` to be a non-empty string",
    );
    err(
        "[[stack]]\npath = \"a\"\nallow = [\"major\", \"huge\"]\n",
        3,
        19,
        "unknown update kind `huge`",
    );
}

#[test]
fn expiry_of_holds_and_ignores() {
    let policy = ok(FULL);
    assert!(policy.expired("2026-12-31").is_empty());
    assert_eq!(
        policy.expired("2027-01-01"),
        ["ignore of GHSA-svc (nanoup.toml:21) expired on 2026-12-31: no longer silenced"]
    );
    assert_eq!(
        policy.expired("2027-01-02"),
        [
            "hold of python below 3.13 (nanoup.toml:9) expired on 2027-01-01: no longer holds",
            "ignore of GHSA-svc (nanoup.toml:21) expired on 2026-12-31: no longer silenced",
        ]
    );
    let api = policy.for_stack("services/api");
    assert!(api.expired_holds("2027-01-01").is_empty());
    assert_eq!(api.expired_holds("2027-01-02")[0].package, "python");
    assert_eq!(api.expired_ignores("2027-01-01")[0].id, "GHSA-svc");
    let python = &policy.holds[0];
    assert!(
        python
            .blocks("python", "3.13.0", "2027-01-01", Scheme::Pep440)
            .unwrap()
    );
    assert!(
        !python
            .blocks("python", "3.13.0", "2027-01-02", Scheme::Pep440)
            .unwrap()
    );
}

fn hold(package: &str, below: &str) -> nanoup_policy::Hold {
    ok(&format!(
        "[[hold]]\npackage = \"{package}\"\nbelow = \"{below}\"\nreason = \"r\"\n"
    ))
    .holds
    .remove(0)
}

fn blocked(h: &nanoup_policy::Hold, scheme: Scheme, version: &str) -> bool {
    h.blocks(&h.package.clone(), version, "2026-01-01", scheme)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn holds_compare_in_the_ecosystems_scheme() {
    let python = hold("python", "3.13");
    for v in [
        "3.13.0",
        "3.13",
        "3.14",
        "3.13.1",
        "4.0",
        "3.13.0rc1",
        "3.13.0a1",
        "3.13.dev0",
    ] {
        assert!(blocked(&python, Scheme::Pep440, v), "{v} is held");
    }
    for v in ["3.12.9", "3.12.10.post1", "3.9", "3.12.99rc1", "3.12+local"] {
        assert!(!blocked(&python, Scheme::Pep440, v), "{v} is allowed");
    }
    // Strings would order 3.9 above 3.13; the scheme does not.
    assert!(!blocked(&hold("x", "3.13"), Scheme::SemVer, "3.9.0"));

    let serde = hold("serde", "2.0.0");
    for v in [
        "2.0.0",
        "2.0.0-rc.1",
        "2.0.0-0",
        "2.0.0-alpha",
        "2.1.0",
        "10.0.0",
    ] {
        assert!(blocked(&serde, Scheme::SemVer, v), "{v} is held");
    }
    for v in ["1.9.9", "1.0.228", "1.99.0-beta"] {
        assert!(!blocked(&serde, Scheme::SemVer, v), "{v} is allowed");
    }
    // A prerelease bound is taken literally.
    let rc = hold("serde", "2.0.0-rc.1");
    assert!(!blocked(&rc, Scheme::SemVer, "2.0.0-beta.3"));
    assert!(blocked(&rc, Scheme::SemVer, "2.0.0-rc.1"));
    assert!(blocked(&rc, Scheme::SemVer, "2.0.0"));

    let react = hold("react", "19");
    assert!(blocked(&react, Scheme::Npm, "19.0.0-rc-66855b96-20241106"));
    assert!(blocked(&react, Scheme::Npm, "v19.1.0"));
    assert!(!blocked(&react, Scheme::Npm, "18.3.1"));

    let module = hold("golang.org/x/net", "v0.30.0");
    assert!(blocked(
        &module,
        Scheme::Go,
        "v0.30.0-20240101000000-abcdefabcdef"
    ));
    assert!(blocked(&module, Scheme::Go, "v0.31.0"));
    assert!(!blocked(&module, Scheme::Go, "v0.29.0"));
    assert!(!blocked(
        &module,
        Scheme::Go,
        "v0.29.1-0.20240101000000-abcdefabcdef"
    ));

    let guava = hold("com.google.guava:guava", "33.0");
    for v in [
        "33.0",
        "33.0.0-jre",
        "33.0-alpha-1",
        "33.0-SNAPSHOT",
        "33.0-rc1",
        "34.1",
    ] {
        assert!(blocked(&guava, Scheme::Maven, v), "{v} is held");
    }
    for v in ["32.1.3-jre", "32.99", "32.1.3-android"] {
        assert!(!blocked(&guava, Scheme::Maven, v), "{v} is allowed");
    }
}

#[test]
fn holds_match_names_and_ecosystems() {
    let django = hold("Django", "5");
    assert!(blocked(&django, Scheme::Pep440, "5.0"));
    assert!(
        django
            .blocks("django", "5.0", "2026-01-01", Scheme::Pep440)
            .unwrap()
    );
    assert!(
        !django
            .blocks("djangorestframework", "5.0", "2026-01-01", Scheme::Pep440)
            .unwrap()
    );
    // Outside PyPI names compare exactly.
    assert!(
        !django
            .blocks("django", "5.0.0", "2026-01-01", Scheme::Npm)
            .unwrap()
    );

    let policy = ok(FULL);
    let api = policy.for_stack("services/api");
    let today = "2026-06-01";
    let held = api
        .held_by(Ecosystem::Cargo, "serde", "2.0.0", today, Scheme::SemVer)
        .unwrap();
    assert_eq!(held.map(|h| h.origin.as_str()), Some("nanoup.toml:20"));
    assert_eq!(
        api.held_by(Ecosystem::Npm, "serde", "2.0.0", today, Scheme::Npm),
        Ok(None),
        "the serde hold is for crates.io only"
    );
    assert_eq!(
        api.held_by(Ecosystem::Cargo, "serde", "1.0.200", today, Scheme::SemVer),
        Ok(None)
    );
    let python = api
        .held_by(Ecosystem::Docker, "python", "3.13.1", today, Scheme::Pep440)
        .unwrap();
    assert_eq!(python.map(|h| h.reason.as_str()), Some("wheels"));
}

#[test]
fn holds_that_cannot_compare_are_errors() {
    let bad = hold("p", "not-a-version!");
    let e = bad
        .blocks("p", "1.0", "2026-01-01", Scheme::Pep440)
        .unwrap_err();
    assert_eq!(e.origin, "nanoup.toml:1");
    assert!(
        e.to_string()
            .starts_with("nanoup.toml:1: the hold of p: `below`"),
        "{e}"
    );
    // Another package is never compared.
    assert_eq!(
        bad.blocks("q", "1.0", "2026-01-01", Scheme::Pep440),
        Ok(false)
    );
    let good = hold("p", "2");
    let e = good
        .blocks("p", "latest", "2026-01-01", Scheme::SemVer)
        .unwrap_err();
    assert!(e.message.contains("cannot compare p"), "{e}");
}

#[test]
fn update_size_limits_merge_per_stack() {
    let text = "max-blast-radius = 5\n\n[[stack]]\npath = \"services/*\"\nmax-blast-radius = 20\nmanifest-changes = false\n";
    let policy = ok(text);
    let root = policy.for_stack(".");
    assert_eq!(root.max_blast_radius, Some(5));
    assert!(
        root.manifest_changes,
        "manifest changes are allowed by default"
    );
    let service = policy.for_stack("services/api");
    assert_eq!(service.max_blast_radius, Some(20));
    assert!(!service.manifest_changes);
    assert_eq!(
        ok("").for_stack(".").max_blast_radius,
        Some(nanoup_policy::DEFAULT_MAX_BLAST_RADIUS),
        "unset is the default limit"
    );
    assert_eq!(
        ok("max-blast-radius = 0\n").for_stack(".").max_blast_radius,
        None,
        "0 is no limit"
    );
    let mixed = ok("max-blast-radius = 0\n\n[[stack]]\npath = \"a\"\nmax-blast-radius = 7\n");
    assert_eq!(mixed.for_stack("a").max_blast_radius, Some(7));
    assert_eq!(mixed.for_stack("b").max_blast_radius, None);
    err(
        "max-blast-radius = -1\n",
        1,
        20,
        "number of lockfile entries",
    );
    err(
        "max-blast-radius = \"5\"\n",
        1,
        20,
        "number of lockfile entries",
    );
    err("manifest-changes = \"no\"\n", 1, 20, "true or false");
}
