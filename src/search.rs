//! Search over the hub's public records: needs, offers, practices and actors, in an inverted
//! index ([tantivy](https://docs.rs/tantivy)) kept in `<data_dir>/search`. The store stays the
//! truth: the index is fed by the store's search feed, written in the same transaction as every
//! write, and is rebuilt from the records whenever it is missing, damaged or made under other
//! reading rules. Records are read by the hub's own analysis ([`crate::text::analysis`]), so a
//! query finds what ranking would compare: the same stems, and the glossary's concepts across
//! languages ("trata" finds "trafficking").
//!
//! - [`document`]: what search sees of a record, and the document filed for it.
//! - `indexer`: the thread that keeps the index up to date and commits it.
//! - [`snippet`]: passages with the matched words marked.

pub mod document;
mod indexer;
pub mod snippet;

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustc_hash::FxHasher;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, Searcher, SegmentReader, Term};

use crate::domain::validation::count_or_default;
use crate::domain::{Objective, Violations};
use crate::domain::{Reason, Refusal};
use crate::store::{Store, StoreError, TreeName};
use crate::text::Language;
use crate::text::analysis::{TITLE_WEIGHT, query_keys};
pub use document::Searchable;
use document::{Fields, TOKENIZER};
use indexer::{Holds, Indexer, Notice};

/// The version of the index's schema and of what its documents hold: raise it with any change
/// to either, and the index is rebuilt at the next open.
pub const INDEX_VERSION: u32 = 1;
/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Hits in a page when the request does not say.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The largest page.
pub const MAX_PAGE_SIZE: usize = 100;
/// How deep paging goes: hits past this rank are not served (refine the query instead).
pub const MAX_DEPTH: usize = 1_000;
/// Terms of a text [`SearchIndex::lookup`] looks up.
pub const LOOKUP_KEYS: usize = 16;
/// How long a search waits for an index being built before it answers UNAVAILABLE.
const READY_WAIT: Duration = Duration::from_secs(5);
/// The indexer's memory for documents not yet written to a segment.
const WRITER_MEMORY: usize = 48_000_000;

/// The kinds of record search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Need,
    Offer,
    Practice,
    Actor,
}

impl RecordKind {
    /// Every kind, in the order a rebuild files them.
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Actor,
        RecordKind::Practice,
        RecordKind::Offer,
        RecordKind::Need,
    ];

    /// The tree holding this kind.
    pub fn tree(self) -> TreeName {
        match self {
            RecordKind::Need => TreeName::Needs,
            RecordKind::Offer => TreeName::Offers,
            RecordKind::Practice => TreeName::Practices,
            RecordKind::Actor => TreeName::Actors,
        }
    }

    /// The kind a searched tree holds.
    pub fn of_tree(tree: TreeName) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|kind| kind.tree() == tree)
    }

    /// The kind's number in the index.
    pub fn code(self) -> u64 {
        match self {
            RecordKind::Need => 1,
            RecordKind::Offer => 2,
            RecordKind::Practice => 3,
            RecordKind::Actor => 4,
        }
    }

    fn of_code(code: u64) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// Where the index stands.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexState {
    /// Being built from the records: `done` of `total` filed.
    Building { done: usize, total: usize },
    /// Up to date, following writes.
    Ready,
    /// It could not be brought up to date; the reason is in the log.
    Failed(String),
}

/// What went wrong in search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request broke field rules.
    #[error("{0}")]
    Invalid(#[from] Violations),
    /// The index is not ready yet (being built) or failed.
    #[error("{0}")]
    Unavailable(Refusal),
    /// tantivy failed.
    #[error("search index failure: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A search: its words, filters and page.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// Empty: every kind.
    pub kinds: Vec<RecordKind>,
    pub theme: Option<Objective>,
    pub country: Option<String>,
    /// An M49 area slug.
    pub area: Option<String>,
    /// Records read in this language; the query is read in it too.
    pub language: Option<Language>,
    /// 0: [`DEFAULT_PAGE_SIZE`].
    pub page_size: usize,
    pub page_token: Option<String>,
}

