//! From a title and a description to the terms the hub compares: words split at anything that is
//! not a letter or digit, lower-cased, stop words of the text's language left out, stemmed with
//! its Snowball stemmer and folded (accents and other marks dropped); then the glossary's
//! concepts found among the stems. Chinese, which has no spaces, is read as overlapping pairs of
//! characters (as Lucene's CJK analyser does); no segmenter or Chinese glossary terms yet.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::LazyLock;

use rust_stemmers::Stemmer;
use rustc_hash::{FxHashMap, FxHasher};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::glossary::{GLOSSARY, glossary};
use super::language::{Language, NEGATIONS, Script, is_stop_word, words_language};

/// A title word counts as much as this many description words: titles say what a record is about.
pub const TITLE_WEIGHT: f32 = 2.0;

/// Stems kept per thread and language before the memo starts again: real texts reuse a few
/// thousand words, and a stem looked up costs a tenth of one computed.
const MEMO_LIMIT: usize = 50_000;

/// The version of the reading rules (splitting, stop words, stems, folding, how concepts are
/// found). Raise it with any change to them: kept readings made under another version are read
/// again, and so are the search index's documents. The glossary, and the readings of
/// [`RULES_SAMPLE`], are fingerprinted as well, so a new glossary or a new stemmer is noticed
/// without it.
const READING_VERSION: u32 = 1;

/// The version of [`TextReading`]'s fields. Raise it with any change to them: kept readings of
/// another version are read again (the search index, which keeps no readings, is left alone).
/// Version 2 added the terms' words and the concepts found over them, so that explaining a need
/// does not read it again.
const READING_FIELDS: u32 = 2;

/// Texts read once per process, one per language the hub reads, to fingerprint the rules as they
/// behave: an upgraded stemmer, stop-word list or language detector changes their readings.
const RULES_SAMPLE: [(&str, &str); 7] = [
    (
        "en",
        "Training border guards in the identification of victims of trafficking, and referral",
    ),
    (
        "fr",
        "Formation des gardes-frontières à l'identification des victimes de la traite des personnes",
    ),
    (
        "es",
        "Capacitación de consulados sobre trata de personas y remesas de los migrantes retornados",
    ),
    (
        "pt",
        "Formação de agentes consulares sobre tráfico de pessoas e remessas de migrantes",
    ),
    ("ar", "تدريب حرس الحدود على تحديد ضحايا الاتجار بالبشر وإحالتهم"),
    (
        "ru",
        "Обучение пограничников выявлению жертв торговли людьми и их направлению",
    ),
    ("zh", "边境官员培训识别人口贩运受害者"),
];

/// A fingerprint of the reading rules as they behave now (see `READING_RULES`): what the search
/// index records with its documents, to read them again when the rules change.
pub fn reading_rules() -> u64 {
    *READING_RULES
}

/// What a kept reading was made under: the rules' version, the glossary and the readings of
/// [`RULES_SAMPLE`] (languages as the store encodes them), hashed once.
static READING_RULES: LazyLock<u64> = LazyLock::new(|| {
    let mut hasher = FxHasher::default();
    READING_VERSION.hash(&mut hasher);
    GLOSSARY.hash(&mut hasher);
    for (language, text) in RULES_SAMPLE {
        let read = TextTerms::read_with_words(text, "", &[language.to_string()]);
        postcard::to_stdvec(&read.language)
            .unwrap_or_default()
            .hash(&mut hasher);
        read.length.to_bits().hash(&mut hasher);
        for term in &read.terms {
            term.key.hash(&mut hasher);
            term.frequency.to_bits().hash(&mut hasher);
        }
    }
    hasher.finish()
});

/// A text as read, before an index numbers its terms: its language, length and each distinct
/// term with its occurrences, and a fingerprint of the text and the rules it was read under.
/// The store keeps one beside every offer, so that opening files a hundred thousand offers
/// without reading them again; [`TextReading::is_of`] says whether a kept one still holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextReading {
    /// The language the text was read in.
    pub language: Option<Language>,
    /// The number of words that count, title words weighted.
    pub length: f32,
    /// Each distinct term's key ([`Term::key`]), in order of first appearance, each followed by
    /// [`KEY_END`]: one string rather than one per term, since opening decodes every offer's.
    keys: String,
    /// Each key's occurrences, in the same order.
    occurrences: Vec<f32>,
    fingerprint: u64,
    /// Each term's words ([`Term::words`]), in the same order, each followed by [`KEY_END`]:
    /// what an explanation names, kept so that explaining a need does not read it again. Empty,
    /// like `within`, in a reading made without words.
    words: String,
    /// (a stem's position, a concept's position) for each concept found over the stem
    /// ([`Term::within`]): an explanation names the concept rather than the word.
    within: Vec<(u32, u32)>,
}

