//! Durable storage in sled: one tree per record kind, one tree per secondary index, a tree of
//! idempotency keys and a tree of token hashes. Records are written in sled transactions so a
//! record and its index entries change together, and a write is acknowledged only after a flush
//! that covers it (see [`durability`]).

pub mod backup;
pub mod codec;
pub mod durability;
mod kept_graph;
pub mod migration;
pub mod records;
pub mod trees;

use std::ops::{Bound, RangeBounds, RangeInclusive};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

pub use durability::{Durability, FlushTicket, SledFiles};

use crate::domain::{HubEvent, Partnership, PartnershipEnds, StoredPartnership, UnixMillis};
pub use records::{Record, StatusKey};
pub use trees::TreeName;

/// The schema version of the records this release writes: each record carries it (the store's
/// own version is [`trees::STORE_VERSION`]).
pub const SCHEMA_VERSION: u8 = 1;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (I/O, or a store it cannot read).
    #[error("storage failure: {0}")]
    Sled(#[from] sled::Error),
    /// A stored record could not be decoded.
    #[error("corrupt record in tree {tree} at key {key}: {reason}")]
    Corrupt {
        tree: &'static str,
        key: String,
        reason: String,
    },
    /// The directory holds something that is not a capacity-hub store, or a newer one.
    #[error("{0}")]
    Incompatible(String),
    /// Reading or writing a backup failed (the file, or the client reading it).
    #[error("backup I/O failed: {0}")]
    Backup(String),
    /// A flush failed, so a write could not be acknowledged.
    #[error("the store could not persist the write: {0}")]
    Flush(String),
}

/// Settings for opening a store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// sled's page cache, in bytes. Small on purpose: sled counts a page at its size on disk, but
    /// holds it decoded in several times that (an index page of a few short keys most of all),
    /// and the hub keeps what it reads often (the offer catalogue, the graph, the needs' shelves)
    /// in structures of its own. With 64 MiB a backup of tier L grew the server by 445 MiB that
    /// stayed. With the backup's walk as it is now, 8 MiB let it grow the server by 59-76 MiB
    /// after the load benchmark's workloads and 4 MiB by 30-47 MiB; FindMatches in process was
    /// perhaps 9% slower with 4 MiB, far inside its budget (BENCHMARKS.md, "The backup's walk
    /// and sled's cache").
    pub cache_bytes: u64,
    /// How long the flusher gathers writes before each flush (see [`Durability::start`]).
    pub commit_delay: std::time::Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            cache_bytes: 4 * 1024 * 1024,
            commit_delay: std::time::Duration::ZERO,
        }
    }
}

/// Where a List call resumes and how much it returns.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Return records after this id (the previous page's last id).
    pub after: Option<String>,
    pub limit: usize,
}

/// One page of records and the id to resume after, if more may follow.
#[derive(Debug, Clone)]
pub struct Page<R> {
    pub records: Vec<R>,
    pub next_after: Option<String>,
}

/// Which keys a List call walks: every record of a kind, or one index value.
#[derive(Debug, Clone, Copy)]
pub enum Scan<'a> {
    All,
    Index(TreeName, &'a str),
}

/// The sled database and its trees.
pub struct Store {
    db: sled::Db,
    /// The data directory: sled's files, and the graph kept beside them.
    dir: PathBuf,
    trees: trees::Trees,
    durability: Durability,
    /// sled's files, for the sync at shutdown (the flusher has its own handles).
    files: std::sync::Mutex<SledFiles>,
    /// Sequence number the next event gets. Only `apply` advances it, and callers serialise
    /// `apply`, so the log has no gaps.
    next_sequence: AtomicU64,
    /// Number of the next record id, for all kinds.
    next_number: AtomicU64,
    /// Number the next entry of the search feed gets (see [`Store::search_changes_after`]).
    next_change: AtomicU64,
}

/// What `apply` committed.
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    /// Wait on it before acknowledging the write.
    pub ticket: FlushTicket,
    /// The last event sequence the write appended, if it appended any.
    pub last_sequence: Option<u64>,
}

