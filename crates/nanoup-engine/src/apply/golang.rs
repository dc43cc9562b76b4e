//! Go: `go get MOD@V` when the go command is installed, else the go.mod requirement edited in
//! place, reporting that go.sum still needs `go mod tidy`.
//!
//! With go (`NANOUP_GO`, else `go` on the PATH), `go get MOD@TO` runs in the module's
//! directory with `GOFLAGS=-mod=mod`, bounded by `NANOUP_GO_TIMEOUT` seconds (default 300):
//! go resolves the build list and writes go.sum. Its go.mod must differ from the old one by
//! the blast radius only (Go's minimal version selection may raise other requirements, or
//! the `go` / `toolchain` lines: then both files are restored and the update is refused, with
//! what go changed); when it does, go.mod gets the in-place edit of the one `require` line
//! (the same entries, the file's own layout kept: go reformats go.mod) and go.sum keeps what
//! go wrote. Without go, only the `require` line is edited and the method says that go.sum
//! was not updated.

use std::path::{Path, PathBuf};

use nanoup_core::NanoUpdate;

use super::tool::{failure_tail, run_timed};
use super::{
    Outcome, describe_changes, directory_of, edit_in_place, verify_or_restore, write_atomically,
};

/// Go: see the module documentation. A dry run computes the edit (nothing is written), so it
/// says whether the update would be refused.
pub(super) fn apply_go(root: &Path, update: &NanoUpdate, old: &[u8], dry_run: bool) -> Outcome {
    apply_go_with(root, update, old, dry_run, find_go().as_deref())
}

/// [`apply_go`] with the go executable given (`None`: not installed).
fn apply_go_with(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    go: Option<&Path>,
) -> Outcome {
    use nanoup_ecosystems::golang::edit;
    let file = update.file.as_str();
    if nanoup_ecosystems::file_name(file) != "go.mod" {
        return Outcome::Refused {
            reason: format!("{file} is not a go.mod; nanoup edits Go requirements in go.mod only"),
        };
    }
    let Ok(old_text) = std::str::from_utf8(old) else {
        return Outcome::Refused {
            reason: format!("{file} is not UTF-8"),
        };
    };
    let spec = format!("{}@{}", update.name, update.to);
    // The edit is computed first: what refuses it (a replacement, an exclusion, a stale plan)
    // refuses `go get` too.
    let in_place = match edit::edit_require(file, old_text, &update.name, &update.from, &update.to)
    {
        Ok(edit) => edit.new_text,
        Err(e) => {
            return Outcome::Refused {
                reason: e.to_string(),
            };
        }
    };
    let diff = |old: &str, new: &str| {
        let mut changed = edit::changed_entries(file, old, new).map_err(|e| e.to_string())?;
        changed.dedup();
        Ok(changed)
    };
    let Some(go) = go else {
        let method = format!(
            "in-place edit of the `require` of {} in {file} (the go command is not installed): \
             go.sum was not updated; run `go mod tidy` in {dir} to record {spec}'s hashes (it \
             may also raise requirements {spec} needs)",
            update.name,
            dir = nanoup_ecosystems::dir_of(file)
        );
        return edit_in_place(root, update, old, dry_run, |_| Ok((in_place, method)), diff);
    };
    let method = format!(
        "go get {spec} (GOFLAGS=-mod=mod), go.mod kept in its own layout, go.sum written by go"
    );
    if dry_run {
        return Outcome::Planned { method };
    }
    go_get(root, update, old, go, &spec, &in_place, method, diff)
}

