//! How well an offer's words answer a need's: BM25 over the available offers as the collection,
//! normalised to [0, 1], with the terms the two share for the explanation.
//!
//! For a need's terms `t` (weight `q(t)`: its occurrences, saturated, and [`CONCEPT_WEIGHT`]
//! for a glossary concept) and an offer `d` of length `|d|`:
//!
//! ```text
//! w(t)            = q(t) * idf(t),   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
//! tf_part(t, d)   = tf(t, d) / (tf(t, d) + K1 * (1 - B + B * |d| / avgdl))      in [0, 1)
//! share(T)        = sum over t in T shared by d of w(t) * tf_part(t, d) / sum over t in T of w(t)
//! text_relevance  = share(every term of the need)                when need and offer are in one language
//!                   share(the need's concepts) * c / (c + C0)    when they are written in two
//! ```
//!
//! `tf(t, d)` is the term's occurrences in the offer, title ones counted twice, up to 255 (a
//! term the offer repeats more counts 255 times: its `tf_part` is within 0.5% of 1 either way).
//! `N`, `df` and `avgdl` are the collection's, kept up to date as offers change. Need terms that
//! no offer uses cannot tell offers apart and are left out. The value is the share of the need's
//! informative words the offer answers, each as BM25 counts it. An offer written in another
//! language can share no word with the need, only concepts (the glossary is the bridge), so it is
//! measured on the concepts alone: it must not lose to a same-language offer for its language
//! only. A need names few concepts (`c` of them), so that share is shrunk towards 0 as a track
//! record is, by [`CONCEPT_PRIOR`] concepts assumed unshared: one concept in common says less
//! than five. The value depends only on the pair and the collection, so ranking can bound and prune on
//! it exactly.

use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::analysis::{CONCEPT_MARK, TITLE_WEIGHT, TextReading};
use super::language::Language;

/// BM25's term-frequency saturation.
pub const K1: f64 = 1.2;
/// BM25's length normalisation.
pub const B: f64 = 0.75;
/// Saturation of a need's repeated words.
const K3: f64 = 1.2;
/// A glossary concept shared counts this much more than a word: it was curated, and it is the
/// only bridge between languages.
pub const CONCEPT_WEIGHT: f64 = 1.5;
/// Concepts assumed unshared when an offer in another language is measured on concepts alone.
pub const CONCEPT_PRIOR: f64 = 2.0;
/// Shared terms named in an explanation.
const NAMED_TERMS: usize = 4;

/// A term's number in the index's vocabulary.
type TermId = u32;

/// The available offers' words as a collection: the vocabulary, how many offers use each term,
/// and the offers' total length.
#[derive(Debug, Default)]
pub struct TextIndex {
    ids: FxHashMap<Box<str>, TermId>,
    /// Offers using each term, by term id.
    document_frequency: Vec<u32>,
    documents: u32,
    total_length: f64,
    /// Whether each term id is a glossary concept rather than a stem (kept for need terms,
    /// which are weighed by id alone).
    concept: Vec<bool>,
    /// Whether the vocabulary reached [`VOCABULARY_LIMIT`] (said once in the log).
    full: bool,
    /// Moves with every offer filed or taken out ([`TextIndex::generation`]).
    generation: u64,
}

/// Terms the vocabulary numbers: a word first seen when it is full is left out of the texts
/// that use it, as a word never seen is left out of an unfiled offer's.
const VOCABULARY_LIMIT: usize = 1 << 24;

/// A term's number and its occurrences in an offer (title ones weighted), in four bytes: the
/// number above, the occurrences (whole, saturated at 255) in the lowest eight bits, so terms
/// in id order are in order as numbers. Ranking reads some hundred thousand terms of offers a
/// query, scattered over the shelves; at eight bytes a term, waiting for memory took most of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct TermCount(u32);

// Occurrences are kept whole: a word counts 1, or [`TITLE_WEIGHT`] in a title.
const _: () = assert!(TITLE_WEIGHT as u32 as f32 == TITLE_WEIGHT);

impl TermCount {
    fn new(id: TermId, occurrences: f32) -> TermCount {
        debug_assert!((id as usize) < VOCABULARY_LIMIT, "term {id} past the vocabulary");
        TermCount(id << 8 | occurrences.round().clamp(0.0, 255.0) as u32)
    }

    fn id(self) -> TermId {
        self.0 >> 8
    }

