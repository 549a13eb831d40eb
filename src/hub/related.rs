//! What was learned, linked to a need: past needs like it and how they ended, practices on the
//! same topic, and other actors' open needs on the same topic and region. Candidates come from
//! the search index, looked up with the need's own terms among records sharing one of its
//! objectives; each is then read and kept only if it shares enough of the need's words, which
//! are also what the explanation names.

use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use super::{Hub, HubError};
use crate::domain::{Match, MatchStatus, Need, NeedStatus, Objective, Practice, geography};
use crate::search::{IndexState, RecordKind};
use crate::store::TreeName;
use crate::text::analysis::{TextReading, TextTerms};

/// Readings [`KeptReadings`] holds at most; when full it is emptied, and the candidates of the
/// calls that follow fill it again.
const MAX_KEPT_READINGS: usize = 50_000;

/// The readings of the records related items were checked against, by kind and record number,
/// kept between calls. Each SubmitNeed and FindRelated checks up to 151 candidates, the same
/// past needs and practices come up again and again, and reading a candidate's words (splitting,
/// stemming, finding concepts) was most of a SubmitNeed's work. A kept reading is used only while
/// it is the reading of the record's text as it is now ([`TextReading::is_of`]).
#[derive(Debug, Default)]
pub(super) struct KeptReadings(Mutex<FxHashMap<(RecordKind, u64), Arc<TextReading>>>);

impl KeptReadings {
    /// The reading of the record's title, body and languages: the kept one while it holds, else
    /// read now and kept.
    fn of(&self, kind: RecordKind, number: u64, title: &str, body: &str, languages: &[String]) -> Arc<TextReading> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(kind, number))
            .filter(|kept| kept.is_of(title, body, languages))
            .cloned();
        if let Some(kept) = kept {
            return kept;
        }
        // Read outside the lock: reading takes far longer than looking up.
        let read = Arc::new(TextReading::of(title, body, languages));
        let mut readings = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if readings.len() >= MAX_KEPT_READINGS {
            readings.clear();
        }
        readings.insert((kind, number), Arc::clone(&read));
        read
    }
}

/// Items FindRelated returns when the request does not say.
pub const DEFAULT_RELATED: usize = 10;
/// The most items FindRelated returns (and SubmitNeed counts).
pub const MAX_RELATED: usize = 50;
/// Candidates read from the index for each item asked for, before they are judged, and the
/// fewest read: most candidates share an objective and a word or two, and are left out.
const CANDIDATES_PER_ITEM: usize = 3;
const MIN_CANDIDATES: usize = 100;
/// Terms a record must share with the need to be called related (a concept and the words inside
/// it count once), beyond the objective it shares, unless one of them is a glossary concept: a
/// concept names a topic, where a word alone may be incidental.
const SHARED_TERMS: usize = 2;
/// Shared terms named in an explanation.
const TERMS_NAMED: usize = 5;

/// How an item is related.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelatedKind {
    /// A need no longer open, with how it ended.
    PastNeed,
    /// A published practice.
    Practice,
    /// Another requester's open need on the same topic and region.
    OpenNeed,
}

/// One related item.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedItem {
    pub kind: RelatedKind,
    /// A need id or a practice id.
    pub id: String,
    pub title: String,
    /// The need's requester or the practice's author.
    pub actor_id: String,
    /// The index's score: higher is more related.
    pub score: f32,
    /// Why it is related, in words.
    pub reasons: Vec<String>,
    /// A need's status.
    pub need_status: Option<NeedStatus>,
    /// How it ended, where an outcome was reported: the rating (1-5), lessons and the match.
    pub rating: Option<u32>,
    pub lessons_learned: String,
    pub match_id: Option<String>,
}

impl Hub {
    /// Up to `limit` items related to need `need_id` (0: [`DEFAULT_RELATED`]); waits a moment
    /// for an index still being built.
    pub async fn find_related(&self, need_id: &str, limit: usize) -> Result<Vec<RelatedItem>, HubError> {
        let limit = crate::domain::validation::count_or_default("limit", limit, DEFAULT_RELATED, MAX_RELATED)?;
        let need: Need = self.load("need_id", need_id)?;
        self.search.ready().await?;
        self.related_to(&need, limit)
    }

