//! Opening: the partnership graph, the offer catalogue and the providers' track records rebuilt
//! from the store, on both cores.
//!
//! The graph is made from the form kept at the last open or shutdown when the partnerships have
//! not changed since ([`crate::store::Store::kept_graph`]), on one thread while the catalogue
//! is built on the other. Otherwise it is rebuilt from the partnerships and kept for the next
//! open.
//!
//! Reading a record (decoding it, and for an offer finding its kept reading) can be shared
//! between threads; filing it cannot: the catalogue and the graph are each one structure, and
//! records are filed in id order so that the vocabulary's numbering, the ties in the
//! partnership lists and so the trust paths explained come out the same at every open. So the
//! records are read in parts by two threads, and the catalogue's thread files the offers, and
//! the graph's links the partnerships, each in order as the parts arrive.

use std::ops::{Range, RangeInclusive};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use super::catalogue::{Catalogue, read_records};
use super::{HubError, TrackRecords};
use crate::domain::{Offer, Partnership};
use crate::graph::PartnershipGraph;
use crate::store::{Store, StoreError};

/// How many parts the partnerships are read in: enough that the linker starts early and both
/// cores end together, few enough that a part is thousands of partnerships at tier L.
const PARTNERSHIP_PARTS: u64 = 32;

/// How many parts the offers are read in, for the same reasons: thousands of offers a part at
/// tier L.
const OFFER_PARTS: u64 = 16;

/// What opening rebuilds.
pub(super) struct Rebuilt {
    pub(super) graph: PartnershipGraph,
    /// The partnerships' version the graph is kept for, if it is kept.
    pub(super) graph_kept: Option<u64>,
    pub(super) catalogue: Catalogue,
    pub(super) track_records: TrackRecords,
}

/// Rebuilds the graph, the catalogue and the track records from `store`.
pub(super) fn rebuild(store: &Store) -> Result<Rebuilt, HubError> {
    // A version that cannot be read (a damaged meta entry) only costs the kept graph.
    let version = match store.partnerships_version() {
        Ok(Some(version)) => Some(version),
        Ok(None) => {
            tracing::warn!("partnerships' version damaged; the graph is rebuilt and not kept");
            None
        }
        Err(error) => {
            tracing::warn!(%error, "partnerships' version unreadable; the graph is rebuilt and not kept");
            None
        }
    };
    match version.and_then(|version| Some((version, store.kept_graph(version)?))) {
        Some((version, kept)) => rebuild_with_kept_graph(store, version, &kept),
        None => rebuild_all(store, version),
    }
}

/// Makes the graph from its kept form on one thread while the offers are read on another and
/// filed on this one; rebuilds everything if the kept form cannot be read back.
fn rebuild_with_kept_graph(store: &Store, version: u64, kept: &[u8]) -> Result<Rebuilt, HubError> {
    let (offers, offers_arriving) = Parts::of(store.number_span::<Offer>()?, OFFER_PARTS);
    let offers = Arc::new(offers);
    let (graph, catalogue, track_records) = std::thread::scope(|scope| {
        let reader = Arc::clone(&offers);
        let graph = scope.spawn(move || {
            let graph = PartnershipGraph::from_kept_form(kept);
            reader.read(|numbers| read_records(store, numbers));
            graph
        });
        let reader = offers;
        scope.spawn(move || reader.read(|numbers| read_records(store, numbers)));
        let catalogue = Catalogue::load(store, arrivals(offers_arriving));
        let track_records = TrackRecords::load(store);
        let graph = graph.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (graph, catalogue, track_records)
    });
    match graph {
        Ok(graph) => Ok(Rebuilt {
            graph,
            graph_kept: Some(version),
            catalogue: catalogue?,
            track_records: track_records?,
        }),
        Err(error) => {
            tracing::warn!(%error, "kept partnership graph not used; rebuilt from the partnerships");
            // Gone before the rebuild makes them again: two catalogues at once are half a
            // gigabyte more at tier L.
            drop((catalogue, track_records));
            rebuild_all(store, Some(version))
        }
    }
}

