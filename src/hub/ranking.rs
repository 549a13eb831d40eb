//! Ranking a need's candidate offers, and explaining the ones returned.
//!
//! Ranking reads the in-memory catalogue: the objective index and the offers' keys leave the
//! offers that pass the hard filters, and each key bounds its offer's score from above (see
//! [`crate::matching::keys`]), with the offer's text relevance computed exactly (one test of a
//! small bit set per offer term, over terms the catalogue keeps side by side) and the
//! requester's best trust to anyone standing for the provider's. Candidates wait in a heap by
//! bound. The one on top has its bound tightened with its provider's own trust bound (a few
//! look-ups in the graph, so only for candidates that get this far) and goes back in line;
//! on top with its tightened bound, it is scored exactly: the components its key holds, the
//! language and level fit from its records, and the trust of the requester's path to the
//! provider, found once per view. Once `keep` are scored, a candidate needs at least the lowest
//! of their scores, so at least the trust that lifts its bound there: its provider's paths below
//! that trust are not looked for, and a provider with none is passed over. Once `keep` exact scores beat the
//! highest bound left, no offer left can enter the result. Every returned score is the exact
//! score.

use std::cell::{OnceCell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::sync::{Arc, PoisonError, RwLockReadGuard};

use rustc_hash::FxHashMap;

use super::catalogue::Catalogue;
use super::directory::ActorDirectory;
use super::{Hub, HubError, MatchCandidate, TrackRecords};
use crate::domain::lifecycle::Lifecycle;
use crate::domain::{Actor, Match, Need, Offer, UnixMillis};
use crate::domain::{Reason, Refusal};
use crate::graph::{PartnershipGraph, Proximity, Target, TrustPath};
use crate::matching::keys::{NeedKey, OfferKey};
use crate::matching::{self, PairContext, RecordFit, TrackRecord};
use crate::store::TreeName;
use crate::text::{TextQuery, WordedQuery};

/// Slack for floating-point rounding between a bound and the score it bounds.
pub(super) const BOUND_SLACK: f64 = 1e-9;

/// Candidates whose terms are asked of memory at once ([`crate::text::Document::read_ahead`]):
/// enough to keep the memory busy, few enough that the first are still in cache when used.
pub(super) const READ_AHEAD: usize = 16;

/// Whether a candidate bounded by `bound` can no longer enter the best `keep`, the best scores
/// so far being `best`.
pub(super) fn beaten(best: &BinaryHeap<Reverse<u64>>, keep: Option<usize>, bound: f64) -> bool {
    keep.is_some_and(|keep| best.len() == keep)
        && best.peek().is_some_and(|Reverse(bits)| bound < f64::from_bits(*bits))
}

/// An offer that passes a need's hard filters, with its score: what ranking produces before
/// anything is put in words.
#[derive(Debug, Clone)]
pub(super) struct RankedOffer {
    /// The offer's record number: ties go to the lower, older one.
    pub(super) number: u64,
    pub(super) offer: Arc<Offer>,
    /// In [0, 1], equal to the explained candidate's score.
    pub(super) score: f64,
}

/// What ranking and explaining read, taken once per query: the catalogue and the trust paths
/// from the requester.
pub(super) struct RankingView<'h> {
    pub(super) catalogue: RwLockReadGuard<'h, Catalogue>,
    pub(super) proximity: Proximity<'h>,
    /// The time the query ranks at: which offers are stale is read once, so ranking and
    /// explaining agree.
    pub(super) now: UnixMillis,
    /// What ranking has found of each provider, by record number: the same for every need of
    /// the requester, so an allocation run, which ranks a requester's needs with one view,
    /// looks each provider's trust up once rather than once per need.
    providers: RefCell<FxHashMap<u64, ProviderContext>>,
}

