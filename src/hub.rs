//! The application core: one method per use case, over the store, the partnership graph and the
//! matching rules. The gRPC layer, the demo loader and the tests all call it, so every rule holds
//! whichever way a request arrives.
//!
//! Writes are serialised by one async lock around read-modify-write (so two confirmations can
//! never both take an offer's last unit), applied as one sled transaction, and acknowledged only
//! after a group-commit flush that runs outside the lock.

mod actors;
mod allocation;
mod bundles;
mod catalogue;
mod directory;
mod equity;
mod expiry;
mod explain;
mod find_needs;
mod gauges;
mod import;
mod insights;
mod matches;
mod needs;
mod offers;
mod outcomes;
mod partnerships;
mod paths;
mod practices;
mod preferences;
mod ranking;
mod rebuild;
mod related;
mod search;
mod stale;
mod time_to_match;
mod watch;

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::domain::Refusal;
use crate::domain::lifecycle::{self, Stateful};
use crate::domain::{Actor, Match, MatchStatus, Need, Offer, Staleness};
use crate::domain::{UnixMillis, Violations};
use crate::graph::PartnershipGraph;
use crate::matching::{ScoreWeights, TrackRecord};
use crate::search::{SearchError, SearchIndex};
use crate::store::{FlushTicket, Record, StatusKey, Store, StoreConfig, StoreError, TreeName, WriteSet, records};
use catalogue::{Catalogue, Touched};
use rustc_hash::FxHashMap;
use time_to_match::MatchHistory;

pub use crate::store::backup::BackupSummary;
pub use crate::store::{Page, PageRequest};
pub use actors::ActorFilter;
pub use allocation::{AllocatedPair, AllocationMode, AllocationOutcome, AllocationRequest};
pub use bundles::IntegratedSolution;
pub use equity::{EquityGroup, EquityReport, EquityShare, PairEquity};
pub use expiry::ExpirySweep;
pub use explain::PairExplanation;
pub use find_needs::{DEFAULT_NEEDS, MAX_NEEDS, MAX_NEEDS_DEPTH, NeedCandidate, NeedsPage};
pub use gauges::DomainGauges;
pub use import::ImportRecord;
pub use insights::{GraphFormat, OpenRecord, Stats};
pub use matches::{MatchCandidate, MatchFilter};
pub use needs::NeedFilter;
pub use offers::OfferFilter;
pub use outcomes::OutcomeReport;
pub use paths::{NamedPath, PartnerSuggestion};
pub use practices::PracticeFilter;
pub use preferences::PreferenceChange;
pub use related::{DEFAULT_RELATED, MAX_RELATED, RelatedItem, RelatedKind};
pub use time_to_match::{TIME_TO_MATCH_WINDOW_DAYS, TimeToMatch};
pub use watch::{Delivery, EventFilter, NeedInterest, OfferWatch, WatchedEvent};

/// The search index's directory inside the data directory.
pub const SEARCH_DIR: &str = "search";

/// Default number of records in a List page.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest List page.
pub const MAX_PAGE_SIZE: usize = 500;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The request broke field rules.
    #[error("{0}")]
    Invalid(#[from] Violations),
    /// A referenced record does not exist.
    #[error("{field}: {kind} '{id}' not found")]
    NotFound {
        field: &'static str,
        kind: &'static str,
        id: String,
    },
    /// The hub refuses: the records' states forbid the change, the record exists already, a
    /// limit is reached, or the hub cannot serve this now. Its reason says which, and sets the
    /// gRPC code (`rpc::status`), so the two cannot disagree.
    #[error("{0}")]
    Refused(Refusal),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index failed.
    #[error("{0}")]
    Search(String),
}

impl From<SearchError> for HubError {
    fn from(error: SearchError) -> HubError {
        match error {
            SearchError::Invalid(violations) => HubError::Invalid(violations),
            SearchError::Unavailable(refusal) => HubError::Refused(refusal),
            SearchError::Store(error) => HubError::Store(error),
            SearchError::Index(error) => HubError::Search(error.to_string()),
        }
    }
}

