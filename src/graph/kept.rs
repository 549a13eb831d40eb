//! The graph as kept between opens ([`crate::store::Store::keep_graph`]): its actors and its
//! partnerships as a rebuild from the store would link them, so that the graph made from it is
//! the one a rebuild makes, down to the order of equal trusts in the partnership lists.
//!
//! A rebuild links partnerships in id order and adds each actor's node when a partnership first
//! names it. The kept form lists the actors in that order and the partnerships in id order, each
//! naming its actors by position in that list: the graph is made again without reading a
//! partnership record or looking an actor id up per partnership.

use petgraph::stable_graph::NodeIndex;
use petgraph::visit::NodeIndexable;
use serde::{Deserialize, Serialize};

use super::{Link, PartnershipGraph};
use crate::domain::PartnershipKind;
use crate::domain::partnership::effective_trust;

/// Why a kept graph could not be read back; the caller rebuilds from the store.
#[derive(Debug, thiserror::Error)]
pub enum KeptGraphError {
    /// The bytes are not a kept graph of this release.
    #[error("undecodable: {0}")]
    Undecodable(#[from] postcard::Error),
    /// The bytes decode but do not describe a graph a rebuild makes.
    #[error("inconsistent: {0}")]
    Inconsistent(&'static str),
    /// Kept by a release whose partnerships become edges by other rules.
    #[error("kept under other rules (a claimed partnership at full trust counted {0}, now {now})", now = claimed_full_trust())]
    OtherRules(f64),
}

/// The kept form.
#[derive(Serialize, Deserialize)]
struct Kept<'a> {
    /// [`claimed_full_trust`] when the form was kept: edges kept under another rule for claimed
    /// partnerships are not used.
    claimed_full_trust: f64,
    /// Actor ids, in the order a rebuild adds their nodes.
    #[serde(borrow)]
    actors: Vec<&'a str>,
    /// Partnerships, in id order.
    links: Vec<KeptLink>,
}

/// One partnership, its actors by position in [`Kept::actors`].
#[derive(Serialize, Deserialize)]
struct KeptLink {
    number: u64,
    actor_a: u32,
    actor_b: u32,
    kind: PartnershipKind,
    trust: f64,
}

/// What the graph counts for a partnership one side claims at full trust: the one rule between a
/// partnership record and its edge ([`effective_trust`]) that a release could change without
/// changing the records, sampled through the rule itself.
fn claimed_full_trust() -> f64 {
    effective_trust(1.0, true)
}

impl PartnershipGraph {
    /// The graph in its kept form: what a rebuild from the store's partnerships would make,
    /// whatever removals and additions this graph has seen since it was built.
    pub fn kept_form(&self) -> Vec<u8> {
        let mut edges: Vec<_> = self.edges.iter().map(|(&number, &edge)| (number, edge)).collect();
        edges.sort_unstable_by_key(|&(number, _)| number);
        // Position of each node in `actors`, once it has one.
        let mut position = vec![u32::MAX; self.graph.node_bound()];
        let mut actors = Vec::new();
        let mut place = |node: NodeIndex| {
            let at = &mut position[node.index()];
            if *at == u32::MAX {
                *at = u32::try_from(actors.len()).unwrap_or(u32::MAX);
                actors.push(self.graph[node].as_str());
            }
            *at
        };
        let links = edges
            .into_iter()
            .filter_map(|(number, edge)| {
                let (a, b) = self.graph.edge_endpoints(edge)?;
                let Link { number: _, kind, trust } = self.graph[edge];
                Some(KeptLink {
                    number,
                    actor_a: place(a),
                    actor_b: place(b),
                    kind,
                    trust,
                })
            })
            .collect();
        // Encoding into a vector fails only for types serde cannot describe, and these can.
        let kept = Kept {
            claimed_full_trust: claimed_full_trust(),
            actors,
            links,
        };
        postcard::to_allocvec(&kept).unwrap_or_default()
    }

    /// The graph made from its kept form. A form that is not one [`PartnershipGraph::kept_form`]
    /// makes (actors not in the order the partnerships first name them, an actor listed twice
    /// or never named, partnerships out of id order) is refused.
    pub fn from_kept_form(bytes: &[u8]) -> Result<PartnershipGraph, KeptGraphError> {
        let Kept {
            claimed_full_trust: kept_claimed,
            actors,
            links,
        } = postcard::from_bytes(bytes)?;
        if kept_claimed.to_bits() != claimed_full_trust().to_bits() {
            return Err(KeptGraphError::OtherRules(kept_claimed));
        }
        let mut graph = PartnershipGraph::new();
        let mut nodes: Vec<NodeIndex> = Vec::with_capacity(actors.len());
        let mut last = None;
        for KeptLink {
            number,
            actor_a,
            actor_b,
            kind,
            trust,
        } in links
        {
            if last.is_some_and(|last| number <= last) {
                return Err(KeptGraphError::Inconsistent("partnerships out of id order"));
            }
            last = Some(number);
            let a = graph.kept_node(&actors, &mut nodes, actor_a)?;
            let b = graph.kept_node(&actors, &mut nodes, actor_b)?;
            graph.link_nodes(a, b, Link { number, kind, trust });
        }
        if nodes.len() != actors.len() {
            return Err(KeptGraphError::Inconsistent(
                "an actor is listed that no partnership names",
            ));
        }
        graph.sort_partnership_lists(nodes);
        Ok(graph)
    }

