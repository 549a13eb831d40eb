//! Finding, proposing and answering matches. Confirmation reserves one unit of the offer's
//! capacity in the same write that confirms, under the writer lock, so an offer is never
//! over-booked however many confirmations race.

use rustc_hash::FxHashMap;

use super::{Hub, HubError, Page, PageRequest};
use crate::domain::lifecycle::Lifecycle;
use crate::domain::validation::MAX_NOTE_CHARS;
use crate::domain::validation::count_or_default;
use crate::domain::{
    ActingFor, Actor, EventKind, Explanation, HubEvent, Match, MatchResponse, MatchStatus, Need, NeedStatus, Offer,
    OfferStatus, Violations,
};
use crate::domain::{Reason, Refusal};
use crate::matching;
use crate::store::{Scan, StatusKey, Store, TreeName, WriteSet};

/// Default and largest number of candidates FindMatches returns.
pub const DEFAULT_CANDIDATES: usize = 10;
/// Largest number of candidates FindMatches returns.
pub const MAX_CANDIDATES: usize = 100;

/// Proposals an allocation run writes in one transaction: few enough that other writers wait
/// milliseconds for the writer lock, enough that thousands take seconds.
const PROPOSALS_PER_WRITE: usize = 256;

/// A pair to propose.
#[derive(Debug, Clone, Copy)]
pub(super) struct Proposal<'a> {
    pub(super) need_id: &'a str,
    pub(super) offer_id: &'a str,
    /// The score and explanation the pair was just ranked with, if it was: an allocation run
    /// records what it saw instead of ranking each pair again under the writer lock.
    pub(super) ranked: Option<(f64, &'a Explanation)>,
    /// The actor who proposed the pair, for the event; `None` when the hub did (an allocation
    /// run) or the admin.
    pub(super) by: Option<&'a str>,
}

/// A ranked offer for a need.
#[derive(Debug, Clone)]
pub struct MatchCandidate {
    pub offer: Offer,
    pub provider: Actor,
    /// In [0, 1].
    pub score: f64,
    pub explanation: Explanation,
    /// Needs elsewhere that overlap this one and that the offer is already engaged on
    /// (confirmed or being answered): its provider should coordinate, not duplicate.
    pub engaged_on_similar: Vec<String>,
    /// Whether the offer went without an update for the stale-after period (its score carries
    /// the penalty and its summary the warning).
    pub staleness: crate::domain::Staleness,
}

/// Filters of ListMatches; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct MatchFilter {
    pub need_id: Option<String>,
    pub offer_id: Option<String>,
    /// Matches where this actor is requester or provider.
    pub actor_id: Option<String>,
    pub status: Option<MatchStatus>,
}

impl MatchFilter {
    fn keeps(&self, record: &Match) -> bool {
        self.need_id.as_ref().is_none_or(|id| &record.need_id == id)
            && self.offer_id.as_ref().is_none_or(|id| &record.offer_id == id)
            && self.actor_id.as_ref().is_none_or(|id| record.party(id).is_some())
            && self.status.is_none_or(|status| record.status == status)
    }
}

impl Hub {
    /// Ranked offers for a need, best first; ties go to the older offer, so results are stable.
    pub fn find_matches(&self, need_id: &str, limit: u32) -> Result<Vec<MatchCandidate>, HubError> {
        let limit = count_or_default("limit", limit, DEFAULT_CANDIDATES, MAX_CANDIDATES)?;
        let need: Need = self.load("need_id", need_id)?;
        let graph = self.graph();
        let view = self.ranking_view(&need, &graph);
        let text = view.text_query(&need);
        self.ranked_candidates(&need, text.query(), &view, Some(limit))?
            .into_iter()
            .map(|ranked| self.candidate(&need, &text, &ranked.offer, &view))
            .collect()
    }

    /// Proposes a need-offer pair that passes every hard filter; both parties then respond.
    /// `by` is the actor who proposes it (`None` for the admin), named in the event.
    pub async fn propose_match(
        &self,
        need_id: &str,
        offer_id: &str,
        request_id: &str,
        by: Option<&str>,
    ) -> Result<Match, HubError> {
        let proposal = Proposal {
            need_id,
            offer_id,
            ranked: None,
            by,
        };
        let change = |store: &Store| {
            let mut writes = WriteSet::default();
            let record = self.proposal(store, &proposal, request_id, &mut InBatch::default(), &mut writes)?;
            Ok((writes, record))
        };
        self.write(change, |_| {}).await
    }

