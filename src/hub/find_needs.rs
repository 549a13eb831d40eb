//! FindNeeds: the open needs an offer can serve, best first, from the provider's side.
//!
//! The score of a pair is one function whichever side asks ([`OfferKey::score`]), so a
//! need's score here is the offer's score in that need's FindMatches. Ranking mirrors
//! [`super::ranking`] from the other end: the catalogue's needs by objective and their keys
//! leave the needs the offer passes the hard filters for; each need's text relevance is
//! computed exactly from the words kept beside it and their weight in the offers' collection,
//! kept while the collection stays ([`crate::text::OfferReader`], equal to the need's own query
//! to the last bit); its bound takes the provider's best trust to anyone, is
//! tightened with the requester's own trust bound at the top of the heap, and only then is the
//! requester's trust found. Trust paths are the same both ways, so one proximity from the
//! provider serves every requester. The page returned is explained as FindMatches explains,
//! the trust path read from the requester's end.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::sync::Arc;

use rayon::prelude::*;

use rustc_hash::FxHashMap;

use super::catalogue::{Catalogue, NeedEntry};
use super::ranking::{BOUND_SLACK, Queued, READ_AHEAD, TrustFound, beaten};
use super::{Hub, HubError, MatchCandidate};
use crate::domain::Refusal;
use crate::domain::validation::count_or_default;
use crate::domain::{Actor, Explanation, Need, Offer, Staleness};
use crate::graph::{Proximity, Target};
use crate::matching::keys::OfferKey;
use crate::matching::{self, RecordFit, TrackRecord};

/// Needs FindNeeds returns when the request leaves the limit at 0.
pub const DEFAULT_NEEDS: usize = 10;
/// Most needs one FindNeeds page holds.
pub const MAX_NEEDS: usize = 100;
/// Shelf entries one core scans at a time: an offer sharing objectives with tens of thousands
/// of needs has them scanned on every core, one that shares them with a few hundred on one.
const NEEDS_PER_PART: usize = 8_192;
/// Deepest rank a page of FindNeeds may start at: pages are computed from the top each time.
pub const MAX_NEEDS_DEPTH: usize = 1_000;

/// An open need the offer can serve, explained.
#[derive(Debug, Clone)]
pub struct NeedCandidate {
    pub need: Need,
    pub requester: Actor,
    /// In [0, 1]: the offer's score in the need's FindMatches.
    pub score: f64,
    pub explanation: Explanation,
    /// Whether the need went without an update for the stale-after period.
    pub staleness: Staleness,
}

/// One page of FindNeeds.
#[derive(Debug, Clone)]
pub struct NeedsPage {
    pub needs: Vec<NeedCandidate>,
    /// The rank the next page starts at, when there are more needs.
    pub next_offset: Option<usize>,
}

/// An open need ranked for an offer, before it is explained.
#[derive(Debug, Clone)]
pub(super) struct RankedNeed {
    /// The need's record number: ties go to the older need.
    pub(super) number: u64,
    pub(super) need: Arc<Need>,
    pub(super) score: f64,
}

/// A need before its requester's trust is found; its bound waits in the heap ([`Queued`]).
/// Twenty-four bytes: tens of thousands are listed per query.
struct Unranked<'a> {
    entry: &'a NeedEntry,
    /// Whether the bound counts the requester's own trust bound rather than the provider's
    /// best trust to anyone.
    tight: bool,
    text: f64,
}

/// What a query finds once per requester: requesters post many needs.
struct RequesterContext {
    target: Option<Target>,
    trust_bound: Option<f64>,
    trust: TrustFound,
}

impl Hub {
    /// The open needs the offer can serve, best first (ties to the older need), from rank
    /// `offset`, at most `limit` (0: [`DEFAULT_NEEDS`]).
    pub fn find_needs(&self, offer_id: &str, limit: u32, offset: usize) -> Result<NeedsPage, HubError> {
        let limit = count_or_default("limit", limit, DEFAULT_NEEDS, MAX_NEEDS)?;
        let offer: Offer = self.load("offer_id", offer_id)?;
        let declined = self.declined_needs(offer_id)?;
        // One proximity from the provider ranks the needs and explains the page.
        let graph = self.graph();
        let proximity = graph.proximity_from(&offer.provider_id);
        let ranked = self.ranked_needs(&offer, &proximity, Some(offset + limit + 1), |need| {
            !declined.contains(&need.id)
        })?;
        let more = ranked.len() > offset + limit;
        let catalogue = self.catalogue();
        let mut needs = Vec::with_capacity(limit);
        for ranked in ranked.into_iter().skip(offset).take(limit) {
            let need = &ranked.need;
            let explained = self.explained_for_offer(need, &offer, &proximity, &catalogue)?;
            let requester = catalogue.actor(&need.requester_id).ok_or_else(|| HubError::NotFound {
                field: "requester_id",
                kind: "actor",
                id: need.requester_id.clone(),
            })?;
            needs.push(NeedCandidate {
                staleness: self.need_staleness(need),
                need: Need::clone(need),
                requester: Actor::clone(requester),
                score: explained.score,
                explanation: explained.explanation,
            });
        }
        Ok(NeedsPage {
            needs,
            next_offset: more.then_some(offset + limit),
        })
    }

