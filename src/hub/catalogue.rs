//! The offers open to matching and every actor, decoded once and kept in memory.
//!
//! FindMatches, FindBundles and RunAllocation rank thousands of offers per need at tier L; reading
//! and decoding each from sled per query cost more than the whole scoring. The catalogue holds
//! the available offers grouped by GCM objective and the actors (providers of candidates, names
//! along trust paths) as shared records. It is rebuilt from the store at open and refreshed,
//! under the writer lock, with exactly the records each applied change wrote
//! ([`crate::store::WriteSet::changed`]), right after the change commits: a reader may see a
//! write in the store a moment before it sees it here, never the other way round, and every
//! proposal re-checks its pair against the store.
//!
//! It also holds the available offers' words as a text collection ([`TextIndex`]): each offer's
//! terms, and the vocabulary and counts BM25 weighs a need's words with, moved with every offer
//! filed or taken out, so text relevance always reflects the offers as they are.

use std::collections::HashMap;
use std::ops::{Range, RangeBounds};
use std::sync::{Arc, Mutex, PoisonError};

use compact_str::CompactString;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::domain::{Actor, Need, NeedStatus, Objective, Offer};
use crate::matching::keys::{NeedKey, OfferKey};
use crate::store::{Record, Store, StoreError, TreeName, WriteSet, records};
use crate::text::{
    Document, NeedTerms, NeedWeight, OfferReader, TermCount, TextIndex, TextMatch, TextQuery, TextReading, WordedQuery,
};

/// Available offers by objective, and every actor.
#[derive(Debug, Default)]
pub(super) struct Catalogue {
    /// The available offers (active, with capacity left) of each objective, by record number
    /// ascending, with their terms. Entries sit side by side, and so do their terms, so a
    /// query's prefilter and its text relevance read memory in order.
    by_objective: HashMap<Objective, Shelf>,
    /// Every actor, by id (FxHash: ranking looks up every provider it scores exactly; ids kept
    /// inline, so a look-up compares without reading other memory).
    actors: FxHashMap<CompactString, Arc<Actor>>,
    /// The open needs of each objective, by record number ascending: what FindNeeds and the
    /// offers' watchers rank.
    needs_by_objective: HashMap<Objective, NeedShelf>,
    /// Whether the open needs are filed: they are filed on the first query from an offer's side
    /// ([`Catalogue::file_open_needs`]), so a hub nobody asks from that side opens and serves
    /// without them (reading 200,000 needs at tier L doubled the open and added 300 MB).
    needs_filed: bool,
    /// The available offers' words: vocabulary and counts.
    text: TextIndex,
}

/// One open need under one of its objectives.
#[derive(Debug, Clone)]
pub(super) struct NeedEntry {
    /// The need's record number: ties go to the older need.
    pub(super) number: u64,
    /// Record number of the requester.
    pub(super) requester: u64,
    pub(super) key: NeedKey,
    pub(super) need: Arc<Need>,
    /// The need's words numbered in the offers' vocabulary.
    pub(super) terms: NeedTerms,
}

/// One objective's open needs, by record number ascending, and what their words weigh.
#[derive(Debug, Default)]
struct NeedShelf {
    entries: Vec<NeedEntry>,
    /// Each entry's weight, by position, in the collection of one generation: weighed again by
    /// the first query after offers were filed or taken out, kept in step as needs come and go.
    weights: Mutex<Option<Arc<ShelfWeights>>>,
}

/// A shelf's needs' weights in one generation of the offers' collection.
#[derive(Debug, Clone)]
struct ShelfWeights {
    generation: u64,
    weights: Vec<NeedWeight>,
}

impl NeedShelf {
    /// The entries' weights in the collection as it is, weighed now if they were not.
    fn weights(&self, text: &TextIndex) -> Arc<ShelfWeights> {
        let mut kept = self.weights.lock().unwrap_or_else(PoisonError::into_inner);
        match &*kept {
            Some(weights) if weights.generation == text.generation() => Arc::clone(weights),
            _ => {
                let weights = Arc::new(ShelfWeights {
                    generation: text.generation(),
                    weights: self
                        .entries
                        .iter()
                        .map(|entry| text.need_weight(&entry.terms))
                        .collect(),
                });
                *kept = Some(Arc::clone(&weights));
                weights
            }
        }
    }

    /// The kept weights, when they are of the collection as it is, to keep in step with a
    /// change of entries; `None` (and nothing kept) otherwise.
    fn current_weights(&mut self, text: &TextIndex) -> Option<&mut Vec<NeedWeight>> {
        let kept = self.weights.get_mut().unwrap_or_else(PoisonError::into_inner);
        if kept
            .as_ref()
            .is_some_and(|weights| weights.generation != text.generation())
        {
            *kept = None;
        }
        kept.as_mut().map(|weights| &mut Arc::make_mut(weights).weights)
    }
}

