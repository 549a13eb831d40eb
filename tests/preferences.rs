//! MatchService.SetPreference over gRPC: a pair either party declined leaves FindMatches,
//! FindBundles, ProposeMatch (FAILED_PRECONDITION naming the mark) and both allocation modes, and
//! comes back when the mark is cleared; a provider's PREFERRED mark changes a STABLE allocation;
//! a repeat changes nothing; bad requests are refused naming the field.

mod common;

use common::*;
use tonic::Code;

/// Two requesters with one need each (objective 13, technical advice) and two providers with one
/// seat each. Both requesters are direct partners of the first provider, so both needs rank its
/// offer first; the second need is urgent, so by value the first offer goes to it.
struct World {
    gtm: Actor,
    alianza: Actor,
    needs: [Need; 2],
    offers: [Offer; 2],
}

async fn build_world(hub: &TestHub) -> World {
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let hnd = hub.register("Honduras", ActorKind::NationalGovernment, "HND").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let oim = hub.register("OIM", ActorKind::UnEntity, "").await;
    hub.partner(&gtm.id, &alianza.id, PartnershipKind::BilateralAgreement, 0.9)
        .await;
    hub.partner(&hnd.id, &alianza.id, PartnershipKind::BilateralAgreement, 0.9)
        .await;
    let advice = [Modality::TechnicalAdvice];
    let mut offers = Vec::new();
    for provider in [&alianza, &oim] {
        let request = offer_request(&provider.id, &[13], &advice, Coverage::Worldwide);
        offers.push(hub.offer(RegisterOfferRequest { capacity: 1, ..request }).await);
    }
    let first = hub.submit(need_request(&gtm.id, &[13], &advice, &["GTM"])).await;
    let second = hub
        .submit(SubmitNeedRequest {
            urgency: Urgency::Critical as i32,
            ..need_request(&hnd.id, &[13], &advice, &["HND"])
        })
        .await;
    World {
        gtm,
        alianza,
        needs: [first, second],
        offers: [offers[0].clone(), offers[1].clone()],
    }
}

fn mark(need: &Need, offer: &Offer, actor: &Actor, preference: Preference, reason: &str) -> SetPreferenceRequest {
    SetPreferenceRequest {
        need_id: need.id.clone(),
        offer_id: offer.id.clone(),
        actor_id: actor.id.clone(),
        preference: preference as i32,
        reason: reason.into(),
    }
}

async fn set(hub: &TestHub, request: SetPreferenceRequest) -> PairPreference {
    hub.matches()
        .set_preference(request.clone())
        .await
        .unwrap_or_else(|status| panic!("SetPreference({request:?}) failed: {status:?}"))
        .into_inner()
}

async fn dry_run(hub: &TestHub, mode: AllocationMode) -> RunAllocationResponse {
    let request = RunAllocationRequest {
        mode: mode as i32,
        dry_run: true,
        ..Default::default()
    };
    hub.matches()
        .run_allocation(request)
        .await
        .expect("RunAllocation")
        .into_inner()
}

fn pairs(response: &RunAllocationResponse) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = response
        .pairs
        .iter()
        .map(|pair| (pair.need_id.clone(), pair.offer_id.clone()))
        .collect();
    pairs.sort();
    pairs
}

async fn bundle_offers(hub: &TestHub, need: &Need) -> Vec<String> {
    let request = FindBundlesRequest {
        need_id: need.id.clone(),
        max_bundles: 10,
    };
    let bundles = hub
        .matches()
        .find_bundles(request)
        .await
        .expect("FindBundles")
        .into_inner()
        .bundles;
    bundles
        .iter()
        .flat_map(|bundle| &bundle.members)
        .filter_map(|member| member.offer.as_ref().map(|offer| offer.id.clone()))
        .collect()
}

