//! Batch allocation over the hub's records: open needs and their best candidate offers become an
//! [`AllocationInstance`], solved exactly (`optimal`, a min-cost flow) or stably (`stable`,
//! deferred acceptance); a dry run returns the proposal, a commit proposes the matches.

use std::cell::Cell;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::catalogue::need_readings;
use super::equity::{EquityReport, PairEquity};
use super::matches::Proposal;
use super::ranking::RankingView;
use super::{Hub, HubError, NeedFilter, PageRequest};
use crate::domain::validation::count_or_default;
use crate::domain::{
    Explanation, Match, MatchStatus, Need, NeedStatus, Offer, PairPreference, Preference, PreferenceSide, Urgency,
};
use crate::domain::{Reason, Refusal};
use crate::matching::allocate::{
    self, Allocation, AllocationInstance, CandidatePair, NeedSlot, OfferSlot, PreparedInstance,
};
use crate::store::{StatusKey, TreeName};
use crate::text::TextReading;

/// Default and largest number of candidate offers kept per need.
pub const DEFAULT_CANDIDATES_PER_NEED: usize = 50;
/// Largest number of candidate offers kept per need.
pub const MAX_CANDIDATES_PER_NEED: usize = 200;
/// Open needs one allocation run takes at most unless the server says otherwise
/// ([`super::HubSettings::max_needs_per_run`]): how long a run takes and the memory it holds
/// grow with its needs (README's Limits say how much), so a machine with more cores and memory
/// can take more in one run.
pub const DEFAULT_MAX_NEEDS_PER_RUN: usize = 100_000;

/// How to allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocationMode {
    /// Greatest total fit weighed by priority.
    Optimal,
    /// No need and offer would both rather have each other.
    Stable,
}

/// One allocation run's request.
#[derive(Debug, Clone)]
pub struct AllocationRequest {
    pub mode: AllocationMode,
    /// Only compute the proposal; create nothing.
    pub dry_run: bool,
    /// Which open needs take part (status is always open).
    pub needs: NeedFilter,
    /// Only offers of this provider, if set.
    pub provider_id: Option<String>,
    /// Candidate offers kept per need (0: the default).
    pub candidates_per_need: usize,
}

/// A proposed pair with what it is worth.
#[derive(Debug, Clone)]
pub struct AllocatedPair {
    pub need_id: String,
    pub offer_id: String,
    pub fit: f64,
    pub priority: f64,
    /// The pair's pairwise score explained; a committed run's match records it.
    pub explanation: Explanation,
    /// What the pair counts for in the run's equity report.
    pub equity: PairEquity,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct AllocationOutcome {
    pub pairs: Vec<AllocatedPair>,
    /// Sum of fit x priority over the pairs.
    pub total_value: f64,
    /// Sum of fit over the pairs.
    pub total_fit: f64,
    /// Needs left without an offer, with the reason in words.
    pub unmatched: Vec<(String, String)>,
    /// Matches proposed by a committed run.
    pub match_ids: Vec<String>,
    /// Blocking pairs of the proposed assignment, ranked with the parties' marks (0 for `stable`
    /// unless budgets and marks meet, when a stable assignment need not exist; shown for
    /// `optimal` too), before a commit leaves out any pair that changed meanwhile.
    pub blocking_pairs: usize,
    pub needs_considered: usize,
    pub offers_considered: usize,
    /// How the needs considered, the pairs and the funding are shared across regions, LDC/SIDS
    /// and objectives; after a commit, of the pairs proposed.
    pub equity: EquityReport,
}

/// A need's priority: urgency, waiting time and least developed / small island States weigh it.
pub fn priority(need: &Need, now: i64) -> f64 {
    let urgency = match need.spec.urgency {
        Urgency::Low => 0.0,
        Urgency::Normal => 0.25,
        Urgency::High => 0.5,
        Urgency::Critical => 1.0,
    };
    let waiting_days = (now - need.created_at).max(0) as f64 / 86_400_000.0;
    let waiting = (waiting_days / 60.0).min(1.0) * 0.5;
    1.0 + urgency + waiting + if need.in_ldc_or_sids() { 0.5 } else { 0.0 }
}

impl Hub {
    /// Allocates open needs to offers in one run.
    ///
    /// Reading, ranking, solving and explaining take seconds of CPU on a large world, so they run
    /// on a blocking thread: the async workers keep answering other calls meanwhile. If the call
    /// is dropped (its caller gone, its time up), the run stops at the next requester group
    /// instead of ranking on for nobody.
    pub async fn run_allocation(self: &Arc<Self>, request: AllocationRequest) -> Result<AllocationOutcome, HubError> {
        let hub = Arc::clone(self);
        let dry_run = request.dry_run;
        let abandoned = AbandonOnDrop::default();
        let flag = Arc::clone(&abandoned.0);
        let proposal = tokio::task::spawn_blocking(move || hub.propose_allocation(&request, &flag)).await;
        let mut outcome = match proposal {
            Ok(outcome) => outcome?,
            Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
            Err(_) => return Err(shutting_down()),
        };
        if dry_run {
            return Ok(outcome);
        }
        // A commit that has begun proposing finishes, and is flushed, even if the call goes
        // away: its caller then finds the matches listed rather than half a run.
        let hub = Arc::clone(self);
        let committed = tokio::spawn(async move { hub.commit(&mut outcome).await.map(|()| outcome) }).await;
        match committed {
            Ok(outcome) => outcome,
            Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
            Err(_) => Err(shutting_down()),
        }
    }

