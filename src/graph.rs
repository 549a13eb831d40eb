//! The partnership graph: actors as nodes, partnerships as trust-weighted edges, in a petgraph
//! `StableGraph` (indices survive removals). Node indices are never stored: the graph is rebuilt
//! from the store's partnerships at start, and actor ids map to nodes here.
//!
//! Trust along a path is the product of its edges' trusts. Paths are bounded to three hops, so a
//! query never walks the whole graph: the best trust to every node within two hops of the source
//! is computed once ([`PartnershipGraph::proximity_from`]), and a path to any target is then that
//! reach plus at most one edge into the target. This is exact for the bounded problem, because
//! every trust is at most 1 and a walk that repeats a node is never better than its simple path.

use std::collections::{HashMap, HashSet};

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use std::sync::{Mutex, PoisonError};

use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableUnGraph};
use petgraph::visit::EdgeRef;

use crate::domain::{Actor, Partnership, PartnershipEnds, PartnershipKind};
use crate::store::{Record, records};

mod kept;
pub use kept::KeptGraphError;

/// Longest path, in hops, that proximity considers.
pub const MAX_HOPS: usize = 3;

/// Actor numbers below this find their node in an array (4 bytes a number, 16 MiB at most);
/// larger ones in a hash table.
const NUMBERED_AT_ONCE: usize = 1 << 22;

/// Nodes a query's proximity lists as set, to clear them one by one when it is done; one that
/// sets more clears its whole array.
const TOUCHED_LISTED: usize = 4096;

/// One partnership as an edge.
#[derive(Debug, Clone)]
struct Link {
    /// The partnership's record number (its id is `partnership-<number>`): a million ids held
    /// as strings would cost over 100 MB at tier L.
    number: u64,
    kind: PartnershipKind,
    trust: f64,
}

impl Link {
    fn partnership_id(&self) -> String {
        records::format_id(Partnership::ID_PREFIX, self.number)
    }
}

/// Who works with whom.
#[derive(Debug, Default)]
pub struct PartnershipGraph {
    graph: StableUnGraph<String, Link>,
    /// Node of each actor id, and edge of each partnership id (FxHash: the rebuild at start
    /// hashes two million ids). Ids are kept inline (`CompactString`): comparing a found key
    /// then reads no other memory, and the rebuild and every trust search compare millions.
    nodes: FxHashMap<CompactString, NodeIndex>,
    edges: FxHashMap<u64, EdgeIndex>,
    /// Node of each actor named by the store (`actor-<number>`), by number: ranking finds the
    /// nodes of hundreds of providers a query by the number the catalogue keeps, which reads
    /// one entry rather than the offer, its provider id and a hash table. Numbers below
    /// [`NUMBERED_AT_ONCE`] index `numbered` (`NodeIndex::end()` for none); the store numbers
    /// every kind of record from one counter, so a larger one (or a damaged id) goes to
    /// `numbered_beyond`, and an array never grows past that.
    numbered: Vec<NodeIndex>,
    numbered_beyond: FxHashMap<u64, NodeIndex>,
    /// Each node's partnerships as one contiguous list, by node index, highest trust first: the
    /// path queries scan tens of thousands of a hub's edges per query, petgraph's linked edge
    /// lists cost a cache miss per edge, and in trust order a scan can stop once no further edge
    /// can beat the path it has. Kept in step with `graph` by `add_partnership(s)` and
    /// `remove_partnership`.
    adjacency: Vec<Vec<Adjacent>>,
    /// Per-node scratch arrays of finished queries, reused so a query neither allocates nor
    /// clears an array the size of the graph.
    scratch: Mutex<Vec<Reach>>,
}

/// One partnership seen from one of its actors.
#[derive(Debug, Clone, Copy)]
struct Adjacent {
    other: NodeIndex,
    edge: EdgeIndex,
    trust: f64,
}

/// One step along a trust path.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub from: String,
    pub to: String,
    pub partnership_id: String,
    pub kind: PartnershipKind,
    pub trust: f64,
}

/// A path between two actors, source first.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPath {
    pub hops: Vec<Hop>,
}

impl TrustPath {
    /// The product of the hops' trusts.
    pub fn trust(&self) -> f64 {
        self.hops.iter().map(|hop| hop.trust).product()
    }

    /// The same path walked from the other end: trust is the same both ways.
    pub fn reversed(&self) -> TrustPath {
        let hops = self
            .hops
            .iter()
            .rev()
            .map(|hop| Hop {
                from: hop.to.clone(),
                to: hop.from.clone(),
                ..hop.clone()
            })
            .collect();
        TrustPath { hops }
    }

    /// The actors between the two ends, in order.
    pub fn intermediaries(&self) -> impl Iterator<Item = &str> {
        self.hops.iter().skip(1).map(|hop| hop.from.as_str())
    }
}

/// A partnership as an exported edge.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphLink {
    pub partnership_id: String,
    pub actor_a: String,
    pub actor_b: String,
    pub kind: PartnershipKind,
    pub trust: f64,
}