/// A run of one shelf's open needs, for a query from an offer's side ([`Catalogue::needs_for`]).
pub(super) struct NeedsPart<'a, 'k> {
    entries: &'a [NeedEntry],
    weights: Arc<ShelfWeights>,
    range: Range<usize>,
    /// The offer's objectives before the shelf's: a need sharing several of them is yielded
    /// under the first.
    earlier: &'k [Objective],
    provider: Option<u64>,
    offer_key: &'k OfferKey,
}

impl<'a> NeedsPart<'a, '_> {
    /// The part's needs that the offer passes the hard filters for.
    pub(super) fn candidates(&self) -> impl Iterator<Item = NeedCandidate<'a>> + '_ {
        let entries: &'a [NeedEntry] = self.entries;
        self.range.clone().filter_map(move |at| {
            let entry = &entries[at];
            let serves = self.offer_key.serves(&entry.key)
                && Some(entry.requester) != self.provider
                && !entry.key.has_any_theme(self.earlier);
            serves.then(|| NeedCandidate {
                entry,
                weight: self.weights.weights[at],
            })
        })
    }
}

/// An open need an offer can serve, for a query from the offer's side.
pub(super) struct NeedCandidate<'a> {
    pub(super) entry: &'a NeedEntry,
    /// What the need's words weigh in the offers' collection as it is.
    pub(super) weight: NeedWeight,
}

/// One objective's available offers, and their terms in one buffer.
#[derive(Debug, Default)]
struct Shelf {
    entries: Vec<Entry>,
    /// The entries' terms, each entry's in one range. An offer filed later (one edited, say)
    /// has its terms appended; taken out, it leaves them unused until the shelf is tidied.
    terms: Vec<TermCount>,
    /// Terms no entry uses any more.
    unused: usize,
}

/// One available offer under one of its objectives.
#[derive(Debug, Clone)]
struct Entry {
    number: u64,
    /// Record number of the provider: compared and hashed where the id string would cost.
    provider: u64,
    key: OfferKey,
    offer: Arc<Offer>,
    document: Document<Range<u32>>,
}

/// A candidate offer of a query.
pub(super) struct Candidate<'a> {
    /// The offer's record number: ties in ranking go to the older offer.
    pub(super) number: u64,
    /// The provider's record number.
    pub(super) provider: u64,
    /// The offer as stored.
    pub(super) offer: &'a Arc<Offer>,
    /// The offer's key, for the score bound.
    pub(super) key: &'a OfferKey,
    /// The offer's terms, for its text relevance.
    pub(super) document: Document<&'a [TermCount]>,
}

/// The records an applied change touched that the catalogue mirrors, taken from its write set
/// before the store consumes it.
pub(super) struct Touched {
    offers: Vec<u64>,
    needs: Vec<u64>,
    actors: Vec<u64>,
}

impl Touched {
    /// The offers, needs and actors `writes` changes.
    pub(super) fn of(writes: &WriteSet) -> Touched {
        Touched {
            offers: writes.changed(TreeName::Offers).collect(),
            needs: writes.changed(TreeName::Needs).collect(),
            actors: writes.changed(TreeName::Actors).collect(),
        }
    }
}

/// A record whose title and description the catalogue reads, and keeps read in the store.
pub(super) trait Worded: Record + Sized {
    /// Where readings of this kind are kept, by record number.
    const READINGS: TreeName;
    /// The title, the description and the record's languages.
    fn words(&self) -> (&str, &str, &[String]);
    /// The record's words read: an explained record's ([`Need`]) with how to show its terms.
    fn reading(&self) -> TextReading;
    /// Whether the record goes on the shelves: an available offer, an open need, under at
    /// least one objective. An offer is taken out of the text counts through its shelves, so
    /// one on none (every write path refuses a record without themes) must not be counted either.
    fn is_shelved(&self) -> bool;
}

impl Worded for Offer {
    const READINGS: TreeName = TreeName::OfferReadings;

    fn words(&self) -> (&str, &str, &[String]) {
        (&self.spec.title, &self.spec.description, &self.spec.languages)
    }

    fn reading(&self) -> TextReading {
        TextReading::of(&self.spec.title, &self.spec.description, &self.spec.languages)
    }

    fn is_shelved(&self) -> bool {
        self.is_available() && !self.spec.themes.is_empty()
    }
}

impl Worded for Need {
    const READINGS: TreeName = TreeName::NeedReadings;

    fn words(&self) -> (&str, &str, &[String]) {
        (&self.spec.title, &self.spec.description, &self.spec.languages)
    }

    fn reading(&self) -> TextReading {
        TextReading::with_words(&self.spec.title, &self.spec.description, &self.spec.languages)
    }

    fn is_shelved(&self) -> bool {
        self.status == NeedStatus::Open && !self.spec.themes.is_empty()
    }
}

