//! The languages the hub reads, and how it tells which one a text is in.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use rust_stemmers::Algorithm;
use serde::{Deserialize, Serialize};

use super::analysis::Words;

/// A language whose texts the hub analyses with its own stop words and stemmer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Language {
    English,
    French,
    Spanish,
    Portuguese,
    Arabic,
    Russian,
    /// Read as overlapping pairs of characters (no segmenter yet), without stop words or stems.
    Chinese,
}

impl Language {
    /// Every language the hub reads.
    pub const ALL: [Language; 7] = [
        Language::English,
        Language::French,
        Language::Spanish,
        Language::Portuguese,
        Language::Arabic,
        Language::Russian,
        Language::Chinese,
    ];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::French => "fr",
            Language::Spanish => "es",
            Language::Portuguese => "pt",
            Language::Arabic => "ar",
            Language::Russian => "ru",
            Language::Chinese => "zh",
        }
    }

    /// The language with this ISO 639-1 code, if the hub reads it.
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|language| language.code() == code)
    }

    /// Position in [`Language::ALL`], for per-language tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The Snowball stemmer, for the languages that have one.
    pub(crate) fn stemmer(self) -> Option<Algorithm> {
        match self {
            Language::English => Some(Algorithm::English),
            Language::French => Some(Algorithm::French),
            Language::Spanish => Some(Algorithm::Spanish),
            Language::Portuguese => Some(Algorithm::Portuguese),
            Language::Arabic => Some(Algorithm::Arabic),
            Language::Russian => Some(Algorithm::Russian),
            Language::Chinese => None,
        }
    }

    /// NLTK's stop-word list, as the stop-words crate ships it.
    fn stop_words(self) -> &'static [&'static str] {
        match self {
            Language::Chinese => &[],
            other => stop_words::lookup(other.code()).unwrap_or(&[]),
        }
    }

    fn whatlang(self) -> whatlang::Lang {
        match self {
            Language::English => whatlang::Lang::Eng,
            Language::French => whatlang::Lang::Fra,
            Language::Spanish => whatlang::Lang::Spa,
            Language::Portuguese => whatlang::Lang::Por,
            Language::Arabic => whatlang::Lang::Ara,
            Language::Russian => whatlang::Lang::Rus,
            Language::Chinese => whatlang::Lang::Cmn,
        }
    }

    /// The script the language is written in.
    fn script(self) -> Script {
        match self {
            Language::Arabic => Script::Arabic,
            Language::Russian => Script::Cyrillic,
            Language::Chinese => Script::Han,
            _ => Script::Latin,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Writing systems, told apart by their letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Latin,
    Arabic,
    Cyrillic,
    Han,
}

impl Script {
    /// The script of a letter, if it is one of the hub's.
    pub(crate) fn of(letter: char) -> Option<Script> {
        match letter {
            'a'..='z' | 'A'..='Z' | '\u{C0}'..='\u{24F}' => Some(Script::Latin),
            '\u{600}'..='\u{6FF}' | '\u{750}'..='\u{77F}' => Some(Script::Arabic),
            '\u{400}'..='\u{4FF}' => Some(Script::Cyrillic),
            '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' => Some(Script::Han),
            _ => None,
        }
    }
}

/// Negations the stop-word lists have, kept in a text's word sequence so the glossary's terms
/// that contain one match (without them "الهجرة غير النظامية", irregular migration, would read as
/// regular migration), but not counted as terms of their own.
pub(crate) const NEGATIONS: [&str; 10] = ["no", "not", "nor", "non", "ni", "غير", "لا", "не", "ни", "без"];

/// For each lower-cased stop word, the languages whose list has it (a bit per [`Language::index`]).
static STOP_WORDS: LazyLock<FxHashMap<&'static str, u8>> = LazyLock::new(|| {
    let mut words: FxHashMap<&'static str, u8> = FxHashMap::default();
    for language in Language::ALL {
        for word in language.stop_words().iter().filter(|word| !NEGATIONS.contains(*word)) {
            *words.entry(word).or_default() |= 1 << language.index();
        }
    }
    words
});

/// Whether `word` (lower-cased) is a stop word of `language`.
pub(crate) fn is_stop_word(word: &str, language: Language) -> bool {
    STOP_WORDS
        .get(word)
        .is_some_and(|bits| bits & (1 << language.index()) != 0)
}

/// Function words a text must show, and how far ahead of the runner-up, for them alone to settle
/// its language.
const DECISIVE_STOP_WORDS: usize = 3;

/// The language of a record's text. Its function words decide when they show one language the
/// hub reads clearly (a requester may ask for help in Spanish and write in English); else the
/// language its `languages` name, when they name exactly one the hub reads; else, among the
/// languages they name (or all the hub reads, when they name none of them), whatlang's guess.
/// The script narrows every choice. `None` when nothing can tell (no letters, or a language the
/// hub does not read): such a text is still compared word for word, without stemming. Never a
/// default language.
pub fn text_language(text: &str, named: &[String]) -> Option<Language> {
    let mut words = Words::default();
    words.split(text);
    words.language(named, &[text])
}

/// Every language the hub reads that is written in the script most of `text`'s letters are in;
/// none when it has no letters.
pub(crate) fn languages_of_script(text: &str) -> Vec<Language> {
    match dominant_script(text.chars()) {
        Some(script) => Language::ALL
            .into_iter()
            .filter(|language| language.script() == script)
            .collect(),
        None => Vec::new(),
    }
}

