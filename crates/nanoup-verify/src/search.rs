//! Finding the updates that break a test suite with few test runs: adaptive group testing.
//!
//! Pure: the search knows updates only by index (`0..n`) and learns about them through a
//! [`Tester`], which runs the test suite with a set of updates applied and says red or green.
//! Everything about worktrees, commands and time lives behind that trait.
//!
//! `split` (the default): all updates together first. A red set is halved, only the first half
//! tested: red means a culprit is in it, green means it is in the second half (no run needed).
//! One update left is a culprit once two runs of it alone were red; then the rest is tested
//! again, until the rest is green — that last green run is also the run that confirms every
//! green update together. When an update that must be red (by the halving) is green alone, the
//! red came from updates that fail only together (an `interaction`, narrowed to a smallest red
//! combination) or from a flaky test (a red that does not come back when re-run). When culprits
//! turn out to be many, the search switches to one run per remaining update, at the point where
//! that is sure to cost no more than another halving round.
//!
//! `each`: one run per update alone (what update bots offer); it cannot see interactions.
//!
//! Runs are counted in two kinds: *decision* runs (the ones the halving plan asks for) and
//! *confirmation* runs (the second run of an update alone before it is called a culprit, and
//! the re-runs that tell a flaky red from a real one). Without interactions or flakiness, split
//! makes at most `k·(⌈log2 n⌉+1)+1` decision runs for `k` culprits among `n` (docs/verify.md
//! says why `n+1` cannot also be promised).

use std::collections::HashMap;

/// Why a run was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// A run the search plan asks for (all together, a half, the rest, one update alone).
    Decision,
    /// A run that checks a red result before it is trusted, or re-tests a set to tell a flaky
    /// red from a real one.
    Confirmation,
}

/// One test run as the search saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    /// The updates applied, by index, ascending.
    pub set: Vec<usize>,
    /// Whether the tests failed.
    pub red: bool,
    /// Why the run was made.
    pub purpose: Purpose,
}

/// What the search concluded about one update.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The tests pass with it, together with every other green update.
    Green,
    /// The tests fail with it alone (seen twice).
    Culprit,
    /// It breaks the tests only together with others: `with` is the smallest red combination
    /// found (indices, this update included).
    Interaction {
        /// The red combination.
        with: Vec<usize>,
    },
    /// Its tests failed and then passed on the same set: the result cannot be trusted.
    Flaky,
}

/// The two ways to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Adaptive group testing: halve red sets (the default).
    #[default]
    Split,
    /// One run per update.
    Each,
}

/// Runs the test suite with sets of updates applied.
pub trait Tester {
    /// Runs the tests once per set (side by side when the tester can) and returns, per set,
    /// whether the tests failed.
    fn run(&mut self, sets: &[Vec<usize>], purpose: Purpose) -> Vec<bool>;
}

impl<F: FnMut(&[usize]) -> bool> Tester for F {
    fn run(&mut self, sets: &[Vec<usize>], _purpose: Purpose) -> Vec<bool> {
        sets.iter().map(|set| self(set)).collect()
    }
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// One verdict per update, by index.
    pub verdicts: Vec<Verdict>,
    /// Every run, in order.
    pub runs: Vec<Run>,
}

impl Outcome {
    /// How many runs were decision runs.
    pub fn decision_runs(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| r.purpose == Purpose::Decision)
            .count()
    }
}

/// Searches `n` updates with `strategy`, running at most `jobs` test runs side by side.
pub fn search(n: usize, strategy: Strategy, jobs: usize, tester: &mut dyn Tester) -> Outcome {
    let mut search = Search {
        tester,
        jobs: jobs.max(1),
        runs: Vec::new(),
        seen: HashMap::new(),
        verdicts: vec![None; n],
    };
    match strategy {
        Strategy::Split => search.split(n),
        Strategy::Each => search.each((0..n).collect()),
    }
    let verdicts = search
        .verdicts
        .into_iter()
        .map(|v| v.unwrap_or(Verdict::Green))
        .collect();
    Outcome {
        verdicts,
        runs: search.runs,
    }
}

