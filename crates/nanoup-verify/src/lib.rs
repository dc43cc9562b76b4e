//! Verifying nano updates with the project's own tests, and naming the update that breaks them.
//!
//! - [`search`]: the pure group-testing search (which sets to test, what the results mean).
//! - [`compose`]: building the files of any set of updates from each update's own edit.
//! - [`worktree`]: git worktrees under the data directory, a lock per repository, clean-up.
//! - [`runner`]: running a test command with a timeout, its output to a log file.
//! - [`session`]: one verification, the search driving runs in worktrees.
//! - [`updates`]: planned updates in (each one's edit, search order, default test command) and
//!   green ones out (one commit each).

pub mod compose;
pub mod runner;
pub mod search;
pub mod session;
pub mod updates;
pub mod worktree;
