//! Create calls retried with the same request_id create one record (AIP-155), and List calls page
//! through everything exactly once, filters included (AIP-158).

mod common;

use std::collections::{BTreeSet, HashSet};

use common::*;

#[tokio::test]
async fn retried_creates_return_the_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;

    let actor_request = RegisterActorRequest {
        name: "Guatemala".into(),
        kind: ActorKind::NationalGovernment as i32,
        country: "GTM".into(),
        languages: vec!["es".into()],
        request_id: "register-guatemala".into(),
        ..Default::default()
    };
    let first = hub.register_with(actor_request.clone()).await.actor.unwrap();
    let again = hub.register_with(actor_request.clone()).await.actor.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.name, first.name);
    // A different request_id is a different registration.
    let other = hub
        .register_with(RegisterActorRequest {
            request_id: "register-guatemala-2".into(),
            ..actor_request
        })
        .await
        .actor
        .unwrap();
    assert_ne!(other.id, first.id);
    let provider = hub.register("IOM", ActorKind::UnEntity, "").await;
    assert_eq!(hub.counts().await.actors, 3);

    let need_request = SubmitNeedRequest {
        request_id: "need-detention".into(),
        ..need_request(&first.id, &[13], &[Modality::TechnicalAdvice], &["GTM"])
    };
    let need = hub.submit(need_request.clone()).await;
    assert_eq!(hub.submit(need_request.clone()).await.id, need.id);
    assert_eq!(hub.submit(need_request).await.id, need.id);
    assert_eq!(hub.counts().await.needs, 1);

    let offer_request = RegisterOfferRequest {
        request_id: "offer-atd".into(),
        ..offer_request(&provider.id, &[13], &[Modality::TechnicalAdvice], Coverage::Worldwide)
    };
    let offer = hub.offer(offer_request.clone()).await;
    assert_eq!(hub.offer(offer_request).await.id, offer.id);
    assert_eq!(hub.counts().await.offers, 1);

    let partnership_request = AddPartnershipRequest {
        actor_a: first.id.clone(),
        actor_b: provider.id.clone(),
        kind: PartnershipKind::JointProgramme as i32,
        trust: 0.8,
        request_id: "partnership-gtm-iom".into(),
        ..Default::default()
    };
    let mut partnerships = hub.partnerships();
    let partnership = partnerships
        .add_partnership(partnership_request.clone())
        .await
        .unwrap()
        .into_inner();
    let retried = partnerships
        .add_partnership(partnership_request)
        .await
        .expect("a retry is not a duplicate partnership")
        .into_inner();
    assert_eq!(retried.id, partnership.id);
    assert_eq!(hub.counts().await.partnerships, 1);

    let propose_request = ProposeMatchRequest {
        need_id: need.id.clone(),
        offer_id: offer.id.clone(),
        request_id: "propose-1".into(),
    };
    let mut matches = hub.matches();
    let proposed = matches
        .propose_match(propose_request.clone())
        .await
        .unwrap()
        .into_inner();
    let retried = matches
        .propose_match(propose_request)
        .await
        .expect("a retry is not a second live match")
        .into_inner();
    assert_eq!(retried.id, proposed.id);
    assert_eq!(retried.status(), MatchStatus::Proposed);
    // Without the request_id, the same pair is a second live match.
    let status = assert_status(
        matches
            .propose_match(ProposeMatchRequest {
                need_id: need.id.clone(),
                offer_id: offer.id.clone(),
                request_id: String::new(),
            })
            .await,
        tonic::Code::AlreadyExists,
        &proposed.id,
    );
    assert_eq!(reason_of(&status), "MATCH_ALREADY_LIVE");

    assert_eq!(
        hub.counts().await,
        Counts {
            actors: 3,
            needs: 1,
            offers: 1,
            partnerships: 1,
            matches: 1,
            practices: 0,
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_request_id_create_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let request = SubmitNeedRequest {
        request_id: "same-key".into(),
        ..need_request(&requester.id, &[7], &[Modality::Training], &[])
    };
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut client = hub.needs();
        let request = request.clone();
        tasks.spawn(async move { client.submit_need(request).await.map(|r| r.into_inner().id) });
    }
    let ids: HashSet<String> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("every retry succeeds"))
        .collect();
    assert_eq!(ids.len(), 1, "retries created {ids:?}");
    assert_eq!(hub.counts().await.needs, 1);
}

