//! `nanoup apply` on pom.xml and Dockerfiles, hermetic: temporary git copies of corpus files and
//! hand-made plans (digests of the files as `nanoup plan` records them). Only the version text
//! changes, byte for byte; a property other dependencies or modules share, and a digest-pinned
//! image whose new digest is not known, are refused with the file left byte-identical; with
//! `--commit` each applied update is its own commit carrying the rollback trailers.

mod common;

use std::path::Path;

use common::repo::{
    apply_plan, byte_diff, git, init_repository, nanoup, rollback_commit, shared, update,
    write_plan,
};
use nanoup_core::Ecosystem;
use serde_json::Value;

const STRUTS: &str = "corpus/maven/apache__struts__4cf9093cc5";
const MICROSERVICES: &str = "corpus/docker/GoogleCloudPlatform__microservices-demo__3c0d659780";

/// Copies `files` of the shared set `set` into `dir`, keeping their paths.
fn copy_set(set: &str, files: &[&str], dir: &Path) {
    for file in files {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(shared(set).join(file), to).unwrap();
    }
}

/// Runs `nanoup apply --all --commit --json --plan PLAN DIR`, where one update of the plan is
/// refused (exit code 1): the JSON report.
fn apply_all_committed(home: &Path, dir: &Path, plan: &Path) -> Value {
    let (code, out) = apply_plan(home, dir, plan, &["--all", "--commit", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    serde_json::from_str(&out).unwrap()
}

/// The trailers of the commit `revision`.
fn message_of(dir: &Path, revision: &str) -> String {
    git(dir, &["log", "-1", "--format=%B", revision])
}

/// The files the commit `revision` changed.
fn files_of(dir: &Path, revision: &str) -> Vec<String> {
    git(dir, &["show", "--name-only", "--format=", revision])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn pom_versions_and_properties_move_alone_and_shared_properties_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let poms = [
        "pom.xml",
        "core/pom.xml",
        "apps/showcase/pom.xml",
        "plugins/rest/pom.xml",
        "plugins/spring/pom.xml",
    ];
    copy_set(STRUTS, &poms, dir.path());
    init_repository(dir.path());
    let pom = dir.path().join("pom.xml");
    let original = std::fs::read(&pom).unwrap();
    let maven =
        |name: &str, from: &str, to: &str| update(Ecosystem::Maven, "pom.xml", name, from, to);
    // `ognl.version` is used by ognl alone; freemarker's version is written in its <version>.
    let ognl = maven("ognl:ognl", "3.1.28", "3.1.29");
    let freemarker = maven("org.freemarker:freemarker", "2.3.30", "2.3.31");
    // `jackson.version` moves three artifacts; `log4j2.version` is inherited by core and showcase.
    let jackson = maven(
        "com.fasterxml.jackson.core:jackson-databind",
        "2.10.3",
        "2.10.5",
    );
    let log4j = maven("org.apache.logging.log4j:log4j-api", "2.12.1", "2.17.1");

    // A shared property: refused, naming the others, the file byte-identical.
    let plan = write_plan(
        home.path(),
        dir.path(),
        "jackson",
        std::slice::from_ref(&jackson),
    );
    let (code, out) = apply_plan(home.path(), dir.path(), &plan, &["--all"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("refused"), "{out}");
    assert!(
        out.contains("`jackson.version`")
            && out.contains("com.fasterxml.jackson.core:jackson-core (line 1080)")
            && out.contains("not a nano update"),
        "{out}"
    );
    assert_eq!(std::fs::read(&pom).unwrap(), original, "byte-identical");

    // A dry run computes the edits and writes nothing.
    let all = [
        ognl.clone(),
        jackson.clone(),
        freemarker.clone(),
        log4j.clone(),
    ];
    let plan = write_plan(home.path(), dir.path(), "all", &all);
    let (code, out) = apply_plan(home.path(), dir.path(), &plan, &["--dry-run", "--all"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("property `ognl.version` (line 102), used only by ognl:ognl"),
        "{out}"
    );
    assert_eq!(std::fs::read(&pom).unwrap(), original);

    // The real thing, one commit per applied update.
    let result = apply_all_committed(home.path(), dir.path(), &plan);
    let statuses: Vec<&str> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["applied", "refused", "applied", "refused"],
        "{result}"
    );
    assert_eq!(
        result["results"][0]["changed"],
        serde_json::json!([{"name": "ognl:ognl", "from": "3.1.28", "to": "3.1.29"}])
    );
    assert_eq!(
        result["results"][0]["method"],
        "in-place edit of pom.xml: property `ognl.version` (line 102), used only by ognl:ognl"
    );
    let refused = result["results"][3]["reason"].as_str().unwrap();
    assert!(
        refused.contains("`log4j2.version`")
            && refused.contains(
                "core/pom.xml: dependency org.apache.logging.log4j:log4j-core (line 322)"
            ),
        "{refused}"
    );

    // Each commit changed exactly one version text of pom.xml, and nothing else.
    let log = git(dir.path(), &["log", "--format=%s"]);
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "chore(deps): nano update org.freemarker:freemarker 2.3.30 -> 2.3.31",
            "chore(deps): nano update ognl:ognl 3.1.28 -> 3.1.29",
            "init",
        ]
    );
    let at =
        |revision: &str| git(dir.path(), &["show", &format!("{revision}:pom.xml")]).into_bytes();
    let (first, second) = (at("HEAD~1"), at("HEAD"));
    let (offset, before, after) = byte_diff(&original, &first);
    assert_eq!((before, after), (&b"8"[..], &b"9"[..]));
    assert!(original[..offset].ends_with(b"<ognl.version>3.1.2"));
    let (offset, before, after) = byte_diff(&first, &second);
    assert_eq!((before, after), (&b"0"[..], &b"1"[..]));
    assert!(
        original[..offset]
            .ends_with(b"<artifactId>freemarker</artifactId>\n                <version>2.3.3")
    );
    assert_eq!(std::fs::read(&pom).unwrap(), second);
    for revision in ["HEAD", "HEAD~1"] {
        assert_eq!(files_of(dir.path(), revision), ["pom.xml"]);
    }
    // The trailers `nanoup rollback` finds the update by.
    let message = message_of(dir.path(), "HEAD~1");
    assert!(
        message.contains(&format!("Nanoup-Update: {}", ognl.id)),
        "{message}"
    );
    assert!(
        message.contains("Nanoup-Package: pkg:maven/ognl/ognl@3.1.28 -> 3.1.29"),
        "{message}"
    );
    assert!(message.contains("Nanoup-Blast-Radius: 1"), "{message}");
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");

    // Each rolls back alone; both rolled back give the original pom byte for byte.
    for id in [&ognl.id, &freemarker.id] {
        rollback_commit(nanoup(home.path()), dir.path(), id);
    }
    assert_eq!(std::fs::read(&pom).unwrap(), original);
}

#[test]
fn dockerfile_tags_move_alone_and_digest_pins_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let debug = "src/cartservice/src/Dockerfile.debug";
    let frontend = "src/frontend/Dockerfile";
    copy_set(MICROSERVICES, &[debug, frontend], dir.path());
    // Every corpus image is pinned by digest: unpin Dockerfile.debug's to move a tag alone.
    let pinned = std::fs::read_to_string(dir.path().join(debug)).unwrap();
    let unpinned: String = pinned
        .split_inclusive('\n')
        .map(
            |line| match (line.starts_with("FROM "), line.find("@sha256:")) {
                (true, Some(at)) => {
                    let end = line[at..].find(' ').map_or(line.len(), |e| at + e);
                    format!("{}{}", &line[..at], &line[end..])
                }
                _ => line.to_string(),
            },
        )
        .collect();
    std::fs::write(dir.path().join(debug), &unpinned).unwrap();
    init_repository(dir.path());
    let frontend_before = std::fs::read(dir.path().join(frontend)).unwrap();

    let sdk = update(
        Ecosystem::Docker,
        debug,
        "mcr.microsoft.com/dotnet/sdk",
        "7.0",
        "7.0.100",
    );
    let golang = update(
        Ecosystem::Docker,
        frontend,
        "golang",
        "1.19.4-alpine",
        "1.19.5-alpine",
    );
    let plan = write_plan(
        home.path(),
        dir.path(),
        "docker",
        &[sdk.clone(), golang.clone()],
    );
    let result = apply_all_committed(home.path(), dir.path(), &plan);
    assert_eq!(result["results"][0]["status"], "applied", "{result}");
    assert_eq!(
        result["results"][0]["changed"],
        serde_json::json!([{"name": "mcr.microsoft.com/dotnet/sdk", "from": "7.0", "to": "7.0.100"}])
    );
    assert_eq!(result["results"][1]["status"], "refused", "{result}");
    let reason = result["results"][1]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("src/frontend/Dockerfile:15: `golang:1.19.4-alpine@sha256:f33331e")
            && reason.contains("the digest of golang:1.19.5-alpine is not available"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read(dir.path().join(frontend)).unwrap(),
        frontend_before,
        "byte-identical"
    );

    // Only the tag text changed, in its own commit.
    let after = std::fs::read(dir.path().join(debug)).unwrap();
    let (offset, before, added) = byte_diff(unpinned.as_bytes(), &after);
    assert_eq!((before, added), (&b""[..], &b".100"[..]));
    assert!(unpinned[..offset].ends_with("FROM mcr.microsoft.com/dotnet/sdk:7.0"));
    assert_eq!(files_of(dir.path(), "HEAD"), [debug]);
    let message = message_of(dir.path(), "HEAD");
    assert!(
        message.starts_with("chore(deps): nano update mcr.microsoft.com/dotnet/sdk 7.0 -> 7.0.100"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Nanoup-Update: {}", sdk.id)),
        "{message}"
    );
    assert!(message.contains("Nanoup-Blast-Radius: 1"), "{message}");
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");

    // Rolled back by id, the tag is back byte for byte.
    rollback_commit(nanoup(home.path()), dir.path(), &sdk.id);
    assert_eq!(
        std::fs::read_to_string(dir.path().join(debug)).unwrap(),
        unpinned
    );
}
