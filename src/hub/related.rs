//! What was learned, linked to a need: past needs like it and how they ended, practices on the
//! same topic, and other actors' open needs on the same topic and region. Candidates come from
//! the search index, looked up with the need's own terms among records sharing one of its
//! objectives; each is then judged, and included only if it shares enough of the need's words,
//! which are also what the explanation names.

use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use super::{Hub, HubError};
use crate::domain::{Match, MatchStatus, Need, NeedStatus, Objective, Practice, geography};
use crate::search::{IndexState, RecordKind};
use crate::store::{Store, TreeName, WriteSet};
use crate::text::analysis::{TextReading, TextTerms};

/// Records [`KeptCandidates`] holds at most; when full it is emptied, and the candidates of the
/// calls that follow fill it again.
const MAX_KEPT_CANDIDATES: usize = 50_000;

/// The kinds of record related items are made of.
const CANDIDATE_KINDS: [RecordKind; 2] = [RecordKind::Need, RecordKind::Practice];

/// The records related items were judged from, as stored, with their words read, kept between
/// calls by kind and record number. Each SubmitNeed and FindRelated judges up to 151 candidates,
/// and the same past needs and practices come up again and again: reading each from the store
/// (sled's pages, which its small cache mostly does not hold at tier L, see `StoreConfig`) and
/// reading its words cost a fifth of a count at L over 500 needs in one pass, a third once every
/// candidate was kept (BENCHMARKS.md). Every write is applied through
/// [`KeptCandidates::applying`], which forgets the needs and practices it changed as soon as the
/// store has them, so a kept record is the record as stored once the write that last changed it
/// is applied.
#[derive(Debug, Default)]
pub(super) struct KeptCandidates(Mutex<Kept>);

/// What [`KeptCandidates`] guards.
#[derive(Debug, Default)]
struct Kept {
    /// Each kept record, by kind and record number.
    records: FxHashMap<(RecordKind, u64), Arc<KeptCandidate>>,
    /// How many writes have forgotten records so far. A record read from the store while a
    /// write was forgetting may be the record as it was before that write, so it is used for
    /// the call that read it but not kept.
    forgettings: u64,
}

/// A record related items are judged from, as stored, and its title and text read.
#[derive(Debug)]
struct KeptCandidate {
    record: CandidateRecord,
    reading: TextReading,
}

/// A need or a practice as stored, but for the texts judging reads only as the reading (a need's
/// description, a practice's description and results), which are left empty: kept whole, they
/// would be most of the memory kept. A practice's lessons stay: a related item shows them.
#[derive(Debug)]
enum CandidateRecord {
    Need(Need),
    Practice(Practice),
}

impl KeptCandidate {
    /// `need`, read, and kept without its description.
    fn need(mut need: Need) -> KeptCandidate {
        let spec = &mut need.spec;
        let reading = TextReading::of(&spec.title, &spec.description, &spec.languages);
        spec.description = String::new();
        KeptCandidate {
            record: CandidateRecord::Need(need),
            reading,
        }
    }

    /// `practice`, read, and kept without its description and results.
    fn practice(mut practice: Practice) -> KeptCandidate {
        let spec = &mut practice.spec;
        let reading = TextReading::of(&spec.title, &spec.body(), &spec.languages);
        spec.description = String::new();
        spec.results = String::new();
        KeptCandidate {
            record: CandidateRecord::Practice(practice),
            reading,
        }
    }
}

impl KeptCandidates {
    /// The record of `kind` numbered `number`, with its words read: the kept one, else read from
    /// the store now (and kept). `None` when the store has no such record, or for a kind related
    /// items are never made of.
    fn of(&self, store: &Store, kind: RecordKind, number: u64) -> Result<Option<Arc<KeptCandidate>>, HubError> {
        let forgettings = match self.kept(kind, number) {
            Ok(found) => return Ok(Some(found)),
            Err(forgettings) => forgettings,
        };
        // Read outside the lock: reading takes far longer than looking up.
        let read = match kind {
            RecordKind::Need => store.get_by_number::<Need>(number)?.map(KeptCandidate::need),
            RecordKind::Practice => store.get_by_number::<Practice>(number)?.map(KeptCandidate::practice),
            RecordKind::Offer | RecordKind::Actor => None,
        };
        Ok(read.map(|read| self.keep(kind, number, read, forgettings)))
    }