/// One hit.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: RecordKind,
    pub id: String,
    pub title: String,
    /// A passage with the matched words between [`snippet::MARK_START`] and [`snippet::MARK_END`].
    pub snippet: String,
    pub score: f32,
}

/// A page of hits.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Where the next page starts, if there may be one.
    pub next_page_token: Option<String>,
}

/// A found record, before its text is read: for callers that rank on their own terms
/// ([`SearchIndex::lookup`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub kind: RecordKind,
    pub number: u64,
    pub score: f32,
}

/// The search index and its indexer thread.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    store: Arc<Store>,
    state: tokio::sync::watch::Receiver<IndexState>,
    notices: Mutex<std::sync::mpsc::Sender<Notice>>,
    /// Set while a notice of change is on its way: writes in a burst send one.
    notified: Arc<AtomicBool>,
    /// Tells a rebuild to stop (at shutdown).
    stop: Arc<AtomicBool>,
    indexer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl SearchIndex {
    /// Opens the index in `dir` (creating it, or starting again when it cannot be read) and
    /// starts the indexer, which brings it up to date with `store` in the background.
    pub fn open(dir: &Path, store: Arc<Store>) -> Result<SearchIndex, SearchError> {
        // The feed entry an index found on disk holds up to; none when it must be rebuilt.
        let (index, applied) = match open_existing(dir) {
            Some((index, holds)) => {
                let current = holds.filter(|holds| holds.is_current() && holds.applied <= store.last_search_change());
                (index, current.map(|holds| holds.applied))
            }
            None => {
                if dir.exists() {
                    tracing::warn!(dir = %dir.display(), "the search index cannot be read; building it again");
                    std::fs::remove_dir_all(dir).map_err(tantivy::TantivyError::from)?;
                }
                std::fs::create_dir_all(dir).map_err(tantivy::TantivyError::from)?;
                let (schema, _) = Fields::schema();
                (Index::create_in_dir(dir, schema)?, None)
            }
        };
        let rebuild = applied.is_none();
        register_tokenizer(&index);
        let fields = Fields::of(&index.schema()).ok_or_else(|| {
            SearchError::Unavailable(Refusal::new(
                Reason::SearchIndexFailed,
                "the search index has another schema",
            ))
        })?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY)
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build();
        let writer = index.writer_with_options(options)?;
        let applied = applied.unwrap_or(0);
        let stop = Arc::new(AtomicBool::new(false));
        let indexer = Indexer {
            stop: Arc::clone(&stop),
            reader: reader.clone(),
            writer,
            fields,
            store: Arc::clone(&store),
            applied,
            pending_since: None,
        };
        let (state_sender, state) = tokio::sync::watch::channel(IndexState::Building { done: 0, total: 0 });
        let (notices, received) = std::sync::mpsc::channel();
        let notified = Arc::new(AtomicBool::new(false));
        let clear = Arc::clone(&notified);
        let thread = std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn(move || {
                let received = NoticeReceiver {
                    received,
                    notified: clear,
                };
                indexer.run(rebuild, received, &state_sender);
            })
            .map_err(tantivy::TantivyError::from)?;
        Ok(SearchIndex {
            reader,
            fields,
            store,
            state,
            notices: Mutex::new(notices),
            notified,
            stop,
            indexer: Mutex::new(Some(thread)),
        })
    }

    /// Tells the indexer the store applied a write.
    pub fn changed(&self) {
        if !self.notified.swap(true, Ordering::AcqRel) {
            let notices = self.notices.lock().unwrap_or_else(PoisonError::into_inner);
            // A stopped indexer is reported by `state`; the write itself is safe in the feed.
            let _ = notices.send(Notice::Changed);
        }
    }

    /// Where the index stands.
    pub fn state(&self) -> IndexState {
        self.state.borrow().clone()
    }

    /// Waits until the index is up to date (at most `READY_WAIT`).
    pub async fn ready(&self) -> Result<(), SearchError> {
        let mut state = self.state.clone();
        // However the wait ends, the state then says what to answer.
        let _ = tokio::time::timeout(
            READY_WAIT,
            state.wait_for(|state| !matches!(state, IndexState::Building { .. })),
        )
        .await;
        match self.state() {
            IndexState::Ready => Ok(()),
            IndexState::Building { done, total } => Err(SearchError::Unavailable(Refusal::new(
                Reason::SearchIndexNotReady,
                format!("the search index is being built ({done} of {total} records filed); retry in a minute"),
            ))),
            IndexState::Failed(reason) => Err(SearchError::Unavailable(Refusal::new(
                Reason::SearchIndexFailed,
                format!("the search index is out of service ({reason}); restarting the hub rebuilds it"),
            ))),
        }
    }

    /// Commits what is pending and stops the indexer (at shutdown; a rebuild under way stops
    /// between parts, committing nothing); waits for it.
    pub fn close(&self) {
        let Some(thread) = self.indexer.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            return;
        };
        self.stop.store(true, Ordering::Release);
        let (done, finished) = std::sync::mpsc::channel();
        let sent = self
            .notices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(Notice::Close(done));
        if sent.is_ok() {
            // The indexer answers once committed, or drops the sender if it stopped on its own.
            let _ = finished.recv();
        }
        if thread.join().is_err() {
            tracing::error!("the search indexer panicked");
        }
    }

    /// A page of hits for `request`.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchPage, SearchError> {
        let checked = CheckedSearch::of(request)?;
        let searcher = self.reader.searcher();
        let query = self.query(&checked.keys, &checked.filters(request, self.fields));
        let wanted = checked.page_size + 1;
        let found = self.top(&searcher, &query, checked.offset, wanted)?;
        let more = found.len() > checked.page_size && checked.offset + checked.page_size < MAX_DEPTH;
        let weights = self.weights(&searcher, &checked.keys)?;
        let mut hits = Vec::with_capacity(checked.page_size);
        for found in found.into_iter().take(checked.page_size) {
            // The index may lag a write by a moment: a record gone meanwhile is left out.
            let Some(record) = Searchable::read(&self.store, found.kind, found.number)? else {
                continue;
            };
            let snippet =
                snippet::hit_snippet(&record.title, &record.body, record.language, &weights, self.fields.body);
            hits.push(SearchHit {
                kind: found.kind,
                id: record.id,
                title: record.title,
                snippet,
                score: found.score,
            });
        }
        let next_page_token = more.then(|| checked.token_at(checked.offset + checked.page_size));
        Ok(SearchPage { hits, next_page_token })
    }

    /// The best `limit` records for a text's terms (a record's own: each key with its
    /// occurrences), among `kinds` and, when given, records of one of `themes`: for callers that
    /// judge the hits themselves. Only the [`LOOKUP_KEYS`] terms that say most about the text
    /// (occurrences times rarity) are looked up: the rest would cost more than they tell.
    pub fn lookup(
        &self,
        terms: &[(&str, f32)],
        kinds: &[RecordKind],
        themes: &[Objective],
        limit: usize,
    ) -> Result<Vec<Found>, SearchError> {
        let searcher = self.reader.searcher();
        let documents = searcher.num_docs().max(1) as f32;
        let mut weighed = Vec::with_capacity(terms.len());
        for (key, occurrences) in terms {
            let frequency = searcher.doc_freq(&Term::from_field_text(self.fields.body, key))?;
            if frequency > 0 {
                weighed.push((*key, occurrences * (documents / frequency as f32).ln()));
            }
        }
        weighed.sort_by(|a, b| b.1.total_cmp(&a.1));
        let keys: Vec<String> = weighed
            .iter()
            .take(LOOKUP_KEYS)
            .map(|(key, _)| key.to_string())
            .collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut filters = Vec::new();
        filters.extend(any_of(
            kinds
                .iter()
                .map(|kind| Term::from_field_u64(self.fields.kind, kind.code())),
        ));
        filters.extend(any_of(themes.iter().map(|theme| {
            Term::from_field_text(self.fields.theme, &theme.number().to_string())
        })));
        let query = self.query(&keys, &filters);
        self.top(&searcher, &query, 0, limit)
    }

    /// The keys' weights for snippets: rarer keys count more.
    fn weights(&self, searcher: &Searcher, keys: &[String]) -> Result<BTreeMap<String, f32>, SearchError> {
        let mut weights = BTreeMap::new();
        for key in keys {
            let frequency = searcher.doc_freq(&Term::from_field_text(self.fields.body, key))?;
            weights.insert(key.clone(), 1.0 / (1.0 + frequency as f32));
        }
        Ok(weights)
    }

    /// Keys scored in the title (weighted as ranking weighs it) and the body, under filters that
    /// do not score.
    fn query(&self, keys: &[String], filters: &[Box<dyn Query>]) -> BooleanQuery {
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(keys.len() * 2);
        for key in keys {
            let term = |field| TermQuery::new(Term::from_field_text(field, key), IndexRecordOption::WithFreqs);
            words.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(term(self.fields.title)), TITLE_WEIGHT)),
            ));
            words.push((Occur::Should, Box::new(term(self.fields.body))));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(words)))];
        for filter in filters {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter.box_clone(), 0.0))));
        }
        BooleanQuery::new(clauses)
    }

    /// `limit` hits from rank `offset`, best first; ties go to the older record, so pages are
    /// stable whatever segments the index is in.
    fn top(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Found>, SearchError> {
        let collector =
            TopDocs::with_limit(limit.max(1))
                .and_offset(offset)
                .tweak_score(move |segment: &SegmentReader| {
                    let numbers = segment
                        .fast_fields()
                        .u64(document::NUMBER)
                        .map(|column| column.first_or_default_col(0));
                    move |doc, score: f32| {
                        let number = numbers.as_ref().map_or(0, |numbers| numbers.get_val(doc));
                        (score, std::cmp::Reverse(number))
                    }
                });
        let hits: Vec<((f32, std::cmp::Reverse<u64>), DocAddress)> = searcher.search(query, &collector)?;
        let mut found = Vec::with_capacity(hits.len());
        for ((score, std::cmp::Reverse(number)), address) in hits {
            let kinds = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64(document::KIND)?
                .first_or_default_col(0);
            if let Some(kind) = RecordKind::of_code(kinds.get_val(address.doc_id)) {
                found.push(Found { kind, number, score });
            }
        }
        Ok(found)
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        self.close();
    }
}

