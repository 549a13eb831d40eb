//! Batch allocation over the hub's records: open needs and their best candidate offers become an
//! [`AllocationInstance`], solved exactly (`optimal`, a min-cost flow) or stably (`stable`,
//! deferred acceptance); a dry run returns the proposal, a commit proposes the matches.

use rustc_hash::FxHashMap;

use super::ranking::RankedOffer;
use super::{Hub, HubError, NeedFilter, PageRequest};
use crate::domain::{Need, NeedStatus, Offer, Urgency, Violations, geography};
use crate::matching::allocate::{self, Allocation, AllocationInstance, CandidatePair, NeedSlot, OfferSlot};

/// Default and largest number of candidate offers kept per need.
pub const DEFAULT_CANDIDATES_PER_NEED: usize = 50;
/// Largest number of candidate offers kept per need.
pub const MAX_CANDIDATES_PER_NEED: usize = 200;
/// Share of an offer's remaining capacity one region may take (rounded up, at least one).
const REGION_SHARE: f64 = 0.5;
/// Open needs one allocation run takes at most: 50 candidates each stay within memory.
const MAX_NEEDS_PER_RUN: usize = 100_000;

/// The ranked offer behind each (need, offer) pair of an instance.
type PairCandidates = FxHashMap<(usize, usize), RankedOffer>;

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
    /// The pair's explanation summary from the pairwise score.
    pub summary: String,
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
    /// Blocking pairs of the result (always 0 for `stable`; shown for `optimal` too).
    pub blocking_pairs: usize,
    pub needs_considered: usize,
    pub offers_considered: usize,
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
    let vulnerable = need
        .spec
        .countries
        .iter()
        .filter_map(|c| geography::country(c))
        .any(|c| c.least_developed || c.small_island_developing);
    1.0 + urgency + waiting + if vulnerable { 0.5 } else { 0.0 }
}

impl Hub {
    /// Allocates open needs to offers in one run.
    pub async fn run_allocation(&self, request: AllocationRequest) -> Result<AllocationOutcome, HubError> {
        let (needs, instance, candidates) = self.allocation_instance(&request)?;
        let allocation = match request.mode {
            AllocationMode::Optimal => allocate::optimal(&instance),
            AllocationMode::Stable => allocate::stable(&instance),
        };
        let mut outcome = self.describe(&needs, &instance, &allocation, &candidates)?;
        if !request.dry_run {
            // A pair that changed since the instance was read (an offer filled up, a need was
            // withdrawn, a live match exists already) is reported, not fatal: the run keeps what
            // it could propose.
            let mut skipped = Vec::new();
            for pair in &outcome.pairs {
                match self.propose_match(&pair.need_id, &pair.offer_id, "").await {
                    Ok(record) => outcome.match_ids.push(record.id),
                    Err(HubError::AlreadyExists(why) | HubError::FailedPrecondition(why)) => {
                        skipped.push((pair.need_id.clone(), format!("not proposed: {why}")));
                    }
                    Err(error) => return Err(error),
                }
            }
            outcome.unmatched.extend(skipped);
        }
        Ok(outcome)
    }

    /// The instance a run with `request` would solve, without solving it: what the benchmarks
    /// export to solve with other solvers on exactly the same data.
    pub fn allocation_problem(&self, request: &AllocationRequest) -> Result<AllocationInstance, HubError> {
        Ok(self.allocation_instance(request)?.1)
    }

