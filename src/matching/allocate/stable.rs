//! Requester-proposing deferred acceptance and its blocking-pair check (the rules are in the
//! module docs of `allocate`).
//!
//! An offer chooses from the needs before it greedily, in its rank order: it goes down them best
//! first and keeps each that still fits (a seat, a seat within the need's region cap, and the
//! funds for its budget after the budgets of the needs kept above it). Deferred acceptance lets
//! each offer hold what it chooses from what it holds and the new proposer, and rejects the rest;
//! the blocking-pair check asks the same choice.
//!
//! Without stated preferences both sides rank a pair by its value, and proposals are taken from a
//! heap in one global order: value descending, then need index, then (within a need's list) offer
//! index. By the time a need proposes to an offer, every need the offer holds ranks higher with
//! it, so the greedy choice keeps them all and the proposer exactly when a seat within the
//! region's cap and enough unspent funds are there: [`deferred_acceptance`] is that fast path.
//! With stated preferences the two sides rank differently, an offer may meet a proposer it ranks
//! above needs it holds, and [`deferred_acceptance_marked`] runs the general rounds.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::feasible::candidate_assignments;
use super::prepared::{NONE, Prepared};
use super::{Allocation, AllocationInstance};

/// How an offer ranks a need: the provider's mark first, then the pair's value, then the lower
/// need index. Higher is better.
type OfferRank = (bool, i64, Reverse<usize>);
/// How a need ranks an offer: the requester's mark first, then the pair's value, then the lower
/// offer index. Higher is better.
type NeedRank = (bool, i64, Reverse<u32>);

/// The parties' marks of each candidate of a [`Prepared`] instance, by candidate index.
pub struct Marks {
    /// The requester PREFERRED this candidate's offer for its need.
    need: Vec<bool>,
    /// The provider PREFERRED this candidate's need for its offer.
    offer: Vec<bool>,
}

impl Marks {
    /// The marks of `instance`'s candidates, or `None` when no candidate carries one (the fast
    /// path then applies).
    pub fn of(instance: &AllocationInstance, p: &Prepared) -> Option<Marks> {
        let mut marks = Marks::unmarked(p);
        for (k, &pair) in p.pair.iter().enumerate() {
            let pair = &instance.pairs[pair as usize];
            marks.need[k] = pair.need_prefers;
            marks.offer[k] = pair.offer_prefers;
        }
        (marks.need.iter().chain(&marks.offer).any(|&marked| marked)).then_some(marks)
    }

    /// No marks at all: the general rounds then rank exactly as the fast path does.
    pub fn unmarked(p: &Prepared) -> Marks {
        Marks {
            need: vec![false; p.offer.len()],
            offer: vec![false; p.offer.len()],
        }
    }

    fn offer_rank(&self, p: &Prepared, k: usize) -> OfferRank {
        (self.offer[k], p.value[k], Reverse(p.need[k] as usize))
    }

    fn need_rank(&self, p: &Prepared, k: usize) -> NeedRank {
        (self.need[k], p.value[k], Reverse(p.offer[k]))
    }
}

/// Per need: the candidate it ends up holding, or `NONE`. The fast path, for instances without
/// marks (see the module docs).
pub fn deferred_acceptance(p: &Prepared) -> Vec<usize> {
    let mut assigned = vec![NONE; p.needs];
    let mut slot_count = vec![0u32; p.slot_offer.len()];
    let mut offer_count = vec![0u32; p.offers];
    let mut spent = vec![0i64; p.offers];
    let mut heap: BinaryHeap<(i64, Reverse<usize>, Reverse<usize>)> = (0..p.needs)
        .filter(|&n| !p.candidates(n).is_empty())
        .map(|n| (p.value[p.start[n]], Reverse(n), Reverse(p.start[n])))
        .collect();
    while let Some((_, Reverse(need), Reverse(k))) = heap.pop() {
        let (offer, slot) = (p.offer[k] as usize, p.slot[k] as usize);
        let money = p.funding[offer].is_none_or(|funds| spent[offer] + p.budget[need] <= funds);
        if money && slot_count[slot] < p.slot_cap[slot] && offer_count[offer] < p.capacity[offer] {
            slot_count[slot] += 1;
            offer_count[offer] += 1;
            spent[offer] += p.budget[need];
            assigned[need] = k;
        } else if k + 1 < p.start[need + 1] {
            heap.push((p.value[k + 1], Reverse(need), Reverse(k + 1)));
        }
    }
    assigned
}

