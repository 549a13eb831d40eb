//! Exact min-cost flow for `optimal`: Goldberg-Tarjan cost scaling with push-relabel, on the
//! network of the `allocate` module docs. Integers only.
//!
//! Nodes: needs, slots (offer x region), offers, and the sink. Each need has supply 1 and arcs
//! to its candidates' slots (capacity 1, cost `-K * value`) and to the sink (capacity 1, cost 0:
//! unassigned); slot -> offer has the slot's cap, offer -> sink the offer's capacity, both cost 0.
//! Costs are multiplied by `K` = number of nodes + 1, so a flow that is 1-optimal for the scaled
//! costs (every residual arc has reduced cost `cost + p(u) - p(v) >= -1`) is optimal for the
//! original ones (Goldberg & Tarjan 1990: epsilon-optimal with epsilon < 1/n implies optimal).
//! Each phase divides epsilon by `ALPHA` and restores epsilon-optimality by pushing excess along
//! admissible arcs (reduced cost < 0) and relabelling nodes that have none.
//!
//! What keeps the phases cheap on this network (the heuristics of Goldberg's CS2, plus the
//! auction's bid):
//! - A phase only saturates the arcs that break the new epsilon (reduced cost below `-epsilon`,
//!   or above `epsilon` on a used arc), not every arc of negative reduced cost: the flow of the
//!   previous phase is kept wherever it is still good enough, so less excess has to travel.
//! - Global price updates, at the start of each phase and after every `UPDATE_EVERY` x nodes
//!   relabels: a bucket-based Dijkstra from the deficit nodes backwards over residual arcs, an arc
//!   of reduced cost `r` counting `floor(r / epsilon) + 1`, that lowers every price by epsilon
//!   per unit of distance. Epsilon-optimality is kept, and afterwards the admissible arcs lead
//!   every excess to a deficit along a shortest path instead of relabelling its way there one
//!   epsilon at a time. The search stops once every node with excess is scanned; the others are
//!   treated as that far (still a valid labelling). Without these updates the middle phases
//!   spent most of their time in long chains of small relabels through slot, offer and sink.
//! - A need relabels like an auction bid: to its second-best bid less epsilon, saturating its best
//!   arc at once, so when it is evicted later its second choice is usually still admissible.
//! - A slot keeps the arcs it holds in a short list and finds the need it values least by a
//!   scan (slots hold a few seats; keys change with every price update, so a heap would need
//!   rebuilding).
//! - Needs start priced at their best arc, so the first phase starts from bids rather than from
//!   every arc saturated at once. The sink has demand equal to the number of needs and is an
//!   ordinary node: it pushes any surplus back (its large degree is scanned only then, rarely).
//! - Once epsilon is below `CERTIFY_BELOW` units of the unscaled costs, each phase ends with an
//!   attempt to prove the flow optimal already (`certify_optimal`): a shortest-path pass over
//!   the unscaled costs that either yields exact potentials or gives up after about one scan.
//!   The flow is usually optimal long before epsilon reaches 1 (here after 5 of 12 phases).
//!
//! At 20,000 needs x 5,000 offers x 50 candidates a solve takes about 0.4 s on one core,
//! against 0.8 - 0.9 s for OR-Tools' `SimpleMinCostFlow::Solve` on the same exported network
//! (`benches/ortools_flow.py`), with the same optimal cost.
//!
//! The funding repair closes offers (only removing arcs, so the flow stays 1-optimal for the
//! prices it has) and leaves the evicted needs with excess; [`Solver::reroute`] then scales again
//! from `top / REROUTE_FROM` rather than from the top: fine enough that the rest of the network
//! keeps its flow and prices, coarse enough that the evicted needs do not fight for seats in
//! epsilon steps (from epsilon 1 directly, that fight took 108 s on the synthetic benchmark).

use std::collections::VecDeque;

use super::funding::Solver;
use super::prepared::{NONE, Prepared};

/// Epsilon is divided by this much per phase.
const ALPHA: i64 = 8;
/// A global price update runs after this many relabels per node.
const UPDATE_EVERY: usize = 2;
/// Once epsilon is below this many units of the unscaled costs, each phase ends with an attempt
/// to prove the flow optimal already (see `certify_optimal`).
const CERTIFY_BELOW: i64 = 128;
/// The re-route after the funding repair scales from the largest cost divided by this.
const REROUTE_FROM: i64 = 1024;
/// `held_arc` / `held_slot` of a need holding no arc, or more than one (only during a phase).
const NO_ARC: u32 = u32::MAX;
const MANY: u32 = u32::MAX - 1;

