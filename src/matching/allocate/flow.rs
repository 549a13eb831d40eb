//! Exact min-cost flow by successive shortest paths, one need at a time, with node potentials and
//! early-stopping Dijkstra: the reference for the cost-scaling solver, and the solver for values
//! too large for cost scaling's prices (see the module docs of `allocate`). Integers only.
//!
//! Nodes: needs `0..n`, slots (offer x region) `n..n + s`, offers after them, then the sink.
//! Residual arcs, with cost before potentials:
//! - need -> slot of each candidate it does not hold: `-value`; need -> sink: 0 (stay unassigned,
//!   or leave the offer it holds);
//! - slot -> each need it holds: `+value`; slot -> offer while the slot has a free seat: 0;
//! - offer -> sink while it has a free seat: 0; offer -> each of its slots holding someone: 0.
//!
//! Invariant: every residual arc has a reduced cost `cost + pi[u] - pi[v] >= 0`, so the flow is a
//! min-cost flow for the needs routed so far. A need that stays unassigned is never entered again
//! (its only way in is from the sink), and the sink's potential never changes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::funding::Solver;
use super::prepared::{NONE, Prepared};

/// The flow, its potentials and the search's scratch space.
pub struct Flow<'a> {
    p: &'a Prepared,
    slot_base: usize,
    offer_base: usize,
    sink: usize,
    slot_flow: Vec<u32>,
    offer_flow: Vec<u32>,
    closed: Vec<bool>,
    /// Per need: the candidate it holds, or `NONE`.
    assigned: Vec<usize>,
    /// Per slot: first need it holds; needs link to the next and previous one.
    held_head: Vec<usize>,
    held_next: Vec<usize>,
    held_prev: Vec<usize>,
    pi: Vec<i64>,
    search: Search,
}

/// Dijkstra's state, reused across searches (an epoch stamp marks what is current).
struct Search {
    epoch: u32,
    seen: Vec<u32>,
    settled: Vec<u32>,
    dist: Vec<i64>,
    /// Per node: (previous node, candidate index for need -> slot arcs).
    pred: Vec<(usize, usize)>,
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    order: Vec<usize>,
    path: Vec<(usize, usize, usize)>,
}

impl Search {
    fn new(nodes: usize) -> Search {
        Search {
            epoch: 0,
            seen: vec![0; nodes],
            settled: vec![0; nodes],
            dist: vec![0; nodes],
            pred: vec![(NONE, NONE); nodes],
            heap: BinaryHeap::new(),
            order: Vec::new(),
            path: Vec::new(),
        }
    }

    fn begin(&mut self) {
        if self.epoch == u32::MAX {
            self.seen.fill(0);
            self.settled.fill(0);
            self.epoch = 0;
        }
        self.epoch += 1;
        self.heap.clear();
        self.order.clear();
    }

    /// Offer `node` a tentative distance `d` via `pred`.
    fn reach(&mut self, node: usize, d: i64, pred: (usize, usize)) {
        if self.seen[node] != self.epoch || d < self.dist[node] {
            self.seen[node] = self.epoch;
            self.dist[node] = d;
            self.pred[node] = pred;
            self.heap.push(Reverse((d, node)));
        }
    }

    /// Settle `node` at `d` unless the entry is stale.
    fn settle(&mut self, node: usize, d: i64) -> bool {
        if self.settled[node] == self.epoch || d > self.dist[node] {
            return false;
        }
        self.settled[node] = self.epoch;
        self.order.push(node);
        true
    }
}

