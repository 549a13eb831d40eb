//! MatchService.RunAllocation over small worlds built by hand through the API: a dry run proposes
//! sound pairs (known ids, each need once, no offer beyond its capacity, the fit FindMatches gives,
//! totals that add up, every other open need explained) and creates nothing; a scarce offer goes
//! to exactly one need; OPTIMAL is worth at least STABLE, which has no blocking pair; a commit
//! proposes exactly its pairs, once, and they survive a restart; a proposal holds its seat and its
//! need for later runs, and a region's cap holds across runs; the need and provider filters
//! narrow the run; a run over more needs than the server takes is refused; only the admin may
//! run one.

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};

use capacity_hub::hub::HubSettings;
use common::*;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;

/// The hand-built world most tests share.
struct World {
    gtm: Actor,
    hti: Actor,
    oim: Actor,
    /// Every need submitted; the last one asks for something nobody offers.
    needs: Vec<Need>,
}

/// Three requesters in two regions, two providers, three offers with 4 seats in all and six
/// needs, five of which compete for those seats (objective 13 by technical advice, objective 7 by
/// training) and one (objective 5 by research) that no offer serves. Senegal is in another region
/// than Guatemala and Haiti, so the cap per region does not hide the capacity of an offer.
/// Guatemala is a direct partner of Casa Alianza and Haiti reaches it through Guatemala, so trust
/// moves fits too.
async fn build_world(hub: &TestHub) -> World {
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let hti = hub.register("Haiti", ActorKind::NationalGovernment, "HTI").await;
    let sen = hub.register("Senegal", ActorKind::NationalGovernment, "SEN").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let oim = hub.register("OIM", ActorKind::UnEntity, "").await;
    hub.partner(&gtm.id, &alianza.id, PartnershipKind::BilateralAgreement, 0.8)
        .await;
    hub.partner(&hti.id, &gtm.id, PartnershipKind::BilateralAgreement, 0.6)
        .await;

    let (advice, training) = (Modality::TechnicalAdvice, Modality::Training);
    seats(
        hub,
        offer_request(&alianza.id, &[13], &[advice], Coverage::Worldwide),
        1,
    )
    .await;
    seats(hub, offer_request(&oim.id, &[7], &[training], Coverage::Worldwide), 2).await;
    seats(
        hub,
        offer_request(&oim.id, &[7, 13], &[training, advice], Coverage::Worldwide),
        1,
    )
    .await;

    let requests = [
        need_request(&gtm.id, &[13], &[advice], &["GTM"]),
        need_request(&gtm.id, &[7], &[training], &["GTM"]),
        need_request(&hti.id, &[13], &[advice], &["HTI"]),
        urgency(need_request(&hti.id, &[7], &[training], &["HTI"]), Urgency::High),
        need_request(&sen.id, &[13], &[advice], &["SEN"]),
        need_request(&sen.id, &[5], &[Modality::Research], &["SEN"]),
    ];
    let mut needs = Vec::new();
    for request in requests {
        needs.push(hub.submit(request).await);
    }
    World { gtm, hti, oim, needs }
}

/// Registers `request` with room for `capacity` engagements.
async fn seats(hub: &TestHub, request: RegisterOfferRequest, capacity: u32) -> Offer {
    hub.offer(RegisterOfferRequest { capacity, ..request }).await
}

fn urgency(request: SubmitNeedRequest, urgency: Urgency) -> SubmitNeedRequest {
    SubmitNeedRequest {
        urgency: urgency as i32,
        ..request
    }
}

fn run_request(mode: AllocationMode, dry_run: bool) -> RunAllocationRequest {
    RunAllocationRequest {
        mode: mode as i32,
        dry_run,
        ..Default::default()
    }
}

async fn run(hub: &TestHub, request: RunAllocationRequest) -> RunAllocationResponse {
    hub.matches()
        .run_allocation(request.clone())
        .await
        .unwrap_or_else(|status| panic!("RunAllocation({request:?}) failed: {status:?}"))
        .into_inner()
}