    fn occurrences(self) -> f64 {
        f64::from(self.0 & 0xff)
    }
}

/// An offer's terms as the index numbers them, sorted by id, with its length and language.
/// `Terms` is where the terms are: owned as read (`Box<[TermCount]>`), a range of a shelf that
/// keeps many offers' terms side by side (`Range<u32>`), or borrowed to be scored
/// (`&[TermCount]`): scoring thousands of offers a query reads their terms in order from one
/// buffer rather than from as many allocations.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Document<Terms = Box<[TermCount]>> {
    terms: Terms,
    length: f32,
    language: Option<Language>,
}

impl Document {
    /// The document with its terms borrowed, to score.
    pub fn view(&self) -> Document<&[TermCount]> {
        Document {
            terms: &self.terms,
            length: self.length,
            language: self.language,
        }
    }
}

impl<Terms: AsRef<[TermCount]>> Document<Terms> {
    /// Appends the terms to `shelf`, keeping where they went.
    pub fn shelve(&self, shelf: &mut Vec<TermCount>) -> Document<Range<u32>> {
        let start = shelf.len() as u32;
        shelf.extend_from_slice(self.terms.as_ref());
        Document {
            terms: start..shelf.len() as u32,
            length: self.length,
            language: self.language,
        }
    }
}

impl Document<&[TermCount]> {
    /// Reads one term of each cache line the terms take, and returns them mixed (for
    /// [`std::hint::black_box`], so the reads are made): called for a batch of documents before
    /// any is scored, it has their memory fetched at once rather than one document at a time.
    pub fn read_ahead(&self) -> u32 {
        const PER_LINE: usize = 64 / std::mem::size_of::<TermCount>();
        // The last term too: terms that do not start a line end in one the steps skip.
        let last = self.terms.last().map_or(0, |term| term.0);
        self.terms
            .iter()
            .step_by(PER_LINE)
            .fold(last, |seen, term| seen ^ term.0)
    }
}

impl Document<&[TermCount]> {
    /// The document with its terms copied out of where they were borrowed from.
    pub fn owned(&self) -> Document {
        Document {
            terms: self.terms.into(),
            length: self.length,
            language: self.language,
        }
    }
}

impl Document<Range<u32>> {
    /// The document's terms on the shelf it was put on.
    pub fn on<'s>(&self, shelf: &'s [TermCount]) -> Document<&'s [TermCount]> {
        Document {
            terms: &shelf[self.terms.start as usize..self.terms.end as usize],
            length: self.length,
            language: self.language,
        }
    }

    /// How many terms it has on its shelf.
    pub fn shelved_terms(&self) -> usize {
        self.terms.len()
    }
}

/// A need's terms against the index, ready to score offers: what ranking reads. Built from a
/// need's words read afresh ([`TextIndex::query`], with how to show them) or from its kept reading
/// ([`TextIndex::reading_query`], without reading the words again).
#[derive(Debug, Clone)]
pub struct TextQuery {
    /// `w(t)` of each informative term, in id order (negative for a concept).
    weights: Vec<f64>,
    /// Which ids the need has, a bit per id up to its largest, and per 64 ids how many come
    /// before them: scoring an offer is one test of a small bit set per offer term (thousands of
    /// offers a query), and a term's place in `weights` is a count of bits.
    present: Vec<u64>,
    ranks: Vec<u32>,
    /// The sum of the weights, and of the concepts' weights.
    total: f64,
    concepts_total: f64,
    /// The language the need was read in.
    language: Option<Language>,
    /// The need's informative concepts.
    concepts: usize,
    average_length: f64,
}

/// A need's [`TextQuery`] with the reading it was weighed from, to show its terms: what an
/// explanation names.
#[derive(Debug, Clone)]
pub struct WordedQuery {
    query: TextQuery,
    /// The need's words as read: how to show each term, and the concepts found over it.
    reading: TextReading,
    /// Per informative term, in the order of the query's weights, its position in the reading.
    positions: Vec<usize>,
}

/// A pair's text relevance and the need's words the offer shares, most telling first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextMatch {
    /// In [0, 1].
    pub relevance: f64,
    /// The shared terms as the need wrote them, or as the glossary names them in its language.
    pub shared: Vec<String>,
}