impl Catalogue {
    /// Reads every actor from the store and files the available offers among `offers`, read by
    /// [`read_records`] (on other threads, at open) and given in number order. Open needs are
    /// filed later, on first use ([`Catalogue::file_open_needs`]).
    pub(super) fn load(
        store: &Store,
        offers: impl IntoIterator<Item = Result<RecordRead<Offer>, StoreError>>,
    ) -> Result<Catalogue, StoreError> {
        let mut catalogue = Catalogue::default();
        for actor in store.all::<Actor>() {
            let actor = actor?;
            catalogue.actors.insert(CompactString::from(&actor.id), Arc::new(actor));
        }
        let mut fresh = Fresh::default();
        for read in offers {
            let (number, offer, reading) = fresh.take(read?);
            let filed = catalogue.put_offer(number, offer, |offer| reading.unwrap_or_else(|| offer.reading()));
            fresh.filed::<Offer>(store, number, filed);
        }
        fresh.keep::<Offer>(store);
        Ok(catalogue)
    }

    /// Re-reads the records a change touched, after it was applied. The change is committed by
    /// then, so a record that cannot be read is logged and left out rather than failing the
    /// write that was already made.
    pub(super) fn refresh(&mut self, store: &Store, touched: &Touched) {
        for &number in &touched.offers {
            let before = self.remove_offer(number);
            match store.get_by_number::<Offer>(number) {
                Ok(Some(offer)) => {
                    let filed = self.put_offer(number, offer, |offer| {
                        fresh_or_kept(store, number, offer, before.as_deref())
                    });
                    if !filed {
                        forget_reading::<Offer>(store, number);
                    }
                }
                Ok(None) => forget_reading::<Offer>(store, number),
                Err(error) => tracing::error!(%error, number, "offer not refreshed in the catalogue"),
            }
        }
        // Needs not filed yet are read as they are then; a reading an allocation run kept for
        // one of them is forgotten, since it may be of words the change replaced, or of a need
        // no longer open.
        if !self.needs_filed {
            for &number in &touched.needs {
                forget_reading::<Need>(store, number);
            }
        }
        let needs: &[u64] = if self.needs_filed { &touched.needs } else { &[] };
        for &number in needs {
            let before = self.remove_need(number);
            match store.get_by_number::<Need>(number) {
                Ok(Some(need)) => {
                    let filed = self.put_need(number, need, |need| {
                        fresh_or_kept(store, number, need, before.as_deref())
                    });
                    if !filed {
                        forget_reading::<Need>(store, number);
                    }
                }
                Ok(None) => forget_reading::<Need>(store, number),
                Err(error) => tracing::error!(%error, number, "need not refreshed in the catalogue"),
            }
        }
        for &number in &touched.actors {
            match store.get_by_number::<Actor>(number) {
                Ok(Some(actor)) => {
                    self.actors.insert(CompactString::from(&actor.id), Arc::new(actor));
                }
                Ok(None) => {}
                Err(error) => tracing::error!(%error, number, "actor not refreshed in the catalogue"),
            }
        }
    }

    /// Files an offer under its objectives when it is available, its words as `reading` gives
    /// them; returns whether it was filed. Offers come from the store, whose providers are store
    /// ids; one with another provider id is logged and left out.
    fn put_offer(&mut self, number: u64, offer: Offer, reading: impl FnOnce(&Offer) -> TextReading) -> bool {
        if !offer.is_shelved() {
            return false;
        }
        let Ok(provider) = records::id_number::<Actor>(&offer.provider_id) else {
            tracing::warn!(offer = %offer.id, provider = %offer.provider_id, "provider id is not a store id; offer left out of matching");
            return false;
        };
        let key = OfferKey::of(&offer);
        let document = self.text.add(&reading(&offer));
        let offer = Arc::new(offer);
        for theme in &offer.spec.themes {
            let shelf = self.by_objective.entry(*theme).or_default();
            let at = shelf.entries.partition_point(|entry| entry.number < number);
            let entry = Entry {
                number,
                provider,
                key,
                offer: Arc::clone(&offer),
                document: document.shelve(&mut shelf.terms),
            };
            shelf.entries.insert(at, entry);
        }
        true
    }

    /// Takes an offer off its shelves; returns it as it was filed, if it was.
    fn remove_offer(&mut self, number: u64) -> Option<Arc<Offer>> {
        let mut removed = None;
        for shelf in self.by_objective.values_mut() {
            let Some(at) = shelf.position(number) else {
                continue;
            };
            let entry = shelf.entries.remove(at);
            if removed.is_none() {
                self.text.remove(entry.document.on(&shelf.terms));
            }
            shelf.unused += entry.document.shelved_terms();
            if shelf.unused * 2 > shelf.terms.len() {
                shelf.tidy();
            }
            removed = Some(entry.offer);
        }
        removed
    }