/// The flow, prices and work queue.
pub struct Scaling<'a> {
    p: &'a Prepared,
    slot_base: usize,
    offer_base: usize,
    sink: usize,
    /// Costs are `-scale * value`.
    scale: i64,
    used: Vec<bool>,
    /// Per slot: the arcs it holds, with stale entries (arcs no longer used) dropped lazily.
    holders: Vec<Vec<Held>>,
    /// Per need: how many candidate arcs carry its unit (more than one only during a phase), the
    /// arc and its slot if exactly one (else `NO_ARC` or `MANY`).
    hold_count: Vec<u32>,
    held_arc: Vec<u32>,
    held_slot: Vec<u32>,
    to_sink: Vec<bool>,
    slot_flow: Vec<u32>,
    offer_flow: Vec<u32>,
    excess: Vec<i64>,
    price: Vec<i64>,
    current: Vec<usize>,
    /// The sink's current arc: offers first, then needs (index `offers + need`).
    sink_current: usize,
    closed: Vec<bool>,
    slot_closed: Vec<bool>,
    frozen: Vec<bool>,
    queue: VecDeque<usize>,
    queued: Vec<bool>,
    relabels: usize,
    update: PriceUpdate,
}

/// An arc a slot holds, with what its key needs, so a scan over a slot's holders touches no
/// per-arc array.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    arc: u32,
    need: u32,
    cost: i64,
}

/// The global price update's reverse arcs and scratch space.
struct PriceUpdate {
    /// Candidate arcs into slot `s`: positions `slot_in[s]..slot_in[s + 1]` of `need`/`value`.
    slot_in: Vec<usize>,
    need: Vec<u32>,
    value: Vec<i64>,
    /// Distance labels of the other nodes (the needs' live in `needs`).
    dist: Vec<u32>,
    /// Per need: price, distance and held slot side by side, for the scans over a slot's arcs.
    needs: Vec<NeedLabel>,
    buckets: Vec<Vec<u32>>,
    /// `scanned[v] == round`: scanned in the current update.
    scanned: Vec<u32>,
    round: u32,
}

#[derive(Clone, Copy)]
struct NeedLabel {
    price: i64,
    dist: u32,
    held: u32,
}

/// Whether prices stay far inside `i64` in the worst case (each phase moves a price by at most
/// about `3 * nodes * epsilon`, Goldberg & Tarjan; a price update lowers a price by at most the
/// distance of the farthest node with excess, within the same bound), so the caller can pick
/// another solver if not.
pub fn fits_i64(p: &Prepared) -> bool {
    let nodes = (p.needs + p.slot_offer.len() + p.offers + 1) as i128;
    let max_value = i128::from(p.value.iter().copied().max().unwrap_or(0));
    let bound = 4 * nodes * (nodes + 1) * max_value * i128::from(ALPHA) / i128::from(ALPHA - 1);
    bound < i128::from(i64::MAX / 4)
}