/// Part of the graph: actor ids and the partnerships among them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Neighbourhood {
    pub actors: Vec<String>,
    pub links: Vec<GraphLink>,
}

/// A part of the graph with more partnerships than may be exported at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartTooLarge {
    /// The partnerships the part holds.
    pub links: usize,
    /// The most that may be exported at once.
    pub most: usize,
}

/// A common partner who can introduce an actor to a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerLink {
    pub broker: String,
    pub trust_to_actor: f64,
    pub trust_to_provider: f64,
}

impl BrokerLink {
    fn strength(&self) -> f64 {
        self.trust_to_actor * self.trust_to_provider
    }
}

/// Brokers named with an introduction, the strongest first: a partner of many shares many
/// brokers with the actor, and a reply need not list them all.
pub const MAX_BROKERS_NAMED: usize = 5;

/// An actor not yet partnered, reachable through brokers.
#[derive(Debug, Clone, PartialEq)]
pub struct Introduction {
    pub provider: String,
    /// Strongest introduction first.
    pub brokers: Vec<BrokerLink>,
    /// Adamic-Adar score weighted by trust.
    pub score: f64,
}

impl PartnershipGraph {
    /// An empty graph.
    pub fn new() -> PartnershipGraph {
        PartnershipGraph::default()
    }

    fn node(&mut self, actor_id: &str) -> NodeIndex {
        if let Some(&node) = self.nodes.get(actor_id) {
            return node;
        }
        let node = self.graph.add_node(actor_id.to_string());
        self.nodes.insert(CompactString::from(actor_id), node);
        if let Ok(number) = records::id_number::<Actor>(actor_id) {
            match usize::try_from(number) {
                Ok(at) if at < NUMBERED_AT_ONCE => {
                    if self.numbered.len() <= at {
                        self.numbered.resize(at + 1, NodeIndex::end());
                    }
                    self.numbered[at] = node;
                }
                _ => {
                    self.numbered_beyond.insert(number, node);
                }
            }
        }
        node
    }

    /// Adds a partnership's edge (and its actors' nodes when new). Partnerships come from the
    /// store, which names them `partnership-<number>`; one named otherwise is left out.
    pub fn add_partnership(&mut self, partnership: &Partnership) {
        if let Some((a, b)) = self.link(&PartnershipEnds::from(partnership)) {
            for node in [a, b] {
                let list = &mut self.adjacency[node.index()];
                if let Some((added, before)) = list.split_last() {
                    let at = before.partition_point(|other| other.trust >= added.trust);
                    list[at..].rotate_right(1);
                }
            }
        }
    }

    /// Adds many partnerships (a rebuild, an import), sorting each partnership list once at the
    /// end rather than at every edge: a hub has tens of thousands.
    pub fn add_partnerships<E>(
        &mut self,
        partnerships: impl IntoIterator<Item = Result<PartnershipEnds, E>>,
    ) -> Result<(), E> {
        let mut linked = Vec::new();
        for partnership in partnerships {
            if let Some((a, b)) = self.link(&partnership?) {
                linked.extend([a, b]);
            }
        }
        linked.sort_unstable();
        linked.dedup();
        self.sort_partnership_lists(linked);
        Ok(())
    }

    /// Puts the partnership lists of `nodes` highest trust first; equal trusts stay in the order
    /// they were linked in.
    fn sort_partnership_lists(&mut self, nodes: impl IntoIterator<Item = NodeIndex>) {
        for node in nodes {
            self.adjacency[node.index()].sort_by(|x, y| y.trust.total_cmp(&x.trust));
        }
    }

    /// Adds the partnership's edge, its end at the end of both actors' lists; returns the
    /// actors' nodes, or `None` for a partnership left out.
    fn link(&mut self, partnership: &PartnershipEnds) -> Option<(NodeIndex, NodeIndex)> {
        let PartnershipEnds {
            id,
            actor_a,
            actor_b,
            kind,
            trust,
        } = partnership;
        let Ok(number) = records::id_number::<Partnership>(id) else {
            tracing::warn!(%id, "partnership id is not a store id; left out of the graph");
            return None;
        };
        let a = self.node(actor_a);
        let b = self.node(actor_b);
        self.link_nodes(
            a,
            b,
            Link {
                number,
                kind: *kind,
                trust: *trust,
            },
        );
        Some((a, b))
    }

    /// Adds `link` between two nodes, its end at the end of both nodes' lists.
    fn link_nodes(&mut self, a: NodeIndex, b: NodeIndex, link: Link) {
        let (number, trust) = (link.number, link.trust);
        let edge = self.graph.add_edge(a, b, link);
        self.edges.insert(number, edge);
        let needed = a.index().max(b.index()) + 1;
        if self.adjacency.len() < needed {
            self.adjacency.resize_with(needed, Vec::new);
        }
        self.adjacency[a.index()].push(Adjacent { other: b, edge, trust });
        self.adjacency[b.index()].push(Adjacent { other: a, edge, trust });
    }