    /// Files a need under its objectives when it is open, its words as `reading` gives them;
    /// returns whether it was filed. A requester id that is not a store id is logged and left out.
    fn put_need(&mut self, number: u64, need: Need, reading: impl FnOnce(&Need) -> TextReading) -> bool {
        if !need.is_shelved() {
            return false;
        }
        let Ok(requester) = records::id_number::<Actor>(&need.requester_id) else {
            tracing::warn!(need = %need.id, requester = %need.requester_id, "requester id is not a store id; need left out of FindNeeds");
            return false;
        };
        let key = NeedKey::of(&need);
        let terms = self.text.need_terms(&reading(&need));
        let need = Arc::new(need);
        let mut weight = None;
        for theme in &need.spec.themes {
            let shelf = self.needs_by_objective.entry(*theme).or_default();
            let at = shelf.entries.partition_point(|entry| entry.number < number);
            if let Some(weights) = shelf.current_weights(&self.text) {
                weights.insert(at, *weight.get_or_insert_with(|| self.text.need_weight(&terms)));
            }
            let entry = NeedEntry {
                number,
                requester,
                key,
                need: Arc::clone(&need),
                terms: terms.clone(),
            };
            shelf.entries.insert(at, entry);
        }
        true
    }

    /// Whether the open needs are filed.
    pub(super) fn needs_filed(&self) -> bool {
        self.needs_filed
    }

    /// Files every open need, in number order, with its kept reading where one holds (read and
    /// kept otherwise). Each need is filed as it is read: reading them all first held a list of
    /// 200,000 read needs beside the catalogue at tier L, and set the process's peak memory.
    pub(super) fn file_open_needs(&mut self, store: &Store) -> Result<(), StoreError> {
        let mut fresh = Fresh::default();
        for need in store.all::<Need>() {
            let (number, need, reading) = fresh.take(read_record(store, need?)?);
            let filed = self.put_need(number, need, |need| reading.unwrap_or_else(|| need.reading()));
            fresh.filed::<Need>(store, number, filed);
        }
        fresh.keep::<Need>(store);
        self.needs_filed = true;
        Ok(())
    }

    /// Takes a need off its shelves; returns it as it was filed, if it was.
    fn remove_need(&mut self, number: u64) -> Option<Arc<Need>> {
        let mut removed = None;
        for shelf in self.needs_by_objective.values_mut() {
            if let Ok(at) = shelf.entries.binary_search_by_key(&number, |entry| entry.number) {
                if let Some(weights) = shelf.current_weights(&self.text) {
                    weights.remove(at);
                }
                removed = Some(shelf.entries.remove(at).need);
            }
        }
        removed
    }

    /// The open needs that the offer passes the hard filters for, each once, in parts of at
    /// most `part_size` shelf entries that can be scanned apart (on every core, for an offer
    /// that tens of thousands of needs share an objective with): the needs sharing one of its
    /// objectives, tested with their keys as [`Catalogue::candidates_for`] tests offers. The
    /// offer's own availability is the caller's to check.
    pub(super) fn needs_for<'a, 'k>(
        &'a self,
        offer: &'k Offer,
        offer_key: &'k OfferKey,
        part_size: usize,
    ) -> Vec<NeedsPart<'a, 'k>> {
        let provider = records::id_number::<Actor>(&offer.provider_id).ok();
        let themes = &offer.spec.themes;
        let part_size = part_size.max(1);
        let mut parts = Vec::new();
        for (position, theme) in themes.iter().enumerate() {
            let Some(shelf) = self.needs_by_objective.get(theme) else {
                continue;
            };
            let weights = shelf.weights(&self.text);
            for start in (0..shelf.entries.len()).step_by(part_size) {
                parts.push(NeedsPart {
                    entries: &shelf.entries,
                    weights: Arc::clone(&weights),
                    range: start..(start + part_size).min(shelf.entries.len()),
                    earlier: &themes[..position],
                    provider,
                    offer_key,
                });
            }
        }
        parts
    }

    /// The offer's words read against the collection as it is, to weigh many needs' against.
    pub(super) fn offer_reader(&self, offer: &Offer) -> OfferReader {
        self.text.reader(self.offer_document(offer).view())
    }

    /// The offer's terms as filed, or read afresh against the vocabulary when it is not
    /// filed (not available): what a need's words are weighed against.
    fn offer_document(&self, offer: &Offer) -> Document {
        let filed = records::id_number::<Offer>(&offer.id).ok().and_then(|number| {
            offer.spec.themes.iter().find_map(|theme| {
                let shelf = self.by_objective.get(theme)?;
                let at = shelf.position(number)?;
                let document = shelf.entries[at].document.on(&shelf.terms);
                Some(document.owned())
            })
        });
        filed.unwrap_or_else(|| self.text.document(&offer.reading()))
    }