/// Ends each key and each words of a [`TextReading`]: no key or words have it, since stems and
/// words are letters and digits and the glossary holds one concept a line.
const KEY_END: char = '\n';

impl TextReading {
    /// Reads a record's title and description (`languages` are the record's own), without how
    /// to show its terms: an offer's reading, or a record's compared with a need's.
    pub fn of(title: &str, description: &str, languages: &[String]) -> TextReading {
        TextReading::read(title, description, languages, false)
    }

    /// [`TextReading::of`] with how to show each term, to explain a need from its reading
    /// ([`TextReading::words`]): only needs are explained, so only their readings carry words.
    pub fn with_words(title: &str, description: &str, languages: &[String]) -> TextReading {
        TextReading::read(title, description, languages, true)
    }

    fn read(title: &str, description: &str, languages: &[String], with_words: bool) -> TextReading {
        let read = TextTerms::read_with_words(title, description, languages);
        let (mut keys, mut words, mut within) = (String::new(), String::new(), Vec::new());
        for (position, term) in read.terms.iter().enumerate() {
            keys.push_str(&term.key);
            keys.push(KEY_END);
            if with_words {
                words.push_str(&term.words);
                words.push(KEY_END);
                within.extend(term.within.iter().map(|&concept| (position as u32, concept as u32)));
            }
        }
        TextReading {
            language: read.language,
            length: read.length,
            keys,
            occurrences: read.terms.iter().map(|term| term.frequency).collect(),
            fingerprint: fingerprint(title, description, languages),
            words,
            within,
        }
    }

    /// How to show each term to a person, in [`TextReading::terms`]' order; none in a reading
    /// made without words ([`TextReading::of`]).
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words.split_terminator(KEY_END)
    }

    /// Whether a concept at one of `positions` was found over the term at `position`.
    pub fn covered(&self, position: usize, positions: &[usize]) -> bool {
        self.within
            .iter()
            .any(|&(stem, concept)| stem as usize == position && positions.contains(&(concept as usize)))
    }

    /// Each distinct term's key and occurrences, in order of first appearance.
    pub fn terms(&self) -> impl Iterator<Item = (&str, f32)> {
        self.keys
            .split_terminator(KEY_END)
            .zip(self.occurrences.iter().copied())
    }

    /// Whether this is the reading of that text under the hub's rules as they are now.
    pub fn is_of(&self, title: &str, description: &str, languages: &[String]) -> bool {
        self.fingerprint == fingerprint(title, description, languages)
    }
}

/// A text and the rules it is read under, hashed (FxHash: stable across runs, which std's
/// hasher does not promise). Not a cryptographic hash: it is trusted only at open, for records
/// whose kept reading was written by the hub itself when it filed them, and an edit through the
/// hub is always read afresh.
fn fingerprint(title: &str, description: &str, languages: &[String]) -> u64 {
    let mut hasher = FxHasher::default();
    READING_RULES.hash(&mut hasher);
    READING_FIELDS.hash(&mut hasher);
    title.hash(&mut hasher);
    description.hash(&mut hasher);
    languages.hash(&mut hasher);
    hasher.finish()
}

/// A record's text as terms: its stems and the glossary's concepts, with how often each occurs.
#[derive(Debug, Clone, PartialEq)]
pub struct TextTerms {
    /// The language the text was read in (`None`: compared word for word, unstemmed).
    pub language: Option<Language>,
    /// Each distinct term once, in order of first appearance.
    pub terms: Vec<Term>,
    /// The number of words that count, title words weighted: the text's length for BM25.
    pub length: f32,
}

/// One distinct term of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// A folded stem (`identif`), or a concept as `#` and its id (`#victim_identification`).
    pub key: String,
    /// Occurrences, title ones weighted by [`TITLE_WEIGHT`].
    pub frequency: f32,
    /// How to show the term to a person: the word as the text first wrote it (lower-cased), or
    /// the concept's name in the text's language.
    pub words: String,
    /// For a stem, the concepts found over one of its occurrences (shown instead of it).
    pub within: Vec<usize>,
}