    /// Removes a partnership's edge; actors stay.
    pub fn remove_partnership(&mut self, partnership_id: &str) {
        let Some(edge) = records::id_number::<Partnership>(partnership_id)
            .ok()
            .and_then(|number| self.edges.remove(&number))
        else {
            return;
        };
        if let Some((a, b)) = self.graph.edge_endpoints(edge) {
            for node in [a, b] {
                if let Some(list) = self.adjacency.get_mut(node.index()) {
                    list.retain(|adjacent| adjacent.edge != edge);
                }
            }
        }
        self.graph.remove_edge(edge);
    }

    /// The partnerships of `node`.
    fn adjacent(&self, node: NodeIndex) -> &[Adjacent] {
        self.adjacency.get(node.index()).map_or(&[], Vec::as_slice)
    }

    /// Number of partnerships in the graph.
    pub fn partnership_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The best trust from `actor_id` to every actor within two hops, ready for path queries.
    pub fn proximity_from(&self, actor_id: &str) -> Proximity<'_> {
        let reach = self
            .scratch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        let mut proximity = Proximity {
            graph: self,
            source: self.nodes.get(actor_id).copied(),
            reach,
            partners: Vec::new(),
            touched: Vec::new(),
            touched_all: false,
            best_reach: 0.0,
            best_two: 0.0,
        };
        if let Some(source) = proximity.source {
            proximity.explore(source);
        }
        proximity
    }

    /// Actors two hops from `actor_id` that it has no partnership with yet, each with the
    /// brokers (common partners) who can introduce them, best first (at most
    /// [`MAX_BROKERS_NAMED`] of them). A broker counts
    /// `trust_to_actor x trust_to_provider / ln(1 + its partner count)` (Adamic-Adar weighted by
    /// trust): an introduction by a selective partner means more than one by a hub that knows
    /// everyone.
    pub fn introductions(&self, actor_id: &str) -> Vec<Introduction> {
        let Some(&source) = self.nodes.get(actor_id) else {
            return Vec::new();
        };
        let partners = self.best_links(source);
        let mut found: HashMap<NodeIndex, Introduction> = HashMap::new();
        for (&broker, &trust_to_actor) in &partners {
            let broker_links = self.best_links(broker);
            let selectivity = (1.0 + broker_links.len() as f64).ln();
            for (&provider, &trust_to_provider) in &broker_links {
                if provider == source || partners.contains_key(&provider) {
                    continue;
                }
                let introduction = found.entry(provider).or_insert_with(|| Introduction {
                    provider: self.graph[provider].clone(),
                    brokers: Vec::new(),
                    score: 0.0,
                });
                introduction.score += trust_to_actor * trust_to_provider / selectivity;
                introduction.brokers.push(BrokerLink {
                    broker: self.graph[broker].clone(),
                    trust_to_actor,
                    trust_to_provider,
                });
            }
        }
        let mut introductions: Vec<Introduction> = found.into_values().collect();
        for introduction in &mut introductions {
            introduction.brokers.sort_by(|a, b| {
                b.strength()
                    .total_cmp(&a.strength())
                    .then_with(|| a.broker.cmp(&b.broker))
            });
            // The score counts every broker; the list names the strongest few.
            introduction.brokers.truncate(MAX_BROKERS_NAMED);
        }
        introductions.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.provider.cmp(&b.provider)));
        introductions
    }

    /// The trust of the strongest direct partnership between two actors, if any.
    pub fn direct_trust(&self, a: &str, b: &str) -> Option<f64> {
        let (a, b) = (*self.nodes.get(a)?, *self.nodes.get(b)?);
        self.graph
            .edges_connecting(a, b)
            .map(|edge| edge.weight().trust)
            .reduce(f64::max)
    }

    /// The actors within `depth` hops of `around` (`around` itself always, partnerships or
    /// not) and the partnerships among them, in a stable order. Without `around`, every actor
    /// with a partnership: an actor whose partnerships all ended is no node of the graph rebuilt
    /// at the next open, so the whole graph leaves it out from the start, and an export says the
    /// same before and after a restart. A part of more than `most` partnerships (when given) is
    /// refused before its partnerships are written out.
    pub fn neighbourhood(
        &self,
        around: Option<&str>,
        depth: usize,
        most: Option<usize>,
    ) -> Result<Neighbourhood, PartTooLarge> {
        let nodes: Vec<NodeIndex> = match around {
            None => self
                .graph
                .node_indices()
                .filter(|&node| self.graph.neighbors(node).next().is_some())
                .collect(),
            Some(actor_id) => match self.nodes.get(actor_id) {
                Some(&start) => self.within(start, depth),
                None => {
                    return Ok(Neighbourhood {
                        actors: vec![actor_id.to_owned()],
                        links: Vec::new(),
                    });
                }
            },
        };
        let inside: HashSet<NodeIndex> = nodes.iter().copied().collect();
        let edges_inside: Vec<(EdgeIndex, NodeIndex, NodeIndex)> = self
            .graph
            .edge_indices()
            .filter_map(|edge| {
                let (a, b) = self.graph.edge_endpoints(edge)?;
                (inside.contains(&a) && inside.contains(&b)).then_some((edge, a, b))
            })
            .collect();
        if let Some(most) = most.filter(|most| edges_inside.len() > *most) {
            return Err(PartTooLarge {
                links: edges_inside.len(),
                most,
            });
        }
        let mut links: Vec<GraphLink> = edges_inside
            .into_iter()
            .filter_map(|(edge, a, b)| {
                let link = self.graph.edge_weight(edge)?;
                Some(GraphLink {
                    partnership_id: link.partnership_id(),
                    actor_a: self.graph[a].clone(),
                    actor_b: self.graph[b].clone(),
                    kind: link.kind,
                    trust: link.trust,
                })
            })
            .collect();
        links.sort_by(|x, y| x.partnership_id.cmp(&y.partnership_id));
        let mut actors: Vec<String> = nodes.into_iter().map(|node| self.graph[node].clone()).collect();
        actors.sort();
        Ok(Neighbourhood { actors, links })
    }

    fn within(&self, start: NodeIndex, depth: usize) -> Vec<NodeIndex> {
        // A set beside the list: around a hub at tier L the part holds tens of thousands of
        // actors, and looking each neighbour up in the list was quadratic.
        let mut seen = vec![start];
        let mut inside: HashSet<NodeIndex> = HashSet::from([start]);
        let mut frontier = vec![start];
        for _ in 0..depth {
            let mut next = Vec::new();
            for node in frontier {
                for neighbour in self.graph.neighbors(node) {
                    if inside.insert(neighbour) {
                        seen.push(neighbour);
                        next.push(neighbour);
                    }
                }
            }
            frontier = next;
        }
        seen
    }

    /// Each partner of `node` with the highest trust among the partnerships linking them.
    fn best_links(&self, node: NodeIndex) -> HashMap<NodeIndex, f64> {
        let mut links: HashMap<NodeIndex, f64> = HashMap::new();
        for edge in self.graph.edges(node) {
            let best = links.entry(edge.target()).or_insert(0.0);
            *best = best.max(edge.weight().trust);
        }
        links
    }

    fn hop(&self, from: NodeIndex, edge: EdgeIndex) -> Option<Hop> {
        let (a, b) = self.graph.edge_endpoints(edge)?;
        let to = if a == from { b } else { a };
        let link = self.graph.edge_weight(edge)?;
        Some(Hop {
            from: self.graph[from].clone(),
            to: self.graph[to].clone(),
            partnership_id: link.partnership_id(),
            kind: link.kind,
            trust: link.trust,
        })
    }
}