impl<'a> Scaling<'a> {
    /// Every need unassigned (on its sink arc); each need priced at its best arc, so its arcs'
    /// reduced costs start >= 0 and the first phase starts from bids, not from every arc at once.
    pub fn new(p: &'a Prepared) -> Scaling<'a> {
        let slots = p.slot_offer.len();
        let nodes = p.needs + slots + p.offers + 1;
        let scale = nodes as i64 + 1;
        let mut price = vec![0; nodes];
        for (need, price) in price.iter_mut().enumerate().take(p.needs) {
            // Candidates are sorted best first.
            *price = p.candidates(need).next().map_or(0, |k| p.value[k] * scale);
        }
        Scaling {
            p,
            slot_base: p.needs,
            offer_base: p.needs + slots,
            sink: nodes - 1,
            scale,
            used: vec![false; p.offer.len()],
            holders: vec![Vec::new(); slots],
            hold_count: vec![0; p.needs],
            held_arc: vec![NO_ARC; p.needs],
            held_slot: vec![NO_ARC; p.needs],
            to_sink: vec![true; p.needs],
            slot_flow: vec![0; slots],
            offer_flow: vec![0; p.offers],
            excess: vec![0; nodes],
            price,
            current: p.start[..p.needs].to_vec(),
            sink_current: 0,
            closed: vec![false; p.offers],
            slot_closed: vec![false; slots],
            frozen: vec![false; p.needs],
            queue: VecDeque::new(),
            queued: vec![false; nodes],
            relabels: 0,
            update: PriceUpdate::new(p, nodes),
        }
    }

    /// The largest scaled cost magnitude: where scaling starts.
    fn top(&self) -> i64 {
        let p = self.p;
        let best = (0..p.needs).filter_map(|need| p.candidates(need).next().map(|k| p.value[k]));
        best.max().unwrap_or(0) * self.scale
    }

    /// Cost magnitude of candidate arc `k` (its cost is the negative).
    fn cost(&self, k: usize) -> i64 {
        self.p.value[k] * self.scale
    }

    /// Scale epsilon down from `epsilon` to 1: afterwards the flow is optimal.
    fn solve_from(&mut self, mut epsilon: i64) {
        while epsilon > 1 {
            epsilon = (epsilon / ALPHA).max(1);
            self.refine(epsilon);
            if epsilon > 1 && epsilon < CERTIFY_BELOW * self.scale && self.certify_optimal() {
                break;
            }
        }
    }

    /// Try to prove the flow optimal for the unscaled costs before epsilon reaches 1 (the flow of
    /// a phase is often optimal long before: on the synthetic benchmark, after 5 of 12 phases).
    /// The potentials `floor(price / scale)` give every residual arc an integer reduced cost of at
    /// least `-epsilon / scale - 1`, a small negative number; a label-correcting shortest-path
    /// pass (Bellman-Ford with a queue) from every node, labels starting at 0, then either
    /// settles, which yields integer potentials under which no residual arc has a negative
    /// reduced cost (the flow is optimal, and the prices become those potentials times the
    /// scale), or runs over its budget of about one more scan of the arcs (a negative cycle, or
    /// just slow), and scaling goes on. Exact either way; a failed attempt costs about one scan.
    fn certify_optimal(&mut self) -> bool {
        let p = self.p;
        let nodes = self.excess.len();
        let scale = self.scale;
        let base: Vec<i64> = self.price.iter().map(|&price| price.div_euclid(scale)).collect();
        let mut label = vec![0i64; nodes];
        let mut queued = vec![false; nodes];
        let mut queue = VecDeque::new();
        let mut budget = p.offer.len() + 4 * nodes;
        // Relax every residual arc out of `u` (only the ones that lower a label cost anything).
        let scan = |this: &Self, u: usize, label: &mut [i64], out: &mut Vec<usize>| -> usize {
            let du = label[u] + base[u];
            let mut scanned = 0;
            let mut relax = |v: usize, cost: i64, label: &mut [i64]| {
                let dv = du + cost - base[v];
                if dv < label[v] {
                    label[v] = dv;
                    out.push(v);
                }
            };
            if u < this.slot_base {
                if this.frozen[u] {
                    return 0;
                }
                for k in p.candidates(u) {
                    let slot = p.slot[k] as usize;
                    if !this.used[k] && !this.slot_closed[slot] {
                        relax(this.slot_base + slot, -p.value[k], label);
                    }
                }
                scanned += p.candidates(u).len();
                if !this.to_sink[u] {
                    relax(this.sink, 0, label);
                }
            } else if u < this.offer_base {
                let slot = u - this.slot_base;
                if this.slot_closed[slot] {
                    return 0;
                }
                for held in &this.holders[slot] {
                    if this.held_arc[held.need as usize] == held.arc {
                        relax(held.need as usize, p.value[held.arc as usize], label);
                    }
                }
                scanned += this.holders[slot].len();
                if this.slot_flow[slot] < p.slot_cap[slot] {
                    relax(this.offer_base + p.slot_offer[slot] as usize, 0, label);
                }
            } else if u < this.sink {
                let offer = u - this.offer_base;
                if this.closed[offer] {
                    return 0;
                }
                if this.offer_flow[offer] < p.capacity[offer] {
                    relax(this.sink, 0, label);
                }
                for slot in p.offer_slots[offer]..p.offer_slots[offer + 1] {
                    if this.slot_flow[slot] > 0 {
                        relax(this.slot_base + slot, 0, label);
                    }
                }
            } else {
                for need in 0..p.needs {
                    if this.to_sink[need] {
                        relax(need, 0, label);
                    }
                }
                for offer in 0..p.offers {
                    if this.offer_flow[offer] > 0 && !this.closed[offer] {
                        relax(this.offer_base + offer, 0, label);
                    }
                }
                scanned += p.needs + p.offers;
            }
            scanned
        };
        let mut lowered = Vec::new();
        for u in 0..nodes {
            scan(self, u, &mut label, &mut lowered);
            for v in lowered.drain(..) {
                if !queued[v] {
                    queued[v] = true;
                    queue.push_back(v);
                }
            }
        }
        while let Some(u) = queue.pop_front() {
            queued[u] = false;
            let scanned = scan(self, u, &mut label, &mut lowered) + 1;
            if scanned > budget {
                return false;
            }
            budget -= scanned;
            for v in lowered.drain(..) {
                if !queued[v] {
                    queued[v] = true;
                    queue.push_back(v);
                }
            }
        }
        for v in 0..nodes {
            if v >= self.slot_base || !self.frozen[v] {
                self.price[v] = (base[v] + label[v]) * scale;
            }
        }
        true
    }

    /// Make the pseudoflow epsilon-optimal by saturating the arcs that break it, then push and
    /// relabel (with global price updates) until no node has excess.
    fn refine(&mut self, epsilon: i64) {
        self.saturate_needs(epsilon);
        self.saturate_seats(epsilon);
        self.sink_current = 0;
        self.price_update(epsilon);
        self.relabels = 0;
        for node in 0..self.excess.len() {
            if self.excess[node] > 0 {
                self.activate(node);
            }
        }
        let update_every = UPDATE_EVERY * self.excess.len();
        while let Some(node) = self.queue.pop_front() {
            self.queued[node] = false;
            if self.relabels > update_every {
                self.relabels = 0;
                self.price_update(epsilon);
            }
            if node < self.slot_base {
                self.discharge_need(node, epsilon);
            } else if node < self.offer_base {
                self.discharge_slot(node, epsilon);
            } else if node < self.sink {
                self.discharge_offer(node, epsilon);
            } else {
                self.discharge_sink(epsilon);
            }
        }
    }

    fn activate(&mut self, node: usize) {
        if !self.queued[node] {
            self.queued[node] = true;
            self.queue.push_back(node);
        }
    }

    /// Saturate each need's unused arcs of reduced cost below `-epsilon` and empty its used arcs
    /// of reduced cost above `epsilon`.
    fn saturate_needs(&mut self, epsilon: i64) {
        let p = self.p;
        for need in 0..p.needs {
            if self.frozen[need] {
                continue;
            }
            self.current[need] = p.start[need];
            for k in p.candidates(need) {
                let slot = p.slot[k] as usize;
                if self.slot_closed[slot] {
                    continue;
                }
                let reduced = self.price[need] - self.cost(k) - self.price[self.slot_base + slot];
                if !self.used[k] && reduced < -epsilon {
                    self.push_arc(k, need, slot);
                } else if self.used[k] && reduced > epsilon {
                    self.pull_arc(k, need, slot);
                }
            }
            let reduced = self.price[need] - self.price[self.sink];
            if !self.to_sink[need] && reduced < -epsilon || self.to_sink[need] && reduced > epsilon {
                self.flip_sink_arc(need);
            }
        }
    }

    /// The same for the slot -> offer and offer -> sink arcs.
    fn saturate_seats(&mut self, epsilon: i64) {
        for slot in 0..self.slot_flow.len() {
            let offer = self.p.slot_offer[slot] as usize;
            if self.closed[offer] {
                continue;
            }
            let reduced = self.price[self.slot_base + slot] - self.price[self.offer_base + offer];
            let target = match reduced {
                r if r < -epsilon => self.p.slot_cap[slot],
                r if r > epsilon => 0,
                _ => self.slot_flow[slot],
            };
            let delta = i64::from(target) - i64::from(self.slot_flow[slot]);
            self.slot_flow[slot] = target;
            self.excess[self.slot_base + slot] -= delta;
            self.excess[self.offer_base + offer] += delta;
        }
        for offer in 0..self.p.offers {
            if self.closed[offer] {
                continue;
            }
            let reduced = self.price[self.offer_base + offer] - self.price[self.sink];
            let target = match reduced {
                r if r < -epsilon => self.p.capacity[offer],
                r if r > epsilon => 0,
                _ => self.offer_flow[offer],
            };
            let delta = i64::from(target) - i64::from(self.offer_flow[offer]);
            self.offer_flow[offer] = target;
            self.excess[self.offer_base + offer] -= delta;
            self.excess[self.sink] += delta;
        }
    }

    /// Move the need's unit onto its sink arc or back.
    fn flip_sink_arc(&mut self, need: usize) {
        let delta = if self.to_sink[need] { -1 } else { 1 };
        self.to_sink[need] = !self.to_sink[need];
        self.excess[need] -= delta;
        self.excess[self.sink] += delta;
    }

    /// One unit over candidate arc `k`, from `need` to `slot`.
    fn push_arc(&mut self, k: usize, need: usize, slot: usize) {
        self.used[k] = true;
        self.hold_count[need] += 1;
        if self.hold_count[need] == 1 {
            (self.held_arc[need], self.held_slot[need]) = (k as u32, slot as u32);
        } else {
            (self.held_arc[need], self.held_slot[need]) = (MANY, MANY);
        }
        let cost = self.cost(k);
        let list = &mut self.holders[slot];
        list.push(Held {
            arc: k as u32,
            need: need as u32,
            cost,
        });
        if list.len() > 2 * self.p.slot_cap[slot] as usize + 16 {
            let used = &self.used;
            list.retain(|h| used[h.arc as usize]);
            list.sort_unstable();
            list.dedup();
        }
        self.excess[need] -= 1;
        self.excess[self.slot_base + slot] += 1;
    }

    /// One unit back over candidate arc `k` from `slot` to `need` (its entry in the slot's list
    /// goes stale).
    fn pull_arc(&mut self, k: usize, need: usize, slot: usize) {
        self.used[k] = false;
        self.hold_count[need] -= 1;
        match self.hold_count[need] {
            0 => (self.held_arc[need], self.held_slot[need]) = (NO_ARC, NO_ARC),
            1 => {
                let k = self.p.candidates(need).find(|&k| self.used[k]).unwrap_or(NONE);
                (self.held_arc[need], self.held_slot[need]) = (k as u32, self.p.slot[k]);
            }
            _ => {}
        }
        self.excess[need] += 1;
        self.excess[self.slot_base + slot] -= 1;
    }

    /// A need with excess has no unit anywhere: push it to an admissible slot or the sink, or
    /// relabel (and push at once). Current-arc pointers keep the scan linear between relabels.
    fn discharge_need(&mut self, need: usize, epsilon: i64) {
        let end = self.p.start[need + 1];
        while self.excess[need] > 0 {
            let k = self.next_admissible(need, end);
            self.current[need] = k;
            if k < end {
                let slot = self.p.slot[k] as usize;
                self.push_arc(k, need, slot);
                self.activate(self.slot_base + slot);
            } else if !self.to_sink[need] && self.price[need] < self.price[self.sink] {
                self.flip_sink_arc(need);
                self.activate(self.sink);
            } else {
                let (best, second) = self.relabel_need(need, epsilon);
                if best < end {
                    let slot = self.p.slot[best] as usize;
                    self.push_arc(best, need, slot);
                    self.activate(self.slot_base + slot);
                } else {
                    self.flip_sink_arc(need);
                    self.activate(self.sink);
                }
                self.current[need] = second;
            }
        }
    }

    /// The first admissible candidate arc of `need` from its current arc on, or `end`. A need
    /// with excess holds nothing, so none of its arcs is used.
    fn next_admissible(&self, need: usize, end: usize) -> usize {
        let from = self.current[need];
        let base = self.price[need];
        let arcs = self.p.slot[from..end].iter().zip(&self.p.value[from..end]);
        for (i, (&slot, &value)) in arcs.enumerate() {
            let slot = slot as usize;
            if base - value * self.scale < self.price[self.slot_base + slot] && !self.slot_closed[slot] {
                return from + i;
            }
        }
        end
    }

    /// The need's best and second-best options (candidate arcs, or `end` for the sink arc; the
    /// second is `end` too when there is none). Unless the best is admissible already, the need's
    /// price drops to the second-best bid less epsilon (the auction's bid): the best arc, which
    /// the caller saturates at once, then has a reduced cost of at most -epsilon and every other
    /// arc at least -epsilon; when the need is evicted later, its second choice is still
    /// admissible unless that slot got dearer. A need with excess holds nothing, so all its arcs,
    /// the sink's included, are residual. The price only ever drops, by epsilon at least.
    fn relabel_need(&mut self, need: usize, epsilon: i64) -> (usize, usize) {
        self.relabels += 1;
        let range = self.p.candidates(need);
        let (mut best, mut best_arc) = (self.price[self.sink], range.end);
        let (mut second, mut second_arc) = (i64::MIN, range.end);
        let arcs = self.p.slot[range.clone()].iter().zip(&self.p.value[range.clone()]);
        for (i, (&slot, &value)) in arcs.enumerate() {
            let bid = self.price[self.slot_base + slot as usize] + value * self.scale;
            if bid > second && !self.slot_closed[slot as usize] {
                if bid > best {
                    (second, second_arc) = (best, best_arc);
                    (best, best_arc) = (bid, range.start + i);
                } else {
                    (second, second_arc) = (bid, range.start + i);
                }
            }
        }
        if best <= self.price[need] {
            let bid = if second == i64::MIN { best } else { second };
            self.price[need] = bid - epsilon;
        }
        (best_arc, second_arc)
    }

    /// A slot with excess sends it on to its offer or back to the need it values least, or
    /// relabels. With one unit to place, it relabels like a need: to the second-best option less
    /// epsilon, and sends the unit along the best at once.
    fn discharge_slot(&mut self, node: usize, epsilon: i64) {
        let slot = node - self.slot_base;
        let offer = self.offer_base + self.p.slot_offer[slot] as usize;
        while self.excess[node] > 0 {
            let room = self.p.slot_cap[slot] - self.slot_flow[slot];
            if room > 0 && self.price[node] < self.price[offer] {
                self.push_seats(slot, offer, room);
                continue;
            }
            let (top, second) = self.top_holders(slot);
            match top {
                Some((key, k, need)) if key > self.price[node] => {
                    self.pull_arc(k, need, slot);
                    self.activate(need);
                }
                _ => {
                    self.relabels += 1;
                    let via_offer = if room > 0 { self.price[offer] } else { i64::MIN };
                    let top_key = top.map_or(i64::MIN, |(key, _, _)| key);
                    if self.excess[node] > 1 {
                        self.price[node] = via_offer.max(top_key).saturating_sub(epsilon);
                        continue;
                    }
                    // The best unit's way and the value of the next one.
                    let (to_offer, next) = if via_offer >= top_key {
                        (true, if room > 1 { via_offer } else { top_key })
                    } else {
                        (false, via_offer.max(second))
                    };
                    let best = via_offer.max(top_key);
                    let bid = if next == i64::MIN { best } else { next };
                    self.price[node] = bid.saturating_sub(epsilon);
                    match top {
                        Some((_, k, need)) if !to_offer => {
                            self.pull_arc(k, need, slot);
                            self.activate(need);
                        }
                        _ if to_offer && room > 0 => self.push_seats(slot, offer, room),
                        _ => {}
                    }
                }
            }
        }
    }

    /// Send as much of the slot's excess as fits on to its offer.
    fn push_seats(&mut self, slot: usize, offer: usize, room: u32) {
        let node = self.slot_base + slot;
        let delta = room.min(self.excess[node].min(i64::from(u32::MAX)) as u32);
        self.slot_flow[slot] += delta;
        self.excess[node] -= i64::from(delta);
        self.excess[offer] += i64::from(delta);
        self.activate(offer);
    }

    /// The held arc of the slot with the largest key `price(need) - cost` (the slot -> need arc is
    /// admissible while that exceeds the slot's price; ties: the lower arc), as (key, arc, need),
    /// and the second-largest key (`i64::MIN` if none), dropping stale entries.
    fn top_holders(&mut self, slot: usize) -> (Option<(i64, usize, usize)>, i64) {
        let mut best: Option<(i64, usize, usize)> = None;
        let mut second = i64::MIN;
        let mut i = 0;
        while i < self.holders[slot].len() {
            let Held { arc, need, cost } = self.holders[slot][i];
            let (k, need) = (arc as usize, need as usize);
            let held = self.held_arc[need];
            if held != arc && (held != MANY || !self.used[k]) {
                self.holders[slot].swap_remove(i);
                continue;
            }
            let key = self.price[need] - cost;
            match best {
                Some((b, bk, _)) if key < b || key == b && k > bk => second = second.max(key),
                Some((b, _, _)) => {
                    second = second.max(b);
                    best = Some((key, k, need));
                }
                None => best = Some((key, k, need)),
            }
            i += 1;
        }
        (best, second)
    }

    /// An offer with excess sends it to the sink or back to one of its slots.
    fn discharge_offer(&mut self, node: usize, epsilon: i64) {
        let offer = node - self.offer_base;
        while self.excess[node] > 0 {
            let room = self.p.capacity[offer] - self.offer_flow[offer];
            if room > 0 && self.price[node] < self.price[self.sink] {
                let delta = room.min(self.excess[node].min(i64::from(u32::MAX)) as u32);
                self.offer_flow[offer] += delta;
                self.excess[node] -= i64::from(delta);
                self.excess[self.sink] += i64::from(delta);
                self.activate(self.sink);
                continue;
            }
            for slot in self.p.offer_slots[offer]..self.p.offer_slots[offer + 1] {
                let back = self.slot_base + slot;
                if self.slot_flow[slot] > 0 && self.price[node] < self.price[back] && self.excess[node] > 0 {
                    let delta = self.slot_flow[slot].min(self.excess[node].min(i64::from(u32::MAX)) as u32);
                    self.slot_flow[slot] -= delta;
                    self.excess[node] -= i64::from(delta);
                    self.excess[back] += i64::from(delta);
                    self.activate(back);
                }
            }
            if self.excess[node] > 0 {
                self.relabel_offer(offer, epsilon);
            }
        }
    }

    fn relabel_offer(&mut self, offer: usize, epsilon: i64) {
        self.relabels += 1;
        let node = self.offer_base + offer;
        let mut best = if self.offer_flow[offer] < self.p.capacity[offer] {
            self.price[self.sink]
        } else {
            i64::MIN
        };
        for slot in self.p.offer_slots[offer]..self.p.offer_slots[offer + 1] {
            if self.slot_flow[slot] > 0 {
                best = best.max(self.price[self.slot_base + slot]);
            }
        }
        self.price[node] = best.saturating_sub(epsilon);
    }

    /// The sink got more units than there are needs: send the surplus back to an offer or a need
    /// whose arc into the sink carries flow, or relabel. Arcs are offers, then needs.
    fn discharge_sink(&mut self, epsilon: i64) {
        let (sink, offers) = (self.sink, self.p.offers);
        while self.excess[sink] > 0 {
            while self.sink_current < offers + self.p.needs && self.excess[sink] > 0 {
                let i = self.sink_current;
                if i < offers
                    && self.offer_flow[i] > 0
                    && !self.closed[i]
                    && self.price[sink] < self.price[self.offer_base + i]
                {
                    let delta = self.offer_flow[i].min(self.excess[sink].min(i64::from(u32::MAX)) as u32);
                    self.offer_flow[i] -= delta;
                    self.excess[sink] -= i64::from(delta);
                    self.excess[self.offer_base + i] += i64::from(delta);
                    self.activate(self.offer_base + i);
                } else if i >= offers && self.to_sink[i - offers] && self.price[sink] < self.price[i - offers] {
                    self.flip_sink_arc(i - offers);
                    self.activate(i - offers);
                } else {
                    self.sink_current += 1;
                }
            }
            if self.excess[sink] > 0 {
                self.relabel_sink(epsilon);
            }
        }
    }

    fn relabel_sink(&mut self, epsilon: i64) {
        self.relabels += 1;
        let mut best = i64::MIN;
        for offer in (0..self.p.offers).filter(|&o| self.offer_flow[o] > 0 && !self.closed[o]) {
            best = best.max(self.price[self.offer_base + offer]);
        }
        for need in (0..self.p.needs).filter(|&n| self.to_sink[n]) {
            best = best.max(self.price[need]);
        }
        self.price[self.sink] = best.saturating_sub(epsilon);
        self.sink_current = 0;
    }

    /// Global price update (see the module docs): distances in units of epsilon from every node
    /// to the nearest deficit over residual arcs, an arc of reduced cost `r` counting
    /// `floor(r / epsilon) + 1`; each price drops by epsilon per unit of distance. For every
    /// residual arc `(u, v)`, `d(u) <= d(v) + floor(r / epsilon) + 1`, so its new reduced cost is
    /// at least `-epsilon`: epsilon-optimality is kept. The search stops once every node with
    /// excess is scanned; the nodes left count as far as the last level scanned, which keeps that
    /// inequality. Frozen needs are out of the network and keep their prices.
    fn price_update(&mut self, epsilon: i64) {
        let nodes = self.excess.len();
        let needs = self.p.needs;
        let u = &mut self.update;
        // Distances beyond this are cut off (a smaller distance is still a valid labelling).
        let max_level = (nodes as u32).saturating_mul(4).max(64);
        u.dist.fill(max_level + 1);
        for bucket in &mut u.buckets {
            bucket.clear();
        }
        u.needs.clear();
        u.needs.extend((0..needs).map(|need| NeedLabel {
            price: self.price[need],
            dist: if self.frozen[need] { 0 } else { max_level + 1 },
            held: self.held_slot[need],
        }));
        u.round = u.round.wrapping_add(1);
        let mut pending = 0usize;
        for v in 0..nodes {
            if self.excess[v] < 0 {
                if v < needs {
                    u.needs[v].dist = 0;
                } else {
                    u.dist[v] = 0;
                }
                u.push(0, v);
            } else if self.excess[v] > 0 {
                pending += 1;
            }
        }
        if pending == 0 {
            return;
        }
        let mut level = 0usize;
        'levels: while level < self.update.buckets.len() {
            while let Some(v) = self.update.buckets[level].pop() {
                let v = v as usize;
                let u = &mut self.update;
                let d = if v < needs { u.needs[v].dist } else { u.dist[v] };
                if d as usize != level || u.scanned[v] == u.round {
                    continue;
                }
                u.scanned[v] = u.round;
                if self.excess[v] > 0 {
                    pending -= 1;
                    if pending == 0 {
                        break 'levels;
                    }
                }
                self.scan_into(v, level as u32, epsilon);
            }
            level += 1;
        }
        let stop = (level as u32).min(max_level);
        let u = &self.update;
        for need in 0..needs {
            self.price[need] -= i64::from(u.needs[need].dist.min(stop)) * epsilon;
        }
        for v in needs..nodes {
            self.price[v] -= i64::from(u.dist[v].min(stop)) * epsilon;
        }
        for need in 0..needs {
            self.current[need] = self.p.start[need];
        }
        self.sink_current = 0;
    }

