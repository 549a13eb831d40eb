//! Batch allocation: the start-up fund and scarce experts shared across many open needs at once.
//!
//! # The model
//! Each need takes at most one offer; an offer takes at most `capacity` needs, and a region at most
//! its seats under the regional cap (`region_cap` less what the region holds already,
//! [`OfferSlot::region_seats`]), so one region cannot drain a provider; a need may stay
//! unassigned. A candidate pair is worth `fit * priority`: the pairwise score weighed by the
//! need's priority (urgency, waiting time, LDC/SIDS). A funding offer (`funding_usd = Some(F)`)
//! also only takes needs whose budgets sum to at most `F` (a need without a budget counts 0).
//! Values are compared and summed as integers in millionths (`round(value * 1e6)`), so every
//! result is exact and deterministic for those integer-scaled values; a pair worth less than half
//! a millionth counts as no pair.
//!
//! # `optimal`: maximum total value as a min-cost flow
//! The network is source -> need (cap 1) -> offer's per-region node (cap: the region's seats) -> offer
//! (cap `capacity`) -> sink, pair arcs costing `-round(value * 1e6)`; an offer whose regional cap
//! cannot bind gets a single region node. Since assigning is optional, every need also has a
//! zero-cost arc straight to the sink (the source -> sink bypass, per need): a min-cost flow that
//! routes every need's unit is exactly a min-cost flow of free amount, in which no negative-cost
//! augmenting path remains. Exact for the integer-scaled values.
//!
//! Solver: Goldberg-Tarjan cost scaling with push-relabel (`scaling`), the algorithm family of
//! OR-Tools' `SimpleMinCostFlow`. Successive shortest paths (`flow`, one early-stopping Dijkstra
//! per need, Jonker-Volgenant style) was written first and kept as the reference: it is exact and
//! simple, but in a tight market (more needs than seats, popular offers) a tenth of its searches
//! must find the globally cheapest displacement and settle most of the network, about 10 s at
//! 20,000 x 5,000 x 50. Cost scaling pays `O(log_8(nC))` cheap phases whose work is local pushes
//! and relabels, with the heuristics of Goldberg's CS2 (global price updates, and a proof of
//! optimality attempted after each late phase, which usually ends scaling after 5 of its 12
//! phases) and auction-style bids: about 0.4 s, where OR-Tools' `SimpleMinCostFlow::Solve` takes
//! 0.8 - 0.9 s on the same network (see below). Both solvers are integer-only and exact; the
//! property tests check that they agree. Cost scaling multiplies costs by the number of nodes,
//! so for values so large that its prices could leave `i64` the shortest-path solver is used
//! instead.
//!
//! [`min_cost_flow`] solves that network exactly as `optimal` does but stops before the funding
//! repair, and [`write_flow_network`] writes the network out (format in its docs), so other
//! min-cost-flow solvers can be run on the same input and must find the same cost:
//! `benches/ortools_flow.py` does that with OR-Tools.
//!
//! # Funding budgets in `optimal`
//! The knapsack side-constraint cannot be written into a flow. Pairs whose budget alone exceeds
//! the offer's funds are no arcs. If the flow gives some funding offer more budgets than its funds,
//! one repair round follows: each over-budget offer keeps the needs greedy by value per dollar that
//! fit, or the single most valuable one if that is worth more (needs without a budget are free);
//! every funding offer is then closed with what it keeps, and the needs let go are routed again,
//! exactly, through the other offers. With no funding offer left open, nothing can overflow again.
//! The re-route is warm-started: closing offers only removes arcs, so the first flow and its
//! prices stay good everywhere else, and cost scaling restarts from a small epsilon rather than
//! from the top (it adds about a quarter of the first solve's time on the synthetic benchmark).
//! Guarantee: the result is always feasible. When no budget binds it is exact. Otherwise each
//! repaired offer keeps at least half the value it could keep from the needs the flow gave it, the
//! rest is the exact optimum of the instance without the funding offers and their kept needs, and
//! [`optimal_with_bound`] returns the first flow's value, an upper bound on the true optimum, so
//! the caller sees the gap (about 1% on the synthetic benchmark).
//!
//! # `stable`: requester-proposing deferred acceptance
//! Each need ranks its candidate offers by its requester's mark first (an offer the requester
//! PREFERRED above an unmarked one; declined pairs are not candidates at all), then by value
//! (ties: lower offer index); each offer ranks needs by its provider's mark first, then by value
//! (ties: lower need index). An offer's choice from a set of needs is greedy in its rank order:
//! it goes down the needs best first and keeps each that still fits: a seat (fewer kept than
//! `capacity`), a seat in the need's region (fewer kept from it than its seats under the cap)
//! and, for a funding offer, the money (the budgets kept so far plus the need's within the
//! funds). Needs
//! propose down their lists; each offer holds its choice from what it holds and the proposer and
//! rejects the rest, who propose further. [`blocking_pairs`] asks the same choice: a pair (n, o)
//! blocks when n ranks o above its assignment (or has none) and o's choice from its held needs
//! and n keeps n. Funds freed by a held need ranked below n therefore count: money goes to the
//! needs an offer ranks highest, whenever they come.
//!
//! Without budgets the greedy choice is that of a laminar matroid (the capacity over the
//! regional caps): substitutable and independent of rejected needs, so deferred acceptance ends
//! in an allocation without blocking pairs, whatever the marks, and needs propose in any order.
//! With budgets the choice is a knapsack and is not substitutable: a stable allocation need not
//! exist once marks make the two sides rank differently (`tests.rs` has a three-need example),
//! so a run with budgets and marks reports the blocking pairs that remain rather than promise
//! none. Without marks both sides rank a pair by the same value and proposals are taken in one
//! global order of value (then need index, then offer index): no offer ever meets a proposal
//! better than one it holds, tentative holds are final, each offer's money goes to its best
//! needs first, and the result has no blocking pair even with budgets. That fast path is kept
//! for instances without marks; the general rounds, with proposals in the same order, accept
//! exactly what it accepts when no pair is marked (a test checks it).

