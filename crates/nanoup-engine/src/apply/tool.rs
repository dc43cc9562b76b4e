//! Running an external tool (cargo, go, npm, uv) without a terminal and with a time limit, its stderr
//! captured for the caller to summarise. [`run_timed`] words the failures that are not the
//! tool's own the same way for every tool that takes its time limit from the environment; the
//! callers word the rest themselves.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Why a run of a tool did not succeed.
#[derive(Debug)]
pub(super) enum ToolFailure {
    /// The temporary file for its stderr could not be made.
    Log(std::io::Error),
    /// The program could not be started.
    Spawn(std::io::Error),
    /// Waiting for it failed.
    Wait(std::io::Error),
    /// It was still running when the timeout passed, and was killed.
    TimedOut,
    /// It exited unsuccessfully.
    Failed {
        /// How it exited.
        status: ExitStatus,
        /// What it wrote to stderr (empty when that was not UTF-8 or could not be read back).
        stderr: String,
    },
}

/// Runs `program ARGS` in `dir` with `env` added to the environment, stdin and stdout null and
/// stderr going to a temporary file (so that a full pipe can never block it); killed once
/// `timeout` has passed since it started (checked every 50 ms).
pub(super) fn run_tool(
    program: &OsStr,
    args: &[impl AsRef<OsStr>],
    dir: &Path,
    env: &[(&str, &str)],
    timeout: Duration,
) -> Result<(), ToolFailure> {
    run_logged(program, args, dir, env, timeout, false)
}

fn run_logged(
    program: &OsStr,
    args: &[impl AsRef<OsStr>],
    dir: &Path,
    env: &[(&str, &str)],
    timeout: Duration,
    with_stdout: bool,
) -> Result<(), ToolFailure> {
    let log = tempfile::tempfile().map_err(ToolFailure::Log)?;
    let stderr = log.try_clone().map_err(ToolFailure::Log)?;
    let stdout = if with_stdout {
        Stdio::from(log.try_clone().map_err(ToolFailure::Log)?)
    } else {
        Stdio::null()
    };
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .envs(env.iter().copied())
        .spawn()
        .map_err(ToolFailure::Spawn)?;
    // A timeout too long to add to the clock is no timeout.
    let deadline = Instant::now().checked_add(timeout);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if deadline.is_some_and(|d| Instant::now() >= d) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ToolFailure::TimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(ToolFailure::Wait(e)),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    {
        use std::io::{Read, Seek};
        let mut log = log;
        let _ = log.rewind();
        let _ = log.read_to_string(&mut text);
    }
    Err(ToolFailure::Failed {
        status,
        stderr: text,
    })
}

/// How a run of [`run_timed`] ended unsuccessfully: the command as shown in messages, how it
/// exited and what it wrote to stderr, for the caller to summarise.
pub(crate) type Exited = (String, ExitStatus, String);

/// Runs `program ARGS` as [`run_tool`] does, killed after the seconds the environment variable
/// `timeout_var` gives (default 300). A run that could not start or finish comes back worded
/// (`Err`), naming the tool `name`, the program, the command (`NAME ARGS`) and `timeout_var`;
/// one that exited unsuccessfully comes back as `Ok(Err(_))` (see [`Exited`]).
pub(crate) fn run_timed<A: AsRef<OsStr> + AsRef<str>>(
    name: &str,
    program: &OsStr,
    args: &[A],
    dir: &Path,
    env: &[(&str, &str)],
    timeout_var: &str,
) -> Result<Result<(), Exited>, String> {
    timed(name, program, args, dir, env, timeout_var, false)
}

/// [`run_timed`] for a tool that reports its errors on stdout (yarn 2+): the [`Exited`] text
/// holds stdout and stderr.
pub(crate) fn run_timed_all_output<A: AsRef<OsStr> + AsRef<str>>(
    name: &str,
    program: &OsStr,
    args: &[A],
    dir: &Path,
    env: &[(&str, &str)],
    timeout_var: &str,
) -> Result<Result<(), Exited>, String> {
    timed(name, program, args, dir, env, timeout_var, true)
}

fn timed<A: AsRef<OsStr> + AsRef<str>>(
    name: &str,
    program: &OsStr,
    args: &[A],
    dir: &Path,
    env: &[(&str, &str)],
    timeout_var: &str,
    with_stdout: bool,
) -> Result<Result<(), Exited>, String> {
    let words: Vec<&str> = args.iter().map(AsRef::<str>::as_ref).collect();
    let shown = format!("{name} {}", words.join(" "));
    let limit = std::env::var(timeout_var)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(300);
    let timeout = Duration::from_secs(limit);
    match run_logged(program, args, dir, env, timeout, with_stdout) {
        Ok(()) => Ok(Ok(())),
        Err(ToolFailure::Log(e)) => Err(format!("cannot create a log file for {name}: {e}")),
        Err(ToolFailure::Spawn(e)) => Err(format!("cannot run {}: {e}", program.to_string_lossy())),
        Err(ToolFailure::Wait(e)) => Err(format!("cannot wait for `{shown}`: {e}")),
        Err(ToolFailure::TimedOut) => Err(format!(
            "`{shown}` did not finish within {limit} s ({timeout_var})"
        )),
        Err(ToolFailure::Failed { status, stderr }) => Ok(Err((shown, status, stderr))),
    }
}

