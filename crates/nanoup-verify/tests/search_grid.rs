//! The search against a deterministic test suite, for n in {1, 8, 32, 64} and k in {0, 1, 2, 4}:
//! every culprit and interaction found, no green update misreported, and the run counts within
//! the bound. The same grid runs through real worktrees and a real script in `verify_cli.rs`.

use std::collections::{BTreeSet, HashSet};

use nanoup_verify::search::{Outcome, Strategy, Verdict, decision_bound, search};

/// A test suite: red when a culprit is in the set, or both members of the pair are; the flaky
/// update makes the first run of each set it is in red and later runs of that set green.
struct Suite {
    culprits: BTreeSet<usize>,
    pair: Option<(usize, usize)>,
    flaky: Option<usize>,
    seen: HashSet<Vec<usize>>,
}

impl Suite {
    fn red(&mut self, set: &[usize]) -> bool {
        let first_time = self.seen.insert(set.to_vec());
        set.iter().any(|u| self.culprits.contains(u))
            || self
                .pair
                .is_some_and(|(a, b)| set.contains(&a) && set.contains(&b))
            || self.flaky.is_some_and(|f| set.contains(&f) && first_time)
    }
}

/// Distinct positions in 0..n from a small deterministic generator.
fn positions(n: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut chosen = Vec::new();
    while chosen.len() < count.min(n) {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let p = ((state >> 33) as usize) % n;
        if !chosen.contains(&p) {
            chosen.push(p);
        }
    }
    chosen
}

fn run(n: usize, suite: &mut Suite, strategy: Strategy) -> Outcome {
    let mut tester = |set: &[usize]| suite.red(set);
    search(n, strategy, 1, &mut tester)
}

fn check_verdicts(outcome: &Outcome, suite: &Suite, context: &str) {
    for (i, verdict) in outcome.verdicts.iter().enumerate() {
        let expected_kind = if suite.culprits.contains(&i) {
            "culprit"
        } else if suite.pair.is_some_and(|(a, b)| i == a || i == b) {
            "interaction"
        } else if suite.flaky == Some(i) {
            "flaky"
        } else {
            "green"
        };
        let kind = match verdict {
            Verdict::Green => "green",
            Verdict::Culprit => "culprit",
            Verdict::Interaction { .. } => "interaction",
            Verdict::Flaky => "flaky",
        };
        assert_eq!(kind, expected_kind, "{context}: update {i}: {verdict:?}");
        if let (Verdict::Interaction { with }, Some((a, b))) = (verdict, suite.pair) {
            let mut pair = vec![a, b];
            pair.sort();
            assert_eq!(with, &pair, "{context}: the smallest red combination");
        }
    }
}