/// The open needs that pass `filter`.
async fn open_needs(hub: &TestHub, filter: ListNeedsRequest) -> Vec<Need> {
    hub.all_needs(ListNeedsRequest {
        status: NeedStatus::Open as i32,
        ..filter
    })
    .await
}

async fn all_open_needs(hub: &TestHub) -> Vec<Need> {
    open_needs(hub, ListNeedsRequest::default()).await
}

/// Every match the hub lists.
async fn listed(hub: &TestHub) -> Vec<Match> {
    hub.all_matches(ListMatchesRequest::default()).await
}

fn match_pairs(matches: &[Match]) -> BTreeSet<(String, String)> {
    matches
        .iter()
        .map(|m| (m.need_id.clone(), m.offer_id.clone()))
        .collect()
}

fn pair_set(response: &RunAllocationResponse) -> BTreeSet<(String, String)> {
    response
        .pairs
        .iter()
        .map(|p| (p.need_id.clone(), p.offer_id.clone()))
        .collect()
}

/// Every offer the hub lists, by id.
async fn offers_by_id(hub: &TestHub) -> HashMap<String, Offer> {
    hub.all_offers(ListOffersRequest::default())
        .await
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect()
}

/// Checks what every proposal must satisfy, against the hub's own records: `considered` are the
/// open needs the run should look at, `provider` the provider filter (empty: none).
async fn assert_sound(hub: &TestHub, response: &RunAllocationResponse, considered: &[Need], provider: &str) {
    let offers = offers_by_id(hub).await;
    let considered_ids: HashSet<&str> = considered.iter().map(|n| n.id.as_str()).collect();

    let mut paired = HashSet::new();
    let mut used: HashMap<&str, u32> = HashMap::new();
    for pair in &response.pairs {
        assert!(considered_ids.contains(&*pair.need_id), "unknown need: {pair:?}");
        let offer = offers
            .get(&pair.offer_id)
            .unwrap_or_else(|| panic!("unknown offer in {pair:?}"));
        if !provider.is_empty() {
            assert_eq!(offer.provider_id, provider, "{pair:?} ignores the provider filter");
        }
        assert!(paired.insert(&*pair.need_id), "need paired twice: {pair:?}");
        *used.entry(&pair.offer_id).or_default() += 1;
        // The run ranks in bulk; FindMatches explains one need: they must agree on the score.
        let candidates = hub.find_matches(&pair.need_id).await;
        let score = candidates
            .iter()
            .find(|c| c.offer.as_ref().is_some_and(|o| o.id == pair.offer_id))
            .unwrap_or_else(|| panic!("{pair:?} is not among FindMatches' candidates"))
            .score;
        assert!((pair.fit - score).abs() < 1e-9, "{pair:?}: FindMatches says {score}");
        assert!(pair.priority >= 1.0, "{pair:?}: priority below 1");
        assert!(!pair.summary.is_empty(), "{pair:?}: no summary");
    }
    for (offer_id, count) in &used {
        let left = offers[*offer_id].remaining_capacity;
        assert!(*count <= left, "{offer_id}: {count} needs, {left} seats");
    }

    let total_fit: f64 = response.pairs.iter().map(|p| p.fit).sum();
    let total_value: f64 = response.pairs.iter().map(|p| p.fit * p.priority).sum();
    // total_value is the sum of fit x priority.
    assert!(
        (response.total_fit - total_fit).abs() < 1e-6,
        "{total_fit}: {response:?}"
    );
    assert!(
        (response.total_value - total_value).abs() < 1e-6,
        "{total_value}: {response:?}"
    );

    let mut unmatched = HashSet::new();
    for need in &response.unmatched {
        assert!(!need.reason.is_empty(), "{need:?} has no reason");
        assert!(considered_ids.contains(&*need.need_id), "unknown need: {need:?}");
        assert!(!paired.contains(&*need.need_id), "{need:?} is paired too");
        assert!(unmatched.insert(&*need.need_id), "{need:?} listed twice");
    }
    let accounted: HashSet<&str> = paired.union(&unmatched).copied().collect();
    assert_eq!(accounted, considered_ids, "each considered need is paired or explained");

    // Every candidate is kept (the default 50 is more than there are offers), so the offers
    // considered are the union of the considered needs' FindMatches candidates.
    let mut candidate_offers = HashSet::new();
    for need in considered {
        for candidate in hub.find_matches(&need.id).await {
            let offer = candidate.offer.expect("candidate offer");
            if provider.is_empty() || offer.provider_id == provider {
                candidate_offers.insert(offer.id);
            }
        }
    }
    assert_eq!(response.needs_considered as usize, considered.len());
    assert_eq!(response.offers_considered as usize, candidate_offers.len());
}

