//! The indexer: one thread that owns the index writer and keeps the index up to date with the
//! store's search feed ([`Store::search_changes_after`]). It applies what the feed names as soon
//! as it is told of a write, and commits once writes pause for [`QUIET`] or [`COMMIT_EVERY`] has
//! passed since the first uncommitted one: a write is findable within about a second. Each
//! commit records the last feed entry it holds; at open the feed is applied from there, so the
//! index catches up with every acknowledged write after a crash.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tantivy::{IndexReader, IndexWriter, TantivyDocument, Term};

use super::document::{Fields, Searchable};
use super::{IndexState, NoticeReceiver, RecordKind, SearchError};
use crate::domain::{Reason, Refusal};
use crate::store::Store;

/// How long writes must pause before the indexer commits.
const QUIET: Duration = Duration::from_millis(100);
/// The longest a write waits for its commit while writes keep coming.
const COMMIT_EVERY: Duration = Duration::from_secs(1);
/// Records read and filed at a time when the index is rebuilt.
const REBUILD_PART: usize = 4_096;

/// What the hub tells the indexer.
pub enum Notice {
    /// The store applied a write: the feed has something new.
    Changed,
    /// Commit what is pending and stop; the sender is told once done.
    Close(std::sync::mpsc::Sender<()>),
}

/// What the index's last commit says it holds (its payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holds {
    /// The last feed entry applied.
    pub applied: u64,
    /// The reading rules the documents were read under ([`crate::text::analysis::reading_rules`]).
    pub rules: u64,
    /// [`super::INDEX_VERSION`].
    pub version: u32,
}

impl Holds {
    /// What an index up to date with feed entry `applied` holds under today's rules.
    pub fn now(applied: u64) -> Holds {
        Holds {
            applied,
            rules: crate::text::analysis::reading_rules(),
            version: super::INDEX_VERSION,
        }
    }

    /// Whether documents made under these rules are today's.
    pub fn is_current(&self) -> bool {
        let today = Holds::now(self.applied);
        self.rules == today.rules && self.version == today.version
    }
}

/// The indexer's state.
pub struct Indexer {
    pub reader: IndexReader,
    pub writer: IndexWriter<TantivyDocument>,
    pub fields: Fields,
    pub store: Arc<Store>,
    /// The last feed entry applied (committed or not).
    pub applied: u64,
    /// Whether it holds changes not yet committed, and since when.
    pub pending_since: Option<Instant>,
    /// Set at shutdown: a rebuild stops between parts rather than finish first.
    pub stop: Arc<AtomicBool>,
}

impl Indexer {
    /// Brings the index up to date (rebuilding it when `rebuild`), then follows `notices` until
    /// told to close or the hub is gone.
    pub fn run(mut self, rebuild: bool, notices: NoticeReceiver, state: &tokio::sync::watch::Sender<IndexState>) {
        let started = Instant::now();
        let caught_up = if rebuild {
            self.rebuild(state)
        } else {
            self.catch_up().and_then(|()| self.commit())
        };
        match caught_up {
            Ok(()) => {
                tracing::info!(
                    rebuilt = rebuild,
                    applied = self.applied,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "search index up to date"
                );
                state.send_replace(IndexState::Ready);
            }
            Err(error) => {
                // Nothing of a failed or stopped rebuild is committed: the index stays as its
                // last commit left it, which the next open judges again.
                if let Err(rollback) = self.writer.rollback() {
                    tracing::error!(%rollback, "search index rollback failed");
                }
                if matches!(error, SearchError::Unavailable(_)) && self.stop.load(Ordering::Acquire) {
                    tracing::info!("search index rebuild stopped by shutdown; the next open resumes it");
                } else {
                    tracing::error!(%error, "the search index could not be brought up to date");
                }
                state.send_replace(IndexState::Failed(error.to_string()));
                return;
            }
        }
        self.follow(&notices, state);
    }