/// Best trusts from one source within two hops; a path to a target adds at most one edge.
#[derive(Debug)]
pub struct Proximity<'g> {
    graph: &'g PartnershipGraph,
    source: Option<NodeIndex>,
    /// By node index; only the entries of `partners` (in `one`) and `touched` (in `two`) are
    /// set, the rest are 0, unless `touched_all`.
    reach: Reach,
    /// Nodes whose `reach.one` this query set: the source's partners.
    partners: Vec<NodeIndex>,
    /// Nodes whose `reach.two` this query set.
    touched: Vec<NodeIndex>,
    /// Whether more entries were set than `touched` lists ([`TOUCHED_LISTED`]): a hub's
    /// partners reach most of the graph, and clearing the whole array at once then costs less
    /// than clearing tens of thousands of entries one by one.
    touched_all: bool,
    /// The highest one- or two-hop reach of any node: no path beats it.
    best_reach: f64,
    /// The highest two-hop reach of any node: no three-hop path beats it times its last edge.
    best_two: f64,
}

/// An actor a query can look for a path to: in the graph, and not the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target(NodeIndex);

/// How well the source reaches each node, by node index, in one and in two hops (trust 0: not
/// at all). A two-hop reach keeps only its trust: a hub requester's query sets tens of
/// thousands of them, and at 8 bytes a node the array stays in the processor's cache where
/// entries that also named each path's middle and edges (40 bytes) did not. The steps of the one path an explanation
/// shows are found again from these values ([`Proximity::trust_path`]).
#[derive(Debug, Default)]
struct Reach {
    /// Best direct partnership.
    one: Vec<f64>,
    /// Its edge, where `one` is set (stale elsewhere): a hub requester has thousands of
    /// partnerships, too many to look through again for the edge of each path explained.
    one_edge: Vec<EdgeIndex>,
    /// Best path of two hops.
    two: Vec<f64>,
}

impl Drop for Proximity<'_> {
    fn drop(&mut self) {
        for node in self.partners.drain(..) {
            self.reach.one[node.index()] = 0.0;
        }
        if self.touched_all {
            self.reach.two.fill(0.0);
        } else {
            for node in self.touched.drain(..) {
                self.reach.two[node.index()] = 0.0;
            }
        }
        let reach = std::mem::take(&mut self.reach);
        let mut scratch = self.graph.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        scratch.push(reach);
    }
}