impl TextIndex {
    /// Files an offer's terms ([`TextReading::of`] its title and description): the vocabulary
    /// grows and the counts move.
    pub fn add(&mut self, reading: &TextReading) -> Document {
        let document = numbered(reading, |key| self.number(key));
        for term in document.terms.iter() {
            self.document_frequency[term.id() as usize] += 1;
        }
        self.documents += 1;
        self.total_length += f64::from(reading.length);
        self.generation += 1;
        document
    }

    /// Takes a filed offer's terms out of the counts (the vocabulary keeps its words).
    pub fn remove(&mut self, document: Document<&[TermCount]>) {
        for term in document.terms.iter() {
            if let Some(count) = self.document_frequency.get_mut(term.id() as usize) {
                *count = count.saturating_sub(1);
            }
        }
        self.documents = self.documents.saturating_sub(1);
        self.total_length = (self.total_length - f64::from(document.length)).max(0.0);
        self.generation += 1;
    }

    /// An offer's terms numbered without filing them (an offer no longer available, explained):
    /// words the collection has never seen cannot match a need's informative terms and are left out.
    pub fn document(&self, reading: &TextReading) -> Document {
        numbered(reading, |key| self.ids.get(key).copied())
    }

    /// The id of a term, numbering it when it is new and the vocabulary has room.
    fn number(&mut self, key: &str) -> Option<TermId> {
        if let Some(&id) = self.ids.get(key) {
            return Some(id);
        }
        let id = self.document_frequency.len();
        if id >= VOCABULARY_LIMIT {
            if !self.full {
                self.full = true;
                tracing::warn!(
                    terms = VOCABULARY_LIMIT,
                    "text vocabulary full: words first seen from now until a restart are left out"
                );
            }
            return None;
        }
        let id = id as TermId;
        self.ids.insert(key.into(), id);
        self.document_frequency.push(0);
        self.concept.push(key.starts_with(CONCEPT_MARK));
        Some(id)
    }

    /// A need's terms weighted against the collection as it is now, with how to show them.
    pub fn query(&self, reading: TextReading) -> WordedQuery {
        let (query, positions) = self.weigh(reading.terms(), reading.language);
        WordedQuery {
            query,
            reading,
            positions,
        }
    }

    /// [`TextIndex::query`] without how to show the terms, from a reading that is not given
    /// away: to rank with. An allocation run ranks every open need from kept readings of their
    /// words; reading the words (splitting, stemming, finding concepts) took a fifth of a run at
    /// tier M.
    pub fn reading_query(&self, reading: &TextReading) -> TextQuery {
        self.weigh(reading.terms(), reading.language).0
    }

    /// The query of a text's distinct terms (keys and occurrences, in the text's order), and the
    /// position in that order of each informative term, in id order.
    fn weigh<'k>(
        &self,
        terms: impl Iterator<Item = (&'k str, f32)>,
        language: Option<Language>,
    ) -> (TextQuery, Vec<usize>) {
        let documents = f64::from(self.documents);
        // (id, weight, is a concept, position)
        let mut informative: Vec<(TermId, f64, bool, usize)> = Vec::new();
        for (position, (key, frequency)) in terms.enumerate() {
            let Some(&id) = self.ids.get(key) else {
                continue;
            };
            let Some(idf) = self.idf(id, documents) else {
                continue;
            };
            let concept = key.starts_with(CONCEPT_MARK);
            informative.push((id, term_weight(frequency, idf, concept), concept, position));
        }
        informative.sort_by_key(|(id, _, _, _)| *id);
        let words = informative.last().map_or(0, |(id, _, _, _)| *id as usize / 64 + 1);
        let mut present = vec![0u64; words];
        for (id, _, _, _) in &informative {
            present[*id as usize / 64] |= 1 << (id % 64);
        }
        let ranks = present
            .iter()
            .scan(0u32, |before, bits| {
                let rank = *before;
                *before += bits.count_ones();
                Some(rank)
            })
            .collect();
        let query = TextQuery {
            weights: informative
                .iter()
                .map(|(_, weight, concept, _)| if *concept { -weight } else { *weight })
                .collect(),
            present,
            ranks,
            total: informative.iter().map(|(_, weight, _, _)| weight).sum(),
            concepts_total: informative
                .iter()
                .filter(|(_, _, concept, _)| *concept)
                .map(|(_, weight, _, _)| weight)
                .sum(),
            language,
            concepts: informative.iter().filter(|(_, _, concept, _)| *concept).count(),
            average_length: self.average_length(),
        };
        (query, informative.iter().map(|(_, _, _, position)| *position).collect())
    }

