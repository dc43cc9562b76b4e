//! One verification: the search of [`crate::search`] with every test run made in a worktree
//! holding the base files with the set's edits laid in.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::compose::{Conflict, Edit, Files, compose};
use crate::runner::{INTERRUPTED, RunReport, TestCommand, run};
use crate::search::{Outcome, Purpose, Strategy, Tester, search};
use crate::worktree::{Workspace, WorkspaceError};

/// The updates to verify: the base files and each update's edit of them.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Every file an edit touches, as it is at `HEAD`.
    pub base: Files,
    /// One edit per update, by index.
    pub edits: Vec<Edit>,
}

impl Batch {
    /// The updates whose edits cannot be laid in together with an earlier one's, with the
    /// conflict; verify leaves them out.
    pub fn conflicts(&self) -> Vec<(usize, Conflict)> {
        let mut kept: Vec<usize> = Vec::new();
        let mut out = Vec::new();
        for index in 0..self.edits.len() {
            let mut trial: Vec<(usize, &Edit)> =
                kept.iter().map(|&i| (i, &self.edits[i])).collect();
            trial.push((index, &self.edits[index]));
            match compose(&self.base, &trial) {
                Ok(_) => kept.push(index),
                Err(conflict) => out.push((index, conflict)),
            }
        }
        out
    }
}

/// How to verify.
#[derive(Debug, Clone)]
pub struct Settings {
    /// split or each.
    pub strategy: Strategy,
    /// Test runs side by side.
    pub jobs: usize,
    /// The test command.
    pub command: TestCommand,
    /// Where to run it, relative to the repository's top (the stack's directory).
    pub stack_dir: PathBuf,
    /// A name for this verification's logs (under `runs/`).
    pub session: String,
}

/// One test run: the set (update indices), why, and how it ended.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Update indices, ascending.
    pub set: Vec<usize>,
    /// Why it was made.
    pub purpose: Purpose,
    /// How it ended.
    pub report: RunReport,
}

/// What a verification found.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Verdicts and runs as the search saw them.
    pub outcome: Outcome,
    /// Every run with its exit code, duration and log.
    pub runs: Vec<RunRecord>,
    /// Wall time of the whole search.
    pub wall: Duration,
}

/// What the progress display is told.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A run starts: its number (1-based), the set and why.
    Starting {
        /// Run number.
        number: usize,
        /// The set.
        set: &'a [usize],
        /// Why.
        purpose: Purpose,
    },
    /// A run ended.
    Finished {
        /// Run number.
        number: usize,
        /// How.
        report: &'a RunReport,
    },
}

/// Why a verification stopped.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Worktree or lock trouble.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// Ctrl-C.
    #[error("interrupted; the worktrees were removed and the work tree was not touched")]
    Interrupted,
    /// A set's files could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file an update wrote could not be read back.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Landing the green updates failed; what was committed so far stays, on its branch.
    #[error("cannot land the green updates: {0}")]
    Land(String),
}

struct WorktreeTester<'a> {
    batch: &'a Batch,
    settings: &'a Settings,
    worktrees: Vec<PathBuf>,
    logs: PathBuf,
    records: Vec<RunRecord>,
    failure: Option<VerifyError>,
    progress: &'a mut dyn FnMut(Progress<'_>),
}

impl WorktreeTester<'_> {
    /// Writes the files of `set` into `worktree`: every base file, with the set's edits.
    fn lay_in(&self, worktree: &Path, set: &[usize]) -> Result<(), VerifyError> {
        let edits: Vec<(usize, &Edit)> = set.iter().map(|&i| (i, &self.batch.edits[i])).collect();
        // Conflicting updates were left out before the search: composing cannot fail here,
        // and if it did the base files are the safe answer.
        let composed = compose(&self.batch.base, &edits).unwrap_or_default();
        for (path, base) in &self.batch.base {
            let text = composed.get(path).unwrap_or(base);
            let target = worktree.join(path);
            std::fs::write(&target, text).map_err(|source| VerifyError::Write {
                path: target.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl Tester for WorktreeTester<'_> {
    fn run(&mut self, sets: &[Vec<usize>], purpose: Purpose) -> Vec<bool> {
        let first = self.records.len() + 1;
        for (offset, set) in sets.iter().enumerate() {
            (self.progress)(Progress::Starting {
                number: first + offset,
                set,
                purpose,
            });
        }
        let mut reports: Vec<RunReport> = Vec::with_capacity(sets.len());
        for (offset, set) in sets.iter().enumerate() {
            if let Err(e) = self.lay_in(&self.worktrees[offset], set) {
                self.failure.get_or_insert(e);
                INTERRUPTED.store(true, Ordering::SeqCst);
            }
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = sets
                .iter()
                .enumerate()
                .map(|(offset, _)| {
                    let dir = self.worktrees[offset].join(&self.settings.stack_dir);
                    let log = self.logs.join(format!("run-{:03}.log", first + offset));
                    let command = &self.settings.command;
                    scope.spawn(move || run(command, &dir, &log))
                })
                .collect();
            for handle in handles {
                reports.push(handle.join().unwrap_or_else(|_| RunReport {
                    exit_code: None,
                    reason: Some("the runner thread panicked".into()),
                    duration: Duration::ZERO,
                    log: PathBuf::new(),
                }));
            }
        });
        let mut reds = Vec::with_capacity(sets.len());
        for (offset, (set, report)) in sets.iter().zip(reports).enumerate() {
            (self.progress)(Progress::Finished {
                number: first + offset,
                report: &report,
            });
            reds.push(report.red());
            self.records.push(RunRecord {
                set: set.clone(),
                purpose,
                report,
            });
        }
        reds
    }
}

/// Verifies `batch` in worktrees of `workspace`. The caller leaves conflicting updates out
/// first ([`Batch::conflicts`]).
pub fn verify(
    workspace: &mut Workspace,
    batch: &Batch,
    settings: &Settings,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Verification, VerifyError> {
    let jobs = settings.jobs.max(1);
    let logs = workspace.area().join("runs").join(&settings.session);
    std::fs::create_dir_all(&logs).map_err(|source| VerifyError::Write {
        path: logs.clone(),
        source,
    })?;
    let mut worktrees = Vec::with_capacity(jobs);
    for job in 0..jobs {
        worktrees.push(workspace.add(&format!("{}-{job}", settings.session), None)?);
    }
    let started = Instant::now();
    let mut tester = WorktreeTester {
        batch,
        settings,
        worktrees: worktrees.clone(),
        logs,
        records: Vec::new(),
        failure: None,
        progress,
    };
    let outcome = search(batch.edits.len(), settings.strategy, jobs, &mut tester);
    let wall = started.elapsed();
    let (records, failure) = (tester.records, tester.failure);
    for worktree in &worktrees {
        workspace.remove(worktree);
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(VerifyError::Interrupted);
    }
    Ok(Verification {
        outcome,
        runs: records,
        wall,
    })
}
