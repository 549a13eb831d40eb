//! The ceiling that sled itself allows for durable writes of the hub's shape, measured in the
//! benchmark's own process beside the server's SubmitNeed figures: a fresh sled database beside
//! the world's, [`TREES`] trees written in one transaction per write (as a SubmitNeed writes the
//! need, its index entries, its event, the search feed, the idempotency key and the counters),
//! one writer at a time under an async lock (as the hub's writer lock), and the hub's own group
//! commit (`capacity_hub::store::Durability`, with the same sync and the same commit delay). No
//! gRPC, no validation, no catalogue: what is left is the store's cost, so SubmitNeed's rate over
//! this rate says how much of the ceiling the hub reaches.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use capacity_hub::store::{Durability, SledFiles};
use sled::Transactional;
use tonic::Status;

use super::{BenchResult, Call, Clients, Row, Timing, measure};

/// Trees a SubmitNeed writes in its transaction.
const TREES: usize = 9;
/// Bytes of the record written to the first tree and of the event written to the second (about
/// the encoded size of a benchmark need and its NEED_SUBMITTED event); the other trees get
/// index-sized entries.
const RECORD_BYTES: usize = 1024;
const EVENT_BYTES: usize = 512;
const INDEX_BYTES: usize = 48;

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
            let key = written.to_be_bytes();
            let result = store.trees.as_slice().transaction(|views| {
                for (number, view) in views.iter().enumerate() {
                    let bytes = match number {
                        0 => RECORD_BYTES,
                        1 => EVENT_BYTES,
                        _ => INDEX_BYTES,
                    };
                    view.insert(&key, vec![number as u8; bytes])?;
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
    let trees = (0..TREES)
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
