//! Batch allocation: the start-up fund and scarce experts shared across many open needs at once.
//!
//! # The model
//! Each need takes at most one offer; an offer takes at most `capacity` needs, and at most
//! `region_cap` of them from one region (so one region cannot drain a provider); a need may stay
//! unassigned. A candidate pair is worth `fit * priority`: the pairwise score weighed by the
//! need's priority (urgency, waiting time, LDC/SIDS). A funding offer (`funding_usd = Some(F)`)
//! also only takes needs whose budgets sum to at most `F` (a need without a budget counts 0).
//! Values are compared and summed as integers in millionths (`round(value * 1e6)`), so every
//! result is exact and deterministic for those integer-scaled values; a pair worth less than half
//! a millionth counts as no pair.
//!
//! # `optimal`: maximum total value as a min-cost flow
//! The network is source -> need (cap 1) -> offer's per-region node (cap `region_cap`) -> offer
//! (cap `capacity`) -> sink, pair arcs costing `-round(value * 1e6)`. Since assigning is optional,
//! every need also has a zero-cost arc straight to the sink: a min-cost flow that routes every
//! need's unit is then exactly a min-cost flow of free amount, i.e. augmentation stops when no
//! negative-cost augmenting path remains. (An offer whose `region_cap` cannot bind gets a single
//! region node.)
//!
//! The solver is successive shortest paths with node potentials, one need at a time, in the
//! style of Jonker-Volgenant's sparse assignment solver: each need's Dijkstra (on reduced costs,
//! integers only) stops as soon as the sink is settled, and only the settled nodes' potentials
//! move, so a search costs what it explores, not the size of the network. Why this rather than
//! cost scaling or network simplex: the network is bipartite with unit supplies and a zero-cost
//! way out for every need, so most searches end after a few nodes (a free seat, or a displaced
//! need that has a near-equal alternative or is worth less than the newcomer); cost scaling
//! instead pays `O(log(nC))` full passes over all ~1M arcs however easy the instance, and network
//! simplex pays its pricing over the arcs at every pivot. Needs enter best-first, so late, weaker
//! needs mostly find the market already settled and stop at once. The incremental form also makes
//! the funding repair below cheap: the flow stays optimal when a closed offer leaves, so only the
//! needs it let go are routed again.
//!
//! # Funding budgets in `optimal`
//! The knapsack side-constraint cannot be written into a flow. Pairs whose budget alone exceeds
//! the offer's funds are no arcs. After the flow, every funding offer whose assigned budgets exceed
//! its funds is repaired: it keeps the needs greedy by value per dollar that fit, or the single
//! most valuable need if that is worth more (plus the needs without a budget), is closed with them,
//! and the needs it lets go are routed again through the rest of the network; repeat until no
//! budget is exceeded (each round closes an offer, so at most one round per funding offer).
//! Guarantee: the result is always feasible. When no budget binds it is exact. Otherwise each
//! closed offer keeps at least half the value it could keep from the needs the flow gave it, the
//! rest of the allocation is the exact optimum of the instance without the closed offers and
//! their kept needs, and [`optimal_with_bound`] returns the first flow's value, an upper bound on
//! the true optimum, so the caller sees the gap.
//!
//! # `stable`: requester-proposing deferred acceptance
//! Needs propose to their candidates by value (ties: lower offer index); offers rank needs by the
//! same value (ties: lower need index) and hold at most `capacity`, at most `region_cap` per
//! region, and only what their remaining funds can pay for: an offer refuses a proposal its
//! remaining budget cannot hold and never drops a held need for money. Because both sides rank a
//! pair by the same value, proposals are made in one global order of value; then no offer ever
//! meets a proposal better than one it already holds, tentative holds are final, and the outcome
//! equals textbook deferred acceptance (with any proposal order) whenever no budget is involved.
//! [`blocking_pairs`] uses the same rule for money, so a result of `stable` has none: a pair
//! (n, o) blocks when n prefers o and o would take n: it has a free seat within n's region cap, or
//! prefers n to its worst held need that it could drop (in n's region if that region is full),
//! and its unspent funds cover n's budget (funds of a need it would drop do not count: money is
//! committed first come, first served).

mod feasible;
mod flow;
mod funding;
mod prepared;
mod reasons;
mod scaling;
mod stable;
mod synthetic;
#[cfg(test)]
mod tests;

pub use reasons::unmatched_reasons;
pub use synthetic::synthetic_instance;

use prepared::{NONE, Prepared};

/// One open need in an allocation run.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedSlot {
    /// The need's id, for the caller: the solvers work by index.
    pub id: String,
    /// M49 region slug of the need: what an offer's regional cap counts.
    pub region: String,
    /// Multiplier >= 1 from urgency, waiting time, LDC/SIDS, computed by the caller (values below 1
    /// or not finite count as 1).
    pub priority: f64,
    /// What the need asks of a funding offer; `None` (and anything below 0) counts as 0.
    pub budget_usd: Option<i64>,
}

/// One offer with capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferSlot {
    /// The offer's id, for the caller.
    pub id: String,
    /// Most needs the offer takes in this run (its remaining capacity).
    pub capacity: u32,
    /// `Some(F)` for a funding offer: the assigned needs' budgets may sum to at most F.
    pub funding_usd: Option<i64>,
    /// Most needs one region may take from this offer; `None` = no cap.
    pub region_cap: Option<u32>,
}