    /// The open needs a run looks at, and the instance built from their best candidates.
    fn allocation_instance(
        &self,
        request: &AllocationRequest,
    ) -> Result<(Vec<Need>, AllocationInstance, PairCandidates), HubError> {
        let keep = match request.candidates_per_need {
            0 => DEFAULT_CANDIDATES_PER_NEED,
            k if k <= MAX_CANDIDATES_PER_NEED => k,
            k => {
                let rule = format!("{k} must be between 0 and {MAX_CANDIDATES_PER_NEED}");
                return Err(Violations::single("candidates_per_need", rule).into());
            }
        };
        let filter = NeedFilter {
            status: Some(NeedStatus::Open),
            ..request.needs.clone()
        };
        let page = PageRequest {
            after: None,
            limit: MAX_NEEDS_PER_RUN + 1,
        };
        let needs = self.list_needs(&filter, &page)?.records;
        if needs.len() > MAX_NEEDS_PER_RUN {
            // Leaving some needs out silently would skew the allocation towards the older ones.
            return Err(HubError::FailedPrecondition(format!(
                "more than {MAX_NEEDS_PER_RUN} open needs match this run; narrow it with the need filter \
                 (requester, objective, country or region) and run each part"
            )));
        }
        let now = self.now();
        // With a provider filter the best `keep` of that provider's offers are wanted, so every
        // candidate is ranked before filtering.
        let ranked_keep = request.provider_id.is_none().then_some(keep);
        // Needs of one requester share its trust paths: rank them together. Each group takes the
        // graph's read lock for itself, so a write waiting for the graph waits for one group,
        // not for the whole run.
        let by_requester = by_requester(&needs);
        let ranked_groups = in_parallel(&by_requester, |group| {
            let graph = self.graph();
            let view = self.ranking_view(&needs[group[0]], &graph);
            let ranked: Vec<_> = group
                .iter()
                .map(|&need| (need, self.ranked_candidates(&needs[need], &view, ranked_keep)))
                .collect();
            ranked
        });
        let mut ranked: Vec<_> = ranked_groups.into_iter().flatten().collect();
        ranked.sort_unstable_by_key(|(need, _)| *need);
        let mut instance = AllocationInstance::default();
        let mut offer_index: FxHashMap<String, usize> = FxHashMap::default();
        let mut candidates = PairCandidates::default();
        for (need_index, (need, (_, ranked))) in needs.iter().zip(ranked).enumerate() {
            instance.needs.push(need_slot(need, now));
            let mine = ranked?
                .into_iter()
                .filter(|c| request.provider_id.as_ref().is_none_or(|p| &c.offer.provider_id == p));
            for candidate in mine.take(keep) {
                let offer = match offer_index.get(&candidate.offer.id) {
                    Some(&offer) => offer,
                    None => {
                        instance.offers.push(offer_slot(&candidate.offer));
                        offer_index.insert(candidate.offer.id.clone(), instance.offers.len() - 1);
                        instance.offers.len() - 1
                    }
                };
                instance.pairs.push(CandidatePair {
                    need: need_index,
                    offer,
                    fit: candidate.score,
                });
                candidates.insert((need_index, offer), candidate);
            }
        }
        Ok((needs, instance, candidates))
    }

    /// The run's outcome in words: each assigned pair explained, each unmatched need's reason.
    fn describe(
        &self,
        needs: &[Need],
        instance: &AllocationInstance,
        allocation: &Allocation,
        candidates: &PairCandidates,
    ) -> Result<AllocationOutcome, HubError> {
        let explained = in_parallel(&allocation.assigned, |&(need, offer)| {
            let Some(ranked) = candidates.get(&(need, offer)) else {
                return Ok(None);
            };
            let graph = self.graph();
            let view = self.ranking_view(&needs[need], &graph);
            let explained = self.candidate(&needs[need], &ranked.offer, &view)?;
            Ok(Some(AllocatedPair {
                need_id: instance.needs[need].id.clone(),
                offer_id: instance.offers[offer].id.clone(),
                fit: ranked.score,
                priority: instance.needs[need].priority,
                summary: explained.explanation.summary,
            }))
        });
        let pairs = explained
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<Vec<_>, HubError>>()?;
        let unmatched = allocate::unmatched_reasons(instance, allocation)
            .into_iter()
            .map(|(need, reason)| (instance.needs[need].id.clone(), reason))
            .collect();
        Ok(AllocationOutcome {
            total_fit: pairs.iter().map(|p| p.fit).sum(),
            pairs,
            total_value: allocation.total_value,
            unmatched,
            match_ids: Vec::new(),
            blocking_pairs: allocate::blocking_pairs(instance, allocation).len(),
            needs_considered: instance.needs.len(),
            offers_considered: instance.offers.len(),
        })
    }
}

/// Indices of `needs` grouped by requester, in order of first appearance.
fn by_requester(needs: &[Need]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: FxHashMap<&str, usize> = FxHashMap::default();
    for (index, need) in needs.iter().enumerate() {
        let group = *group_of.entry(need.requester_id.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(index);
    }
    groups
}

/// `work` applied to every item, on as many threads as the machine has cores, results in the
/// items' order: a run ranks candidates for tens of thousands of needs.
fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&work).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

fn need_slot(need: &Need, now: i64) -> NeedSlot {
    let region = need
        .spec
        .countries
        .iter()
        .find_map(|c| geography::country(c))
        .map_or("", |c| c.region);
    NeedSlot {
        id: need.id.clone(),
        region: region.to_string(),
        priority: priority(need, now),
        budget_usd: need.spec.budget_usd,
    }
}

fn offer_slot(offer: &Offer) -> OfferSlot {
    let capacity = offer.remaining_capacity;
    let region_cap = (capacity >= 2).then(|| ((f64::from(capacity) * REGION_SHARE).ceil() as u32).max(1));
    OfferSlot {
        id: offer.id.clone(),
        capacity,
        funding_usd: offer.spec.funding_usd,
        region_cap,
    }
}
