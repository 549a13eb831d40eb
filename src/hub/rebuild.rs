//! Opening: the partnership graph, the offer catalogue and the providers' track records rebuilt
//! from the store, on both cores.
//!
//! At tier L reading a million partnerships takes longer than everything else an open does, and
//! linking them into the graph cannot be shared: the graph is one structure, and partnerships
//! are linked in id order so that ties in the partnership lists, and so the trust paths
//! explained, come out the same at every open. So the partnerships are read in parts, by one
//! thread from the start and by the catalogue's thread too once the catalogue is built, and a
//! third thread links the parts in order as they arrive.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use super::catalogue::Catalogue;
use super::{HubError, TrackRecords};
use crate::domain::{Partnership, PartnershipEnds};
use crate::graph::PartnershipGraph;
use crate::store::{Store, StoreError};

/// How many parts the partnerships are read in: enough that the linker starts early and both
/// cores end together, few enough that a part is thousands of partnerships at tier L.
const PARTS: u64 = 32;

/// What opening rebuilds.
pub(super) struct Rebuilt {
    pub(super) graph: PartnershipGraph,
    pub(super) catalogue: Catalogue,
    pub(super) track_records: TrackRecords,
}

/// Rebuilds the graph, the catalogue and the track records from `store`.
pub(super) fn rebuild(store: &Store) -> Result<Rebuilt, HubError> {
    let (parts, arriving) = Parts::of(store)?;
    let parts = Arc::new(parts);
    std::thread::scope(|scope| {
        let graph = scope.spawn(|| link(arriving));
        let reader = Arc::clone(&parts);
        let reading = scope.spawn(move || reader.read(store));
        let catalogue = Catalogue::load(store).map_err(HubError::from);
        // The catalogue built, this thread reads parts too; a panic above drops its handle on
        // the parts, so the linker is never left waiting for a part nobody will read.
        parts.read(store);
        drop(parts);
        let track_records = TrackRecords::load(store);
        reading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let graph = graph.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok(Rebuilt {
            graph: graph?,
            catalogue: catalogue?,
            track_records: track_records?,
        })
    })
}

/// One part of the partnerships, read.
type Part = Result<Vec<PartnershipEnds>, StoreError>;

/// The partnerships' id ranges, handed out in order to whichever reader asks next, and where
/// each part goes once read.
struct Parts {
    ranges: Vec<Range<u64>>,
    next: AtomicUsize,
    /// Taken by the reader of each part: dropped unsent if that reader panics, which the linker
    /// then sees.
    senders: Vec<Mutex<Option<SyncSender<Part>>>>,
}

impl Parts {
    /// The parts of the store's partnerships, and the receivers the linker waits on, in order.
    fn of(store: &Store) -> Result<(Parts, Vec<Receiver<Part>>), StoreError> {
        let ranges = match store.number_span::<Partnership>()? {
            Some(span) => {
                let (first, end) = (*span.start(), span.end().saturating_add(1));
                let size = (end - first).div_ceil(PARTS).max(1);
                (first..end)
                    .step_by(usize::try_from(size).unwrap_or(usize::MAX))
                    .map(|start| start..start.saturating_add(size).min(end))
                    .collect()
            }
            None => Vec::new(),
        };
        let (senders, receivers) = ranges
            .iter()
            .map(|_| {
                let (sender, receiver) = sync_channel(1);
                (Mutex::new(Some(sender)), receiver)
            })
            .unzip();
        let parts = Parts {
            ranges,
            next: AtomicUsize::new(0),
            senders,
        };
        Ok((parts, receivers))
    }

    /// Reads parts, in order, until none is left.
    fn read(&self, store: &Store) {
        loop {
            let at = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(range) = self.ranges.get(at) else {
                return;
            };
            let sender = self.senders[at].lock().unwrap_or_else(PoisonError::into_inner).take();
            let Some(sender) = sender else { continue };
            let part = store.partnership_ends_in(range.clone()).collect();
            // A linker gone has failed already and says why.
            let _ = sender.send(part);
        }
    }
}

/// The graph from the parts, linked in order as they arrive.
fn link(arriving: Vec<Receiver<Part>>) -> Result<PartnershipGraph, HubError> {
    let partnerships = arriving.into_iter().flat_map(|receiver| {
        let part = receiver.recv().unwrap_or_else(|_| {
            Err(StoreError::Incompatible(
                "the partnerships could not all be read: a reader stopped".into(),
            ))
        });
        let (read, failed) = match part {
            Ok(read) => (read, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        read.into_iter().map(Ok).chain(failed.map(Err))
    });
    let mut graph = PartnershipGraph::new();
    graph.add_partnerships(partnerships)?;
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PartnershipKind, PartnershipSpec};
    use crate::store::{StoreConfig, WriteSet};

    /// Partnerships among 12 actors, numbered with gaps (as other records take numbers between
    /// them), many of equal trust so that the order they are linked in decides ties.
    fn partnerships() -> Vec<Partnership> {
        (0..150u64)
            .map(|i| Partnership {
                id: format!("partnership-{}", 1 + i * 3 + i % 2),
                spec: PartnershipSpec {
                    actor_a: format!("actor-{}", i % 12),
                    actor_b: format!("actor-{}", (i * 7 + 1 + i / 12) % 12),
                    kind: PartnershipKind::JointProgramme,
                    trust: [0.5, 0.8][(i % 2) as usize],
                    since: (i % 3 == 0).then(|| chrono::NaiveDate::from_ymd_opt(2018, 12, 10).unwrap()),
                    note: if i % 4 == 0 {
                        format!("joint programme {i}")
                    } else {
                        String::new()
                    },
                    // Claimed ones carry capped trust: the graph must read the claim.
                    claimed_by: (i % 5 == 0).then(|| format!("actor-{}", i % 12)),
                },
                created_at: 0,
            })
            .filter(|p| p.spec.actor_a != p.spec.actor_b)
            .collect()
    }

    #[test]
    fn the_graph_read_in_parts_equals_the_graph_read_in_one_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        let mut writes = WriteSet::default();
        let written = partnerships();
        for partnership in &written {
            writes.put(None, partnership).unwrap();
        }
        store.apply(writes).unwrap();
        let (parts, _) = Parts::of(&store).unwrap();
        assert!(parts.ranges.len() > 10, "read in parts: {}", parts.ranges.len());

        let rebuilt = rebuild(&store).unwrap().graph;
        let mut in_one_go = PartnershipGraph::new();
        // Read whole, not through the stored view the rebuild reads.
        let whole = store
            .all::<Partnership>()
            .map(|read| read.map(|p| PartnershipEnds::from(&p)));
        in_one_go.add_partnerships(whole).unwrap();
        assert_eq!(rebuilt.partnership_count(), written.len());
        for from in 0..12 {
            let from = format!("actor-{from}");
            let (a, b) = (rebuilt.proximity_from(&from), in_one_go.proximity_from(&from));
            for to in 0..12 {
                let to = format!("actor-{to}");
                assert_eq!(a.trust_path(&to), b.trust_path(&to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn a_store_without_partnerships_opens_with_an_empty_graph() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        assert_eq!(rebuild(&store).unwrap().graph.partnership_count(), 0);
    }
}