impl Proximity<'_> {
    fn explore(&mut self, source: NodeIndex) {
        let graph = self.graph;
        let nodes = graph.adjacency.len();
        if self.reach.one.len() < nodes {
            self.reach.one.resize(nodes, 0.0);
            self.reach.one_edge.resize(nodes, EdgeIndex::end());
            self.reach.two.resize(nodes, 0.0);
        }
        let Reach { one, one_edge, two } = &mut self.reach;
        for adjacent in graph.adjacent(source) {
            let at = adjacent.other.index();
            if one[at] == 0.0 {
                self.partners.push(adjacent.other);
            }
            if adjacent.trust > one[at] {
                one[at] = adjacent.trust;
                one_edge[at] = adjacent.edge;
            }
        }
        // Partnerships come highest trust first.
        let best_one = graph.adjacent(source).first().map_or(0.0, |adjacent| adjacent.trust);
        let mut best_two: f64 = 0.0;
        for &middle in &self.partners {
            let first = one[middle.index()];
            for adjacent in graph.adjacent(middle) {
                if adjacent.other == source {
                    continue;
                }
                let trust = first * adjacent.trust;
                let reach = &mut two[adjacent.other.index()];
                if *reach == 0.0 {
                    if self.touched.len() < TOUCHED_LISTED {
                        self.touched.push(adjacent.other);
                    } else {
                        self.touched_all = true;
                    }
                }
                *reach = reach.max(trust);
                best_two = best_two.max(trust);
            }
        }
        self.best_two = best_two;
        self.best_reach = best_one.max(best_two);
    }

    fn one(&self, node: NodeIndex) -> f64 {
        self.reach.one.get(node.index()).copied().unwrap_or(0.0)
    }

    fn two(&self, node: NodeIndex) -> f64 {
        self.reach.two.get(node.index()).copied().unwrap_or(0.0)
    }

    /// `actor_id` as a target of paths from the source, when there can be one.
    pub fn target(&self, actor_id: &str) -> Option<Target> {
        self.target_at(*self.graph.nodes.get(actor_id)?)
    }

    /// The actor `actor-<number>` as a target of paths from the source, when there can be one.
    pub fn numbered_target(&self, number: u64) -> Option<Target> {
        let graph = self.graph;
        let node = match usize::try_from(number) {
            Ok(at) if at < NUMBERED_AT_ONCE => graph.numbered.get(at),
            _ => graph.numbered_beyond.get(&number),
        };
        self.target_at(*node?)
    }

    fn target_at(&self, node: NodeIndex) -> Option<Target> {
        (node != NodeIndex::end() && self.source.is_some_and(|source| source != node)).then_some(Target(node))
    }

    /// The highest-trust path of at most [`MAX_HOPS`] hops to `actor_id`, if any.
    pub fn trust_path(&self, actor_id: &str) -> Option<TrustPath> {
        let target = self.target(actor_id)?;
        let route = self.best_route(target, 0.0)?;
        let hops = self
            .steps(target, route.via)?
            .into_iter()
            .map(|(from, edge)| self.graph.hop(from, edge))
            .collect::<Option<Vec<_>>>()?;
        Some(TrustPath { hops })
    }

    /// An upper bound on [`Proximity::trust_to`] for every actor: the best one- or two-hop reach
    /// of any node (a third hop only lowers a two-hop reach).
    pub fn max_trust(&self) -> f64 {
        self.best_reach
    }

    /// An upper bound on the trust of the best path to `target`, found without looking for the
    /// path: its one- or two-hop reach, or a third hop from the best two-hop reach of any node
    /// over its strongest partnership. Ranking tightens a candidate's bound with it before
    /// scoring the candidate exactly.
    pub fn trust_bound(&self, Target(target): Target) -> f64 {
        // Partnerships come highest trust first.
        let strongest = self
            .graph
            .adjacent(target)
            .first()
            .map_or(0.0, |adjacent| adjacent.trust);
        self.one(target).max(self.two(target)).max(self.best_two * strongest)
    }

    /// The trust of [`Proximity::trust_path`]'s path, without naming it.
    pub fn trust_to(&self, actor_id: &str) -> Option<f64> {
        self.trust_at_least(self.target(actor_id)?, 0.0)
    }

    /// The trust of the best path to `target` when it is at least `floor`, else `None`; paths
    /// below `floor` are not looked for. A candidate needing a trust of at least `floor` to
    /// enter a ranking is scored without scanning a hub provider's every partnership for a path
    /// it cannot use.
    pub fn trust_at_least(&self, target: Target, floor: f64) -> Option<f64> {
        self.best_route(target, floor).map(|route| route.trust)
    }

    /// The best path to `target` when its trust is at least `floor`.
    fn best_route(&self, Target(target): Target, floor: f64) -> Option<Route> {
        let source = self.source?;
        // A target is never the source of the query that made it; one from another query
        // could be, and would make a cycle a path.
        debug_assert_ne!(source, target, "a target of another query's source");
        let mut best = Route {
            trust: self.one(target),
            via: Via::Direct,
        };
        let two = self.two(target);
        if two > best.trust {
            best = Route {
                trust: two,
                via: Via::Middle,
            };
        }
        // Three hops: the best two-hop reach of each partner of the target, plus that last edge.
        // A two-hop reach through the target itself would repeat it, and is never better than
        // its direct partnership, already counted (trusts are at most 1). The edges come
        // highest trust first, so once one cannot beat the best path, none can.
        for adjacent in self.graph.adjacent(target) {
            let reachable = adjacent.trust * self.best_two;
            if reachable <= best.trust || reachable < floor {
                break;
            }
            let trust = self.two(adjacent.other) * adjacent.trust;
            if adjacent.other != source && trust > best.trust {
                best = Route {
                    trust,
                    via: Via::Partner(adjacent.other, adjacent.edge),
                };
            }
        }
        (best.trust > 0.0 && best.trust >= floor).then_some(best)
    }

    /// The (from, edge) steps of a path to `target` of the trust `via` was found with. A two-hop
    /// reach keeps no middle: the first partnership of its end (highest trust first) that makes
    /// the recorded value from a partner of the source gives one; among paths of equal trust,
    /// that order picks the same one at every query.
    fn steps(&self, Target(target): Target, via: Via) -> Option<Vec<(NodeIndex, EdgeIndex)>> {
        let source = self.source?;
        let direct = |node: NodeIndex| (self.one(node) > 0.0).then(|| (source, self.reach.one_edge[node.index()]));
        let through_middle = |node: NodeIndex| {
            let two = self.two(node);
            let last = self
                .graph
                .adjacent(node)
                .iter()
                .find(|adjacent| adjacent.other != source && self.one(adjacent.other) * adjacent.trust == two)?;
            Some([direct(last.other)?, (last.other, last.edge)])
        };
        Some(match via {
            Via::Direct => vec![direct(target)?],
            Via::Middle => through_middle(target)?.to_vec(),
            Via::Partner(partner, edge) => {
                let [first, second] = through_middle(partner)?;
                vec![first, second, (partner, edge)]
            }
        })
    }
}