    /// Each available offer that passes the need's hard filters, once, in no particular order.
    /// The objective index gives the offers sharing an objective and the catalogue holds only
    /// available ones; the offer's key tests the rest (see [`OfferKey::serves`]).
    pub(super) fn candidates_for<'a, 'k>(
        &'a self,
        need: &'k Need,
        need_key: &'k NeedKey,
    ) -> impl Iterator<Item = Candidate<'a>> + use<'a, 'k> {
        let requester = records::id_number::<Actor>(&need.requester_id).ok();
        let themes = &need.spec.themes;
        themes.iter().enumerate().flat_map(move |(position, theme)| {
            let earlier = &themes[..position];
            let shelf = self.by_objective.get(theme);
            let terms = shelf.map_or(&[][..], |shelf| &shelf.terms[..]);
            shelf
                .into_iter()
                .flat_map(|shelf| &shelf.entries)
                .filter(move |entry| entry.key.serves(need_key) && Some(entry.provider) != requester)
                // An offer sharing several of the themes is yielded under the first of them.
                .filter(move |entry| !entry.key.has_any_theme(earlier))
                .map(move |entry| Candidate {
                    number: entry.number,
                    provider: entry.provider,
                    offer: &entry.offer,
                    key: &entry.key,
                    document: entry.document.on(terms),
                })
        })
    }

    /// Whether any available offer passes the need's hard filters: a need without one is unmet
    /// demand.
    pub(super) fn has_candidate_for(&self, need: &Need) -> bool {
        self.candidates_for(need, &NeedKey::of(need)).next().is_some()
    }

    /// A need's words weighed against the available offers' as they are now, with how to show
    /// them.
    pub(super) fn text_query(&self, need: &Need) -> WordedQuery {
        self.worded_query(need.reading())
    }

    /// [`Catalogue::text_query`] from a reading of the need's words ([`need_readings`]), without
    /// reading them again.
    pub(super) fn worded_query(&self, reading: TextReading) -> WordedQuery {
        self.text.query(reading)
    }

    /// [`Catalogue::worded_query`] without how to show the terms: to rank with.
    pub(super) fn reading_query(&self, reading: &TextReading) -> TextQuery {
        self.text.reading_query(reading)
    }

    /// How an offer's words answer a need's, with the words they share. An offer no longer
    /// filed (taken since it was ranked) is read afresh.
    pub(super) fn text_match(&self, query: &WordedQuery, offer: &Offer) -> TextMatch {
        let filed = records::id_number::<Offer>(&offer.id).ok().and_then(|number| {
            offer.spec.themes.iter().find_map(|theme| {
                let shelf = self.by_objective.get(theme)?;
                let at = shelf.position(number)?;
                Some(shelf.entries[at].document.on(&shelf.terms))
            })
        });
        match filed {
            Some(document) => query.explain(document),
            None => query.explain(self.text.document(&offer.reading()).view()),
        }
    }

    /// The actor with this id.
    pub(super) fn actor(&self, id: &str) -> Option<&Arc<Actor>> {
        self.actors.get(id)
    }
}

/// A record read at open by [`read_records`], ready for [`Catalogue::load`] to file.
pub(super) struct RecordRead<R> {
    number: u64,
    record: R,
    /// Its words, read when it is to be shelved.
    reading: Option<KeptOrFresh>,
}

/// Where a record's reading at open came from.
enum KeptOrFresh {
    /// Kept in the store, for the record's words as they are.
    Kept(TextReading),
    /// Read now: none was kept for these words, or the one kept could not be decoded.
    Fresh {
        reading: TextReading,
        unreadable: Option<StoreError>,
    },
}

/// Readings made afresh while loading, kept [`READINGS_KEPT_AT_ONCE`] at a time (the first open
/// of a store without kept readings writes one per record), and kept readings that could not be
/// decoded (the fields an earlier release wrote, say), logged once rather than once per record.
#[derive(Default)]
struct Fresh {
    readings: Vec<(u64, TextReading)>,
    pending: Option<(u64, TextReading)>,
    unreadable: Option<(usize, StoreError)>,
}

impl Fresh {
    /// The record and the reading to file it with, noting a fresh one.
    fn take<R>(&mut self, read: RecordRead<R>) -> (u64, R, Option<TextReading>) {
        let RecordRead {
            number,
            record,
            reading,
        } = read;
        let reading = match reading {
            Some(KeptOrFresh::Kept(reading)) => Some(reading),
            Some(KeptOrFresh::Fresh { reading, unreadable }) => {
                if let Some(error) = unreadable {
                    self.unreadable.get_or_insert((0, error)).0 += 1;
                }
                self.pending = Some((number, reading.clone()));
                Some(reading)
            }
            None => None,
        };
        (number, record, reading)
    }

