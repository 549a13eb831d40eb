//! A deterministic synthetic instance for benches and load tests, shaped like the hub's real
//! runs: needs spread over the five M49 regions (Africa most), priorities from 1 to about 3,
//! most needs with a budget; offers with small capacities (scarce experts: about 3.5 seats each),
//! some with a regional cap and some with funds; candidates biased towards good providers, so
//! needs compete for the same offers. Uses its own SplitMix64 so the instance never changes with
//! a dependency's version.

use super::{AllocationInstance, CandidatePair, NeedSlot, OfferSlot};

/// Regions and their weights (per cent of needs).
const REGIONS: [(&str, u64); 5] = [
    ("africa", 35),
    ("americas", 20),
    ("asia", 25),
    ("europe", 10),
    ("oceania", 10),
];

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for test data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n) (n > 0; the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, per_cent: u64) -> bool {
        self.below(100) < per_cent
    }
}

/// An instance with `needs` needs, `offers` offers and `candidates_per_need` distinct candidate
/// offers per need (fewer if there are fewer offers). Same arguments, same instance.
pub fn synthetic_instance(needs: usize, offers: usize, candidates_per_need: usize, seed: u64) -> AllocationInstance {
    let mut rng = SplitMix64(seed);
    let offer_slots: Vec<OfferSlot> = (0..offers).map(|i| synthetic_offer(&mut rng, i)).collect();
    let quality: Vec<f64> = (0..offers).map(|_| rng.unit()).collect();
    let need_slots: Vec<NeedSlot> = (0..needs).map(|i| synthetic_need(&mut rng, i)).collect();
    let per_need = candidates_per_need.min(offers);
    let mut pairs = Vec::with_capacity(needs * per_need);
    let mut stamp = vec![usize::MAX; offers];
    for need in 0..needs {
        let mut chosen = 0;
        while chosen < per_need {
            let offer = biased_offer(&mut rng, offers);
            if stamp[offer] != need {
                stamp[offer] = need;
                chosen += 1;
                let fit = 0.6 * quality[offer] + 0.4 * rng.unit();
                pairs.push(CandidatePair::unmarked(need, offer, fit));
            }
        }
    }
    AllocationInstance {
        needs: need_slots,
        offers: offer_slots,
        pairs,
    }
}

fn synthetic_need(rng: &mut SplitMix64, i: usize) -> NeedSlot {
    let mut pick = rng.below(100);
    let region = REGIONS
        .iter()
        .find(|&&(_, weight)| {
            let hit = pick < weight;
            pick = pick.saturating_sub(weight);
            hit
        })
        .map_or("africa", |&(name, _)| name);
    let urgency = [0.0, 0.25, 0.5, 1.0][rng.below(4) as usize];
    let ldc_sids = if rng.chance(30) { 0.5 } else { 0.0 };
    NeedSlot {
        id: format!("need-{i:05}"),
        region: region.to_owned(),
        priority: 1.0 + urgency + ldc_sids + 0.5 * rng.unit(),
        budget_usd: rng.chance(60).then(|| 1_000 * (5 + rng.below(146)) as i64),
    }
}

fn synthetic_offer(rng: &mut SplitMix64, i: usize) -> OfferSlot {
    let capacity = 1 + rng.below(6) as u32;
    let funding_usd = rng.chance(20).then(|| 10_000 * (10 + rng.below(51)) as i64);
    let region_cap = rng.chance(30).then_some(capacity.div_ceil(2));
    // Some capped offers are partly held by a region already, as after an earlier committed run.
    let region_taken = match region_cap {
        Some(cap) if rng.chance(40) => {
            let (region, _) = REGIONS[rng.below(REGIONS.len() as u64) as usize];
            vec![(region.to_owned(), 1 + rng.below(u64::from(cap)) as u32)]
        }
        _ => Vec::new(),
    };
    OfferSlot {
        id: format!("offer-{i:05}"),
        capacity,
        funding_usd,
        region_cap,
        region_taken,
    }
}

/// An offer index, low indices a little more likely (popular providers attract more requests).
fn biased_offer(rng: &mut SplitMix64, offers: usize) -> usize {
    let u = rng.unit();
    ((u * u * 0.5 + u * 0.5) * offers as f64) as usize % offers.max(1)
}
