//! `nanoup apply` with registry data about the release an update moves to, hermetic (the
//! 127.0.0.1 replay server): a poetry.lock entry gets the new release's dependency tables from
//! PyPI's per-version JSON (`requires_dist`) when the lock satisfies them, and is refused, byte
//! for byte untouched, when it does not; a digest-pinned Dockerfile `FROM` gets the new tag's
//! digest from the registry's manifest.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::replay::{Fault, Replay};
use common::repo::{
    apply_plan_with, git, init_repository, nanoup, plan_file_with, rollback_commit, shared, update,
    write_plan,
};
use nanoup_core::Ecosystem;
use nanoup_ecosystems::pypi::edit::{FileKind, changed_entries};
use serde_json::Value;

const PYPROJECT: &str = "[tool.poetry]\nname = \"demo\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = []\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nflask = \"^3.1\"\n";

/// A package entry of a poetry.lock (format 2.0) with one dummy file and `tables` after it.
fn package(name: &str, version: &str, tables: &str) -> String {
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"{name}\"\noptional = false\npython-versions = \">=3.8\"\nfiles = [\n    {{file = \"{name}-{version}.tar.gz\", hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}},\n]\n{tables}\n"
    )
}

/// flask 3.1.0's entry, as Poetry wrote it.
const FLASK_310: &str = "[[package]]\nname = \"flask\"\nversion = \"3.1.0\"\ndescription = \"A simple framework for building complex web applications.\"\noptional = false\npython-versions = \">=3.9\"\nfiles = [\n    {file = \"flask-3.1.0-py3-none-any.whl\", hash = \"sha256:d667207822eb83f1c4b50949b1623c8fc8d51f2341d65f72e1a1815397551136\"},\n    {file = \"flask-3.1.0.tar.gz\", hash = \"sha256:5f873c5184c897c8d9d1b05df1e3d01b14910ce69607a117bd3277098a5836ac\"},\n]\n\n[package.dependencies]\nblinker = \">=1.9\"\nclick = \">=8.1.3\"\nimportlib-metadata = {version = \">=3.6\", markers = \"python_version < \\\"3.10\\\"\"}\nitsdangerous = \">=2.2\"\nJinja2 = \">=3.1.2\"\nWerkzeug = \">=3.1\"\n\n[package.extras]\nasync = [\"asgiref (>=3.2)\"]\ndotenv = [\"python-dotenv\"]\n\n";

/// A Poetry project locking flask 3.1.0 and its dependencies (markupsafe only when asked).
fn poetry_project(dir: &Path, markupsafe: bool) -> String {
    let mut lock = String::new();
    lock.push_str(&package("blinker", "1.9.0", ""));
    lock.push_str(&package(
        "click",
        "8.1.8",
        "\n[package.dependencies]\ncolorama = {version = \"*\", markers = \"platform_system == \\\"Windows\\\"\"}\n",
    ));
    lock.push_str(&package("colorama", "0.4.6", ""));
    lock.push_str(FLASK_310);
    lock.push_str(&package("importlib-metadata", "8.5.0", ""));
    lock.push_str(&package("itsdangerous", "2.2.0", ""));
    lock.push_str(&package(
        "jinja2",
        "3.1.5",
        "\n[package.dependencies]\nMarkupSafe = \">=2.0\"\n",
    ));
    if markupsafe {
        lock.push_str(&package("markupsafe", "3.0.2", ""));
    }
    lock.push_str(&package(
        "werkzeug",
        "3.1.3",
        "\n[package.dependencies]\nMarkupSafe = \">=2.1.1\"\n",
    ));
    lock.push_str("[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"0d9c8d4e3f1b2a5c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5\"\n");
    std::fs::write(dir.join("pyproject.toml"), PYPROJECT).unwrap();
    std::fs::write(dir.join("poetry.lock"), &lock).unwrap();
    lock
}