    /// The kept record, or how many writes had forgotten records when it was found missing.
    fn kept(&self, kind: RecordKind, number: u64) -> Result<Arc<KeptCandidate>, u64> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.records.get(&(kind, number)).cloned().ok_or(kept.forgettings)
    }

    /// Keeps `read`, read from the store after `forgettings` writes had forgotten records,
    /// unless another has forgotten some since.
    fn keep(&self, kind: RecordKind, number: u64, read: KeptCandidate, forgettings: u64) -> Arc<KeptCandidate> {
        let read = Arc::new(read);
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.forgettings != forgettings {
            return read;
        }
        let full = if kept.records.len() >= MAX_KEPT_CANDIDATES {
            std::mem::take(&mut kept.records)
        } else {
            FxHashMap::default()
        };
        kept.records.insert((kind, number), Arc::clone(&read));
        drop(kept);
        // Dropped outside the lock, which a write waits for: 50,000 records take a while.
        drop(full);
        read
    }

    /// Applies `writes` with `apply` (the store's), then forgets the needs and practices they
    /// changed: every write to the store goes through here, so no kept record outlives the write
    /// that changed it.
    pub(super) fn applying<R, E>(
        &self,
        writes: WriteSet,
        apply: impl FnOnce(WriteSet) -> Result<R, E>,
    ) -> Result<R, E> {
        let changed: Vec<(RecordKind, u64)> = CANDIDATE_KINDS
            .into_iter()
            .flat_map(|kind| writes.changed(kind.tree()).map(move |number| (kind, number)))
            .collect();
        let applied = apply(writes)?;
        if !changed.is_empty() {
            let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            kept.forgettings += 1;
            for key in &changed {
                kept.records.remove(key);
            }
        }
        Ok(applied)
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
            &CANDIDATE_KINDS,
            &spec.themes,
            // One more for the need itself.
            (limit * CANDIDATES_PER_ITEM).max(MIN_CANDIDATES) + 1,
        )?;
        let regions = geography::finest_areas(&spec.countries);
        let mut items: Vec<RelatedItem> = Vec::new();
        let need_keys = NeedKeys::of(&read);
        for candidate in found {
            if items.len() == limit {
                break;
            }
            let Some(kept) = self
                .related_candidates
                .of(&self.store, candidate.kind, candidate.number)?
            else {
                continue;
            };
            let item = match &kept.record {
                CandidateRecord::Need(other) => self.related_need(need, &need_keys, &regions, other, &kept.reading)?,
                CandidateRecord::Practice(practice) => related_practice(need, &need_keys, practice, &kept.reading),
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
        keys: &NeedKeys<'_>,
        regions: &[&'static str],
        other: &Need,
        other_read: &TextReading,
    ) -> Result<Option<RelatedItem>, HubError> {
        if other.id == need.id || other.status == NeedStatus::Withdrawn {
            return Ok(None);
        }
        let spec = &other.spec;
        let Some(mut reasons) = shared(need, &spec.themes, keys, other_read) else {
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
    keys: &NeedKeys<'_>,
    practice: &Practice,
    practice_read: &TextReading,
) -> Option<RelatedItem> {
    if !practice.is_published() {
        return None;
    }
    let spec = &practice.spec;
    let reasons = shared(need, &spec.themes, keys, practice_read)?;
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

/// The need's terms as read, and their positions by key, to find which of them another
/// record's reading holds: made once per lookup, so judging a candidate walks only the
/// candidate's own keys.
struct NeedKeys<'r> {
    read: &'r TextTerms,
    positions: FxHashMap<&'r str, usize>,
}

impl<'r> NeedKeys<'r> {
    /// The keys of the need read as `read`.
    fn of(read: &'r TextTerms) -> NeedKeys<'r> {
        NeedKeys {
            read,
            positions: read
                .terms
                .iter()
                .enumerate()
                .map(|(at, term)| (term.key.as_str(), at))
                .collect(),
        }
    }

    /// Whether `other` holds each of the need's terms, by the term's position.
    fn held_by(&self, other: &TextReading) -> Vec<bool> {
        let mut held = vec![false; self.read.terms.len()];
        for (key, _) in other.terms() {
            if let Some(&at) = self.positions.get(key) {
                held[at] = true;
            }
        }
        held
    }
}

/// Why a record with these objectives and this text is related to `need` (its terms `keys`): the
/// objectives and the terms they share, or `None` when they share too little.
fn shared(need: &Need, themes: &[Objective], keys: &NeedKeys<'_>, other: &TextReading) -> Option<Vec<String>> {
    let objectives: Vec<&Objective> = need.spec.themes.iter().filter(|theme| themes.contains(theme)).collect();
    if objectives.is_empty() {
        return None;
    }
    let held = keys.held_by(other);
    let terms = &keys.read.terms;
    let shared_concepts: Vec<usize> = terms
        .iter()
        .enumerate()
        .filter(|(at, term)| term.is_concept() && held[*at])
        .map(|(at, _)| at)
        .collect();
    // A word inside a shared concept is said by the concept.
    let words: Vec<&str> = terms
        .iter()
        .enumerate()
        .filter(|(at, term)| {
            held[*at] && (term.is_concept() || !term.within.iter().any(|concept| shared_concepts.contains(concept)))
        })
        .map(|(_, term)| term.words.as_str())
        .collect();
    if words.len() < SHARED_TERMS && shared_concepts.is_empty() {
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
    use crate::domain::{DateWindow, Level, Modality, NeedSpec, Urgency};
    use crate::store::StoreConfig;

    /// Need `number`, an open one on objective 10 in Guatemala, saying `description`.
    fn need(number: u64, description: &str) -> Need {
        Need {
            id: format!("need-{number}"),
            requester_id: "actor-1".into(),
            spec: NeedSpec {
                title: "Training border officials in victim identification".into(),
                description: description.into(),
                themes: vec![Objective::new(10).unwrap()],
                modalities: vec![Modality::Training],
                level: Level::National,
                countries: vec!["GTM".into()],
                languages: vec!["en".into()],
                budget_usd: None,
                urgency: Urgency::Normal,
                window: DateWindow::default(),
            },
            status: NeedStatus::Open,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Stores `new` over `old` through `kept`, as `Hub::apply` does.
    fn write(store: &Store, kept: &KeptCandidates, old: Option<&Need>, new: &Need) {
        let mut writes = WriteSet::default();
        writes.put(old, new).unwrap();
        kept.applying(writes, |writes| store.apply(writes)).unwrap();
    }

    /// A store holding need 7, written through `kept`.
    fn a_store_with_need_7() -> (tempfile::TempDir, Store, KeptCandidates, Need) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        let kept = KeptCandidates::default();
        let first = need(
            7,
            "Officials at the northern border need to recognise victims of trafficking.",
        );
        write(&store, &kept, None, &first);
        (dir, store, kept, first)
    }

    /// The keys of `reading`, in order.
    fn keys(reading: &TextReading) -> Vec<String> {
        reading.terms().map(|(key, _)| key.to_owned()).collect()
    }

    /// A kept record serves until a write changes it, and is then read again as written: an
    /// edited past need is judged by its new words, and one withdrawn by its new status.
    #[test]
    fn a_kept_record_serves_until_a_write_changes_it() {
        let (_dir, store, kept, first) = a_store_with_need_7();

        let read = kept.of(&store, RecordKind::Need, 7).unwrap().unwrap();
        let again = kept.of(&store, RecordKind::Need, 7).unwrap().unwrap();
        assert!(Arc::ptr_eq(&read, &again), "the record was read from the store twice");
        let spec = &first.spec;
        assert_eq!(
            read.reading,
            TextReading::of(&spec.title, &spec.description, &spec.languages)
        );

        let edited = need(
            7,
            "Officials at the northern border need to interview unaccompanied children.",
        );
        write(&store, &kept, Some(&first), &edited);
        let after_edit = kept.of(&store, RecordKind::Need, 7).unwrap().unwrap();
        let CandidateRecord::Need(stored) = &after_edit.record else {
            panic!("need 7 was kept as a practice");
        };
        let spec = &edited.spec;
        assert_eq!(
            after_edit.reading,
            TextReading::of(&spec.title, &spec.description, &spec.languages)
        );
        assert_ne!(keys(&after_edit.reading), keys(&read.reading));
        assert_eq!(stored.id, "need-7");

        let withdrawn = Need {
            status: NeedStatus::Withdrawn,
            ..edited.clone()
        };
        write(&store, &kept, Some(&edited), &withdrawn);
        let after_withdrawal = kept.of(&store, RecordKind::Need, 7).unwrap().unwrap();
        assert!(
            matches!(&after_withdrawal.record, CandidateRecord::Need(need) if need.status == NeedStatus::Withdrawn)
        );

        assert!(kept.of(&store, RecordKind::Need, 8).unwrap().is_none(), "no record 8");
        assert!(
            kept.of(&store, RecordKind::Practice, 7).unwrap().is_none(),
            "record 7 is a need, not a practice"
        );
    }

    /// A record read while a write was forgetting may be the record as it was before that write:
    /// it serves the call that read it but is not kept.
    #[test]
    fn a_record_read_while_a_write_forgets_is_not_kept() {
        let (_dir, store, kept, first) = a_store_with_need_7();
        let read_before = || KeptCandidate::need(first.clone());

        let Err(forgettings) = kept.kept(RecordKind::Need, 7) else {
            panic!("need 7 was kept before it was read");
        };
        // A write edits need 7 between the look-up and the read's return.
        let edited = need(
            7,
            "Officials at the northern border need to interview unaccompanied children.",
        );
        write(&store, &kept, Some(&first), &edited);
        kept.keep(RecordKind::Need, 7, read_before(), forgettings);
        assert!(
            kept.kept(RecordKind::Need, 7).is_err(),
            "a record read before an edit was kept"
        );
        let now = kept.of(&store, RecordKind::Need, 7).unwrap().unwrap();
        let spec = &edited.spec;
        assert_eq!(
            now.reading,
            TextReading::of(&spec.title, &spec.description, &spec.languages)
        );

        // With no write in between, the record read is kept.
        let Err(forgettings) = kept.kept(RecordKind::Need, 9) else {
            panic!("need 9 was kept before it was read");
        };
        kept.keep(RecordKind::Need, 9, read_before(), forgettings);
        assert!(kept.kept(RecordKind::Need, 9).is_ok());
    }
}