/// A candidate pair with its fit in [0, 1], from the pairwise score (the caller keeps at most K
/// per need). Duplicates count once, with their best fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidatePair {
    /// Index into [`AllocationInstance::needs`].
    pub need: usize,
    /// Index into [`AllocationInstance::offers`].
    pub offer: usize,
    /// Pairwise fit in [0, 1] (out-of-range values are clamped, non-finite ones count 0).
    pub fit: f64,
}

/// Everything one allocation run looks at: plain data, no hub or store types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllocationInstance {
    pub needs: Vec<NeedSlot>,
    pub offers: Vec<OfferSlot>,
    pub pairs: Vec<CandidatePair>,
}

/// Which pairs were chosen and the objective value: what a dry run shows and a commit proposes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allocation {
    /// (need, offer) index pairs, sorted.
    pub assigned: Vec<(usize, usize)>,
    /// Sum of `fit * priority` over the assigned pairs.
    pub total_value: f64,
}

/// The allocation of greatest total value (exact when no funding budget binds; see the module
/// docs for what holds otherwise). Deterministic.
pub fn optimal(instance: &AllocationInstance) -> Allocation {
    optimal_with_bound(instance).0
}

/// [`optimal`] together with an upper bound on the best feasible total: the value of the flow
/// before any funding repair. Equal to the allocation's total when no budget binds.
pub fn optimal_with_bound(instance: &AllocationInstance) -> (Allocation, f64) {
    let prepared = Prepared::new(instance);
    let chosen = if scaling::fits_i64(&prepared) {
        by_cost_scaling(&prepared)
    } else {
        by_shortest_paths(&prepared)
    };
    let t = std::time::Instant::now();
    let r = (
        allocation(instance, &prepared, &chosen.0),
        prepared.total_value(instance, &chosen.1),
    );
    eprintln!("alloc {:?}", t.elapsed());
    r
}

/// The optimal assignment after funding repair, and the one before (for the bound).
fn by_cost_scaling(prepared: &Prepared) -> (Vec<usize>, Vec<usize>) {
    let mut flow = scaling::Scaling::new(prepared);
    let t = std::time::Instant::now();
    flow.solve();
    eprintln!("solve {:?}", t.elapsed());
    let relaxed = flow.assignment();
    loop {
        let over = flow.offers_over_budget();
        if over.is_empty() {
            break;
        }
        eprintln!("over {}", over.len());
        for offer in over {
            let kept = funding::keep(prepared, offer, &flow.held(offer));
            flow.close(offer, &kept);
        }
        eprintln!("closed");
        if std::env::var("NOREROUTE").is_ok() {
            break;
        }
        flow.reroute();
        eprintln!("rerouted");
    }
    eprintln!("repair {:?}", t.elapsed());
    (flow.assignment(), relaxed)
}

/// Same as [`by_cost_scaling`] with successive shortest paths, whose prices stay within `i64`
/// for any values (cost scaling multiplies costs by the number of nodes).
fn by_shortest_paths(prepared: &Prepared) -> (Vec<usize>, Vec<usize>) {
    let mut flow = flow::Flow::new(prepared);
    flow.route((0..prepared.needs).collect());
    let relaxed = flow.assignment().to_vec();
    loop {
        let over = flow.offers_over_budget();
        if over.is_empty() {
            break;
        }
        let mut evicted = Vec::new();
        for offer in over {
            let kept = funding::keep(prepared, offer, &flow.held(offer));
            evicted.extend(flow.close(offer, &kept));
        }
        flow.route(evicted);
    }
    (flow.assignment().to_vec(), relaxed)
}

/// Requester-proposing deferred acceptance with capacities, regional caps and funding budgets:
/// an allocation no need and offer would both rather leave for each other (see the module docs).
pub fn stable(instance: &AllocationInstance) -> Allocation {
    let prepared = Prepared::new(instance);
    let chosen = stable::deferred_acceptance(&prepared);
    allocation(instance, &prepared, &chosen)
}

/// Every candidate pair (need, offer), not assigned together, where the need prefers the offer to
/// its assignment (or has none) and the offer would take the need: empty for a stable allocation.
/// Sorted. Assigned pairs that are not candidates are ignored (see [`check_feasible`]).
pub fn blocking_pairs(instance: &AllocationInstance, allocation: &Allocation) -> Vec<(usize, usize)> {
    let prepared = Prepared::new(instance);
    stable::blocking_pairs(instance, &prepared, allocation)
}

/// Whether `allocation` respects every rule: known indices, only candidate pairs, each need at
/// most once, capacities, regional caps and funding budgets. The error names the first broken
/// rule, for tests and for refusing a hand-edited allocation before it is committed.
pub fn check_feasible(instance: &AllocationInstance, allocation: &Allocation) -> Result<(), String> {
    feasible::check(instance, allocation)
}

/// The public result from each need's chosen candidate index (or `NONE`).
fn allocation(instance: &AllocationInstance, prepared: &Prepared, chosen: &[usize]) -> Allocation {
    let assigned = chosen
        .iter()
        .enumerate()
        .filter(|&(_, &k)| k != NONE)
        .map(|(need, &k)| (need, prepared.offer[k] as usize))
        .collect();
    Allocation {
        assigned,
        total_value: prepared.total_value(instance, chosen),
    }
}