/// Rebuilds the graph from the partnerships, and keeps it for the next open (for `version`, when
/// known) once everything is rebuilt: an open that fails keeps no graph.
/// Two threads read the offers, then the partnerships, in parts; this one files the offers and
/// a third links the partnerships, each in order as the parts arrive.
fn rebuild_all(store: &Store, version: Option<u64>) -> Result<Rebuilt, HubError> {
    let (offers, offers_arriving) = Parts::of(store.number_span::<Offer>()?, OFFER_PARTS);
    let (partnerships, partnerships_arriving) = Parts::of(store.number_span::<Partnership>()?, PARTNERSHIP_PARTS);
    let parts = Arc::new((offers, partnerships));
    std::thread::scope(|scope| {
        let graph = scope.spawn(|| {
            let mut graph = PartnershipGraph::new();
            graph.add_partnerships(arrivals(partnerships_arriving))?;
            Ok::<_, HubError>(graph)
        });
        for _ in 0..2 {
            let reader = Arc::clone(&parts);
            scope.spawn(move || {
                let (offers, partnerships) = &*reader;
                offers.read(|numbers| read_records(store, numbers));
                partnerships.read(|numbers| store.partnership_ends_in(numbers).collect());
            });
        }
        // The readers hold the parts from here: if both stop, the parts' senders go with them
        // and whoever waits on a part left unread is told so rather than left waiting.
        drop(parts);
        let catalogue = Catalogue::load(store, arrivals(offers_arriving));
        let track_records = TrackRecords::load(store);
        let graph = graph.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let (catalogue, track_records) = (catalogue?, track_records?);
        let graph_kept = version.and_then(|version| keep_graph(store, version, &graph));
        Ok(Rebuilt {
            graph,
            graph_kept,
            catalogue,
            track_records,
        })
    })
}

/// Keeps `graph`, made from the partnerships at `version`, for the next open; returns the
/// version when it is kept. Not keeping it costs the next open time, not data, so a failure is
/// logged.
pub(super) fn keep_graph(store: &Store, version: u64, graph: &PartnershipGraph) -> Option<u64> {
    match store.keep_graph(version, &graph.kept_form()) {
        Ok(()) => Some(version),
        Err(error) => {
            tracing::warn!(%error, "partnership graph not kept; the next open rebuilds it");
            None
        }
    }
}

/// One part of a kind of record, read.
type Part<T> = Result<Vec<T>, StoreError>;

/// The id ranges of a kind of record, handed out in order to whichever reader asks next, and
/// where each part goes once read.
struct Parts<T> {
    ranges: Vec<Range<u64>>,
    next: AtomicUsize,
    /// Taken by the reader of each part: dropped unsent if that reader panics, which the part's
    /// receiver then sees.
    senders: Vec<Mutex<Option<SyncSender<Part<T>>>>>,
}