    /// The node of the actor at `position` in the kept form's list, added as a rebuild adds it:
    /// when a partnership first names it, so the next new one must be the next listed.
    fn kept_node(
        &mut self,
        actors: &[&str],
        nodes: &mut Vec<NodeIndex>,
        position: u32,
    ) -> Result<NodeIndex, KeptGraphError> {
        let position = usize::try_from(position).unwrap_or(usize::MAX);
        if let Some(&node) = nodes.get(position) {
            return Ok(node);
        }
        if position > nodes.len() {
            return Err(KeptGraphError::Inconsistent(
                "actors not listed in the order the partnerships first name them",
            ));
        }
        let actor = actors
            .get(position)
            .ok_or(KeptGraphError::Inconsistent("a partnership names an actor not listed"))?;
        let node = self.node(actor);
        if node.index() != nodes.len() {
            return Err(KeptGraphError::Inconsistent("an actor is listed twice"));
        }
        nodes.push(node);
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::partnership;
    use super::*;

    /// One node's actor and its partnership list in order: partner, partnership, trust.
    type NodeLayout = (String, Vec<(String, u64, u64)>);

    /// Everything a rebuild decides: each actor's node, and each node's partnership list.
    fn layout(graph: &PartnershipGraph) -> Vec<NodeLayout> {
        graph
            .graph
            .node_indices()
            .map(|node| {
                let list = graph
                    .adjacent(node)
                    .iter()
                    .map(|adjacent| {
                        let link = &graph.graph[adjacent.edge];
                        (graph.graph[adjacent.other].clone(), link.number, link.trust.to_bits())
                    })
                    .collect();
                (graph.graph[node].clone(), list)
            })
            .collect()
    }

    /// Each actor number's node, as ranking finds providers.
    fn numbered(graph: &PartnershipGraph) -> Vec<(usize, String)> {
        (0..graph.numbered.len())
            .filter(|&at| graph.numbered[at] != NodeIndex::end())
            .map(|at| (at, graph.graph[graph.numbered[at]].clone()))
            .collect()
    }

    #[test]
    fn a_graph_made_from_its_kept_form_is_the_graph_a_rebuild_makes() {
        // Many equal trusts, so that the order partnerships are linked in decides the lists.
        let all: Vec<_> = (0..120)
            .map(|i| {
                partnership(
                    i,
                    &format!("actor-{}", i % 9),
                    &format!("actor-{}", (i * 5 + 1) % 11),
                    [0.5, 0.8][i % 2],
                )
            })
            .filter(|p| p.spec.actor_a != p.spec.actor_b)
            // Two actors whose only partnership is taken away: a rebuild never adds them.
            .chain([partnership(1003, "actor-90", "actor-91", 0.5)])
            .collect();
        // Built one at a time, with removals, as a running hub's graph is.
        let mut live = PartnershipGraph::new();
        for p in all.iter().rev() {
            live.add_partnership(p);
        }
        let removed: Vec<_> = all.iter().filter(|p| p.id.ends_with('3')).collect();
        for p in &removed {
            live.remove_partnership(&p.id);
        }
        let kept: Vec<_> = all.iter().filter(|p| !p.id.ends_with('3')).collect();
        let mut rebuilt = PartnershipGraph::new();
        rebuilt
            .add_partnerships(
                kept.iter()
                    .map(|p| Ok::<_, ()>(crate::domain::PartnershipEnds::from(*p))),
            )
            .unwrap();

        let made = PartnershipGraph::from_kept_form(&live.kept_form()).unwrap();
        assert_eq!(layout(&made), layout(&rebuilt));
        assert_eq!(numbered(&made), numbered(&rebuilt));
        assert!(live.nodes.contains_key("actor-90") && !made.nodes.contains_key("actor-90"));
        assert_eq!(made.partnership_count(), kept.len());
        assert_eq!(made.kept_form(), rebuilt.kept_form());
        // The live graph's own layout differs (it linked in reverse): the kept form is not a copy.
        assert_ne!(layout(&live), layout(&rebuilt));
    }

    #[test]
    fn a_kept_form_that_is_not_a_graph_is_refused() {
        let graph = PartnershipGraph::from_kept_form(&PartnershipGraph::new().kept_form()).unwrap();
        assert_eq!(graph.partnership_count(), 0);
        let kept = |actors: Vec<&str>, links: Vec<(u64, u32, u32)>| {
            let links = links
                .into_iter()
                .map(|(number, actor_a, actor_b)| KeptLink {
                    number,
                    actor_a,
                    actor_b,
                    kind: PartnershipKind::JointProgramme,
                    trust: 0.5,
                })
                .collect();
            postcard::to_allocvec(&Kept {
                claimed_full_trust: claimed_full_trust(),
                actors,
                links,
            })
            .unwrap()
        };
        assert!(PartnershipGraph::from_kept_form(&kept(vec!["actor-1", "actor-2"], vec![(1, 0, 1)])).is_ok());
        for (bytes, why) in [
            (kept(vec!["actor-1", "actor-1"], vec![(1, 0, 1)]), "listed twice"),
            (
                kept(vec!["actor-1", "actor-2"], vec![(2, 0, 1), (1, 1, 0)]),
                "out of id order",
            ),
            (kept(vec!["actor-1", "actor-2"], vec![(1, 0, 2)]), "not listed"),
            (vec![0xff; 3], "undecodable"),
            (
                postcard::to_allocvec(&Kept {
                    claimed_full_trust: 0.4,
                    actors: vec!["actor-1", "actor-2"],
                    links: Vec::new(),
                })
                .unwrap(),
                "other rules",
            ),
        ] {
            let error = PartnershipGraph::from_kept_form(&bytes)
                .err()
                .map(|error| error.to_string());
            assert!(error.as_deref().is_some_and(|error| error.contains(why)), "{error:?}");
        }
    }
}
