//! docs/policy.schema.json against docs/policy.md's example and against the parser.

use std::path::PathBuf;

use jsonschema::Validator;
use nanoup_core::UpdateKind;
use nanoup_policy::{POLICY_FILE, parse};
use serde_json::Value;

fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

fn validator() -> Validator {
    let text = std::fs::read_to_string(docs().join("policy.schema.json")).expect("schema exists");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::draft202012::options()
        .build(&schema)
        .expect("the schema compiles")
}

/// The TOML document as JSON: TOML dates become their `YYYY-MM-DD` text, as the schema says.
fn to_json(text: &str) -> Value {
    fn dates_as_text(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.len() == 1
                    && let Some(Value::String(date)) = map.get("$__toml_private_datetime")
                {
                    *value = Value::String(date.clone());
                    return;
                }
                map.values_mut().for_each(dates_as_text);
            }
            Value::Array(items) => items.iter_mut().for_each(dates_as_text),
            _ => {}
        }
    }
    let mut value: Value = toml_edit::de::from_str(text).expect("valid TOML");
    dates_as_text(&mut value);
    value
}

fn schema_errors(validator: &Validator, text: &str) -> Vec<String> {
    let value = to_json(text);
    validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// The ```toml blocks of docs/policy.md.
fn toml_blocks() -> Vec<String> {
    let text = std::fs::read_to_string(docs().join("policy.md")).expect("docs/policy.md exists");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```toml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_documented_example_is_valid() {
    let validator = validator();
    let blocks = toml_blocks();
    assert!(!blocks.is_empty(), "docs/policy.md has a ```toml example");
    for block in &blocks {
        let errors = schema_errors(&validator, block);
        assert!(errors.is_empty(), "schema: {errors:#?}\n{block}");
        parse(POLICY_FILE, block).unwrap_or_else(|e| panic!("parser: {e}\n{block}"));
    }
    // What the text after the example says about it.
    let policy = parse(POLICY_FILE, &blocks[0]).unwrap();
    let legacy = policy.for_stack("services/legacy");
    assert_eq!(legacy.allow, [UpdateKind::Patch].into_iter().collect());
    assert_eq!(legacy.test.as_deref(), Some("./run-legacy-tests.sh"));
    assert_eq!(legacy.min_age.as_ref().map(|a| a.0.as_str()), Some("7d"));
    let held: Vec<&str> = legacy.holds.iter().map(|h| h.package.as_str()).collect();
    assert_eq!(held, ["python", "serde", "Django"]);
    assert_eq!(
        policy.expired("2027-01-02"),
        [
            "ignore of RUSTSEC-2020-0071 (nanoup.toml:7) expired on 2027-01-01: no longer silenced",
            "hold of python below 3.13 (nanoup.toml:12) expired on 2027-01-01: no longer holds",
            "ignore of GHSA-c2qf-rxjj-qqgw (nanoup.toml:26) expired on 2026-12-31: no longer silenced",
        ]
    );
}

/// Policies both the schema and the parser reject.
#[test]
fn unknown_keys_fail_both() {
    let validator = validator();
    let cases = [
        "min_age = \"3d\"\n",
        "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntill = 2027-01-01\n",
        "[[hold]]\npackage = \"p\"\nbelow = \"1\"\nreason = \"r\"\nversion = \"1\"\n",
        "[[stack]]\npath = \"a\"\ntests = \"make\"\n",
        "[[stack]]\npath = \"a\"\nhold = [{ package = \"p\", below = \"1\", reason = \"r\", note = \"\" }]\n",
        "[[stack]]\npath = \"a\"\n[[stack.ignore]]\nid = \"X\"\nreason = \"r\"\nwhy = \"\"\n",
    ];
    for text in cases {
        assert!(
            !schema_errors(&validator, text).is_empty(),
            "the schema accepts:\n{text}"
        );
        let e = parse(POLICY_FILE, text).expect_err(text);
        assert!(e.message.contains("unknown key"), "{e}");
    }
}

/// Other mistakes the schema can express are rejected by both as well.
#[test]
fn other_mistakes_fail_both() {
    let validator = validator();
    let cases = [
        "allow = [\"patch\", \"mayor\"]\n",
        "allow = [\"patch\", \"patch\"]\n",
        "allow = \"major\"\n",
        "min-age = \"1 month\"\n",
        "min-age = 3\n",
        "test = \"\"\n",
        "[[ignore]]\nid = \"A\"\n",
        "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntil = \"2027-13-01\"\n",
        "[[hold]]\npackage = \"p\"\nreason = \"r\"\n",
        "[[hold]]\npackage = \"p\"\nbelow = 3.13\nreason = \"r\"\n",
        "[[hold]]\npackage = \"p\"\nbelow = \"1\"\nreason = \"r\"\necosystem = \"pypi\"\n",
        "[[stack]]\ntest = \"x\"\n",
        "[stack]\npath = \"a\"\n",
        "hold = [\"python\"]\n",
    ];
    for text in cases {
        assert!(
            !schema_errors(&validator, text).is_empty(),
            "the schema accepts:\n{text}"
        );
        assert!(
            parse(POLICY_FILE, text).is_err(),
            "the parser accepts:\n{text}"
        );
    }
}

/// Ages the schema documents are ages the parser reads.
#[test]
fn documented_ages_parse() {
    let validator = validator();
    for age in [
        "3d",
        "1w",
        "12h",
        "30m",
        "0s",
        "1d 12h",
        "1d12h",
        "3 days",
        "2 weeks",
        "90 minutes",
    ] {
        let text = format!("min-age = \"{age}\"\n");
        let errors = schema_errors(&validator, &text);
        assert!(errors.is_empty(), "{age}: {errors:?}");
        parse(POLICY_FILE, &text).unwrap_or_else(|e| panic!("{age}: {e}"));
    }
}