    /// Proposes the outcome's pairs. A pair that changed since the instance was read (an offer
    /// filled up, a need was withdrawn or paired meanwhile) is reported among the unmatched, not
    /// fatal: the run keeps what it could propose, and its pairs, totals and match ids then say
    /// what was proposed, in the same order.
    async fn commit(&self, outcome: &mut AllocationOutcome) -> Result<(), HubError> {
        let proposals: Vec<Proposal<'_>> = outcome
            .pairs
            .iter()
            .map(|pair| Proposal {
                need_id: &pair.need_id,
                offer_id: &pair.offer_id,
                ranked: Some((pair.fit, &pair.explanation)),
                by: None,
            })
            .collect();
        let proposed = self.propose_matches(&proposals).await?;
        let mut kept = Vec::with_capacity(outcome.pairs.len());
        for (pair, proposal) in std::mem::take(&mut outcome.pairs).into_iter().zip(proposed) {
            match proposal {
                Ok(record) => {
                    outcome.match_ids.push(record.id);
                    kept.push(pair);
                }
                Err(refused) => outcome
                    .unmatched
                    .push((pair.need_id, format!("not proposed: {refused}"))),
            }
        }
        outcome.total_fit = kept.iter().map(|pair| pair.fit).sum();
        outcome.total_value = kept.iter().map(|pair| pair.fit * pair.priority).sum();
        outcome.equity.recount_pairs(kept.iter().map(|pair| &pair.equity));
        outcome.pairs = kept;
        Ok(())
    }

    /// The run's proposal: the instance built, solved and described, nothing created.
    fn propose_allocation(
        &self,
        request: &AllocationRequest,
        abandoned: &AtomicBool,
    ) -> Result<AllocationOutcome, HubError> {
        let run = self.allocation_instance(request, abandoned)?;
        let prepared = PreparedInstance::new(&run.instance);
        let allocation = match request.mode {
            AllocationMode::Optimal => prepared.optimal_with_bound().0,
            AllocationMode::Stable => prepared.stable(),
        };
        self.describe(&run, &prepared, &allocation, abandoned)
    }

    /// The instance a run with `request` would solve, without solving it: what the benchmarks
    /// export to solve with other solvers on exactly the same data.
    pub fn allocation_problem(&self, request: &AllocationRequest) -> Result<AllocationInstance, HubError> {
        Ok(self.allocation_instance(request, &AtomicBool::new(false))?.instance)
    }