impl<T> Parts<T> {
    /// `span` (the first and last record numbers, if any) in about `count` parts, and the
    /// receivers of the parts, in order.
    fn of(span: Option<RangeInclusive<u64>>, count: u64) -> (Parts<T>, Vec<Receiver<Part<T>>>) {
        let ranges = match span {
            Some(span) => {
                let (first, end) = (*span.start(), span.end().saturating_add(1));
                let size = (end - first).div_ceil(count).max(1);
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
        (parts, receivers)
    }

    /// Reads parts with `read`, in order, until none is left.
    fn read(&self, read: impl Fn(Range<u64>) -> Part<T>) {
        loop {
            let at = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(range) = self.ranges.get(at) else {
                return;
            };
            let sender = self.senders[at].lock().unwrap_or_else(PoisonError::into_inner).take();
            let Some(sender) = sender else { continue };
            // A receiver gone has failed already and says why.
            let _ = sender.send(read(range.clone()));
        }
    }
}

/// The records of the parts, in order, as they arrive; a part that failed or that no reader
/// sent ends them with its error.
fn arrivals<T>(arriving: Vec<Receiver<Part<T>>>) -> impl Iterator<Item = Result<T, StoreError>> {
    arriving.into_iter().flat_map(|receiver| {
        let part = receiver.recv().unwrap_or_else(|_| {
            Err(StoreError::Incompatible(
                "the store could not all be read: a reader stopped".into(),
            ))
        });
        let (read, failed) = match part {
            Ok(read) => (read, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        read.into_iter().map(Ok).chain(failed.map(Err))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PartnershipEnds, PartnershipKind, PartnershipSpec};
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
        let (parts, _) = Parts::<PartnershipEnds>::of(store.number_span::<Partnership>().unwrap(), PARTNERSHIP_PARTS);
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

    /// Each actor's best trust path to every other, as text.
    fn paths(graph: &PartnershipGraph) -> Vec<String> {
        let mut paths = Vec::new();
        for from in 0..12 {
            let proximity = graph.proximity_from(&format!("actor-{from}"));
            for to in 0..12 {
                paths.push(format!(
                    "{from}->{to}: {:?}",
                    proximity.trust_path(&format!("actor-{to}"))
                ));
            }
        }
        paths
    }

    #[test]
    fn the_graph_kept_is_used_until_the_partnerships_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        let all = partnerships();
        let (first, later) = all.split_at(100);
        let mut writes = WriteSet::default();
        for partnership in first {
            writes.put(None, partnership).unwrap();
        }
        store.apply(writes).unwrap();
        let version = store.partnerships_version().unwrap().unwrap();

        // The first open reads the partnerships and keeps the graph; the next is made from it.
        let read = rebuild(&store).unwrap();
        assert_eq!(read.graph_kept, Some(version));
        assert!(store.kept_graph(version).is_some());
        let made = rebuild(&store).unwrap();
        assert_eq!(made.graph_kept, Some(version));
        assert_eq!(paths(&made.graph), paths(&read.graph));
        // Made from the kept form, not read again: a form kept for this version is believed.
        store.keep_graph(version, &PartnershipGraph::new().kept_form()).unwrap();
        assert_eq!(rebuild(&store).unwrap().graph.partnership_count(), 0);
        // One that is not a graph (whatever its checksum) is not used, and is kept anew.
        store.keep_graph(version, b"not a graph").unwrap();
        let fallen_back = rebuild(&store).unwrap();
        assert_eq!(paths(&fallen_back.graph), paths(&read.graph));
        assert_eq!(store.kept_graph(version), Some(read.graph.kept_form()));

        // A change that is not to the partnerships leaves the kept graph current.
        let mut writes = WriteSet::default();
        writes.remember_request("test", "request", "need-1");
        store.apply(writes).unwrap();
        assert_eq!(store.partnerships_version().unwrap().unwrap(), version);

        // A partnership added, and one taken away: the kept graph is stale, and not used.
        let mut writes = WriteSet::default();
        for partnership in later {
            writes.put(None, partnership).unwrap();
        }
        writes.delete(&first[0]).unwrap();
        store.apply(writes).unwrap();
        let changed = store.partnerships_version().unwrap().unwrap();
        assert_ne!(changed, version);
        assert_eq!(store.kept_graph(changed), None);
        let reread = rebuild(&store).unwrap();
        assert_eq!(reread.graph.partnership_count(), all.len() - 1);
        let mut whole = PartnershipGraph::new();
        let current = store
            .all::<Partnership>()
            .map(|read| read.map(|p| PartnershipEnds::from(&p)));
        whole.add_partnerships(current).unwrap();
        assert_eq!(paths(&reread.graph), paths(&whole));
        assert_ne!(paths(&reread.graph), paths(&read.graph));
        let made = rebuild(&store).unwrap();
        assert_eq!(made.graph_kept, Some(changed));
        assert_eq!(paths(&made.graph), paths(&whole));
    }

    #[test]
    fn a_store_without_partnerships_opens_with_an_empty_graph() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        assert_eq!(rebuild(&store).unwrap().graph.partnership_count(), 0);
    }
}