/// How long opening waits for a store's lock to be let go of.
const LOCK_RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens sled's store, waiting up to [`LOCK_RELEASE_WAIT`] while its lock is held: sled lets go
/// of the lock a moment after the last handle drops (spacejam/sled#1234), so a store closed and
/// opened again in one process (an offline backup after a test's hub, say) may find it still
/// held. A lock another process holds is still held when the wait ends, and is the error then.
fn open_when_unlocked(config: &sled::Config) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + LOCK_RELEASE_WAIT;
    loop {
        match config.open() {
            Err(error) if lock_held(&error) && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened,
        }
    }
}

/// Whether opening failed because the store's lock is held (by a running server, or by a
/// handle just dropped). sled says so only in the message of an I/O error.
pub fn lock_held(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(io)
        if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("could not acquire lock"))
}

impl Store {
    /// Opens (or creates) the store in `dir`, checking that it is a capacity-hub store of a
    /// schema this release reads.
    pub fn open(dir: &Path, config: &StoreConfig) -> Result<Store, StoreError> {
        let sled_config = sled::Config::new().path(dir).cache_capacity(config.cache_bytes);
        let db = open_when_unlocked(&sled_config)?;
        let trees = trees::Trees::open(&db)?;
        if let trees::Schema::Older(version) = trees::check_schema(&db, &trees)? {
            let migrated = migration::migrate(&db, &trees, version)?;
            trees::mark_current(&db, &trees)?;
            // The new version mark, like every acknowledged write, survives a power cut.
            SledFiles::open(dir).map_err(sled::Error::from)?.sync(&db)?;
            tracing::info!(
                from = migrated.from,
                to = trees::STORE_VERSION,
                index_entries = migrated.index_entries,
                "store migrated"
            );
        }
        let last_sequence = match trees.get(TreeName::Events).last()? {
            Some((key, _)) => records::id_from_index_key(&key).unwrap_or(0),
            None => 0,
        };
        let next_number = trees::next_record_number(&trees)?;
        // Past the high-water mark written with every change to the feed (the index prunes the
        // feed, so its last key alone would start numbering again) and past every entry present.
        let marked = match trees.get(TreeName::Meta).get(trees::NEXT_CHANGE_KEY)? {
            Some(bytes) => bytes.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(1),
            None => 1,
        };
        let next_change = match trees.get(TreeName::SearchChanges).last()? {
            Some((key, _)) => records::id_from_index_key(&key).unwrap_or(0) + 1,
            None => 1,
        }
        .max(marked);
        let files = SledFiles::open(dir).map_err(sled::Error::from)?;
        let durability = Durability::start(db.clone(), files, last_sequence, config.commit_delay);
        let files = std::sync::Mutex::new(SledFiles::open(dir).map_err(sled::Error::from)?);
        Ok(Store {
            db,
            dir: dir.to_path_buf(),
            trees,
            durability,
            files,
            next_sequence: AtomicU64::new(last_sequence + 1),
            next_number: AtomicU64::new(next_number),
            next_change: AtomicU64::new(next_change),
        })
    }

    /// A fresh server-assigned id such as `need-42`. Numbers come from the store's own counter,
    /// persisted with every write (see [`trees::next_record_number`]), so a restored backup
    /// never hands out an id it already holds.
    pub fn next_id(&self, prefix: &str) -> Result<String, StoreError> {
        Ok(records::format_id(
            prefix,
            self.next_number.fetch_add(1, Ordering::SeqCst),
        ))
    }

    /// The record with this id, if any.
    pub fn get<R: Record>(&self, id: &str) -> Result<Option<R>, StoreError> {
        let Some(key) = records::id_key::<R>(id) else {
            return Ok(None);
        };
        let tree = self.trees.get(R::TREE);
        match tree.get(key)? {
            Some(bytes) => codec::decode(R::TREE.name(), &key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The number of entries in `tree` (it walks the tree: for progress reports, not hot paths).
    pub fn count(&self, tree: TreeName) -> usize {
        self.trees.get(tree).len()
    }

    /// The bytes sled's files take on disk (its log and its blobs), as sled counts them.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }

    /// True when no record of this kind exists.
    pub fn is_empty<R: Record>(&self) -> bool {
        self.trees.get(R::TREE).is_empty()
    }

    /// Every record of a kind, in id order (used to rebuild in-memory state at start).
    pub fn all<R: Record>(&self) -> impl Iterator<Item = Result<R, StoreError>> + '_ {
        self.all_in(..)
    }

    /// The records of a kind whose numbers fall in `numbers`, in id order: a rebuild reads a large
    /// kind in parts, several at once.
    pub fn all_in<R: Record>(
        &self,
        numbers: impl RangeBounds<u64>,
    ) -> impl Iterator<Item = Result<R, StoreError>> + '_ {
        self.read_in::<R, _>(numbers, |key, bytes| codec::decode(R::TREE.name(), key, bytes))
    }

    /// The partnerships with numbers in `numbers`, in number order, as the graph reads them:
    /// their strings are borrowed from the stored bytes while read, not decoded whole.
    pub fn partnership_ends_in(
        &self,
        numbers: impl RangeBounds<u64>,
    ) -> impl Iterator<Item = Result<PartnershipEnds, StoreError>> + '_ {
        self.read_in::<Partnership, _>(numbers, |key, bytes| {
            codec::decode::<StoredPartnership>(Partnership::TREE.name(), key, bytes).map(PartnershipEnds::from)
        })
    }