    /// Proposes each pair as [`Hub::propose_match`] does, [`PROPOSALS_PER_WRITE`] to a write,
    /// and waits once for a flush that covers them all: an allocation run proposes thousands, and
    /// one transaction and flush each would take minutes. Each need may come once: a need's
    /// earlier proposal in the same transaction is not in the store yet. Returns each pair's
    /// outcome in order; a store or flush failure fails the whole batch.
    pub(super) async fn propose_matches(
        &self,
        proposals: &[Proposal<'_>],
    ) -> Result<Vec<Result<Match, HubError>>, HubError> {
        let mut proposed = Vec::with_capacity(proposals.len());
        let mut last_ticket = None;
        for chunk in proposals.chunks(PROPOSALS_PER_WRITE) {
            let change = |store: &Store| {
                let mut writes = WriteSet::default();
                let mut outcomes = Vec::with_capacity(chunk.len());
                // Seats this transaction's proposals hold: the store does not show them yet.
                let mut in_batch = InBatch::default();
                for proposal in chunk {
                    match self.proposal(store, proposal, "", &mut in_batch, &mut writes) {
                        // The store failing ends the batch; a pair refused by its records does not.
                        Err(HubError::Store(failure)) => return Err(HubError::Store(failure)),
                        outcome => outcomes.push(outcome),
                    }
                }
                Ok((writes, outcomes))
            };
            let (outcomes, ticket) = self.write_unacknowledged(change, |_| {}).await?;
            proposed.extend(outcomes);
            last_ticket = Some(ticket);
        }
        if let Some(ticket) = last_ticket {
            self.store.durable(ticket).await?;
        }
        Ok(proposed)
    }

    /// Adds to `writes` what proposes a pair, checked against the records as they are now; a
    /// refused pair adds nothing. A ranked (allocation) proposal also needs a seat that no
    /// proposal being answered holds, and room under the offer's cap for the need's region,
    /// counting what `in_batch` proposed and the store does not show yet; a proposal made is
    /// added to it.
    fn proposal<'p>(
        &self,
        store: &Store,
        proposal: &Proposal<'p>,
        request_id: &str,
        in_batch: &mut InBatch<'p>,
        writes: &mut WriteSet,
    ) -> Result<Match, HubError> {
        let Proposal {
            need_id,
            offer_id,
            ranked,
            by,
        } = *proposal;
        // Idempotency keys are the owner's own: another caller reusing a key gets its own record.
        let scope = format!("ProposeMatch/{need_id}/{offer_id}");
        if let Some(existing) = self.replay::<Match>(&scope, request_id)? {
            return Ok(existing);
        }
        let need: Need = self.load("need_id", need_id)?;
        let offer: Offer = self.load("offer_id", offer_id)?;
        if need.status.is_final() {
            return Err(HubError::Refused(Refusal::new(
                Reason::NeedNotOpen,
                format!("need {need_id} is {}; it cannot be matched", need.status.word()),
            )));
        }
        matching::check_pair(&need, &offer).map_err(HubError::Refused)?;
        // Under the writer lock, so a mark set meanwhile is seen: a declined pair is never proposed.
        self.check_not_declined(need_id, offer_id)?;
        let region = need.region();
        if ranked.is_some() {
            let cap = offer.region_cap();
            let holds = self.held_by_live_matches(store, offer_id, cap.is_some().then_some(region))?;
            let held = in_batch.held(offer_id) + holds.awaiting;
            if held >= offer.remaining_capacity {
                return Err(HubError::Refused(Refusal::new(
                    Reason::PlacesHeldByProposals,
                    format!(
                        "offer {offer_id}'s {} free places are all held by proposals being answered",
                        offer.remaining_capacity
                    ),
                )));
            }
            // A run reads the live matches when it starts; a run committed meanwhile, or a
            // proposal by hand, may have given the region seats since.
            if let Some(cap) = cap {
                let taken = in_batch.of_region(offer_id, region) + holds.of_region;
                if taken >= cap {
                    return Err(HubError::Refused(Refusal::new(
                        Reason::RegionCapReached,
                        format!(
                            "the needs of {} hold {taken} of offer {offer_id}'s {} places, its cap for one region",
                            matching::allocate::region_in_words(region),
                            offer.spec.capacity
                        ),
                    )));
                }
            }
        }
        // An allocation pairs each need once; a need may be proposed to several offers by hand.
        let same_offer = ranked.is_none().then_some(offer_id);
        if let Some(live) = self.live_match(store, &need.id, same_offer)? {
            return Err(HubError::Refused(Refusal::new(
                Reason::MatchAlreadyLive,
                format!(
                    "match {} already pairs need {need_id} with offer {}",
                    live.id, live.offer_id
                ),
            )));
        }
        let (score, explanation) = match ranked {
            Some((score, explanation)) => (score, explanation.clone()),
            None => {
                let graph = self.graph();
                let view = self.ranking_view(&need, &graph);
                let fit = self.candidate(&need, &view.text_query(&need), &offer, &view)?;
                (fit.score, fit.explanation)
            }
        };
        let now = self.now();
        let record = Match {
            id: store.next_id("match")?,
            need_id: need.id.clone(),
            offer_id: offer.id.clone(),
            requester_id: need.requester_id.clone(),
            provider_id: offer.provider_id.clone(),
            score,
            explanation,
            status: MatchStatus::Proposed,
            responses: Vec::new(),
            outcome: None,
            created_at: now,
            updated_at: now,
        };
        writes.put(None, &record)?;
        let summary = format!(
            "match {} proposed: need {} with offer {}",
            record.id, record.need_id, record.offer_id
        );
        writes.record_event(record.event(EventKind::MatchProposed, now, by, summary));
        if !request_id.is_empty() {
            writes.remember_request(&scope, request_id, &record.id);
        }
        in_batch.add(offer_id, region);
        Ok(record)
    }