/// What isolating a red set found.
enum Found {
    /// These updates got a verdict.
    Classified(Vec<usize>),
    /// The red could not be explained by any single update, and re-running showed it is not
    /// reproducible; these updates were each seen green alone.
    Unreproducible(Vec<usize>),
}

struct Search<'a> {
    tester: &'a mut dyn Tester,
    jobs: usize,
    runs: Vec<Run>,
    /// Every result seen per set: (red runs, green runs).
    seen: HashMap<Vec<usize>, (usize, usize)>,
    verdicts: Vec<Option<Verdict>>,
}

fn sorted(set: &[usize]) -> Vec<usize> {
    let mut set = set.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

fn ceil_log2(n: usize) -> usize {
    if n <= 1 {
        0
    } else {
        (usize::BITS - (n - 1).leading_zeros()) as usize
    }
}

impl Search<'_> {
    /// Runs each set once; returns whether each was red.
    fn observe(&mut self, sets: &[Vec<usize>], purpose: Purpose) -> Vec<bool> {
        let sets: Vec<Vec<usize>> = sets.iter().map(|s| sorted(s)).collect();
        let mut results = Vec::with_capacity(sets.len());
        for batch in sets.chunks(self.jobs) {
            let reds = self.tester.run(batch, purpose);
            for (set, red) in batch.iter().zip(reds) {
                let entry = self.seen.entry(set.clone()).or_default();
                if red {
                    entry.0 += 1;
                } else {
                    entry.1 += 1;
                }
                self.runs.push(Run {
                    set: set.clone(),
                    red,
                    purpose,
                });
                results.push(red);
            }
        }
        results
    }

    fn observe_one(&mut self, set: &[usize], purpose: Purpose) -> bool {
        self.observe(&[set.to_vec()], purpose)[0]
    }

    /// Whether `set` is red, from an earlier run of the very same set when there was one (and
    /// it did not contradict itself), else from a new decision run.
    fn decide(&mut self, set: &[usize]) -> bool {
        match self.seen.get(&sorted(set)).copied().unwrap_or_default() {
            (0, 0) => self.observe_one(set, Purpose::Decision),
            (_, 0) => true,
            (0, _) => false,
            _ => self.observe_one(set, Purpose::Decision),
        }
    }

    fn set_verdict(&mut self, update: usize, verdict: Verdict) {
        self.verdicts[update] = Some(verdict);
    }

    /// Makes sure `update` alone has been run twice (or once green), and says what it is:
    /// `Some(Culprit)`, `Some(Flaky)`, or `None` when it is green alone.
    fn alone(&mut self, update: usize, purpose: Purpose) -> Option<Verdict> {
        let key = vec![update];
        loop {
            let (red, green) = self.seen.get(&key).copied().unwrap_or_default();
            match (red, green) {
                (0, 0) => {
                    self.observe_one(&key, purpose);
                }
                (0, _) => return None,
                (1, 0) => {
                    self.observe_one(&key, Purpose::Confirmation);
                }
                (_, 0) => return Some(Verdict::Culprit),
                _ => return Some(Verdict::Flaky),
            }
        }
    }

    fn split(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let all: Vec<usize> = (0..n).collect();
        if !self.observe_one(&all, Purpose::Decision) {
            return;
        }
        let per_culprit = ceil_log2(n) + 1;
        // Updates not yet known, and updates seen green in a green set (known green unless
        // they interact); together they are red at the top of every round.
        let mut unknown = all;
        let mut green: Vec<usize> = Vec::new();
        let mut found = 0usize;
        // Every round classifies an update or clears one alone; a tester that keeps changing
        // its mind about the same sets cannot keep the search going past this.
        let mut rounds_left = 2 * n + 4;
        loop {
            if rounds_left == 0 {
                for &update in &unknown {
                    self.set_verdict(update, Verdict::Flaky);
                }
                return;
            }
            rounds_left -= 1;
            let decisions = self
                .runs
                .iter()
                .filter(|r| r.purpose == Purpose::Decision)
                .count();
            let classified = if unknown.is_empty() {
                // Known-green updates are red together: they interact, or a test is flaky.
                let red_set = sorted(&green);
                self.unexplained(&red_set)
            } else if decisions + unknown.len() <= 1 + (found + 1) * per_culprit {
                // One run per remaining update now costs no more than another halving round.
                let classified = self.one_by_one(&unknown, &mut green);
                unknown.clear();
                Found::Classified(classified)
            } else {
                let red_set = sorted(&[green.clone(), unknown.clone()].concat());
                self.isolate(unknown.clone(), red_set, &mut green)
            };
            match classified {
                Found::Classified(done) => {
                    found += done.len().max(1);
                    unknown.retain(|u| !done.contains(u));
                    green.retain(|u| !done.contains(u));
                }
                Found::Unreproducible(seen_green) => {
                    unknown.retain(|u| !seen_green.contains(u));
                    green.extend(seen_green);
                }
            }
            unknown.retain(|u| !green.contains(u));
            let rest = sorted(&[green.clone(), unknown.clone()].concat());
            if rest.is_empty() {
                return;
            }
            if !self.decide(&rest) {
                return;
            }
        }
    }

    /// Halves `candidates` (red as a whole: run red, or inferred from the red set `red_set`
    /// whose other members are known green) down to one update.
    fn isolate(
        &mut self,
        mut candidates: Vec<usize>,
        mut red_set: Vec<usize>,
        green: &mut Vec<usize>,
    ) -> Found {
        while candidates.len() > 1 {
            let half = candidates.len().div_ceil(2);
            let (first, second) = candidates.split_at(half);
            let (first, second) = (first.to_vec(), second.to_vec());
            let (first_red, second_red) = if self.jobs >= 2 {
                // Both halves side by side: the second half's answer is measured, not inferred.
                let reds = self.observe(&[first.clone(), second.clone()], Purpose::Decision);
                (reds[0], Some(reds[1]))
            } else {
                (self.decide(&first), None)
            };
            if first_red {
                candidates = first;
                red_set = sorted(&candidates);
            } else {
                green.extend(first.iter().copied());
                candidates = second;
                match second_red {
                    Some(true) => red_set = sorted(&candidates),
                    Some(false) => return self.unexplained(&red_set),
                    None => {}
                }
            }
        }
        // The halving says this update is red; it is called a culprit only after two red runs
        // of it alone (when it was last in a green half's shadow, both are confirmation runs).
        let update = candidates[0];
        match self.alone(update, Purpose::Confirmation) {
            Some(verdict) => {
                self.set_verdict(update, verdict);
                Found::Classified(vec![update])
            }
            None => {
                green.push(update);
                self.unexplained(&red_set)
            }
        }
    }

    /// `red_set` was red, but no single update in it is: re-run it. Red again → the smallest
    /// red combination is an interaction. Green → a flaky red; each member alone decides.
    fn unexplained(&mut self, red_set: &[usize]) -> Found {
        if self.observe_one(red_set, Purpose::Confirmation) {
            let combination = self.minimize(red_set.to_vec());
            if combination.len() == 1 {
                let update = combination[0];
                let verdict = self
                    .alone(update, Purpose::Confirmation)
                    .unwrap_or(Verdict::Flaky);
                self.set_verdict(update, verdict);
            } else {
                for &update in &combination {
                    self.set_verdict(
                        update,
                        Verdict::Interaction {
                            with: combination.clone(),
                        },
                    );
                }
            }
            return Found::Classified(combination);
        }
        let mut classified = Vec::new();
        let mut seen_green = Vec::new();
        for &update in red_set {
            match self.alone(update, Purpose::Confirmation) {
                Some(verdict) => {
                    self.set_verdict(update, verdict);
                    classified.push(update);
                }
                None => seen_green.push(update),
            }
        }
        if classified.is_empty() {
            Found::Unreproducible(seen_green)
        } else {
            Found::Classified(classified)
        }
    }

    /// The smallest red subset of `set` reachable by removing chunks (halves, quarters, ...,
    /// single updates) while the rest stays red. Each red is taken at its word first and the
    /// result re-run; only when that re-run is green (a flaky red misled the narrowing) is it
    /// done again with every red re-run before it is trusted.
    fn minimize(&mut self, set: Vec<usize>) -> Vec<usize> {
        let quick = self.shrink(set.clone(), false);
        if quick.len() == set.len() || self.observe_one(&quick, Purpose::Confirmation) {
            return quick;
        }
        self.shrink(set, true)
    }

    /// One pass of [`Search::minimize`]; with `trusted`, a red counts only when red twice in
    /// a row. A set already seen green is not run again.
    fn shrink(&mut self, mut set: Vec<usize>, trusted: bool) -> Vec<usize> {
        let mut chunk = set.len().div_ceil(2);
        while chunk >= 1 && set.len() > 1 {
            let mut start = 0;
            let mut removed = false;
            while start < set.len() && set.len() > 1 {
                let end = (start + chunk).min(set.len());
                let rest: Vec<usize> = set[..start].iter().chain(&set[end..]).copied().collect();
                if !rest.is_empty() && self.red_again(&rest, trusted) {
                    set = rest;
                    removed = true;
                } else {
                    start = end;
                }
            }
            if chunk == 1 && !removed {
                break;
            }
            chunk = if chunk == 1 { 1 } else { chunk.div_ceil(2) };
        }
        set
    }

    /// Whether `set` is red for the narrowing of an interaction: never run again once seen
    /// green; with `trusted`, red only when a re-run is red too.
    fn red_again(&mut self, set: &[usize], trusted: bool) -> bool {
        if self
            .seen
            .get(&sorted(set))
            .is_some_and(|&(_, green)| green > 0)
        {
            return false;
        }
        self.observe_one(set, Purpose::Confirmation)
            && (!trusted || self.observe_one(set, Purpose::Confirmation))
    }

    /// One run per update, each on top of the updates found green so far: a green run both
    /// clears the update and confirms it with every earlier green one.
    fn one_by_one(&mut self, updates: &[usize], green: &mut Vec<usize>) -> Vec<usize> {
        let mut classified = Vec::new();
        for &update in updates {
            let with_green = sorted(&[green.clone(), vec![update]].concat());
            if !self.decide(&with_green) {
                green.push(update);
                continue;
            }
            match self.alone(update, Purpose::Confirmation) {
                Some(verdict) => {
                    self.set_verdict(update, verdict);
                    classified.push(update);
                }
                None => {
                    // Green alone, red with the green ones: an interaction among them.
                    if let Found::Classified(done) = self.unexplained(&with_green) {
                        green.retain(|g| !done.contains(g));
                        classified.extend(done);
                    } else {
                        green.push(update);
                    }
                }
            }
        }
        classified
    }

    /// `each`: every update alone, `jobs` at a time; a red one is run again before it is
    /// called a culprit.
    fn each(&mut self, updates: Vec<usize>) {
        let sets: Vec<Vec<usize>> = updates.iter().map(|&u| vec![u]).collect();
        let reds = self.observe(&sets, Purpose::Decision);
        let red: Vec<usize> = updates
            .iter()
            .zip(reds)
            .filter_map(|(&u, red)| red.then_some(u))
            .collect();
        let again: Vec<Vec<usize>> = red.iter().map(|&u| vec![u]).collect();
        let reds = self.observe(&again, Purpose::Confirmation);
        for (&update, red) in red.iter().zip(reds) {
            let verdict = if red {
                Verdict::Culprit
            } else {
                Verdict::Flaky
            };
            self.set_verdict(update, verdict);
        }
    }
}

/// The bound on decision runs for `k` culprits among `n` updates without interactions:
/// `k·(⌈log2 n⌉+1)+1` (and 1 when nothing is red).
pub fn decision_bound(n: usize, k: usize) -> usize {
    k * (ceil_log2(n) + 1) + 1
}