/// Runs `go get SPEC` in the module's directory and keeps the result only when go.mod changed
/// by the blast radius alone; see the module documentation.
#[allow(clippy::too_many_arguments)]
fn go_get(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    go: &Path,
    spec: &str,
    in_place: &str,
    method: String,
    diff: impl Fn(&str, &str) -> Result<Vec<nanoup_core::EntryChange>, String>,
) -> Outcome {
    let file = update.file.as_str();
    let mod_path = root.join(file);
    let dir = directory_of(&mod_path, root);
    let sum_rel = nanoup_ecosystems::join(nanoup_ecosystems::dir_of(file), "go.sum");
    let sum_path = root.join(&sum_rel);
    let old_sum = std::fs::read(&sum_path).ok();
    // Puts go.sum back as it was (removed when there was none).
    let restore_sum = || -> Result<(), String> {
        let now = std::fs::read(&sum_path).ok();
        if now == old_sum {
            return Ok(());
        }
        match &old_sum {
            Some(bytes) => write_atomically(&sum_path, bytes),
            None => std::fs::remove_file(&sum_path),
        }
        .map_err(|e| format!("restoring {sum_rel} failed: {e}"))
    };
    let refuse = |reason: String| {
        let mut reason = format!("{reason}; {file} and {sum_rel} restored");
        if std::fs::read(&mod_path).ok().as_deref() != Some(old)
            && let Err(e) = write_atomically(&mod_path, old)
        {
            reason.push_str(&format!(", but restoring {file} failed: {e}"));
        }
        if let Err(e) = restore_sum() {
            reason.push_str(&format!(", but {e}"));
        }
        Outcome::Refused { reason }
    };
    if let Err(e) = run_go(go, dir, spec) {
        return refuse(e);
    }
    let go_text = match std::fs::read(&mod_path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => return refuse(format!("{file} is not UTF-8 after `go get {spec}`")),
        Err(e) => return refuse(format!("cannot read {file} after `go get {spec}`: {e}")),
    };
    let old_text = String::from_utf8_lossy(old);
    let changed = match diff(&old_text, &go_text) {
        Ok(changed) => changed,
        Err(e) => return refuse(format!("cannot parse {file} after `go get {spec}`: {e}")),
    };
    let mut expected = update.blast_radius.clone();
    expected.sort();
    if changed != expected {
        let what = describe_changes(changed.iter().filter(|c| !expected.contains(c)), "(none)");
        return refuse(format!(
            "`go get {spec}` changed more of {file} than the blast radius ({}): the new version \
             needs a larger update",
            if what.is_empty() {
                "not the planned requirement"
            } else {
                &what
            }
        ));
    }
    // The same entries in the file's own layout, unless the two differ after all.
    if diff(&go_text, in_place).is_ok_and(|c| c.is_empty())
        && let Err(e) = write_atomically(&mod_path, in_place.as_bytes())
    {
        return refuse(format!("cannot write {file}: {e}"));
    }
    // go wrote go.sum in place: rewrite it through a rename, so the final file is whole.
    let new_sum = std::fs::read(&sum_path).ok();
    if let Some(bytes) = &new_sum
        && let Err(e) = write_atomically(&sum_path, bytes)
    {
        return refuse(format!("cannot write {sum_rel}: {e}"));
    }
    match verify_or_restore(&mod_path, file, old, update, None, method, diff) {
        Outcome::Applied {
            changed,
            mut files,
            method,
        } => {
            if new_sum != old_sum {
                files.push(sum_rel);
            }
            Outcome::Applied {
                changed,
                files,
                method,
            }
        }
        Outcome::Refused { reason } => {
            let reason = match restore_sum() {
                Ok(()) => format!("{reason}; {sum_rel} restored"),
                Err(e) => format!("{reason}; {e}"),
            };
            Outcome::Refused { reason }
        }
        planned => planned,
    }
}