/// The sha256 of flask 3.1.3's files, from the recorded JSON API answer: (wheel, sdist).
fn flask_313_hashes() -> (String, String) {
    let body = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../nanoup-ecosystems/tests/fixtures/registry/pypi/json/flask/3.1.3.json"),
    )
    .unwrap();
    let answer: Value = serde_json::from_slice(&body).unwrap();
    let hash = |suffix: &str| {
        answer["urls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filename"].as_str().unwrap().ends_with(suffix))
            .unwrap()["digests"]["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    };
    (hash(".whl"), hash(".tar.gz"))
}

/// nanoup with PyPI's JSON API at the replay server.
fn with_json_api(home: &Path, server: &Replay) -> assert_cmd::Command {
    let mut cmd = nanoup(home);
    cmd.env("NANOUP_PYPI_JSON_API", server.base())
        .env_remove("PIP_INDEX_URL")
        .env_remove("UV_DEFAULT_INDEX")
        .env_remove("UV_INDEX_URL");
    cmd
}

#[test]
fn a_poetry_lock_entry_gets_the_new_releases_dependencies_and_nothing_else_moves() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let old = poetry_project(dir.path(), true);
    init_repository(dir.path());
    // `nanoup plan --drift` against the replayed JSON API: flask 3.1.0 -> 3.1.3.
    let (plan_path, plan) = plan_file_with(
        with_json_api(home.path(), &server),
        home.path(),
        dir.path(),
        &["--drift", "--direct"],
    );
    let flask = plan["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "flask")
        .unwrap_or_else(|| panic!("{plan}"));
    assert_eq!(
        (&flask["from"], &flask["to"]),
        (&"3.1.0".into(), &"3.1.3".into())
    );
    let id = flask["id"].as_str().unwrap().to_string();

    let (code, out) = apply_plan_with(
        with_json_api(home.path(), &server),
        dir.path(),
        &plan_path,
        &["--id", &id, "--commit", "--json"],
    );
    assert_eq!(code, Some(0), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let result = &result["results"][0];
    assert_eq!(result["status"], "applied", "{out}");
    assert_eq!(
        result["changed"],
        serde_json::json!([{"name": "flask", "from": "3.1.0", "to": "3.1.3"}])
    );
    assert!(
        result["method"]
            .as_str()
            .unwrap()
            .contains("the dependencies (requires_dist) of flask 3.1.3"),
        "{result}"
    );
    // The per-version answer was asked for.
    assert!(
        server
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|(path, status)| path == "/pypi/flask/3.1.3/json" && *status == 200),
        "{:?}",
        server.log.lock().unwrap()
    );

    // The flask entry is the new release's, in Poetry's format; every other byte is as it was.
    let (wheel, sdist) = flask_313_hashes();
    let flask_313 = format!(
        "[[package]]\nname = \"flask\"\nversion = \"3.1.3\"\ndescription = \"A simple framework for building complex web applications.\"\noptional = false\npython-versions = \">=3.9\"\nfiles = [\n    {{file = \"flask-3.1.3-py3-none-any.whl\", hash = \"sha256:{wheel}\"}},\n    {{file = \"flask-3.1.3.tar.gz\", hash = \"sha256:{sdist}\"}},\n]\n\n\
         [package.dependencies]\nasgiref = {{version = \">=3.2\", optional = true, markers = \"extra == \\\"async\\\"\"}}\nblinker = \">=1.9.0\"\nclick = \">=8.1.3\"\nimportlib-metadata = {{version = \">=3.6.0\", markers = \"python_version < \\\"3.10\\\"\"}}\nitsdangerous = \">=2.2.0\"\njinja2 = \">=3.1.2\"\nmarkupsafe = \">=2.1.1\"\npython-dotenv = {{version = \"*\", optional = true, markers = \"extra == \\\"dotenv\\\"\"}}\nwerkzeug = \">=3.1.0\"\n\n\
         [package.extras]\nasync = [\"asgiref (>=3.2)\"]\ndotenv = [\"python-dotenv\"]\n\n"
    );
    let new = std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap();
    assert_eq!(new, old.replace(FLASK_310, &flask_313));
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", &old, &new).unwrap(),
        [nanoup_core::EntryChange {
            name: "flask".into(),
            from: Some("3.1.0".into()),
            to: Some("3.1.3".into()),
            path: None,
        }]
    );
    assert_eq!(
        git(dir.path(), &["show", "--name-only", "--format="]).trim(),
        "poetry.lock"
    );

    // Rolled back by id: the entry comes back as Poetry wrote it, byte for byte.
    rollback_commit(nanoup(home.path()), dir.path(), &id);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap(),
        old
    );
}