fn candidate_ids(candidates: &[MatchCandidate]) -> Vec<String> {
    candidates
        .iter()
        .filter_map(|candidate| candidate.offer.as_ref().map(|offer| offer.id.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_pair_is_never_ranked_proposed_or_allocated_until_the_mark_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let world = build_world(&hub).await;
    let (need, offer) = (&world.needs[0], &world.offers[0]);
    assert!(candidate_ids(&hub.find_matches(&need.id).await).contains(&offer.id));
    assert!(bundle_offers(&hub, need).await.contains(&offer.id));

    let kept = set(
        &hub,
        mark(need, offer, &world.alianza, Preference::Declined, "no staff in March"),
    )
    .await;
    assert_eq!(kept.preference, Preference::Declined as i32);
    assert_eq!(kept.reason, "no staff in March");
    assert!(kept.set_at.is_some());
    // A repeat changes nothing: the mark keeps its time.
    let again = set(
        &hub,
        mark(need, offer, &world.alianza, Preference::Declined, "no staff in March"),
    )
    .await;
    assert_eq!(again, kept);

    assert!(!candidate_ids(&hub.find_matches(&need.id).await).contains(&offer.id));
    assert!(!bundle_offers(&hub, need).await.contains(&offer.id));
    let proposed = hub
        .matches()
        .propose_match(ProposeMatchRequest {
            need_id: need.id.clone(),
            offer_id: offer.id.clone(),
            ..Default::default()
        })
        .await;
    let refusal = format!("the provider declined {} for {}: no staff in March", need.id, offer.id);
    let status = assert_status(proposed, Code::FailedPrecondition, &refusal);
    assert_eq!(reason_of(&status), "PAIR_DECLINED");
    let declined = (need.id.clone(), offer.id.clone());
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let run = dry_run(&hub, mode).await;
        assert!(!pairs(&run).contains(&declined), "{mode:?}: {:?}", pairs(&run));
        assert!(!run.pairs.is_empty(), "{mode:?}: the other pairs are still allocated");
    }

    let cleared = set(&hub, mark(need, offer, &world.alianza, Preference::None, "")).await;
    assert_eq!(cleared.preference, Preference::None as i32);
    assert!(candidate_ids(&hub.find_matches(&need.id).await).contains(&offer.id));
    assert!(bundle_offers(&hub, need).await.contains(&offer.id));

    // The requester may decline too, and for OPTIMAL the pair is then no candidate either.
    set(&hub, mark(need, offer, &world.gtm, Preference::Declined, "")).await;
    assert!(!candidate_ids(&hub.find_matches(&need.id).await).contains(&offer.id));
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        assert!(!pairs(&dry_run(&hub, mode).await).contains(&declined), "{mode:?}");
    }
    set(&hub, mark(need, offer, &world.gtm, Preference::None, "")).await;
    hub.propose(&need.id, &offer.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_preferred_mark_changes_the_stable_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let world = build_world(&hub).await;
    let [first, second] = &world.needs;
    let [scarce, other] = &world.offers;
    let before = dry_run(&hub, AllocationMode::Stable).await;
    assert_eq!(
        pairs(&before),
        vec![
            (first.id.clone(), other.id.clone()),
            (second.id.clone(), scarce.id.clone())
        ],
        "by value the urgent need takes the scarce offer"
    );
    set(
        &hub,
        mark(
            first,
            scarce,
            &world.alianza,
            Preference::Preferred,
            "we know this ministry",
        ),
    )
    .await;
    let after = dry_run(&hub, AllocationMode::Stable).await;
    assert_eq!(
        pairs(&after),
        vec![
            (first.id.clone(), scarce.id.clone()),
            (second.id.clone(), other.id.clone())
        ]
    );
    assert_eq!(after.blocking_pairs, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_preferences_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let world = build_world(&hub).await;
    let (need, offer) = (&world.needs[0], &world.offers[0]);
    let good = mark(need, offer, &world.gtm, Preference::Declined, "");
    let refused = |request: SetPreferenceRequest| {
        let mut client = hub.matches();
        async move { client.set_preference(request).await }
    };
    let unknown_need = SetPreferenceRequest {
        need_id: "need-999999".into(),
        ..good.clone()
    };
    assert_status(refused(unknown_need).await, Code::NotFound, "need_id");
    let unknown_offer = SetPreferenceRequest {
        offer_id: "offer-999999".into(),
        ..good.clone()
    };
    assert_status(refused(unknown_offer).await, Code::NotFound, "offer_id");
    let unspecified = SetPreferenceRequest {
        preference: Preference::Unspecified as i32,
        ..good.clone()
    };
    assert_status(refused(unspecified).await, Code::InvalidArgument, "preference");
    let too_long = SetPreferenceRequest {
        reason: "x".repeat(501),
        ..good.clone()
    };
    assert_status(refused(too_long).await, Code::InvalidArgument, "reason");
    // The admin acting for an actor who is no party; then that actor with its own token.
    let stranger = hub
        .register_with(RegisterActorRequest {
            name: "Stranger".into(),
            kind: ActorKind::CivilSociety as i32,
            country: "PAN".into(),
            ..Default::default()
        })
        .await;
    let stranger_id = stranger.actor.clone().expect("an actor").id;
    let not_a_party = SetPreferenceRequest {
        actor_id: stranger_id.clone(),
        ..good.clone()
    };
    assert_status(refused(not_a_party.clone()).await, Code::InvalidArgument, "actor_id");
    let own_token = MatchServiceClient::new(hub.channel_as(&stranger.api_token))
        .set_preference(not_a_party)
        .await;
    assert_status(own_token, Code::PermissionDenied, &stranger_id);
    // Nothing was kept by the refusals.
    assert!(candidate_ids(&hub.find_matches(&need.id).await).contains(&offer.id));
}