/// What one offer holds during the general rounds: its candidates best first by its rank, and
/// their totals.
#[derive(Default)]
struct Held {
    candidates: Vec<usize>,
    count: u32,
    spent: i64,
}

/// Per need: the candidate it ends up holding, or `NONE`. Deferred acceptance with the parties'
/// marks: each need proposes down its own order (marked offers first), each offer holds its
/// greedy choice from what it holds and the proposer. Proposals are taken in the fast path's
/// global order of value, so without marks this accepts exactly what [`deferred_acceptance`]
/// does (a test checks it).
pub fn deferred_acceptance_marked(p: &Prepared, marks: &Marks) -> Vec<usize> {
    let order = need_orders(p, marks);
    let mut position: Vec<usize> = p.start[..p.needs].to_vec();
    let mut assigned = vec![NONE; p.needs];
    let mut held: Vec<Held> = (0..p.offers).map(|_| Held::default()).collect();
    let mut slot_count = vec![0u32; p.slot_offer.len()];
    let mut heap: BinaryHeap<(i64, Reverse<usize>, Reverse<usize>)> = (0..p.needs)
        .filter(|&n| !p.candidates(n).is_empty())
        .map(|n| (p.value[order[p.start[n]]], Reverse(n), Reverse(p.start[n])))
        .collect();
    let mut rejected = Vec::new();
    while let Some((_, Reverse(need), Reverse(at))) = heap.pop() {
        let k = order[at];
        let offer = p.offer[k] as usize;
        rejected.clear();
        propose(p, marks, &mut held[offer], &mut slot_count, k, &mut rejected);
        assigned[need] = k;
        for &lost in &rejected {
            let loser = p.need[lost] as usize;
            assigned[loser] = NONE;
            position[loser] += 1;
            if position[loser] < p.start[loser + 1] {
                let next = position[loser];
                heap.push((p.value[order[next]], Reverse(loser), Reverse(next)));
            }
        }
    }
    assigned
}

/// Each need's candidates in its own order, best first, in the ranges of `p.start`.
fn need_orders(p: &Prepared, marks: &Marks) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.offer.len()).collect();
    for need in 0..p.needs {
        order[p.candidates(need)].sort_by_key(|&k| Reverse(marks.need_rank(p, k)));
    }
    order
}

/// Offer `p.offer[k]` meets the proposal `k`: it holds its greedy choice from what it held and
/// `k`, and the candidates it lets go (possibly `k`) are pushed to `rejected`.
fn propose(p: &Prepared, marks: &Marks, held: &mut Held, slot_count: &mut [u32], k: usize, rejected: &mut Vec<usize>) {
    let offer = p.offer[k] as usize;
    let rank = marks.offer_rank(p, k);
    let at = held.candidates.partition_point(|&h| marks.offer_rank(p, h) > rank);
    if at == held.candidates.len() {
        // Ranked below everything held: the choice keeps all it held, and `k` if it fits.
        let (slot, need) = (p.slot[k] as usize, p.need[k] as usize);
        let money = p.funding[offer].is_none_or(|funds| held.spent + p.budget[need] <= funds);
        if money && held.count < p.capacity[offer] && slot_count[slot] < p.slot_cap[slot] {
            held.candidates.push(k);
            held.count += 1;
            held.spent += p.budget[need];
            slot_count[slot] += 1;
        } else {
            rejected.push(k);
        }
        return;
    }
    held.candidates.insert(at, k);
    for count in &mut slot_count[p.offer_slots[offer]..p.offer_slots[offer + 1]] {
        *count = 0;
    }
    let (mut count, mut spent) = (0u32, 0i64);
    held.candidates.retain(|&h| {
        let (slot, need) = (p.slot[h] as usize, p.need[h] as usize);
        let keep = count < p.capacity[offer]
            && slot_count[slot] < p.slot_cap[slot]
            && p.funding[offer].is_none_or(|funds| spent + p.budget[need] <= funds);
        if keep {
            count += 1;
            spent += p.budget[need];
            slot_count[slot] += 1;
        } else {
            rejected.push(h);
        }
        keep
    });
    held.count = count;
    held.spent = spent;
}