#[tokio::test]
async fn a_dry_run_proposes_sound_pairs_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let world = build_world(&hub).await;
    let open = all_open_needs(&hub).await;
    assert_eq!(open.len(), world.needs.len());
    let nobody_serves = world.needs.last().unwrap();

    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let response = run(&hub, run_request(mode, true)).await;
        assert_sound(&hub, &response, &open, "").await;
        assert!(!response.pairs.is_empty(), "{mode:?}: seats were free");
        // 5 needs compete for 4 seats, and one need has no candidate at all.
        assert!(response.unmatched.len() >= 2, "{mode:?}: {:?}", response.unmatched);
        let reason = &response
            .unmatched
            .iter()
            .find(|u| u.need_id == nobody_serves.id)
            .expect("the need nobody serves is unmatched")
            .reason;
        assert!(reason.contains("no candidate"), "{mode:?}: {reason:?}");
        assert!(response.match_ids.is_empty(), "{mode:?}: {response:?}");
        assert!(listed(&hub).await.is_empty(), "{mode:?}: a dry run proposed matches");
    }
}

#[tokio::test]
async fn the_only_seat_goes_to_the_more_urgent_of_two_equal_needs() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let advice = [Modality::TechnicalAdvice];
    let offer = seats(&hub, offer_request(&alianza.id, &[13], &advice, Coverage::Worldwide), 1).await;
    let need = need_request(&gtm.id, &[13], &advice, &["GTM"]);
    let calm = hub.submit(urgency(need.clone(), Urgency::Low)).await;
    let pressing = hub.submit(urgency(need, Urgency::Critical)).await;

    // Same requester, same spec but urgency: equal fits, so only priority can decide.
    let fit = |candidates: Vec<MatchCandidate>| candidates[0].score;
    let (calm_fit, pressing_fit) = (
        fit(hub.find_matches(&calm.id).await),
        fit(hub.find_matches(&pressing.id).await),
    );
    assert!((calm_fit - pressing_fit).abs() < 1e-9, "{calm_fit} vs {pressing_fit}");

    let open = all_open_needs(&hub).await;
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let response = run(&hub, run_request(mode, true)).await;
        assert_sound(&hub, &response, &open, "").await;
        assert_eq!(
            pair_set(&response),
            BTreeSet::from([(pressing.id.clone(), offer.id.clone())]),
            "{mode:?}: the critical need is worth more on the one seat"
        );
        assert_eq!(response.unmatched.len(), 1, "{mode:?}: {:?}", response.unmatched);
        let left_out = &response.unmatched[0];
        assert_eq!(left_out.need_id, calm.id);
        assert!(
            left_out.reason.contains("full") && left_out.reason.contains("offer"),
            "{mode:?}: the reason should say the offer is full: {:?}",
            left_out.reason
        );
    }
}

#[tokio::test]
async fn optimal_is_worth_at_least_stable_and_stable_has_no_blocking_pair() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    build_world(&hub).await;
    let optimal = run(&hub, run_request(AllocationMode::Optimal, true)).await;
    let stable = run(&hub, run_request(AllocationMode::Stable, true)).await;
    assert!(
        optimal.total_value >= stable.total_value - 1e-9,
        "optimal {} < stable {}",
        optimal.total_value,
        stable.total_value
    );
    assert_eq!(stable.blocking_pairs, 0, "{stable:?}");
}

