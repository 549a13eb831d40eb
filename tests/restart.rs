//! Durability across a restart: a new server on the same data directory finds every record, the
//! partnership graph rebuilt, and ranks exactly as before.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_and_the_ranking_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = TestHub::start(dir.path()).await;

    let guatemala = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let senegal = hub.register("Senegal", ActorKind::NationalGovernment, "SEN").await;
    let iom = hub.register("IOM", ActorKind::UnEntity, "").await;
    let process = hub
        .register("Regional Conference on Migration", ActorKind::RegionalProcess, "")
        .await;
    let costa_rica = hub.register("Costa Rica", ActorKind::NationalGovernment, "CRI").await;
    let academia = hub.register("FLACSO", ActorKind::Academia, "MEX").await;
    let actors = [&guatemala, &senegal, &iom, &process, &costa_rica, &academia];

    let partnerships = vec![
        hub.partner(&guatemala.id, &iom.id, PartnershipKind::JointProgramme, 0.9)
            .await,
        hub.partner(
            &guatemala.id,
            &process.id,
            PartnershipKind::RegionalProcessMembership,
            0.8,
        )
        .await,
        hub.partner(
            &costa_rica.id,
            &process.id,
            PartnershipKind::RegionalProcessMembership,
            0.7,
        )
        .await,
        hub.partner(&senegal.id, &iom.id, PartnershipKind::Memorandum, 0.6)
            .await,
    ];

    let mut detention = need_request(
        &guatemala.id,
        &[13, 7],
        &[Modality::TechnicalAdvice, Modality::Training],
        &[],
    );
    detention.budget_usd = Some(25_000);
    detention.urgency = Urgency::High as i32;
    let detention = hub.submit(detention).await;
    let diaspora = hub
        .submit(need_request(&senegal.id, &[19], &[Modality::PeerExchange], &["SEN"]))
        .await;
    let needs = [&detention, &diaspora];

    let ta = [Modality::TechnicalAdvice];
    let offers = vec![
        hub.offer(offer_request(&iom.id, &[13, 7], &ta, Coverage::Worldwide))
            .await,
        hub.offer(offer_request(
            &costa_rica.id,
            &[13],
            &[Modality::Training],
            Coverage::Regions(vec!["central_america"]),
        ))
        .await,
        hub.offer(offer_request(
            &academia.id,
            &[7],
            &ta,
            Coverage::Countries(vec!["GTM", "HND"]),
        ))
        .await,
        hub.offer(offer_request(
            &iom.id,
            &[19],
            &[Modality::PeerExchange],
            Coverage::Regions(vec!["africa"]),
        ))
        .await,
    ];

    // A confirmed match on the Costa Rican offer, and one still waiting for the provider.
    let confirmed = hub.propose(&detention.id, &offers[1].id).await;
    hub.respond(&confirmed.id, &guatemala.id, true).await;
    let confirmed = hub.respond(&confirmed.id, &costa_rica.id, true).await;
    assert_eq!(confirmed.status(), MatchStatus::Confirmed);
    let pending = hub.propose(&diaspora.id, &offers[3].id).await;
    let pending = hub.respond(&pending.id, &senegal.id, true).await;
    assert_eq!(pending.status(), MatchStatus::AcceptedByRequester);

    let before = Snapshot::take(&hub, &actors, &needs, &offers, &partnerships, &[&confirmed, &pending]).await;
    assert_eq!(before.counts.actors, 6);
    assert_eq!(before.counts.partnerships, 4);
    assert_eq!(before.counts.matches, 2);
    assert_eq!(
        before.remaining_on_confirmed_offer, 4,
        "the confirmed match took one of 5"
    );
    assert!(
        !before.rankings[0].is_empty() && !before.rankings[1].is_empty(),
        "both needs have candidates: {:?}",
        before.rankings
    );

    hub.restart().await;
    let after = Snapshot::take(&hub, &actors, &needs, &offers, &partnerships, &[&confirmed, &pending]).await;

    assert_eq!(after.counts, before.counts);
    assert_eq!(after.actors, before.actors);
    assert_eq!(after.needs, before.needs);
    assert_eq!(after.offers, before.offers);
    assert_eq!(after.partnerships, before.partnerships);
    assert_eq!(after.matches, before.matches);
    assert_eq!(after.remaining_on_confirmed_offer, before.remaining_on_confirmed_offer);
    for (old, new) in before.rankings.iter().zip(&after.rankings) {
        assert_eq!(offer_ids(new), offer_ids(old));
        for (a, b) in old.iter().zip(new) {
            assert_eq!(a.score, b.score, "score of {:?}", a.offer.as_ref().map(|o| &o.id));
            assert_eq!(a.explanation, b.explanation);
        }
    }

    // The restarted hub goes on: the pending match can be confirmed, and new ids do not collide.
    let finished = hub.respond(&pending.id, &iom.id, true).await;
    assert_eq!(finished.status(), MatchStatus::Confirmed);
    let newcomer = hub.register("Honduras", ActorKind::NationalGovernment, "HND").await;
    assert!(
        actors.iter().all(|a| a.id != newcomer.id),
        "id {} reused after restart",
        newcomer.id
    );
    assert_eq!(hub.counts().await.actors, 7);

    // The partnerships change after a start: the graph kept for the next one no longer holds.
    // A partnership taken away and another added; the ranking, paths included, is again the same
    // after a restart, and it is the changed graph's.
    let first_ranking = hub.find_matches(&detention.id).await;
    let kept_graph = || std::fs::read(dir.path().join("partnership-graph")).expect("the graph is kept");
    let kept_before = kept_graph();
    hub.partnerships()
        .remove_partnership(RemovePartnershipRequest {
            id: partnerships[1].id.clone(),
        })
        .await
        .expect("RemovePartnership succeeds");
    hub.partner(&guatemala.id, &academia.id, PartnershipKind::Memorandum, 0.5)
        .await;
    let changed = hub.find_matches(&detention.id).await;
    assert_ne!(
        changed.iter().map(|c| &c.explanation).collect::<Vec<_>>(),
        first_ranking.iter().map(|c| &c.explanation).collect::<Vec<_>>(),
        "the change shows in the paths explained"
    );
    hub.shutdown().await;
    assert_ne!(
        kept_graph(),
        kept_before,
        "the server keeps the changed graph as it stops"
    );
    hub = TestHub::start(dir.path()).await;
    let restarted = hub.find_matches(&detention.id).await;
    assert_eq!(offer_ids(&restarted), offer_ids(&changed));
    for (a, b) in changed.iter().zip(&restarted) {
        assert_eq!(a.score, b.score);
        assert_eq!(a.explanation, b.explanation);
    }
}