/// What the score takes from an offer's provider, found once per provider and view (when a
/// candidate of the provider is tightened): hubs provide hundreds of offers.
struct ProviderContext {
    /// The provider in the graph, when a path to it can be looked for.
    target: Option<Target>,
    /// At least the trust of the provider's best path from the requester, once a candidate of
    /// the provider is tightened.
    trust_bound: Option<f64>,
    /// The provider's record (its languages count), once an offer of the provider is scored
    /// exactly.
    actor: OnceCell<Option<Arc<Actor>>>,
    /// What is known of the trust of the provider's best path.
    trust: TrustFound,
}

impl ProviderContext {
    /// The context of the provider with this record number, before anything is looked up but
    /// its place in the graph.
    fn of(provider: u64, proximity: &Proximity<'_>) -> Self {
        ProviderContext {
            target: proximity.numbered_target(provider),
            trust_bound: None,
            actor: OnceCell::new(),
            trust: TrustFound::Unknown,
        }
    }
}

/// What a query has found of the trust between a pair's two parties.
#[derive(Debug, Clone, Copy)]
pub(super) enum TrustFound {
    /// Not looked for yet.
    Unknown,
    /// The best path's trust (0: no path).
    Exact(f64),
    /// Every path's trust is below this: a search for paths of at least this trust found none.
    Below(f64),
}

impl TrustFound {
    /// The trust of the best path to `target` when it is at least `floor` (0 without a path
    /// when `floor` is 0), looked for only when what was found before does not tell; `None`
    /// when every path is below `floor`.
    pub(super) fn at_least(&mut self, target: Option<Target>, proximity: &Proximity<'_>, floor: f64) -> Option<f64> {
        match *self {
            TrustFound::Exact(trust) => Some(trust),
            TrustFound::Below(below) if below <= floor => None,
            TrustFound::Unknown | TrustFound::Below(_) => {
                match target.and_then(|target| proximity.trust_at_least(target, floor)) {
                    Some(trust) => {
                        *self = TrustFound::Exact(trust);
                        Some(trust)
                    }
                    None if floor <= 0.0 => {
                        *self = TrustFound::Exact(0.0);
                        Some(0.0)
                    }
                    None => {
                        *self = TrustFound::Below(floor);
                        None
                    }
                }
            }
        }
    }
}

/// A candidate before its trust path is looked up; its bound waits in the heap ([`Queued`]).
struct Unranked<'a> {
    number: u64,
    provider: u64,
    offer: &'a Arc<Offer>,
    key: &'a OfferKey,
    /// Whether the bound counts the provider's own trust bound rather than the requester's best
    /// trust to anyone.
    tight: bool,
    /// The offer's text relevance, exact.
    text: f64,
    /// The provider's track record.
    track_record: TrackRecord,
}

/// A candidate's place in a ranking's heap (offers for a need here, needs for an offer in
/// [`super::find_needs`]): its bound, and where the candidate is kept, highest bound on top.
/// The heap moves these sixteen bytes rather than the candidate: tens of thousands wait at tier
/// L, and sifting whole candidates read memory the processor's cache did not hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Queued {
    /// Highest score the candidate can have.
    pub(super) bound: f64,
    /// The candidate's position in the ranking's list.
    pub(super) at: usize,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bound.total_cmp(&other.bound)
    }
}

impl RankingView<'_> {
    /// A need's words weighed against the available offers': read once per need, for ranking
    /// ([`WordedQuery::query`]) and explaining.
    pub(super) fn text_query(&self, need: &Need) -> WordedQuery {
        self.catalogue.text_query(need)
    }
}

impl Hub {
    /// The catalogue and the requester's trust paths, read once for every offer of a query (and
    /// for every need of one requester in an allocation run).
    pub(super) fn ranking_view<'h>(&'h self, need: &Need, graph: &'h PartnershipGraph) -> RankingView<'h> {
        RankingView {
            catalogue: self.catalogue(),
            proximity: graph.proximity_from(&need.requester_id),
            now: self.now(),
            providers: RefCell::default(),
        }
    }