    /// The offer's score for one need and why, as FindNeeds and the need's FindMatches give
    /// them; `None` when the offer cannot serve the need now (a hard filter, a decline, or the
    /// need or the offer no longer open to matching).
    pub(super) fn offer_fit(&self, need: &Need, offer_id: &str) -> Result<Option<(f64, Explanation)>, HubError> {
        let Some(offer) = self.store.get::<Offer>(offer_id)? else {
            return Ok(None);
        };
        if need.status != crate::domain::NeedStatus::Open
            || !matching::passes(need, &offer)
            || self.declined_needs(offer_id)?.contains(&need.id)
        {
            return Ok(None);
        }
        let graph = self.graph();
        let proximity = graph.proximity_from(&offer.provider_id);
        let explained = self.explained_for_offer(need, &offer, &proximity, &self.catalogue())?;
        Ok(Some((explained.score, explained.explanation)))
    }

    /// Files the open needs in the catalogue on the first query from an offer's side. Holding
    /// the catalogue for writing is enough: a write applied to the store before the read is
    /// read, and one applied after refreshes the catalogue only once the needs are filed.
    fn file_open_needs(&self) -> Result<(), HubError> {
        if self.catalogue().needs_filed() {
            return Ok(());
        }
        let mut catalogue = self.catalogue_mut();
        if !catalogue.needs_filed() {
            let started = std::time::Instant::now();
            catalogue.file_open_needs(&self.store)?;
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "open needs filed for queries from offers"
            );
        }
        Ok(())
    }

    /// The offer explained for the need as FindMatches explains it, with the trust path found
    /// from the provider's end (`proximity`) and read from the requester's.
    fn explained_for_offer(
        &self,
        need: &Need,
        offer: &Offer,
        proximity: &Proximity<'_>,
        catalogue: &Catalogue,
    ) -> Result<MatchCandidate, HubError> {
        let text = catalogue.text_query(need);
        let path = proximity.trust_path(&need.requester_id).map(|path| path.reversed());
        self.explained(need, &text, offer, catalogue, path.as_ref())
    }

    /// The best `keep` (all, when `None`) open needs the offer passes the hard filters for and
    /// `wanted` keeps, scored, best first; ties go to the older need. An offer that is not
    /// available serves none: FAILED_PRECONDITION says why.
    pub(super) fn ranked_needs(
        &self,
        offer: &Offer,
        proximity: &Proximity<'_>,
        keep: Option<usize>,
        wanted: impl Fn(&Need) -> bool,
    ) -> Result<Vec<RankedNeed>, HubError> {
        if let Err(refusal) = matching::filter::check_available(offer) {
            return Err(HubError::Refused(Refusal::new(
                refusal.reason,
                format!(
                    "{}: it serves no need until it is active with capacity left",
                    refusal.words
                ),
            )));
        }
        self.file_open_needs()?;
        let catalogue = self.catalogue();
        let track_record: TrackRecord = self.track_record(&offer.provider_id);
        let languages: &[String] = catalogue
            .actor(&offer.provider_id)
            .map_or(&[][..], |provider| &provider.profile.languages[..]);
        let offer_key = OfferKey::of(offer);
        let staleness = offer.staleness(self.now(), self.stale_after_days);
        let reader = catalogue.offer_reader(offer);
        let max_trust = proximity.max_trust();
        let parts = catalogue.needs_for(offer, &offer_key, NEEDS_PER_PART);
        let scanned: Vec<Vec<(f64, Unranked<'_>)>> = parts
            .par_iter()
            .map(|part| {
                let mut scanned = Vec::new();
                let mut batch = Vec::with_capacity(READ_AHEAD);
                let mut needs = part.candidates().peekable();
                while needs.peek().is_some() {
                    batch.clear();
                    batch.extend(needs.by_ref().take(READ_AHEAD));
                    // The batch's terms are asked of memory together, then weighed: one need
                    // after another, each waited for its own, and that wait was most of a query.
                    for candidate in &batch {
                        std::hint::black_box(candidate.entry.terms.read_ahead());
                    }
                    scanned.extend(batch.iter().map(|candidate| {
                        let text = reader.relevance(&candidate.entry.terms, &candidate.weight);
                        let bound =
                            offer_key.score_bound(&candidate.entry.key, max_trust, track_record, text, &self.weights);
                        let unranked = Unranked {
                            entry: candidate.entry,
                            tight: false,
                            text,
                        };
                        (bound + BOUND_SLACK, unranked)
                    }));
                }
                scanned
            })
            .collect();
        let mut unranked = Vec::with_capacity(scanned.iter().map(Vec::len).sum());
        let mut queued = Vec::with_capacity(unranked.capacity());
        for (bound, candidate) in scanned.into_iter().flatten() {
            queued.push(Queued {
                bound,
                at: unranked.len(),
            });
            unranked.push(candidate);
        }
        let mut queue = BinaryHeap::from(queued);
        let mut requesters: FxHashMap<u64, RequesterContext> = FxHashMap::default();
        let mut ranked = Vec::new();
        let mut best = BinaryHeap::new();
        while let Some(mut top) = queue.peek_mut() {
            let Queued { bound, at } = *top;
            if beaten(&best, keep, bound) {
                break;
            }
            let candidate = &mut unranked[at];
            let entry = candidate.entry;
            if !wanted(&entry.need) {
                PeekMut::pop(top);
                continue;
            }
            let context = requesters.entry(entry.requester).or_insert_with(|| RequesterContext {
                target: proximity.numbered_target(entry.requester),
                trust_bound: None,
                trust: TrustFound::Unknown,
            });
            if !candidate.tight {
                let target = context.target;
                let trust_bound = *context
                    .trust_bound
                    .get_or_insert_with(|| target.map_or(0.0, |target| proximity.trust_bound(target)));
                let bound = offer_key.score_bound(&entry.key, trust_bound, track_record, candidate.text, &self.weights);
                candidate.tight = true;
                // Tightened where it stands, as in FindMatches' ranking.
                top.bound = bound + BOUND_SLACK;
                continue;
            }
            PeekMut::pop(top);
            let floor = match (keep, best.peek()) {
                (Some(keep), Some(Reverse(bits))) if best.len() == keep => offer_key.trust_needed(
                    &entry.key,
                    track_record,
                    candidate.text,
                    &self.weights,
                    f64::from_bits(*bits) - BOUND_SLACK,
                ),
                _ => 0.0,
            };
            let Some(trust) = context.trust.at_least(context.target, proximity, floor) else {
                continue;
            };
            let score = offer_key.score(
                &entry.key,
                RecordFit::of(&entry.need, offer, languages),
                trust,
                track_record,
                candidate.text,
                staleness,
                &self.weights,
            );
            best.push(Reverse(score.to_bits()));
            if keep.is_some_and(|keep| best.len() > keep) {
                best.pop();
            }
            ranked.push(RankedNeed {
                number: entry.number,
                need: Arc::clone(&entry.need),
                score,
            });
        }
        drop(catalogue);
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.number.cmp(&b.number)));
        ranked.truncate(keep.unwrap_or(usize::MAX));
        Ok(ranked)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::hub::HubSettings;
    use crate::synthetic::{Tier, generate};

    /// For every open need of a world, its candidates as FindMatches ranks them: who each offer
    /// should find from its own side, with the same scores.
    fn seen_from_needs(hub: &Hub) -> BTreeMap<String, Vec<(u64, String, f64)>> {
        let graph = hub.graph();
        let mut by_offer: BTreeMap<String, Vec<(u64, String, f64)>> = BTreeMap::new();
        for need in hub.store.all::<Need>().map(Result::unwrap) {
            if need.status != crate::domain::NeedStatus::Open {
                continue;
            }
            let view = hub.ranking_view(&need, &graph);
            let text = view.text_query(&need);
            let number = crate::store::records::id_number::<Need>(&need.id).unwrap();
            for ranked in hub.ranked_candidates(&need, text.query(), &view, None).unwrap() {
                by_offer
                    .entry(ranked.offer.id.clone())
                    .or_default()
                    .push((number, need.id.clone(), ranked.score));
            }
        }
        for needs in by_offer.values_mut() {
            needs.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        }
        by_offer
    }

    /// Scores equal to the last few bits: trust found from the provider's end multiplies the
    /// same partnerships in the other order.
    fn same_score(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12
    }

    /// Compares FindNeeds with the needs' own rankings for every 7th available offer; returns
    /// the pairs compared.
    fn compare_both_sides(hub: &Hub) -> usize {
        let mut compared = 0;
        let expected = seen_from_needs(hub);
        let offers: Vec<Offer> = hub.store.all::<Offer>().map(Result::unwrap).collect();
        for offer in offers.iter().filter(|offer| offer.is_available()).step_by(7) {
            let wanted = expected.get(&offer.id).cloned().unwrap_or_default();
            let graph = hub.graph();
            let proximity = graph.proximity_from(&offer.provider_id);
            let found = hub.ranked_needs(offer, &proximity, None, |_| true).unwrap();
            let found_ids: Vec<&str> = found.iter().map(|r| r.need.id.as_str()).collect();
            let wanted_ids: Vec<&str> = wanted.iter().map(|(_, id, _)| id.as_str()).collect();
            if found_ids != wanted_ids {
                // Only needs of equal scores (to rounding) may trade places.
                let mut a = found_ids.clone();
                let mut b = wanted_ids.clone();
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b, "{}: the same needs", offer.id);
            }
            for (f, w) in found.iter().zip(&wanted) {
                assert!(
                    same_score(f.score, w.2),
                    "{} {}: {} vs {}",
                    offer.id,
                    f.need.id,
                    f.score,
                    w.2
                );
            }
            for keep in [1, 5, 20] {
                let best = hub.ranked_needs(offer, &proximity, Some(keep), |_| true).unwrap();
                let ids: Vec<&str> = best.iter().map(|r| r.need.id.as_str()).collect();
                assert_eq!(ids, found_ids[..keep.min(found_ids.len())], "{} keep {keep}", offer.id);
            }
            let page = hub.find_needs(&offer.id, 10, 0).unwrap();
            for (explained, ranked) in page.needs.iter().zip(&found) {
                assert_eq!(explained.need.id, ranked.need.id);
                assert!(
                    same_score(explained.score, ranked.score),
                    "{} {}",
                    offer.id,
                    ranked.need.id
                );
            }
            compared += wanted.len();
        }
        compared
    }

    #[tokio::test]
    async fn an_offer_finds_exactly_the_needs_whose_rankings_hold_it_in_score_order() {
        let mut compared = 0;
        for seed in [3, 17, 29] {
            let dir = tempfile::tempdir().unwrap();
            let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
            generate(&hub, Tier::S, seed, |_| {}).await.unwrap();
            compared += compare_both_sides(&hub);
        }
        assert!(compared > 500, "only {compared} pairs compared");
    }

    /// The needs' weights are kept between queries: needs filed and withdrawn while they are
    /// current, and offers filed (a new generation of the collection), leave FindNeeds exact.
    #[tokio::test]
    async fn kept_weights_follow_needs_and_offers() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        generate(&hub, Tier::S, 5, |_| {}).await.unwrap();
        assert!(compare_both_sides(&hub) > 0);
        let needs: Vec<Need> = hub.store.all::<Need>().map(Result::unwrap).collect();
        let open: Vec<&Need> = needs
            .iter()
            .filter(|need| need.status == crate::domain::NeedStatus::Open)
            .collect();
        for (at, need) in open.iter().step_by(5).take(20).enumerate() {
            hub.submit_need(&need.requester_id, need.spec.clone(), &format!("again-{at}"))
                .await
                .unwrap();
        }
        for need in open.iter().skip(2).step_by(9).take(10) {
            hub.withdraw_need(&need.id, "").await.unwrap();
        }
        let after_needs = compare_both_sides(&hub);
        assert!(after_needs > 0);
        let offers: Vec<Offer> = hub.store.all::<Offer>().map(Result::unwrap).collect();
        for (at, offer) in offers.iter().step_by(11).take(10).enumerate() {
            hub.register_offer(&offer.provider_id, offer.spec.clone(), &format!("offer-again-{at}"))
                .await
                .unwrap();
        }
        assert!(compare_both_sides(&hub) > 0);
    }
}
