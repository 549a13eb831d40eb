//! The instance in the solvers' terms: integer values, dense region ids, funds and budgets clamped
//! to >= 0, each need's acceptable candidates sorted by its preference, and the (offer, region)
//! slots that carry the regional caps. Built once per run, shared by every solver.

use std::collections::BTreeMap;

use super::{AllocationInstance, CandidatePair};

/// Values are compared and summed in millionths.
pub const SCALE: f64 = 1_000_000.0;
/// Largest value of one pair the solvers take (fit 1 at priority 1e6): keeps every path sum of
/// scaled values far inside `i64`.
const MAX_VALUE: f64 = 1_000_000.0;
/// "No candidate" / "no need" / "no slot" in index arrays.
pub const NONE: usize = usize::MAX;
/// Region key of the single slot of an offer whose regional cap cannot bind.
const ALL_REGIONS: u32 = u32::MAX;

/// The normalised instance. Candidate `k` of need `n` lives at `start[n] <= k < start[n + 1]`,
/// best first (value descending, then offer index ascending).
pub struct Prepared {
    pub needs: usize,
    pub offers: usize,
    pub need_region: Vec<u32>,
    pub budget: Vec<i64>,
    pub capacity: Vec<u32>,
    pub region_cap: Vec<Option<u32>>,
    pub funding: Vec<Option<i64>>,
    pub start: Vec<usize>,
    pub offer: Vec<u32>,
    pub value: Vec<i64>,
    /// Index of the candidate in `instance.pairs`, for the f64 total.
    pub pair: Vec<u32>,
    /// The candidate's (offer, region) slot.
    pub slot: Vec<u32>,
    pub slot_cap: Vec<u32>,
    pub slot_offer: Vec<u32>,
    /// Slots of offer `o` are `offer_slots[o]..offer_slots[o + 1]`.
    pub offer_slots: Vec<usize>,
}