mod feasible;
mod flow;
mod funding;
mod network;
mod prepared;
mod reasons;
mod scaling;
mod stable;
mod synthetic;
#[cfg(test)]
mod tests;

pub use network::{FlowSolution, NetworkSize, write_flow_network};
pub use reasons::region_in_words;
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
    /// Most needs one region may hold of this offer; `None` = no cap.
    pub region_cap: Option<u32>,
    /// Needs each region holds of this offer already, through matches made before this run (a
    /// region not listed holds none): they count against its cap, so the cap holds across runs.
    pub region_taken: Vec<(String, u32)>,
}

impl OfferSlot {
    /// Needs of `region` this run may still give the offer under its regional cap (`None`: no
    /// cap): the cap less what the region holds already.
    pub fn region_seats(&self, region: &str) -> Option<u32> {
        let taken = self
            .region_taken
            .iter()
            .find(|(held_by, _)| held_by == region)
            .map_or(0, |(_, taken)| *taken);
        seats_under_cap(self.region_cap, taken)
    }
}

/// Needs a region may still take under a regional cap (`None`: no cap) when it holds `taken`.
pub fn seats_under_cap(region_cap: Option<u32>, taken: u32) -> Option<u32> {
    region_cap.map(|cap| cap.saturating_sub(taken))
}

/// A candidate pair with its fit in [0, 1], from the pairwise score (the caller keeps at most K
/// per need), and the parties' PREFERRED marks. Duplicates count once, with their best fit (and
/// that pair's marks). A pair either party declined is no candidate: leave it out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidatePair {
    /// Index into [`AllocationInstance::needs`].
    pub need: usize,
    /// Index into [`AllocationInstance::offers`].
    pub offer: usize,
    /// Pairwise fit in [0, 1] (out-of-range values are clamped, non-finite ones count 0).
    pub fit: f64,
    /// The need's requester PREFERRED this offer: `stable` has the need rank it above unmarked
    /// offers, whatever their value.
    pub need_prefers: bool,
    /// The offer's provider PREFERRED this need: `stable` has the offer rank it above unmarked
    /// needs, whatever their value.
    pub offer_prefers: bool,
}

impl CandidatePair {
    /// A pair neither party marked.
    pub fn unmarked(need: usize, offer: usize, fit: f64) -> CandidatePair {
        CandidatePair {
            need,
            offer,
            fit,
            need_prefers: false,
            offer_prefers: false,
        }
    }
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
    PreparedInstance::new(instance).optimal_with_bound().0
}

/// [`optimal`] together with an upper bound on the best feasible total: the value of the flow
/// before any funding repair. Equal to the allocation's total when no budget binds.
pub fn optimal_with_bound(instance: &AllocationInstance) -> (Allocation, f64) {
    PreparedInstance::new(instance).optimal_with_bound()
}

/// An instance with what every solver and check derives from it (each need's candidates in
/// order, values as integers, regional seats), derived once: a run solves, then says why needs
/// were left out and counts blocking pairs, and deriving a million pairs' order for each of the
/// three was a tenth of the solving and describing at tier M.
pub struct PreparedInstance<'i> {
    instance: &'i AllocationInstance,
    prepared: Prepared,
}

