//! The curated multilingual glossary of migration and capacity-development terms
//! (`data/glossary.tsv`, compiled in): each concept with its terms in English, French and Spanish,
//! and in Arabic and Russian where they were written. A text's words map to the concepts whose
//! terms they contain, so a Spanish need about "trata de personas" finds an English offer on
//! "human trafficking". README ("Text relevance") says how to add a concept.

use std::ops::Range;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::analysis::for_each_stem;
use super::language::Language;
use crate::domain::Objective;

pub(crate) const GLOSSARY: &str = include_str!("../../data/glossary.tsv");

/// The languages of the glossary's columns, after the concept id and its objectives.
const COLUMNS: [Language; 5] = [
    Language::English,
    Language::French,
    Language::Spanish,
    Language::Arabic,
    Language::Russian,
];

/// Languages every concept must have a term in.
const REQUIRED: [Language; 3] = [Language::English, Language::French, Language::Spanish];

/// Why the glossary could not be read: which line, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("data/glossary.tsv line {line}: {problem}")]
pub struct GlossaryError {
    line: usize,
    problem: String,
}

/// One concept and its terms.
#[derive(Debug, Clone)]
pub struct Concept {
    /// Snake-case English id (`victim_identification`).
    pub id: String,
    /// The GCM objectives it belongs to most (none for general capacity-development concepts).
    pub objectives: Vec<Objective>,
    /// Terms per language, in [`Language::ALL`] order; the first of each is its name.
    terms: Vec<Vec<String>>,
}

impl Concept {
    /// The concept's terms in `language` (empty when the glossary has none).
    pub fn terms(&self, language: Language) -> &[String] {
        &self.terms[language.index()]
    }

    /// How to name the concept to a reader of `language`: its first term there, else in English.
    pub fn name(&self, language: Language) -> &str {
        self.terms(language)
            .first()
            .or_else(|| self.terms(Language::English).first())
            .map_or(self.id.as_str(), String::as_str)
    }
}

/// A term as its stems, and the concept it names.
#[derive(Debug, Clone)]
struct Entry {
    stems: Vec<String>,
    concept: usize,
}

/// Every concept, and per language its terms filed by their first stem, then (for terms of
/// several words) by their second: a stem such as "migrant" begins dozens of terms, and a text's
/// every word is looked up, so a word that begins no term costs one look-up.
#[derive(Debug)]
pub struct Glossary {
    concepts: Vec<Concept>,
    by_opening: Vec<FxHashMap<Box<str>, Opening>>,
}

/// The terms that begin with one stem.
#[derive(Debug, Clone, Default)]
struct Opening {
    /// Terms of that one stem.
    alone: Vec<Entry>,
    /// Longer terms, by their second stem.
    by_second: FxHashMap<Box<str>, Vec<Entry>>,
}

static COMPILED: LazyLock<Glossary> = LazyLock::new(|| {
    Glossary::parse(GLOSSARY).expect("data/glossary.tsv is compiled in and checked by the glossary's tests")
});

/// The glossary compiled into the hub.
pub fn glossary() -> &'static Glossary {
    &COMPILED
}