    /// Applies feed entries as writes arrive and commits as [`QUIET`] and [`COMMIT_EVERY`] say.
    fn follow(&mut self, notices: &NoticeReceiver, state: &tokio::sync::watch::Sender<IndexState>) {
        let mut last_change = Instant::now();
        loop {
            let wait = match self.pending_since {
                Some(since) => (last_change + QUIET)
                    .min(since + COMMIT_EVERY)
                    .saturating_duration_since(Instant::now()),
                None => COMMIT_EVERY,
            };
            let notice = notices.recv_timeout(wait);
            let closing = match notice {
                Ok(Notice::Changed) => {
                    last_change = Instant::now();
                    None
                }
                Ok(Notice::Close(done)) => Some(Some(done)),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => Some(None),
            };
            let result = self.catch_up().and_then(|()| {
                let due = self.pending_since.is_some_and(|since| {
                    let now = Instant::now();
                    now >= last_change + QUIET || now >= since + COMMIT_EVERY
                });
                if due || closing.is_some() {
                    self.commit()
                } else {
                    Ok(())
                }
            });
            match result {
                Ok(()) => {
                    state.send_if_modified(|state| {
                        let changed = *state != IndexState::Ready;
                        *state = IndexState::Ready;
                        changed
                    });
                }
                Err(error) => {
                    // The feed keeps what was not committed: the next round or the next open
                    // applies it; meanwhile searches say the index is out of service.
                    tracing::error!(%error, "search index update failed");
                    state.send_replace(IndexState::Failed(error.to_string()));
                }
            }
            if let Some(done) = closing {
                if let Some(done) = done {
                    // The closer may have stopped waiting; nothing is lost either way.
                    let _ = done.send(());
                }
                return;
            }
        }
    }

    /// Applies every feed entry after the last one applied: each record is read as it is now
    /// and filed again, or dropped when it is gone or no longer findable.
    fn catch_up(&mut self) -> Result<(), SearchError> {
        let changes: Vec<_> = self
            .store
            .search_changes_after(self.applied)
            .collect::<Result<_, _>>()?;
        let Some(last) = changes.last().map(|change| change.change) else {
            return Ok(());
        };
        for change in changes {
            self.writer
                .delete_term(Term::from_field_u64(self.fields.number, change.number));
            if let Some(kind) = RecordKind::of_tree(change.tree)
                && let Some(record) = Searchable::read(&self.store, kind, change.number)?
            {
                self.writer.add_document(self.fields.document(&record))?;
            }
        }
        self.applied = last;
        self.pending_since.get_or_insert_with(Instant::now);
        Ok(())
    }

    /// Makes what was applied durable and searchable. The store is flushed first, so the feed
    /// entries the commit says it holds are on disk: an index is never ahead of its store.
    fn commit(&mut self) -> Result<(), SearchError> {
        self.store.flush()?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&Holds::now(self.applied)).unwrap_or_default());
        prepared.commit()?;
        self.reader.reload()?;
        self.pending_since = None;
        self.store.forget_search_changes(self.applied)?;
        Ok(())
    }

    /// Files every findable record afresh, then what the feed gained meanwhile, and commits.
    fn rebuild(&mut self, state: &tokio::sync::watch::Sender<IndexState>) -> Result<(), SearchError> {
        let from = self.store.last_search_change();
        let total = RecordKind::ALL
            .iter()
            .map(|kind| self.store.count(kind.tree()))
            .sum::<usize>();
        self.writer.delete_all_documents()?;
        let mut done = 0;
        for kind in RecordKind::ALL {
            let (writer, fields) = (&self.writer, self.fields);
            let stop = &self.stop;
            Searchable::read_all(&self.store, kind, REBUILD_PART, |records| {
                if stop.load(Ordering::Acquire) {
                    return Err(SearchError::Unavailable(Refusal::new(
                        Reason::ShuttingDown,
                        "the hub is shutting down",
                    )));
                }
                let documents: Vec<TantivyDocument> =
                    records.par_iter().map(|record| fields.document(record)).collect();
                for document in documents {
                    writer.add_document(document)?;
                }
                done += records.len();
                state.send_replace(IndexState::Building { done, total });
                Ok(())
            })?;
        }
        self.applied = from;
        self.catch_up()?;
        self.commit()
    }
}
