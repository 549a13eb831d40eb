//! Which needs a funding offer keeps when the flow gave it more budgets than it has funds: the
//! classic half-approximation for a knapsack. Greedy by value per dollar (taking every need that
//! still fits), or the single most valuable need if that is worth more; needs without a budget
//! are free and always kept. Either way the kept needs are worth at least half of the best subset
//! of the needs the offer held (each need fits alone, since pairs over the funds are no arcs).

use std::cmp::Ordering;

use super::prepared::Prepared;

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