impl<'i> PreparedInstance<'i> {
    /// Derives what the solvers and checks read from `instance`.
    pub fn new(instance: &'i AllocationInstance) -> PreparedInstance<'i> {
        PreparedInstance {
            instance,
            prepared: Prepared::new(instance),
        }
    }

    /// [`optimal_with_bound`] of the instance.
    pub fn optimal_with_bound(&self) -> (Allocation, f64) {
        let PreparedInstance { instance, prepared } = self;
        let (mut solver, relaxed) = relaxed_flow(prepared);
        let bound = prepared.total_value(instance, &relaxed);
        let chosen = match funding::repair(prepared, solver.as_mut(), &relaxed) {
            true => solver.assignment(),
            false => relaxed,
        };
        (allocation(instance, prepared, &chosen), bound)
    }

    /// [`stable`] of the instance.
    pub fn stable(&self) -> Allocation {
        let PreparedInstance { instance, prepared } = self;
        let chosen = match stable::Marks::of(instance, prepared) {
            None => stable::deferred_acceptance(prepared),
            Some(marks) => stable::deferred_acceptance_marked(prepared, &marks),
        };
        allocation(instance, prepared, &chosen)
    }

    /// [`blocking_pairs`] of `allocation` in the instance.
    pub fn blocking_pairs(&self, allocation: &Allocation) -> Vec<(usize, usize)> {
        let PreparedInstance { instance, prepared } = self;
        let marks = stable::Marks::of(instance, prepared).unwrap_or_else(|| stable::Marks::unmarked(prepared));
        stable::blocking_pairs(instance, prepared, &marks, allocation)
    }

    /// [`unmatched_reasons`] of `allocation` in the instance.
    pub fn unmatched_reasons(&self, allocation: &Allocation) -> Vec<(usize, String)> {
        reasons::unmatched_reasons(self.instance, &self.prepared, allocation)
    }
}

/// The min-cost flow of the network [`write_flow_network`] exports, solved exactly by the solver
/// and code path of [`optimal`] but without its funding repair: what a benchmark compares with
/// another min-cost-flow solver (same cost, to the unit), and the funding relaxation's optimum.
pub fn min_cost_flow(instance: &AllocationInstance) -> FlowSolution {
    let prepared = Prepared::new(instance);
    let (_, relaxed) = relaxed_flow(&prepared);
    FlowSolution {
        cost: -relaxed
            .iter()
            .filter(|&&k| k != NONE)
            .map(|&k| prepared.value[k])
            .sum::<i64>(),
        allocation: allocation(instance, &prepared, &relaxed),
    }
}

/// The solver, after its first solve, and that flow per need (`NONE` = unassigned): cost scaling,
/// or shortest paths when the values are too large for cost scaling's prices.
fn relaxed_flow(prepared: &Prepared) -> (Box<dyn funding::Solver + '_>, Vec<usize>) {
    let mut solver: Box<dyn funding::Solver> = if scaling::fits_i64(prepared) {
        Box::new(scaling::Scaling::new(prepared))
    } else {
        Box::new(flow::Flow::new(prepared))
    };
    solver.solve();
    let relaxed = solver.assignment();
    (solver, relaxed)
}

/// Requester-proposing deferred acceptance with capacities, regional caps, funding budgets and
/// the parties' marks: an allocation no need and offer would both rather leave for each other
/// (see the module docs for budgets under marks).
pub fn stable(instance: &AllocationInstance) -> Allocation {
    PreparedInstance::new(instance).stable()
}

/// Every candidate pair (need, offer), not assigned together, where the need ranks the offer
/// above its assignment (or has none) and the offer's greedy choice from its assigned needs and
/// this one keeps it, both ranks with the parties' marks: empty for a stable allocation. Sorted.
/// Assigned pairs that are not candidates are ignored (see [`check_feasible`]).
pub fn blocking_pairs(instance: &AllocationInstance, allocation: &Allocation) -> Vec<(usize, usize)> {
    PreparedInstance::new(instance).blocking_pairs(allocation)
}

/// For each need `allocation` leaves unassigned (by index), a short reason in words built from
/// its candidate offers' state: full, at their regional cap, short of money, unable to fund its
/// budget at all, or (for an allocation that is neither optimal nor stable) still with room.
pub fn unmatched_reasons(instance: &AllocationInstance, allocation: &Allocation) -> Vec<(usize, String)> {
    PreparedInstance::new(instance).unmatched_reasons(allocation)
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