    /// The open needs a run looks at, and the instance built from their best candidates.
    fn allocation_instance(
        &self,
        request: &AllocationRequest,
        abandoned: &AtomicBool,
    ) -> Result<RunInstance, HubError> {
        let keep = count_or_default(
            "candidates_per_need",
            request.candidates_per_need,
            DEFAULT_CANDIDATES_PER_NEED,
            MAX_CANDIDATES_PER_NEED,
        )?;
        let engaged = self.engaged()?;
        let marks = RunMarks::of(self.all_preferences()?);
        let mut needs = self.open_needs(&request.needs)?;
        needs.retain(|need| !engaged.needs.contains(&need.id));
        // Needs' words are ranked, and the paired ones explained, from readings of them.
        let readings = need_readings(&self.store, &needs);
        let ranked_needs: Vec<(&Need, &TextReading)> = needs.iter().zip(&readings).collect();
        // Offers of another provider, offers whose every seat a proposal holds and offers whose
        // cap for the need's region its live matches have used up are passed over, so each need
        // keeps its best `keep` offers that can still take it; the ones passed over for seats
        // are counted, to say why a need is left without any.
        let rank = |&(need, reading): &(&Need, &TextReading), view: &RankingView<'_>| {
            let passed_over = Cell::new(PassedOver::default());
            let text = view.catalogue.reading_query(reading);
            let declined = marks.declined.get(&need.id);
            let region = need.region();
            let ranked = self.ranked_candidates_where(need, &text, view, Some(keep), |offer| {
                if declined.is_some_and(|declined| declined.contains(&offer.id)) {
                    return false;
                }
                let theirs = request.provider_id.as_ref().is_none_or(|p| &offer.provider_id == p);
                let held = engaged.awaiting.get(&offer.id).copied().unwrap_or(0) >= offer.remaining_capacity;
                let capped = !held && engaged.region_full(offer, region);
                let mut counted = passed_over.get();
                counted.held += usize::from(theirs && held);
                counted.capped += usize::from(theirs && capped);
                passed_over.set(counted);
                theirs && !held && !capped
            });
            (ranked, passed_over.get())
        };
        let ranked = self.with_requester_views(&ranked_needs, |(need, _)| need, rank, abandoned)?;
        drop(ranked_needs);
        // Sized once: growing by doubling copied the pairs and touched fresh memory again each
        // time, for a million pairs at tier M.
        let pairs = ranked
            .iter()
            .map(|(ranked, _)| ranked.as_ref().map_or(0, Vec::len))
            .sum();
        let mut run = RunInstance {
            instance: AllocationInstance {
                needs: Vec::with_capacity(needs.len()),
                offers: Vec::new(),
                pairs: Vec::with_capacity(pairs),
            },
            pairs_of_need: Vec::with_capacity(needs.len()),
            passed_over: Vec::with_capacity(needs.len()),
            ..RunInstance::default()
        };
        let mut slot_of_offer: FxHashMap<u64, usize> = FxHashMap::default();
        let now = self.now();
        for (need_index, (need, (ranked, passed_over))) in needs.iter().zip(ranked).enumerate() {
            run.instance.needs.push(need_slot(need, now));
            run.passed_over.push(passed_over);
            let start = run.instance.pairs.len();
            for candidate in ranked? {
                let offer = match slot_of_offer.get(&candidate.number) {
                    Some(&slot) => slot,
                    None => {
                        run.instance.offers.push(Self::offer_slot(&candidate.offer, &engaged));
                        run.offers.push(Arc::clone(&candidate.offer));
                        slot_of_offer.insert(candidate.number, run.offers.len() - 1);
                        run.offers.len() - 1
                    }
                };
                run.instance.pairs.push(CandidatePair {
                    need: need_index,
                    offer,
                    fit: candidate.score,
                    need_prefers: RunMarks::holds(&marks.requester_prefers, need, &candidate.offer),
                    offer_prefers: RunMarks::holds(&marks.provider_prefers, need, &candidate.offer),
                });
            }
            run.pairs_of_need.push(start..run.instance.pairs.len());
        }
        run.needs = needs;
        run.readings = readings;
        Ok(run)
    }

