//! From a title and a description to the terms the hub compares: words split at anything that is
//! not a letter or digit, lower-cased, stop words of the text's language left out, stemmed with
//! its Snowball stemmer and folded (accents and other marks dropped); then the glossary's
//! concepts found among the stems. Chinese, which has no spaces, is read as overlapping pairs of
//! characters (as Lucene's CJK analyser does); no segmenter or Chinese glossary terms yet.

use std::cell::RefCell;

use rust_stemmers::Stemmer;
use rustc_hash::FxHashMap;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::glossary::{Glossary, glossary};
use super::language::{Language, NEGATIONS, Script, is_stop_word, text_language};

/// A title word counts as much as this many description words: titles say what a record is about.
pub const TITLE_WEIGHT: f32 = 2.0;

/// Stems kept per thread and language before the memo starts again: real texts reuse a few
/// thousand words, and a stem looked up costs a tenth of one computed.
const MEMO_LIMIT: usize = 50_000;

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
    /// How to show the term to a person, when asked for: the word as the text first wrote it, or
    /// the concept's name in the text's language.
    pub words: Option<String>,
    /// For a stem, the concepts found over one of its occurrences (shown instead of it).
    pub within: Vec<usize>,
}

/// The key of a concept's term.
pub(crate) fn concept_key(concept: &str) -> String {
    format!("#{concept}")
}

impl TextTerms {
    /// The terms of a record's title and description; `languages` are the record's own.
    pub fn read(title: &str, description: &str, languages: &[String]) -> TextTerms {
        Reader::new(title, description, languages, false).read(glossary())
    }

    /// [`TextTerms::read`], keeping each term's words for explanations.
    pub fn read_with_words(title: &str, description: &str, languages: &[String]) -> TextTerms {
        Reader::new(title, description, languages, true).read(glossary())
    }
}

/// One text being read.
struct Reader<'t> {
    parts: [(&'t str, f32); 2],
    language: Option<Language>,
    with_words: bool,
}

impl<'t> Reader<'t> {
    fn new(title: &'t str, description: &'t str, languages: &[String], with_words: bool) -> Reader<'t> {
        // Detection reads both parts at once: a title alone is often too short to tell.
        let language = if languages.len() == 1 {
            text_language("", languages)
        } else {
            text_language(&format!("{title}\n{description}"), languages)
        };
        Reader {
            parts: [(title, TITLE_WEIGHT), (description, 1.0)],
            language,
            with_words,
        }
    }

    fn read(self, glossary: &Glossary) -> TextTerms {
        let mut terms = Terms::default();
        let mut length = 0.0;
        // The part's stems side by side in one buffer: a text has a hundred words, read at open
        // for every offer, so one allocation per word would cost more than the stemming.
        let mut buffer = String::new();
        let mut stems: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
        for (text, weight) in self.parts {
            buffer.clear();
            stems.clear();
            for_each_stem(text, self.language, |stem, word| {
                let start = buffer.len();
                buffer.push_str(stem);
                stems.push((start..buffer.len(), word));
            });
            length += weight * stems.len() as f32;
            let positions: Vec<Option<usize>> = stems
                .iter()
                .map(|(range, word)| {
                    if is_negation(word) {
                        return None;
                    }
                    let words = self.with_words.then(|| word.to_lowercase());
                    Some(terms.add(&buffer[range.clone()], weight, words))
                })
                .collect();
            let Some(language) = self.language else { continue };
            let sequence: Vec<&str> = stems.iter().map(|(range, _)| &buffer[range.clone()]).collect();
            glossary.concepts_in(language, &sequence, |concept, span| {
                let entry = glossary.concept(concept);
                let words = self.with_words.then(|| entry.name(language).to_string());
                let index = terms.add(&concept_key(&entry.id), weight, words);
                for position in positions[span].iter().flatten() {
                    let within = &mut terms.list[*position].within;
                    if !within.contains(&index) {
                        within.push(index);
                    }
                }
            });
        }
        TextTerms {
            language: self.language,
            terms: terms.list,
            length,
        }
    }
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
    fn add(&mut self, key: &str, weight: f32, words: Option<String>) -> usize {
        let index = match self.at.get(key) {
            Some(&index) => index,
            None => {
                self.list.push(Term {
                    key: key.to_string(),
                    frequency: 0.0,
                    words,
                    within: Vec::new(),
                });
                self.at.insert(key.to_string(), self.list.len() - 1);
                self.list.len() - 1
            }
        };
        self.list[index].frequency += weight;
        index
    }
}

thread_local! {
    /// Lower-cased word to folded stem, per language and one for texts of no known language.
    static STEMS: RefCell<Vec<FxHashMap<Box<str>, Box<str>>>> =
        RefCell::new(vec![FxHashMap::default(); Language::ALL.len() + 1]);
}

/// Calls `each(stem, word)` for every word of `text` that counts, in order: `stem` folded and
/// stemmed in `language`, `word` as written.
pub fn for_each_stem<'t>(text: &'t str, language: Option<Language>, mut each: impl FnMut(&str, &'t str)) {
    let mut lower = String::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        if word.chars().next().and_then(Script::of) == Some(Script::Han) {
            for_each_pair(word, &mut each);
            continue;
        }
        lower.clear();
        lower.extend(word.chars().flat_map(char::to_lowercase));
        let counts = lower.chars().nth(1).is_some() && !lower.chars().all(|c| c.is_ascii_digit());
        if !counts || language.is_some_and(|language| is_stop_word(&lower, language)) {
            continue;
        }
        STEMS.with_borrow_mut(|memo| {
            let memo = &mut memo[language.map_or(Language::ALL.len(), Language::index)];
            if let Some(stem) = memo.get(lower.as_str()) {
                each(stem, word);
                return;
            }
            if memo.len() >= MEMO_LIMIT {
                memo.clear();
            }
            let stem = stem_of(&lower, language);
            each(&stem, word);
            memo.insert(lower.as_str().into(), stem.into_boxed_str());
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
        let english = TextTerms::read(
            "Victim identification for border guards",
            "A course on human trafficking.",
            &["en".to_string()],
        );
        let concepts = |terms: &TextTerms| -> Vec<String> {
            terms
                .terms
                .iter()
                .filter(|t| t.key.starts_with('#'))
                .map(|t| t.key.clone())
                .collect()
        };
        let shared: Vec<String> = concepts(&spanish)
            .into_iter()
            .filter(|c| concepts(&english).contains(c))
            .collect();
        assert!(shared.len() >= 2, "{shared:?}");
        let title_word = spanish
            .terms
            .iter()
            .find(|t| t.words.as_deref() == Some("trata"))
            .unwrap();
        assert_eq!(title_word.frequency, TITLE_WEIGHT);
        assert!(!title_word.within.is_empty(), "a stem inside a concept knows it");
    }
}