    /// How many related items a need has (at most [`MAX_RELATED`]), as far as the index knows
    /// now: SubmitNeed reports it without waiting for an index being built (0 then).
    pub fn related_count(&self, need: &Need) -> Result<usize, HubError> {
        if self.search.state() != IndexState::Ready {
            return Ok(0);
        }
        Ok(self.related_to(need, MAX_RELATED)?.len())
    }

    fn related_to(&self, need: &Need, limit: usize) -> Result<Vec<RelatedItem>, HubError> {
        let spec = &need.spec;
        let read = TextTerms::read_with_words(&spec.title, &spec.description, &spec.languages);
        let terms: Vec<(&str, f32)> = read
            .terms
            .iter()
            .map(|term| (term.key.as_str(), term.frequency))
            .collect();
        let found = self.search.lookup(
            &terms,
            &[RecordKind::Need, RecordKind::Practice],
            &spec.themes,
            // One more for the need itself.
            (limit * CANDIDATES_PER_ITEM).max(MIN_CANDIDATES) + 1,
        )?;
        let regions = geography::finest_areas(&spec.countries);
        let mut items: Vec<RelatedItem> = Vec::new();
        for candidate in found {
            if items.len() == limit {
                break;
            }
            let item = match candidate.kind {
                RecordKind::Need => {
                    let Some(other) = self.store.get_by_number::<Need>(candidate.number)? else {
                        continue;
                    };
                    let spec = &other.spec;
                    let reading = self.related_readings.of(
                        RecordKind::Need,
                        candidate.number,
                        &spec.title,
                        &spec.description,
                        &spec.languages,
                    );
                    self.related_need(need, &read, &regions, &other, &reading)?
                }
                RecordKind::Practice => {
                    let Some(practice) = self.store.get_by_number::<Practice>(candidate.number)? else {
                        continue;
                    };
                    let spec = &practice.spec;
                    let reading = self.related_readings.of(
                        RecordKind::Practice,
                        candidate.number,
                        &spec.title,
                        &spec.body(),
                        &spec.languages,
                    );
                    related_practice(need, &read, &practice, &reading)
                }
                RecordKind::Offer | RecordKind::Actor => None,
            };
            // A completed match may show twice: as the past need, with how it ended, and as the
            // practice it published, which its author may have edited since.
            if let Some(item) = item {
                items.push(RelatedItem {
                    score: candidate.score,
                    ..item
                });
            }
        }
        Ok(items)
    }