/// What begins a concept's key: no stem has it, since words split at anything not a letter or
/// digit.
pub(crate) const CONCEPT_MARK: char = '#';

/// The key of a concept's term.
fn concept_key(concept: &str) -> String {
    format!("{CONCEPT_MARK}{concept}")
}

impl Term {
    /// Whether the term is a glossary concept rather than a stem.
    pub fn is_concept(&self) -> bool {
        self.key.starts_with(CONCEPT_MARK)
    }
}

impl TextTerms {
    /// The terms of a record's title and description (`languages` are the record's own), with
    /// each term's words for explanations.
    pub fn read_with_words(title: &str, description: &str, languages: &[String]) -> TextTerms {
        let mut terms = Terms::default();
        let (language, length) = read_text(title, description, languages, &mut terms);
        terms.into_text(language, length)
    }
}

/// The language a record's title and description are read in (see [`text_language`](crate::text::text_language)): both
/// parts at once, since a title alone is often too short to tell.
pub fn record_language(title: &str, description: &str, languages: &[String]) -> Option<Language> {
    let (words, _) = Words::of_record(title, description);
    words.language(languages, &[title, description])
}

/// A text's words, each lower-cased once into one buffer: language detection's function words,
/// stop words and stems all read the lower-cased word, and a text is read at open for every
/// offer.
#[derive(Default)]
pub(crate) struct Words<'t> {
    lower: String,
    /// Each word: its range in `lower`, and the word as written.
    spans: Vec<(Range<usize>, &'t str)>,
}

impl<'t> Words<'t> {
    /// The words of a record's title then its description, and how many are the title's.
    fn of_record(title: &'t str, description: &'t str) -> (Words<'t>, usize) {
        let mut words = Words::default();
        words.split(title);
        let title_words = words.len();
        words.split(description);
        (words, title_words)
    }

    /// Appends the words of `text`: runs of letters and digits.
    pub(crate) fn split(&mut self, text: &'t str) {
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
        {
            let start = self.lower.len();
            if word.is_ascii() {
                self.lower.push_str(word);
                self.lower[start..].make_ascii_lowercase();
            } else {
                self.lower.extend(word.chars().flat_map(char::to_lowercase));
            }
            self.spans.push((start..self.lower.len(), word));
        }
    }

    /// Each word lower-cased, with the word as written.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &'t str)> + '_ {
        self.spans
            .iter()
            .map(|(range, word)| (&self.lower[range.clone()], *word))
    }

    /// The number of words.
    fn len(&self) -> usize {
        self.spans.len()
    }

    /// The language of these words (see [`text_language`](crate::text::text_language)), split
    /// from `parts`: the script is counted over the parts as written (signs such as the Arabic
    /// comma count, and case does not move a letter between scripts), and whatlang, in the rare
    /// case it must guess, reads them.
    pub(crate) fn language(&self, named: &[String], parts: &[&str]) -> Option<Language> {
        words_language(self.iter().map(|(lower, _)| lower), named, parts)
    }
}

/// Reads a record's title and description into `sink`: the language it was read in and its
/// length (words that count, title words weighted).
fn read_text<'t>(
    title: &'t str,
    description: &'t str,
    languages: &[String],
    sink: &mut impl TermSink<'t>,
) -> (Option<Language>, f32) {
    let (words, title_words) = Words::of_record(title, description);
    let language = words.language(languages, &[title, description]);
    (language, read_words(&words, title_words, language, sink))
}

/// Reads words split from a title (the first `title_words`) and a description in `language`
/// into `sink`; returns the length (words that count, title words weighted).
fn read_words<'t>(
    words: &Words<'t>,
    title_words: usize,
    language: Option<Language>,
    sink: &mut impl TermSink<'t>,
) -> f32 {
    let glossary = glossary();
    let mut length = 0.0;
    // A part's stems side by side in one buffer: a text has a hundred words, read at open for
    // every offer, and one allocation per word would cost more than the stemming.
    let mut buffer = String::new();
    let mut stems: Vec<(Range<usize>, Option<usize>)> = Vec::new();
    let parts = [(0..title_words, TITLE_WEIGHT), (title_words..words.len(), 1.0)];
    for (part, weight) in parts {
        buffer.clear();
        stems.clear();
        let part_words = words.iter().skip(part.start).take(part.len());
        stem_words(part_words, language, |stem, word| {
            let start = buffer.len();
            buffer.push_str(stem);
            let range = start..buffer.len();
            let place = (!is_negation(word)).then(|| sink.word(&buffer[range.clone()], word, weight));
            stems.push((range, place));
        });
        length += weight * stems.len() as f32;
        let Some(language) = language else { continue };
        let sequence: Vec<&str> = stems.iter().map(|(range, _)| &buffer[range.clone()]).collect();
        glossary.concepts_in(language, &sequence, |concept, span| {
            let places: Vec<usize> = stems[span].iter().filter_map(|(_, place)| *place).collect();
            sink.concept(concept, language, weight, &places);
        });
    }
    length
}

