//! Requester-proposing deferred acceptance and its blocking-pair check (the rules are in the
//! module docs of `allocate`).
//!
//! Every need proposes down its list, best first. Proposals are taken from a heap in one global
//! order: value descending, then need index, then (within a need's list) offer index. Both sides
//! rank a pair by its value, so by the time a need proposes to an offer, every need the offer
//! holds ranks higher with it: the offer never has anyone worse to reject, and a proposal is
//! accepted exactly when a seat within the region's cap and enough unspent funds are there.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::feasible::candidate_assignments;
use super::prepared::{NONE, Prepared};
use super::{Allocation, AllocationInstance};

/// Per need: the candidate it ends up holding, or `NONE`.
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

/// How an offer's seats stand in a given allocation.
#[derive(Default)]
struct OfferState {
    count: u32,
    spent: i64,
    /// Lowest-ranked held need as (value, Reverse(need)): the offer's rank order is by value,
    /// then lower index.
    worst: Option<(i64, Reverse<usize>)>,
}

impl OfferState {
    fn add(&mut self, rank: (i64, Reverse<usize>), budget: i64) {
        self.count += 1;
        self.spent += budget;
        self.worst = Some(self.worst.map_or(rank, |w| w.min(rank)));
    }
}

/// Every acceptable candidate pair that blocks `allocation`, sorted.
pub fn blocking_pairs(instance: &AllocationInstance, p: &Prepared, allocation: &Allocation) -> Vec<(usize, usize)> {
    let mut holds = vec![NONE; p.needs];
    let mut offers: Vec<OfferState> = (0..p.offers).map(|_| OfferState::default()).collect();
    let mut regions: HashMap<(usize, u32), OfferState> = HashMap::new();
    for (need, offer) in candidate_assignments(instance, allocation) {
        let k = p.find(need, offer).unwrap_or(NONE);
        holds[need] = k;
        let rank = (if k == NONE { 0 } else { p.value[k] }, Reverse(need));
        offers[offer].add(rank, p.budget[need]);
        regions.entry((offer, p.need_region[need])).or_default().add(rank, 0);
    }
    let mut blocking = Vec::new();
    for (need, &held) in holds.iter().enumerate() {
        for k in p.candidates(need).take_while(|&k| held == NONE || k < held) {
            let offer = p.offer[k] as usize;
            let region = regions.get(&(offer, p.need_region[need]));
            if would_take(p, k, need, &offers[offer], region) {
                blocking.push((need, offer));
            }
        }
    }
    blocking.sort_unstable();
    blocking
}

/// Whether an offer in `state` (with `region`'s state for the need's region) would take the need
/// of candidate `k`: money first come, first served, then a free seat or someone worse to drop.
fn would_take(p: &Prepared, k: usize, need: usize, state: &OfferState, region: Option<&OfferState>) -> bool {
    let offer = p.offer[k] as usize;
    if p.funding[offer].is_some_and(|funds| state.spent + p.budget[need] > funds) {
        return false;
    }
    let rank = (p.value[k], Reverse(need));
    let in_region = region.map_or(0, |r| r.count);
    let region_full = p.region_cap[offer].is_some_and(|cap| in_region >= cap);
    if region_full {
        return region.and_then(|r| r.worst).is_some_and(|worst| rank > worst);
    }
    state.count < p.capacity[offer] || state.worst.is_some_and(|worst| rank > worst)
}