impl Glossary {
    /// Reads a glossary in the format of `data/glossary.tsv`: `#` comments, then one concept a
    /// line: id, objectives (`10,11` or `-`), and the terms in English, French, Spanish, Arabic and
    /// Russian, tab-separated, several terms in a cell separated by `|`.
    pub fn parse(text: &str) -> Result<Glossary, GlossaryError> {
        let mut glossary = Glossary {
            concepts: Vec::new(),
            by_opening: vec![FxHashMap::default(); Language::ALL.len()],
        };
        for (number, line) in text.lines().enumerate() {
            let line_number = number + 1;
            let fail = |problem: String| GlossaryError {
                line: line_number,
                problem,
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').collect();
            let [id, objectives, columns @ ..] = &cells[..] else {
                return Err(fail("expected an id, objectives and five columns of terms".into()));
            };
            if columns.len() != COLUMNS.len() {
                return Err(fail(format!("{} columns; expected 7", cells.len())));
            }
            let id = id.trim().to_string();
            if id.is_empty() || glossary.concepts.iter().any(|c| c.id == id) {
                return Err(fail(format!("concept id '{id}' is empty or used twice")));
            }
            let objectives = parse_objectives(objectives).map_err(fail)?;
            let mut terms = vec![Vec::new(); Language::ALL.len()];
            for (language, cell) in COLUMNS.iter().zip(columns) {
                terms[language.index()] = cell
                    .split('|')
                    .map(str::trim)
                    .filter(|term| !term.is_empty())
                    .map(ToString::to_string)
                    .collect();
            }
            if let Some(missing) = REQUIRED.iter().find(|l| terms[l.index()].is_empty()) {
                return Err(fail(format!("'{id}' has no term in {missing}")));
            }
            let concept = glossary.concepts.len();
            for language in COLUMNS {
                for term in &terms[language.index()] {
                    let mut stems = Vec::new();
                    for_each_stem(term, Some(language), |stem, _| stems.push(stem.to_string()));
                    if stems.is_empty() {
                        continue;
                    }
                    let opening = glossary.by_opening[language.index()]
                        .entry(stems[0].as_str().into())
                        .or_default();
                    let filed = match stems.get(1) {
                        None => &mut opening.alone,
                        Some(second) => opening.by_second.entry(second.as_str().into()).or_default(),
                    };
                    if !filed
                        .iter()
                        .any(|entry| entry.stems == stems && entry.concept == concept)
                    {
                        filed.push(Entry { stems, concept });
                    }
                }
            }
            glossary.concepts.push(Concept { id, objectives, terms });
        }
        Ok(glossary)
    }

    /// Every concept, in the file's order.
    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    /// The concept at `index` (as [`Glossary::concepts_in`] reports it).
    pub fn concept(&self, index: usize) -> &Concept {
        &self.concepts[index]
    }

    /// Calls `found(concept, span)` for each concept whose term in `language` occurs in `stems`
    /// (a text's stems in order), with the positions it covers; a concept found twice at one
    /// position is reported once.
    pub fn concepts_in(&self, language: Language, stems: &[&str], mut found: impl FnMut(usize, Range<usize>)) {
        let filed = &self.by_opening[language.index()];
        let mut here: Vec<usize> = Vec::new();
        for start in 0..stems.len() {
            let Some(opening) = filed.get(stems[start]) else {
                continue;
            };
            here.clear();
            let longer = stems
                .get(start + 1)
                .and_then(|second| opening.by_second.get(*second))
                .into_iter()
                .flatten();
            for entry in opening.alone.iter().chain(longer) {
                let end = start + entry.stems.len();
                let matches = stems
                    .get(start..end)
                    .is_some_and(|words| words.iter().eq(entry.stems.iter()));
                if matches && !here.contains(&entry.concept) {
                    here.push(entry.concept);
                    found(entry.concept, start..end);
                }
            }
        }
    }
}

fn parse_objectives(cell: &str) -> Result<Vec<Objective>, String> {
    let cell = cell.trim();
    if cell == "-" {
        return Ok(Vec::new());
    }
    cell.split(',')
        .map(|number| {
            number
                .trim()
                .parse::<u32>()
                .ok()
                .and_then(|n| Objective::try_from(n).ok())
                .ok_or_else(|| format!("objective '{number}' is not a GCM objective (1-23)"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_glossary_reads_and_is_large_enough() {
        let glossary = Glossary::parse(GLOSSARY).unwrap();
        assert!(
            glossary.concepts().len() >= 200,
            "{} concepts",
            glossary.concepts().len()
        );
        for concept in glossary.concepts() {
            for language in REQUIRED {
                assert!(!concept.terms(language).is_empty(), "{} in {language}", concept.id);
            }
        }
        let with_objective = |n: u32| {
            let objective = Objective::try_from(n).unwrap();
            glossary
                .concepts()
                .iter()
                .filter(|c| c.objectives.contains(&objective))
                .count()
        };
        for n in 1..=23 {
            assert!(
                with_objective(n) >= 3,
                "objective {n} has {} concepts",
                with_objective(n)
            );
        }
    }

    #[test]
    fn a_malformed_line_is_refused_with_its_number() {
        let error = Glossary::parse("# comment\nx\t-\ta\tb\n").unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
        let error = Glossary::parse("x\t24\ta\tb\tc\t\t\n").unwrap_err().to_string();
        assert!(error.contains("not a GCM objective"), "{error}");
        let error = Glossary::parse("x\t1\ta\t\tc\t\t\n").unwrap_err().to_string();
        assert!(error.contains("no term in fr"), "{error}");
    }

    #[test]
    fn multi_word_terms_are_found_in_any_inflection() {
        let glossary =
            Glossary::parse("victim_identification\t10\tvictim identification\tidentification des victimes\tidentificación de víctimas\t\t\n")
                .unwrap();
        let mut stems = Vec::new();
        for_each_stem(
            "Identificaciones de las victimas",
            Some(Language::Spanish),
            |stem, _| stems.push(stem.to_string()),
        );
        let stems: Vec<&str> = stems.iter().map(String::as_str).collect();
        let mut found = Vec::new();
        glossary.concepts_in(Language::Spanish, &stems, |concept, span| found.push((concept, span)));
        assert_eq!(found, [(0, 0..2)]);
        assert_eq!(
            glossary.concept(0).name(Language::Spanish),
            "identificación de víctimas"
        );
        assert_eq!(glossary.concept(0).name(Language::Arabic), "victim identification");
    }
}