/// Settings of the core.
#[derive(Debug, Clone)]
pub struct HubSettings {
    pub store: StoreConfig,
    pub weights: ScoreWeights,
    /// How long a proposal may wait for both answers before it expires.
    pub proposal_ttl: Duration,
    /// How often the server sweeps for what expired.
    pub sweep_interval: Duration,
    /// Watch streams open at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_watchers: usize,
    /// Days without an update after which an open need or an active offer is stale: shown as
    /// such, said once to its owner, and an offer ranked with a penalty.
    pub stale_after_days: u32,
    /// Open needs one allocation run may take: more are refused (`RUN_TOO_LARGE`) rather than
    /// ranked past the call's time limit or the machine's memory (0 refuses every run; the
    /// server's flag takes 1 or more).
    pub max_needs_per_run: usize,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            store: StoreConfig::default(),
            weights: ScoreWeights::default(),
            proposal_ttl: DEFAULT_PROPOSAL_TTL,
            sweep_interval: Duration::from_secs(60),
            max_watchers: 1024,
            stale_after_days: crate::domain::staleness::DEFAULT_STALE_AFTER_DAYS,
            max_needs_per_run: allocation::DEFAULT_MAX_NEEDS_PER_RUN,
        }
    }
}

/// Two weeks: long enough for a ministry to answer, short enough that capacity is not held
/// hostage by silence.
pub const DEFAULT_PROPOSAL_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

/// The connection hub.
pub struct Hub {
    store: Arc<Store>,
    /// The search index over needs, offers, practices and actors, fed from the store.
    search: SearchIndex,
    /// The records related items were judged from, with their words read, kept between calls.
    related_candidates: related::KeptCandidates,
    graph: RwLock<PartnershipGraph>,
    /// The partnerships' version the graph is kept for (see [`Store::kept_graph`]), if it is.
    graph_kept: std::sync::Mutex<Option<u64>>,
    /// Available offers by objective and every actor, in memory: what ranking reads.
    catalogue: RwLock<Catalogue>,
    /// Each provider's completed engagements, rebuilt from completed matches at start.
    track_records: RwLock<TrackRecords>,
    writer: tokio::sync::Mutex<()>,
    weights: ScoreWeights,
    proposal_ttl: Duration,
    sweep_interval: Duration,
    /// Days without an update after which a listing is stale.
    stale_after_days: u32,
    /// Open needs one allocation run may take.
    max_needs_per_run: usize,
    /// Each matched need's time to match, by objective and region: what the expected time to
    /// match of a need reads.
    match_history: RwLock<MatchHistory>,
    /// One permit per open watch stream.
    watchers: Arc<tokio::sync::Semaphore>,
    /// Watch streams open at once at most: the permits `watchers` started with.
    max_watchers: usize,
    /// Set at shutdown: watch streams end.
    closing: tokio::sync::watch::Sender<bool>,
    /// Wall-clock milliseconds and tokio instant when the hub opened: see [`Hub::now`].
    opened: (UnixMillis, tokio::time::Instant),
    /// The last count of GetStats' statistics (see [`Hub::stats`]).
    stats_counted: std::sync::Mutex<Option<insights::CountedStats>>,
}

impl Hub {
    /// Opens the store in `data_dir` and rebuilds from it the partnership graph, the offer
    /// catalogue and the providers' track records.
    pub fn open(data_dir: &Path, settings: HubSettings) -> Result<Hub, HubError> {
        let store = Arc::new(Store::open(data_dir, &settings.store)?);
        let rebuilt = rebuild::rebuild(&store)?;
        let search = SearchIndex::open(&data_dir.join(SEARCH_DIR), Arc::clone(&store))?;
        let match_history = MatchHistory::load(&store)?;
        tracing::info!(
            partnerships = rebuilt.graph.partnership_count(),
            "partnership graph rebuilt"
        );
        Ok(Hub {
            store,
            search,
            related_candidates: related::KeptCandidates::default(),
            graph: RwLock::new(rebuilt.graph),
            graph_kept: std::sync::Mutex::new(rebuilt.graph_kept),
            catalogue: RwLock::new(rebuilt.catalogue),
            track_records: RwLock::new(rebuilt.track_records),
            writer: tokio::sync::Mutex::new(()),
            weights: settings.weights,
            proposal_ttl: settings.proposal_ttl,
            sweep_interval: settings.sweep_interval,
            stale_after_days: settings.stale_after_days,
            max_needs_per_run: settings.max_needs_per_run,
            match_history: RwLock::new(match_history),
            watchers: Arc::new(tokio::sync::Semaphore::new(settings.max_watchers)),
            max_watchers: settings.max_watchers,
            closing: tokio::sync::watch::Sender::new(false),
            opened: (chrono::Utc::now().timestamp_millis(), tokio::time::Instant::now()),
            stats_counted: std::sync::Mutex::new(None),
        })
    }

    /// True when the store holds no actor yet (the demo world loads only then).
    pub fn is_empty(&self) -> bool {
        self.store.is_empty::<crate::domain::Actor>()
    }