    /// Relax the residual arcs into `v`, scanned at `level`.
    fn scan_into(&mut self, v: usize, level: u32, epsilon: i64) {
        let (p, sink) = (self.p, self.sink);
        if v < self.slot_base {
            // Into a need: from the slots it holds, and from the sink if it is unassigned.
            let price = self.update.needs[v].price;
            let relax_held = |this: &mut Self, k: usize| {
                let slot = p.slot[k] as usize;
                if !this.slot_closed[slot] {
                    let u = this.slot_base + slot;
                    let reduced = this.cost(k) + this.price[u] - price;
                    this.update.relax(u, level, reduced, epsilon);
                }
            };
            match self.held_arc[v] {
                NO_ARC => {}
                MANY => {
                    for k in p.candidates(v) {
                        if self.used[k] {
                            relax_held(self, k);
                        }
                    }
                }
                k => relax_held(self, k as usize),
            }
            if self.to_sink[v] {
                self.update.relax(sink, level, self.price[sink] - price, epsilon);
            }
        } else if v < self.offer_base {
            // Into a slot: from the needs with an unused arc to it, and from its offer if the
            // slot -> offer arc carries flow.
            let slot = v - self.slot_base;
            if self.slot_closed[slot] {
                return;
            }
            let base = self.price[v];
            let u = &mut self.update;
            for i in u.slot_in[slot]..u.slot_in[slot + 1] {
                let need = u.need[i] as usize;
                let label = u.needs[need];
                if label.dist <= level || label.held == slot as u32 {
                    continue;
                }
                if label.held == MANY && p.candidates(need).any(|k| self.used[k] && p.slot[k] as usize == slot) {
                    continue;
                }
                let reduced = label.price - u.value[i] * self.scale - base;
                u.relax_need(need, level, reduced, epsilon);
            }
            if self.slot_flow[slot] > 0 {
                let offer = self.offer_base + p.slot_offer[slot] as usize;
                u.relax(offer, level, self.price[offer] - base, epsilon);
            }
        } else if v < sink {
            // Into an offer: from its slots with a free seat, and from the sink if it has flow.
            let offer = v - self.offer_base;
            if self.closed[offer] {
                return;
            }
            for slot in p.offer_slots[offer]..p.offer_slots[offer + 1] {
                if self.slot_flow[slot] < p.slot_cap[slot] {
                    let u = self.slot_base + slot;
                    self.update.relax(u, level, self.price[u] - self.price[v], epsilon);
                }
            }
            if self.offer_flow[offer] > 0 {
                self.update
                    .relax(sink, level, self.price[sink] - self.price[v], epsilon);
            }
        } else {
            // Into the sink: from every assigned need and every offer with a free seat.
            for need in 0..p.needs {
                if !self.to_sink[need] {
                    let label = self.update.needs[need];
                    self.update
                        .relax_need(need, level, label.price - self.price[sink], epsilon);
                }
            }
            for offer in 0..p.offers {
                if self.offer_flow[offer] < p.capacity[offer] && !self.closed[offer] {
                    let u = self.offer_base + offer;
                    self.update.relax(u, level, self.price[u] - self.price[sink], epsilon);
                }
            }
        }
    }
}