/// Everything a client can see of the records, read by Get and by List.
struct Snapshot {
    counts: Counts,
    actors: (Vec<Actor>, Vec<Actor>),
    needs: (Vec<Need>, Vec<Need>),
    offers: (Vec<Offer>, Vec<Offer>),
    partnerships: (Vec<Partnership>, Vec<Partnership>),
    matches: (Vec<Match>, Vec<Match>),
    remaining_on_confirmed_offer: u32,
    rankings: Vec<Vec<MatchCandidate>>,
}

impl Snapshot {
    async fn take(
        hub: &TestHub,
        actors: &[&Actor],
        needs: &[&Need],
        offers: &[Offer],
        partnerships: &[Partnership],
        matches: &[&Match],
    ) -> Snapshot {
        let mut got_actors = Vec::new();
        for actor in actors {
            let got = hub
                .actors()
                .get_actor(GetActorRequest { id: actor.id.clone() })
                .await
                .unwrap_or_else(|s| panic!("GetActor {}: {s:?}", actor.id))
                .into_inner();
            assert_eq!(got.name, actor.name);
            assert_eq!(got.country, actor.country);
            got_actors.push(got);
        }
        let mut got_needs = Vec::new();
        for need in needs {
            let got = hub
                .needs()
                .get_need(GetNeedRequest { id: need.id.clone() })
                .await
                .unwrap_or_else(|s| panic!("GetNeed {}: {s:?}", need.id))
                .into_inner();
            assert_eq!(
                (&got.title, &got.themes, &got.countries),
                (&need.title, &need.themes, &need.countries)
            );
            assert_eq!(got.budget_usd, need.budget_usd);
            got_needs.push(got);
        }
        let mut got_offers = Vec::new();
        for offer in offers {
            let got = hub
                .offers()
                .get_offer(GetOfferRequest { id: offer.id.clone() })
                .await
                .unwrap_or_else(|s| panic!("GetOffer {}: {s:?}", offer.id))
                .into_inner();
            assert_eq!(
                (&got.title, &got.themes, &got.capacity),
                (&offer.title, &offer.themes, &offer.capacity)
            );
            got_offers.push(got);
        }
        let mut got_matches = Vec::new();
        for m in matches {
            let got = hub
                .matches()
                .get_match(GetMatchRequest { id: m.id.clone() })
                .await
                .unwrap_or_else(|s| panic!("GetMatch {}: {s:?}", m.id))
                .into_inner();
            assert_eq!((&got.need_id, &got.offer_id), (&m.need_id, &m.offer_id));
            got_matches.push(got);
        }
        let mut listed_partnerships = hub.all_partnerships(ListPartnershipsRequest::default()).await;
        listed_partnerships.sort_by(|a, b| a.id.cmp(&b.id));
        let mut added: Vec<Partnership> = partnerships.to_vec();
        added.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(
            listed_partnerships.iter().map(|p| &p.id).collect::<Vec<_>>(),
            added.iter().map(|p| &p.id).collect::<Vec<_>>()
        );
        for (listed, made) in listed_partnerships.iter().zip(&added) {
            assert_eq!((listed.trust, listed.kind), (made.trust, made.kind));
        }
        let confirmed_offer = got_matches
            .iter()
            .find(|m| m.status() == MatchStatus::Confirmed)
            .map(|m| m.offer_id.clone())
            .expect("a confirmed match");
        let remaining = got_offers
            .iter()
            .find(|o| o.id == confirmed_offer)
            .expect("the confirmed match's offer")
            .remaining_capacity;
        let mut rankings = Vec::new();
        for need in needs {
            rankings.push(hub.find_matches(&need.id).await);
        }
        Snapshot {
            counts: hub.counts().await,
            actors: (
                got_actors,
                sorted(hub.all_actors(ListActorsRequest::default()).await, |a| &a.id),
            ),
            needs: (
                got_needs,
                sorted(hub.all_needs(ListNeedsRequest::default()).await, |n| &n.id),
            ),
            offers: (
                got_offers,
                sorted(hub.all_offers(ListOffersRequest::default()).await, |o| &o.id),
            ),
            partnerships: (added, listed_partnerships),
            matches: (
                got_matches,
                sorted(hub.all_matches(ListMatchesRequest::default()).await, |m| &m.id),
            ),
            remaining_on_confirmed_offer: remaining,
            rankings,
        }
    }
}