/// The lines of a failed tool's `text` worth showing: those `is_error` picks, or every
/// non-empty line when it picks none.
pub(crate) fn error_lines(text: &str, is_error: impl Fn(&str) -> bool) -> Vec<&str> {
    let errors: Vec<&str> = text.lines().filter(|l| is_error(l)).collect();
    if errors.is_empty() {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    } else {
        errors
    }
}

/// The message of a tool that failed: `` `SHOWN` failed (STATUS): `` and the last six of
/// `lines`, joined by ` | `.
pub(crate) fn failure_tail(shown: &str, status: ExitStatus, lines: &[&str]) -> String {
    let tail = lines
        .get(lines.len().saturating_sub(6)..)
        .unwrap_or_default();
    format!("`{shown}` failed ({status}): {}", tail.join(" | "))
}

/// The uv nanoup runs: `NANOUP_UV`, else `uv` on the PATH.
pub(crate) fn uv_program() -> std::ffi::OsString {
    std::env::var_os("NANOUP_UV").unwrap_or_else(|| "uv".into())
}

/// How long one `uv` run may take before it is stopped.
pub(crate) const UV_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs `uv ARGS` in `dir` with a timeout; the failure (first and last lines of its stderr,
/// which can be long for a resolver conflict), if any.
pub(crate) fn run_uv(dir: &Path, args: &[&str]) -> Result<(), String> {
    let shown = format!("uv {}", args.join(" "));
    let env = [("UV_NO_PROGRESS", "1")];
    let (status, text) = match run_tool(&uv_program(), args, dir, &env, UV_TIMEOUT) {
        Ok(()) => return Ok(()),
        Err(ToolFailure::Log(e) | ToolFailure::Spawn(e)) => {
            return Err(format!("cannot run `{shown}`: {e}"));
        }
        Err(ToolFailure::Wait(e)) => return Err(format!("cannot wait for `{shown}`: {e}")),
        Err(ToolFailure::TimedOut) => {
            return Err(format!(
                "`{shown}` did not finish in {UV_TIMEOUT:?}; stopped"
            ));
        }
        Err(ToolFailure::Failed { status, stderr }) => (status, stderr),
    };
    // The first error line and the conclusion (a resolver conflict explains itself at length
    // in between), each cut to a readable length.
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("error"))
        .unwrap_or(0);
    let mut picked: Vec<&str> = lines.get(first).copied().into_iter().collect();
    let tail = (first + 1).max(lines.len().saturating_sub(2));
    if tail > first + 1 {
        picked.push("...");
    }
    picked.extend(lines.iter().skip(tail));
    let cut = |l: &str| match l.char_indices().nth(400) {
        Some((at, _)) => format!("{}...", l.get(..at).unwrap_or(l)),
        None => l.to_string(),
    };
    let said = picked.into_iter().map(cut).collect::<Vec<_>>().join(" | ");
    Err(format!("`{shown}` failed ({status}): {said}"))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Result<(), ToolFailure> {
        let dir = tempfile::tempdir().unwrap();
        run_tool(
            OsStr::new("sh"),
            &["-c", script],
            dir.path(),
            &[("NANOUP_TOOL_TEST", "set")],
            timeout,
        )
    }

    #[test]
    fn success_and_environment() {
        let ran = sh(r#"test "$NANOUP_TOOL_TEST" = set"#, Duration::from_secs(30));
        assert!(ran.is_ok(), "{ran:?}");
    }

    #[test]
    fn failure_carries_status_and_stderr() {
        match sh("echo out; echo oops >&2; exit 3", Duration::from_secs(30)) {
            Err(ToolFailure::Failed { status, stderr }) => {
                assert_eq!(status.code(), Some(3));
                assert_eq!(stderr, "oops\n");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timeout_kills() {
        let started = Instant::now();
        let ran = sh("sleep 30", Duration::from_millis(200));
        assert!(matches!(ran, Err(ToolFailure::TimedOut)), "{ran:?}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn missing_program() {
        let dir = tempfile::tempdir().unwrap();
        let ran = run_tool(
            OsStr::new("/nonexistent/tool"),
            &[] as &[&str],
            dir.path(),
            &[],
            Duration::from_secs(1),
        );
        assert!(matches!(ran, Err(ToolFailure::Spawn(_))), "{ran:?}");
    }
}