/// The trust of the best path a query found to a target, and how it runs.
#[derive(Debug, Clone, Copy)]
struct Route {
    trust: f64,
    via: Via,
}

/// How a path runs: ranking needs only its trust, so the steps are found only for the path an
/// explanation shows ([`Proximity::steps`]).
#[derive(Debug, Clone, Copy)]
enum Via {
    /// The source's own partnership with the target.
    Direct,
    /// Through the node that gave the target its two-hop reach.
    Middle,
    /// Through this partner of the target, over this last partnership.
    Partner(NodeIndex, EdgeIndex),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PartnershipSpec;

    fn graph(links: &[(&str, &str, f64)]) -> PartnershipGraph {
        let mut graph = PartnershipGraph::new();
        for (i, (a, b, trust)) in links.iter().enumerate() {
            graph.add_partnership(&partnership(i, a, b, *trust));
        }
        graph
    }

    pub(super) fn partnership(number: usize, a: &str, b: &str, trust: f64) -> Partnership {
        Partnership {
            id: format!("partnership-{number}"),
            spec: PartnershipSpec {
                actor_a: a.to_string(),
                actor_b: b.to_string(),
                kind: PartnershipKind::JointProgramme,
                trust,
                since: None,
                note: String::new(),
                claimed_by: None,
            },
            created_at: 0,
        }
    }

    #[test]
    fn a_query_that_reaches_most_of_the_graph_leaves_nothing_behind() {
        let mut graph = PartnershipGraph::new();
        let leaves = TOUCHED_LISTED + 100;
        for leaf in 0..leaves {
            graph.add_partnership(&partnership(leaf, "actor-1", &format!("actor-{}", leaf + 10), 0.8));
        }
        graph.add_partnership(&partnership(leaves, "actor-5", "actor-6", 0.9));
        // Reaches every leaf, more than it lists; then a query from elsewhere reuses the array.
        assert_eq!(graph.proximity_from("actor-1").trust_to("actor-10"), Some(0.8));
        let elsewhere = graph.proximity_from("actor-5");
        assert_eq!(elsewhere.trust_to("actor-6"), Some(0.9));
        for leaf in [10, 11, leaves + 9] {
            assert_eq!(elsewhere.trust_to(&format!("actor-{leaf}")), None, "actor-{leaf}");
        }
        drop(elsewhere);
        // A leaf reaches every other leaf in two hops, more than it lists: the two-hop array is
        // cleared whole, and a later query finds none of those reaches.
        let leaf = graph.proximity_from("actor-10");
        assert!((leaf.trust_to("actor-11").unwrap() - 0.64).abs() < 1e-12);
        assert!((leaf.trust_to(&format!("actor-{}", leaves + 9)).unwrap() - 0.64).abs() < 1e-12);
        drop(leaf);
        let elsewhere = graph.proximity_from("actor-5");
        for leaf in [11, leaves + 9] {
            assert_eq!(elsewhere.trust_to(&format!("actor-{leaf}")), None, "actor-{leaf}");
        }
    }