    /// Keeps the fresh reading of the record just taken only if it was filed, as for a record
    /// filed after a write: one left out (an id that is not a store id) has none in the store.
    fn filed<R: Worded>(&mut self, store: &Store, number: u64, filed: bool) {
        if let Some(pending) = self.pending.take().filter(|(at, _)| filed && *at == number) {
            self.readings.push(pending);
        }
        if self.readings.len() == READINGS_KEPT_AT_ONCE {
            keep_readings::<R>(store, self.readings.iter().map(|(number, reading)| (*number, reading)));
            self.readings.clear();
        }
    }

    fn keep<R: Worded>(self, store: &Store) {
        if let Some((count, error)) = self.unreadable {
            tracing::warn!(count, first = %error, tree = R::READINGS.name(), "kept readings unreadable (an earlier release's, say); read again");
        }
        keep_readings::<R>(store, self.readings.iter().map(|(number, reading)| (*number, reading)));
    }
}

/// The records of kind `R` with numbers in `numbers`, decoded and their words read (from the
/// kept readings where they hold): the part of filing a record that any thread can do.
pub(super) fn read_records<R: Worded>(
    store: &Store,
    numbers: impl RangeBounds<u64>,
) -> Result<Vec<RecordRead<R>>, StoreError> {
    store
        .all_in::<R>(numbers)
        .map(|record| read_record(store, record?))
        .collect()
}

/// One record with its number and its words read (from its kept reading where it holds).
fn read_record<R: Worded>(store: &Store, record: R) -> Result<RecordRead<R>, StoreError> {
    let number = records::id_number::<R>(record.id())?;
    let reading = record.is_shelved().then(|| match kept_reading(store, number, &record) {
        Ok(Some(kept)) => KeptOrFresh::Kept(kept),
        kept => KeptOrFresh::Fresh {
            reading: record.reading(),
            unreadable: kept.err(),
        },
    });
    Ok(RecordRead {
        number,
        record,
        reading,
    })
}

/// The reading to file a record with after a write: the kept one when the words did not change
/// since `before` (a kept reading is trusted only for words that did not change), else read
/// afresh and kept.
fn fresh_or_kept<R: Worded>(store: &Store, number: u64, record: &R, before: Option<&R>) -> TextReading {
    let unchanged = before.is_some_and(|before| before.words() == record.words());
    let kept = match unchanged.then(|| kept_reading(store, number, record)) {
        Some(Ok(kept)) => kept,
        Some(Err(error)) => {
            tracing::warn!(%error, number, tree = R::READINGS.name(), "kept reading unreadable; read again");
            None
        }
        None => None,
    };
    kept.unwrap_or_else(|| {
        let reading = record.reading();
        keep_readings::<R>(store, [(number, &reading)]);
        reading
    })
}

/// The record's reading kept in the store, if one is kept for its words under the reading rules
/// as they are now: reading every offer took most of an open at tier L. One that cannot be
/// decoded is an error for the caller to count; the record is then read again.
fn kept_reading<R: Worded>(store: &Store, number: u64, record: &R) -> Result<Option<TextReading>, StoreError> {
    let (title, description, languages) = record.words();
    let kept = store.derived::<TextReading>(R::READINGS, number)?;
    Ok(kept.filter(|kept| kept.is_of(title, description, languages)))
}

/// Keeps records' readings, by record number; a failure is logged (they are read again at the
/// next open).
fn keep_readings<'r, R: Worded>(store: &Store, readings: impl IntoIterator<Item = (u64, &'r TextReading)>) {
    if let Err(error) = store.keep_derived(R::READINGS, readings) {
        tracing::warn!(%error, tree = R::READINGS.name(), "readings not kept; read again at the next open");
    }
}

/// Readings made afresh that are kept in one batch: sled holds a batch, and what it copies to
/// apply it, until it is applied; one batch of 41,023 needs' readings grew the process by 440 MB
/// at tier L, and the first open of tier L with no readings kept peaked at 2.3 GB.
const READINGS_KEPT_AT_ONCE: usize = 1_000;