fn sorted<T>(mut items: Vec<T>, key: impl Fn(&T) -> &String) -> Vec<T> {
    items.sort_by(|a, b| key(a).cmp(key(b)));
    items
}

/// An export of the graph says the same before and after a restart: an actor whose partnerships
/// all ended is left out of the whole graph both times (the graph rebuilt at open has no node for
/// it), and an export around it holds it alone both times.
#[tokio::test]
async fn the_exported_graph_is_the_same_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = TestHub::start(dir.path()).await;
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let hti = hub.register("Haiti", ActorKind::NationalGovernment, "HTI").await;
    hub.partner(&gtm.id, &alianza.id, PartnershipKind::BilateralAgreement, 0.8)
        .await;
    let ended = hub
        .partner(&alianza.id, &hti.id, PartnershipKind::Memorandum, 0.5)
        .await;
    hub.partnerships()
        .remove_partnership(RemovePartnershipRequest { id: ended.id })
        .await
        .expect("RemovePartnership succeeds");
    let export = |around: &str| ExportGraphRequest {
        format: GraphFormat::Json as i32,
        around_actor_id: around.to_owned(),
        depth: 2,
    };
    let exports = |hub: &TestHub| {
        let mut client = hub.partnerships();
        let (whole, alone) = (export(""), export(&hti.id));
        async move {
            let whole = client.export_graph(whole).await.expect("ExportGraph").into_inner();
            let alone = client.export_graph(alone).await.expect("ExportGraph").into_inner();
            (whole, alone)
        }
    };
    let (whole, alone) = exports(&hub).await;
    assert_eq!((whole.actors, whole.partnerships), (2, 1), "{whole:?}");
    assert!(!whole.content.contains(&hti.id), "{}", whole.content);
    assert_eq!((alone.actors, alone.partnerships), (1, 0), "{alone:?}");
    assert!(alone.content.contains(&hti.id), "{}", alone.content);

    hub.restart().await;
    let (whole_after, alone_after) = exports(&hub).await;
    assert_eq!(whole_after, whole);
    assert_eq!(alone_after, alone);
}