    /// `idf(t)` of the term with this id, `None` when no offer uses it (it cannot tell offers
    /// apart). `documents` is the collection's size as `f64`.
    fn idf(&self, id: TermId, documents: f64) -> Option<f64> {
        let frequency = f64::from(*self.document_frequency.get(id as usize)?);
        (frequency > 0.0).then(|| (1.0 + (documents - frequency + 0.5) / (frequency + 0.5)).ln())
    }

    /// The offers' average length, for BM25's length normalisation.
    fn average_length(&self) -> f64 {
        let documents = f64::from(self.documents);
        if documents > 0.0 {
            self.total_length / documents
        } else {
            0.0
        }
    }

    /// A need's terms numbered in the vocabulary (new ones too, used by no offer yet: an offer
    /// filed later may use them), kept beside the need so that FindNeeds weighs thousands of
    /// needs against one offer without reading any of them again.
    pub fn need_terms(&mut self, reading: &TextReading) -> NeedTerms {
        let mut terms: Vec<(TermId, f32)> = reading
            .terms()
            .filter_map(|(key, occurrences)| Some((self.number(key)?, occurrences)))
            .collect();
        terms.sort_unstable_by_key(|(id, _)| *id);
        NeedTerms {
            terms: terms.into(),
            language: reading.language,
        }
    }

    /// The offer `document` read against the collection as it is, to weigh many needs' words
    /// against ([`OfferReader::relevance`]).
    pub fn reader(&self, document: Document<&[TermCount]>) -> OfferReader {
        let documents = f64::from(self.documents);
        let terms = document
            .terms
            .iter()
            .map(|term| OfferTerm {
                id: term.id(),
                idf: self.idf(term.id(), documents),
                concept: self.concept.get(term.id() as usize).copied().unwrap_or(false),
                frequency: term.occurrences(),
            })
            .collect::<Vec<_>>();
        let mut seen = [0u64; SEEN_WORDS];
        for term in &terms {
            seen[seen_slot(term.id)] |= seen_bit(term.id);
        }
        OfferReader {
            terms,
            seen,
            length_part: length_part(document.length, self.average_length()),
            language: document.language,
        }
    }

    /// The collection's generation: it moves whenever an offer's terms are filed or taken out,
    /// so a [`NeedWeight`] weighed at one generation holds while it stays.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What the need's informative terms weigh in the collection as it is: equal, to the last
    /// bit, to the sums its [`TextQuery`] divides by.
    pub fn need_weight(&self, terms: &NeedTerms) -> NeedWeight {
        let documents = f64::from(self.documents);
        let weights = terms.terms.iter().filter_map(|&(id, occurrences)| {
            let idf = self.idf(id, documents)?;
            let concept = self.concept.get(id as usize).copied().unwrap_or(false);
            Some((term_weight(occurrences, idf, concept), concept))
        });
        // The query sums its weights with `Iterator::sum`, in id order: so does this.
        let total = weights.clone().map(|(weight, _)| weight).sum::<f64>();
        let concepts_total = weights
            .clone()
            .filter(|(_, concept)| *concept)
            .map(|(weight, _)| weight)
            .sum::<f64>();
        let concepts = weights.filter(|(_, concept)| *concept).count();
        NeedWeight {
            total,
            concepts_total,
            concepts,
        }
    }
}

/// `w(t)` of a need's term occurring `occurrences` times, of inverse document frequency `idf`:
/// one expression for both ways of weighing a need, so they agree to the last bit.
fn term_weight(occurrences: f32, idf: f64, concept: bool) -> f64 {
    let occurrences = f64::from(occurrences);
    let weight = occurrences * (K3 + 1.0) / (occurrences + K3) * idf;
    if concept { weight * CONCEPT_WEIGHT } else { weight }
}

/// BM25's `K1 * (1 - B + B * |d| / avgdl)` for a document of `length`.
fn length_part(length: f32, average_length: f64) -> f64 {
    if average_length > 0.0 {
        K1 * (1.0 - B + B * f64::from(length) / average_length)
    } else {
        K1
    }
}

