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

/// The normalised instance. Candidate `k` of need `n` lives at `start[n] <= k < start[n + 1]`,
/// best first (value descending, then offer index ascending).
pub struct Prepared {
    pub needs: usize,
    pub offers: usize,
    pub need_region: Vec<u32>,
    pub budget: Vec<i64>,
    pub capacity: Vec<u32>,
    /// Needs each region may still take from each offer (`None`: no cap), by offer and dense
    /// region id: the regional cap less what the region holds already.
    pub region_seats: Vec<Option<Vec<u32>>>,
    pub funding: Vec<Option<i64>>,
    pub start: Vec<usize>,
    pub offer: Vec<u32>,
    /// The need of each candidate (the inverse of `start`).
    pub need: Vec<u32>,
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
        let (need_region, slugs) = regions(instance);
        let region_seats = instance
            .offers
            .iter()
            .map(|o| {
                o.region_cap
                    .is_some()
                    .then(|| slugs.iter().map(|slug| o.region_seats(slug).unwrap_or(0)).collect())
            })
            .collect();
        let mut prepared = Prepared {
            needs: instance.needs.len(),
            offers: instance.offers.len(),
            need_region,
            budget: instance.needs.iter().map(|n| budget_of(n.budget_usd)).collect(),
            capacity: instance.offers.iter().map(|o| o.capacity).collect(),
            region_seats,
            funding: instance
                .offers
                .iter()
                .map(|o| o.funding_usd.map(|f| f.max(0)))
                .collect(),
            start: Vec::new(),
            offer: Vec::new(),
            need: Vec::new(),
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
            && self
                .region_seats(offer, self.need_region[need])
                .is_none_or(|seats| seats > 0)
            && self.funding[offer].is_none_or(|funds| self.budget[need] <= funds)
    }

    /// The pair's value in millionths if the pair is acceptable (known indices, offer may take
    /// need), else 0.
    fn candidate_value(&self, instance: &AllocationInstance, pair: &CandidatePair) -> i64 {
        if pair.need >= self.needs || pair.offer >= self.offers {
            return 0;
        }
        let value = scaled(pair_value(instance, pair));
        if self.acceptable(pair.need, pair.offer, value) {
            value
        } else {
            0
        }
    }

    /// Bucket the acceptable pairs by need (a counting sort), sort each bucket by preference, drop
    /// duplicates.
    fn fill_candidates(&mut self, instance: &AllocationInstance) {
        let mut bucket_start = vec![0usize; self.needs + 1];
        for pair in &instance.pairs {
            if self.candidate_value(instance, pair) > 0 {
                bucket_start[pair.need + 1] += 1;
            }
        }
        for need in 0..self.needs {
            bucket_start[need + 1] += bucket_start[need];
        }
        let mut fill = bucket_start.clone();
        let mut order = vec![0u32; bucket_start[self.needs]];
        for (i, pair) in instance.pairs.iter().enumerate() {
            if self.candidate_value(instance, pair) > 0 {
                order[fill[pair.need]] = i as u32;
                fill[pair.need] += 1;
            }
        }
        drop(fill);
        self.offer.reserve(order.len());
        self.need.reserve(order.len());
        self.value.reserve(order.len());
        self.pair.reserve(order.len());
        let mut seen = vec![NONE; self.offers];
        // One need's pairs as (value, offer, pair index), sorted best first.
        let mut entries: Vec<(i64, u32, u32)> = Vec::new();
        self.start.push(0);
        for need in 0..self.needs {
            entries.clear();
            for &i in &order[bucket_start[need]..bucket_start[need + 1]] {
                let pair = &instance.pairs[i as usize];
                entries.push((self.candidate_value(instance, pair), pair.offer as u32, i));
            }
            entries.sort_unstable_by_key(|&(value, offer, i)| (std::cmp::Reverse(value), offer, i));
            for &(value, offer, i) in &entries {
                if seen[offer as usize] != need {
                    seen[offer as usize] = need;
                    self.offer.push(offer);
                    self.need.push(need as u32);
                    self.value.push(value);
                    self.pair.push(i);
                }
            }
            self.start.push(self.offer.len());
        }
    }

    /// One slot per (offer, region) seen among the candidates, or one per offer whose regional cap
    /// cannot bind; slots are numbered in (offer, region) order so an offer's slots are contiguous.
    /// Candidates are grouped by offer with a counting sort, so this is linear.
    fn fill_slots(&mut self) {
        let candidates = self.offer.len();
        let region = |k: u32| self.need_region[self.need[k as usize] as usize] as usize;
        let mut group_start = vec![0usize; self.offers + 1];
        for &offer in &self.offer {
            group_start[offer as usize + 1] += 1;
        }
        for offer in 0..self.offers {
            group_start[offer + 1] += group_start[offer];
        }
        let mut fill = group_start.clone();
        let mut group = vec![0u32; candidates];
        for (k, &offer) in self.offer.iter().enumerate() {
            group[fill[offer as usize]] = k as u32;
            fill[offer as usize] += 1;
        }
        let regions = self.need_region.iter().map(|&r| r as usize + 1).max().unwrap_or(0);
        let mut stamp = vec![NONE; regions];
        let mut slot_of_region = vec![0u32; regions];
        let mut seen_regions = Vec::new();
        self.slot = vec![0; candidates];
        self.offer_slots = Vec::with_capacity(self.offers + 1);
        for offer in 0..self.offers {
            self.offer_slots.push(self.slot_offer.len());
            let members = &group[group_start[offer]..group_start[offer + 1]];
            if members.is_empty() {
                continue;
            }
            let capacity = self.capacity[offer];
            let binds = self.region_seats[offer]
                .as_ref()
                .is_some_and(|seats| seats.iter().any(|&seats| seats < capacity));
            if !binds {
                let slot = self.slot_offer.len() as u32;
                for &k in members {
                    self.slot[k as usize] = slot;
                }
                self.slot_offer.push(offer as u32);
                self.slot_cap.push(capacity);
                continue;
            }
            seen_regions.clear();
            for &k in members {
                let r = region(k);
                if stamp[r] != offer {
                    stamp[r] = offer;
                    seen_regions.push(r as u32);
                }
            }
            seen_regions.sort_unstable();
            for &r in &seen_regions {
                slot_of_region[r as usize] = self.slot_offer.len() as u32;
                self.slot_offer.push(offer as u32);
                let seats = self.region_seats(offer, r).unwrap_or(capacity);
                self.slot_cap.push(seats.min(capacity));
            }
            for &k in members {
                self.slot[k as usize] = slot_of_region[region(k)];
            }
        }
        self.offer_slots.push(self.slot_offer.len());
    }

    /// Needs of the dense region `region` the run may still give `offer` (`None`: no cap).
    pub fn region_seats(&self, offer: usize, region: u32) -> Option<u32> {
        self.region_seats[offer].as_ref().map(|seats| seats[region as usize])
    }
}

/// Dense region ids of the needs, in slug order, and the slugs by id.
fn regions(instance: &AllocationInstance) -> (Vec<u32>, Vec<&str>) {
    let mut ids: BTreeMap<&str, u32> = instance.needs.iter().map(|n| (n.region.as_str(), 0)).collect();
    for (i, id) in ids.values_mut().enumerate() {
        *id = i as u32;
    }
    let need_region = instance.needs.iter().map(|n| ids[n.region.as_str()]).collect();
    (need_region, ids.into_keys().collect())
}
