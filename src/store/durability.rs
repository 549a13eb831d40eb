//! Group commit. sled syncs in the background only every 500 ms, so the hub acknowledges a write
//! only after a flush that started after the write was applied. One flusher thread serves every
//! writer: writers that arrive while a flush runs share the next one, so a burst of concurrent
//! writes costs a few fsyncs, not one each.
//!
//! sled's own flush ends in `sync_file_range`, which survives the process dying but neither
//! empties the disk's write cache nor writes the file's metadata, so it does not survive a power
//! cut. Each flush is therefore followed by `fdatasync` of sled's log file (and an fsync of any
//! new blob file and of the blob directory), as PostgreSQL and SQLite do before they acknowledge.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::StoreError;

/// A write's place in the flush order: it is durable once a flush has covered this number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlushTicket(u64);

/// What the flusher has achieved so far.
#[derive(Debug, Clone, Default)]
struct Flushed {
    /// Every ticket up to this one is on disk.
    through: u64,
    /// Set when a sync failed, for good: after a failed fsync the kernel may have dropped the
    /// unwritten pages and marked them clean, so no later sync can be trusted to cover them
    /// (PostgreSQL stops the server for the same reason). Every ticket past `through` fails.
    failure: Option<String>,
}

struct Shared {
    /// Highest ticket handed out.
    issued: AtomicU64,
    /// Highest event sequence committed; raised before the ticket that covers it is issued.
    sequence_committed: AtomicU64,
    /// Wakes the flusher; the bool asks it to stop.
    wake: Mutex<bool>,
    wake_signal: Condvar,
}

/// The group-commit flusher of one sled database.
pub struct Durability {
    shared: Arc<Shared>,
    flushed: watch::Receiver<Flushed>,
    /// The highest event sequence known to be on disk. The flusher publishes it, so watchers
    /// hear of every durable event even when the writer's own call was cancelled meanwhile.
    durable_events: watch::Receiver<u64>,
    flusher: Option<thread::JoinHandle<()>>,
}

impl Durability {
    /// Starts the flusher thread for `db` (whose files are `files`, and whose event log ends at
    /// `last_sequence`). The flusher waits `commit_delay` after the first write of a batch
    /// before it flushes, so that more writes share the flush (PostgreSQL's `commit_delay`).
    pub fn start(db: sled::Db, files: SledFiles, last_sequence: u64, commit_delay: Duration) -> Durability {
        let shared = Arc::new(Shared {
            issued: AtomicU64::new(0),
            sequence_committed: AtomicU64::new(last_sequence),
            wake: Mutex::new(false),
            wake_signal: Condvar::new(),
        });
        let (sender, flushed) = watch::channel(Flushed::default());
        let (events_sender, durable_events) = watch::channel(last_sequence);
        let worker = Arc::clone(&shared);
        let flusher = thread::Builder::new()
            .name("capacity-hub-flusher".into())
            .spawn(move || {
                let mut files = files;
                flush_loop(&db, &mut files, commit_delay, &worker, &sender, &events_sender)
            })
            .ok();
        Durability {
            shared,
            flushed,
            durable_events,
            flusher,
        }
    }

    /// The highest event sequence known to be on disk, as it changes.
    pub fn durable_events(&self) -> watch::Receiver<u64> {
        self.durable_events.clone()
    }

    /// Takes a ticket for a write that has just been applied (with the last event sequence it
    /// appended, if any), and wakes the flusher.
    pub fn ticket(&self, last_sequence: Option<u64>) -> FlushTicket {
        if let Some(sequence) = last_sequence {
            self.shared.sequence_committed.fetch_max(sequence, Ordering::SeqCst);
        }
        let ticket = self.shared.issued.fetch_add(1, Ordering::SeqCst) + 1;
        // Taking the lock orders this wake-up after the flusher's check of `issued`, so the
        // flusher cannot miss it between checking and waiting.
        drop(self.shared.wake.lock());
        self.shared.wake_signal.notify_one();
        FlushTicket(ticket)
    }

    /// How many tickets were handed out: one per write applied.
    pub fn tickets_issued(&self) -> u64 {
        self.shared.issued.load(Ordering::SeqCst)
    }