impl PriceUpdate {
    /// The candidate arcs grouped by slot (a counting sort), and empty scratch space.
    fn new(p: &Prepared, nodes: usize) -> PriceUpdate {
        let slots = p.slot_offer.len();
        let mut slot_in = vec![0usize; slots + 1];
        for &slot in &p.slot {
            slot_in[slot as usize + 1] += 1;
        }
        for slot in 0..slots {
            slot_in[slot + 1] += slot_in[slot];
        }
        let mut fill = slot_in.clone();
        let mut need = vec![0u32; p.slot.len()];
        let mut value = vec![0i64; p.slot.len()];
        for (k, &slot) in p.slot.iter().enumerate() {
            let at = &mut fill[slot as usize];
            (need[*at], value[*at]) = (p.need[k], p.value[k]);
            *at += 1;
        }
        PriceUpdate {
            slot_in,
            need,
            value,
            dist: vec![0; nodes],
            needs: Vec::with_capacity(p.needs),
            buckets: vec![Vec::new()],
            scanned: vec![0; nodes],
            round: 0,
        }
    }

    fn push(&mut self, level: usize, node: usize) {
        if level >= self.buckets.len() {
            self.buckets.resize(level + 1, Vec::new());
        }
        self.buckets[level].push(node as u32);
    }