/// Where a reading's terms go: counted, for relevance ([`Terms`]), or placed in the text, for the
/// search index ([`Placed`]).
trait TermSink<'t> {
    /// One occurrence of a stem, `word` as written (a slice of the text read); returns its place,
    /// for concepts over it.
    fn word(&mut self, stem: &str, word: &'t str, weight: f32) -> usize;
    /// One occurrence of a glossary concept over the words at `places`.
    fn concept(&mut self, concept: usize, language: Language, weight: f32, places: &[usize]);
}

/// The part of a record's text a term occurs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextPart {
    Title,
    Body,
}

/// Calls `each(part, key, bytes, words)` for every term occurrence of a title and a body read in
/// `language`, in order: a stem with the bytes of its word in that part, or a concept ([`Term::key`])
/// with the bytes from its first word to its last and how many words it covers. What the search
/// index files and a snippet marks: the same keys [`TextReading`] counts.
pub fn for_each_placed_term(
    title: &str,
    body: &str,
    language: Option<Language>,
    each: impl FnMut(TextPart, &str, Range<usize>, usize),
) {
    let (words, title_words) = Words::of_record(title, body);
    let mut placed = Placed {
        title,
        body,
        spans: Vec::new(),
        each,
    };
    read_words(&words, title_words, language, &mut placed);
}

/// A [`TermSink`] that places each term in the title or the body.
struct Placed<'t, F> {
    title: &'t str,
    body: &'t str,
    /// Each stem's part and bytes, by place.
    spans: Vec<(TextPart, Range<usize>)>,
    each: F,
}

impl<'t, F: FnMut(TextPart, &str, Range<usize>, usize)> TermSink<'t> for Placed<'t, F> {
    fn word(&mut self, stem: &str, word: &'t str, _weight: f32) -> usize {
        let (part, bytes) = match offset_in(self.title, word) {
            Some(at) => (TextPart::Title, at..at + word.len()),
            None => {
                let at = offset_in(self.body, word).unwrap_or_default();
                (TextPart::Body, at..at + word.len())
            }
        };
        (self.each)(part, stem, bytes.clone(), 1);
        self.spans.push((part, bytes));
        self.spans.len() - 1
    }

    fn concept(&mut self, concept: usize, _language: Language, _weight: f32, places: &[usize]) {
        let (Some(first), Some(last)) = (places.first(), places.last()) else {
            return;
        };
        let (part, start) = (self.spans[*first].0, self.spans[*first].1.start);
        let end = self.spans[*last].1.end;
        let key = concept_key(&glossary().concept(concept).id);
        (self.each)(part, &key, start..end, places.len());
    }
}

/// Where `word`, a slice of `text`, starts in it; `None` when it is a slice of another string.
fn offset_in(text: &str, word: &str) -> Option<usize> {
    let start = text.as_ptr() as usize;
    let at = word.as_ptr() as usize;
    (start..start + text.len()).contains(&at).then(|| at - start)
}

