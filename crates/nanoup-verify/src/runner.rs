//! Running a test command: in its own process group (so a timeout or Ctrl-C stops everything it
//! started), output to a log file, a deadline that counts as red with reason `timeout`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How one run of the test command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The exit code (None when killed: timeout, interruption or a signal).
    pub exit_code: Option<i32>,
    /// Why a run is red without an exit code, or why it could not start: `timeout`,
    /// `interrupted`, `signal`, or the error starting it.
    pub reason: Option<String>,
    /// Wall time.
    pub duration: Duration,
    /// Where stdout and stderr went.
    pub log: PathBuf,
}

impl RunReport {
    /// Whether the tests failed (anything but exit code 0).
    pub fn red(&self) -> bool {
        self.exit_code != Some(0)
    }
}

/// A test command and how to run it.
#[derive(Debug, Clone)]
pub struct TestCommand {
    /// Given to `sh -c`.
    pub shell: String,
    /// Extra environment (shared caches).
    pub env: Vec<(String, String)>,
    /// The deadline of one run.
    pub timeout: Duration,
}

/// Set by the Ctrl-C handler: running commands are killed and no new one starts.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs `command` in `dir`, output to `log`. Never panics; a command that cannot start is a red
/// run with its reason.
pub fn run(command: &TestCommand, dir: &Path, log: &Path) -> RunReport {
    let started = Instant::now();
    let report = |exit_code, reason: Option<String>| RunReport {
        exit_code,
        reason,
        duration: started.elapsed(),
        log: log.to_path_buf(),
    };
    if INTERRUPTED.load(Ordering::SeqCst) {
        return report(None, Some("interrupted".into()));
    }
    let out = match File::create(log) {
        Ok(f) => f,
        Err(e) => return report(None, Some(format!("cannot write {}: {e}", log.display()))),
    };
    let err = match out.try_clone() {
        Ok(f) => f,
        Err(e) => return report(None, Some(format!("cannot write {}: {e}", log.display()))),
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(&command.shell)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (key, value) in &command.env {
        cmd.env(key, value);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return report(None, Some(format!("cannot start `sh -c`: {e}"))),
    };
    // A timeout too long to add to the clock is no timeout.
    let deadline = started.checked_add(command.timeout);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let reason = status.code().is_none().then(|| "signal".to_string());
                return report(status.code(), reason);
            }
            Ok(None) => {}
            Err(e) => return report(None, Some(format!("cannot wait for the tests: {e}"))),
        }
        let stop = if INTERRUPTED.load(Ordering::SeqCst) {
            Some("interrupted")
        } else if deadline.is_some_and(|d| Instant::now() >= d) {
            Some("timeout")
        } else {
            None
        };
        if let Some(reason) = stop {
            kill_group(&mut child);
            return report(None, Some(reason.into()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills the child's whole process group (a test runner's children too), then reaps the child.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group the child leads
            // (it was spawned with process_group(0)); it touches no memory of ours.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(shell: &str, timeout: Duration) -> TestCommand {
        TestCommand {
            shell: shell.into(),
            env: vec![("NANOUP_TEST_VALUE".into(), "42".into())],
            timeout,
        }
    }

    #[test]
    fn exit_code_output_and_environment_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("run.log");
        let r = run(
            &command(
                "echo value=$NANOUP_TEST_VALUE; exit 3",
                Duration::from_secs(20),
            ),
            dir.path(),
            &log,
        );
        assert_eq!(r.exit_code, Some(3));
        assert!(r.red());
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "value=42\n");
        let r = run(&command("true", Duration::from_secs(20)), dir.path(), &log);
        assert!(!r.red());
    }

    #[test]
    fn a_run_past_its_deadline_is_red_with_reason_timeout_and_its_children_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("run.log");
        let marker = dir.path().join("child-survived");
        let shell = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let r = run(
            &command(&shell, Duration::from_millis(300)),
            dir.path(),
            &log,
        );
        assert_eq!(r.reason.as_deref(), Some("timeout"));
        assert!(r.red());
        assert!(r.duration < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "the background child was killed too");
    }
}