/// Reads every page of ListNeeds with `request`'s filters and page size, checking each page.
async fn page_needs(hub: &TestHub, request: ListNeedsRequest) -> Vec<Need> {
    let mut client = hub.needs();
    let mut token = String::new();
    let mut needs = Vec::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_needs(ListNeedsRequest {
                page_token: token.clone(),
                ..request.clone()
            })
            .await
            .unwrap_or_else(|s| panic!("ListNeeds {request:?}: {s:?}"))
            .into_inner();
        pages += 1;
        assert!(pages <= 100, "paging does not end");
        assert!(
            page.needs.len() <= request.page_size as usize,
            "page of {} for page_size {}",
            page.needs.len(),
            request.page_size
        );
        needs.extend(page.needs);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let unique: HashSet<&String> = needs.iter().map(|n| &n.id).collect();
    assert_eq!(unique.len(), needs.len(), "a need was listed twice for {request:?}");
    needs
}

fn ids(needs: &[Need]) -> BTreeSet<String> {
    needs.iter().map(|n| n.id.clone()).collect()
}

#[tokio::test]
async fn list_needs_pages_through_everything_once_with_and_without_filters() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let guatemala = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let el_salvador = hub.register("El Salvador", ActorKind::NationalGovernment, "SLV").await;
    let senegal = hub.register("Senegal", ActorKind::NationalGovernment, "SEN").await;
    let requesters = [&guatemala, &el_salvador, &senegal];

    let mut created = Vec::new();
    for i in 0..30 {
        let requester = requesters[i % 3];
        let mut themes = vec![13];
        if i % 2 == 1 {
            themes.push(2);
        }
        if i % 5 == 0 {
            themes.push(7);
        }
        // Some needs are delivered in Mexico as well as at home.
        let countries: Vec<&str> = if i % 4 == 0 {
            vec![requester.country.as_str(), "MEX"]
        } else {
            vec![]
        };
        let mut need = need_request(&requester.id, &themes, &[Modality::Training], &countries);
        need.title = format!("Need number {i}");
        created.push(hub.submit(need).await);
    }
    // Withdraw every seventh.
    for need in created.iter_mut().step_by(7) {
        *need = hub
            .needs()
            .withdraw_need(WithdrawNeedRequest {
                id: need.id.clone(),
                reason: "duplicate".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(need.status(), NeedStatus::Withdrawn);
    }

    // Unfiltered, seven at a time: 7 + 7 + 7 + 7 + 2.
    let mut client = hub.needs();
    let mut token = String::new();
    let mut sizes = Vec::new();
    let mut listed = Vec::new();
    loop {
        let page = client
            .list_needs(ListNeedsRequest {
                page_size: 7,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        sizes.push(page.needs.len());
        listed.extend(page.needs);
        if page.next_page_token.is_empty() {
            break;
        }
        assert!(sizes.len() < 10, "paging does not end");
        token = page.next_page_token;
    }
    assert_eq!(sizes, [7, 7, 7, 7, 2]);
    assert_eq!(listed.len(), 30);
    assert_eq!(ids(&listed), ids(&created), "every need exactly once");
    assert_eq!(
        ids(&page_needs(
            &hub,
            ListNeedsRequest {
                page_size: 30,
                ..Default::default()
            },
        )
        .await),
        ids(&created)
    );

    let central_america = ["GTM", "SLV", "MEX"];
    let expect = |keep: &dyn Fn(&Need) -> bool| -> BTreeSet<String> {
        created.iter().filter(|n| keep(n)).map(|n| n.id.clone()).collect()
    };
    let in_region = |n: &Need, region: &[&str]| n.countries.iter().any(|c| region.contains(&c.as_str()));
    let checks: Vec<(&str, ListNeedsRequest, BTreeSet<String>)> = vec![
        (
            "theme 2",
            ListNeedsRequest {
                theme: 2,
                page_size: 4,
                ..Default::default()
            },
            expect(&|n| n.themes.contains(&2)),
        ),
        (
            "theme 7",
            ListNeedsRequest {
                theme: 7,
                page_size: 2,
                ..Default::default()
            },
            expect(&|n| n.themes.contains(&7)),
        ),
        (
            "country SEN",
            ListNeedsRequest {
                country: "SEN".into(),
                page_size: 3,
                ..Default::default()
            },
            expect(&|n| n.countries.iter().any(|c| c == "SEN")),
        ),
        (
            "country MEX",
            ListNeedsRequest {
                country: "MEX".into(),
                page_size: 3,
                ..Default::default()
            },
            expect(&|n| n.countries.iter().any(|c| c == "MEX")),
        ),
        (
            "region western_africa",
            ListNeedsRequest {
                region: "western_africa".into(),
                page_size: 3,
                ..Default::default()
            },
            expect(&|n| in_region(n, &["SEN"])),
        ),
        (
            "region africa",
            ListNeedsRequest {
                region: "africa".into(),
                page_size: 4,
                ..Default::default()
            },
            expect(&|n| in_region(n, &["SEN"])),
        ),
        (
            "region central_america",
            ListNeedsRequest {
                region: "central_america".into(),
                page_size: 5,
                ..Default::default()
            },
            expect(&|n| in_region(n, &central_america)),
        ),
        (
            "status withdrawn",
            ListNeedsRequest {
                status: NeedStatus::Withdrawn as i32,
                page_size: 2,
                ..Default::default()
            },
            expect(&|n| n.status() == NeedStatus::Withdrawn),
        ),
        (
            "status open",
            ListNeedsRequest {
                status: NeedStatus::Open as i32,
                page_size: 6,
                ..Default::default()
            },
            expect(&|n| n.status() == NeedStatus::Open),
        ),
        (
            "requester El Salvador",
            ListNeedsRequest {
                requester_id: el_salvador.id.clone(),
                page_size: 3,
                ..Default::default()
            },
            expect(&|n| n.requester_id == el_salvador.id),
        ),
        (
            "requester Senegal, theme 2, open",
            ListNeedsRequest {
                requester_id: senegal.id.clone(),
                theme: 2,
                status: NeedStatus::Open as i32,
                page_size: 2,
                ..Default::default()
            },
            expect(&|n| n.requester_id == senegal.id && n.themes.contains(&2) && n.status() == NeedStatus::Open),
        ),
        (
            "region americas, theme 7",
            ListNeedsRequest {
                region: "americas".into(),
                theme: 7,
                page_size: 1,
                ..Default::default()
            },
            expect(&|n| in_region(n, &central_america) && n.themes.contains(&7)),
        ),
        (
            "requester Guatemala, country SEN: nothing",
            ListNeedsRequest {
                requester_id: guatemala.id.clone(),
                country: "SEN".into(),
                page_size: 5,
                ..Default::default()
            },
            BTreeSet::new(),
        ),
    ];
    for (what, request, expected) in checks {
        assert!(
            what.ends_with("nothing") || !expected.is_empty(),
            "{what}: the fixture should match something"
        );
        assert_ne!(expected.len(), 30, "{what}: the fixture should filter something out");
        let got = page_needs(&hub, request).await;
        assert_eq!(ids(&got), expected, "{what}");
    }
}

#[tokio::test]
async fn other_lists_page_too() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut actors = BTreeSet::new();
    for i in 0..5 {
        actors.insert(
            hub.register(&format!("Actor {i}"), ActorKind::CivilSociety, "KEN")
                .await
                .id,
        );
    }
    let iom = hub.register("IOM", ActorKind::UnEntity, "").await;
    actors.insert(iom.id.clone());
    let mut offers = BTreeSet::new();
    for theme in 1..=5 {
        offers.insert(
            hub.offer(offer_request(
                &iom.id,
                &[theme],
                &[Modality::Training],
                Coverage::Worldwide,
            ))
            .await
            .id,
        );
    }

    let mut client = hub.actors();
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_actors(ListActorsRequest {
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.actors.len() <= 2);
        seen.extend(page.actors.into_iter().map(|a| a.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), actors);

    let kenyan = hub
        .all_actors(ListActorsRequest {
            country: "KEN".into(),
            page_size: 2,
            ..Default::default()
        })
        .await;
    assert_eq!(kenyan.len(), 5);
    let un = hub
        .all_actors(ListActorsRequest {
            kind: ActorKind::UnEntity as i32,
            page_size: 1,
            ..Default::default()
        })
        .await;
    assert_eq!(un.iter().map(|a| &a.id).collect::<Vec<_>>(), [&iom.id]);

    let listed: BTreeSet<String> = hub
        .all_offers(ListOffersRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(listed, offers);
    let theme_three = hub
        .all_offers(ListOffersRequest {
            theme: 3,
            page_size: 1,
            ..Default::default()
        })
        .await;
    assert_eq!(theme_three.len(), 1);
    assert_eq!(theme_three[0].themes, [3]);
}