/// The keys a search query looks up: its stems and concepts as a record's text would give them,
/// read in `language`, or, when none is given, in every language of its script, since two or
/// three words rarely show their language; a word that is a stop word in one of those languages
/// is left out, as it would be from a record in that language.
pub fn query_keys(query: &str, language: Option<Language>) -> Vec<String> {
    let mut words = Words::default();
    words.split(query);
    let languages: Vec<Language> = match language {
        Some(language) => vec![language],
        None => super::language::languages_of_script(query),
    };
    let kept: Vec<(&str, &str)> = words
        .iter()
        .filter(|(lower, _)| !languages.iter().any(|language| is_stop_word(lower, *language)))
        .collect();
    let mut keys: Vec<String> = Vec::new();
    let mut add = |key: &str| {
        if !keys.iter().any(|known| known == key) {
            keys.push(key.to_string());
        }
    };
    for language in languages {
        let mut stems: Vec<String> = Vec::new();
        stem_words(kept.iter().copied(), Some(language), |stem, word| {
            if !is_negation(word) {
                add(stem);
            }
            stems.push(stem.to_string());
        });
        let sequence: Vec<&str> = stems.iter().map(String::as_str).collect();
        glossary().concepts_in(language, &sequence, |concept, _| {
            add(&concept_key(&glossary().concept(concept).id));
        });
    }
    keys
}

/// Whether a word is one of the negations read only inside glossary terms.
fn is_negation(word: &str) -> bool {
    word.chars().count() <= 3 && NEGATIONS.contains(&word.to_lowercase().as_str())
}

/// A text's distinct terms as they are counted.
#[derive(Default)]
struct Terms {
    list: Vec<Term>,
    at: FxHashMap<String, usize>,
}

impl Terms {
    /// Counts one occurrence of `key`; returns its position in the list.
    fn add(&mut self, key: &str, weight: f32, words: impl FnOnce() -> String) -> usize {
        let index = match self.at.get(key) {
            Some(&index) => index,
            None => {
                self.list.push(Term {
                    key: key.to_string(),
                    frequency: 0.0,
                    words: words(),
                    within: Vec::new(),
                });
                self.at.insert(key.to_string(), self.list.len() - 1);
                self.list.len() - 1
            }
        };
        self.list[index].frequency += weight;
        index
    }

    fn into_text(self, language: Option<Language>, length: f32) -> TextTerms {
        TextTerms {
            language,
            terms: self.list,
            length,
        }
    }
}

impl TermSink<'_> for Terms {
    fn word(&mut self, stem: &str, word: &str, weight: f32) -> usize {
        self.add(stem, weight, || word.to_lowercase())
    }

    fn concept(&mut self, concept: usize, language: Language, weight: f32, places: &[usize]) {
        let entry = glossary().concept(concept);
        let index = self.add(&concept_key(&entry.id), weight, || entry.name(language).to_string());
        for place in places {
            let within = &mut self.list[*place].within;
            if !within.contains(&index) {
                within.push(index);
            }
        }
    }
}

thread_local! {
    /// Lower-cased word to folded stem, per language and one for texts of no known language.
    static STEMS: RefCell<Vec<FxHashMap<Box<str>, Box<str>>>> =
        RefCell::new(vec![FxHashMap::default(); Language::ALL.len() + 1]);
}

/// Calls `each(stem, word)` for every word of `text` that counts, in order: `stem` folded and
/// stemmed in `language`, `word` as written.
pub fn for_each_stem<'t>(text: &'t str, language: Option<Language>, each: impl FnMut(&str, &'t str)) {
    let mut words = Words::default();
    words.split(text);
    stem_words(words.iter(), language, each);
}