/// [`text_language`] of a text's words, lower-cased; `parts` are the text as written, whose
/// letters tell the script and which whatlang reads when it must guess.
pub(crate) fn words_language<'w>(
    words: impl Iterator<Item = &'w str>,
    named: &[String],
    parts: &[&str],
) -> Option<Language> {
    let script = dominant_script(parts.iter().flat_map(|part| part.chars()));
    let text = || parts.join("\n");
    let of_script = |language: &Language| script.is_none_or(|script| language.script() == script);
    let readable: Vec<Language> = Language::ALL.into_iter().filter(of_script).collect();
    if let Some(shown) = by_stop_words(words, &readable) {
        return Some(shown);
    }
    if let [only] = named {
        match Language::from_code(only) {
            Some(language) if of_script(&language) => return Some(language),
            // Named, but the text is in another script: the script's languages are the choice.
            Some(_) => return among(text, &readable),
            None => return None,
        }
    }
    let mut candidates: Vec<Language> = named.iter().filter_map(|code| Language::from_code(code)).collect();
    if candidates.is_empty() {
        if !named.is_empty() {
            return None;
        }
        candidates = Language::ALL.to_vec();
    }
    script?;
    candidates.retain(of_script);
    among(text, &candidates)
}

/// The only candidate, or whatlang's guess among several.
fn among(text: impl FnOnce() -> String, candidates: &[Language]) -> Option<Language> {
    match candidates {
        [] => None,
        [only] => Some(*only),
        _ => by_whatlang(&text(), candidates),
    }
}

/// The script most of the text's letters are in.
fn dominant_script(text: impl Iterator<Item = char>) -> Option<Script> {
    let mut counts = [0usize; 4];
    for letter in text.filter_map(Script::of) {
        counts[letter as usize] += 1;
    }
    let (at, count) = counts.iter().enumerate().max_by_key(|(_, count)| **count)?;
    let scripts = [Script::Latin, Script::Arabic, Script::Cyrillic, Script::Han];
    (*count > 0).then(|| scripts[at])
}

/// The candidate whose stop words the words use clearly more than any other's.
fn by_stop_words<'w>(words: impl Iterator<Item = &'w str>, candidates: &[Language]) -> Option<Language> {
    let mut counts = vec![0usize; candidates.len()];
    for word in words {
        if let Some(bits) = STOP_WORDS.get(word) {
            for (count, language) in counts.iter_mut().zip(candidates) {
                *count += usize::from(bits & (1 << language.index()) != 0);
            }
        }
    }
    let mut ranked: Vec<(usize, Language)> = counts.into_iter().zip(candidates.iter().copied()).collect();
    ranked.sort_by_key(|(count, _)| std::cmp::Reverse(*count));
    let (best, language) = ranked[0];
    let runner_up = ranked.get(1).map_or(0, |(count, _)| *count);
    (best >= DECISIVE_STOP_WORDS && best >= 2 * runner_up).then_some(language)
}

fn by_whatlang(text: &str, candidates: &[Language]) -> Option<Language> {
    let detector = whatlang::Detector::with_allowlist(candidates.iter().map(|l| l.whatlang()).collect());
    let found = detector.detect(text)?.lang();
    candidates.iter().copied().find(|language| language.whatlang() == found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(codes: &[&str]) -> Vec<String> {
        codes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_record_naming_one_language_is_read_in_it_unless_its_words_or_script_show_another() {
        assert_eq!(
            text_language("anything at all", &named(&["fr"])),
            Some(Language::French)
        );
        assert_eq!(text_language("irgendetwas", &named(&["de"])), None);
        let english = "Guatemala seeks alternatives to detention for migrant children and more consular training";
        assert_eq!(text_language(english, &named(&["es"])), Some(Language::English));
        let arabic = "تدريب حرس الحدود";
        assert_eq!(text_language(arabic, &named(&["en"])), Some(Language::Arabic));
        // The script counts every letter and sign of its range as written, punctuation too.
        assert_eq!(text_language("UNHCR دعم، ؟ ؟", &named(&["ar"])), Some(Language::Arabic));
    }

    #[test]
    fn function_words_or_whatlang_tell_the_language_never_a_default() {
        let spanish = "Necesitamos capacitar a los guardias de la frontera para identificar a las víctimas de trata";
        let french = "Nous avons besoin de former les agents aux frontières pour identifier les victimes de la traite";
        let english = "We need to train the border guards to identify the victims of trafficking";
        for (text, language) in [
            (spanish, Language::Spanish),
            (french, Language::French),
            (english, Language::English),
        ] {
            assert_eq!(text_language(text, &[]), Some(language), "{text}");
            assert_eq!(
                text_language(text, &named(&["en", "fr", "es"])),
                Some(language),
                "{text}"
            );
        }
        assert_eq!(
            text_language("Formation consulaire", &named(&["fr", "es"])),
            Some(Language::French)
        );
        assert_eq!(
            text_language("تدريب حرس الحدود على تحديد هوية الضحايا", &[]),
            Some(Language::Arabic)
        );
        assert_eq!(
            text_language("обучение пограничников", &named(&["en", "ru"])),
            Some(Language::Russian)
        );
        assert_eq!(text_language("2018 - 2019", &[]), None);
    }
}