    /// Each record of a kind with a number in `numbers`, in number order, made by `read` from
    /// its key and stored bytes.
    fn read_in<'s, R: Record, T>(
        &'s self,
        numbers: impl RangeBounds<u64>,
        read: impl Fn(&[u8], &[u8]) -> Result<T, StoreError> + 's,
    ) -> impl Iterator<Item = Result<T, StoreError>> + 's {
        let key = |bound: Bound<&u64>| bound.map(|number| number.to_be_bytes());
        let keys = (key(numbers.start_bound()), key(numbers.end_bound()));
        self.trees.get(R::TREE).range(keys).map(move |entry| {
            let (key, bytes) = entry?;
            read(&key, &bytes)
        })
    }

    /// The numbers of the first and the last record of a kind, if it has any.
    pub fn number_span<R: Record>(&self) -> Result<Option<RangeInclusive<u64>>, StoreError> {
        let tree = self.trees.get(R::TREE);
        let number = |key: &[u8]| {
            key.try_into().map(u64::from_be_bytes).map_err(|_| StoreError::Corrupt {
                tree: R::TREE.name(),
                key: hex::encode(key),
                reason: "a record key is not 8 bytes".into(),
            })
        };
        Ok(match (tree.first()?, tree.last()?) {
            (Some((first, _)), Some((last, _))) => Some(number(&first)?..=number(&last)?),
            _ => None,
        })
    }

    /// Ids of the records filed under `value` in `index`, in id order.
    pub fn ids_in_index(&self, index: TreeName, value: &str) -> impl Iterator<Item = Result<u64, StoreError>> + '_ {
        let prefix = records::index_prefix(value);
        self.trees.get(index).scan_prefix(prefix).keys().map(move |key| {
            let key = key?;
            records::id_from_index_key(&key).ok_or_else(|| StoreError::Corrupt {
                tree: index.name(),
                key: hex::encode(&key),
                reason: "index key too short".into(),
            })
        })
    }

    /// The record with this numeric id.
    pub fn get_by_number<R: Record>(&self, number: u64) -> Result<Option<R>, StoreError> {
        self.value_at(R::TREE, number)
    }

    /// The value kept under record `number` in `tree`, decoded.
    fn value_at<T: DeserializeOwned>(&self, tree: TreeName, number: u64) -> Result<Option<T>, StoreError> {
        let key = number.to_be_bytes();
        match self.trees.get(tree).get(key)? {
            Some(bytes) => codec::decode(tree.name(), &key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// What the hub derived from record `number` and keeps in the derived `tree` (see
    /// [`TreeName::is_derived`]), if anything.
    pub fn derived<T: DeserializeOwned>(&self, tree: TreeName, number: u64) -> Result<Option<T>, StoreError> {
        debug_assert!(tree.is_derived());
        self.value_at(tree, number)
    }

    /// Keeps what the hub derived from records, by record number, in the derived `tree`, in one
    /// batch. Outside any change and its event: it is written again whenever it is found
    /// missing or stale, so it needs no flush of its own and a crash loses nothing that cannot be
    /// derived again.
    pub fn keep_derived<'t, T: Serialize + 't>(
        &self,
        tree: TreeName,
        values: impl IntoIterator<Item = (u64, &'t T)>,
    ) -> Result<(), StoreError> {
        debug_assert!(tree.is_derived());
        let mut batch = sled::Batch::default();
        for (number, value) in values {
            batch.insert(&number.to_be_bytes(), codec::encode(value)?);
        }
        self.trees.get(tree).apply_batch(batch)?;
        Ok(())
    }

    /// Forgets what the hub derived from record `number` in the derived `tree`.
    pub fn forget_derived(&self, tree: TreeName, number: u64) -> Result<(), StoreError> {
        debug_assert!(tree.is_derived());
        self.trees.get(tree).remove(number.to_be_bytes())?;
        Ok(())
    }

    /// The `updated_at` of record `number` (a need or an offer) for which a STALE event was
    /// recorded, if one was.
    pub fn stale_notice(&self, number: u64) -> Result<Option<UnixMillis>, StoreError> {
        self.value_at(TreeName::StaleNotices, number)
    }

    /// A page of records from `scan` that pass `keep`, after `page.after`.
    pub fn page<R: Record>(
        &self,
        scan: Scan<'_>,
        page: &PageRequest,
        keep: impl Fn(&R) -> bool,
    ) -> Result<Page<R>, StoreError> {
        let after = page
            .after
            .as_deref()
            .and_then(records::id_key::<R>)
            .map(u64::from_be_bytes);
        let mut records = Vec::with_capacity(page.limit.min(1024));
        let mut more = false;
        for record in self.scan_after::<R>(scan, after) {
            let record = record?;
            if !keep(&record) {
                continue;
            }
            if records.len() == page.limit {
                more = true;
                break;
            }
            records.push(record);
        }
        let next_after = if more {
            records.last().map(|r: &R| r.id().to_string())
        } else {
            None
        };
        Ok(Page { records, next_after })
    }

    fn scan_after<R: Record>(
        &self,
        scan: Scan<'_>,
        after: Option<u64>,
    ) -> Box<dyn Iterator<Item = Result<R, StoreError>> + '_> {
        let start = after.map_or(0, |n| n.saturating_add(1));
        match scan {
            Scan::All => Box::new(self.trees.get(R::TREE).range(start.to_be_bytes()..).map(|entry| {
                let (key, bytes) = entry?;
                codec::decode(R::TREE.name(), &key, &bytes)
            })),
            Scan::Index(index, value) => {
                let prefix = records::index_prefix(value);
                let from = records::index_key(value, start);
                let ids = self
                    .trees
                    .get(index)
                    .range(from..)
                    .keys()
                    .take_while(move |key| key.as_ref().map_or(true, |key| key.starts_with(&prefix)));
                Box::new(ids.filter_map(move |key| self.load_indexed::<R>(index, key).transpose()))
            }
        }
    }

    fn load_indexed<R: Record>(&self, index: TreeName, key: sled::Result<sled::IVec>) -> Result<Option<R>, StoreError> {
        let key = key?;
        let number = records::id_from_index_key(&key).ok_or_else(|| StoreError::Corrupt {
            tree: index.name(),
            key: hex::encode(&key),
            reason: "index key too short".into(),
        })?;
        self.get_by_number(number)
    }

    /// The record id a create with this idempotency key made, if any.
    pub fn request_outcome(&self, scope: &str, request_id: &str) -> Result<Option<String>, StoreError> {
        let key = records::request_key(scope, request_id);
        let value = self.trees.get(TreeName::Requests).get(key)?;
        Ok(value.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The actor id whose token hashes to `token_sha256`, if any.
    pub fn actor_for_token(&self, token_sha256: &str) -> Result<Option<String>, StoreError> {
        let value = self.trees.get(TreeName::Tokens).get(token_sha256.as_bytes())?;
        Ok(value.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Events with a sequence above `after`, in order.
    pub fn events_after(&self, after: u64) -> impl Iterator<Item = Result<HubEvent, StoreError>> + '_ {
        let start = after.saturating_add(1).to_be_bytes();
        self.trees.get(TreeName::Events).range(start..).map(|entry| {
            let (key, bytes) = entry?;
            codec::decode(TreeName::Events.name(), &key, &bytes)
        })
    }

    /// The sequence of the last event in the log (0 when empty).
    pub fn last_sequence(&self) -> u64 {
        self.next_sequence.load(Ordering::SeqCst) - 1
    }

    /// Applies every change in `writes` atomically, appending its events to the log with the
    /// next sequence numbers. Callers serialise their read-modify-write sequences themselves.
    pub fn apply(&self, mut writes: WriteSet) -> Result<Applied, StoreError> {
        let first = self.next_sequence.load(Ordering::SeqCst);
        let appended = writes.events.len() as u64;
        for (offset, event) in std::mem::take(&mut writes.events).iter_mut().enumerate() {
            event.sequence = first + offset as u64;
            let encoded = codec::encode(&*event)?;
            writes
                .batch(TreeName::Events)
                .insert(&event.sequence.to_be_bytes(), encoded);
        }
        if writes.batches.is_empty() {
            // Nothing to write (an idempotent replay, a sweep's chunk none of whose records is
            // still due); sled's transactions need at least one tree. The ticket still waits for
            // a flush, so a replay acknowledges only what is durable.
            return Ok(Applied {
                ticket: self.durability.ticket(None),
                last_sequence: None,
            });
        }
        let high_water = self.next_number.load(Ordering::SeqCst).to_be_bytes();
        writes.batch(TreeName::Meta).insert(trees::NEXT_NUMBER_KEY, &high_water);
        if writes.batches.contains_key(&TreeName::Partnerships) {
            // A kept graph of the partnerships as they were is stale from this change on.
            let version = rand::random::<u64>().to_be_bytes();
            writes
                .batch(TreeName::Meta)
                .insert(kept_graph::PARTNERSHIPS_VERSION_KEY, &version);
        }
        let first_change = self.next_change.load(Ordering::SeqCst);
        let searched: Vec<(TreeName, u64)> = writes
            .changed
            .iter()
            .copied()
            .filter(|(tree, _)| tree.is_searched())
            .collect();
        for (offset, (tree, number)) in searched.iter().enumerate() {
            let mut entry = number.to_be_bytes().to_vec();
            entry.extend_from_slice(tree.name().as_bytes());
            writes
                .batch(TreeName::SearchChanges)
                .insert(&(first_change + offset as u64).to_be_bytes(), entry);
        }
        if !searched.is_empty() {
            let next = (first_change + searched.len() as u64).to_be_bytes();
            writes.batch(TreeName::Meta).insert(trees::NEXT_CHANGE_KEY, &next);
        }
        let names: Vec<TreeName> = writes.batches.keys().copied().collect();
        let trees: Vec<sled::Tree> = names.iter().map(|name| self.trees.get(*name).clone()).collect();
        // The closure never aborts (`Infallible`): it only applies batches, so the transaction
        // either commits or fails in sled's storage.
        let result: Result<(), TransactionError<std::convert::Infallible>> = trees.as_slice().transaction(|views| {
            for (view, name) in views.iter().zip(&names) {
                if let Some(batch) = writes.batches.get(name) {
                    view.apply_batch(batch)?;
                }
            }
            Ok::<(), ConflictableTransactionError<std::convert::Infallible>>(())
        });
        match result {
            Ok(()) => {
                self.next_sequence.store(first + appended, Ordering::SeqCst);
                self.next_change
                    .store(first_change + searched.len() as u64, Ordering::SeqCst);
                let last_sequence = (appended > 0).then(|| first + appended - 1);
                Ok(Applied {
                    ticket: self.durability.ticket(last_sequence),
                    last_sequence,
                })
            }
            Err(TransactionError::Storage(error)) => Err(StoreError::Sled(error)),
            Err(TransactionError::Abort(never)) => match never {},
        }
    }

    /// The entries of the search feed after `after`, in order: each change number with the
    /// tree and number of the record a write changed. [`Store::apply`] writes them in the
    /// write's own transaction, so an index that has applied the feed up to a number holds every
    /// write up to it; it reads the record as it is now, so applying an entry twice is harmless.
    pub fn search_changes_after(&self, after: u64) -> impl Iterator<Item = Result<SearchChange, StoreError>> + '_ {
        let start = after.saturating_add(1).to_be_bytes();
        self.trees.get(TreeName::SearchChanges).range(start..).map(|entry| {
            let (key, value) = entry?;
            let corrupt = |reason: &str| StoreError::Corrupt {
                tree: TreeName::SearchChanges.name(),
                key: hex::encode(&key),
                reason: reason.into(),
            };
            let change = records::id_from_index_key(&key).ok_or_else(|| corrupt("a key is not 8 bytes"))?;
            let (number, name) = value
                .split_at_checked(8)
                .ok_or_else(|| corrupt("an entry is too short"))?;
            let tree = std::str::from_utf8(name)
                .ok()
                .and_then(TreeName::named)
                .filter(|tree| tree.is_searched())
                .ok_or_else(|| corrupt("an entry names no searched tree"))?;
            let number = records::id_from_index_key(number).ok_or_else(|| corrupt("an entry is too short"))?;
            Ok(SearchChange { change, tree, number })
        })
    }

    /// The number of the last entry of the search feed (0 when none was ever written).
    pub fn last_search_change(&self) -> u64 {
        self.next_change.load(Ordering::SeqCst) - 1
    }

    /// Drops the search feed's entries up to `through`, once an index holds them durably.
    pub fn forget_search_changes(&self, through: u64) -> Result<(), StoreError> {
        let tree = self.trees.get(TreeName::SearchChanges);
        let mut batch = sled::Batch::default();
        for key in tree.range(..=through.to_be_bytes()).keys() {
            batch.remove(key?);
        }
        tree.apply_batch(batch)?;
        Ok(())
    }

    /// The highest event sequence known to be on disk, as it changes: watchers wait on it.
    pub fn durable_events(&self) -> tokio::sync::watch::Receiver<u64> {
        self.durability.durable_events()
    }

    /// How many writes the store has applied since it opened: changes whenever anything is
    /// written, so a result computed from the store stays valid while it does not.
    pub fn writes_applied(&self) -> u64 {
        self.durability.tickets_issued()
    }

    /// Waits until the write behind `ticket` is on disk.
    pub async fn durable(&self, ticket: FlushTicket) -> Result<(), StoreError> {
        self.durability.wait(ticket).await
    }

    /// Flushes everything now and syncs it to disk (at shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut files = self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        files.sync(&self.db)
    }
}

/// One entry of the search feed: write number `change` changed record `number` of `tree`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchChange {
    pub change: u64,
    pub tree: TreeName,
    pub number: u64,
}

/// Record and index changes to apply in one transaction.
#[derive(Default)]
pub struct WriteSet {
    batches: std::collections::BTreeMap<TreeName, sled::Batch>,
    /// Events to append, in order; `apply` numbers them.
    events: Vec<HubEvent>,
    /// Each record this change writes or deletes, by tree and number: in-memory views of the
    /// store (the offer catalogue) refresh exactly these once the change is applied.
    changed: Vec<(TreeName, u64)>,
}

impl WriteSet {
    fn batch(&mut self, tree: TreeName) -> &mut sled::Batch {
        self.batches.entry(tree).or_default()
    }

    /// Stores `new`, replacing `old` (the same record as last read) and its index entries.
    pub fn put<R: Record>(&mut self, old: Option<&R>, new: &R) -> Result<(), StoreError> {
        let number = records::id_number::<R>(new.id())?;
        self.batch(R::TREE).insert(&number.to_be_bytes(), codec::encode(new)?);
        self.changed.push((R::TREE, number));
        let new_entries = new.index_entries();
        for (index, value) in old.map(Record::index_entries).unwrap_or_default() {
            if !new_entries.contains(&(index, value.clone())) {
                self.batch(index).remove(records::index_key(&value, number).as_slice());
            }
        }
        for (index, value) in new_entries {
            self.batch(index).insert(records::index_key(&value, number), &[]);
        }
        Ok(())
    }

    /// Deletes `old` and its index entries.
    pub fn delete<R: Record>(&mut self, old: &R) -> Result<(), StoreError> {
        let number = records::id_number::<R>(old.id())?;
        self.batch(R::TREE).remove(&number.to_be_bytes());
        self.changed.push((R::TREE, number));
        for (index, value) in old.index_entries() {
            self.batch(index).remove(records::index_key(&value, number).as_slice());
        }
        Ok(())
    }

    /// Numbers of the records in `tree` that this change writes or deletes.
    pub fn changed(&self, tree: TreeName) -> impl Iterator<Item = u64> + '_ {
        self.changed
            .iter()
            .filter(move |(changed_tree, _)| *changed_tree == tree)
            .map(|(_, number)| *number)
    }

    /// Appends an event to the log with this change.
    pub fn record_event(&mut self, event: HubEvent) {
        self.events.push(event);
    }

    /// Remembers, with this change's STALE event, that record `number` was said to be stale as
    /// last updated at `updated_at`.
    pub fn note_stale(&mut self, number: u64, updated_at: UnixMillis) -> Result<(), StoreError> {
        let encoded = codec::encode(&updated_at)?;
        self.batch(TreeName::StaleNotices)
            .insert(&number.to_be_bytes(), encoded);
        Ok(())
    }

    /// Forgets that record `number` was said to be stale: it was confirmed current.
    pub fn forget_stale(&mut self, number: u64) {
        self.batch(TreeName::StaleNotices).remove(&number.to_be_bytes());
    }

    /// Remembers that the create with this idempotency key made `record_id`.
    pub fn remember_request(&mut self, scope: &str, request_id: &str, record_id: &str) {
        self.batch(TreeName::Requests)
            .insert(records::request_key(scope, request_id), record_id.as_bytes());
    }

    /// Files a token hash for an actor, forgetting the actor's previous one.
    pub fn set_token(&mut self, previous_sha256: Option<&str>, token_sha256: &str, actor_id: &str) {
        let tokens = self.batch(TreeName::Tokens);
        if let Some(previous) = previous_sha256 {
            tokens.remove(previous.as_bytes());
        }
        tokens.insert(token_sha256.as_bytes(), actor_id.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, ActorKind, ActorProfile, EventKind};

    fn actor(number: u64) -> Actor {
        Actor {
            id: records::format_id("actor", number),
            profile: ActorProfile {
                name: format!("Actor {number}"),
                kind: ActorKind::CivilSociety,
                country: Some("GTM".into()),
                languages: vec!["es".into()],
                description: String::new(),
                contact: String::new(),
            },
            token_sha256: String::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    /// A writer woken by its flush reads the event head at once (a sweep's caller, a watcher
    /// resuming): the head must already hold the events it wrote. The flusher once announced
    /// the flush before the events, and a test reading the head straight after a sweep missed
    /// the sweep's last event. The window is a few instructions wide, so this writes many times
    /// while other threads keep the cores busy.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_durable_write_finds_its_events_in_the_event_head() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        /// Stops the spinners however the test ends, so a failure does not leave them running.
        struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for StopOnDrop {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Relaxed);
            }
        }
        let stop = StopOnDrop(std::sync::Arc::clone(&busy));
        let spinners: Vec<_> = (0..2)
            .map(|_| {
                let busy = std::sync::Arc::clone(&busy);
                std::thread::spawn(move || {
                    while busy.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        let head = store.durable_events();
        let mut behind = 0;
        for number in 1..=300 {
            let mut writes = WriteSet::default();
            writes.put(None, &actor(number)).unwrap();
            writes.record_event(HubEvent::new(EventKind::NeedSubmitted, 0, String::new()));
            let applied = store.apply(writes).unwrap();
            store.durable(applied.ticket).await.unwrap();
            if *head.borrow() < applied.last_sequence.unwrap() {
                behind += 1;
            }
        }
        drop(stop);
        for spinner in spinners {
            spinner.join().unwrap();
        }
        assert_eq!(behind, 0, "writes whose events the head did not hold yet");
    }

    #[test]
    fn search_feed_numbers_keep_growing_after_the_feed_is_pruned_and_the_store_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let write = |store: &Store, number: u64| {
            let mut writes = WriteSet::default();
            writes.put(None, &actor(number)).unwrap();
            store.apply(writes).unwrap();
        };
        {
            let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
            write(&store, 1);
            write(&store, 2);
            assert_eq!(store.last_search_change(), 2);
            store.forget_search_changes(2).unwrap();
            assert_eq!(store.search_changes_after(0).count(), 0);
            store.flush().unwrap();
        }
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        assert_eq!(store.last_search_change(), 2, "an index that applied 2 is not ahead");
        write(&store, 3);
        let changes: Vec<SearchChange> = store.search_changes_after(2).map(Result::unwrap).collect();
        assert_eq!(
            changes,
            [SearchChange {
                change: 3,
                tree: TreeName::Actors,
                number: 3
            }]
        );
    }
}