/// [`for_each_stem`] over words already split and lower-cased: `(lower-cased, as written)`.
fn stem_words<'w, 't>(
    words: impl Iterator<Item = (&'w str, &'t str)>,
    language: Option<Language>,
    mut each: impl FnMut(&str, &'t str),
) {
    for (lower, word) in words {
        if word.chars().next().and_then(Script::of) == Some(Script::Han) {
            for_each_pair(word, &mut each);
            continue;
        }
        let counts = lower.chars().nth(1).is_some() && !lower.bytes().all(|b| b.is_ascii_digit());
        if !counts || language.is_some_and(|language| is_stop_word(lower, language)) {
            continue;
        }
        STEMS.with_borrow_mut(|memo| {
            let memo = &mut memo[language.map_or(Language::ALL.len(), Language::index)];
            if let Some(stem) = memo.get(lower) {
                each(stem, word);
                return;
            }
            if memo.len() >= MEMO_LIMIT {
                memo.clear();
            }
            let stem = stem_of(lower, language);
            each(&stem, word);
            memo.insert(lower.into(), stem.into_boxed_str());
        });
    }
}

/// The folded stem of a lower-cased word.
fn stem_of(lower: &str, language: Option<Language>) -> String {
    match language.and_then(Language::stemmer) {
        Some(algorithm) => fold(&Stemmer::create(algorithm).stem(lower)),
        None => fold(lower),
    }
}

/// The word without accents or other combining marks: "víctimas" and "victimas" are one word to
/// a person searching, and Arabic short vowels are usually left unwritten.
pub fn fold(word: &str) -> String {
    if word.is_ascii() {
        return word.to_string();
    }
    word.nfd().filter(|c| !is_combining_mark(*c)).nfc().collect()
}

/// Chinese characters as overlapping pairs ("边境管理" gives 边境, 境管, 管理); one alone counts.
fn for_each_pair<'t>(word: &'t str, each: &mut impl FnMut(&str, &'t str)) {
    let characters: Vec<(usize, char)> = word.char_indices().collect();
    if characters.len() == 1 {
        each(word, word);
        return;
    }
    for pair in characters.windows(2) {
        let start = pair[0].0;
        let end = pair[1].0 + pair[1].1.len_utf8();
        each(&word[start..end], &word[start..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str, language: Option<Language>) -> Vec<String> {
        let mut out = Vec::new();
        for_each_stem(text, language, |stem, _| out.push(stem.to_string()));
        out
    }

    #[test]
    fn a_kept_reading_holds_for_its_own_text_only_and_survives_encoding() {
        let languages = ["es".to_string()];
        let (title, description) = ("Trata de personas", "Formación de guardias de frontera");
        let reading = TextReading::of(title, description, &languages);
        let read = TextTerms::read_with_words(title, description, &languages);
        let terms: Vec<(&str, f32)> = reading.terms().collect();
        let expected: Vec<(&str, f32)> = read.terms.iter().map(|t| (t.key.as_str(), t.frequency)).collect();
        assert_eq!(terms, expected);
        assert!(terms.iter().any(|(key, _)| *key == "#human_trafficking"), "{terms:?}");
        assert!(
            terms.iter().any(|(_, occurrences)| *occurrences == TITLE_WEIGHT),
            "title words weigh more"
        );
        assert_eq!((reading.language, reading.length), (read.language, read.length));
        assert_eq!(reading.language, Some(Language::Spanish));
        assert!(reading.is_of(title, description, &languages));
        assert!(!reading.is_of(title, "Formación de jueces", &languages));
        assert!(!reading.is_of(title, description, &["en".to_string()]));
        let bytes = postcard::to_stdvec(&reading).unwrap();
        assert_eq!(postcard::from_bytes::<TextReading>(&bytes).unwrap(), reading);
    }

    #[test]
    fn words_are_lower_cased_stop_words_dropped_stems_folded() {
        assert_eq!(
            stems("Training of the Border Guards", Some(Language::English)),
            ["train", "border", "guard"]
        );
        assert_eq!(
            stems("Identificaciones de las víctimas", Some(Language::Spanish)),
            ["identif", "victim"]
        );
        assert_eq!(
            stems("victimas", Some(Language::Spanish)),
            ["victim"],
            "accents are folded"
        );
        assert_eq!(
            stems("l'accueil des enfants", Some(Language::French)),
            ["accueil", "enfant"]
        );
        assert_eq!(stems("Trafficking 2018 X", None), ["trafficking"]);
        assert_eq!(stems("边境管理", Some(Language::Chinese)), ["边境", "境管", "管理"]);
    }

    #[test]
    fn concepts_are_found_across_languages_and_title_words_weigh_more() {
        let spanish = TextTerms::read_with_words(
            "Trata de personas",
            "Queremos mejorar la identificación de víctimas en los pasos fronterizos.",
            &["es".to_string()],
        );
        let english = TextTerms::read_with_words(
            "Victim identification for border guards",
            "A course on human trafficking.",
            &["en".to_string()],
        );
        let concepts = |terms: &TextTerms| -> Vec<String> {
            terms
                .terms
                .iter()
                .filter(|t| t.is_concept())
                .map(|t| t.key.clone())
                .collect()
        };
        let shared: Vec<String> = concepts(&spanish)
            .into_iter()
            .filter(|c| concepts(&english).contains(c))
            .collect();
        assert!(shared.len() >= 2, "{shared:?}");
        let title_word = spanish.terms.iter().find(|t| t.words == "trata").unwrap();
        assert_eq!(title_word.frequency, TITLE_WEIGHT);
        assert!(!title_word.within.is_empty(), "a stem inside a concept knows it");
    }
}
