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
//! Choices that keep phases cheap on this network: a need starts each bid at its best arc (its
//! relabel records the arc, as in an auction); a slot keeps its held arcs in a heap by
//! `price(need) - cost`, so sending a unit back to the need it values least costs a heap pop,
//! not a scan; needs start priced at their best arc, so the first phase starts from 20,000 bids
//! rather than from every arc saturated at once. The sink has demand equal to the number of needs
//! and is an ordinary node: saturating arcs at the start of a phase can send it more than that,
//! and it pushes the surplus back (its large degree is scanned only then, which is rare).

use std::collections::{BinaryHeap, VecDeque};

use super::funding::Solver;
use super::prepared::{NONE, Prepared};

/// Epsilon is divided by this much per phase.
const ALPHA: i64 = 8;

/// The flow, prices and work queue.
pub struct Scaling<'a> {
    p: &'a Prepared,
    slot_base: usize,
    offer_base: usize,
    sink: usize,
    /// Scaled cost magnitude of each candidate arc (its cost is the negative).
    cost: Vec<i64>,
    cand_need: Vec<u32>,
    used: Vec<bool>,
    /// Per slot: its used arcs by `price(need) - cost`, largest first (lazy: stale entries are
    /// skipped). A need's price does not change while it holds an arc, so keys stay valid.
    holders: Vec<BinaryHeap<(i64, usize)>>,
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
}

