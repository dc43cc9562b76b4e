//! Git worktrees under the data directory, never the user's work tree.
//!
//! `<data dir>/verify/<repository key>/` holds a `lock` file (one verify per repository at a
//! time: a second one is refused, naming the first), `worktrees/` (removed when the
//! [`Workspace`] is dropped, and any left by a killed run removed by the next one) and `runs/`
//! (the log of every test run, kept).

use std::fs::File;
use std::path::{Path, PathBuf};

/// Why the workspace could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// Another verify holds the repository's lock.
    #[error(
        "another `nanoup verify` is running on {repository} (lock {lock}); wait for it to finish or stop it"
    )]
    Busy {
        /// The repository.
        repository: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// A file system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A git command failed.
    #[error("{message} (in {dir})")]
    Git {
        /// Where.
        dir: PathBuf,
        /// The command and git's standard error.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorkspaceError + '_ {
    move |source| WorkspaceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs git in `dir`, returning its standard output.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, WorkspaceError> {
    nanoup_engine::git::run(dir, args).map_err(|message| WorkspaceError::Git {
        dir: dir.to_path_buf(),
        message,
    })
}

/// The verify area of one repository, locked for the life of the value.
#[derive(Debug)]
pub struct Workspace {
    repository: PathBuf,
    area: PathBuf,
    worktrees: Vec<PathBuf>,
    _lock: File,
}

impl Workspace {
    /// Locks `<data_dir>/verify/<key>/` for `repository` (the top of a git work tree) and
    /// removes worktrees a killed verify left behind.
    pub fn open(
        data_dir: &Path,
        repository: &Path,
        key: &str,
    ) -> Result<Workspace, WorkspaceError> {
        let area = data_dir.join("verify").join(key);
        std::fs::create_dir_all(area.join("worktrees")).map_err(io(&area))?;
        std::fs::create_dir_all(area.join("runs")).map_err(io(&area))?;
        let lock_path = area.join("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(WorkspaceError::Busy {
                repository: repository.to_path_buf(),
                lock: lock_path,
            });
        }
        let workspace = Workspace {
            repository: repository.to_path_buf(),
            area,
            worktrees: Vec::new(),
            _lock: lock,
        };
        workspace.remove_stale()?;
        Ok(workspace)
    }

    /// Where run logs and caches go.
    pub fn area(&self) -> &Path {
        &self.area
    }

    /// Removes every worktree directory under `worktrees/` (we hold the lock, so they are
    /// stale) and lets git forget them.
    fn remove_stale(&self) -> Result<(), WorkspaceError> {
        let dir = self.area.join("worktrees");
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            let path = entry.path();
            let _ = git(
                &self.repository,
                &["worktree", "remove", "--force", &path.to_string_lossy()],
            );
            if path.exists() {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            }
        }
        git(&self.repository, &["worktree", "prune"])?;
        Ok(())
    }

    /// A new worktree named `name`, detached at `HEAD` (or on a new `branch` from `HEAD`).
    pub fn add(&mut self, name: &str, branch: Option<&str>) -> Result<PathBuf, WorkspaceError> {
        let path = self.area.join("worktrees").join(name);
        let target = path.to_string_lossy().into_owned();
        let mut args = vec!["worktree", "add", "--quiet"];
        match branch {
            Some(branch) => args.extend(["-b", branch, &target, "HEAD"]),
            None => args.extend(["--detach", &target, "HEAD"]),
        }
        git(&self.repository, &args)?;
        self.worktrees.push(path.clone());
        Ok(path)
    }

    /// Removes the worktree at `path` now.
    pub fn remove(&mut self, path: &Path) {
        let _ = git(
            &self.repository,
            &["worktree", "remove", "--force", &path.to_string_lossy()],
        );
        let _ = std::fs::remove_dir_all(path);
        self.worktrees.retain(|p| p != path);
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        for path in std::mem::take(&mut self.worktrees) {
            let _ = git(
                &self.repository,
                &["worktree", "remove", "--force", &path.to_string_lossy()],
            );
            let _ = std::fs::remove_dir_all(&path);
        }
        let _ = git(&self.repository, &["worktree", "prune"]);
    }
}