/// The textbook case where stability costs value: a critical need prefers the offer a second
/// need cannot do without. STABLE lets the critical need keep it and leaves the other out;
/// OPTIMAL moves the critical need to its second choice and serves both.
#[tokio::test]
async fn stability_can_cost_value_that_optimal_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let advice = [Modality::TechnicalAdvice];
    let in_guatemala = Coverage::Countries(vec!["GTM"]);
    let wanted = seats(&hub, offer_request(&alianza.id, &[13, 5], &advice, in_guatemala), 1).await;
    let fallback = seats(&hub, offer_request(&alianza.id, &[13], &advice, Coverage::Worldwide), 1).await;
    let first = urgency(need_request(&gtm.id, &[13], &advice, &["GTM"]), Urgency::Critical);
    let first = hub.submit(first).await;
    let second = hub
        .submit(urgency(need_request(&gtm.id, &[5], &advice, &["GTM"]), Urgency::Low))
        .await;

    // The world is what the comment says: the critical need ranks `wanted` first, the other has
    // only `wanted`.
    assert_eq!(
        offer_ids(&hub.find_matches(&first.id).await),
        [wanted.id.clone(), fallback.id.clone()]
    );
    assert_eq!(offer_ids(&hub.find_matches(&second.id).await), vec![wanted.id.clone()]);

    let stable = run(&hub, run_request(AllocationMode::Stable, true)).await;
    let optimal = run(&hub, run_request(AllocationMode::Optimal, true)).await;
    assert_eq!(
        pair_set(&stable),
        BTreeSet::from([(first.id.clone(), wanted.id.clone())])
    );
    assert_eq!(
        pair_set(&optimal),
        BTreeSet::from([
            (first.id.clone(), fallback.id.clone()),
            (second.id.clone(), wanted.id.clone())
        ])
    );
    assert!(optimal.total_value > stable.total_value, "{optimal:?} vs {stable:?}");
    assert_eq!(stable.blocking_pairs, 0);
    // (first, wanted) blocks OPTIMAL's answer: both would rather have each other.
    assert_eq!(optimal.blocking_pairs, 1, "{optimal:?}");
}

#[tokio::test]
async fn a_commit_proposes_exactly_its_pairs_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    build_world(&hub).await;
    let open = all_open_needs(&hub).await;

    let first = run(&hub, run_request(AllocationMode::Optimal, false)).await;
    assert_sound(&hub, &first, &open, "").await;
    assert!(!first.pairs.is_empty());
    assert_eq!(first.match_ids.len(), first.pairs.len(), "one per pair: {first:?}");
    let matches = listed(&hub).await;
    let ids: BTreeSet<&str> = matches.iter().map(|m| m.id.as_str()).collect();
    let proposed_ids: BTreeSet<&str> = first.match_ids.iter().map(String::as_str).collect();
    assert_eq!(ids, proposed_ids);
    assert_eq!(ids.len(), matches.len(), "match ids are distinct");
    let fits: HashMap<(&str, &str), f64> = first
        .pairs
        .iter()
        .map(|p| ((p.need_id.as_str(), p.offer_id.as_str()), p.fit))
        .collect();
    for record in &matches {
        assert_eq!(record.status, MatchStatus::Proposed as i32, "{record:?}");
        let fit = fits
            .get(&(record.need_id.as_str(), record.offer_id.as_str()))
            .unwrap_or_else(|| panic!("{record:?} is not one of the run's pairs"));
        assert!((record.score - fit).abs() < 1e-9, "{record:?}: the pair's fit is {fit}");
    }
    assert_eq!(match_pairs(&matches), pair_set(&first));

    // The paired needs take no part in the next run, and the seats their proposals wait on are
    // not free: whatever the second run adds, no need is proposed twice and no offer beyond its
    // capacity.
    let again = run(&hub, run_request(AllocationMode::Optimal, false)).await;
    let paired: BTreeSet<&str> = first.pairs.iter().map(|p| p.need_id.as_str()).collect();
    assert_eq!(again.needs_considered as usize, open.len() - paired.len(), "{again:?}");
    assert!(
        again.pairs.iter().all(|p| !paired.contains(p.need_id.as_str())),
        "a proposed need paired again: {again:?}"
    );
    assert_eq!(again.match_ids.len(), again.pairs.len(), "{again:?}");
    let all = listed(&hub).await;
    assert_eq!(all.len(), matches.len() + again.match_ids.len());
    let needs: HashSet<&str> = all.iter().map(|m| m.need_id.as_str()).collect();
    assert_eq!(needs.len(), all.len(), "a need proposed twice: {all:?}");
    let offers = offers_by_id(&hub).await;
    for (offer_id, offer) in &offers {
        let holding = all.iter().filter(|m| &m.offer_id == offer_id).count();
        assert!(
            holding <= offer.remaining_capacity as usize,
            "{offer_id}: {holding} proposals for {} seats",
            offer.remaining_capacity
        );
    }
}