/// The readings of needs' words, with how to show their terms, in the needs' order: the one the
/// store keeps where it holds for the words as they are, else read now and kept,
/// [`READINGS_KEPT_AT_ONCE`] at a time (a dry run keeps them too: they are a cache of the
/// words). An allocation run ranks every open need from these and explains the paired ones from
/// them. They are looked up in the needs' order, the store's when the needs come from a scan, a
/// run of them per thread: looked up in ranking's order, sled read its pages from the file again
/// and again (its cache holds a few megabytes). A kept reading that cannot be read is read again
/// from the words, and said once in the log.
pub(super) fn need_readings(store: &Store, needs: &[Need]) -> Vec<TextReading> {
    let unreadable = Mutex::new(None::<(usize, StoreError)>);
    let readings = needs
        .par_chunks(READINGS_KEPT_AT_ONCE)
        .flat_map_iter(|part| {
            let mut read_now = Vec::new();
            let readings: Vec<TextReading> = part
                .iter()
                .map(|need| {
                    let number = records::id_number::<Need>(&need.id).ok();
                    let kept = number.map(|number| (number, kept_reading(store, number, need)));
                    if let Some((_, Err(error))) = kept {
                        let mut unreadable = unreadable.lock().unwrap_or_else(PoisonError::into_inner);
                        unreadable.get_or_insert((0, error)).0 += 1;
                    } else if let Some((_, Ok(Some(kept)))) = kept {
                        return kept;
                    }
                    let reading = need.reading();
                    if let Some(number) = number {
                        read_now.push((number, reading.clone()));
                    }
                    reading
                })
                .collect();
            if !read_now.is_empty() {
                keep_readings::<Need>(store, read_now.iter().map(|(number, reading)| (*number, reading)));
            }
            readings
        })
        .collect();
    if let Some((count, first)) = unreadable.into_inner().unwrap_or_else(PoisonError::into_inner) {
        tracing::warn!(count, %first, tree = Need::READINGS.name(), "kept readings unreadable; read again");
    }
    readings
}

/// Forgets the reading of a record no longer filed.
fn forget_reading<R: Worded>(store: &Store, number: u64) {
    if let Err(error) = store.forget_derived(R::READINGS, number) {
        tracing::warn!(%error, number, tree = R::READINGS.name(), "reading of a record no longer filed not forgotten");
    }
}

impl Shelf {
    /// Where the offer with this record number is among the entries, if filed here.
    fn position(&self, number: u64) -> Option<usize> {
        self.entries.binary_search_by_key(&number, |entry| entry.number).ok()
    }

    /// Moves the entries' terms together, in the entries' order, leaving out unused ones.
    fn tidy(&mut self) {
        let mut terms = Vec::with_capacity(self.terms.len() - self.unused);
        for entry in &mut self.entries {
            entry.document = entry.document.on(&self.terms).shelve(&mut terms);
        }
        self.terms = terms;
        self.unused = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Coverage, DateWindow, Modality, OfferSpec, OfferStatus};
    use crate::store::StoreConfig;

