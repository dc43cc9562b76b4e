//! `nanoup scan` as a user runs it: on the real corpus, on bad input, and its output contract.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

fn nanoup(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("nanoup").expect("binary built");
    cmd.env("NANOUP_HOME", home)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

fn scan_json(path: &Path) -> (Value, i32) {
    let home = tempfile::tempdir().unwrap();
    let out = nanoup(home.path())
        .args(["scan", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (json, out.status.code().unwrap_or(-1))
}

/// The sets of ../shared/corpus/MANIFEST.md: (ecosystem column, path column).
fn manifest_sets() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(corpus().join("MANIFEST.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| ") && l.contains("`"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let path = cells.get(2)?.trim_matches('`').trim_end_matches('/');
            Some((cells.get(1)?.to_string(), path.to_string()))
        })
        .collect()
}

/// Every stack of the scan whose path lies in the corpus set `set`.
fn stacks_of<'a>(scan: &'a Value, set: &str) -> Vec<&'a Value> {
    scan["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let p = s["path"].as_str().unwrap();
            p == set || p.starts_with(&format!("{set}/"))
        })
        .collect()
}

fn count(stacks: &[&Value]) -> usize {
    stacks
        .iter()
        .map(|s| s["components"].as_array().unwrap().len())
        .sum()
}

#[test]
fn the_corpus_scans_completely_with_expected_counts() {
    let (scan, code) = scan_json(&corpus());
    assert_eq!(scan["schema"], "nanoup.scan/v1");
    assert_eq!(
        scan["errors"],
        Value::Array(vec![]),
        "the corpus parses without errors"
    );
    assert_eq!(code, 0);
    let sets = manifest_sets();
    assert_eq!(sets.len(), 16, "MANIFEST.md lists 16 sets");
    let osv_name = |column: &str| match column {
        "cargo" => "crates.io",
        "npm" => "npm",
        "python" => "PyPI",
        "maven" => "Maven",
        "go" => "Go",
        "docker" => "docker",
        other => panic!("unknown ecosystem column {other}"),
    };
    for (ecosystem, set) in &sets {
        let stacks = stacks_of(&scan, set);
        assert!(!stacks.is_empty(), "no stack found in {set}");
        for stack in &stacks {
            assert_eq!(stack["ecosystem"], osv_name(ecosystem), "{set}");
        }
    }
    // Counting rule: distinct (name, version) pairs of each lockfile, without the project's own
    // packages (workspace members, the root project, workspace links). See docs/formats.md.
    let expected: &[(&str, usize)] = &[
        ("cargo/BurntSushi__ripgrep__7cb211378a", 55),
        ("cargo/Rigellute__spotify-tui__7a5a04c91a", 223),
        ("cargo/getzola__zola__a3a5b9ea06", 304),
        // 1839 lock v1 entries, 1491 distinct name@version (MANIFEST.md).
        (
            "npm/coreui__coreui-free-react-admin-template__cd23931612",
            1491,
        ),
        // 1063 packages entries less the root "" -> 921 distinct (MANIFEST.md).
        ("npm/typicode__json-server__78ea713756", 921),
        ("npm/typicode__husky__9baeb13260", 359),
        // 2178 yarn v1 blocks, each a distinct name@version.
        ("npm/alan2207__bulletproof-react__32ed545844", 2178),
        // 958 pnpm packages; /vite/3.0.9 and /vite/3.0.9_terser@5.15.1 are one name@version.
        ("npm/vuejs__core__6f663d47e5", 957),
        ("python/CTFd__CTFd__a33a31b1f8", 59),
        // 81 uv.lock packages less the project itself (editable ".").
        (
            "python/fastapi__full-stack-fastapi-template__7e5ca88dc2",
            80,
        ),
        // 121 default + 72 develop, 12 of them the same name==version in both sections.
        ("python/saleor__saleor__33da5754e1", 181),
        ("python/saleor__saleor__98ebf96d65", 208),
        // go.mod requirements (32 require lines); go.sum-only modules are not components.
        ("go/cli__cli__e2973453b5", 32),
        // 39 FROM lines in 12 Dockerfiles; stage references and repeated images excluded.
        (
            "docker/GoogleCloudPlatform__microservices-demo__3c0d659780",
            19,
        ),
        ("docker/prometheus__node_exporter__b597c1244d", 1),
        // Per pom: root dependencyManagement 112, core 39, showcase 23, rest 11, spring 9.
        ("maven/apache__struts__4cf9093cc5", 194),
    ];
    for (set, n) in expected {
        assert_eq!(count(&stacks_of(&scan, set)), *n, "{set}");
    }
}