    #[test]
    fn an_actor_found_by_record_number_is_the_one_found_by_id() {
        let mut graph = PartnershipGraph::new();
        graph.add_partnership(&partnership(1, "actor-3", "actor-7", 0.8));
        graph.add_partnership(&partnership(2, "actor-7", "elsewhere-2", 0.5));
        let proximity = graph.proximity_from("actor-3");
        assert_eq!(proximity.numbered_target(7), proximity.target("actor-7"));
        assert!(proximity.numbered_target(7).is_some());
        let target = proximity.numbered_target(7).unwrap();
        assert_eq!(proximity.trust_at_least(target, 0.0), Some(0.8));
        assert_eq!(proximity.numbered_target(3), None, "the source is no target");
        assert_eq!(proximity.numbered_target(2), None, "only store ids are numbered");
        assert_eq!(proximity.numbered_target(5), None);
        assert_eq!(proximity.numbered_target(u64::MAX), None);
        drop(proximity);
        // Numbers past the array, a damaged id's included, are found without growing it.
        let far = NUMBERED_AT_ONCE as u64 * 1000;
        graph.add_partnership(&partnership(3, "actor-3", &format!("actor-{far}"), 0.6));
        graph.add_partnership(&partnership(4, "actor-3", &format!("actor-{}", u64::MAX), 0.5));
        assert!(graph.numbered.len() <= 8);
        let proximity = graph.proximity_from("actor-3");
        for (number, trust) in [(far, 0.6), (u64::MAX, 0.5)] {
            let target = proximity.numbered_target(number).unwrap();
            assert_eq!(Some(target), proximity.target(&format!("actor-{number}")));
            assert_eq!(proximity.trust_at_least(target, 0.0), Some(trust));
        }
    }

    fn path_actors(path: &TrustPath) -> Vec<&str> {
        let mut actors = vec![path.hops[0].from.as_str()];
        actors.extend(path.hops.iter().map(|hop| hop.to.as_str()));
        actors
    }

    #[test]
    fn prefers_a_higher_trust_three_hop_path() {
        let graph = graph(&[
            ("s", "t", 0.2),
            ("s", "m", 0.5),
            ("m", "t", 0.5),
            ("s", "x", 0.9),
            ("x", "y", 0.9),
            ("y", "t", 0.9),
        ]);
        let path = graph.proximity_from("s").trust_path("t").unwrap();
        assert_eq!(path_actors(&path), ["s", "x", "y", "t"]);
        assert!((path.trust() - 0.729).abs() < 1e-12);
    }

    /// The best product of trusts over simple paths of at most three hops, by trying them all.
    fn best_trust_by_search(links: &[(String, String, f64)], from: &str, to: &str) -> f64 {
        fn walk(links: &[(String, String, f64)], at: &str, to: &str, seen: &mut Vec<String>, trust: f64) -> f64 {
            if at == to {
                return trust;
            }
            if seen.len() > MAX_HOPS {
                return 0.0;
            }
            let mut best: f64 = 0.0;
            for (a, b, edge) in links {
                let next = match (a == at, b == at) {
                    (true, _) => b,
                    (_, true) => a,
                    _ => continue,
                };
                if seen.contains(next) {
                    continue;
                }
                seen.push(next.clone());
                best = best.max(walk(links, next, to, seen, trust * edge));
                seen.pop();
            }
            best
        }
        walk(links, from, to, &mut vec![from.to_string()], 1.0)
    }

