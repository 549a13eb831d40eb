//! Hand-made cases with known answers, then properties on small random instances checked against
//! brute force, a Hungarian algorithm, textbook deferred acceptance and the second exact solver.

use std::cmp::Reverse;
use std::collections::VecDeque;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::funding::Solver;
use super::prepared::{NONE, Prepared, budget_of};
use super::stable::{Marks, deferred_acceptance, deferred_acceptance_marked};
use super::*;

fn need(region: &str, priority: f64, budget_usd: Option<i64>) -> NeedSlot {
    NeedSlot {
        id: format!("n-{region}"),
        region: region.to_owned(),
        priority,
        budget_usd,
    }
}

fn offer(capacity: u32, funding_usd: Option<i64>, region_cap: Option<u32>) -> OfferSlot {
    OfferSlot {
        id: "o".to_owned(),
        capacity,
        funding_usd,
        region_cap,
        region_taken: Vec::new(),
    }
}

fn pairs(list: &[(usize, usize, f64)]) -> Vec<CandidatePair> {
    list.iter()
        .map(|&(need, offer, fit)| CandidatePair::unmarked(need, offer, fit))
        .collect()
}

/// The integer objective of an allocation (sum of the scaled values of its candidate pairs).
fn scaled_total(instance: &AllocationInstance, allocation: &Allocation) -> i64 {
    let p = Prepared::new(instance);
    let value = |&(n, o): &(usize, usize)| p.find(n, o).map_or(0, |k| p.value[k]);
    allocation.assigned.iter().map(value).sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

// ---------------------------------------------------------------- hand-made cases

#[test]
fn optimal_beats_greedy() {
    // Greedy gives X to A (0.9) and leaves B without an offer; the optimum moves A to Y.
    let instance = AllocationInstance {
        needs: vec![need("africa", 1.0, None), need("africa", 1.0, None)],
        offers: vec![offer(1, None, None), offer(1, None, None)],
        pairs: pairs(&[(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.7)]),
    };
    let best = optimal(&instance);
    assert_eq!(best.assigned, vec![(0, 1), (1, 0)]);
    assert!(close(best.total_value, 1.5));
    let fair = stable(&instance);
    assert_eq!(fair.assigned, vec![(0, 0)]);
    assert!(close(fair.total_value, 0.9));
    assert_eq!(
        blocking_pairs(&instance, &best),
        vec![(0, 0)],
        "A and X would both rather pair up"
    );
    assert!(blocking_pairs(&instance, &fair).is_empty());
}

#[test]
fn region_cap_binds() {
    let instance = AllocationInstance {
        needs: vec![
            need("africa", 1.0, None),
            need("africa", 1.0, None),
            need("africa", 1.0, None),
            need("asia", 1.0, None),
        ],
        offers: vec![offer(3, None, Some(1))],
        pairs: pairs(&[(0, 0, 0.9), (1, 0, 0.8), (2, 0, 0.7), (3, 0, 0.1)]),
    };
    for allocation in [optimal(&instance), stable(&instance)] {
        assert_eq!(allocation.assigned, vec![(0, 0), (3, 0)]);
        assert!(check_feasible(&instance, &allocation).is_ok());
    }
}

#[test]
fn capacity_binds_and_priority_weighs() {
    // Need 1 fits worse but is twice as urgent: 0.5 * 2 beats 0.7.
    let instance = AllocationInstance {
        needs: vec![
            need("asia", 1.0, None),
            need("asia", 2.0, None),
            need("asia", 1.0, None),
        ],
        offers: vec![offer(2, None, None)],
        pairs: pairs(&[(0, 0, 0.9), (1, 0, 0.5), (2, 0, 0.7)]),
    };
    let best = optimal(&instance);
    assert_eq!(best.assigned, vec![(0, 0), (1, 0)]);
    assert!(close(best.total_value, 1.9));
}

/// A funding offer with 100 USD; budgets 60, 50, 40 and one other offer for need 0.
fn funding_instance(funds: i64) -> AllocationInstance {
    AllocationInstance {
        needs: vec![
            need("africa", 1.0, Some(60)),
            need("africa", 1.0, Some(50)),
            need("africa", 1.0, Some(40)),
        ],
        offers: vec![offer(3, Some(funds), None), offer(1, None, None)],
        pairs: pairs(&[(0, 0, 0.9), (1, 0, 0.8), (2, 0, 0.7), (0, 1, 0.3)]),
    }
}

#[test]
fn funding_budget_binds() {
    let instance = funding_instance(100);
    let (best, bound) = optimal_with_bound(&instance);
    // The flow gives all three to the fund (150 USD); it keeps the best value per dollar that
    // fits (needs 2 and 1, 90 USD) and need 0 goes to the other offer: the true optimum here.
    assert_eq!(best.assigned, vec![(0, 1), (1, 0), (2, 0)]);
    assert!(close(best.total_value, 1.8));
    assert!(close(bound, 2.4));
    assert!(check_feasible(&instance, &best).is_ok());
    let fair = stable(&instance);
    // Need 1 proposes after need 0 took 60 USD: 50 more would not fit, so the fund refuses it.
    assert_eq!(fair.assigned, vec![(0, 0), (2, 0)]);
    assert!(blocking_pairs(&instance, &fair).is_empty());
}

#[test]
fn funding_that_does_not_bind_is_exact() {
    let instance = funding_instance(150);
    let (best, bound) = optimal_with_bound(&instance);
    assert_eq!(best.assigned, vec![(0, 0), (1, 0), (2, 0)]);
    assert!(close(best.total_value, bound));
}

#[test]
fn a_budget_over_the_funds_is_no_pair() {
    let instance = AllocationInstance {
        needs: vec![need("oceania", 1.0, Some(500))],
        offers: vec![offer(1, Some(100), None)],
        pairs: pairs(&[(0, 0, 1.0)]),
    };
    assert!(optimal(&instance).assigned.is_empty());
    assert!(stable(&instance).assigned.is_empty());
    let reasons = unmatched_reasons(&instance, &optimal(&instance));
    assert_eq!(
        reasons,
        vec![(0, "its only candidate offer cannot fund its budget".to_owned())]
    );
}

#[test]
fn stable_on_a_classic_instance() {
    // X (2 seats) is everyone's favourite; deferred acceptance keeps its two best needs, need 2
    // falls back to Y and need 3 finds Y full. The optimum (2.2) would swap needs 1 and 2, but
    // need 1 and X would both rather have each other.
    let instance = AllocationInstance {
        needs: (0..4).map(|_| need("americas", 1.0, None)).collect(),
        offers: vec![offer(2, None, None), offer(1, None, None)],
        pairs: pairs(&[
            (0, 0, 0.9),
            (0, 1, 0.5),
            (1, 0, 0.8),
            (1, 1, 0.6),
            (2, 0, 0.7),
            (2, 1, 0.4),
            (3, 1, 0.3),
        ]),
    };
    let fair = stable(&instance);
    assert_eq!(fair.assigned, vec![(0, 0), (1, 0), (2, 1)]);
    assert!(close(fair.total_value, 2.1));
    let best = optimal(&instance);
    assert!(close(best.total_value, 2.2));
    assert_eq!(blocking_pairs(&instance, &best), vec![(1, 0)]);
    let reasons = unmatched_reasons(&instance, &fair);
    assert_eq!(reasons, vec![(3, "its only candidate offer is full".to_owned())]);
}

#[test]
fn unmatched_reasons_count_each_obstacle() {
    let instance = AllocationInstance {
        needs: vec![
            need("asia", 1.0, None),
            need("asia", 1.0, Some(80)),
            need("asia", 1.0, None),
            need("asia", 1.0, None),
        ],
        offers: vec![offer(1, None, None), offer(2, None, Some(1)), offer(1, Some(50), None)],
        pairs: pairs(&[
            (0, 0, 0.9),
            (0, 1, 0.9),
            (1, 0, 0.1),
            (1, 1, 0.1),
            (1, 2, 0.5),
            (2, 1, 0.2),
        ]),
    };
    let allocation = optimal(&instance);
    assert_eq!(allocation.assigned, vec![(0, 0), (2, 1)]);
    let reasons = unmatched_reasons(&instance, &allocation);
    assert_eq!(
        reasons,
        vec![
            (
                1,
                "of its 3 candidate offers, 1 is full, 1 has reached its cap for asia and 1 cannot fund its \
                 budget"
                    .to_owned()
            ),
            (3, "it has no candidate offers".to_owned()),
        ]
    );
}

#[test]
fn check_feasible_names_the_broken_rule() {
    let instance = funding_instance(100);
    let broken = |assigned: Vec<(usize, usize)>| {
        let allocation = Allocation {
            assigned,
            total_value: 0.0,
        };
        check_feasible(&instance, &allocation).unwrap_err()
    };
    assert!(broken(vec![(0, 0), (1, 0)]).contains("funds budgets of 110 USD"));
    assert!(broken(vec![(0, 0), (0, 1)]).contains("more than once"));
    assert!(broken(vec![(1, 1)]).contains("not a candidate"));
    assert!(broken(vec![(9, 0)]).contains("unknown"));
    let tight = AllocationInstance {
        offers: vec![offer(1, None, Some(1)), offer(1, None, None)],
        ..funding_instance(0)
    };
    let allocation = Allocation {
        assigned: vec![(0, 0), (1, 0)],
        total_value: 0.0,
    };
    assert!(check_feasible(&tight, &allocation).unwrap_err().contains("capacity 1"));
}

#[test]
fn odd_inputs_are_tolerated() {
    let instance = AllocationInstance {
        needs: vec![need("europe", f64::NAN, Some(-5)), need("europe", 0.2, None)],
        offers: vec![offer(2, Some(-1), None)],
        pairs: pairs(&[(0, 0, f64::NAN), (1, 0, 7.0), (1, 0, 0.5), (5, 0, 1.0), (0, 9, 1.0)]),
    };
    let best = optimal(&instance);
    // Need 1's fit is clamped to 1 and its priority to 1; need 0 is worth nothing.
    assert_eq!(best.assigned, vec![(1, 0)]);
    assert!(close(best.total_value, 1.0));
    assert!(check_feasible(&instance, &best).is_ok());
    assert_eq!(stable(&instance).assigned, vec![(1, 0)]);
    assert_eq!(optimal(&AllocationInstance::default()), Allocation::default());
}

#[test]
fn both_solvers_agree_on_synthetic_instances_before_and_after_the_repair() {
    // Large enough for many global price updates and a real re-route after the repair.
    let mut rerouted = 0;
    for seed in 0..4 {
        let instance = synthetic_instance(1500, 400, 15, seed);
        let (scaling, paths) = relaxed_by_both_solvers(&instance);
        assert_eq!(scaling, paths, "seed {seed}");
        if let Some((scaling, paths)) = repaired_by_both_solvers(&instance) {
            assert_eq!(scaling, paths, "seed {seed}");
            if scaling.1 < scaling.0 {
                rerouted += 1;
            }
        }
    }
    assert!(rerouted > 0, "no seed compared a repair that re-routed needs");
}

#[test]
fn synthetic_instances_are_deterministic_and_solvable() {
    let a = synthetic_instance(300, 80, 12, 3);
    assert_eq!(a, synthetic_instance(300, 80, 12, 3));
    assert_ne!(a, synthetic_instance(300, 80, 12, 4));
    assert_eq!(a.pairs.len(), 300 * 12);
    let (best, bound) = optimal_with_bound(&a);
    assert_eq!(best, optimal(&a), "same input, same output");
    assert!(check_feasible(&a, &best).is_ok());
    assert!(best.total_value <= bound + 1e-9);
    let fair = stable(&a);
    assert!(check_feasible(&a, &fair).is_ok());
    assert!(blocking_pairs(&a, &fair).is_empty());
    assert_eq!(relaxed_by_both_solvers(&a).0, relaxed_by_both_solvers(&a).1);
}

// ---------------------------------------------------------------- references for the properties

/// The first (relaxed) flow's scaled total by cost scaling and by shortest paths.
fn relaxed_by_both_solvers(instance: &AllocationInstance) -> (i64, i64) {
    let p = Prepared::new(instance);
    let total = |chosen: Vec<usize>| chosen.iter().filter(|&&k| k != NONE).map(|&k| p.value[k]).sum();
    let mut scaling = scaling::Scaling::new(&p);
    scaling.solve();
    let mut paths = flow::Flow::new(&p);
    paths.solve();
    (total(scaling.assignment()), total(paths.assignment()))
}

/// The first flow and the repaired one (scaled totals) by cost scaling and by shortest paths,
/// each solver repairing its own first flow; `None` when the two first flows differ (ties), as
/// the repairs then start from different places.
fn repaired_by_both_solvers(instance: &AllocationInstance) -> Option<((i64, i64), (i64, i64))> {
    let p = Prepared::new(instance);
    let total = |chosen: &[usize]| chosen.iter().filter(|&&k| k != NONE).map(|&k| p.value[k]).sum::<i64>();
    let run = |solver: &mut dyn Solver| {
        solver.solve();
        let first = solver.assignment();
        funding::repair(&p, solver, &first);
        (first, solver.assignment())
    };
    let (scaling_first, scaling_final) = run(&mut scaling::Scaling::new(&p));
    let (paths_first, paths_final) = run(&mut flow::Flow::new(&p));
    (scaling_first == paths_first).then(|| {
        (
            (total(&scaling_first), total(&scaling_final)),
            (total(&paths_first), total(&paths_final)),
        )
    })
}

/// What `optimal` guarantees beyond the funding offers: with the needs they keep and the offers
/// themselves taken out, the rest of the allocation is optimal (scaled totals: found, best).
fn rest_after_repair(instance: &AllocationInstance) -> (i64, i64) {
    let best = optimal(instance);
    let funded = |offer: usize| instance.offers[offer].funding_usd.is_some();
    let kept: Vec<usize> = best.assigned.iter().filter(|a| funded(a.1)).map(|a| a.0).collect();
    let rest = AllocationInstance {
        needs: instance.needs.clone(),
        offers: instance
            .offers
            .iter()
            .map(|o| OfferSlot {
                capacity: if o.funding_usd.is_some() { 0 } else { o.capacity },
                ..o.clone()
            })
            .collect(),
        pairs: instance
            .pairs
            .iter()
            .filter(|p| !kept.contains(&p.need))
            .copied()
            .collect(),
    };
    let found = Allocation {
        assigned: best.assigned.iter().filter(|a| !funded(a.1)).copied().collect(),
        total_value: 0.0,
    };
    (scaled_total(&rest, &found), brute_force(&rest, false))
}

/// Best scaled total over every feasible allocation, by depth-first search; with `budgets`
/// false only each pair's own budget must fit (the flow's relaxation).
fn brute_force(instance: &AllocationInstance, budgets: bool) -> i64 {
    let p = Prepared::new(instance);
    // The seats the search counts come from `Prepared`, which is under test too: they must be
    // the instance's own, region by region.
    for (n, need) in instance.needs.iter().enumerate() {
        for (o, offer) in instance.offers.iter().enumerate() {
            assert_eq!(
                p.region_seats(o, p.need_region[n]),
                offer.region_seats(&need.region),
                "offer {o}, need {n}"
            );
        }
    }
    let mut state = BruteState {
        count: vec![0; p.offers],
        region: vec![vec![0; p.needs.max(1)]; p.offers],
        spent: vec![0; p.offers],
    };
    search(&p, budgets, 0, &mut state)
}

struct BruteState {
    count: Vec<u32>,
    region: Vec<Vec<u32>>,
    spent: Vec<i64>,
}

fn search(p: &Prepared, budgets: bool, need: usize, state: &mut BruteState) -> i64 {
    if need == p.needs {
        return 0;
    }
    let mut best = search(p, budgets, need + 1, state);
    for k in p.candidates(need) {
        let (o, r) = (p.offer[k] as usize, p.need_region[need] as usize);
        let money = !budgets || p.funding[o].is_none_or(|f| state.spent[o] + p.budget[need] <= f);
        let seat = state.count[o] < p.capacity[o] && p.region_seats(o, r as u32).is_none_or(|c| state.region[o][r] < c);
        if money && seat {
            state.count[o] += 1;
            state.region[o][r] += 1;
            state.spent[o] += p.budget[need];
            best = best.max(p.value[k] + search(p, budgets, need + 1, state));
            state.count[o] -= 1;
            state.region[o][r] -= 1;
            state.spent[o] -= p.budget[need];
        }
    }
    best
}

/// Maximum-weight assignment on a square matrix (O(n^3) Hungarian, potentials form).
fn hungarian_max(weights: &[Vec<i64>]) -> i64 {
    let n = weights.len();
    let cost = |i: usize, j: usize| -weights[i - 1][j - 1];
    let (mut u, mut v) = (vec![0i64; n + 1], vec![0i64; n + 1]);
    let (mut matched, mut way) = (vec![0usize; n + 1], vec![0usize; n + 1]);
    for row in 1..=n {
        matched[0] = row;
        let mut j0 = 0;
        let mut min_to = vec![i64::MAX; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let (i0, mut delta, mut j1) = (matched[j0], i64::MAX, 0);
            for j in 1..=n {
                if !used[j] {
                    let reduced = cost(i0, j) - u[i0] - v[j];
                    if reduced < min_to[j] {
                        min_to[j] = reduced;
                        way[j] = j0;
                    }
                    if min_to[j] < delta {
                        delta = min_to[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[matched[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_to[j] -= delta;
                }
            }
            j0 = j1;
            if matched[j0] == 0 {
                break;
            }
        }
        while j0 != 0 {
            let j1 = way[j0];
            matched[j0] = matched[j1];
            j0 = j1;
        }
    }
    (1..=n).map(|j| weights[matched[j] - 1][j - 1]).sum()
}

/// Textbook deferred acceptance: free needs propose in index order; an offer holds its best
/// needs within the region's cap and its capacity and rejects the worst. No budgets.
fn textbook_deferred_acceptance(p: &Prepared) -> Vec<(usize, usize)> {
    let mut next: Vec<usize> = (0..p.needs).map(|n| p.start[n]).collect();
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); p.offers];
    let mut free: VecDeque<usize> = (0..p.needs).collect();
    let rank = |k: usize, n: usize| (p.value[k], Reverse(n));
    while let Some(n) = free.pop_front() {
        if next[n] == p.start[n + 1] {
            continue;
        }
        let k = next[n];
        next[n] += 1;
        let o = p.offer[k] as usize;
        held[o].push(k);
        let need_of = |k: usize| (p.start.partition_point(|&s| s <= k)) - 1;
        let region = p.need_region[n];
        let in_region: Vec<usize> = held[o]
            .iter()
            .copied()
            .filter(|&h| p.need_region[need_of(h)] == region)
            .collect();
        let mut reject = None;
        if p.region_seats(o, region).is_some_and(|c| in_region.len() > c as usize) {
            reject = in_region.into_iter().min_by_key(|&h| rank(h, need_of(h)));
        } else if held[o].len() > p.capacity[o] as usize {
            reject = held[o].iter().copied().min_by_key(|&h| rank(h, need_of(h)));
        }
        if let Some(worst) = reject {
            held[o].retain(|&h| h != worst);
            free.push_back(need_of(worst));
        }
    }
    let mut assigned: Vec<(usize, usize)> = held
        .iter()
        .enumerate()
        .flat_map(|(o, ks)| ks.iter().map(move |&k| (k, o)))
        .map(|(k, o)| (p.start.partition_point(|&s| s <= k) - 1, o))
        .collect();
    assigned.sort_unstable();
    assigned
}

// ---------------------------------------------------------------- stated preferences

/// `instance` with the requester's PREFERRED mark on the `need_marks` pairs and the provider's on
/// the `offer_marks` pairs.
fn marked(
    mut instance: AllocationInstance,
    need_marks: &[(usize, usize)],
    offer_marks: &[(usize, usize)],
) -> AllocationInstance {
    for pair in &mut instance.pairs {
        pair.need_prefers = need_marks.contains(&(pair.need, pair.offer));
        pair.offer_prefers = offer_marks.contains(&(pair.need, pair.offer));
    }
    instance
}

#[test]
fn a_preferred_mark_changes_the_stable_outcome() {
    // By value need 0 takes X and need 1 falls back to Y. The provider of X prefers need 1: X
    // takes it over need 0, who goes to Y. And a requester's mark on Y sends need 0 there first.
    let instance = AllocationInstance {
        needs: vec![need("africa", 1.0, None), need("africa", 1.0, None)],
        offers: vec![offer(1, None, None), offer(1, None, None)],
        pairs: pairs(&[(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.7), (1, 1, 0.6)]),
    };
    assert_eq!(stable(&instance).assigned, vec![(0, 0), (1, 1)]);
    let provider_marked = marked(instance.clone(), &[], &[(1, 0)]);
    let fair = stable(&provider_marked);
    assert_eq!(fair.assigned, vec![(0, 1), (1, 0)]);
    assert!(blocking_pairs(&provider_marked, &fair).is_empty());
    // Unmarked, the same allocation is blocked by (0, 0): X ranks need 0 higher by value.
    assert_eq!(blocking_pairs(&instance, &fair), vec![(0, 0)]);
    let requester_marked = marked(instance, &[(1, 1)], &[]);
    assert_eq!(stable(&requester_marked).assigned, vec![(0, 0), (1, 1)]);
}

#[test]
fn money_freed_by_a_lower_ranked_need_counts_in_the_choice() {
    // The fund (100 USD, two seats) holds need 1 (80 USD); need 0, marked by the provider, comes
    // later with 50 USD: the greedy choice keeps need 0 and lets need 1 go, since 130 > 100.
    let instance = AllocationInstance {
        needs: vec![need("asia", 1.0, Some(50)), need("asia", 1.0, Some(80))],
        offers: vec![offer(2, Some(100), None)],
        pairs: pairs(&[(0, 0, 0.5), (1, 0, 0.9)]),
    };
    assert_eq!(stable(&instance).assigned, vec![(1, 0)]);
    let provider_marked = marked(instance, &[], &[(0, 0)]);
    let fair = stable(&provider_marked);
    assert_eq!(fair.assigned, vec![(0, 0)]);
    assert!(blocking_pairs(&provider_marked, &fair).is_empty());
}

/// Every feasible allocation of a small instance (brute force over each need's candidates).
fn every_feasible(instance: &AllocationInstance) -> Vec<Allocation> {
    let options: Vec<Vec<Option<usize>>> = (0..instance.needs.len())
        .map(|n| {
            let mut options = vec![None];
            options.extend(instance.pairs.iter().filter(|p| p.need == n).map(|p| Some(p.offer)));
            options
        })
        .collect();
    let mut found = Vec::new();
    let mut choice = vec![0usize; options.len()];
    loop {
        let assigned: Vec<(usize, usize)> = choice
            .iter()
            .enumerate()
            .filter_map(|(n, &c)| options[n][c].map(|o| (n, o)))
            .collect();
        let allocation = Allocation {
            assigned,
            total_value: 0.0,
        };
        if check_feasible(instance, &allocation).is_ok() {
            found.push(allocation);
        }
        let Some(at) = (0..choice.len()).find(|&n| choice[n] + 1 < options[n].len()) else {
            break;
        };
        choice[at] += 1;
        for earlier in &mut choice[..at] {
            *earlier = 0;
        }
    }
    found
}

#[test]
fn with_budgets_and_marks_a_stable_allocation_need_not_exist() {
    // The fund F (10 USD) ranks a (7 USD) > b (9 USD) > c (3 USD) by value: from {a, b, c} it
    // keeps a and c, from {b, c} only b, so a and c are complements. Offer Y's provider marks c,
    // c's requester marks F; a would rather have Y. Every feasible allocation is blocked.
    let instance = AllocationInstance {
        needs: vec![
            need("africa", 1.0, Some(7)),
            need("africa", 1.0, Some(9)),
            need("africa", 1.0, Some(3)),
        ],
        offers: vec![offer(3, Some(10), None), offer(1, None, None)],
        pairs: pairs(&[(0, 0, 0.6), (0, 1, 0.9), (1, 0, 0.5), (2, 0, 0.4), (2, 1, 0.1)]),
    };
    let instance = marked(instance, &[(2, 0)], &[(2, 1)]);
    for allocation in every_feasible(&instance) {
        assert!(!blocking_pairs(&instance, &allocation).is_empty(), "{allocation:?}");
    }
    // The rounds still end, in a feasible allocation whose blocking pairs a run reports.
    let fair = stable(&instance);
    assert!(check_feasible(&instance, &fair).is_ok());
}

// ---------------------------------------------------------------- the exported network

/// Parse a network written by [`write_flow_network`] and solve it by successive shortest paths
/// with Bellman-Ford (independent of both solvers of `optimal`): its min cost, and its size.
fn solve_exported(text: &str) -> (i64, NetworkSize) {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(' ').collect();
    let field = |name: &str| {
        let at = header.iter().position(|&f| f == name).unwrap();
        header[at + 1].parse::<usize>().unwrap()
    };
    let (nodes, source, sink, supply, arcs) = (
        field("nodes"),
        field("source"),
        field("sink"),
        field("supply"),
        field("arcs"),
    );
    // Residual arcs in pairs: 2i forward, 2i + 1 backward.
    let (mut head, mut cap, mut cost, mut out) = (Vec::new(), Vec::new(), Vec::new(), vec![Vec::new(); nodes]);
    for line in lines {
        let f: Vec<i64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
        assert_eq!(f.len(), 4, "{line}");
        let (u, v) = (f[0] as usize, f[1] as usize);
        out[u].push(head.len());
        head.push(v);
        cap.push(f[2]);
        cost.push(f[3]);
        out[v].push(head.len());
        head.push(u);
        cap.push(0);
        cost.push(-f[3]);
    }
    assert_eq!(head.len(), 2 * arcs);
    let mut total = 0;
    for _ in 0..supply {
        let mut dist = vec![i64::MAX; nodes];
        let mut pred = vec![NONE; nodes];
        dist[source] = 0;
        for _ in 0..nodes {
            let mut changed = false;
            for u in 0..nodes {
                if dist[u] == i64::MAX {
                    continue;
                }
                for &a in &out[u] {
                    if cap[a] > 0 && dist[u] + cost[a] < dist[head[a]] {
                        dist[head[a]] = dist[u] + cost[a];
                        pred[head[a]] = a;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        assert!(dist[sink] < i64::MAX, "every unit can reach the sink");
        let mut node = sink;
        while node != source {
            let a = pred[node];
            cap[a] -= 1;
            cap[a ^ 1] += 1;
            node = head[a ^ 1];
        }
        total += dist[sink];
    }
    (total, NetworkSize { nodes, arcs })
}

/// The exported network, solved independently, against [`min_cost_flow`].
fn check_exported(instance: &AllocationInstance) -> Result<(), TestCaseError> {
    let mut text = Vec::new();
    let size = write_flow_network(instance, &mut text).unwrap();
    let (cost, parsed) = solve_exported(std::str::from_utf8(&text).unwrap());
    prop_assert_eq!(parsed, size);
    let ours = min_cost_flow(instance);
    prop_assert_eq!(ours.cost, cost);
    prop_assert_eq!(scaled_total(instance, &ours.allocation), -cost);
    prop_assert!(close(optimal_with_bound(instance).1, ours.allocation.total_value));
    Ok(())
}

#[test]
fn exported_network_format() {
    let mut text = Vec::new();
    let size = write_flow_network(&funding_instance(100), &mut text).unwrap();
    // Needs 0..3, slots 3..5 (one per offer), offers 5..7, sink 7, source 8.
    let expected = "nodes 9 source 8 sink 7 supply 3 arcs 14\n\
                    8 0 1 0\n8 1 1 0\n8 2 1 0\n\
                    0 3 1 -900000\n0 4 1 -300000\n0 7 1 0\n\
                    1 3 1 -800000\n1 7 1 0\n\
                    2 3 1 -700000\n2 7 1 0\n\
                    3 5 3 0\n4 6 1 0\n\
                    5 7 3 0\n6 7 1 0\n";
    assert_eq!(String::from_utf8(text).unwrap(), expected);
    assert_eq!(size, NetworkSize { nodes: 9, arcs: 14 });
    let flow = min_cost_flow(&funding_instance(100));
    assert_eq!(
        flow.cost, -2_400_000,
        "the relaxation gives all three needs to the fund"
    );
    assert_eq!(flow.allocation.assigned, vec![(0, 0), (1, 0), (2, 0)]);
}

#[test]
fn exported_network_with_values_too_large_for_cost_scaling() {
    // Priorities of 1e6 make cost scaling's prices too large, so `optimal` takes shortest paths.
    let mut instance = synthetic_instance(600, 100, 6, 5);
    for need in &mut instance.needs {
        need.priority *= 1e6;
    }
    assert!(!scaling::fits_i64(&Prepared::new(&instance)));
    check_exported(&instance).unwrap();
}

// ---------------------------------------------------------------- strategies

/// Small instances: up to `needs` needs and `offers` offers, two regions, optional regional caps;
/// funds and budgets only when `money`. Fits are in twentieths (so ties happen), or with `fine`
/// all within 20 millionths of 0.99 (near-ties that only an exact solver separates).
fn instances(needs: usize, offers: usize, money: bool, fine: bool) -> impl Strategy<Value = AllocationInstance> {
    (1..=needs, 1..=offers).prop_flat_map(move |(n, o)| {
        let budget = if money { 0..=8i64 } else { 0..=0i64 };
        let funds = if money { 0..=12i64 } else { 0..=0i64 };
        let need_slots = vec((0..2usize, 0..3u32, option::of(budget)), n);
        // Needs a region holds already: "oceania" is no region of any need.
        let taken = (option::of(1..=3u32), option::of(1..=3u32), option::of(1..=3u32));
        let offer_slots = vec((0..=3u32, option::of(funds), option::of(0..=2u32), taken), o);
        let fits = vec(option::weighted(0.6, 0..=20u32), n * o);
        (need_slots, offer_slots, fits).prop_map(move |(need_slots, offer_slots, fits)| AllocationInstance {
            needs: need_slots
                .into_iter()
                .map(|(r, p, b)| need(["africa", "asia"][r], 1.0 + 0.5 * f64::from(p), b.map(|b| b * 10)))
                .collect(),
            offers: offer_slots
                .into_iter()
                .map(|(c, f, r, (africa, asia, oceania))| OfferSlot {
                    region_taken: [("africa", africa), ("asia", asia), ("oceania", oceania)]
                        .into_iter()
                        .filter_map(|(region, taken)| Some((region.to_owned(), taken?)))
                        .collect(),
                    ..offer(c, f.filter(|_| money).map(|f| f * 10), r)
                })
                .collect(),
            pairs: fits
                .into_iter()
                .enumerate()
                .filter_map(|(i, fit)| fit.map(|f| (i / o, i % o, fit_of(f, fine))))
                .map(|(need, offer, fit)| CandidatePair::unmarked(need, offer, fit))
                .collect(),
        })
    })
}

/// [`instances`] with random PREFERRED marks on either side of about a third of the pairs.
fn marked_instances(needs: usize, offers: usize, money: bool) -> impl Strategy<Value = AllocationInstance> {
    instances(needs, offers, money, false).prop_flat_map(|instance| {
        let marks = vec(
            (prop::bool::weighted(0.3), prop::bool::weighted(0.3)),
            instance.pairs.len(),
        );
        (Just(instance), marks).prop_map(|(mut instance, marks)| {
            for (pair, (need_prefers, offer_prefers)) in instance.pairs.iter_mut().zip(marks) {
                pair.need_prefers = need_prefers;
                pair.offer_prefers = offer_prefers;
            }
            instance
        })
    })
}

fn fit_of(twentieths: u32, fine: bool) -> f64 {
    if fine {
        0.99 + f64::from(twentieths) * 1e-6
    } else {
        f64::from(twentieths) / 20.0
    }
}

/// Square weight matrices for the Hungarian comparison, with missing pairs as `None`.
fn squares() -> impl Strategy<Value = Vec<Vec<Option<u32>>>> {
    (1..=7usize).prop_flat_map(|n| vec(vec(option::weighted(0.7, 0..=1000u32), n), n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn optimal_equals_brute_force_without_funds(instance in instances(7, 4, false, false)) {
        let best = optimal(&instance);
        prop_assert!(check_feasible(&instance, &best).is_ok());
        prop_assert_eq!(scaled_total(&instance, &best), brute_force(&instance, false));
    }

    #[test]
    fn optimal_with_funds_is_feasible_and_bounded(instance in instances(7, 4, true, false)) {
        let (best, bound) = optimal_with_bound(&instance);
        prop_assert!(check_feasible(&instance, &best).is_ok(), "{:?}", check_feasible(&instance, &best));
        let (truth, relaxed) = (brute_force(&instance, true), brute_force(&instance, false));
        prop_assert!(scaled_total(&instance, &best) <= truth);
        prop_assert!((bound - relaxed as f64 / 1e6).abs() < 1e-5, "bound {} relaxed {}", bound, relaxed);
        if (bound - best.total_value).abs() < 1e-9 {
            // No budget bound the first flow: the result is exact.
            prop_assert_eq!(scaled_total(&instance, &best), truth);
        }
    }

    #[test]
    fn optimal_equals_hungarian_on_squares(weights in squares()) {
        let n = weights.len();
        let instance = AllocationInstance {
            needs: (0..n).map(|_| need("asia", 1.0, None)).collect(),
            offers: (0..n).map(|_| offer(1, None, None)).collect(),
            pairs: (0..n * n)
                .filter_map(|i| weights[i / n][i % n].map(|w| (i / n, i % n, f64::from(w) / 1000.0)))
                .map(|(need, offer, fit)| CandidatePair::unmarked(need, offer, fit))
                .collect(),
        };
        let matrix: Vec<Vec<i64>> =
            weights.iter().map(|row| row.iter().map(|w| i64::from(w.unwrap_or(0)) * 1000).collect()).collect();
        prop_assert_eq!(scaled_total(&instance, &optimal(&instance)), hungarian_max(&matrix));
    }

    #[test]
    fn optimal_separates_near_ties(instance in instances(7, 4, false, true)) {
        prop_assert_eq!(scaled_total(&instance, &optimal(&instance)), brute_force(&instance, false));
    }

    #[test]
    fn the_rest_after_the_funding_repair_is_optimal(instance in instances(7, 4, true, false)) {
        let (found, best) = rest_after_repair(&instance);
        prop_assert_eq!(found, best);
    }

    #[test]
    fn the_rest_after_the_funding_repair_is_optimal_on_near_ties(instance in instances(7, 4, true, true)) {
        let (found, best) = rest_after_repair(&instance);
        prop_assert_eq!(found, best);
    }

    #[test]
    fn both_exact_solvers_agree(instance in instances(12, 6, true, true)) {
        let (scaling, paths) = relaxed_by_both_solvers(&instance);
        prop_assert_eq!(scaling, paths);
    }

    #[test]
    fn exported_network_solves_to_the_same_cost(instance in instances(10, 5, true, false)) {
        check_exported(&instance)?;
    }

    #[test]
    fn exported_network_solves_to_the_same_cost_on_near_ties(instance in instances(10, 5, true, true)) {
        check_exported(&instance)?;
    }

    #[test]
    fn stable_is_feasible_and_unblocked(instance in instances(8, 4, true, false)) {
        let fair = stable(&instance);
        prop_assert!(check_feasible(&instance, &fair).is_ok(), "{:?}", check_feasible(&instance, &fair));
        prop_assert!(blocking_pairs(&instance, &fair).is_empty());
        let spent = |o: usize| fair.assigned.iter().filter(|a| a.1 == o).map(|a| budget_of(instance.needs[a.0].budget_usd)).sum::<i64>();
        for (o, slot) in instance.offers.iter().enumerate() {
            prop_assert!(fair.assigned.iter().filter(|a| a.1 == o).count() <= slot.capacity as usize);
            prop_assert!(slot.funding_usd.is_none_or(|f| spent(o) <= f.max(0)));
        }
    }

    #[test]
    fn the_marked_rounds_without_marks_accept_what_the_fast_path_accepts(instance in instances(10, 5, true, false)) {
        let p = Prepared::new(&instance);
        prop_assert_eq!(deferred_acceptance_marked(&p, &Marks::unmarked(&p)), deferred_acceptance(&p));
    }

    #[test]
    fn stable_with_marks_is_feasible_and_unblocked_without_budgets(instance in marked_instances(8, 4, false)) {
        let fair = stable(&instance);
        prop_assert!(check_feasible(&instance, &fair).is_ok(), "{:?}", check_feasible(&instance, &fair));
        prop_assert!(blocking_pairs(&instance, &fair).is_empty());
    }

    /// With budgets and marks a stable allocation need not exist (see
    /// `with_budgets_and_marks_a_stable_allocation_need_not_exist`), so only feasibility is a
    /// property here; capacities and regional caps are checked with marks above.
    #[test]
    fn stable_with_marks_and_budgets_is_feasible(instance in marked_instances(8, 4, true)) {
        let fair = stable(&instance);
        prop_assert!(check_feasible(&instance, &fair).is_ok(), "{:?}", check_feasible(&instance, &fair));
        let spent = |o: usize| fair.assigned.iter().filter(|a| a.1 == o).map(|a| budget_of(instance.needs[a.0].budget_usd)).sum::<i64>();
        for (o, slot) in instance.offers.iter().enumerate() {
            prop_assert!(slot.funding_usd.is_none_or(|f| spent(o) <= f.max(0)));
        }
    }

    #[test]
    fn stable_equals_textbook_deferred_acceptance(instance in instances(8, 4, false, false)) {
        let p = Prepared::new(&instance);
        prop_assert_eq!(stable(&instance).assigned, textbook_deferred_acceptance(&p));
    }
}

// ---------------------------------------------------------------- timing (not a test)

/// Not a test: times [`min_cost_flow`] and [`optimal_with_bound`] on a synthetic instance and
/// optionally writes its network for `benches/ortools_flow.py`. Prints wall and CPU seconds
/// (the CPU time of this thread sees through a busy machine); asserts nothing about time.
///
/// ```text
/// ALLOCATE_BENCH=needs,offers,candidates,seed[,network_file] ALLOCATE_BENCH_RUNS=5 \
///     cargo test --release --lib matching::allocate::tests::time_min_cost_flow -- --ignored --nocapture
/// ```
#[test]
#[ignore = "timing run, see its docs"]
fn time_min_cost_flow() {
    use std::time::Instant;
    let spec = std::env::var("ALLOCATE_BENCH").unwrap_or_else(|_| "20000,5000,50,1".to_owned());
    let fields: Vec<&str> = spec.split(',').collect();
    let number = |i: usize| {
        fields[i]
            .parse::<usize>()
            .expect("ALLOCATE_BENCH=needs,offers,candidates,seed")
    };
    let instance = synthetic_instance(number(0), number(1), number(2), number(3) as u64);
    if let Some(path) = fields.get(4) {
        let mut file = std::fs::File::create(path).unwrap();
        let size = write_flow_network(&instance, &mut file).unwrap();
        println!("wrote {path}: {} nodes, {} arcs", size.nodes, size.arcs);
    }
    let runs: usize = std::env::var("ALLOCATE_BENCH_RUNS").map_or(5, |r| r.parse().unwrap());
    let cpu = || {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split(' ').next().and_then(|ns| ns.parse::<f64>().ok()))
            .map_or(f64::NAN, |ns| ns / 1e9)
    };
    for _ in 0..runs {
        let (start, cpu_start) = (Instant::now(), cpu());
        let flow = min_cost_flow(&instance);
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "min_cost_flow {seconds:.3} s cost {} cpu {:.3} s",
            flow.cost,
            cpu() - cpu_start
        );
    }
    for _ in 0..runs {
        let (start, cpu_start) = (Instant::now(), cpu());
        let (best, bound) = optimal_with_bound(&instance);
        let seconds = start.elapsed().as_secs_f64();
        let value = best.total_value;
        println!(
            "optimal_with_bound {seconds:.3} s value {value:.6} bound {bound:.6} cpu {:.3} s",
            cpu() - cpu_start
        );
    }
}

/// Not a test: times `stable` on a synthetic instance (20,000 needs, 5,000 offers, 50 candidates:
/// tier M's shape) without marks (the fast path) and with a twentieth of the pairs marked on
/// each side (the general rounds), and counts the blocking pairs of each.
///
/// ```text
/// cargo test --release --lib matching::allocate::tests::time_stable_with_marks -- --ignored --nocapture
/// ```
#[test]
#[ignore = "timing run, see its docs"]
fn time_stable_with_marks() {
    let instance = synthetic_instance(20_000, 5_000, 50, 7);
    let start = std::time::Instant::now();
    let fast = stable(&instance);
    let fast_time = start.elapsed();
    let mut marked_instance = instance.clone();
    for (i, pair) in marked_instance.pairs.iter_mut().enumerate() {
        pair.need_prefers = i % 20 == 3;
        pair.offer_prefers = i % 20 == 11;
    }
    let mut moneyless = marked_instance.clone();
    moneyless.offers.iter_mut().for_each(|offer| offer.funding_usd = None);
    let without_budgets = stable(&moneyless);
    println!(
        "marked without budgets: {} blocking",
        blocking_pairs(&moneyless, &without_budgets).len()
    );
    let start = std::time::Instant::now();
    let marked = stable(&marked_instance);
    let marked_time = start.elapsed();
    println!(
        "unmarked: {fast_time:?}, {} pairs, {} blocking; marked: {marked_time:?}, {} pairs, {} blocking",
        fast.assigned.len(),
        blocking_pairs(&instance, &fast).len(),
        marked.assigned.len(),
        blocking_pairs(&marked_instance, &marked).len()
    );
}
