//! `nanoup apply` on a yarn.lock, a pnpm-lock.yaml and a go.mod, hermetic: temporary git copies
//! of corpus files, hand-made plans (with the digests `nanoup plan` records), the npm
//! packuments from the local replay server, and no go, yarn or pnpm on the PATH.
//!
//! - yarn.lock (bulletproof-react): axios 0.21.1 -> 0.21.4 is applied in place, the bytes
//!   changing inside axios's block only; updates that need other blocks to change (a new
//!   header specifier, a split block) are refused, the file byte-identical, naming
//!   `yarn upgrade NAME@TO`;
//! - yarn.lock of yarn 4 (tests/fixtures/yarn-berry): without yarn 2+ to complete the edit
//!   (none on the PATH, or one that says 1.x), refused, byte-identical;
//! - pnpm-lock.yaml (vue core): refused when a dependent pins the version (its range from the
//!   recorded packument), naming `pnpm update NAME@TO`, byte-identical;
//! - go.mod (cli/cli) without go: the `require` line is edited in place and the method says
//!   that go.sum needs `go mod tidy`; go.sum is untouched.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::replay::Replay;
use common::repo::{
    apply_plan_with, byte_diff, git, init_repository, nanoup, shared, update, write_plan,
};
use nanoup_core::Ecosystem;
use serde_json::Value;

const BULLETPROOF: &str = "corpus/npm/alan2207__bulletproof-react__32ed545844";
const VUE: &str = "corpus/npm/vuejs__core__6f663d47e5";
const CLI: &str = "corpus/go/cli__cli__e2973453b5";

/// Runs `nanoup apply --all --json [--commit] --plan PLAN DIR` with an empty PATH but for git
/// (no go, yarn, pnpm or npm): (exit code, the JSON results).
fn apply(home: &Path, dir: &Path, plan: &Path, commit: bool) -> (Option<i32>, Vec<Value>) {
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let git_path = ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"]
        .iter()
        .find(|p| Path::new(p).exists())
        .expect("git is installed");
    #[cfg(unix)]
    {
        let link = bin.join("git");
        if !link.exists() {
            std::os::unix::fs::symlink(git_path, link).unwrap();
        }
    }
    let mut cmd = nanoup(home);
    cmd.env("PATH", &bin).env_remove("NANOUP_GO");
    let args: &[&str] = if commit {
        &["--all", "--json", "--commit"]
    } else {
        &["--all", "--json"]
    };
    let (code, stdout) = apply_plan_with(cmd, dir, plan, args);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    (code, doc["results"].as_array().unwrap().clone())
}

/// bulletproof-react's yarn.lock and package.json in `dir`, with `follow-redirects@^1.14.0`
/// (asked for by axios 0.21.4) added to the header of the follow-redirects block (1.14.1) and
/// declared in package.json next to `^1.10.0`, which axios 0.21.1 asks for: the state after
/// another package required `^1.14.0`. `.npmrc` points at the replay server.
fn yarn_project(dir: &Path, base: &str) {
    let lock = std::fs::read_to_string(shared(BULLETPROOF).join("yarn.lock")).unwrap();
    let header = "follow-redirects@^1.0.0, follow-redirects@^1.10.0:\n";
    assert!(lock.contains(header));
    let lock = lock.replace(
        header,
        "follow-redirects@^1.0.0, follow-redirects@^1.10.0, follow-redirects@^1.14.0:\n",
    );
    std::fs::write(dir.join("yarn.lock"), lock).unwrap();
    let manifest = std::fs::read_to_string(shared(BULLETPROOF).join("package.json")).unwrap();
    let declared = "    \"axios\": \"^0.21.1\",\n";
    assert!(manifest.contains(declared));
    let manifest = manifest.replace(
        declared,
        &format!("{declared}    \"follow-redirects\": \"^1.10.0\",\n"),
    );
    std::fs::write(dir.join("package.json"), manifest).unwrap();
    std::fs::write(dir.join(".npmrc"), format!("registry={base}/npm/\n")).unwrap();
}