/// An offer's held needs in a given allocation, for the greedy choice: their ranks best first,
/// with the budgets spent above each position, and the ranks held in each region.
#[derive(Default)]
struct OfferHolds {
    ranks: Vec<OfferRank>,
    /// `spent_above[i]`: the budgets of the first `i` held needs.
    spent_above: Vec<i64>,
    regions: FxHashMap<u32, Vec<OfferRank>>,
}

impl OfferHolds {
    /// Whether the greedy choice from the held needs and `need` (ranked `rank`) keeps `need`:
    /// every held need ranked above it is kept (the held set is feasible), so it is kept when a
    /// seat, a seat in its region and the funds left after those above it are there.
    fn chooses(&self, p: &Prepared, offer: usize, need: usize, rank: OfferRank) -> bool {
        let above = self.ranks.partition_point(|&r| r > rank);
        let in_region = self
            .regions
            .get(&p.need_region[need])
            .map_or(0, |ranks| ranks.partition_point(|&r| r > rank));
        above < p.capacity[offer] as usize
            && p.region_seats(offer, p.need_region[need])
                .is_none_or(|seats| in_region < seats as usize)
            && p.funding[offer].is_none_or(|funds| self.spent_above[above] + p.budget[need] <= funds)
    }
}

/// Every acceptable candidate pair that blocks `allocation`, sorted: (n, o) blocks when n ranks
/// o above its assignment (or has none) and o's greedy choice from its held needs and n keeps n.
/// Ranks follow `marks` (all unmarked: by value).
pub fn blocking_pairs(
    instance: &AllocationInstance,
    p: &Prepared,
    marks: &Marks,
    allocation: &Allocation,
) -> Vec<(usize, usize)> {
    let mut holds = vec![NONE; p.needs];
    let mut held: Vec<Vec<(OfferRank, usize)>> = vec![Vec::new(); p.offers];
    for (need, offer) in candidate_assignments(instance, allocation) {
        let k = p.find(need, offer).unwrap_or(NONE);
        holds[need] = k;
        let rank = if k == NONE {
            (false, 0, Reverse(need))
        } else {
            marks.offer_rank(p, k)
        };
        held[offer].push((rank, need));
    }
    let offers: Vec<OfferHolds> = held
        .into_iter()
        .map(|mut list| {
            list.sort_unstable_by_key(|&(rank, _)| Reverse(rank));
            let mut holds = OfferHolds {
                spent_above: vec![0],
                ..OfferHolds::default()
            };
            for (rank, need) in list {
                holds.ranks.push(rank);
                let last = holds.spent_above[holds.spent_above.len() - 1];
                holds.spent_above.push(last + p.budget[need]);
                holds.regions.entry(p.need_region[need]).or_default().push(rank);
            }
            holds
        })
        .collect();
    let mut blocking = Vec::new();
    for (need, &held) in holds.iter().enumerate() {
        let held_rank = (held != NONE).then(|| marks.need_rank(p, held));
        for k in p.candidates(need) {
            if k == held || held_rank.is_some_and(|held_rank| marks.need_rank(p, k) <= held_rank) {
                continue;
            }
            let offer = p.offer[k] as usize;
            if offers[offer].chooses(p, offer, need, marks.offer_rank(p, k)) {
                blocking.push((need, offer));
            }
        }
    }
    blocking.sort_unstable();
    blocking
}