    /// `other` as an item related to `need`, if it is one.
    fn related_need(
        &self,
        need: &Need,
        read: &TextTerms,
        regions: &[&'static str],
        other: &Need,
        other_read: &TextReading,
    ) -> Result<Option<RelatedItem>, HubError> {
        if other.id == need.id || other.status == NeedStatus::Withdrawn {
            return Ok(None);
        }
        let spec = &other.spec;
        let Some(mut reasons) = shared(need, &spec.themes, read, other_read) else {
            return Ok(None);
        };
        let item = RelatedItem {
            kind: RelatedKind::PastNeed,
            id: other.id.clone(),
            title: spec.title.clone(),
            actor_id: other.requester_id.clone(),
            score: 0.0,
            reasons: Vec::new(),
            need_status: Some(other.status),
            rating: None,
            lessons_learned: String::new(),
            match_id: None,
        };
        if other.status == NeedStatus::Open {
            // The requester's own open needs are SubmitNeed's similar needs, not a partner's.
            let together: Vec<&str> = geography::finest_areas(&spec.countries)
                .into_iter()
                .filter(|area| regions.contains(area))
                .collect();
            if other.requester_id == need.requester_id || together.is_empty() {
                return Ok(None);
            }
            let names: Vec<&str> = together
                .iter()
                .map(|slug| geography::area_name(slug).unwrap_or(slug))
                .collect();
            reasons.push(format!(
                "also in {}: join forces rather than duplicate",
                names.join(", ")
            ));
            return Ok(Some(RelatedItem {
                kind: RelatedKind::OpenNeed,
                reasons,
                ..item
            }));
        }
        let completed = self.completed_match_of(other)?;
        let outcome = completed.as_ref().and_then(|found| found.outcome.as_ref());
        reasons.push(match outcome {
            Some(outcome) => format!("ended {}, rated {} of 5", other.status.word(), outcome.rating),
            None => format!("{} without a reported outcome", other.status.word()),
        });
        Ok(Some(RelatedItem {
            reasons,
            rating: outcome.map(|outcome| outcome.rating),
            lessons_learned: outcome
                .map(|outcome| outcome.lessons_learned.clone())
                .unwrap_or_default(),
            match_id: completed.as_ref().map(|found| found.id.clone()),
            ..item
        }))
    }

    /// The need's completed match with an outcome, the latest if several.
    fn completed_match_of(&self, need: &Need) -> Result<Option<Match>, HubError> {
        let mut completed = None;
        for number in self.store.ids_in_index(TreeName::MatchesByNeed, &need.id) {
            if let Some(found) = self.store.get_by_number::<Match>(number?)?
                && found.status == MatchStatus::Completed
                && found.outcome.is_some()
            {
                completed = Some(found);
            }
        }
        Ok(completed)
    }
}

/// `practice` as an item related to `need`, if it is one.
fn related_practice(
    need: &Need,
    read: &TextTerms,
    practice: &Practice,
    practice_read: &TextReading,
) -> Option<RelatedItem> {
    if !practice.is_published() {
        return None;
    }
    let spec = &practice.spec;
    let reasons = shared(need, &spec.themes, read, practice_read)?;
    let (match_id, rating) = practice.completed_match().unzip();
    Some(RelatedItem {
        kind: RelatedKind::Practice,
        id: practice.id.clone(),
        title: spec.title.clone(),
        actor_id: practice.author_id.clone(),
        score: 0.0,
        reasons,
        need_status: None,
        rating,
        lessons_learned: spec.lessons_learned.clone(),
        match_id: match_id.map(str::to_string),
    })
}

/// Why a record with these objectives and this text is related to `need` (its text read as
/// `read`): the objectives and the terms they share, or `None` when they share too little.
fn shared(need: &Need, themes: &[Objective], read: &TextTerms, other: &TextReading) -> Option<Vec<String>> {
    let objectives: Vec<&Objective> = need.spec.themes.iter().filter(|theme| themes.contains(theme)).collect();
    // Only the other text's keys are needed: its reading without the words to show them.
    let keys: rustc_hash::FxHashSet<&str> = other.terms().map(|(key, _)| key).collect();
    let in_other = |key: &str| keys.contains(key);
    let shared_concepts: Vec<usize> = read
        .terms
        .iter()
        .enumerate()
        .filter(|(_, term)| term.is_concept() && in_other(&term.key))
        .map(|(at, _)| at)
        .collect();
    // A word inside a shared concept is said by the concept.
    let words: Vec<&str> = read
        .terms
        .iter()
        .filter(|term| {
            in_other(&term.key)
                && (term.is_concept() || !term.within.iter().any(|concept| shared_concepts.contains(concept)))
        })
        .map(|term| term.words.as_str())
        .collect();
    if objectives.is_empty() || (words.len() < SHARED_TERMS && shared_concepts.is_empty()) {
        return None;
    }
    let mut reasons: Vec<String> = objectives
        .iter()
        .map(|objective| format!("shares objective {} ({})", objective.number(), objective.title()))
        .collect();
    let named: Vec<&str> = words.iter().take(TERMS_NAMED).copied().collect();
    reasons.push(format!("also speaks of {}", named.join(", ")));
    Some(reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept reading serves while the record's text is the same, and a changed text is read
    /// again: an edited past need or practice is checked with its new words.
    #[test]
    fn a_kept_reading_serves_only_the_text_it_was_read_from() {
        let kept = KeptReadings::default();
        let languages = ["en".to_string()];
        let title = "Training border officials in victim identification";
        let body = "Officials at the northern border need to recognise victims of trafficking.";
        let first = kept.of(RecordKind::Need, 7, title, body, &languages);
        let again = kept.of(RecordKind::Need, 7, title, body, &languages);
        assert!(Arc::ptr_eq(&first, &again), "the same text was read twice");
        let edited = "Officials at the northern border need to interview unaccompanied children.";
        let changed = kept.of(RecordKind::Need, 7, title, edited, &languages);
        assert!(!Arc::ptr_eq(&first, &changed));
        assert_eq!(*changed, TextReading::of(title, edited, &languages));
        let keys = |reading: &TextReading| reading.terms().map(|(key, _)| key.to_owned()).collect::<Vec<_>>();
        assert_ne!(keys(&first), keys(&changed));
        let practice = kept.of(RecordKind::Practice, 7, title, body, &languages);
        assert!(
            !Arc::ptr_eq(&first, &practice),
            "a practice is not the need of its number"
        );
    }
}