#[test]
fn yarn_lock_block_moves_in_place_and_larger_changes_are_refused() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    yarn_project(dir.path(), &server.base());
    init_repository(dir.path());
    let lock_path = dir.path().join("yarn.lock");
    let original = std::fs::read(&lock_path).unwrap();
    let yarn =
        |name: &str, from: &str, to: &str| update(Ecosystem::Npm, "yarn.lock", name, from, to);

    // `ms@2.1.2` is pinned exactly; express 4.17.2 asks for `body-parser@1.19.1`, which no
    // block lists. Both refused, the file byte-identical.
    let refused = [
        yarn("ms", "2.1.2", "2.1.3"),
        yarn("express", "4.17.1", "4.17.2"),
    ];
    let plan = write_plan(home.path(), dir.path(), "refused", &refused);
    let (code, results) = apply(home.path(), dir.path(), &plan, false);
    assert_eq!(code, Some(1), "{results:?}");
    let reasons: Vec<&str> = results
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "refused", "{r}");
            r["reason"].as_str().unwrap()
        })
        .collect();
    assert!(
        reasons[0].starts_with(
            "yarn.lock:11328: the block's specifier \"ms@2.1.2\" does not accept 2.1.3"
        ) && reasons[0].contains("`yarn upgrade ms@2.1.3`"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("needs \"body-parser@1.19.1\"")
            && reasons[1].contains("`yarn upgrade express@4.17.2`"),
        "{}",
        reasons[1]
    );
    assert_eq!(
        std::fs::read(&lock_path).unwrap(),
        original,
        "byte-identical"
    );

    // axios 0.21.1 -> 0.21.4: its block alone changes, committed alone.
    let axios = yarn("axios", "0.21.1", "0.21.4");
    let plan = write_plan(
        home.path(),
        dir.path(),
        "axios",
        std::slice::from_ref(&axios),
    );
    let (code, results) = apply(home.path(), dir.path(), &plan, true);
    assert_eq!(code, Some(0), "{results:?}");
    let result = &results[0];
    assert_eq!(result["status"], "applied", "{result}");
    assert_eq!(
        result["method"],
        "in-place edit of yarn.lock from the registry's manifest of axios@0.21.4"
    );
    assert_eq!(
        result["changed"],
        serde_json::json!([{"name": "axios", "from": "0.21.1", "to": "0.21.4"}])
    );
    assert_eq!(result["files"], serde_json::json!(["yarn.lock"]));
    let new = std::fs::read(&lock_path).unwrap();
    let (at, before, after) = byte_diff(&original, &new);
    let text = String::from_utf8(original.clone()).unwrap();
    let block_start = text.find("\naxios@^0.21.1:\n").unwrap() + 1;
    let block_end = text.find("\naxobject-query@^2.2.0:\n").unwrap();
    assert!(
        at >= block_start && at + before.len() <= block_end,
        "the bytes changed outside axios's block"
    );
    assert_eq!(
        String::from_utf8_lossy(before),
        "1\"\n  resolved \"https://registry.yarnpkg.com/axios/-/axios-0.21.1.tgz#22563481962f4d6bde9a76d516ef0e5d3c09b2b8\"\n  integrity sha512-dKQiRHxGD9PPRIUNIWvZhPTPpl1rf/OxTYKsqKUDjBwYylTvV7SjSHJb9ratfyzM6wCdLCOYLzs73qpg5c4iGA==\n  dependencies:\n    follow-redirects \"^1.10"
    );
    assert_eq!(
        String::from_utf8_lossy(after),
        "4\"\n  resolved \"https://registry.yarnpkg.com/axios/-/axios-0.21.4.tgz#c67b90dc0568e5c1cf2b0b858c43ba28e2eda575\"\n  integrity sha512-ut5vewkiu8jjGBdqpM44XxjuCjq9LAKeHVmoVfHVzy8eHgxxq8SbAVQNovDA8mVi05kP0Ea/n/UzcSHcTJQfNg==\n  dependencies:\n    follow-redirects \"^1.14"
    );
    // One commit with the lockfile alone.
    assert_eq!(
        git(dir.path(), &["show", "--name-only", "--format=%s", "HEAD"]),
        "chore(deps): nano update axios 0.21.1 -> 0.21.4\n\nyarn.lock\n"
    );
    assert!(git(dir.path(), &["status", "--porcelain"]).is_empty());
}