    /// The needs and seats that live matches hold already.
    fn engaged(&self) -> Result<Engaged, HubError> {
        let mut engaged = Engaged::default();
        for status in MatchStatus::LIVE {
            for number in self.store.ids_in_index(TreeName::MatchesByStatus, status.index_key()) {
                let Some(live) = self.store.get_by_number::<Match>(number?)? else {
                    continue;
                };
                if status.awaits_answer() {
                    *engaged.awaiting.entry(live.offer_id.clone()).or_default() += 1;
                }
                // A need no longer stored holds neither money nor a region's seat.
                if let Some(need) = self.store.get::<Need>(&live.need_id)? {
                    let held = engaged.held_by_offer.entry(live.offer_id).or_default();
                    held.budgets_usd = held.budgets_usd.saturating_add(need.spec.budget_usd.unwrap_or(0));
                    match held.regions.iter_mut().find(|(region, _)| *region == need.region()) {
                        Some((_, taken)) => *taken += 1,
                        None => held.regions.push((need.region(), 1)),
                    }
                }
                engaged.needs.insert(live.need_id);
            }
        }
        Ok(engaged)
    }

    /// An offer as a run sees it: its remaining capacity less the seats proposals are waiting
    /// on, its funding less the budgets of the needs its live matches pair it with, and the
    /// needs each region holds of it through those matches, which count against the region's
    /// cap.
    fn offer_slot(offer: &Offer, engaged: &Engaged) -> OfferSlot {
        let awaiting = engaged.awaiting.get(&offer.id).copied().unwrap_or(0);
        let capacity = offer.remaining_capacity.saturating_sub(awaiting);
        let held = engaged.held_by_offer.get(&offer.id);
        let funding_usd = offer
            .spec
            .funding_usd
            .map(|funding| funding.saturating_sub(held.map_or(0, |held| held.budgets_usd)).max(0));
        let region_taken = held
            .into_iter()
            .flat_map(|held| &held.regions)
            .map(|&(region, taken)| (region.to_owned(), taken))
            .collect();
        OfferSlot {
            id: offer.id.clone(),
            capacity,
            funding_usd,
            region_cap: offer.region_cap(),
            region_taken,
        }
    }

    /// The open needs that pass `filter`, refused if more than one run takes.
    fn open_needs(&self, filter: &NeedFilter) -> Result<Vec<Need>, HubError> {
        let filter = NeedFilter {
            status: Some(NeedStatus::Open),
            ..filter.clone()
        };
        let most = self.max_needs_per_run;
        let page = PageRequest {
            after: None,
            limit: most.saturating_add(1),
        };
        let needs = self.list_needs(&filter, &page)?.records;
        if needs.len() > most {
            // Leaving some needs out silently would skew the allocation towards the older ones.
            return Err(HubError::Refused(Refusal::new(
                Reason::RunTooLarge,
                format!(
                    "more than {most} open needs match this run; narrow it with the need filter \
                     (requester, objective, country or region) and run each part, or have the server \
                     take more in one run (serve --max-needs-per-run, with a longer --request-timeout-secs)"
                ),
            )));
        }
        Ok(needs)
    }