    /// Writes a consistent backup of the whole store to `out`, and gives `out` back with what was
    /// written. Writes wait meanwhile, so the copy holds every write acknowledged before the call
    /// and none after (sled has no snapshots to copy from instead); the walk runs on the blocking
    /// pool, and `out` decides the pace and the memory (the server streams it in bounded chunks).
    pub async fn backup<W: std::io::Write + Send + 'static>(
        self: &Arc<Self>,
        mut out: W,
    ) -> Result<(BackupSummary, W), HubError> {
        let hub = Arc::clone(self);
        // The walk itself holds the writer lock (taken on the blocking thread), so the copy
        // stays consistent even if this call is dropped while the walk goes on.
        let walk = tokio::task::spawn_blocking(move || {
            let _writers_wait = hub.writer.blocking_lock();
            hub.store.write_backup(&mut out).map(|summary| (summary, out))
        });
        match walk.await {
            Ok(written) => Ok(written?),
            Err(error) => Err(StoreError::Backup(format!("the backup stopped: {error}")).into()),
        }
    }

    /// Restores a backup into `data_dir`, which must be new or empty.
    pub fn restore(data_dir: &Path, input: impl std::io::Read) -> Result<BackupSummary, HubError> {
        Ok(Store::restore_backup(data_dir, input)?)
    }

    /// Flushes the store.
    pub fn flush(&self) -> Result<(), HubError> {
        Ok(self.store.flush()?)
    }

    /// Keeps the partnership graph for the next open if its partnerships changed since it was
    /// last kept, and flushes the store: what a server does as it stops. Writes wait meanwhile,
    /// so the graph kept is the one of the version it is kept for.
    pub async fn close(&self) -> Result<(), HubError> {
        let _writers_wait = self.writer.lock().await;
        self.search.close();
        match self.store.partnerships_version() {
            Ok(Some(version)) => {
                let mut kept = self.graph_kept.lock().unwrap_or_else(PoisonError::into_inner);
                if *kept != Some(version) {
                    *kept = rebuild::keep_graph(&self.store, version, &self.graph());
                }
            }
            // The store is flushed all the same; the next open rebuilds the graph.
            Ok(None) => tracing::warn!("partnerships' version damaged; the graph is not kept"),
            Err(error) => tracing::warn!(%error, "partnerships' version unreadable; the graph is not kept"),
        }
        self.flush()
    }

    /// The current time. It follows tokio's clock from the wall-clock time at open, so tests
    /// with a paused clock can move the hub through days.
    pub fn now(&self) -> UnixMillis {
        let elapsed = i64::try_from(self.opened.1.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.opened.0.saturating_add(elapsed)
    }

    /// Whether a need is stale now (see [`Staleness`]).
    pub fn need_staleness(&self, need: &Need) -> Staleness {
        need.staleness(self.now(), self.stale_after_days)
    }

    /// Whether an offer is stale now (see [`Staleness`]).
    pub fn offer_staleness(&self, offer: &Offer) -> Staleness {
        offer.staleness(self.now(), self.stale_after_days)
    }

    /// Runs a read-modify-write under the writer lock, applies its writes atomically, refreshes
    /// the catalogue and runs `applied` (in-memory follow-ups such as graph edges) still under the
    /// lock, then waits for durability outside it.
    async fn write<T>(
        &self,
        change: impl FnOnce(&Store) -> Result<(WriteSet, T), HubError>,
        applied: impl FnOnce(&T),
    ) -> Result<T, HubError> {
        let (value, ticket) = self.write_unacknowledged(change, applied).await?;
        self.store.durable(ticket).await?;
        Ok(value)
    }

    /// [`Hub::write`] without waiting for the flush: the change is applied, and acknowledged only
    /// once the caller has waited on the ticket. A batch of writes waits once, on its last ticket,
    /// since a flush covers every ticket before the one it was started for.
    async fn write_unacknowledged<T>(
        &self,
        change: impl FnOnce(&Store) -> Result<(WriteSet, T), HubError>,
        applied: impl FnOnce(&T),
    ) -> Result<(T, FlushTicket), HubError> {
        let _guard = self.writer.lock().await;
        let (writes, value) = change(&self.store)?;
        let applied_writes = self.apply(writes)?;
        applied(&value);
        Ok((value, applied_writes.ticket))
    }

    /// Applies `writes` and brings the catalogue up to date with them. Callers hold the writer
    /// lock.
    fn apply(&self, writes: WriteSet) -> Result<crate::store::Applied, HubError> {
        let touched = Touched::of(&writes);
        let applied = self
            .related_candidates
            .applying(writes, |writes| self.store.apply(writes))?;
        self.catalogue_mut().refresh(&self.store, &touched);
        self.search.changed();
        Ok(applied)
    }

    fn catalogue(&self) -> RwLockReadGuard<'_, Catalogue> {
        self.catalogue.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn catalogue_mut(&self) -> RwLockWriteGuard<'_, Catalogue> {
        self.catalogue.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The provider's completed engagements so far.
    fn track_record(&self, provider_id: &str) -> TrackRecord {
        let records = self.track_records.read().unwrap_or_else(PoisonError::into_inner);
        records.of(provider_id)
    }

    /// A copy of `record` in status `to`; FAILED_PRECONDITION names a refused transition.
    fn moved<R: Stateful>(record: &R, to: R::Status, now: UnixMillis) -> Result<R, HubError> {
        lifecycle::moved(record, to, now).map_err(HubError::Refused)
    }

    /// The record of kind `R` whose id a request gave in `field`, or NOT_FOUND naming that
    /// field: handlers look records up by the field the client filled in.
    pub fn record<R: Record>(&self, field: &'static str, id: &str) -> Result<R, HubError> {
        self.load(field, id)
    }

    /// The record of kind `R` named in `field`, or NOT_FOUND.
    fn load<R: Record>(&self, field: &'static str, id: &str) -> Result<R, HubError> {
        self.store.get::<R>(id)?.ok_or_else(|| HubError::NotFound {
            field,
            kind: R::ID_PREFIX,
            id: id.to_string(),
        })
    }

    /// The record an earlier create with this idempotency key made, if any.
    fn replay<R: Record>(&self, scope: &str, request_id: &str) -> Result<Option<R>, HubError> {
        if request_id.is_empty() {
            return Ok(None);
        }
        match self.store.request_outcome(scope, request_id)? {
            Some(id) => Ok(self.store.get::<R>(&id)?),
            None => Ok(None),
        }
    }
}