#[test]
fn a_new_dependency_the_lock_lacks_is_refused_and_the_lock_left_alone() {
    // The per-version answer is not served (404, as this machine's PyPI answers): the project
    // answer stands in, its `info` being flask 3.1.3's.
    let faults = HashMap::from([("/pypi/flask/3.1.3/json".to_string(), Fault::NotFound)]);
    let server = Replay::start(faults);
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let old = poetry_project(dir.path(), false);
    let flask = update(Ecosystem::PyPI, "poetry.lock", "flask", "3.1.0", "3.1.3");
    let plan = write_plan(home.path(), dir.path(), "flask", &[flask]);
    let (code, out) = apply_plan_with(
        with_json_api(home.path(), &server),
        dir.path(),
        &plan,
        &["--all", "--json"],
    );
    assert_eq!(code, Some(1), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let reason = result["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("poetry.lock:")
            && reason.contains("`markupsafe>=2.1.1` (not in the lock)")
            && reason.contains("`poetry update flask`"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap(),
        old,
        "byte-identical"
    );
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains(&("/pypi/flask/3.1.3/json".to_string(), 404))
            && log.contains(&("/pypi/flask/json".to_string(), 200)),
        "{log:?}"
    );

    // Behind a PEP 691 simple index, with no core metadata of flask 3.1.3's wheel on the file
    // host (not recorded: 404): refused as before, saying so.
    let mut simple = nanoup(home.path());
    simple.env("PIP_INDEX_URL", format!("{}/pypi/simple/", server.base()));
    let (code, out) = apply_plan_with(simple, dir.path(), &plan, &["--all", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let reason = result["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("are still those of 3.1.0")
            && reason.contains("no core metadata (PEP 658) beside its wheel")
            && reason.contains("`poetry update flask`"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap(),
        old
    );
}

/// The path of flask 3.1.1's wheel on the replay server's file host.
const FLASK_3_1_1_WHEEL: &str = "/pypi-files/packages/3d/68/9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/flask-3.1.1-py3-none-any.whl";

#[test]
fn without_a_json_answer_about_the_release_its_dependencies_come_from_the_wheels_core_metadata() {
    // flask 3.1.1: no per-version answer (404), and the project answer's `info` is 3.1.3's.
    // The wheel's core metadata (PEP 658/714, recorded from files.pythonhosted.org) says
    // what 3.1.1 depends on, both behind the JSON API and behind a PEP 691 simple index.
    let faults = HashMap::from([("/pypi/flask/3.1.1/json".to_string(), Fault::NotFound)]);
    let server = Replay::start(faults);
    flask_3_1_1_applies_with_its_own_dependencies(&server);
    let log = server.log.lock().unwrap().clone();
    let metadata_path = format!("{FLASK_3_1_1_WHEEL}.metadata");
    let metadata_asked = log
        .iter()
        .filter(|(path, status)| *path == metadata_path && *status == 200)
        .count();
    assert_eq!(metadata_asked, 2, "{log:?}");
    assert!(
        log.contains(&("/pypi/flask/3.1.1/json".to_string(), 404))
            && !log.iter().any(|(path, _)| path == FLASK_3_1_1_WHEEL),
        "{log:?}"
    );
}

#[test]
fn without_core_metadata_beside_the_wheel_it_is_read_from_the_wheels_end() {
    // As this machine's PyPI mirror: no `.metadata` file (404) either. The wheel's METADATA
    // is read with range requests (its last 64 KiB hold it), not by downloading the wheel.
    let faults = HashMap::from([
        ("/pypi/flask/3.1.1/json".to_string(), Fault::NotFound),
        (format!("{FLASK_3_1_1_WHEEL}.metadata"), Fault::NotFound),
    ]);
    let server = Replay::start(faults);
    flask_3_1_1_applies_with_its_own_dependencies(&server);
    let log = server.log.lock().unwrap().clone();
    let wheel: Vec<u16> = log
        .iter()
        .filter(|(path, _)| path == FLASK_3_1_1_WHEEL)
        .map(|(_, status)| *status)
        .collect();
    // Once per API (the second run has its own cache): only partial answers.
    assert!(
        !wheel.is_empty() && wheel.len() <= 4 && wheel.iter().all(|s| *s == 206),
        "{log:?}"
    );
}

/// Applies flask 3.1.0 -> 3.1.1 to a poetry project behind the JSON API and behind a PEP 691
/// simple index served by `server`: only flask's entry changes, with 3.1.1's dependencies.
fn flask_3_1_1_applies_with_its_own_dependencies(server: &Replay) {
    let simple = |home: &Path| {
        let mut cmd = nanoup(home);
        cmd.env("PIP_INDEX_URL", format!("{}/pypi/simple/", server.base()));
        cmd
    };
    let json_api = |home: &Path| with_json_api(home, server);
    for (label, command) in [
        (
            "JSON API",
            &json_api as &dyn Fn(&Path) -> assert_cmd::Command,
        ),
        ("simple index", &simple),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let old = poetry_project(dir.path(), true);
        let flask = update(Ecosystem::PyPI, "poetry.lock", "flask", "3.1.0", "3.1.1");
        let plan = write_plan(home.path(), dir.path(), "flask", &[flask]);
        let (code, out) = apply_plan_with(
            command(home.path()),
            dir.path(),
            &plan,
            &["--all", "--json"],
        );
        assert_eq!(code, Some(0), "{label}: {out}");
        let result: Value = serde_json::from_str(&out).unwrap();
        let result = &result["results"][0];
        assert_eq!(result["status"], "applied", "{label}: {out}");
        assert_eq!(
            result["changed"],
            serde_json::json!([{"name": "flask", "from": "3.1.0", "to": "3.1.1"}]),
            "{label}"
        );
        let new = std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap();
        // Only flask's entry changed, and its dependencies are 3.1.1's (3.1.0 had no markupsafe).
        let entry = |text: &str| {
            let start = text.find("name = \"flask\"").unwrap();
            let end = start + text[start..].find("\n[[package]]").unwrap();
            text[start..end].to_string()
        };
        assert_eq!(
            new.replace(&entry(&new), ""),
            old.replace(&entry(&old), ""),
            "{label}"
        );
        let flask_entry = entry(&new);
        assert!(
            flask_entry.contains("version = \"3.1.1\"")
                && flask_entry.contains("markupsafe = \">=2.1.1\"")
                && flask_entry.contains("werkzeug = \">=3.1.0\"")
                && flask_entry.contains("flask-3.1.1-py3-none-any.whl"),
            "{label}: {flask_entry}"
        );
    }
}

#[test]
fn a_poetry_manifest_change_widens_pyproject_and_keeps_the_lock_current() {
    use nanoup_ecosystems::pypi::manifest_edit::{lock_content_hash, poetry_content_hash};
    // flask is pinned exactly (`flask = "3.1.0"`): 3.1.1 needs pyproject.toml changed, and the
    // lock's content-hash (which Poetry checks) computed for the new pyproject.toml.
    let faults = HashMap::from([("/pypi/flask/3.1.1/json".to_string(), Fault::NotFound)]);
    let server = Replay::start(faults);
    let project = |dir: &Path| {
        let lock = poetry_project(dir, true);
        let pinned = PYPROJECT.replace("flask = \"^3.1\"", "flask = \"3.1.0\"");
        let hash = poetry_content_hash(&pinned, false).unwrap();
        let lock = lock.replace(&lock_content_hash(&lock).unwrap(), &hash);
        std::fs::write(dir.join("pyproject.toml"), &pinned).unwrap();
        std::fs::write(dir.join("poetry.lock"), &lock).unwrap();
        init_repository(dir);
        (pinned, lock)
    };
    let mut flask = update(Ecosystem::PyPI, "poetry.lock", "flask", "3.1.0", "3.1.1");
    flask.manifest_change = true;

    // Without Poetry on PATH: applied, both files committed, the hash as Poetry computes it.
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let (pyproject, lock) = project(dir.path());
    let plan = write_plan(
        home.path(),
        dir.path(),
        "flask",
        std::slice::from_ref(&flask),
    );
    let mut cmd = with_json_api(home.path(), &server);
    cmd.env("NANOUP_POETRY", "/nonexistent/poetry");
    let (code, out) = apply_plan_with(cmd, dir.path(), &plan, &["--all", "--commit", "--json"]);
    assert_eq!(code, Some(0), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let result = &result["results"][0];
    assert_eq!(result["status"], "applied", "{out}");
    assert_eq!(
        result["files"],
        serde_json::json!(["poetry.lock", "pyproject.toml"])
    );
    let method = result["method"].as_str().unwrap();
    assert!(
        method.contains("pyproject.toml: [tool.poetry.dependencies] 3.1.0 -> 3.1.1"),
        "{method}"
    );
    let new_pyproject = std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap();
    assert_eq!(
        new_pyproject,
        pyproject.replace("flask = \"3.1.0\"", "flask = \"3.1.1\"")
    );
    let new_lock = std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap();
    assert_eq!(
        lock_content_hash(&new_lock),
        Some(poetry_content_hash(&new_pyproject, false).unwrap())
    );
    // The lock moved flask's entry and the content-hash, nothing else.
    let old_hash = lock_content_hash(&lock).unwrap();
    let unhashed = new_lock.replace(&lock_content_hash(&new_lock).unwrap(), &old_hash);
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", &lock, &unhashed).unwrap(),
        [nanoup_core::EntryChange {
            name: "flask".into(),
            from: Some("3.1.0".into()),
            to: Some("3.1.1".into()),
            path: None,
        }]
    );
    let committed = git(dir.path(), &["show", "--name-only", "--format="]);
    assert_eq!(committed.trim(), "poetry.lock\npyproject.toml");
    // Rolled back by id: the entry, the content-hash and pyproject.toml, byte for byte.
    rollback_commit(nanoup(home.path()), dir.path(), &flask.id);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap(),
        lock
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap(),
        pyproject
    );

    // Poetry on PATH rejects the pair: both files are put back, byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let (pyproject, lock) = project(dir.path());
    let plan = write_plan(
        home.path(),
        dir.path(),
        "flask",
        std::slice::from_ref(&flask),
    );
    let rejecting = home.path().join("poetry");
    std::fs::write(
        &rejecting,
        "#!/bin/sh\necho 'pyproject.toml changed significantly since poetry.lock was last generated.' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &rejecting,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut cmd = with_json_api(home.path(), &server);
    cmd.env("NANOUP_POETRY", &rejecting);
    let (code, out) = apply_plan_with(cmd, dir.path(), &plan, &["--all", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let reason = result["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("`poetry check --lock` rejects the result: pyproject.toml changed")
            && reason.ends_with("poetry.lock and pyproject.toml restored"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap(),
        lock
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap(),
        pyproject
    );
}

#[test]
fn a_package_pinned_in_two_requirements_files_moves_in_both_and_back() {
    // requirements.txt includes requirements/docs.txt and both pin flask 2.2.5: one component
    // declared at two places, one update moving both pins (and rolled back together).
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("requirements")).unwrap();
    let main = "-r requirements/docs.txt\nflask==2.2.5  # the app\n";
    let docs = "flask==2.2.5\n";
    std::fs::write(dir.path().join("requirements.txt"), main).unwrap();
    std::fs::write(dir.path().join("requirements/docs.txt"), docs).unwrap();
    init_repository(dir.path());
    let (plan_path, plan) = plan_file_with(
        with_json_api(home.path(), &server),
        home.path(),
        dir.path(),
        &["--drift"],
    );
    let updates = plan["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 1, "{plan}");
    let flask = &updates[0];
    let mut files = vec![flask["file"].as_str().unwrap().to_string()];
    files.extend(
        flask["also"]
            .as_array()
            .unwrap_or_else(|| panic!("{flask}"))
            .iter()
            .map(|f| f.as_str().unwrap().to_string()),
    );
    files.sort();
    assert_eq!(files, ["requirements.txt", "requirements/docs.txt"]);
    let to = flask["to"].as_str().unwrap().to_string();
    let id = flask["id"].as_str().unwrap().to_string();

    let (code, out) = apply_plan_with(
        with_json_api(home.path(), &server),
        dir.path(),
        &plan_path,
        &["--all", "--commit", "--json"],
    );
    assert_eq!(code, Some(0), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let result = &result["results"][0];
    assert_eq!(result["status"], "applied", "{out}");
    // One entry per file: the blast radius counts both pins.
    let mut paths: Vec<&str> = result["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["requirements.txt", "requirements/docs.txt"],
        "{result}"
    );
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    assert_eq!(read("requirements.txt"), main.replace("2.2.5", &to));
    assert_eq!(read("requirements/docs.txt"), docs.replace("2.2.5", &to));
    let committed = git(dir.path(), &["show", "--name-only", "--format="]);
    assert_eq!(committed.trim(), "requirements.txt\nrequirements/docs.txt");
    let trailer = git(
        dir.path(),
        &[
            "log",
            "-1",
            "--format=%(trailers:key=Nanoup-Blast-Radius,valueonly)",
        ],
    );
    assert_eq!(trailer.trim(), "2");

    rollback_commit(nanoup(home.path()), dir.path(), &id);
    assert_eq!(read("requirements.txt"), main);
    assert_eq!(read("requirements/docs.txt"), docs);
}

#[test]
fn a_digest_pinned_from_gets_the_new_tags_digest_from_the_registry() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // An image on the replay server, a registry spoken to over plain HTTP.
    let image = format!(
        "{}/library/nginx",
        server.base().trim_start_matches("http://")
    );
    let old_digest = "sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac";
    let new_digest = "sha256:a3f691ef6f62ed43b42439ea6a90904b0d50de61f35eba8972e6bc987d7136c3";
    let dockerfile = format!(
        "# the web tier\nFROM {image}:1.26.0@{old_digest} AS web\nCOPY site /usr/share/nginx/html\n\nFROM web\nRUN nginx -t\n"
    );
    std::fs::write(dir.path().join("Dockerfile"), &dockerfile).unwrap();
    init_repository(dir.path());
    let nginx = update(Ecosystem::Docker, "Dockerfile", &image, "1.26.0", "1.27.0");
    let plan = write_plan(
        home.path(),
        dir.path(),
        "nginx",
        std::slice::from_ref(&nginx),
    );

    // A dry run fetches nothing and says where the digest will come from.
    let (code, out) = apply_plan_with(
        nanoup(home.path()),
        dir.path(),
        &plan,
        &["--all", "--dry-run", "--json"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("with the digest of its manifest"), "{out}");
    assert_eq!(server.log.lock().unwrap().len(), 0);

    let (code, out) = apply_plan_with(
        nanoup(home.path()),
        dir.path(),
        &plan,
        &["--all", "--commit", "--json"],
    );
    assert_eq!(code, Some(0), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result["results"][0]["status"], "applied", "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        dockerfile.replace(
            &format!("1.26.0@{old_digest}"),
            &format!("1.27.0@{new_digest}")
        )
    );
    assert!(
        server
            .log
            .lock()
            .unwrap()
            .contains(&("/v2/library/nginx/manifests/1.27.0".to_string(), 200)),
        "{:?}",
        server.log.lock().unwrap()
    );

    // A tag the registry has no manifest of: refused, the file left alone.
    rollback_commit(nanoup(home.path()), dir.path(), &nginx.id);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        dockerfile
    );
    let missing = update(Ecosystem::Docker, "Dockerfile", &image, "1.26.0", "1.99.0");
    let plan = write_plan(home.path(), dir.path(), "missing", &[missing]);
    let (code, out) = apply_plan_with(nanoup(home.path()), dir.path(), &plan, &["--all", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let reason = result["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("Dockerfile:2: ")
            && reason.contains(&format!("the digest of {image}:1.99.0 is not available"))
            && reason.contains("was not found (HTTP 404)"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        dockerfile
    );
}

#[test]
fn a_poetry_group_moves_the_companion_its_new_release_needs_and_nothing_else() {
    // saleor's real lock: jinja2 2.11.2 -> 3.1.6 needs MarkupSafe>=2.0, and markupsafe 1.1.1
    // moves to 2.0.0 with it (the search's answer, see nanoup-engine's tests/poetry.rs). The
    // replay server answers as this machine's PyPI mirror: no per-version JSON, markupsafe's
    // files at relative URLs, no `.metadata` beside its wheel (read from the wheel's end).
    let server = Replay::start(HashMap::new());
    let saleor = shared("corpus/python/saleor__saleor__98ebf96d65");
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for file in ["poetry.lock", "pyproject.toml"] {
        std::fs::copy(saleor.join(file), dir.path().join(file)).unwrap();
    }
    init_repository(dir.path());
    let old = std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap();
    let step = |name: &str, from: &str, to: &str, role: nanoup_core::StepRole| nanoup_core::Step {
        name: name.into(),
        from: Some(from.into()),
        to: Some(to.into()),
        role,
        why: "test".into(),
        manifest: false,
        path: None,
    };
    let mut jinja2 = update(Ecosystem::PyPI, "poetry.lock", "jinja2", "2.11.2", "3.1.6");
    jinja2.steps = vec![
        step(
            "markupsafe",
            "1.1.1",
            "2.0.0",
            nanoup_core::StepRole::Companion,
        ),
        step("jinja2", "2.11.2", "3.1.6", nanoup_core::StepRole::Target),
    ];
    jinja2.blast_radius = jinja2
        .steps
        .iter()
        .map(|s| nanoup_core::EntryChange {
            name: s.name.clone(),
            from: s.from.clone(),
            to: s.to.clone(),
            path: None,
        })
        .collect();
    let plan = write_plan(home.path(), dir.path(), "jinja2", &[jinja2]);
    let (code, out) = apply_plan_with(
        with_json_api(home.path(), &server),
        dir.path(),
        &plan,
        &["--all", "--json", "--commit"],
    );
    assert_eq!(code, Some(0), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    let result = &result["results"][0];
    assert_eq!(result["status"], "applied", "{out}");
    let new = std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap();
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", &old, &new).unwrap(),
        [
            nanoup_core::EntryChange {
                name: "jinja2".into(),
                from: Some("2.11.2".into()),
                to: Some("3.1.6".into()),
                path: None,
            },
            nanoup_core::EntryChange {
                name: "markupsafe".into(),
                from: Some("1.1.1".into()),
                to: Some("2.0.0".into()),
                path: None,
            },
        ]
    );
    let entry = |name: &str| {
        let start = new.find(&format!("name = \"{name}\"")).unwrap();
        let end = start + new[start..].find("\n[[package]]").unwrap();
        new[start..end].to_string()
    };
    let jinja2 = entry("jinja2");
    assert!(
        jinja2.contains("version = \"3.1.6\"") && jinja2.contains("MarkupSafe = \">=2.0\""),
        "{jinja2}"
    );
    let markupsafe = entry("markupsafe");
    assert!(markupsafe.contains("version = \"2.0.0\""), "{markupsafe}");
    // This lock keeps the files under `[metadata.files]`: 2.0.0's hashes (the recorded wheel's
    // among them) are there now.
    let wheel = "sha256:4cc563836f13c57f1473bc02d1e01fc37bab70ad4ee6be297d58c1d66bc819bf";
    assert!(new.contains(wheel) && !old.contains(wheel));
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.iter().any(|(path, status)| path
            .ends_with("MarkupSafe-2.0.0-cp38-cp38-manylinux2010_x86_64.whl")
            && *status == 206),
        "{log:?}"
    );
    // Rolled back by id, both entries come back byte for byte.
    let id = result["id"].as_str().unwrap().to_string();
    rollback_commit(nanoup(home.path()), dir.path(), &id);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("poetry.lock")).unwrap(),
        old
    );
}