/// A seat a proposal waits on is not given again: a need that arrives after a committed run
/// finds the one-seat offer held, and the need already proposed stays out of the run.
#[tokio::test]
async fn a_proposal_holds_its_seat_for_later_runs() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let sen = hub.register("Senegal", ActorKind::NationalGovernment, "SEN").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let advice = [Modality::TechnicalAdvice];
    let offer = seats(&hub, offer_request(&alianza.id, &[13], &advice, Coverage::Worldwide), 1).await;
    let first = hub.submit(need_request(&gtm.id, &[13], &advice, &["GTM"])).await;
    let committed = run(&hub, run_request(AllocationMode::Stable, false)).await;
    assert_eq!(
        pair_set(&committed),
        BTreeSet::from([(first.id.clone(), offer.id.clone())])
    );

    let late = hub.submit(need_request(&sen.id, &[13], &advice, &["SEN"])).await;
    assert_eq!(offer_ids(&hub.find_matches(&late.id).await), vec![offer.id.clone()]);
    for mode in [AllocationMode::Stable, AllocationMode::Optimal] {
        let later = run(&hub, run_request(mode, false)).await;
        assert!(
            later.pairs.is_empty() && later.match_ids.is_empty(),
            "{mode:?}: {later:?}"
        );
        assert_eq!(
            later.needs_considered, 1,
            "{mode:?}: the proposed need takes part again"
        );
        let reasons: Vec<(&str, &str)> = later
            .unmatched
            .iter()
            .map(|u| (u.need_id.as_str(), u.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 1, "{mode:?}: {reasons:?}");
        assert_eq!(reasons[0].0, late.id);
        assert!(reasons[0].1.contains("held by proposals"), "{mode:?}: {reasons:?}");
    }
    let on_offer: Vec<Match> = listed(&hub).await;
    assert_eq!(
        match_pairs(&on_offer),
        pair_set(&committed),
        "the one seat was proposed twice"
    );
}