/// The relevance of an offer whose shared terms sum to `all`, of which `concepts` are concepts,
/// for a need whose informative terms weigh `total` (`concepts_total` its `concept_count`
/// concepts): one formula for both ways of weighing a need.
fn relevance_value(
    (all, concepts): (f64, f64),
    (total, concepts_total, concept_count): (f64, f64, usize),
    across_languages: bool,
) -> f64 {
    let share = |sum: f64, total: f64| if total > 0.0 { sum / total } else { 0.0 };
    let value = if across_languages {
        let found = concept_count as f64;
        share(concepts, concepts_total) * found / (found + CONCEPT_PRIOR)
    } else {
        share(all, total)
    };
    value.clamp(0.0, 1.0)
}

/// Whether texts in these languages are written in two known languages.
fn across(need: Option<Language>, offer: Option<Language>) -> bool {
    matches!((need, offer), (Some(a), Some(b)) if a != b)
}

/// A need's terms by id with their occurrences, and its language: what the need's side of text
/// relevance needs once its words are numbered ([`TextIndex::need_terms`]). Cloned cheaply: a
/// need filed under several objectives shares its terms, and each shelf entry holds them
/// without another pointer to follow (waiting for memory took most of a FindNeeds query).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NeedTerms {
    terms: Arc<[(TermId, f32)]>,
    language: Option<Language>,
}

impl NeedTerms {
    /// Reads one term of each cache line the terms take, and returns them mixed (for
    /// [`std::hint::black_box`], so the reads are made): called for a batch of needs before any
    /// is weighed, it has their memory fetched at once rather than one need at a time.
    pub fn read_ahead(&self) -> u32 {
        const PER_LINE: usize = 64 / std::mem::size_of::<(TermId, f32)>();
        // The last term too: terms that do not start a line end in one the steps skip.
        let last = self.terms.last().map_or(0, |(id, _)| *id);
        self.terms
            .iter()
            .step_by(PER_LINE)
            .fold(last, |mixed, (id, _)| mixed ^ id)
    }
}

/// What a need's informative terms weigh in the collection of one generation
/// ([`TextIndex::need_weight`]): the sums a need's text relevance divides by. Weighing every
/// term of every need took most of a FindNeeds query; the catalogue keeps these per need while
/// the collection stays, and a query then weighs only the terms a need shares with the offer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NeedWeight {
    total: f64,
    concepts_total: f64,
    concepts: usize,
}

/// Words of the bit set [`OfferReader`] tests a need's terms against first.
const SEEN_WORDS: usize = 16;

fn seen_slot(id: TermId) -> usize {
    (id as usize / 64) % SEEN_WORDS
}

fn seen_bit(id: TermId) -> u64 {
    1 << (id % 64)
}

/// One term of the offer a reader weighs needs against.
#[derive(Debug, Clone, Copy)]
struct OfferTerm {
    id: TermId,
    /// `None` for a term no filed offer uses (an unfiled offer's).
    idf: Option<f64>,
    concept: bool,
    frequency: f64,
}

/// One offer read against the collection, for weighing many needs against it: FindNeeds
/// scores thousands of needs per query, each with [`TextQuery::relevance`]'s value to the last
/// bit but without building a query per need. A need's terms are tested against a small bit
/// set of the offer's first (most share few terms with it), and only shared ones are weighed.
#[derive(Debug, Clone)]
pub struct OfferReader {
    /// The offer's terms in id order.
    terms: Vec<OfferTerm>,
    /// The offer's term ids folded onto 1,024 bits: a clear bit rules a term out.
    seen: [u64; SEEN_WORDS],
    length_part: f64,
    language: Option<Language>,
}

impl OfferReader {
    /// The text relevance of the offer for the need of `terms`, whose informative terms weigh
    /// `weight` in the collection the reader was made from: equal to `query.relevance(document)`
    /// for the need's [`TextQuery`]. Shared terms are summed in id order, as the query sums them.
    pub fn relevance(&self, terms: &NeedTerms, weight: &NeedWeight) -> f64 {
        let (mut all, mut concepts) = (0.0, 0.0);
        for &(id, occurrences) in terms.terms.iter() {
            if self.seen[seen_slot(id)] & seen_bit(id) == 0 {
                continue;
            }
            let Ok(at) = self.terms.binary_search_by_key(&id, |term| term.id) else {
                continue;
            };
            let term = self.terms[at];
            let Some(idf) = term.idf else { continue };
            let weight = term_weight(occurrences, idf, term.concept);
            let contribution = weight * term.frequency / (term.frequency + self.length_part);
            all += contribution;
            if term.concept {
                concepts += contribution;
            }
        }
        relevance_value(
            (all, concepts),
            (weight.total, weight.concepts_total, weight.concepts),
            across(terms.language, self.language),
        )
    }
}

