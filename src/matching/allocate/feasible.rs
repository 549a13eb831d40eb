//! The feasibility check: every rule of an allocation, verified from the raw instance alone (not
//! from the solvers' normalised form, so it also catches a solver's mistakes).

use std::collections::{HashMap, HashSet};

use super::prepared::budget_of;
use super::{Allocation, AllocationInstance};

/// See [`super::check_feasible`].
pub fn check(instance: &AllocationInstance, allocation: &Allocation) -> Result<(), String> {
    let mut needs_seen = HashSet::new();
    for &(need, offer) in &allocation.assigned {
        if need >= instance.needs.len() || offer >= instance.offers.len() {
            return Err(format!("({need}, {offer}) names an unknown need or offer"));
        }
        if !needs_seen.insert(need) {
            return Err(format!("need {need} is assigned more than once"));
        }
    }
    let candidates: HashSet<(usize, usize)> = candidate_assignments(instance, allocation).into_iter().collect();
    if let Some(&pair) = allocation.assigned.iter().find(|pair| !candidates.contains(pair)) {
        return Err(format!("{pair:?} is not a candidate pair"));
    }
    check_capacities(instance, allocation)?;
    check_funds(instance, allocation)
}

/// The assigned pairs with known indices that are candidate pairs of the instance, in order.
pub fn candidate_assignments(instance: &AllocationInstance, allocation: &Allocation) -> Vec<(usize, usize)> {
    let assigned: HashSet<(usize, usize)> = allocation.assigned.iter().copied().collect();
    let found: HashSet<(usize, usize)> = instance
        .pairs
        .iter()
        .map(|pair| (pair.need, pair.offer))
        .filter(|pair| assigned.contains(pair))
        .collect();
    allocation
        .assigned
        .iter()
        .copied()
        .filter(|pair| found.contains(pair))
        .collect()
}

/// Seats per offer and per (offer, region).
fn check_capacities(instance: &AllocationInstance, allocation: &Allocation) -> Result<(), String> {
    let mut per_offer = vec![0u64; instance.offers.len()];
    let mut per_region: HashMap<(usize, &str), u64> = HashMap::new();
    for &(need, offer) in &allocation.assigned {
        per_offer[offer] += 1;
        *per_region
            .entry((offer, instance.needs[need].region.as_str()))
            .or_default() += 1;
    }
    for (offer, slot) in instance.offers.iter().enumerate() {
        if per_offer[offer] > u64::from(slot.capacity) {
            return Err(format!(
                "offer {offer} takes {} needs, capacity {}",
                per_offer[offer], slot.capacity
            ));
        }
    }
    let mut regions: Vec<_> = per_region.into_iter().collect();
    regions.sort_unstable();
    for ((offer, region), count) in regions {
        if let Some(seats) = instance.offers[offer]
            .region_seats(region)
            .filter(|&seats| count > u64::from(seats))
        {
            return Err(format!(
                "offer {offer} takes {count} needs from {region}, which may take {seats} more under the regional cap"
            ));
        }
    }
    Ok(())
}

/// Budgets per funding offer.
fn check_funds(instance: &AllocationInstance, allocation: &Allocation) -> Result<(), String> {
    let mut spent = vec![0i128; instance.offers.len()];
    for &(need, offer) in &allocation.assigned {
        spent[offer] += i128::from(budget_of(instance.needs[need].budget_usd));
    }
    for (offer, slot) in instance.offers.iter().enumerate() {
        if let Some(funds) = slot
            .funding_usd
            .filter(|&funds| spent[offer] > i128::from(funds.max(0)))
        {
            return Err(format!(
                "offer {offer} funds budgets of {} USD from {funds} USD",
                spent[offer]
            ));
        }
    }
    Ok(())
}