/// Notices as the indexer reads them: taking one clears the flag that coalesces them.
pub struct NoticeReceiver {
    received: std::sync::mpsc::Receiver<Notice>,
    notified: Arc<AtomicBool>,
}

impl NoticeReceiver {
    /// The next notice, waiting at most `wait`.
    pub fn recv_timeout(&self, wait: Duration) -> Result<Notice, std::sync::mpsc::RecvTimeoutError> {
        let notice = self.received.recv_timeout(wait);
        if matches!(notice, Ok(Notice::Changed)) {
            self.notified.store(false, Ordering::Release);
        }
        notice
    }
}

/// The index in `dir` and what its last commit says it holds, if it can be opened.
fn open_existing(dir: &Path) -> Option<(Index, Option<Holds>)> {
    let index = Index::open_in_dir(dir).ok()?;
    Fields::of(&index.schema())?;
    // What its last commit says it holds.
    let holds = index
        .load_metas()
        .ok()
        .and_then(|metas| metas.payload)
        .and_then(|payload| serde_json::from_str(&payload).ok());
    Some((index, holds))
}

fn register_tokenizer(index: &Index) {
    index.tokenizers().register(
        TOKENIZER,
        tantivy::tokenizer::TextAnalyzer::from(snippet::HubTokenizer::new(None)),
    );
}