    proptest::proptest! {
        /// On random graphs, some edges added one by one (sorted into place) and the rest in
        /// bulk (sorted at the end), the search with its early stop finds the best trust there
        /// is within three hops, along a path of at most three hops whose trusts multiply to it;
        /// ranking's bound on that trust is never below it.
        #[test]
        fn trust_paths_equal_an_exhaustive_search(
            edges in proptest::collection::vec((0..9usize, 0..9usize, 1..=100u32), 0..28),
            one_by_one in 0..28usize,
        ) {
            let links: Vec<(String, String, f64)> = edges
                .iter()
                .filter(|(a, b, _)| a != b)
                .map(|(a, b, trust)| (format!("n{a}"), format!("n{b}"), f64::from(*trust) / 100.0))
                .collect();
            let mut built = PartnershipGraph::new();
            let all: Vec<Partnership> =
                links.iter().enumerate().map(|(i, (a, b, trust))| partnership(i, a, b, *trust)).collect();
            let split = one_by_one.min(all.len());
            let Ok(()) = built.add_partnerships(all[split..].iter().map(|p| Ok::<_, std::convert::Infallible>(PartnershipEnds::from(p))));
            for partnership in &all[..split] {
                built.add_partnership(partnership);
            }
            for from in 0..9 {
                let from = format!("n{from}");
                let proximity = built.proximity_from(&from);
                for to in 0..9 {
                    let to = format!("n{to}");
                    if to == from {
                        continue;
                    }
                    let expected = best_trust_by_search(&links, &from, &to);
                    let found = proximity.trust_path(&to);
                    let trust = found.as_ref().map_or(0.0, TrustPath::trust);
                    proptest::prop_assert!((trust - expected).abs() < 1e-12, "{from} -> {to}: {trust} vs {expected}");
                    let bound = proximity.target(&to).map_or(0.0, |target| proximity.trust_bound(target));
                    proptest::prop_assert!(bound + 1e-12 >= trust, "{from} -> {to}: bound {bound} < {trust}");
                    // A floor below the best trust finds it; one above finds nothing.
                    for floor in [trust - 1e-9, trust + 1e-9, 0.25, 0.5] {
                        let at_least = proximity.target(&to).and_then(|target| proximity.trust_at_least(target, floor));
                        if trust > 0.0 && trust >= floor {
                            let found = at_least.unwrap_or(-1.0);
                            proptest::prop_assert!((found - trust).abs() < 1e-12, "{from} -> {to} at least {floor}: {found} vs {trust}");
                        } else {
                            proptest::prop_assert!(at_least.is_none(), "{from} -> {to} at least {floor}: {at_least:?} vs {trust}");
                        }
                    }
                    if let Some(path) = found {
                        proptest::prop_assert!(path.hops.len() <= MAX_HOPS);
                        let product: f64 = path.hops.iter().map(|hop| hop.trust).product();
                        proptest::prop_assert!((product - trust).abs() < 1e-12);
                        // A path from the source to the target, each hop starting where the
                        // last ended, through no actor twice.
                        let actors = path_actors(&path);
                        proptest::prop_assert_eq!(actors.first().copied(), Some(from.as_str()));
                        proptest::prop_assert_eq!(actors.last().copied(), Some(to.as_str()));
                        proptest::prop_assert!(path.hops.windows(2).all(|pair| pair[0].to == pair[1].from), "{:?}", path);
                        let distinct: std::collections::HashSet<_> = actors.iter().collect();
                        proptest::prop_assert_eq!(distinct.len(), actors.len(), "{:?}", path);
                    }
                }
            }
        }
    }

    #[test]
    fn never_returns_more_than_three_hops() {
        let graph = graph(&[("a", "b", 1.0), ("b", "c", 1.0), ("c", "d", 1.0), ("d", "e", 1.0)]);
        let proximity = graph.proximity_from("a");
        assert_eq!(proximity.trust_path("d").map(|p| p.hops.len()), Some(3));
        assert_eq!(proximity.trust_path("e"), None);
    }

    #[test]
    fn introductions_prefer_selective_brokers_and_skip_known_partners() {
        let graph = graph(&[
            ("me", "hub", 0.9),
            ("hub", "p1", 0.9),
            ("hub", "p2", 0.9),
            ("hub", "p3", 0.9),
            ("me", "friend", 0.9),
            ("friend", "p2", 0.9),
            ("me", "p3", 0.5),
        ]);
        let introductions = graph.introductions("me");
        let providers: Vec<&str> = introductions.iter().map(|i| i.provider.as_str()).collect();
        assert_eq!(providers, ["p2", "p1"], "p3 is already a partner");
        let p2 = &introductions[0];
        assert_eq!(
            p2.brokers[0].broker, "friend",
            "two partners make friend more selective than hub"
        );
        let expected = 0.81 / 3f64.ln() + 0.81 / 5f64.ln();
        assert!((p2.score - expected).abs() < 1e-12, "{}", p2.score);
    }

    #[test]
    fn neighbourhood_stops_at_the_depth() {
        let graph = graph(&[("a", "b", 0.5), ("b", "c", 0.5), ("c", "d", 0.5)]);
        let around = graph.neighbourhood(Some("b"), 1, None).unwrap();
        assert_eq!(around.actors, ["a", "b", "c"]);
        assert_eq!(around.links.len(), 2);
        assert_eq!(graph.neighbourhood(None, 0, None).unwrap().links.len(), 3);
        assert_eq!(graph.neighbourhood(None, 0, Some(3)).unwrap().links.len(), 3);
        assert_eq!(
            graph.neighbourhood(None, 0, Some(2)),
            Err(PartTooLarge { links: 3, most: 2 })
        );
        // An actor without partnerships (the hub checks it exists) is its own neighbourhood.
        let alone = graph.neighbourhood(Some("loner"), 2, None).unwrap();
        assert_eq!((alone.actors, alone.links.len()), (vec!["loner".to_owned()], 0));
    }

    #[test]
    fn removed_partnerships_no_longer_carry_trust() {
        let mut graph = graph(&[("a", "b", 0.8)]);
        assert!(graph.proximity_from("a").trust_path("b").is_some());
        graph.remove_partnership("partnership-0");
        assert_eq!(graph.proximity_from("a").trust_path("b"), None);
        assert_eq!(graph.proximity_from("unknown").trust_path("b"), None);
    }
}
