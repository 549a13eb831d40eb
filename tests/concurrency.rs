//! Capacity under contention: twenty providers' acceptances race for an offer with three units,
//! each on its own client; exactly three confirm and the offer is never over-booked.

mod common;

use std::collections::BTreeSet;

use common::*;
use tonic::Code;

const CAPACITY: u32 = 3;
const REQUESTERS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_acceptances_race_for_three_units() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let provider = hub.register("IOM", ActorKind::UnEntity, "").await;
    let offer = hub
        .offer(RegisterOfferRequest {
            capacity: CAPACITY,
            ..offer_request(&provider.id, &[13], &[Modality::TechnicalAdvice], Coverage::Worldwide)
        })
        .await;
    assert_eq!((offer.capacity, offer.remaining_capacity), (CAPACITY, CAPACITY));

    // Twenty requesters, each with a need, a proposed match and its own acceptance. Set up
    // concurrently too: the hub must take concurrent writers.
    let countries = ["GTM", "SLV", "HND", "MEX", "SEN", "GHA", "NGA", "PHL", "BGD", "ECU"];
    let mut setup = tokio::task::JoinSet::new();
    for i in 0..REQUESTERS {
        let mut actors = hub.actors();
        let mut needs = hub.needs();
        let mut matches = hub.matches();
        let offer_id = offer.id.clone();
        let country = countries[i % countries.len()];
        setup.spawn(async move {
            let requester = actors
                .register_actor(RegisterActorRequest {
                    name: format!("Requester {i}"),
                    kind: ActorKind::NationalGovernment as i32,
                    country: country.into(),
                    languages: vec!["es".into()],
                    ..Default::default()
                })
                .await
                .expect("RegisterActor")
                .into_inner()
                .actor
                .unwrap();
            let need = needs
                .submit_need(need_request(&requester.id, &[13], &[Modality::TechnicalAdvice], &[]))
                .await
                .expect("SubmitNeed")
                .into_inner();
            let proposed = matches
                .propose_match(ProposeMatchRequest {
                    need_id: need.id.clone(),
                    offer_id,
                    ..Default::default()
                })
                .await
                .expect("ProposeMatch")
                .into_inner();
            assert_eq!(proposed.status(), MatchStatus::Proposed);
            let accepted = matches
                .respond_to_match(respond_request(&proposed.id, &requester.id, true))
                .await
                .expect("the requester accepts")
                .into_inner();
            assert_eq!(accepted.status(), MatchStatus::AcceptedByRequester);
            accepted.id
        });
    }
    let match_ids: Vec<String> = setup.join_all().await;
    assert_eq!(match_ids.iter().collect::<BTreeSet<_>>().len(), REQUESTERS);
    let unchanged = hub
        .offers()
        .get_offer(GetOfferRequest { id: offer.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        unchanged.remaining_capacity, CAPACITY,
        "acceptance by one side reserves nothing"
    );

    // The race: every provider acceptance at once, each on its own client.
    let mut race = tokio::task::JoinSet::new();
    for match_id in &match_ids {
        let mut client = hub.matches();
        let request = respond_request(match_id, &provider.id, true);
        let match_id = match_id.clone();
        race.spawn(async move { (match_id, client.respond_to_match(request).await.map(|r| r.into_inner())) });
    }
    let mut confirmed = BTreeSet::new();
    let mut refused = 0;
    for (match_id, outcome) in race.join_all().await {
        match outcome {
            Ok(m) => {
                assert_eq!(m.id, match_id);
                assert_eq!(m.status(), MatchStatus::Confirmed, "{match_id}");
                confirmed.insert(match_id);
            }
            Err(status) => {
                assert_eq!(
                    status.code(),
                    Code::FailedPrecondition,
                    "{match_id}: {:?} {}",
                    status.code(),
                    status.message()
                );
                refused += 1;
            }
        }
    }
    assert_eq!(confirmed.len(), CAPACITY as usize, "confirmed: {confirmed:?}");
    assert_eq!(refused, REQUESTERS - CAPACITY as usize);

    let exhausted = hub
        .offers()
        .get_offer(GetOfferRequest { id: offer.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exhausted.remaining_capacity, 0);
    assert_eq!(exhausted.status(), OfferStatus::Exhausted);

    let listed: BTreeSet<String> = hub
        .all_matches(ListMatchesRequest {
            status: MatchStatus::Confirmed as i32,
            ..Default::default()
        })
        .await
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(listed, confirmed, "ListMatches(CONFIRMED) shows exactly the winners");
    let for_offer = hub
        .all_matches(ListMatchesRequest {
            offer_id: offer.id.clone(),
            ..Default::default()
        })
        .await;
    assert_eq!(for_offer.len(), REQUESTERS);
    for m in &for_offer {
        let status = m.status();
        if confirmed.contains(&m.id) {
            assert_eq!(status, MatchStatus::Confirmed);
        } else {
            assert_ne!(status, MatchStatus::Confirmed, "{} confirmed without a unit", m.id);
        }
    }

    // An exhausted offer is no longer a candidate, and a late confirmation is still refused.
    let latecomer = hub.register("Latecomer", ActorKind::NationalGovernment, "PER").await;
    let late_need = hub
        .submit(need_request(&latecomer.id, &[13], &[Modality::TechnicalAdvice], &[]))
        .await;
    assert!(
        !offer_ids(&hub.find_matches(&late_need.id).await).contains(&offer.id),
        "an exhausted offer was returned"
    );
    let loser = match_ids.iter().find(|id| !confirmed.contains(*id)).unwrap();
    let status = assert_status(
        hub.matches()
            .respond_to_match(respond_request(loser, &provider.id, true))
            .await,
        Code::FailedPrecondition,
        "",
    );
    assert_eq!(reason_of(&status), "OFFER_EXHAUSTED", "{}", status.message());
    let still = hub
        .offers()
        .get_offer(GetOfferRequest { id: offer.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.remaining_capacity, 0);
}