/// A reading's terms as `id_of` numbers them (those it numbers at all), sorted by id; a reading
/// holds each term once.
fn numbered(reading: &TextReading, mut id_of: impl FnMut(&str) -> Option<TermId>) -> Document {
    let mut terms: Vec<TermCount> = reading
        .terms()
        .filter_map(|(key, occurrences)| Some(TermCount::new(id_of(key)?, occurrences)))
        .collect();
    terms.sort_unstable();
    Document {
        terms: terms.into_boxed_slice(),
        length: reading.length,
        language: reading.language,
    }
}

impl TextQuery {
    /// The text relevance of an offer, in [0, 1].
    pub fn relevance(&self, document: Document<&[TermCount]>) -> f64 {
        let (mut all, mut concepts) = (0.0, 0.0);
        self.each_shared(document, |_, concept, contribution| {
            all += contribution;
            if concept {
                concepts += contribution;
            }
        });
        relevance_value(
            (all, concepts),
            (self.total, self.concepts_total, self.concepts),
            self.across(document.language),
        )
    }

    /// Whether the need and an offer in `language` are written in two known languages.
    fn across(&self, language: Option<Language>) -> bool {
        across(self.language, language)
    }

    /// Calls `each(place, is_concept, contribution)` for every term the offer shares with the
    /// need (`place` in the need's informative terms), in id order: the one loop both
    /// [`TextQuery::relevance`] and [`WordedQuery::explain`] sum.
    fn each_shared(&self, document: Document<&[TermCount]>, mut each: impl FnMut(usize, bool, f64)) {
        let length_part = length_part(document.length, self.average_length);
        // Ranking reads every candidate's terms, a few of which the need shares, in no pattern a
        // branch predictor learns: the shared ones are first gathered without a branch, a chunk
        // at a time, and only they are weighed.
        let mut shared = [TermCount::default(); GATHERED];
        for chunk in document.terms.chunks(GATHERED) {
            let mut found = 0;
            let mut past_the_need = false;
            for &term in chunk {
                let id = term.id();
                // Ids ascend: none after the need's largest can be shared.
                let Some(&bits) = self.present.get(id as usize / 64) else {
                    past_the_need = true;
                    break;
                };
                shared[found] = term;
                found += ((bits >> (id % 64)) & 1) as usize;
            }
            for &term in &shared[..found] {
                let id = term.id();
                let (word, bit) = (id as usize / 64, 1u64 << (id % 64));
                let place = (self.ranks[word] + (self.present[word] & (bit - 1)).count_ones()) as usize;
                let weight = self.weights[place];
                let frequency = term.occurrences();
                each(
                    place,
                    weight < 0.0,
                    weight.abs() * frequency / (frequency + length_part),
                );
            }
            if past_the_need {
                break;
            }
        }
    }
}

impl WordedQuery {
    /// The need's terms weighed, to score offers with.
    pub fn query(&self) -> &TextQuery {
        &self.query
    }

    /// The [`TextQuery::relevance`] of an offer, with the shared terms in words: concepts and words, the largest
    /// contributions first, a word left out when a concept over it is named.
    pub fn explain(&self, document: Document<&[TermCount]>) -> TextMatch {
        let mut shared: Vec<(usize, f64)> = Vec::new();
        // An offer in another language counts by concepts alone: its shared words are not named.
        let concepts_only = self.query.across(document.language);
        self.query.each_shared(document, |place, concept, contribution| {
            if !concepts_only || concept {
                shared.push((place, contribution));
            }
        });
        let relevance = self.query.relevance(document);
        // Where the shared terms are in the reading, and how to show them: the words are split
        // once per explanation, not once per shared term.
        let shown: Vec<&str> = self.reading.words().collect();
        let mut shared: Vec<(usize, f64, &str)> = shared
            .into_iter()
            .map(|(place, contribution)| {
                let position = self.positions[place];
                (position, contribution, shown.get(position).copied().unwrap_or_default())
            })
            .collect();
        // Equal contributions are named in the words' order, not the vocabulary's, which depends
        // on the order the hub first saw the words.
        shared.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.2.cmp(b.2)));
        let found: Vec<usize> = shared.iter().map(|(position, _, _)| *position).collect();
        let mut words: Vec<String> = Vec::new();
        for &(position, _, word) in &shared {
            if !self.reading.covered(position, &found) && !words.iter().any(|named| named == word) {
                words.push(word.to_string());
            }
            if words.len() == NAMED_TERMS {
                break;
            }
        }
        TextMatch {
            relevance,
            shared: words,
        }
    }
}