/// The go executable: `NANOUP_GO` when set, else `go` found on the PATH; `None` when Go is
/// not installed.
fn find_go() -> Option<PathBuf> {
    if let Some(go) = std::env::var_os("NANOUP_GO").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(go));
    }
    let names: &[&str] = if cfg!(windows) {
        &["go.exe", "go"]
    } else {
        &["go"]
    };
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file this process could run.
fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Runs `go get SPEC` in `dir` with `GOFLAGS=-mod=mod`, killed after `NANOUP_GO_TIMEOUT`
/// seconds (default 300); on failure, the last lines go wrote.
fn run_go(go: &Path, dir: &Path, spec: &str) -> Result<(), String> {
    let env = [("GOFLAGS", "-mod=mod")];
    let ran = run_timed(
        "go",
        go.as_os_str(),
        &["get", spec],
        dir,
        &env,
        "NANOUP_GO_TIMEOUT",
    )?;
    let Err((shown, status, stderr)) = ran else {
        return Ok(());
    };
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    Err(failure_tail(&shown, status, &lines))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use nanoup_core::{Ecosystem, EntryChange, UpdateKind};

    const GO_MOD: &str = "module example.com/m\n\ngo 1.16\n\nrequire (\n\tgithub.com/spf13/cobra v1.2.1\n\tgithub.com/stretchr/objx v0.1.1 // indirect\n)\n";
    const GO_SUM: &str =
        "github.com/spf13/cobra v1.2.1 h1:+KmjbUw1hriSNMF55oPrkZcb27aECyrj8V2ytv7kWDw=\n";

    fn update(name: &str, from: &str, to: &str) -> NanoUpdate {
        NanoUpdate {
            id: NanoUpdate::id_for(".", Ecosystem::Go, name, from, to),
            stack: ".".into(),
            ecosystem: Ecosystem::Go,
            name: name.into(),
            from: from.into(),
            to: to.into(),
            kind: UpdateKind::Minor,
            reasons: vec!["drift".into()],
            manifest_change: false,
            blast_radius: vec![EntryChange {
                name: name.into(),
                from: Some(from.into()),
                to: Some(to.into()),
                path: None,
            }],
            file: "go.mod".into(),
            steps: Vec::new(),
            pins: Vec::new(),
            also: Vec::new(),
        }
    }

    /// A module directory with go.mod and go.sum, and a fake `go` running `script` (`$2` is
    /// the `MOD@V` argument).
    fn setup(script: &str) -> (tempfile::TempDir, PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("go.mod"), GO_MOD).unwrap();
        std::fs::write(dir.path().join("go.sum"), GO_SUM).unwrap();
        let go = dir.path().join("fake-go");
        std::fs::write(&go, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&go, std::fs::Permissions::from_mode(0o755)).unwrap();
        (dir, go)
    }

    #[test]
    fn without_go_the_require_line_is_edited_and_tidy_is_asked_for() {
        let (dir, _) = setup("exit 1");
        let u = update("github.com/stretchr/objx", "v0.1.1", "v0.5.2");
        let outcome = apply_go_with(dir.path(), &u, GO_MOD.as_bytes(), false, None);
        let Outcome::Applied {
            changed,
            files,
            method,
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!(changed, u.blast_radius);
        assert_eq!(files, vec!["go.mod".to_string()]);
        assert!(method.contains("go.sum was not updated"), "{method}");
        assert!(method.contains("`go mod tidy`"), "{method}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("go.mod")).unwrap(),
            GO_MOD.replace("objx v0.1.1 //", "objx v0.5.2 //")
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("go.sum")).unwrap(),
            GO_SUM
        );
    }

    #[test]
    fn go_get_result_is_kept_in_the_files_own_layout() {
        // go rewrites go.mod (here: with spaces for tabs) and adds go.sum lines.
        let (dir, go) = setup(
            r#"test "$1" = get && test "$GOFLAGS" = -mod=mod || exit 9
printf 'module example.com/m\n\ngo 1.16\n\nrequire (\n    github.com/spf13/cobra v1.3.0\n    github.com/stretchr/objx v0.1.1 // indirect\n)\n' > go.mod
echo "github.com/spf13/cobra v1.3.0 h1:new=" >> go.sum"#,
        );
        let u = update("github.com/spf13/cobra", "v1.2.1", "v1.3.0");
        let outcome = apply_go_with(dir.path(), &u, GO_MOD.as_bytes(), false, Some(&go));
        let Outcome::Applied { files, method, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(files, vec!["go.mod".to_string(), "go.sum".to_string()]);
        assert!(
            method.starts_with("go get github.com/spf13/cobra@v1.3.0"),
            "{method}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("go.mod")).unwrap(),
            GO_MOD.replace("cobra v1.2.1", "cobra v1.3.0")
        );
        assert!(
            std::fs::read_to_string(dir.path().join("go.sum"))
                .unwrap()
                .ends_with("cobra v1.3.0 h1:new=\n")
        );
    }

    #[test]
    fn go_get_raising_other_requirements_is_refused_and_both_files_restored() {
        let (dir, go) = setup(
            r#"printf 'module example.com/m\n\ngo 1.17\n\nrequire (\n\tgithub.com/spf13/cobra v1.3.0\n\tgithub.com/stretchr/objx v0.4.0 // indirect\n)\n' > go.mod
echo "github.com/spf13/cobra v1.3.0 h1:new=" >> go.sum"#,
        );
        let u = update("github.com/spf13/cobra", "v1.2.1", "v1.3.0");
        let outcome = apply_go_with(dir.path(), &u, GO_MOD.as_bytes(), false, Some(&go));
        let Outcome::Refused { reason } = outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            reason.contains("github.com/stretchr/objx v0.1.1 -> v0.4.0"),
            "{reason}"
        );
        assert!(reason.contains("go.mod `go` 1.16 -> 1.17"), "{reason}");
        assert!(reason.contains("go.mod and go.sum restored"), "{reason}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("go.mod")).unwrap(),
            GO_MOD
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("go.sum")).unwrap(),
            GO_SUM
        );
    }

    #[test]
    fn go_get_failure_is_refused_with_its_message() {
        let (dir, go) = setup(
            "echo 'go: github.com/spf13/cobra@v1.3.0: reading proxy: 404 Not Found' >&2\nrm go.sum\nexit 1",
        );
        let u = update("github.com/spf13/cobra", "v1.2.1", "v1.3.0");
        let outcome = apply_go_with(dir.path(), &u, GO_MOD.as_bytes(), false, Some(&go));
        let Outcome::Refused { reason } = outcome else {
            panic!("{outcome:?}")
        };
        assert!(reason.contains("404 Not Found"), "{reason}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("go.sum")).unwrap(),
            GO_SUM
        );
    }

    #[test]
    fn dry_run_and_refusals_write_nothing() {
        let (dir, go) = setup("exit 1");
        let u = update("github.com/spf13/cobra", "v1.2.1", "v1.3.0");
        for go in [None, Some(go.as_path())] {
            let outcome = apply_go_with(dir.path(), &u, GO_MOD.as_bytes(), true, go);
            assert!(matches!(outcome, Outcome::Planned { .. }), "{outcome:?}");
        }
        let stale = update("github.com/spf13/cobra", "v1.2.0", "v1.3.0");
        let outcome = apply_go_with(dir.path(), &stale, GO_MOD.as_bytes(), false, None);
        let Outcome::Refused { reason } = outcome else {
            panic!("{outcome:?}")
        };
        assert!(reason.starts_with("go.mod:6:1: "), "{reason}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("go.mod")).unwrap(),
            GO_MOD
        );
    }
}