#[test]
fn pnpm_lock_edit_is_refused_when_a_dependent_pins_the_version() {
    // vue core's lockfile (5.4): debug 4.3.1 and 4.3.3 resolve ms 2.1.2, and the registry's
    // (recorded) debug 4.3.1 asks for exactly "2.1.2": moving ms to 2.1.3 is not a nano update
    // there; the reason names the dependent and `pnpm update`.
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for file in ["pnpm-lock.yaml", "package.json", "pnpm-workspace.yaml"] {
        std::fs::copy(shared(VUE).join(file), dir.path().join(file)).unwrap();
    }
    std::fs::write(
        dir.path().join(".npmrc"),
        format!("registry={}/npm/\n", server.base()),
    )
    .unwrap();
    let lock_path = dir.path().join("pnpm-lock.yaml");
    let original = std::fs::read(&lock_path).unwrap();
    let plan = write_plan(
        home.path(),
        dir.path(),
        "pnpm",
        &[update(
            Ecosystem::Npm,
            "pnpm-lock.yaml",
            "ms",
            "2.1.2",
            "2.1.3",
        )],
    );
    let (code, results) = apply(home.path(), dir.path(), &plan, false);
    assert_eq!(code, Some(1), "{results:?}");
    let reason = results[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("pnpm-lock.yaml: debug@4.3.1 asks for ms \"2.1.2\"")
            && reason.contains("`pnpm update ms@2.1.3`"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read(&lock_path).unwrap(),
        original,
        "byte-identical"
    );
}

#[test]
fn a_yarn_berry_edit_without_yarn_2_is_refused_and_the_lock_left_alone() {
    // The yarn 4 fixture (express 4.17.1 under `express@^4.17.1`): the block can be rewritten
    // from the recorded packument, but only yarn 2+ can complete it (the checksum). With no
    // yarn on the PATH, and with a stand-in that says it is yarn 1, refused, byte-identical.
    let server = Replay::start(HashMap::new());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nanoup-ecosystems/tests/fixtures/yarn-berry");
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for file in ["yarn.lock", "package.json"] {
        std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
    }
    std::fs::write(
        dir.path().join(".npmrc"),
        format!("registry={}/npm/\n", server.base()),
    )
    .unwrap();
    let lock_path = dir.path().join("yarn.lock");
    let original = std::fs::read(&lock_path).unwrap();
    let plan = write_plan(
        home.path(),
        dir.path(),
        "berry",
        &[update(
            Ecosystem::Npm,
            "yarn.lock",
            "express",
            "4.17.1",
            "4.17.3",
        )],
    );
    let (code, results) = apply(home.path(), dir.path(), &plan, false);
    assert_eq!(code, Some(1), "{results:?}");
    let reason = results[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("cannot run yarn") && reason.contains("NANOUP_YARN"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read(&lock_path).unwrap(),
        original,
        "byte-identical"
    );

    let yarn1 = home.path().join("yarn1");
    std::fs::write(&yarn1, "#!/bin/sh\necho 1.22.22\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&yarn1, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut cmd = nanoup(home.path());
    cmd.env("NANOUP_YARN", &yarn1);
    let (code, stdout) = apply_plan_with(cmd, dir.path(), &plan, &["--all", "--json"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("says \\\"1.22.22\\\""), "{stdout}");
    assert_eq!(
        std::fs::read(&lock_path).unwrap(),
        original,
        "byte-identical"
    );
}

#[test]
fn go_mod_requirement_is_edited_without_go_and_tidy_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for file in ["go.mod", "go.sum"] {
        std::fs::copy(shared(CLI).join(file), dir.path().join(file)).unwrap();
    }
    init_repository(dir.path());
    let (mod_path, sum_path) = (dir.path().join("go.mod"), dir.path().join("go.sum"));
    let (old_mod, old_sum) = (
        std::fs::read(&mod_path).unwrap(),
        std::fs::read(&sum_path).unwrap(),
    );
    let go = |name: &str, from: &str, to: &str| update(Ecosystem::Go, "go.mod", name, from, to);
    let cobra = go("github.com/spf13/cobra", "v1.2.1", "v1.3.0");
    // Replaced by github.com/cli/shurcooL-graphql: the `require` line decides nothing.
    let graphql = go(
        "github.com/shurcooL/graphql",
        "v0.0.0-20200707151639-0f7232a2bf7e",
        "v0.0.0-20220606043923-3cf50f8a0a29",
    );
    let plan = write_plan(home.path(), dir.path(), "go", &[graphql, cobra]);
    let (code, results) = apply(home.path(), dir.path(), &plan, true);
    assert_eq!(code, Some(1), "{results:?}");
    assert_eq!(results[0]["status"], "refused");
    let reason = results[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("go.mod:40:1: github.com/shurcooL/graphql")
            && reason.contains("edit the `replace` directive"),
        "{reason}"
    );
    let applied = &results[1];
    assert_eq!(applied["status"], "applied", "{applied}");
    let method = applied["method"].as_str().unwrap();
    assert!(
        method.contains("the go command is not installed")
            && method.contains("go.sum was not updated")
            && method.contains("run `go mod tidy` in ."),
        "{method}"
    );
    assert_eq!(applied["files"], serde_json::json!(["go.mod"]));
    let new_mod = std::fs::read(&mod_path).unwrap();
    let (_, before, after) = byte_diff(&old_mod, &new_mod);
    assert_eq!((before, after), (&b"2.1"[..], &b"3.0"[..]));
    assert_eq!(
        std::fs::read(&sum_path).unwrap(),
        old_sum,
        "go.sum untouched"
    );
    assert_eq!(
        git(dir.path(), &["show", "--name-only", "--format=%s", "HEAD"]),
        "chore(deps): nano update github.com/spf13/cobra v1.2.1 -> v1.3.0\n\ngo.mod\n"
    );
}