    /// What the offer's live matches hold, in one pass over its matches: the seats of the
    /// proposals being answered, and, when `region` is given, how many of their needs are of it.
    fn held_by_live_matches(&self, store: &Store, offer_id: &str, region: Option<&str>) -> Result<LiveHolds, HubError> {
        let mut holds = LiveHolds::default();
        for number in store.ids_in_index(TreeName::MatchesByOffer, offer_id) {
            let Some(existing) = store.get_by_number::<Match>(number?)? else {
                continue;
            };
            holds.awaiting += u32::from(existing.status.awaits_answer());
            if let Some(region) = region
                && existing.status.is_live()
                && store
                    .get::<Need>(&existing.need_id)?
                    .is_some_and(|need| need.region() == region)
            {
                holds.of_region += 1;
            }
        }
        Ok(holds)
    }

    /// A match of the need being answered or confirmed, with `offer_id` or (`None`) any offer.
    fn live_match(&self, store: &Store, need_id: &str, offer_id: Option<&str>) -> Result<Option<Match>, HubError> {
        for number in store.ids_in_index(TreeName::MatchesByNeed, need_id) {
            let Some(existing) = store.get_by_number::<Match>(number?)? else {
                continue;
            };
            if existing.status.is_live() && offer_id.is_none_or(|offer_id| existing.offer_id == offer_id) {
                return Ok(Some(existing));
            }
        }
        Ok(None)
    }