    /// `work` applied to each item with the ranking view of its need's requester, results in the
    /// items' order. Needs of one requester share its trust paths, so their items are done
    /// together, each requester's group on whichever core is free; each group takes the graph's
    /// read lock for itself, so a write waiting for the graph waits for one group, not the run.
    /// Once `abandoned` is set, the groups left are skipped and the run fails.
    fn with_requester_views<'n, T: Sync, R: Send>(
        &self,
        items: &'n [T],
        need_of: impl Fn(&'n T) -> &'n Need + Sync,
        work: impl Fn(&T, &RankingView<'_>) -> R + Sync,
        abandoned: &AtomicBool,
    ) -> Result<Vec<R>, HubError> {
        let groups = by_requester(items.iter().map(&need_of));
        let done: Vec<Vec<(usize, R)>> = groups
            .par_iter()
            .map(|group| {
                if abandoned.load(Ordering::Relaxed) {
                    return Vec::new();
                }
                let graph = self.graph();
                let view = self.ranking_view(need_of(&items[group[0]]), &graph);
                group.iter().map(|&at| (at, work(&items[at], &view))).collect()
            })
            .collect();
        if abandoned.load(Ordering::Relaxed) {
            return Err(HubError::Refused(Refusal::new(
                Reason::RunAbandoned,
                "the allocation run was abandoned by its caller",
            )));
        }
        let mut done: Vec<(usize, R)> = done.into_iter().flatten().collect();
        done.sort_unstable_by_key(|(at, _)| *at);
        Ok(done.into_iter().map(|(_, result)| result).collect())
    }

    /// The run's outcome in words: each assigned pair explained, each unmatched need's reason.
    fn describe(
        &self,
        run: &RunInstance,
        prepared: &PreparedInstance<'_>,
        allocation: &Allocation,
        abandoned: &AtomicBool,
    ) -> Result<AllocationOutcome, HubError> {
        let instance = &run.instance;
        // The reasons and the blocking-pair check need no store or graph: they run beside the
        // explanations.
        let (explained, (unmatched, blocking_pairs)) = rayon::join(
            || {
                self.with_requester_views(
                    &allocation.assigned,
                    |&(need, _)| &run.needs[need],
                    |&pair, view| self.allocated_pair(run, pair, view),
                    abandoned,
                )
            },
            || {
                let unmatched: Vec<(String, String)> = prepared
                    .unmatched_reasons(allocation)
                    .into_iter()
                    .map(|(need, reason)| (instance.needs[need].id.clone(), run.reason(need, reason)))
                    .collect();
                (unmatched, prepared.blocking_pairs(allocation).len())
            },
        );
        let pairs = explained?.into_iter().collect::<Result<Vec<_>, HubError>>()?;
        Ok(AllocationOutcome {
            total_fit: pairs.iter().map(|p| p.fit).sum(),
            equity: EquityReport::of(&run.needs, pairs.iter().map(|p| &p.equity)),
            pairs,
            total_value: allocation.total_value,
            unmatched,
            match_ids: Vec::new(),
            blocking_pairs,
            needs_considered: instance.needs.len(),
            offers_considered: instance.offers.len(),
        })
    }

    /// One assigned pair with its explanation.
    fn allocated_pair(
        &self,
        run: &RunInstance,
        (need, offer): (usize, usize),
        view: &RankingView<'_>,
    ) -> Result<AllocatedPair, HubError> {
        let need_record = &run.needs[need];
        let text = view.catalogue.worded_query(run.readings[need].clone());
        let explained = self.candidate(need_record, &text, &run.offers[offer], view)?;
        let slot = &run.instance.needs[need];
        Ok(AllocatedPair {
            need_id: slot.id.clone(),
            offer_id: run.instance.offers[offer].id.clone(),
            fit: run.fit(need, offer),
            priority: slot.priority,
            explanation: explained.explanation,
            equity: PairEquity::of(need_record, &run.offers[offer]),
        })
    }
}

/// Raises its flag when dropped: held by a run's call, it tells the run's blocking work that
/// nobody is waiting any more.
#[derive(Default)]
struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What live matches hold: a run leaves these needs and seats alone.
#[derive(Default)]
struct Engaged {
    /// Needs with a match being answered or confirmed: a run pairs each need once, and these
    /// are paired already.
    needs: FxHashSet<String>,
    /// Proposals being answered, by offer: each holds a seat until it is answered. (A confirmed
    /// match has taken its seat from the offer's remaining capacity already.)
    awaiting: FxHashMap<String, u32>,
    /// What each offer's live matches hold of it, by offer id.
    held_by_offer: FxHashMap<String, HeldByLiveMatches>,
}

/// What the live matches of one offer hold, read once per run from their needs.
#[derive(Default)]
struct HeldByLiveMatches {
    /// The sum of their needs' budgets: a funding offer's money is theirs.
    budgets_usd: i64,
    /// How many of their needs each region has: they count against the region's cap.
    regions: Vec<(&'static str, u32)>,
}

impl Engaged {
    /// Whether the live matches of `region` hold all that the offer's regional cap allows.
    fn region_full(&self, offer: &Offer, region: &str) -> bool {
        let Some(held) = self.held_by_offer.get(&offer.id) else {
            return false;
        };
        let taken = held
            .regions
            .iter()
            .find(|(held_by, _)| *held_by == region)
            .map_or(0, |(_, taken)| *taken);
        allocate::seats_under_cap(offer.region_cap(), taken) == Some(0)
    }
}

/// Candidate offers a need's ranking passed over because they could not take it.
#[derive(Debug, Clone, Copy, Default)]
struct PassedOver {
    /// Every seat held by proposals being answered.
    held: usize,
    /// The cap for the need's region used up by live matches.
    capped: usize,
}

/// The parties' marks a run reads once: declined pairs are no candidates, PREFERRED ones rank
/// first with their party in a STABLE run.
#[derive(Default)]
struct RunMarks {
    /// Offer ids declined for each need, by either party.
    declined: FxHashMap<String, FxHashSet<String>>,
    /// Offer ids the need's requester PREFERRED, by need id.
    requester_prefers: FxHashMap<String, FxHashSet<String>>,
    /// Offer ids the offer's provider PREFERRED for each need, by need id.
    provider_prefers: FxHashMap<String, FxHashSet<String>>,
}

impl RunMarks {
    /// Whether `marked` holds the pair: a look-up by reference, for each of a run's pairs.
    fn holds(marked: &FxHashMap<String, FxHashSet<String>>, need: &Need, offer: &Offer) -> bool {
        marked.get(&need.id).is_some_and(|offers| offers.contains(&offer.id))
    }