/// A region's cap holds across committed runs: an offer of four seats lets one region hold two.
/// The first run gives both seats it can to two needs from Africa; in the second, two more
/// needs from Africa find the region at its cap (a run that counted only its own pairs would give
/// Africa a third seat), while a need from the Americas takes one of the seats left.
#[tokio::test]
async fn a_regions_cap_holds_across_committed_runs() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let sen = hub.register("Senegal", ActorKind::NationalGovernment, "SEN").await;
    let gha = hub.register("Ghana", ActorKind::NationalGovernment, "GHA").await;
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let advice = [Modality::TechnicalAdvice];
    let offer = seats(&hub, offer_request(&alianza.id, &[13], &advice, Coverage::Worldwide), 4).await;
    let african = |requester: &Actor, country: &str| need_request(&requester.id, &[13], &advice, &[country]);
    let first = [
        hub.submit(african(&sen, "SEN")).await,
        hub.submit(african(&gha, "GHA")).await,
    ];
    let committed = run(&hub, run_request(AllocationMode::Stable, false)).await;
    assert_eq!(
        pair_set(&committed),
        first.iter().map(|need| (need.id.clone(), offer.id.clone())).collect(),
        "the first run gives Africa its two seats"
    );

    let late_african = [
        hub.submit(african(&sen, "SEN")).await,
        hub.submit(african(&gha, "GHA")).await,
    ];
    let american = hub.submit(need_request(&gtm.id, &[13], &advice, &["GTM"])).await;
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let dry = run(&hub, run_request(mode, true)).await;
        assert_eq!(
            pair_set(&dry),
            BTreeSet::from([(american.id.clone(), offer.id.clone())]),
            "{mode:?}: {dry:?}"
        );
        let reasons: HashMap<&str, &str> = dry
            .unmatched
            .iter()
            .map(|u| (u.need_id.as_str(), u.reason.as_str()))
            .collect();
        for need in &late_african {
            let reason = reasons.get(need.id.as_str()).copied().unwrap_or_default();
            assert!(reason.contains("cap for africa"), "{mode:?} {}: {reason:?}", need.id);
        }
    }
    let second = run(&hub, run_request(AllocationMode::Optimal, false)).await;
    assert_eq!(second.match_ids.len(), 1, "{second:?}");
    let regions_of: HashMap<String, &str> = first
        .iter()
        .chain(&late_african)
        .map(|need| (need.id.clone(), "africa"))
        .chain([(american.id.clone(), "americas")])
        .collect();
    let on_offer = listed(&hub).await;
    let african_matches = on_offer
        .iter()
        .filter(|m| m.offer_id == offer.id && regions_of[&m.need_id] == "africa")
        .count();
    assert_eq!(on_offer.len(), 3, "{on_offer:?}");
    assert_eq!(
        african_matches, 2,
        "Africa holds more than half the offer: {on_offer:?}"
    );
}

/// An offer whose cap for a need's region is used up is passed over when the need's candidates
/// are kept, so the need keeps the best offers that can still take it: with one candidate per
/// need, a second need from Africa gets the other offer rather than the capped one it prefers.
#[tokio::test]
async fn a_need_keeps_offers_its_region_can_still_take() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let sen = hub.register("Senegal", ActorKind::NationalGovernment, "SEN").await;
    let gha = hub.register("Ghana", ActorKind::NationalGovernment, "GHA").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let oim = hub.register("OIM", ActorKind::UnEntity, "").await;
    for requester in [&sen, &gha] {
        hub.partner(&requester.id, &alianza.id, PartnershipKind::BilateralAgreement, 0.9)
            .await;
    }
    let advice = [Modality::TechnicalAdvice];
    let preferred = seats(&hub, offer_request(&alianza.id, &[13], &advice, Coverage::Worldwide), 2).await;
    let other = seats(&hub, offer_request(&oim.id, &[13], &advice, Coverage::Worldwide), 2).await;
    let first = hub.submit(need_request(&sen.id, &[13], &advice, &["SEN"])).await;
    let one_candidate = |mode, dry_run| RunAllocationRequest {
        candidates_per_need: 1,
        ..run_request(mode, dry_run)
    };
    let committed = run(&hub, one_candidate(AllocationMode::Stable, false)).await;
    assert_eq!(
        pair_set(&committed),
        BTreeSet::from([(first.id.clone(), preferred.id.clone())])
    );

    let second = hub.submit(need_request(&gha.id, &[13], &advice, &["GHA"])).await;
    let ranked = offer_ids(&hub.find_matches(&second.id).await);
    assert_eq!(
        ranked.first(),
        Some(&preferred.id),
        "the capped offer ranks first: {ranked:?}"
    );
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let later = run(&hub, one_candidate(mode, true)).await;
        assert_eq!(
            pair_set(&later),
            BTreeSet::from([(second.id.clone(), other.id.clone())]),
            "{mode:?}: {later:?}"
        );
    }
    // Without the other offer, the need says why it has no candidate.
    hub.offers()
        .withdraw_offer(WithdrawOfferRequest {
            id: other.id.clone(),
            reason: "the advisers are booked".into(),
        })
        .await
        .expect("WithdrawOffer succeeds");
    let alone = run(&hub, one_candidate(AllocationMode::Stable, true)).await;
    let reasons: Vec<&str> = alone.unmatched.iter().map(|u| u.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["its candidate offer has reached its cap for africa"],
        "{alone:?}"
    );
}