    /// Waits until a flush covers `ticket`.
    pub async fn wait(&self, ticket: FlushTicket) -> Result<(), StoreError> {
        let mut flushed = self.flushed.clone();
        let state = flushed
            .wait_for(|state| state.through >= ticket.0 || state.failure.is_some())
            .await
            .map_err(|_| StoreError::Flush("the flusher has stopped".into()))?;
        match &state.failure {
            Some(reason) if state.through < ticket.0 => Err(StoreError::Flush(format!(
                "{reason}; the store takes no more writes until the server is restarted"
            ))),
            _ => Ok(()),
        }
    }
}

impl Drop for Durability {
    fn drop(&mut self) {
        if let Ok(mut stop) = self.shared.wake.lock() {
            *stop = true;
        }
        self.shared.wake_signal.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

fn flush_loop(
    db: &sled::Db,
    files: &mut SledFiles,
    commit_delay: Duration,
    shared: &Shared,
    sender: &watch::Sender<Flushed>,
    events: &watch::Sender<u64>,
) {
    let mut through = 0;
    loop {
        let stop = {
            let Ok(guard) = shared.wake.lock() else { return };
            let waiting = |stop: &mut bool| !*stop && shared.issued.load(Ordering::SeqCst) == through;
            match shared.wake_signal.wait_while(guard, waiting) {
                Ok(guard) => *guard,
                Err(_) => return,
            }
        };
        if !stop && !commit_delay.is_zero() {
            thread::sleep(commit_delay);
        }
        let target = shared.issued.load(Ordering::SeqCst);
        // Read after `target`: every event up to it was committed before this flush starts.
        let sequence = shared.sequence_committed.load(Ordering::SeqCst);
        match crate::metrics::timed_flush(target - through, || files.sync(db)) {
            Ok(()) => {
                through = target;
                // The events first: a writer woken by `through` may read the event head at
                // once, and must find its own events in it.
                events.send_if_modified(|durable| {
                    let advanced = sequence > *durable;
                    *durable = (*durable).max(sequence);
                    advanced
                });
                sender.send_modify(|state| state.through = target);
            }
            Err(error) => {
                tracing::error!(%error, "sync failed: no write is acknowledged from now on; restart the server");
                sender.send_modify(|state| state.failure = Some(error.to_string()));
                return;
            }
        }
        if stop && shared.issued.load(Ordering::SeqCst) == through {
            return;
        }
    }
}

/// sled's files in a data directory, made durable after sled's flush: the log file `db` by
/// `fdatasync`, and the files sled writes for values too large for the log (`blobs/`) by fsync
/// of each new file and then of the directory.
pub struct SledFiles {
    log: File,
    blobs: PathBuf,
    /// Blob files already synced, so each flush syncs only the new ones.
    synced_blobs: HashSet<OsString>,
}

impl SledFiles {
    /// Opens the files of the sled database in `dir` (open it first: sled creates them), and
    /// makes the directory's entries for them durable.
    pub fn open(dir: &Path) -> io::Result<SledFiles> {
        let log = File::open(dir.join("db"))?;
        File::open(dir)?.sync_all()?;
        Ok(SledFiles {
            log,
            blobs: dir.join("blobs"),
            synced_blobs: HashSet::new(),
        })
    }

    /// Flushes `db` and then syncs what the flush wrote, so that it survives a power cut.
    pub fn sync(&mut self, db: &sled::Db) -> Result<(), StoreError> {
        let started = Instant::now();
        db.flush()?;
        let unsynced = |what: &str, error: io::Error| StoreError::Flush(format!("could not sync {what}: {error}"));
        self.log
            .sync_data()
            .map_err(|error| unsynced("the store's log file", error))?;
        self.sync_new_blobs()
            .map_err(|error| unsynced("the store's blob files", error))?;
        tracing::trace!(elapsed = ?started.elapsed(), "store synced");
        Ok(())
    }

    fn sync_new_blobs(&mut self) -> io::Result<()> {
        let mut present = HashSet::new();
        let mut synced_any = false;
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            // sled makes the directory when it opens; without it there is nothing to sync.
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        for entry in entries {
            let name = entry?.file_name();
            if !self.synced_blobs.contains(&name) {
                match File::open(self.blobs.join(&name)).and_then(|blob| blob.sync_all()) {
                    Ok(()) => synced_any = true,
                    // sled removes blobs it no longer needs; a removed one needs no sync.
                    Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                    Err(error) => return Err(error),
                }
            }
            present.insert(name);
        }
        if synced_any {
            File::open(&self.blobs)?.sync_all()?;
        }
        self.synced_blobs = present;
        Ok(())
    }
}