    /// The run's view of every stored mark.
    fn of(marks: Vec<PairPreference>) -> RunMarks {
        let mut run = RunMarks::default();
        for mark in marks {
            match (mark.preference, mark.side) {
                (Preference::Declined, _) => &mut run.declined,
                (Preference::Preferred, PreferenceSide::Requester) => &mut run.requester_prefers,
                (Preference::Preferred, PreferenceSide::Provider) => &mut run.provider_prefers,
                (Preference::None, _) => continue,
            }
            .entry(mark.need_id)
            .or_default()
            .insert(mark.offer_id);
        }
        run
    }
}

/// An instance with the records behind its slots: what a run explains its result from.
#[derive(Default)]
struct RunInstance {
    instance: AllocationInstance,
    /// The open needs, by need slot.
    needs: Vec<Need>,
    /// Their words as read, by need slot: to rank with and to explain the paired ones.
    readings: Vec<TextReading>,
    /// The candidate offers, by offer slot.
    offers: Vec<Arc<Offer>>,
    /// Where each need's candidate pairs are in `instance.pairs`, by need slot.
    pairs_of_need: Vec<Range<usize>>,
    /// Offers passed over while ranking each need because they could not take it.
    passed_over: Vec<PassedOver>,
}

impl RunInstance {
    /// Why a need is left out: the solver's reason, unless the need had no candidate only
    /// because proposals hold the seats of every offer that fits it.
    fn reason(&self, need: usize, solver_reason: String) -> String {
        let PassedOver { held, capped } = self.passed_over[need];
        if !self.pairs_of_need[need].is_empty() || held + capped == 0 {
            return solver_reason;
        }
        let mut why = Vec::new();
        match held {
            0 => {}
            1 => why.push("the seats of its candidate offer are all held by proposals being answered".to_owned()),
            _ => why.push(format!(
                "the seats of its {held} candidate offers are all held by proposals being answered"
            )),
        }
        let region = allocate::region_in_words(&self.instance.needs[need].region);
        match capped {
            0 => {}
            1 => why.push(format!("its candidate offer has reached its cap for {region}")),
            _ => why.push(format!(
                "its {capped} candidate offers have reached their cap for {region}"
            )),
        }
        why.join("; ")
    }