#[test]
fn output_is_deterministic() {
    let home = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        nanoup(home.path())
            .args(["scan", "--format", format])
            .arg(corpus())
            .output()
            .unwrap()
            .stdout
    };
    for format in ["json", "table", "cyclonedx", "spdx"] {
        assert_eq!(
            run(format),
            run(format),
            "{format} output differs between runs"
        );
    }
}

#[test]
fn a_broken_file_is_reported_and_the_rest_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let good = corpus().join("cargo/Rigellute__spotify-tui__7a5a04c91a");
    std::fs::create_dir(dir.path().join("good")).unwrap();
    for f in ["Cargo.lock", "Cargo.toml"] {
        std::fs::copy(good.join(f), dir.path().join("good").join(f)).unwrap();
    }
    std::fs::create_dir(dir.path().join("bad")).unwrap();
    let broken =
        "[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"x\nversion";
    std::fs::write(dir.path().join("bad/Cargo.lock"), broken).unwrap();
    let (scan, code) = scan_json(dir.path());
    assert_eq!(
        code, 2,
        "a file that failed to parse makes the exit status 2"
    );
    let errors = scan["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "bad/Cargo.lock");
    // toml_edit reads `"x` up to the line end, then finds the key `version` without `=`.
    assert_eq!(errors[0]["line"], 7);
    assert_eq!(errors[0]["column"], 8);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("expected `=`"),
        "{errors:?}"
    );
    assert_eq!(count(&stacks_of(&scan, "good")), 223);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad/Cargo.lock")).unwrap(),
        broken,
        "input untouched"
    );
}

#[test]
fn gitignored_and_dependency_folders_are_not_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let lock = corpus().join("cargo/Rigellute__spotify-tui__7a5a04c91a/Cargo.lock");
    for sub in [
        "app",
        "node_modules/x",
        "target/x",
        "vendor/x",
        "ignored",
        ".venv",
        "env",
    ] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::copy(&lock, dir.path().join(sub).join("Cargo.lock")).unwrap();
    }
    std::fs::write(dir.path().join("env/pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    std::fs::write(dir.path().join(".gitignore"), "/ignored\n").unwrap();
    let (scan, code) = scan_json(dir.path());
    assert_eq!(code, 0);
    let paths: Vec<&str> = scan["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["app"]);
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("scan.json");
    let home = tempfile::tempdir().unwrap();
    nanoup(home.path())
        .args(["scan", "--format", "json", "--output"])
        .arg(&out_file)
        .arg(corpus().join("cargo"))
        .assert()
        .success()
        .stdout("");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(json["stacks"].as_array().unwrap().len(), 3);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn output_to_a_device_writes_through_it_instead_of_replacing_it() {
    let home = tempfile::tempdir().unwrap();
    nanoup(home.path())
        .args(["scan", "--format", "json", "--output", "/dev/null"])
        .arg(corpus().join("cargo"))
        .assert()
        .success();
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata("/dev/null").unwrap().file_type();
    assert!(kind.is_char_device(), "/dev/null must still be the device");
}

#[test]
fn a_missing_path_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    nanoup(home.path())
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot scan /definitely/not/here",
        ));
}

#[test]
fn help_explains_itself() {
    let home = tempfile::tempdir().unwrap();
    let help = nanoup(home.path()).arg("--help").output().unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(
        text.contains("scan") && text.contains("NANOUP_HOME"),
        "{text}"
    );
    let help = nanoup(home.path())
        .args(["scan", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    for word in ["cyclonedx", "spdx", ".gitignore", "Exit status", "--output"] {
        assert!(text.contains(word), "scan --help lacks {word}: {text}");
    }
}