/// Whether prices stay far inside `i64` in the worst case (each phase moves a price by at most
/// about `3 * nodes * epsilon`, Goldberg & Tarjan), so the caller can pick another solver if not.
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
        let mut cand_need = vec![0u32; p.offer.len()];
        let mut price = vec![0; nodes];
        for need in 0..p.needs {
            cand_need[p.candidates(need)].fill(need as u32);
            price[need] = p.candidates(need).map(|k| p.value[k] * scale).max().unwrap_or(0);
        }
        Scaling {
            p,
            slot_base: p.needs,
            offer_base: p.needs + slots,
            sink: nodes - 1,
            cost: p.value.iter().map(|&v| v * scale).collect(),
            cand_need,
            used: vec![false; p.offer.len()],
            holders: vec![BinaryHeap::new(); slots],
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
        }
    }

    /// Scale epsilon down from `epsilon` to 1: afterwards the flow is optimal.
    fn solve_from(&mut self, mut epsilon: i64) {
        for heap in &mut self.holders {
            heap.clear();
        }
        for k in (0..self.used.len()).filter(|&k| self.used[k]) {
            let key = self.holder_key(k);
            self.holders[self.p.slot[k] as usize].push((key, k));
        }
        while epsilon > 1 {
            epsilon = (epsilon / ALPHA).max(1);
            self.refine(epsilon);
        }
    }

    /// Make the pseudoflow 0-optimal by saturating every arc of negative reduced cost, then push
    /// and relabel until no node but the sink has excess.
    fn refine(&mut self, epsilon: i64) {
        self.saturate_needs();
        self.saturate_seats();
        self.discharge_all(epsilon);
    }

    /// Push and relabel until no node has excess; keeps epsilon-optimality.
    fn discharge_all(&mut self, epsilon: i64) {
        self.sink_current = 0;
        for node in 0..self.excess.len() {
            if self.excess[node] > 0 {
                self.activate(node);
            }
        }
        while let Some(node) = self.queue.pop_front() {
            self.queued[node] = false;
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

    fn saturate_needs(&mut self) {
        for need in 0..self.p.needs {
            if self.frozen[need] {
                continue;
            }
            self.current[need] = self.p.start[need];
            for k in self.p.candidates(need) {
                if self.slot_closed[self.p.slot[k] as usize] {
                    continue;
                }
                let reduced = self.reduced(k);
                if !self.used[k] && reduced < 0 {
                    self.push_arc(k);
                } else if self.used[k] && reduced > 0 {
                    self.pull_arc(k);
                }
            }
            let reduced = self.price[need] - self.price[self.sink];
            if !self.to_sink[need] && reduced < 0 || self.to_sink[need] && reduced > 0 {
                self.flip_sink_arc(need);
            }
        }
    }

    fn saturate_seats(&mut self) {
        for slot in 0..self.slot_flow.len() {
            let offer = self.p.slot_offer[slot] as usize;
            if self.closed[offer] {
                continue;
            }
            let reduced = self.price[self.slot_base + slot] - self.price[self.offer_base + offer];
            let target = match reduced {
                r if r < 0 => self.p.slot_cap[slot],
                r if r > 0 => 0,
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
                r if r < 0 => self.p.capacity[offer],
                r if r > 0 => 0,
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

    /// Reduced cost of candidate arc `k` (need -> slot).
    fn reduced(&self, k: usize) -> i64 {
        let need = self.cand_need[k] as usize;
        -self.cost[k] + self.price[need] - self.price[self.slot_base + self.p.slot[k] as usize]
    }

    /// One unit over candidate arc `k`.
    fn push_arc(&mut self, k: usize) {
        let slot = self.p.slot[k] as usize;
        self.used[k] = true;
        let key = self.holder_key(k);
        self.holders[slot].push((key, k));
        self.excess[self.cand_need[k] as usize] -= 1;
        self.excess[self.slot_base + slot] += 1;
    }

    /// One unit back over candidate arc `k` (its heap entry goes stale).
    fn pull_arc(&mut self, k: usize) {
        self.used[k] = false;
        self.excess[self.cand_need[k] as usize] += 1;
        self.excess[self.slot_base + self.p.slot[k] as usize] -= 1;
    }

    /// A need with excess has no unit anywhere: push it to an admissible slot or the sink, or
    /// relabel. Current-arc pointers keep the scan linear between relabels.
    fn discharge_need(&mut self, need: usize, epsilon: i64) {
        let end = self.p.start[need + 1];
        while self.excess[need] > 0 {
            let k = self.next_admissible(need, end);
            self.current[need] = k;
            if k < end {
                self.push_arc(k);
                self.activate(self.slot_base + self.p.slot[k] as usize);
            } else if !self.to_sink[need] && self.price[need] < self.price[self.sink] {
                self.flip_sink_arc(need);
                self.activate(self.sink);
            } else {
                self.current[need] = self.relabel_need(need, epsilon);
            }
        }
    }

    /// The first admissible candidate arc of `need` from its current arc on, or `end`.
    fn next_admissible(&self, need: usize, end: usize) -> usize {
        let from = self.current[need];
        let base = self.price[need];
        let arcs = self.p.slot[from..end]
            .iter()
            .zip(&self.cost[from..end])
            .zip(&self.used[from..end]);
        for (i, ((&slot, &cost), &used)) in arcs.enumerate() {
            let slot = slot as usize;
            if !used && base - cost < self.price[self.slot_base + slot] && !self.slot_closed[slot] {
                return from + i;
            }
        }
        end
    }

    /// Lower the need's price to bid for its best arc (`-epsilon` reduced cost); returns that arc,
    /// or the end of its arcs when the sink arc is best. A need with excess holds nothing, so all
    /// its arcs, the sink's included, are residual.
    fn relabel_need(&mut self, need: usize, epsilon: i64) -> usize {
        let range = self.p.candidates(need);
        let (mut best, mut best_arc) = (self.price[self.sink], range.end);
        let arcs = self.p.slot[range.clone()].iter().zip(&self.cost[range.clone()]);
        for (i, (&slot, &cost)) in arcs.enumerate() {
            let bid = self.price[self.slot_base + slot as usize] + cost;
            if bid > best && !self.slot_closed[slot as usize] {
                (best, best_arc) = (bid, range.start + i);
            }
        }
        self.price[need] = best - epsilon;
        best_arc
    }

    /// A slot with excess sends it on to its offer or back to the need it values least.
    fn discharge_slot(&mut self, node: usize, epsilon: i64) {
        let slot = node - self.slot_base;
        let offer = self.offer_base + self.p.slot_offer[slot] as usize;
        while self.excess[node] > 0 {
            let room = self.p.slot_cap[slot] - self.slot_flow[slot];
            if room > 0 && self.price[node] < self.price[offer] {
                let delta = room.min(self.excess[node].min(i64::from(u32::MAX)) as u32);
                self.slot_flow[slot] += delta;
                self.excess[node] -= i64::from(delta);
                self.excess[offer] += i64::from(delta);
                self.activate(offer);
                continue;
            }
            let top = self.top_holder(slot);
            match top {
                Some((key, k)) if key > self.price[node] => {
                    self.pull_arc(k);
                    self.activate(self.cand_need[k] as usize);
                }
                _ => {
                    let via_offer = if room > 0 { self.price[offer] } else { i64::MIN };
                    let best = via_offer.max(top.map_or(i64::MIN, |(key, _)| key));
                    self.price[node] = best.saturating_sub(epsilon);
                }
            }
        }
    }

    /// `price(need) - cost` of a used arc: the slot -> need arc is admissible while this exceeds
    /// the slot's price.
    fn holder_key(&self, k: usize) -> i64 {
        self.price[self.cand_need[k] as usize] - self.cost[k]
    }

    /// The valid top entry of the slot's holder heap.
    fn top_holder(&mut self, slot: usize) -> Option<(i64, usize)> {
        while let Some(&(key, k)) = self.holders[slot].peek() {
            if self.used[k] && key == self.holder_key(k) {
                return Some((key, k));
            }
            self.holders[slot].pop();
        }
        None
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
}

impl Solver for Scaling<'_> {
    /// Scale epsilon down from the largest cost to 1.
    fn solve(&mut self) {
        let epsilon = self.cost.iter().copied().max().unwrap_or(0);
        self.solve_from(epsilon);
    }

    /// Per need: the candidate it holds, or `NONE`.
    fn assignment(&self) -> Vec<usize> {
        let mut chosen = vec![NONE; self.p.needs];
        for (k, _) in self.used.iter().enumerate().filter(|&(_, &used)| used) {
            chosen[self.cand_need[k] as usize] = k;
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
                self.pull_arc(k);
                self.slot_flow[slot] -= 1;
                self.excess[self.slot_base + slot] += 1;
                self.offer_flow[offer] -= 1;
                self.excess[self.sink] -= 1;
            }
        }
    }

    /// Route the needs that closed offers let go (they carry excess now). Only arcs left the
    /// network, so the pseudoflow is 1-optimal; scaling again from the top keeps each phase's
    /// work bounded (a phase at a small epsilon would pay for the evicted needs' price gaps in
    /// epsilon steps).
    fn reroute(&mut self, _evicted: Vec<usize>) {
        self.solve();
    }
}
