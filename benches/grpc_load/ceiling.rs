//! The ceiling that sled itself allows for durable writes of the hub's shape, measured in the
//! benchmark's own process beside the server's SubmitNeed figures: a fresh sled database beside
//! the world's, written in one transaction per write with the trees, keys and sizes a SubmitNeed
//! writes ([`SHAPE`]), one writer at a time under an async lock (as the hub's writer lock), and
//! the hub's own group commit (`capacity_hub::store::Durability`, with the same sync and the same
//! commit delay). No gRPC, no validation, no catalogue, no reply: what is left is the store's
//! cost, so SubmitNeed's rate over this rate says how much of the ceiling the hub reaches.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use capacity_hub::store::{Durability, SledFiles};
use sled::Transactional;
use tonic::Status;

use super::{BenchResult, Call, Clients, Row, Timing, measure};

/// Where a key goes in its tree.
#[derive(Clone, Copy)]
enum Place {
    /// After every key written before: a record, an event, a search feed entry.
    Last,
    /// At the end of one of this many runs of keys (an index entry `value\0number` under one of
    /// this many values, as a need's objective, country, region or requester).
    EndOfOneOf(u64),
    /// As `EndOfOneOf`, in 3 writes of 7: a need's intermediate region, which 107 of the 248
    /// countries have (Caribbean, Central and South America, and four parts of Africa).
    InSomeAtEndOfOneOf(u64),
    /// Anywhere (an idempotency key, which starts with the requester's id).
    Anywhere,
    /// Always the same key, written over (a counter in the `meta` tree).
    Same(u8),
}

/// One tree a SubmitNeed writes: where each of its keys goes, and the size of each value.
struct TreeShape {
    /// Where each key goes.
    keys: &'static [Place],
    /// The size of each key's value.
    value_bytes: usize,
}

/// The trees, keys and value sizes of one SubmitNeed of this benchmark, as the hub's `WriteSet`
/// holds them (seen with a probe printing the write set): 13 or 14 keys in 10 trees, as the
/// need's country has an intermediate region or not.
const SHAPE: [TreeShape; 10] = [
    // needs: the record, about 110 bytes encoded.
    TreeShape {
        keys: &[Place::Last],
        value_bytes: 112,
    },
    // events: NEED_SUBMITTED.
    TreeShape {
        keys: &[Place::Last],
        value_bytes: 112,
    },
    // search_changes: the record's number and tree.
    TreeShape {
        keys: &[Place::Last],
        value_bytes: 13,
    },
    // meta: the next record number and the next search change.
    TreeShape {
        keys: &[Place::Same(0), Place::Same(1)],
        value_bytes: 8,
    },
    // requests: the idempotency key, naming the need.
    TreeShape {
        keys: &[Place::Anywhere],
        value_bytes: 10,
    },
    // needs_by_status: "open".
    TreeShape {
        keys: &[Place::EndOfOneOf(1)],
        value_bytes: 0,
    },
    // needs_by_theme: two of the 23 objectives.
    TreeShape {
        keys: &[Place::EndOfOneOf(23), Place::EndOfOneOf(23)],
        value_bytes: 0,
    },
    // needs_by_country: the requester's country.
    TreeShape {
        keys: &[Place::EndOfOneOf(200)],
        value_bytes: 0,
    },
    // needs_by_area: its region, its sub-region and, for some, its intermediate region.
    TreeShape {
        keys: &[
            Place::EndOfOneOf(5),
            Place::EndOfOneOf(17),
            Place::InSomeAtEndOfOneOf(8),
        ],
        value_bytes: 0,
    },
    // needs_by_requester: the requester.
    TreeShape {
        keys: &[Place::EndOfOneOf(1000)],
        value_bytes: 0,
    },
];

impl Place {
    /// The key of write number `written`, as its `slot`-th key in its tree, if that write has
    /// one there.
    fn key(self, written: u64, slot: usize) -> Option<Vec<u8>> {
        // Spreads writes over the runs as the benchmark's needs spread over objectives and
        // countries (a multiplicative hash: consecutive writes land in different runs).
        let spread = |runs: u64| written.wrapping_add(slot as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) % runs;
        // Each slot has runs of its own, as a need's region and sub-region are distinct values.
        let at_end_of = |runs: u64| {
            let mut key = format!("value-{slot}-{}", spread(runs)).into_bytes();
            key.push(0);
            key.extend_from_slice(&written.to_be_bytes());
            key
        };
        match self {
            Place::Last => Some(written.to_be_bytes().to_vec()),
            Place::EndOfOneOf(runs) => Some(at_end_of(runs)),
            Place::InSomeAtEndOfOneOf(runs) => (written % 7 < 3).then(|| at_end_of(runs)),
            Place::Anywhere => Some(format!("SubmitNeed/actor-{}\0request-{written}", spread(1000)).into_bytes()),
            Place::Same(which) => Some(vec![which]),
        }
    }
}

/// The shared state of the ceiling's writers.
struct Store {
    _db: sled::Db,
    trees: Vec<sled::Tree>,
    durability: Durability,
    /// The writer lock; it also numbers the writes.
    writer: tokio::sync::Mutex<u64>,
}

/// One writer of the ceiling workload.
struct SledWrite(Arc<Store>);

impl Call for SledWrite {
    async fn call(&mut self) -> Result<(), Status> {
        let store = &self.0;
        let ticket = {
            let mut written = store.writer.lock().await;
            *written += 1;
            let written = *written;
            let result = store.trees.as_slice().transaction(|views| {
                for (view, shape) in views.iter().zip(&SHAPE) {
                    for (slot, place) in shape.keys.iter().enumerate() {
                        if let Some(key) = place.key(written, slot) {
                            view.insert(key, vec![written as u8; shape.value_bytes])?;
                        }
                    }
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<std::convert::Infallible>>(())
            });
            result.map_err(|error| Status::internal(format!("{error:?}")))?;
            store.durability.ticket(None)
        };
        store
            .durability
            .wait(ticket)
            .await
            .map_err(|error| Status::internal(error.to_string()))
    }
}

/// Measures `writers` concurrent writers on a new sled database in a temporary directory under
/// `beside` (so on the same disk as the world), flushed and synced as the hub does with
/// `commit_delay`.
pub async fn measure_ceiling(
    beside: &Path,
    writers: usize,
    commit_delay: Duration,
    timing: Timing,
) -> BenchResult<Row> {
    let dir = tempfile::tempdir_in(beside)?;
    let db = sled::Config::new().path(dir.path()).open()?;
    let trees = (0..SHAPE.len())
        .map(|number| db.open_tree(format!("tree-{number}")))
        .collect::<Result<Vec<_>, _>>()?;
    let files = SledFiles::open(dir.path())?;
    let durability = Durability::start(db.clone(), files, 0, commit_delay);
    let store = Arc::new(Store {
        _db: db,
        trees,
        durability,
        writer: tokio::sync::Mutex::new(0),
    });
    let callers = (0..writers).map(|_| SledWrite(Arc::clone(&store))).collect();
    measure(
        "sled ceiling (same shape, same sync)",
        Clients::InProcess(writers),
        callers,
        timing,
    )
    .await
}