    /// Offer node `node` (not a need) the distance `level + floor(reduced / epsilon) + 1`.
    #[inline(always)]
    fn relax(&mut self, node: usize, level: u32, reduced: i64, epsilon: i64) {
        if let Some(d) = improved(self.dist[node], level, reduced, epsilon) {
            self.dist[node] = d;
            self.push(d as usize, node);
        }
    }

    /// The same for a need, whose label lives in `needs`.
    #[inline(always)]
    fn relax_need(&mut self, need: usize, level: u32, reduced: i64, epsilon: i64) {
        if let Some(d) = improved(self.needs[need].dist, level, reduced, epsilon) {
            self.needs[need].dist = d;
            self.push(d as usize, need);
        }
    }
}

/// `level + floor(reduced / epsilon) + 1` (at least `level`) if that is below `dist`; the
/// division only happens when it is (`floor(r / e) < m` iff `r < m * e`).
#[inline(always)]
fn improved(dist: u32, level: u32, reduced: i64, epsilon: i64) -> Option<u32> {
    let limit = i64::from(dist) - i64::from(level) - 1;
    if limit < 0 || reduced >= limit * epsilon {
        return None;
    }
    Some(level + (reduced.div_euclid(epsilon) + 1).max(0) as u32)
}

impl Solver for Scaling<'_> {
    /// Scale epsilon down from the largest cost to 1.
    fn solve(&mut self) {
        self.solve_from(self.top());
    }

    /// Per need: the candidate it holds, or `NONE`.
    fn assignment(&self) -> Vec<usize> {
        let mut chosen = vec![NONE; self.p.needs];
        for (k, _) in self.used.iter().enumerate().filter(|&(_, &used)| used) {
            chosen[self.p.need[k] as usize] = k;
        }
        chosen
    }

    /// The kept needs are frozen; the others' units leave the whole path need -> slot -> offer
    /// -> sink and wait at the need as excess.
    fn close(&mut self, offer: usize, held: &[(usize, usize)], kept: &[usize]) {
        self.closed[offer] = true;
        for slot in self.p.offer_slots[offer]..self.p.offer_slots[offer + 1] {
            self.slot_closed[slot] = true;
        }
        for &(need, k) in held {
            if kept.contains(&need) {
                self.frozen[need] = true;
            } else {
                let slot = self.p.slot[k] as usize;
                self.pull_arc(k, need, slot);
                self.slot_flow[slot] -= 1;
                self.excess[self.slot_base + slot] += 1;
                self.offer_flow[offer] -= 1;
                self.excess[self.sink] -= 1;
            }
        }
    }

    /// Route the needs that closed offers let go (they carry excess now). Only arcs left the
    /// network, so the pseudoflow is 1-optimal and the prices are good almost everywhere: scaling
    /// restarts at `top / REROUTE_FROM` (see the module docs) and ends at epsilon 1, exact.
    fn reroute(&mut self, _evicted: Vec<usize>) {
        self.solve_from((self.top() / REROUTE_FROM).max(2));
    }
}