    /// The fit of a candidate pair of the instance (0 for a pair that is not one).
    fn fit(&self, need: usize, offer: usize) -> f64 {
        self.instance.pairs[self.pairs_of_need[need].clone()]
            .iter()
            .find(|pair| pair.offer == offer)
            .map_or(0.0, |pair| pair.fit)
    }
}

/// Positions of `needs` grouped by requester, in order of first appearance.
fn by_requester<'n>(needs: impl IntoIterator<Item = &'n Need>) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: FxHashMap<&str, usize> = FxHashMap::default();
    for (index, need) in needs.into_iter().enumerate() {
        let group = *group_of.entry(need.requester_id.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(index);
    }
    groups
}

fn need_slot(need: &Need, now: i64) -> NeedSlot {
    NeedSlot {
        id: need.id.clone(),
        region: need.region().to_owned(),
        priority: priority(need, now),
        budget_usd: need.spec.budget_usd,
    }
}

/// The run's task was stopped because the hub is shutting down.
fn shutting_down() -> HubError {
    HubError::Refused(Refusal::new(Reason::ShuttingDown, "the hub is shutting down"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::HubSettings;
    use crate::synthetic::{Tier, generate};

    /// A run whose caller has gone stops with an error instead of finishing for nobody; the same
    /// run with its caller waiting pairs needs.
    #[tokio::test]
    async fn an_abandoned_run_stops() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        generate(&hub, Tier::S, 5, |_| {}).await.unwrap();
        let request = AllocationRequest {
            mode: AllocationMode::Stable,
            dry_run: true,
            needs: NeedFilter::default(),
            provider_id: None,
            candidates_per_need: 0,
        };
        let waited = hub.propose_allocation(&request, &AtomicBool::new(false)).unwrap();
        assert!(!waited.pairs.is_empty());
        let abandoned = hub.propose_allocation(&request, &AtomicBool::new(true));
        assert!(
            matches!(&abandoned, Err(HubError::Refused(why)) if why.reason == Reason::RunAbandoned),
            "{abandoned:?}"
        );
    }

    /// A commit checks the regional cap again: when proposals made by hand after the run read
    /// the store already hold an offer's cap for a region, the run's pair of that offer with a
    /// need of the region is not proposed, and says why.
    #[tokio::test]
    async fn a_commit_checks_the_regional_cap_again() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        generate(&hub, Tier::S, 5, |_| {}).await.unwrap();
        let request = AllocationRequest {
            mode: AllocationMode::Stable,
            dry_run: false,
            needs: NeedFilter::default(),
            provider_id: None,
            candidates_per_need: 0,
        };
        let mut outcome = hub.propose_allocation(&request, &AtomicBool::new(false)).unwrap();
        let paired: FxHashSet<String> = outcome.pairs.iter().map(|pair| pair.need_id.clone()).collect();
        let open: Vec<Need> = hub
            .store
            .all::<Need>()
            .map(Result::unwrap)
            .filter(|need| need.status == NeedStatus::Open && !paired.contains(&need.id))
            .collect();
        // A pair whose offer has a cap, and unpaired needs of its region that the offer serves,
        // enough to take the cap by hand.
        let chosen = outcome.pairs.iter().find_map(|pair| {
            let offer: Offer = hub.store.get(&pair.offer_id).unwrap().unwrap();
            let need: Need = hub.store.get(&pair.need_id).unwrap().unwrap();
            let cap = offer.region_cap()? as usize;
            let by_hand: Vec<&Need> = open
                .iter()
                .filter(|other| other.region() == need.region())
                .filter(|other| crate::matching::check_pair(other, &offer).is_ok())
                .take(cap)
                .collect();
            (by_hand.len() == cap).then(|| (pair.clone(), offer, need.region(), by_hand))
        });
        let (pair, offer, region, by_hand) = chosen.expect("a capped offer with needs of its region to spare");
        for need in &by_hand {
            hub.propose_match(&need.id, &offer.id, "", None).await.unwrap();
        }
        hub.commit(&mut outcome).await.unwrap();
        assert!(!outcome.match_ids.is_empty());
        let refused: Vec<&String> = outcome
            .unmatched
            .iter()
            .filter(|(need, _)| *need == pair.need_id)
            .map(|(_, why)| why)
            .collect();
        assert_eq!(refused.len(), 1, "{:?}", outcome.unmatched);
        assert!(refused[0].contains("its cap for one region"), "{refused:?}");
        let holds = hub
            .store
            .all::<Match>()
            .map(Result::unwrap)
            .filter(|m| m.offer_id == offer.id && m.status.is_live())
            .filter(|m| hub.store.get::<Need>(&m.need_id).unwrap().unwrap().region() == region)
            .count();
        assert_eq!(
            Some(holds as u32),
            offer.region_cap(),
            "{region} holds more than its cap"
        );
    }
}