/// A funding offer's money that live matches are paired with is not given again: after a
/// committed run gives 80 of 100 dollars to one need, a later need asking 50 is left out, while
/// one asking 20 fits what is left.
#[tokio::test]
async fn money_a_live_match_holds_is_not_given_again() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let fund = hub.register("Start-up fund", ActorKind::UnEntity, "").await;
    let funding = [Modality::Funding];
    let offer = RegisterOfferRequest {
        funding_usd: Some(100),
        ..offer_request(&fund.id, &[13], &funding, Coverage::Worldwide)
    };
    let offer = seats(&hub, offer, 10).await;
    let asking = |budget: i64| SubmitNeedRequest {
        budget_usd: Some(budget),
        ..need_request(&gtm.id, &[13], &funding, &["GTM"])
    };
    let first = hub.submit(asking(80)).await;
    let committed = run(&hub, run_request(AllocationMode::Optimal, false)).await;
    assert_eq!(
        pair_set(&committed),
        BTreeSet::from([(first.id.clone(), offer.id.clone())])
    );

    let too_dear = hub.submit(asking(50)).await;
    let affordable = hub.submit(asking(20)).await;
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let later = run(&hub, run_request(mode, true)).await;
        assert_eq!(
            pair_set(&later),
            BTreeSet::from([(affordable.id.clone(), offer.id.clone())]),
            "{mode:?}: {later:?}"
        );
        let left_out: Vec<&str> = later.unmatched.iter().map(|u| u.need_id.as_str()).collect();
        assert_eq!(left_out, [too_dear.id.as_str()], "{mode:?}");
    }
}

#[tokio::test]
async fn the_need_and_provider_filters_narrow_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let world = build_world(&hub).await;

    // The need filter of a run is ListNeeds' filter: the same needs must take part.
    let filters = [
        (world.hti.id.as_str(), 0),
        (world.gtm.id.as_str(), 0),
        ("", 7),
        (world.gtm.id.as_str(), 13),
    ];
    for (requester_id, theme) in filters {
        let filter = ListNeedsRequest {
            requester_id: requester_id.into(),
            theme,
            ..Default::default()
        };
        let theirs = open_needs(&hub, filter).await;
        assert!(
            !theirs.is_empty() && theirs.len() < world.needs.len(),
            "{requester_id:?} {theme}"
        );
        let request = RunAllocationRequest {
            requester_id: requester_id.into(),
            theme,
            dry_run: true,
            ..Default::default()
        };
        let response = run(&hub, request).await;
        // assert_sound checks that the pairs and unmatched needs are exactly `theirs`.
        assert_sound(&hub, &response, &theirs, "").await;
    }

    let open = all_open_needs(&hub).await;
    let oims_offers = hub
        .all_offers(ListOffersRequest {
            provider_id: world.oim.id.clone(),
            ..Default::default()
        })
        .await;
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let request = RunAllocationRequest {
            provider_id: world.oim.id.clone(),
            ..run_request(mode, true)
        };
        let response = run(&hub, request).await;
        assert_sound(&hub, &response, &open, &world.oim.id).await;
        assert!(!response.pairs.is_empty(), "{mode:?}: OIM's seats were free");
        assert!(response.offers_considered as usize <= oims_offers.len());
    }

    let at_most = RunAllocationRequest {
        candidates_per_need: 200,
        dry_run: true,
        ..Default::default()
    };
    run(&hub, at_most.clone()).await;
    let too_many = RunAllocationRequest {
        candidates_per_need: 201,
        ..at_most
    };
    assert_status(
        hub.matches().run_allocation(too_many).await,
        Code::InvalidArgument,
        "candidates_per_need",
    );
    assert!(listed(&hub).await.is_empty());
}