#[test]
fn split_finds_every_culprit_within_the_bound() {
    let mut table = String::from(
        "n   k  split: decision runs  split: all runs  k(log2 n+1)+1  n+1  each: all runs\n",
    );
    for n in [1usize, 8, 32, 64] {
        for k in [0usize, 1, 2, 4] {
            if k > n {
                continue;
            }
            let (mut worst_decision, mut worst_all, mut worst_each) = (0, 0, 0);
            for seed in 0..40 {
                let culprits: BTreeSet<usize> = positions(n, k, seed).into_iter().collect();
                let mut suite = Suite {
                    culprits: culprits.clone(),
                    pair: None,
                    flaky: None,
                    seen: HashSet::new(),
                };
                let outcome = run(n, &mut suite, Strategy::Split);
                let context = format!("split n={n} k={k} culprits={culprits:?}");
                check_verdicts(&outcome, &suite, &context);
                // Without interactions or flakiness the only confirmation runs are a culprit's
                // runs alone that the halving did not make (at most two each).
                let confirmations = outcome.runs.len() - outcome.decision_runs();
                assert!(confirmations <= 2 * k, "{context}: {:?}", outcome.runs);
                let bound = decision_bound(n, k);
                assert!(
                    outcome.decision_runs() <= bound,
                    "{context}: {} decision runs > {bound}: {:?}",
                    outcome.decision_runs(),
                    outcome.runs
                );
                // The last run is all the green updates together, and it was green.
                let greens: Vec<usize> = (0..n).filter(|i| !culprits.contains(i)).collect();
                if !greens.is_empty() {
                    let last_green = outcome.runs.iter().rev().find(|r| !r.red).unwrap();
                    assert_eq!(last_green.set, greens, "{context}");
                }
                worst_decision = worst_decision.max(outcome.decision_runs());
                worst_all = worst_all.max(outcome.runs.len());
                let mut suite = Suite {
                    culprits,
                    pair: None,
                    flaky: None,
                    seen: HashSet::new(),
                };
                let each = run(n, &mut suite, Strategy::Each);
                check_verdicts(&each, &suite, &format!("each n={n} k={k}"));
                assert_eq!(each.decision_runs(), n);
                worst_each = worst_each.max(each.runs.len());
            }
            table.push_str(&format!(
                "{n:<3} {k}  {worst_decision:<20}  {worst_all:<15}  {:<13}  {:<3}  {worst_each}\n",
                decision_bound(n, k),
                n + 1
            ));
        }
    }
    println!("{table}");
}

#[test]
fn split_reports_an_interacting_pair_and_a_flaky_update() {
    let mut report = String::from("n   k  extra runs with a pair and a flaky update\n");
    for n in [8usize, 32, 64] {
        for k in [0usize, 1, 2, 4] {
            let mut worst_extra = 0usize;
            for seed in 0..20 {
                let chosen = positions(n, k + 3, seed + 1000);
                let culprits: BTreeSet<usize> = chosen[..k].iter().copied().collect();
                let pair = (chosen[k].min(chosen[k + 1]), chosen[k].max(chosen[k + 1]));
                let flaky = chosen[k + 2];
                let mut suite = Suite {
                    culprits: culprits.clone(),
                    pair: Some(pair),
                    flaky: Some(flaky),
                    seen: HashSet::new(),
                };
                let outcome = run(n, &mut suite, Strategy::Split);
                let context =
                    format!("n={n} k={k} culprits={culprits:?} pair={pair:?} flaky={flaky}");
                check_verdicts(&outcome, &suite, &context);
                let extra = outcome.runs.len().saturating_sub(decision_bound(n, k));
                worst_extra = worst_extra.max(extra);
            }
            report.push_str(&format!("{n:<3} {k}  {worst_extra}\n"));
        }
    }
    println!("{report}");
}

#[test]
fn each_cannot_see_an_interaction_and_split_can() {
    let n = 8;
    let mut suite = Suite {
        culprits: BTreeSet::new(),
        pair: Some((1, 6)),
        flaky: None,
        seen: HashSet::new(),
    };
    let each = run(n, &mut suite, Strategy::Each);
    assert!(each.verdicts.iter().all(|v| *v == Verdict::Green));
    suite.seen.clear();
    let split = run(n, &mut suite, Strategy::Split);
    check_verdicts(&split, &suite, "split, pair (1, 6)");
}

#[test]
fn nothing_red_costs_one_run_and_no_updates_cost_none() {
    let mut suite = Suite {
        culprits: BTreeSet::new(),
        pair: None,
        flaky: None,
        seen: HashSet::new(),
    };
    assert_eq!(run(16, &mut suite, Strategy::Split).runs.len(), 1);
    assert_eq!(run(0, &mut suite, Strategy::Split).runs.len(), 0);
}

#[test]
fn a_tester_that_keeps_changing_its_mind_cannot_keep_the_search_going() {
    let mut calls = 0usize;
    let mut tester = |_: &[usize]| {
        calls += 1;
        calls % 2 == 1
    };
    let outcome = search(8, Strategy::Split, 1, &mut tester);
    assert!(outcome.runs.len() < 200, "{}", outcome.runs.len());
}
