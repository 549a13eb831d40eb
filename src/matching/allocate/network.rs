//! The min-cost-flow network that [`optimal`](super::optimal) solves before any funding repair,
//! written out for other solvers (the OR-Tools benchmark, `benches/ortools_flow.py`), and solved
//! by ours without the repair, so both can be compared on exactly the same input.
//!
//! # File format
//! Plain ASCII, one record a line, fields separated by one space, all integers in decimal:
//!
//! ```text
//! nodes N source S sink T supply K arcs M
//! tail head capacity cost      (M lines, one per arc)
//! ```
//!
//! Nodes are numbered `0..N`: the needs `0..n`, then the (offer, region) slots, then the offers,
//! then the sink `T`, then the source `S = T + 1`. The source supplies `K` units (the number of
//! needs) and the sink demands `K`; every other node is balanced. The arcs, in this order:
//! - source -> need, capacity 1, cost 0, for every need;
//! - need -> slot of each acceptable candidate, capacity 1, cost `-round(value * 1e6)`, best
//!   candidate first, then need -> sink, capacity 1, cost 0 (the need stays unassigned);
//! - slot -> its offer, capacity the slot's seats (the regional cap, or the offer's capacity);
//! - offer -> sink, capacity the offer's capacity, for every offer.
//!
//! Every need can reach the sink on its own arc, so every feasible flow routes all `K` units and a
//! min-cost flow of this network is a maximum-value allocation of the funding relaxation. The
//! source only makes the supplies explicit for solvers that want one source and one sink; our
//! solvers give each need a supply of 1 instead, which is the same problem.

use std::io::{self, BufWriter, Write};

use super::prepared::Prepared;
use super::{Allocation, AllocationInstance};

/// How big an exported network is: what a benchmark reports next to its timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkSize {
    /// Nodes, source and sink included (the header's `N`).
    pub nodes: usize,
    /// Arcs written (the header's `M`).
    pub arcs: usize,
}

/// A min-cost flow of the exported network, as our solver finds it: the cost to compare with
/// another solver's optimum, and the allocation it stands for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowSolution {
    /// The flow's total cost in the units of the exported arcs: minus the sum of the assigned
    /// pairs' values in millionths. Another exact solver must find exactly this optimum.
    pub cost: i64,
    /// The assignment the flow stands for (funding budgets not enforced: no repair was made).
    pub allocation: Allocation,
}

/// Write the min-cost-flow network of `instance` (see the module docs for the format) to `out`,
/// through a buffer, and return its size. The same nodes, arcs, capacities and integer costs as
/// the solvers of [`optimal`](super::optimal) build, so any exact min-cost-flow solver reading it
/// must find the cost of [`min_cost_flow`](super::min_cost_flow).
pub fn write_flow_network(instance: &AllocationInstance, out: &mut impl Write) -> io::Result<NetworkSize> {
    let p = Prepared::new(instance);
    let slots = p.slot_offer.len();
    let (slot_base, offer_base) = (p.needs, p.needs + slots);
    let sink = offer_base + p.offers;
    let source = sink + 1;
    let size = NetworkSize {
        nodes: source + 1,
        arcs: 2 * p.needs + p.offer.len() + slots + p.offers,
    };
    let mut out = BufWriter::with_capacity(1 << 16, out);
    writeln!(
        out,
        "nodes {} source {source} sink {sink} supply {} arcs {}",
        size.nodes, p.needs, size.arcs
    )?;
    for need in 0..p.needs {
        writeln!(out, "{source} {need} 1 0")?;
    }
    for need in 0..p.needs {
        for k in p.candidates(need) {
            writeln!(out, "{need} {} 1 {}", slot_base + p.slot[k] as usize, -p.value[k])?;
        }
        writeln!(out, "{need} {sink} 1 0")?;
    }
    for slot in 0..slots {
        let offer = offer_base + p.slot_offer[slot] as usize;
        writeln!(out, "{} {offer} {} 0", slot_base + slot, p.slot_cap[slot])?;
    }
    for offer in 0..p.offers {
        writeln!(out, "{} {sink} {} 0", offer_base + offer, p.capacity[offer])?;
    }
    out.flush()?;
    Ok(size)
}
