//! Outcomes teach the hub: a provider whose engagement was rated 5 rises in FindMatches for a
//! similar need, one rated 1 falls; capacity comes back and the need is settled.

mod common;

use common::*;

struct Twins {
    hub: TestHub,
    _dir: tempfile::TempDir,
    first: Actor,
    second: Actor,
    first_offer: Offer,
    second_offer: Offer,
    /// A requester with no partnerships, so only track records tell the twins apart.
    other: Actor,
}

/// Two providers with identical offers; ties go to the lower id, so `first` ranks first.
async fn twins() -> Twins {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let first = hub
        .register("Government of Portugal", ActorKind::NationalGovernment, "PRT")
        .await;
    let second = hub
        .register("City of São Paulo", ActorKind::LocalAuthority, "BRA")
        .await;
    let other = hub.register("State of Roraima", ActorKind::LocalAuthority, "BRA").await;
    let offer =
        |provider: &Actor| offer_request(&provider.id, &[15, 16], &[Modality::PeerExchange], Coverage::Worldwide);
    let first_offer = hub.offer(offer(&first)).await;
    let second_offer = hub.offer(offer(&second)).await;
    Twins {
        hub,
        _dir: dir,
        first,
        second,
        first_offer,
        second_offer,
        other,
    }
}

async fn ranking(twins: &Twins) -> Vec<String> {
    let need = twins
        .hub
        .submit(need_request(&twins.other.id, &[15, 16], &[Modality::PeerExchange], &[]))
        .await;
    offer_ids(&twins.hub.find_matches(&need.id).await)
}

async fn complete(twins: &Twins, provider: &Actor, offer: &Offer, rating: u32) -> Match {
    let requester = twins
        .hub
        .register("Government of Sierra Leone", ActorKind::NationalGovernment, "SLE")
        .await;
    let need = twins
        .hub
        .submit(need_request(&requester.id, &[15], &[Modality::PeerExchange], &[]))
        .await;
    let proposed = twins.hub.propose(&need.id, &offer.id).await;
    twins.hub.respond(&proposed.id, &requester.id, true).await;
    twins.hub.respond(&proposed.id, &provider.id, true).await;
    let report = CompleteMatchRequest {
        match_id: proposed.id.clone(),
        actor_id: requester.id.clone(),
        rating,
        mgi_dimensions: vec![MgiDimension::WellbeingOfMigrants as i32],
        lessons_learned: "Peer visits worked; interpreters were short.".into(),
    };
    let completed = twins.hub.matches().complete_match(report).await.unwrap().into_inner();
    assert_eq!(completed.status, MatchStatus::Completed as i32);
    let settled = twins
        .hub
        .needs()
        .get_need(GetNeedRequest { id: need.id })
        .await
        .unwrap()
        .into_inner();
    let expected = if rating >= 3 {
        NeedStatus::Fulfilled
    } else {
        NeedStatus::Open
    };
    assert_eq!(settled.status, expected as i32, "a rating of {rating} settles the need");
    completed
}

#[tokio::test]
async fn a_rating_of_five_lifts_the_provider() {
    let twins = twins().await;
    assert_eq!(
        ranking(&twins).await,
        [twins.first_offer.id.clone(), twins.second_offer.id.clone()]
    );
    complete(&twins, &twins.second, &twins.second_offer, 5).await;
    assert_eq!(
        ranking(&twins).await,
        [twins.second_offer.id.clone(), twins.first_offer.id.clone()]
    );
    let offer = twins
        .hub
        .offers()
        .get_offer(GetOfferRequest {
            id: twins.second_offer.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        offer.into_inner().remaining_capacity,
        5,
        "the engagement's capacity came back"
    );
}

#[tokio::test]
async fn a_rating_of_one_lowers_the_provider_and_the_pair_trust() {
    let twins = twins().await;
    let completed = complete(&twins, &twins.first, &twins.first_offer, 1).await;
    assert_eq!(
        ranking(&twins).await,
        [twins.second_offer.id.clone(), twins.first_offer.id.clone()]
    );
    let outcome = completed.outcome.expect("the outcome is kept, failures too");
    assert_eq!((outcome.rating, outcome.lessons_learned.is_empty()), (1, false));
    let partnerships = twins
        .hub
        .all_partnerships(ListPartnershipsRequest {
            actor_id: twins.first.id.clone(),
            ..Default::default()
        })
        .await;
    let collaboration = partnerships
        .iter()
        .find(|p| p.kind == PartnershipKind::PastCollaboration as i32)
        .expect("a completed engagement becomes a past collaboration");
    assert!(
        collaboration.trust < 0.5,
        "a failed engagement earns little trust: {}",
        collaboration.trust
    );
}