/// A run over more open needs than the server's `max_needs_per_run` is refused with
/// RUN_TOO_LARGE, naming the limit and both ways on, and creates nothing; narrowed with its need
/// filter to that many, it runs; a server that takes more runs the whole world.
#[tokio::test]
async fn a_run_over_more_needs_than_the_server_takes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = TestHub::start(dir.path()).await;
    let world = build_world(&hub).await;
    let open = all_open_needs(&hub).await;
    let gtm_needs = open_needs(
        &hub,
        ListNeedsRequest {
            requester_id: world.gtm.id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(gtm_needs.len() >= 2 && gtm_needs.len() < open.len());
    hub.shutdown().await;

    let settings = HubSettings {
        max_needs_per_run: gtm_needs.len(),
        ..HubSettings::default()
    };
    let mut hub = TestHub::start_with(dir.path(), settings).await;
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        for dry_run in [true, false] {
            let refused = hub.matches().run_allocation(run_request(mode, dry_run)).await;
            let status = refused.expect_err("a run over more needs than the server takes");
            assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
            assert_eq!(reason_of(&status), "RUN_TOO_LARGE");
            let words = status.message();
            assert!(
                words.contains(&format!("more than {} open needs", gtm_needs.len())),
                "{words}"
            );
            assert!(
                words.contains("--max-needs-per-run") && words.contains("need filter"),
                "{words}"
            );
        }
    }
    assert!(listed(&hub).await.is_empty(), "a refused run proposes nothing");
    let theirs = RunAllocationRequest {
        requester_id: world.gtm.id.clone(),
        ..run_request(AllocationMode::Stable, true)
    };
    let response = run(&hub, theirs).await;
    assert_sound(&hub, &response, &gtm_needs, "").await;
    assert!(!response.pairs.is_empty());
    // A restart opens the hub with the settings it had: the limit still holds.
    hub.restart().await;
    let refused = hub
        .matches()
        .run_allocation(run_request(AllocationMode::Stable, true))
        .await;
    let status = refused.expect_err("the limit holds after a restart");
    assert_eq!(reason_of(&status), "RUN_TOO_LARGE", "{status:?}");
    hub.shutdown().await;

    let settings = HubSettings {
        max_needs_per_run: open.len(),
        ..HubSettings::default()
    };
    let hub = TestHub::start_with(dir.path(), settings).await;
    let response = run(&hub, run_request(AllocationMode::Stable, true)).await;
    assert_sound(&hub, &response, &open, "").await;
}

/// tests/authorization.rs covers every call; here only that a commit by anyone else creates nothing.
#[tokio::test]
async fn only_the_admin_may_run_an_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let world = build_world(&hub).await;
    let token = hub
        .register_with(RegisterActorRequest {
            name: "Honduras".into(),
            kind: ActorKind::NationalGovernment as i32,
            country: "HND".into(),
            ..Default::default()
        })
        .await
        .api_token;
    let mut actor = MatchServiceClient::new(InterceptedService::new(hub.channel(), Bearer::new(&token)));
    let mut anonymous = MatchServiceClient::new(hub.channel());
    let commit = || RunAllocationRequest {
        requester_id: world.gtm.id.clone(),
        ..Default::default()
    };
    assert_status(actor.run_allocation(commit()).await, Code::PermissionDenied, "admin");
    let status = anonymous.run_allocation(commit()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(listed(&hub).await.is_empty());
}

#[tokio::test]
async fn proposed_matches_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = TestHub::start(dir.path()).await;
    build_world(&hub).await;
    let committed = run(&hub, run_request(AllocationMode::Stable, false)).await;
    assert!(!committed.match_ids.is_empty());

    hub.restart().await;
    let matches = listed(&hub).await;
    let ids: BTreeSet<&str> = matches.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, committed.match_ids.iter().map(String::as_str).collect());
    for record in &matches {
        assert_eq!(record.status, MatchStatus::Proposed as i32, "{record:?}");
    }
    assert_eq!(match_pairs(&matches), pair_set(&committed));
    // The restarted hub still knows they are live: committing again proposes nothing new.
    let again = run(&hub, run_request(AllocationMode::Stable, false)).await;
    assert!(again.match_ids.is_empty(), "{again:?}");
    assert_eq!(listed(&hub).await.len(), matches.len());
}