    /// Records one party's answer. When both have accepted, the match is confirmed and one unit
    /// of the offer's capacity is reserved in the same write; without capacity it is refused.
    pub async fn respond_to_match<'a>(
        &self,
        match_id: &str,
        party: impl Into<ActingFor<'a>>,
        accept: bool,
        reason: &str,
    ) -> Result<Match, HubError> {
        let acting = party.into();
        let actor_id = acting.party;
        let mut violations = Violations::default();
        violations.text("reason", reason, MAX_NOTE_CHARS, false);
        violations.into_result()?;
        let change = |store: &Store| {
            let old: Match = self.load("match_id", match_id)?;
            let party = old.party(actor_id).ok_or_else(|| {
                Violations::single(
                    "actor_id",
                    format!("{actor_id} is neither the requester nor the provider of match {match_id}"),
                )
            })?;
            let status = old.status_after_answer(party, accept).map_err(HubError::Refused)?;
            let now = self.now();
            let mut record = Hub::moved(&old, status, now)?;
            record.responses.push(MatchResponse {
                actor_id: actor_id.to_string(),
                accept,
                reason: reason.to_string(),
                responded_at: now,
            });
            let mut writes = WriteSet::default();
            match (old.status, status) {
                (_, MatchStatus::Confirmed) => self.reserve_capacity(store, &record, &mut writes, now)?,
                (MatchStatus::Confirmed, MatchStatus::Cancelled) => {
                    self.release_capacity(&record, &mut writes, now)?;
                    self.settle_need(store, &record, false, &mut writes, now)?;
                }
                _ => {}
            }
            writes.put(Some(&old), &record)?;
            writes.record_event(answer_event(&record, acting, now));
            Ok((writes, record))
        };
        let confirmation_changed = |record: &Match| {
            if matches!(record.status, MatchStatus::Confirmed | MatchStatus::Cancelled) {
                self.match_confirmation_changed(&record.need_id);
            }
        };
        self.write(change, confirmation_changed).await
    }

    fn reserve_capacity(&self, store: &Store, record: &Match, writes: &mut WriteSet, now: i64) -> Result<(), HubError> {
        let old_offer: Offer = self.load("offer_id", &record.offer_id)?;
        if let Err(refusal) = matching::filter::check_available(&old_offer) {
            return Err(HubError::Refused(Refusal::new(
                refusal.reason,
                format!("{}: it cannot take on match {}", refusal.words, record.id),
            )));
        }
        let mut offer = match old_offer.remaining_capacity {
            1 => Hub::moved(&old_offer, OfferStatus::Exhausted, now)?,
            _ => Offer {
                updated_at: now,
                ..old_offer.clone()
            },
        };
        offer.remaining_capacity -= 1;
        writes.put(Some(&old_offer), &offer)?;
        let old_need: Need = store.get(&record.need_id)?.ok_or_else(|| HubError::NotFound {
            field: "need_id",
            kind: "need",
            id: record.need_id.clone(),
        })?;
        if old_need.status.is_final() {
            let why = format!(
                "need {} is {}; match {} cannot be confirmed",
                old_need.id,
                old_need.status.word(),
                record.id
            );
            return Err(HubError::Refused(Refusal::new(Reason::NeedNotOpen, why)));
        }
        if old_need.status == NeedStatus::Open {
            writes.put(Some(&old_need), &Hub::moved(&old_need, NeedStatus::Matched, now)?)?;
        }
        Ok(())
    }

    /// The match with this id.
    pub fn get_match(&self, id: &str) -> Result<Match, HubError> {
        self.load("id", id)
    }

    /// A page of matches.
    pub fn list_matches(&self, filter: &MatchFilter, page: &PageRequest) -> Result<Page<Match>, HubError> {
        let status = filter.status.map(StatusKey::index_key);
        let scan = if let Some(id) = &filter.need_id {
            Scan::Index(TreeName::MatchesByNeed, id)
        } else if let Some(id) = &filter.offer_id {
            Scan::Index(TreeName::MatchesByOffer, id)
        } else if let Some(id) = &filter.actor_id {
            Scan::Index(TreeName::MatchesByActor, id)
        } else if let Some(status) = &status {
            Scan::Index(TreeName::MatchesByStatus, status)
        } else {
            Scan::All
        };
        self.list(scan, page, |record: &Match| filter.keeps(record))
    }
}

/// The event an answer produces, in words.
fn answer_event(record: &Match, acting: ActingFor<'_>, now: i64) -> HubEvent {
    let (kind, verb) = match record.status {
        MatchStatus::Confirmed => (EventKind::MatchConfirmed, "accepted; the match is confirmed"),
        MatchStatus::Declined => (EventKind::MatchDeclined, "declined"),
        MatchStatus::Cancelled => (
            EventKind::MatchCancelled,
            "withdrew from the confirmed engagement; its capacity returns",
        ),
        _ => (EventKind::MatchAccepted, "accepted; waiting for the other party"),
    };
    let summary = format!("{} {verb} (match {})", acting.named(), record.id);
    record.event(kind, now, acting.by(), summary)
}

/// What an offer's live matches hold ([`Hub::held_by_live_matches`]).
#[derive(Debug, Default)]
struct LiveHolds {
    /// Seats of the proposals being answered.
    awaiting: u32,
    /// Needs of the region asked about.
    of_region: u32,
}

/// What the proposals made earlier in the same transaction hold: the store does not show them
/// yet.
#[derive(Debug, Default)]
struct InBatch<'p> {
    /// Seats held, by offer id.
    held: FxHashMap<&'p str, u32>,
    /// Seats held by needs of one region, by offer id and region.
    of_region: FxHashMap<(&'p str, &'static str), u32>,
}

impl<'p> InBatch<'p> {
    fn held(&self, offer_id: &str) -> u32 {
        self.held.get(offer_id).copied().unwrap_or(0)
    }

    fn of_region(&self, offer_id: &'p str, region: &'static str) -> u32 {
        self.of_region.get(&(offer_id, region)).copied().unwrap_or(0)
    }

    fn add(&mut self, offer_id: &'p str, region: &'static str) {
        *self.held.entry(offer_id).or_default() += 1;
        *self.of_region.entry((offer_id, region)).or_default() += 1;
    }
}