/// Terms of an offer gathered at a time when looking for the ones a need shares.
const GATHERED: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextTerms;

    fn read(title: &str, description: &str, language: &str) -> TextReading {
        TextReading::with_words(title, description, &[language.to_string()])
    }

    /// Offers as (title, description, language).
    fn index(offers: &[(&str, &str, &str)]) -> (TextIndex, Vec<Document>) {
        let mut index = TextIndex::default();
        let documents = offers
            .iter()
            .map(|(title, description, language)| {
                index.add(&TextReading::of(title, description, &[language.to_string()]))
            })
            .collect();
        (index, documents)
    }

    #[test]
    fn the_offer_on_the_need_s_topic_scores_highest_and_says_why() {
        let offers = [
            (
                "Victim identification for frontline border staff",
                "Three-day course on indicators of human trafficking, interviewing and referral to protection services.",
                "en",
            ),
            (
                "Financial investigations of trafficking networks",
                "Coaching prosecutors and financial intelligence units to follow the money of traffickers.",
                "en",
            ),
            (
                "Shelters for survivors",
                "Standards and management of shelters for survivors of gender-based violence.",
                "en",
            ),
        ];
        let (index, documents) = index(&offers);
        let need = read(
            "Formation des gardes-frontières",
            "Nos agents aux postes frontières ne savent pas repérer les victimes de la traite des personnes \
             ni les orienter vers les services de protection.",
            "fr",
        );
        let query = index.query(need);
        let scores: Vec<f64> = documents.iter().map(|d| query.query().relevance(d.view())).collect();
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
        assert!(scores[0] > scores[1] && scores[0] > scores[2], "{scores:?}");
        let explained = query.explain(documents[0].view());
        assert_eq!(explained.relevance, scores[0]);
        assert!(!explained.shared.is_empty());
        assert!(
            explained.shared.iter().all(|w| !w.starts_with('#')),
            "{:?}",
            explained.shared
        );
    }

    #[test]
    fn an_offer_in_another_language_is_scored_and_explained_by_concepts_alone() {
        let offers = [
            (
                "UNICEF course on human trafficking",
                "Training for social workers.",
                "en",
            ),
            ("UNICEF shelters", "Shelter management.", "en"),
        ];
        let (index, documents) = index(&offers);
        let need = read("Apoyo de UNICEF", "Trata de personas en la frontera.", "es");
        let query = index.query(need);
        let on_topic = query.explain(documents[0].view());
        assert!(on_topic.relevance > 0.0);
        assert!(on_topic.shared.iter().all(|w| w != "unicef"), "{:?}", on_topic.shared);
        let off_topic = query.explain(documents[1].view());
        assert_eq!(off_topic.relevance, 0.0, "a shared name is not a shared concept");
        assert!(off_topic.shared.is_empty(), "{:?}", off_topic.shared);
    }

    #[test]
    fn a_kept_reading_scores_and_explains_as_the_words_read_again() {
        let offers = [
            (
                "Victim identification for frontline border staff",
                "Indicators of human trafficking, interviewing and referral to protection services.",
                "en",
            ),
            (
                "Trata de personas",
                "Formación para inspectores de trabajo en la frontera.",
                "es",
            ),
            ("Remittances", "Cheaper remittances for migrant workers.", "en"),
        ];
        let (mut index, documents) = index(&offers);
        let needs = [
            (
                "Border guards and trafficking",
                "Our border staff cannot identify victims of trafficking.",
                "en",
            ),
            (
                "Apoyo",
                "Víctimas de trata de personas en la frontera; protección.",
                "es",
            ),
            ("", "", "en"),
        ];
        let mut named = 0;
        for (title, description, language) in needs {
            let languages = [language.to_string()];
            let terms = TextTerms::read_with_words(title, description, &languages);
            let reading = TextReading::with_words(title, description, &languages);
            // As the store keeps it.
            let kept: TextReading = postcard::from_bytes(&postcard::to_stdvec(&reading).unwrap()).unwrap();
            for (position, term) in terms.terms.iter().enumerate() {
                assert_eq!(kept.words().nth(position), Some(term.words.as_str()), "{title}");
                for concept in 0..terms.terms.len() {
                    assert_eq!(
                        kept.covered(position, &[concept]),
                        term.within.contains(&concept),
                        "{title}"
                    );
                }
            }
            // FindNeeds' way of weighing a need against an offer, from the other end, is the
            // reference: equal to the query's value to the last bit.
            let need_terms = index.need_terms(&kept);
            let weight = index.need_weight(&need_terms);
            let (read, from_kept, to_rank) = (
                index.query(reading),
                index.query(kept.clone()),
                index.reading_query(&kept),
            );
            for document in &documents {
                let explained = read.explain(document.view());
                assert_eq!(from_kept.explain(document.view()), explained, "{title}");
                let reference = index.reader(document.view()).relevance(&need_terms, &weight);
                assert_eq!(
                    to_rank.relevance(document.view()).to_bits(),
                    reference.to_bits(),
                    "{title}"
                );
                assert_eq!(explained.relevance.to_bits(), reference.to_bits(), "{title}");
                named += explained.shared.len();
            }
        }
        assert!(named >= 3, "only {named} words named");
    }

    #[test]
    fn a_word_is_not_named_beside_a_concept_over_it_that_is() {
        let (index, documents) = index(&[(
            "Course on trafficking in persons",
            "Identifying victims of trafficking in persons at the border.",
            "en",
        )]);
        let need = read(
            "Trafficking in persons",
            "Victims of trafficking in persons at our border.",
            "en",
        );
        let terms = TextTerms::read_with_words(
            "Trafficking in persons",
            "Victims of trafficking in persons at our border.",
            &["en".to_string()],
        );
        // A stem with a concept found over it, both shared with the offer.
        let (word, concept) = terms
            .terms
            .iter()
            .find_map(|term| {
                let concept = term.within.first()?;
                Some((term.words.clone(), terms.terms[*concept].words.clone()))
            })
            .expect("the glossary finds a concept over a word of the need");
        let explained = index.query(need).explain(documents[0].view());
        assert!(
            explained.shared.contains(&concept),
            "{concept} named in {:?}",
            explained.shared
        );
        assert!(
            !explained.shared.contains(&word),
            "{word} named beside {concept}: {:?}",
            explained.shared
        );
        assert!(
            explained.shared.iter().any(|w| w.contains("border")),
            "{:?}",
            explained.shared
        );
    }

    #[test]
    fn a_term_count_keeps_its_id_and_whole_occurrences_and_sorts_by_id() {
        let counts = [
            TermCount::new(7, 2.0),
            TermCount::new(3, 300.0),
            TermCount::new(VOCABULARY_LIMIT as TermId - 1, 1.0),
        ];
        assert_eq!(counts.map(TermCount::id), [7, 3, VOCABULARY_LIMIT as TermId - 1]);
        assert_eq!(
            counts.map(TermCount::occurrences),
            [2.0, 255.0, 1.0],
            "saturated at 255"
        );
        let mut sorted = counts;
        sorted.sort_unstable();
        assert_eq!(sorted.map(TermCount::id), [3, 7, VOCABULARY_LIMIT as TermId - 1]);
    }

    #[test]
    fn counts_follow_offers_in_and_out_and_an_empty_need_is_irrelevant() {
        let offers = [
            ("Remittances", "Cheaper remittances.", "en"),
            ("Shelters", "Shelter.", "en"),
        ];
        let (mut index, documents) = index(&offers);
        let need = read("Remittances", "", "en");
        let before = index.query(need.clone()).query().relevance(documents[0].view());
        index.remove(documents[1].view());
        let after = index.query(need.clone()).query().relevance(documents[0].view());
        assert_ne!(before, after, "idf moved with the collection");
        assert_eq!(index.documents, 1);
        let empty = index.query(read("", "", "en"));
        assert!(empty.query.weights.is_empty());
        assert_eq!(empty.query.relevance(documents[0].view()), 0.0);
        let unfiled = index.document(&TextReading::of("Cheaper remittances", "", &["en".to_string()]));
        assert!(
            index.query(need).query().relevance(unfiled.view()) > 0.0,
            "an unfiled offer is read against the same vocabulary"
        );
    }
}