impl<'a> Flow<'a> {
    /// The empty flow: nobody assigned, all potentials 0 (every arc then costs >= 0 except the
    /// need -> slot arcs, whose tail potential is set when the need enters).
    pub fn new(p: &'a Prepared) -> Flow<'a> {
        let slots = p.slot_offer.len();
        let nodes = p.needs + slots + p.offers + 1;
        Flow {
            p,
            slot_base: p.needs,
            offer_base: p.needs + slots,
            sink: nodes - 1,
            slot_flow: vec![0; slots],
            offer_flow: vec![0; p.offers],
            closed: vec![false; p.offers],
            assigned: vec![NONE; p.needs],
            held_head: vec![NONE; slots],
            held_next: vec![NONE; p.needs],
            held_prev: vec![NONE; p.needs],
            pi: vec![0; nodes],
            search: Search::new(nodes),
        }
    }

    /// Route each of `needs` (unassigned, not yet routed) along its shortest augmenting path,
    /// best needs first: they settle the market early, so later searches stop sooner.
    fn route(&mut self, mut needs: Vec<usize>) {
        let p = self.p;
        needs.retain(|&n| !p.candidates(n).is_empty());
        needs.sort_unstable_by_key(|&n| (Reverse(p.value[p.start[n]]), n));
        for need in needs {
            self.enter(need);
            let sink_dist = self.shortest_path(need);
            for i in 0..self.search.order.len() {
                let node = self.search.order[i];
                self.pi[node] += self.search.dist[node] - sink_dist;
            }
            self.augment(need);
        }
    }

    /// Give a new need the least potential that keeps its arcs' reduced costs >= 0.
    fn enter(&mut self, need: usize) {
        let p = self.p;
        let mut pi = self.pi[self.sink];
        for k in p.candidates(need) {
            if !self.closed[p.offer[k] as usize] {
                pi = pi.max(self.pi[self.slot_base + p.slot[k] as usize] + p.value[k]);
            }
        }
        self.pi[need] = pi;
    }

    /// Dijkstra on reduced costs from `source`, stopped once nothing is closer than the sink.
    /// Returns the sink's distance; `search.order` holds the settled nodes.
    fn shortest_path(&mut self, source: usize) -> i64 {
        self.search.begin();
        self.search.reach(source, 0, (NONE, NONE));
        let mut sink_dist = i64::MAX;
        while let Some(Reverse((d, node))) = self.search.heap.pop() {
            if d >= sink_dist {
                break;
            }
            if !self.search.settle(node, d) {
                continue;
            }
            if node < self.slot_base {
                self.scan_need(node, d, &mut sink_dist);
            } else if node < self.offer_base {
                self.scan_slot(node, d, sink_dist);
            } else {
                self.scan_offer(node, d, &mut sink_dist);
            }
        }
        sink_dist
    }

    fn reach_sink(&mut self, from: usize, d: i64, sink_dist: &mut i64) {
        if d < *sink_dist {
            *sink_dist = d;
            self.search.pred[self.sink] = (from, NONE);
        }
    }

    fn scan_need(&mut self, need: usize, d: i64, sink_dist: &mut i64) {
        let p = self.p;
        let base = d + self.pi[need];
        for k in p.candidates(need) {
            if k == self.assigned[need] || self.closed[p.offer[k] as usize] {
                continue;
            }
            let slot = self.slot_base + p.slot[k] as usize;
            let nd = base - p.value[k] - self.pi[slot];
            debug_assert!(nd >= d, "negative reduced cost on need -> slot");
            if nd < *sink_dist {
                self.search.reach(slot, nd, (need, k));
            }
        }
        self.reach_sink(need, base - self.pi[self.sink], sink_dist);
    }

    fn scan_slot(&mut self, slot: usize, d: i64, sink_dist: i64) {
        let p = self.p;
        let local = slot - self.slot_base;
        let base = d + self.pi[slot];
        if self.slot_flow[local] < p.slot_cap[local] {
            let offer = self.offer_base + p.slot_offer[local] as usize;
            let nd = base - self.pi[offer];
            if nd < sink_dist {
                self.search.reach(offer, nd, (slot, NONE));
            }
        }
        let mut need = self.held_head[local];
        while need != NONE {
            let nd = base + p.value[self.assigned[need]] - self.pi[need];
            debug_assert!(nd >= d, "negative reduced cost on slot -> need");
            if nd < sink_dist {
                self.search.reach(need, nd, (slot, NONE));
            }
            need = self.held_next[need];
        }
    }

    fn scan_offer(&mut self, node: usize, d: i64, sink_dist: &mut i64) {
        let p = self.p;
        let offer = node - self.offer_base;
        let base = d + self.pi[node];
        if self.offer_flow[offer] < p.capacity[offer] {
            self.reach_sink(node, base - self.pi[self.sink], sink_dist);
        }
        for local in p.offer_slots[offer]..p.offer_slots[offer + 1] {
            let slot = self.slot_base + local;
            let nd = base - self.pi[slot];
            if self.slot_flow[local] > 0 && nd < *sink_dist {
                self.search.reach(slot, nd, (node, NONE));
            }
        }
    }

    /// Push one unit along the path the search found, from `source` to the sink.
    fn augment(&mut self, source: usize) {
        let mut path = std::mem::take(&mut self.search.path);
        path.clear();
        let mut node = self.sink;
        while node != source {
            let (from, k) = self.search.pred[node];
            path.push((from, node, k));
            node = from;
        }
        for &(from, to, k) in path.iter().rev() {
            self.push_arc(from, to, k);
        }
        self.search.path = path;
    }

    /// Apply one unit of flow on the residual arc `from -> to` (`k`: candidate of a need -> slot).
    fn push_arc(&mut self, from: usize, to: usize, k: usize) {
        if from < self.slot_base {
            if to != self.sink {
                self.hold(from, k);
            }
        } else if from < self.offer_base {
            if to < self.slot_base {
                self.release(to);
            } else {
                self.slot_flow[from - self.slot_base] += 1;
            }
        } else if to == self.sink {
            self.offer_flow[from - self.offer_base] += 1;
        } else {
            self.slot_flow[to - self.slot_base] -= 1;
        }
    }

    /// `need` takes candidate `k`: link it into the slot's list.
    fn hold(&mut self, need: usize, k: usize) {
        let slot = self.p.slot[k] as usize;
        self.assigned[need] = k;
        let head = self.held_head[slot];
        self.held_next[need] = head;
        self.held_prev[need] = NONE;
        if head != NONE {
            self.held_prev[head] = need;
        }
        self.held_head[slot] = need;
    }

    /// `need` leaves the slot it holds (counts are the caller's).
    fn release(&mut self, need: usize) {
        let slot = self.p.slot[self.assigned[need]] as usize;
        let (prev, next) = (self.held_prev[need], self.held_next[need]);
        if prev == NONE {
            self.held_head[slot] = next;
        } else {
            self.held_next[prev] = next;
        }
        if next != NONE {
            self.held_prev[next] = prev;
        }
        self.assigned[need] = NONE;
    }
}

impl Solver for Flow<'_> {
    fn solve(&mut self) {
        self.route((0..self.p.needs).collect());
    }

    fn assignment(&self) -> Vec<usize> {
        self.assigned.clone()
    }

    /// Release the needs `offer` does not keep. The rest of the flow keeps its reduced-cost
    /// invariant (only arcs disappear), so those needs can simply be routed again.
    fn close(&mut self, offer: usize, held: &[(usize, usize)], kept: &[usize]) {
        self.closed[offer] = true;
        for &(need, k) in held.iter().filter(|(need, _)| !kept.contains(need)) {
            self.slot_flow[self.p.slot[k] as usize] -= 1;
            self.offer_flow[offer] -= 1;
            self.release(need);
        }
    }

    fn reroute(&mut self, evicted: Vec<usize>) {
        self.route(evicted);
    }
}