/// Every provider's track record, by the provider's record number: ranking looks one up for
/// each of thousands of candidates, and a number is found without reading the offer's provider
/// id (FxHash: hashed at every look-up).
#[derive(Debug, Default)]
struct TrackRecords(FxHashMap<u64, TrackRecord>);

impl TrackRecords {
    /// Every provider's track record, from the completed matches in the store.
    fn load(store: &Store) -> Result<TrackRecords, HubError> {
        let mut records = TrackRecords::default();
        for number in store.ids_in_index(TreeName::MatchesByStatus, MatchStatus::Completed.index_key()) {
            let Some(completed) = store.get_by_number::<Match>(number?)? else {
                continue;
            };
            if let Some(outcome) = &completed.outcome {
                records.record(&completed.provider_id, outcome.rating);
            }
        }
        Ok(records)
    }

    /// The track record of the provider with this record number (neutral without outcomes).
    fn of_number(&self, provider: u64) -> TrackRecord {
        self.0.get(&provider).copied().unwrap_or_default()
    }

    /// The track record of the provider with this id.
    fn of(&self, provider_id: &str) -> TrackRecord {
        records::id_number::<Actor>(provider_id)
            .map_or_else(|_| TrackRecord::default(), |number| self.of_number(number))
    }

    /// Adds a completed engagement's rating to its provider's record. Providers are store ids
    /// (every write path checks the actor exists); one that is not has no record to add to.
    fn record(&mut self, provider_id: &str, rating: u32) {
        if let Ok(number) = records::id_number::<Actor>(provider_id) {
            self.0.entry(number).or_default().record(rating);
        }
    }
}

/// Checks a page size against its cap, defaulting 0.
pub fn page_request(page_size: i32, after: Option<String>) -> Result<PageRequest, Violations> {
    let limit = crate::domain::validation::count_or_default("page_size", page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    Ok(PageRequest { after, limit })
}

impl Hub {
    /// A page of `R` records from `scan` that pass `keep`; the page token must come from an
    /// earlier page of the same kind.
    fn list<R: Record>(
        &self,
        scan: crate::store::Scan<'_>,
        page: &PageRequest,
        keep: impl Fn(&R) -> bool,
    ) -> Result<Page<R>, HubError> {
        if let Some(after) = &page.after
            && crate::store::records::id_key::<R>(after).is_none()
        {
            return Err(Violations::single("page_token", "is not a token from a previous page of this list").into());
        }
        Ok(self.store.page(scan, page, keep)?)
    }
}