/// A filter: any of `terms` in `field`; none when there are no terms.
fn any_of(terms: impl Iterator<Item = Term>) -> Option<Box<dyn Query>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .map(|term| {
            (
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
            )
        })
        .collect();
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// A search request whose fields passed their rules.
struct CheckedSearch {
    keys: Vec<String>,
    page_size: usize,
    offset: usize,
    /// Fingerprint of the query and filters: a page token is for this search only.
    fingerprint: u64,
}

impl CheckedSearch {
    fn of(request: &SearchRequest) -> Result<CheckedSearch, Violations> {
        let mut violations = Violations::default();
        let query = request.query.trim();
        let chars = request.query.chars().count();
        let mut keys = Vec::new();
        if query.is_empty() {
            violations.push("query", "must not be empty: give the words to look for");
        } else if chars > MAX_QUERY_CHARS {
            violations.push(
                "query",
                format!("is {chars} characters long; the limit is {MAX_QUERY_CHARS}"),
            );
        } else {
            keys = query_keys(query, request.language);
            violations.check(
                !keys.is_empty(),
                "query",
                "holds no word to look for (only stop words, numbers or signs)",
            );
        }
        let page_size = count_or_default("page_size", request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
            .unwrap_or_else(|broken| {
                violations.append(broken);
                DEFAULT_PAGE_SIZE
            });
        if let Some(country) = &request.country {
            violations.country("country", country);
        }
        if let Some(area) = &request.area {
            violations.area("region", area);
        }
        let fingerprint = fingerprint(request);
        let offset = match request.page_token.as_deref() {
            None | Some("") => 0,
            Some(token) => match parse_token(token) {
                Some((offset, of)) if of == fingerprint && offset < MAX_DEPTH => offset,
                _ => {
                    violations.push(
                        "page_token",
                        "is not a token from a previous page of this search (same query and filters)",
                    );
                    0
                }
            },
        };
        violations.into_result()?;
        Ok(CheckedSearch {
            keys,
            page_size,
            offset,
            fingerprint,
        })
    }

    fn filters(&self, request: &SearchRequest, fields: Fields) -> Vec<Box<dyn Query>> {
        let text = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut filters = Vec::new();
        filters.extend(any_of(
            request
                .kinds
                .iter()
                .map(|kind| Term::from_field_u64(fields.kind, kind.code())),
        ));
        if let Some(theme) = request.theme {
            filters.push(text(fields.theme, &theme.number().to_string()));
        }
        if let Some(country) = &request.country {
            filters.push(text(fields.country, country));
        }
        if let Some(area) = &request.area {
            filters.push(text(fields.region, area));
        }
        if let Some(language) = request.language {
            filters.push(text(fields.language, language.code()));
        }
        filters
    }

    /// The token of the page starting at rank `offset`.
    fn token_at(&self, offset: usize) -> String {
        format!("{offset}.{:016x}", self.fingerprint)
    }
}

fn parse_token(token: &str) -> Option<(usize, u64)> {
    let (offset, fingerprint) = token.split_once('.')?;
    Some((offset.parse().ok()?, u64::from_str_radix(fingerprint, 16).ok()?))
}

/// The query and filters of a search, hashed: what a page token is bound to (not the page size:
/// a token holds the rank its page starts at).
fn fingerprint(request: &SearchRequest) -> u64 {
    let mut hasher = FxHasher::default();
    request.query.trim().hash(&mut hasher);
    let mut kinds: Vec<u64> = request.kinds.iter().map(|kind| kind.code()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.hash(&mut hasher);
    request.theme.map(Objective::number).hash(&mut hasher);
    request.country.hash(&mut hasher);
    request.area.hash(&mut hasher);
    request.language.map(Language::code).hash(&mut hasher);
    hasher.finish()
}