    fn offer(number: u64, themes: &[u32], description: &str) -> Offer {
        Offer {
            id: records::format_id("offer", number),
            provider_id: "actor-1".into(),
            spec: OfferSpec {
                title: format!("Offer {number}"),
                description: description.into(),
                themes: themes.iter().map(|&n| Objective::new(n).unwrap()).collect(),
                modalities: vec![Modality::Training],
                levels: Vec::new(),
                coverage: Coverage {
                    countries: Vec::new(),
                    areas: Vec::new(),
                    worldwide: true,
                },
                languages: vec!["en".into()],
                capacity: 1,
                funding_usd: None,
                window: DateWindow::default(),
            },
            remaining_capacity: 1,
            status: OfferStatus::Active,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Every filed offer's terms on its shelves, as the catalogue reads them for ranking, equal
    /// its terms read afresh against the same vocabulary.
    fn assert_shelves_hold_each_offer_s_terms(catalogue: &Catalogue, offers: &[&Offer]) {
        for offer in offers {
            let number = records::id_number::<Offer>(&offer.id).unwrap();
            let spec = &offer.spec;
            let fresh = catalogue.text.document(&offer.reading());
            for theme in &spec.themes {
                let shelf = &catalogue.by_objective[theme];
                let at = shelf.position(number).unwrap();
                assert_eq!(
                    shelf.entries[at].document.on(&shelf.terms),
                    fresh.view(),
                    "{}",
                    offer.id
                );
            }
        }
    }

    #[test]
    fn shelves_keep_each_offer_s_terms_through_edits_and_tidying() {
        let mut catalogue = Catalogue::default();
        let texts = [
            "border guards and victim identification",
            "remittances for diaspora",
            "shelters",
        ];
        let mut offers: Vec<Offer> = (1..=12)
            .map(|number| offer(number, &[10, 1 + number as u32 % 3], texts[number as usize % 3]))
            .collect();
        for offer in &offers {
            catalogue.put_offer(
                records::id_number::<Offer>(&offer.id).unwrap(),
                offer.clone(),
                Offer::reading,
            );
        }
        // Edits re-file offers (their terms appended), and take enough out to tidy the shelves.
        for offer in offers.iter_mut().take(8) {
            offer.spec.description = "trafficking in persons at border crossings".into();
            let number = records::id_number::<Offer>(&offer.id).unwrap();
            catalogue.remove_offer(number);
            catalogue.put_offer(number, offer.clone(), Offer::reading);
        }
        let shelf = &catalogue.by_objective[&Objective::new(10).unwrap()];
        let used: usize = shelf.entries.iter().map(|e| e.document.shelved_terms()).sum();
        assert_eq!(
            used + shelf.unused,
            shelf.terms.len(),
            "every term is used or counted unused"
        );
        assert!(shelf.unused * 2 <= shelf.terms.len(), "a shelf half unused is tidied");
        let numbers: Vec<u64> = shelf.entries.iter().map(|e| e.number).collect();
        assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]), "{numbers:?}");
        assert_shelves_hold_each_offer_s_terms(&catalogue, &offers.iter().collect::<Vec<_>>());
        catalogue.remove_offer(1);
        let left: Vec<&Offer> = offers[1..].iter().collect();
        assert_shelves_hold_each_offer_s_terms(&catalogue, &left);
        // The counts are those of a catalogue that only ever held the offers left: an offer on
        // two shelves is counted out once.
        let mut fresh = Catalogue::default();
        for offer in &left {
            fresh.put_offer(
                records::id_number::<Offer>(&offer.id).unwrap(),
                Offer::clone(offer),
                Offer::reading,
            );
        }
        let need = TextReading::with_words("Border guards", "victim identification and trafficking", &["en".into()]);
        let (edited, built) = (catalogue.text.query(need.clone()), fresh.text.query(need));
        for offer in &left {
            let (a, b) = (catalogue.text_match(&edited, offer), fresh.text_match(&built, offer));
            assert!((a.relevance - b.relevance).abs() < 1e-9, "{}: {a:?} {b:?}", offer.id);
        }
    }

    #[test]
    fn offers_are_filed_from_their_kept_readings_and_stale_ones_are_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        let offers = [
            offer(1, &[10], "victim identification for border guards"),
            offer(2, &[10], "shelters for survivors"),
        ];
        let mut writes = WriteSet::default();
        for offer in &offers {
            writes.put(None, offer).unwrap();
        }
        store.apply(writes).unwrap();
        let kept = |number| store.derived::<TextReading>(TreeName::OfferReadings, number).unwrap();
        assert!(kept(1).is_none(), "nothing is kept before the offers are first filed");

        let first = Catalogue::load(&store, read_records::<Offer>(&store, ..).unwrap().into_iter().map(Ok)).unwrap();
        for offer in &offers {
            let number = records::id_number::<Offer>(&offer.id).unwrap();
            assert_eq!(kept(number), Some(offer.reading()), "{} kept as read", offer.id);
        }
        // A reading kept for another text (an edit the hub did not see, or older reading rules)
        // is not used: the offer is read again and the fresh reading kept.
        store
            .keep_derived(
                TreeName::OfferReadings,
                [(2, &offer(2, &[10], "remittances").reading())],
            )
            .unwrap();
        // And one that is not a reading at all is read again too, without failing the open.
        let garbage = vec![0xffu8; 3];
        store.keep_derived(TreeName::OfferReadings, [(1, &garbage)]).unwrap();
        assert!(store.derived::<TextReading>(TreeName::OfferReadings, 1).is_err());
        let second = Catalogue::load(&store, read_records::<Offer>(&store, ..).unwrap().into_iter().map(Ok)).unwrap();
        assert_eq!(kept(2), Some(offers[1].reading()));
        assert_eq!(kept(1), Some(offers[0].reading()));
        let need = TextReading::with_words("Shelters", "shelters for survivors", &["en".into()]);
        let (a, b) = (first.text.query(need.clone()), second.text.query(need));
        for offer in &offers {
            assert_eq!(
                first.text_match(&a, offer),
                second.text_match(&b, offer),
                "{}",
                offer.id
            );
        }
        assert!(second.text_match(&b, &offers[1]).relevance > 0.0);
    }

    #[test]
    fn an_edited_offer_is_read_afresh_and_one_taken_off_forgets_its_reading() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        let mut catalogue = Catalogue::default();
        let mut change = |old: Option<&Offer>, new: &Offer| {
            let mut writes = WriteSet::default();
            writes.put(old, new).unwrap();
            let touched = Touched::of(&writes);
            store.apply(writes).unwrap();
            catalogue.refresh(&store, &touched);
        };
        let kept = || store.derived::<TextReading>(TreeName::OfferReadings, 1).unwrap();
        let first = offer(1, &[10], "victim identification for border guards");
        change(None, &first);
        assert_eq!(kept(), Some(first.reading()));
        let mut edited = first.clone();
        edited.spec.description = "remittances for diaspora".into();
        change(Some(&first), &edited);
        assert_eq!(kept(), Some(edited.reading()), "an edit is read and kept afresh");
        let mut paused = edited.clone();
        paused.status = OfferStatus::Paused;
        change(Some(&edited), &paused);
        assert_eq!(kept(), None, "an offer taken off forgets its reading");
        change(Some(&paused), &edited);
        assert_eq!(kept(), Some(edited.reading()), "and is read again when it comes back");
    }
}
