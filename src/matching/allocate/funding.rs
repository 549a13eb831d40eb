//! The funding repair of `optimal` (rule and guarantee in the `allocate` module docs): one round
//! that closes every funding offer with what it may keep and routes the needs let go again.
//!
//! What an over-budget offer keeps is the classic half-approximation for a knapsack: greedy by
//! value per dollar (taking every need that still fits), or the single most valuable need if that
//! is worth more; needs without a budget are free and always kept. Either way the kept needs are
//! worth at least half of the best subset of the needs the offer held (each fits alone, since
//! pairs over the funds are no arcs).

use std::cmp::Ordering;

use super::prepared::{NONE, Prepared};

/// What the repair needs from an exact flow solver.
pub trait Solver {
    /// Route every need: an optimal flow for everything still open.
    fn solve(&mut self);
    /// Per need: the candidate it holds, or `NONE`.
    fn assignment(&self) -> Vec<usize>;
    /// Close `offer` for good with the needs in `kept` (a subset of the (need, candidate) pairs
    /// it `held`); the others lose their seat.
    fn close(&mut self, offer: usize, held: &[(usize, usize)], kept: &[usize]);
    /// Route the needs that closed offers let go, optimally for what remains open.
    fn reroute(&mut self, evicted: Vec<usize>);
}

/// If some funding offer holds more budgets than its funds: every funding offer is closed with
/// what it may keep (all it holds if that fits, else [`keep`]), and the needs let go are routed
/// once more through the other offers. `assignment` is the solver's current one. Returns whether
/// anything was repaired. One round suffices because no funding offer is left open to overflow
/// again.
pub fn repair(p: &Prepared, solver: &mut dyn Solver, assignment: &[usize]) -> bool {
    let funded: Vec<usize> = (0..p.offers).filter(|&o| p.funding[o].is_some()).collect();
    let mut holdings: Vec<Vec<(usize, usize)>> = vec![Vec::new(); p.offers];
    for (need, &k) in assignment.iter().enumerate().filter(|&(_, &k)| k != NONE) {
        holdings[p.offer[k] as usize].push((need, k));
    }
    let over = |offer: usize, held: &[(usize, usize)]| {
        let spent: i64 = held.iter().map(|&(need, _)| p.budget[need]).sum();
        p.funding[offer].is_some_and(|funds| spent > funds)
    };
    if !funded.iter().any(|&o| over(o, &holdings[o])) {
        return false;
    }
    let mut evicted = Vec::new();
    for &offer in &funded {
        let held = &holdings[offer];
        let kept = match over(offer, held) {
            true => keep(p, offer, held),
            false => held.iter().map(|&(need, _)| need).collect(),
        };
        evicted.extend(held.iter().map(|&(need, _)| need).filter(|need| !kept.contains(need)));
        solver.close(offer, held, &kept);
    }
    solver.reroute(evicted);
    true
}

/// The needs (by index, sorted) that `offer` keeps from `held` (need, candidate) pairs.
pub fn keep(p: &Prepared, offer: usize, held: &[(usize, usize)]) -> Vec<usize> {
    let funds = p.funding[offer].unwrap_or(i64::MAX);
    let (free, mut paid): (Vec<_>, Vec<_>) = held.iter().copied().partition(|&(need, _)| p.budget[need] == 0);
    paid.sort_by(|&a, &b| by_value_per_dollar(p, a, b));
    let mut greedy = Vec::new();
    let mut spent = 0;
    for &(need, k) in &paid {
        if spent + p.budget[need] <= funds {
            spent += p.budget[need];
            greedy.push((need, k));
        }
    }
    let best_single = paid
        .iter()
        .copied()
        .max_by_key(|&(need, k)| (p.value[k], std::cmp::Reverse(need)));
    let greedy_value: i64 = greedy.iter().map(|&(_, k)| p.value[k]).sum();
    let mut kept = match best_single {
        Some(single) if p.value[single.1] > greedy_value => vec![single],
        _ => greedy,
    };
    kept.extend(free);
    let mut needs: Vec<usize> = kept.into_iter().map(|(need, _)| need).collect();
    needs.sort_unstable();
    needs
}

/// Higher value per dollar first (compared exactly by cross-multiplying), then lower need index.
fn by_value_per_dollar(p: &Prepared, (a, ka): (usize, usize), (b, kb): (usize, usize)) -> Ordering {
    let left = i128::from(p.value[ka]) * i128::from(p.budget[b]);
    let right = i128::from(p.value[kb]) * i128::from(p.budget[a]);
    right.cmp(&left).then(a.cmp(&b))
}