    /// The best `keep` (all, when `None`) available offers that pass the need's hard filters
    /// and that neither party declined for the need, scored, best first; ties go to the older
    /// offer. `text` is the need's words ([`RankingView::text_query`]). The need's marks are
    /// read once, in one index scan.
    pub(super) fn ranked_candidates(
        &self,
        need: &Need,
        text: &TextQuery,
        view: &RankingView<'_>,
        keep: Option<usize>,
    ) -> Result<Vec<RankedOffer>, HubError> {
        let declined = self.declined_offers(&need.id)?;
        self.ranked_candidates_where(need, text, view, keep, |offer| !declined.contains(&offer.id))
    }

    /// [`Hub::ranked_candidates`] among the offers `wanted` keeps: an allocation run passes over
    /// offers it cannot use without losing its place among the best.
    pub(super) fn ranked_candidates_where(
        &self,
        need: &Need,
        text: &TextQuery,
        view: &RankingView<'_>,
        keep: Option<usize>,
        wanted: impl Fn(&Offer) -> bool,
    ) -> Result<Vec<RankedOffer>, HubError> {
        if need.status.is_final() {
            return Err(HubError::Refused(Refusal::new(
                Reason::NeedNotOpen,
                format!("need {} is {}; it is no longer matched", need.id, need.status.word()),
            )));
        }
        let track_records = self.track_records.read().unwrap_or_else(PoisonError::into_inner);
        let need_key = NeedKey::of(need);
        let (mut unranked, mut queue) = self.bounded_candidates(need, &need_key, text, view, &track_records);
        drop(track_records);
        let mut providers = view.providers.borrow_mut();
        let mut ranked: Vec<RankedOffer> = Vec::new();
        // The best `keep` scores so far, lowest on top (scores are >= 0, so their bits order them).
        let mut best = BinaryHeap::new();
        while let Some(mut top) = queue.peek_mut() {
            let Queued { bound, at } = *top;
            if beaten(&best, keep, bound) {
                break;
            }
            let candidate = &mut unranked[at];
            if !wanted(candidate.offer) {
                PeekMut::pop(top);
                continue;
            }
            let context = providers
                .entry(candidate.provider)
                .or_insert_with(|| ProviderContext::of(candidate.provider, &view.proximity));
            if !candidate.tight {
                // Tightened only at the top of the heap: finding a provider's trust bound costs
                // look-ups in the graph, and most candidates never get this far.
                let target = context.target;
                let trust_bound = *context
                    .trust_bound
                    .get_or_insert_with(|| target.map_or(0.0, |target| view.proximity.trust_bound(target)));
                let bound = candidate.key.score_bound(
                    &need_key,
                    trust_bound,
                    candidate.track_record,
                    candidate.text,
                    &self.weights,
                );
                candidate.tight = true;
                // Back in line, tightened where it stands: the heap moves it down once to where
                // its new bound belongs (taking it out and putting it back sifted it twice). It
                // comes up again at once if it still bounds highest, and is passed over like
                // any other when the best `keep` already beat it.
                top.bound = bound + BOUND_SLACK;
                continue;
            }
            PeekMut::pop(top);
            // Once `keep` are scored, a candidate needs at least the lowest of their scores, and
            // so at least some trust: paths below it are not looked for.
            let floor = match (keep, best.peek()) {
                // The slack is taken off the score, not the trust: a trust weighing little
                // would magnify rounding past a slack in trust.
                (Some(keep), Some(Reverse(bits))) if best.len() == keep => candidate.key.trust_needed(
                    &need_key,
                    candidate.track_record,
                    candidate.text,
                    &self.weights,
                    f64::from_bits(*bits) - BOUND_SLACK,
                ),
                _ => 0.0,
            };
            let Some(score) = self.exact_score(need, &need_key, candidate, context, view, floor) else {
                continue;
            };
            best.push(Reverse(score.to_bits()));
            if keep.is_some_and(|keep| best.len() > keep) {
                best.pop();
            }
            let offer = Arc::clone(candidate.offer);
            ranked.push(RankedOffer {
                number: candidate.number,
                offer,
                score,
            });
        }
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.number.cmp(&b.number)));
        ranked.truncate(keep.unwrap_or(usize::MAX));
        Ok(ranked)
    }

    /// Every offer that passes the need's hard filters with the bound of its score, highest
    /// bound on top. A heap, not a sorted list: thousands of candidates pass at tier L, and
    /// pruning takes only the first few hundred.
    fn bounded_candidates<'v>(
        &self,
        need: &'v Need,
        need_key: &NeedKey,
        text: &TextQuery,
        view: &'v RankingView<'_>,
        track_records: &TrackRecords,
    ) -> (Vec<Unranked<'v>>, BinaryHeap<Queued>) {
        let mut candidates = view.catalogue.candidates_for(need, need_key);
        let trust_bound = view.proximity.max_trust();
        let mut unranked = Vec::new();
        let mut queued = Vec::new();
        // The candidates are taken a batch at a time, not collected first: a list of thousands
        // per need, made and dropped for every need of a run, had the allocator ask for fresh
        // pages, and their zeroing took a tenth of a run.
        let mut batch = Vec::with_capacity(READ_AHEAD);
        loop {
            batch.clear();
            batch.extend(candidates.by_ref().take(READ_AHEAD));
            if batch.is_empty() {
                break;
            }
            // The batch's terms and keys (the filter read the keys thousands of entries ago) are
            // asked of memory together, then used: one candidate after another, each waited for
            // its own, and that wait was most of a query at tier L.
            for candidate in &batch {
                std::hint::black_box((candidate.document.read_ahead(), *candidate.key));
            }
            for candidate in &batch {
                let track_record = track_records.of_number(candidate.provider);
                let relevance = text.relevance(candidate.document);
                let bound = candidate
                    .key
                    .score_bound(need_key, trust_bound, track_record, relevance, &self.weights);
                queued.push(Queued {
                    bound: bound + BOUND_SLACK,
                    at: unranked.len(),
                });
                unranked.push(Unranked {
                    number: candidate.number,
                    provider: candidate.provider,
                    offer: candidate.offer,
                    key: candidate.key,
                    tight: false,
                    text: relevance,
                    track_record,
                });
            }
        }
        (unranked, BinaryHeap::from(queued))
    }

    /// The offer's score, with its provider's languages and trust path looked up once; `None`
    /// when the provider's trust is below `floor` (the offer cannot score what it needs). The
    /// components the keys hold are taken from them ([`OfferKey::score`]).
    fn exact_score(
        &self,
        need: &Need,
        need_key: &NeedKey,
        candidate: &Unranked<'_>,
        context: &mut ProviderContext,
        view: &RankingView<'_>,
        floor: f64,
    ) -> Option<f64> {
        let offer = candidate.offer;
        let trust = context.trust.at_least(context.target, &view.proximity, floor)?;
        let actor = context
            .actor
            .get_or_init(|| view.catalogue.actor(&offer.provider_id).cloned());
        let languages = actor.as_ref().map_or(&[][..], |actor| &actor.profile.languages[..]);
        Some(candidate.key.score(
            need_key,
            RecordFit::of(need, offer, languages),
            trust,
            candidate.track_record,
            candidate.text,
            offer.staleness(view.now, self.stale_after_days),
            &self.weights,
        ))
    }

    /// A ranked offer explained: its provider, every score component in words, the trust path
    /// and the similar needs the offer is already engaged on.
    pub(super) fn candidate(
        &self,
        need: &Need,
        text: &WordedQuery,
        offer: &Offer,
        view: &RankingView<'_>,
    ) -> Result<MatchCandidate, HubError> {
        let path = view.proximity.trust_path(&offer.provider_id);
        self.explained(need, text, offer, &view.catalogue, path.as_ref())
    }

    /// [`Hub::candidate`] with the trust path between the requester and the provider given
    /// (requester first): found from either end, since trust is the same both ways.
    pub(super) fn explained(
        &self,
        need: &Need,
        text: &WordedQuery,
        offer: &Offer,
        catalogue: &Catalogue,
        path: Option<&TrustPath>,
    ) -> Result<MatchCandidate, HubError> {
        let directory = ActorDirectory::new(catalogue);
        let trust = path.map(|path| directory.describe(path));
        let provider = directory.get(&offer.provider_id).ok_or_else(|| HubError::NotFound {
            field: "provider_id",
            kind: "actor",
            id: offer.provider_id.clone(),
        })?;
        let text = catalogue.text_match(text, offer);
        let staleness = offer.staleness(self.now(), self.stale_after_days);
        let context = PairContext {
            provider_languages: &provider.profile.languages,
            text: &text,
            trust: trust.as_ref(),
            track_record: self.track_record(&offer.provider_id),
            staleness,
        };
        let mut fit = matching::score_pair(need, offer, &context, &self.weights);
        let engaged_on_similar = self.engagements_on_similar_needs(need, offer)?;
        if !engaged_on_similar.is_empty() {
            let needs = engaged_on_similar.join(", ");
            fit.explanation
                .summary
                .push_str(&format!("; already engaged on similar need {needs}: coordinate"));
        }
        Ok(MatchCandidate {
            offer: offer.clone(),
            provider: Actor::clone(provider),
            score: fit.score,
            explanation: fit.explanation,
            engaged_on_similar,
            staleness,
        })
    }

    fn engagements_on_similar_needs(&self, need: &Need, offer: &Offer) -> Result<Vec<String>, HubError> {
        let mut needs = Vec::new();
        for number in self.store.ids_in_index(TreeName::MatchesByOffer, &offer.id) {
            let Some(engagement) = self.store.get_by_number::<Match>(number?)? else {
                continue;
            };
            if !engagement.status.is_live() || engagement.need_id == need.id || needs.contains(&engagement.need_id) {
                continue;
            }
            let Some(other) = self.store.get::<Need>(&engagement.need_id)? else {
                continue;
            };
            if other.spec.overlaps(&need.spec) {
                needs.push(other.id);
            }
        }
        Ok(needs)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::hub::HubSettings;
    use crate::matching::keys::OfferKey;
    use crate::synthetic::{Tier, generate};

    /// A tier S world (500 offers, 2,000 needs) and its first `needs` open needs and all offers.
    async fn world(needs: usize) -> (tempfile::TempDir, Hub, Vec<Need>, Vec<Offer>) {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        generate(&hub, Tier::S, 11, |_| {}).await.unwrap();
        let open: Vec<Need> = hub.store.all::<Need>().take(needs).map(Result::unwrap).collect();
        let offers: Vec<Offer> = hub.store.all::<Offer>().map(Result::unwrap).collect();
        (dir, hub, open, offers)
    }

    fn ids(ranked: &[RankedOffer]) -> Vec<(String, f64)> {
        ranked.iter().map(|r| (r.offer.id.clone(), r.score)).collect()
    }

    /// Every offer of the store checked and scored one by one, without the catalogue's objective
    /// index, keys or bounds (its text collection gives each offer's text relevance): what ranking
    /// must equal.
    fn brute_force(hub: &Hub, need: &Need, offers: &[Offer], view: &RankingView<'_>) -> Vec<(String, f64)> {
        let text = view.text_query(need);
        let mut scored: Vec<(u64, String, f64)> = offers
            .iter()
            .filter(|offer| matching::passes(need, offer))
            .map(|offer| {
                let provider: Actor = hub.store.get(&offer.provider_id).unwrap().unwrap();
                let trust = view.proximity.trust_to(&offer.provider_id).unwrap_or(0.0);
                let record = hub.track_record(&offer.provider_id);
                let relevance = view.catalogue.text_match(&text, offer).relevance;
                let languages = &provider.profile.languages;
                let staleness = offer.staleness(view.now, hub.stale_after_days);
                let score = matching::fit_score(
                    need,
                    offer,
                    languages,
                    trust,
                    record,
                    relevance,
                    staleness,
                    &hub.weights,
                );
                let number = crate::store::records::id_number::<Offer>(&offer.id).unwrap();
                (number, offer.id.clone(), score)
            })
            .collect();
        scored.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        scored.into_iter().map(|(_, id, score)| (id, score)).collect()
    }

    #[tokio::test]
    async fn ranking_equals_scoring_every_offer_and_pruning_keeps_the_same_best() {
        let (_dir, hub, needs, offers) = world(150).await;
        let graph = hub.graph();
        let (mut compared, mut with_words) = (0, 0);
        for need in &needs {
            let view = hub.ranking_view(need, &graph);
            let text = view.text_query(need);
            let all = hub.ranked_candidates(need, text.query(), &view, None).unwrap();
            assert_eq!(ids(&all), brute_force(&hub, need, &offers, &view), "{}", need.id);
            with_words += all
                .iter()
                .filter(|r| view.catalogue.text_match(&text, &r.offer).relevance > 0.0)
                .count();
            for keep in [1, 10, 50] {
                let best = hub.ranked_candidates(need, text.query(), &view, Some(keep)).unwrap();
                assert_eq!(ids(&best), ids(&all[..keep.min(all.len())]), "{} keep {keep}", need.id);
            }
            compared += all.len();
        }
        assert!(compared > 1_000, "only {compared} candidates compared");
        assert!(
            with_words * 2 > compared,
            "only {with_words} of {compared} candidates share words"
        );
    }

    /// An allocation run ranks every need of a requester with one view, whose providers' trust
    /// is then found once for all of them: each need must rank as it does with a view of its own.
    #[tokio::test]
    async fn needs_ranked_with_one_view_rank_as_with_a_view_each() {
        let (_dir, hub, needs, _) = world(400).await;
        let graph = hub.graph();
        let mut by_requester: BTreeMap<&str, Vec<&Need>> = BTreeMap::new();
        for need in &needs {
            by_requester.entry(&need.requester_id).or_default().push(need);
        }
        let (mut shared_views, mut compared) = (0, 0);
        for group in by_requester.values().filter(|group| group.len() > 1) {
            let shared = hub.ranking_view(group[0], &graph);
            for need in group {
                for keep in [Some(5), Some(50), None] {
                    // A fresh view each time: nothing found for another depth is reused.
                    let own = hub.ranking_view(need, &graph);
                    let text = own.text_query(need);
                    let alone = hub.ranked_candidates(need, text.query(), &own, keep).unwrap();
                    let together = hub.ranked_candidates(need, text.query(), &shared, keep).unwrap();
                    assert_eq!(ids(&together), ids(&alone), "{} keep {keep:?}", need.id);
                    compared += alone.len();
                }
            }
            shared_views += 1;
        }
        assert!(shared_views > 20, "only {shared_views} requesters with several needs");
        assert!(compared > 2_000, "only {compared} candidates compared");
    }

    #[tokio::test]
    async fn ranking_from_kept_readings_equals_ranking_from_the_words() {
        use crate::hub::catalogue::need_readings;
        use crate::store::TreeName;
        use crate::text::TextReading;
        let (_dir, hub, needs, _) = world(60).await;
        let ranked = |need: &Need, text: &TextQuery| {
            let graph = hub.graph();
            let view = hub.ranking_view(need, &graph);
            ids(&hub.ranked_candidates(need, text, &view, Some(20)).unwrap())
        };
        let number = |need: &Need| crate::store::records::id_number::<Need>(&need.id).unwrap();
        let kept = |need: &Need| {
            hub.store
                .derived::<TextReading>(TreeName::NeedReadings, number(need))
                .unwrap()
        };
        assert!(needs.iter().all(|need| kept(need).is_none()), "no reading kept before");
        let mut scored = 0;
        for pass in ["read", "kept"] {
            let readings = need_readings(&hub.store, &needs);
            for (need, reading) in needs.iter().zip(&readings) {
                let graph = hub.graph();
                let view = hub.ranking_view(need, &graph);
                let expected = ranked(need, view.text_query(need).query());
                let from_reading = ranked(need, &view.catalogue.reading_query(reading));
                assert_eq!(from_reading, expected, "{} ({pass})", need.id);
                assert_eq!(kept(need).as_ref(), Some(reading), "{} ({pass})", need.id);
                scored += expected.len();
            }
        }
        assert!(scored > 400, "only {scored} candidates ranked");
        // A kept reading is used only for the words it is the reading of: the first need's is
        // kept for the second need's number, whose words differ.
        let first = kept(&needs[0]).unwrap();
        hub.store
            .keep_derived(TreeName::NeedReadings, [(number(&needs[1]), &first)])
            .unwrap();
        let readings = need_readings(&hub.store, &needs[1..2]);
        assert_ne!(readings[0], first);
        let spec = &needs[1].spec;
        assert_eq!(
            readings[0],
            TextReading::with_words(&spec.title, &spec.description, &spec.languages)
        );
        // A need written since (withdrawn here) has its reading forgotten, though open needs are
        // not filed in the catalogue.
        assert!(!hub.catalogue().needs_filed());
        hub.withdraw_need(&needs[2].id, "no longer needed").await.unwrap();
        assert_eq!(kept(&needs[2]), None, "the withdrawn need's reading is forgotten");
        assert!(kept(&needs[3]).is_some());
    }

    #[tokio::test]
    async fn explained_scores_equal_ranked_scores() {
        let (_dir, hub, needs, _) = world(40).await;
        let graph = hub.graph();
        for need in &needs {
            let view = hub.ranking_view(need, &graph);
            let text = view.text_query(need);
            for ranked in hub.ranked_candidates(need, text.query(), &view, Some(20)).unwrap() {
                let explained = hub.candidate(need, &text, &ranked.offer, &view).unwrap();
                assert_eq!(explained.score, ranked.score, "{} {}", need.id, ranked.offer.id);
            }
        }
    }

    #[tokio::test]
    async fn offer_keys_answer_as_the_hard_filters_do_score_and_bound() {
        let (_dir, hub, needs, offers) = world(300).await;
        let (mut passed, mut refused) = (0, 0);
        for need in &needs {
            let need_key = NeedKey::of(need);
            let compared = offers.iter().filter(|offer| {
                offer.is_available()
                    && offer.provider_id != need.requester_id
                    && offer.spec.themes.iter().any(|t| need.spec.themes.contains(t))
            });
            for offer in compared {
                let passes = matching::passes(need, offer);
                let key = OfferKey::of(offer);
                assert_eq!(key.serves(&need_key), passes, "{} and {}", need.id, offer.id);
                passed += usize::from(passes);
                refused += usize::from(!passes);
                let provider: Actor = hub.store.get(&offer.provider_id).unwrap().unwrap();
                for (trust, text) in [(0.0, 0.0), (0.45, 0.3), (1.0, 1.0)] {
                    let record = TrackRecord::default();
                    let languages = &provider.profile.languages;
                    let staleness = offer.staleness(hub.now(), hub.stale_after_days);
                    let score =
                        matching::fit_score(need, offer, languages, trust, record, text, staleness, &hub.weights);
                    let keyed = key.score(
                        &need_key,
                        RecordFit::of(need, offer, languages),
                        trust,
                        record,
                        text,
                        staleness,
                        &hub.weights,
                    );
                    assert_eq!(keyed, score, "{} {}", need.id, offer.id);
                    let bound = key.score_bound(&need_key, trust, record, text, &hub.weights);
                    assert!(
                        bound + 1e-12 >= score,
                        "{} {}: bound {bound} < score {score}",
                        need.id,
                        offer.id
                    );
                }
            }
        }
        assert!(passed > 100 && refused > 100, "{passed} passed, {refused} refused");
    }
}