/// A pair's value `fit * priority` after sanitising both factors (see the public docs).
pub fn pair_value(instance: &AllocationInstance, pair: &CandidatePair) -> f64 {
    let fit = if pair.fit.is_finite() {
        pair.fit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let priority = instance.needs[pair.need].priority;
    let priority = if priority.is_finite() { priority.max(1.0) } else { 1.0 };
    (fit * priority).min(MAX_VALUE)
}

/// A value in millionths.
pub fn scaled(value: f64) -> i64 {
    (value * SCALE).round() as i64
}

/// A need's budget as the rules count it.
pub fn budget_of(budget_usd: Option<i64>) -> i64 {
    budget_usd.unwrap_or(0).max(0)
}

impl Prepared {
    /// Normalise `instance`. Pairs with unknown indices, no value, or a budget the offer's funds
    /// cannot hold alone are dropped; duplicates keep their best value.
    pub fn new(instance: &AllocationInstance) -> Prepared {
        let need_region = regions(instance);
        let mut prepared = Prepared {
            needs: instance.needs.len(),
            offers: instance.offers.len(),
            need_region,
            budget: instance.needs.iter().map(|n| budget_of(n.budget_usd)).collect(),
            capacity: instance.offers.iter().map(|o| o.capacity).collect(),
            region_cap: instance.offers.iter().map(|o| o.region_cap).collect(),
            funding: instance
                .offers
                .iter()
                .map(|o| o.funding_usd.map(|f| f.max(0)))
                .collect(),
            start: Vec::new(),
            offer: Vec::new(),
            value: Vec::new(),
            pair: Vec::new(),
            slot: Vec::new(),
            slot_cap: Vec::new(),
            slot_offer: Vec::new(),
            offer_slots: Vec::new(),
        };
        prepared.fill_candidates(instance);
        prepared.fill_slots();
        prepared
    }

    /// Sum of the f64 values of the chosen candidates (`NONE` = unassigned).
    pub fn total_value(&self, instance: &AllocationInstance, chosen: &[usize]) -> f64 {
        chosen
            .iter()
            .filter(|&&k| k != NONE)
            .map(|&k| pair_value(instance, &instance.pairs[self.pair[k] as usize]))
            .sum()
    }

    /// Candidate range of need `n`.
    pub fn candidates(&self, need: usize) -> std::ops::Range<usize> {
        self.start[need]..self.start[need + 1]
    }

    /// The candidate of `need` with `offer`, if the pair is acceptable.
    pub fn find(&self, need: usize, offer: usize) -> Option<usize> {
        self.candidates(need).find(|&k| self.offer[k] as usize == offer)
    }

    /// Whether offer `o` may take need `n` at all.
    fn acceptable(&self, need: usize, offer: usize, value: i64) -> bool {
        value > 0
            && self.capacity[offer] > 0
            && self.region_cap[offer] != Some(0)
            && self.funding[offer].is_none_or(|funds| self.budget[need] <= funds)
    }

    /// Bucket the acceptable pairs by need, sort each bucket by preference, drop duplicates.
    fn fill_candidates(&mut self, instance: &AllocationInstance) {
        let values: Vec<i64> = instance
            .pairs
            .iter()
            .map(|p| {
                if p.need >= self.needs || p.offer >= self.offers {
                    return 0;
                }
                let value = scaled(pair_value(instance, p));
                if self.acceptable(p.need, p.offer, value) {
                    value
                } else {
                    0
                }
            })
            .collect();
        let buckets = bucket_by_need(instance, &values, self.needs);
        let mut seen = vec![NONE; self.offers];
        self.start.push(0);
        for (need, mut bucket) in buckets.into_iter().enumerate() {
            let key = |&i: &u32| {
                (
                    std::cmp::Reverse(values[i as usize]),
                    instance.pairs[i as usize].offer,
                    i,
                )
            };
            bucket.sort_unstable_by_key(key);
            for i in bucket {
                let offer = instance.pairs[i as usize].offer;
                if seen[offer] != need {
                    seen[offer] = need;
                    self.offer.push(offer as u32);
                    self.value.push(values[i as usize]);
                    self.pair.push(i);
                }
            }
            self.start.push(self.offer.len());
        }
    }

    /// One slot per (offer, region) seen among the candidates, or one per offer whose regional cap
    /// cannot bind; slots are numbered in (offer, region) order so an offer's slots are contiguous.
    fn fill_slots(&mut self) {
        let key = |prepared: &Prepared, need: usize, k: usize| {
            let offer = prepared.offer[k] as usize;
            let region = match prepared.region_cap[offer] {
                Some(cap) if cap < prepared.capacity[offer] => prepared.need_region[need],
                _ => ALL_REGIONS,
            };
            (offer as u64) << 32 | u64::from(region)
        };
        let mut keys = Vec::with_capacity(self.offer.len());
        for need in 0..self.needs {
            keys.extend(self.candidates(need).map(|k| key(self, need, k)));
        }
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        self.slot = keys
            .iter()
            .map(|key| unique.binary_search(key).unwrap_or_default() as u32)
            .collect();
        self.slot_offer = unique.iter().map(|key| (key >> 32) as u32).collect();
        self.slot_cap = self.slot_offer.iter().map(|&o| self.seat_limit(o as usize)).collect();
        self.offer_slots = vec![0; self.offers + 1];
        for &offer in &self.slot_offer {
            self.offer_slots[offer as usize + 1] += 1;
        }
        for o in 0..self.offers {
            self.offer_slots[o + 1] += self.offer_slots[o];
        }
    }

    /// Most needs one slot of `offer` holds.
    fn seat_limit(&self, offer: usize) -> u32 {
        self.region_cap[offer].map_or(self.capacity[offer], |cap| cap.min(self.capacity[offer]))
    }
}

/// Dense region ids, in slug order.
fn regions(instance: &AllocationInstance) -> Vec<u32> {
    let mut ids: BTreeMap<&str, u32> = instance.needs.iter().map(|n| (n.region.as_str(), 0)).collect();
    for (i, id) in ids.values_mut().enumerate() {
        *id = i as u32;
    }
    instance.needs.iter().map(|n| ids[n.region.as_str()]).collect()
}

/// Indices of the pairs with a positive value, per need.
fn bucket_by_need(instance: &AllocationInstance, values: &[i64], needs: usize) -> Vec<Vec<u32>> {
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); needs];
    for (i, pair) in instance.pairs.iter().enumerate() {
        if values[i] > 0 {
            buckets[pair.need].push(i as u32);
        }
    }
    buckets
}
