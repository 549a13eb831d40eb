//! Why a need stayed unassigned, in words, for the dry run: "its 2 candidate offers are full".

use std::collections::{BTreeMap, HashMap};

use super::prepared::{Prepared, budget_of};
use super::{Allocation, AllocationInstance};

/// What stood between a need and one of its candidate offers, in the order reasons are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Obstacle {
    Full,
    RegionCap,
    Funds,
    Budget,
    NoFit,
    Room,
}

impl Obstacle {
    /// The predicate for one offer and for several.
    fn phrase(self, region: &str) -> (String, String) {
        let pair = |one: &str, many: &str| (one.to_owned(), many.to_owned());
        match self {
            Obstacle::Full => pair("is full", "are full"),
            Obstacle::RegionCap => (
                format!("has reached its cap for {}", region_in_words(region)),
                format!("have reached their cap for {}", region_in_words(region)),
            ),
            Obstacle::Funds => pair(
                "has too little money left for its budget",
                "have too little money left for its budget",
            ),
            Obstacle::Budget => pair("cannot fund its budget", "cannot fund its budget"),
            Obstacle::NoFit => pair("does not fit it at all", "do not fit it at all"),
            Obstacle::Room => pair("still has room", "still have room"),
        }
    }
}

/// [`super::unmatched_reasons`], with the instance prepared.
pub(super) fn unmatched_reasons(
    instance: &AllocationInstance,
    p: &Prepared,
    allocation: &Allocation,
) -> Vec<(usize, String)> {
    let state = SeatState::new(instance, allocation);
    let mut offers_of: Vec<Vec<usize>> = vec![Vec::new(); p.needs];
    for pair in instance
        .pairs
        .iter()
        .filter(|pair| pair.need < p.needs && pair.offer < p.offers)
    {
        offers_of[pair.need].push(pair.offer);
    }
    let assigned: Vec<bool> = (0..p.needs).map(|n| state.assigned.contains_key(&n)).collect();
    (0..p.needs)
        .filter(|&need| !assigned[need])
        .map(|need| {
            let mut offers = std::mem::take(&mut offers_of[need]);
            offers.sort_unstable();
            offers.dedup();
            let obstacles = offers.iter().map(|&offer| obstacle(instance, p, &state, need, offer));
            (need, sentence(obstacles.collect(), &instance.needs[need].region))
        })
        .collect()
}

/// Seats and money in use per offer and per (offer, region) in an allocation.
struct SeatState<'a> {
    assigned: HashMap<usize, usize>,
    count: Vec<u64>,
    spent: Vec<i64>,
    region_count: HashMap<(usize, &'a str), u64>,
}

impl<'a> SeatState<'a> {
    fn new(instance: &'a AllocationInstance, allocation: &Allocation) -> SeatState<'a> {
        let mut state = SeatState {
            assigned: HashMap::new(),
            count: vec![0; instance.offers.len()],
            spent: vec![0; instance.offers.len()],
            region_count: HashMap::new(),
        };
        let known = |&&(n, o): &&(usize, usize)| n < instance.needs.len() && o < instance.offers.len();
        for &(need, offer) in allocation.assigned.iter().filter(known) {
            state.assigned.insert(need, offer);
            state.count[offer] += 1;
            state.spent[offer] = state.spent[offer].saturating_add(budget_of(instance.needs[need].budget_usd));
            *state
                .region_count
                .entry((offer, &instance.needs[need].region))
                .or_default() += 1;
        }
        state
    }
}

/// The first obstacle, in the enum's order of precedence, between `need` and `offer`.
fn obstacle(instance: &AllocationInstance, p: &Prepared, state: &SeatState, need: usize, offer: usize) -> Obstacle {
    let slot = &instance.offers[offer];
    let funds = p.funding[offer];
    if p.find(need, offer).is_none() {
        return match funds {
            Some(funds) if p.budget[need] > funds => Obstacle::Budget,
            _ if slot.capacity == 0 => Obstacle::Full,
            _ if slot.region_seats(&instance.needs[need].region) == Some(0) => Obstacle::RegionCap,
            _ => Obstacle::NoFit,
        };
    }
    let in_region = state.region_count.get(&(offer, instance.needs[need].region.as_str()));
    if state.count[offer] >= u64::from(slot.capacity) {
        Obstacle::Full
    } else if slot
        .region_seats(&instance.needs[need].region)
        .is_some_and(|seats| in_region.copied().unwrap_or(0) >= u64::from(seats))
    {
        Obstacle::RegionCap
    } else if funds.is_some_and(|funds| state.spent[offer].saturating_add(p.budget[need]) > funds) {
        Obstacle::Funds
    } else {
        Obstacle::Room
    }
}

/// "its only candidate offer is full", "its 3 candidate offers are full", or "of its 3 candidate
/// offers, 2 are full and 1 cannot fund its budget".
fn sentence(obstacles: Vec<Obstacle>, region: &str) -> String {
    let total = obstacles.len();
    if total == 0 {
        return "it has no candidate offers".to_owned();
    }
    let mut counts: BTreeMap<Obstacle, usize> = BTreeMap::new();
    for obstacle in obstacles {
        *counts.entry(obstacle).or_default() += 1;
    }
    if let (1, Some((&obstacle, _))) = (counts.len(), counts.first_key_value()) {
        let (one, many) = obstacle.phrase(region);
        return match total {
            1 => format!("its only candidate offer {one}"),
            _ => format!("its {total} candidate offers {many}"),
        };
    }
    let parts: Vec<String> = counts
        .into_iter()
        .map(|(obstacle, count)| {
            let (one, many) = obstacle.phrase(region);
            format!("{count} {}", if count == 1 { one } else { many })
        })
        .collect();
    let (last, rest) = parts.split_last().map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
    format!("of its {total} candidate offers, {} and {last}", rest.join(", "))
}

/// A need's region as a reason names it: its slug, or what a need without a known country is.
pub fn region_in_words(region: &str) -> &str {
    if region.is_empty() {
        "needs of no known country"
    } else {
        region
    }
}
