//! The 2018 workshop world (`serve --demo`): large enough to show the hub at work, the Puebla
//! Process at the centre of its partnership graph, and candidates for almost every need.

mod common;

use std::collections::BTreeSet;

use capacity_hub::hub::{Hub, HubSettings, MAX_PAGE_SIZE, PageRequest, PracticeFilter};
use common::*;

#[tokio::test]
async fn the_demo_world_is_loaded_and_every_list_pages_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start_demo(dir.path()).await;

    let actors = hub
        .all_actors(ListActorsRequest {
            page_size: 9,
            ..Default::default()
        })
        .await;
    let partnerships = hub
        .all_partnerships(ListPartnershipsRequest {
            page_size: 9,
            ..Default::default()
        })
        .await;
    let offers = hub
        .all_offers(ListOffersRequest {
            page_size: 9,
            ..Default::default()
        })
        .await;
    let needs = hub
        .all_needs(ListNeedsRequest {
            page_size: 2,
            ..Default::default()
        })
        .await;
    assert!(actors.len() >= 40, "{} actors", actors.len());
    assert!(partnerships.len() >= 35, "{} partnerships", partnerships.len());
    assert!(offers.len() >= 20, "{} offers", offers.len());
    assert!(needs.len() >= 5, "{} needs", needs.len());

    // Paging neither loses nor repeats records: the ids are unique and agree with one big page.
    for (what, small, big) in [
        (
            "actors",
            actors.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            hub.all_actors(ListActorsRequest {
                page_size: 500,
                ..Default::default()
            })
            .await
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        ),
        (
            "partnerships",
            partnerships.iter().map(|p| p.id.clone()).collect(),
            hub.all_partnerships(ListPartnershipsRequest {
                page_size: 500,
                ..Default::default()
            })
            .await
            .into_iter()
            .map(|p| p.id)
            .collect(),
        ),
        (
            "offers",
            offers.iter().map(|o| o.id.clone()).collect(),
            hub.all_offers(ListOffersRequest {
                page_size: 500,
                ..Default::default()
            })
            .await
            .into_iter()
            .map(|o| o.id)
            .collect(),
        ),
    ] {
        let unique: BTreeSet<&String> = small.iter().collect();
        assert_eq!(unique.len(), small.len(), "{what} listed twice");
        assert_eq!(
            unique,
            big.iter().collect(),
            "{what}: small pages and one page disagree"
        );
    }

    // Every partnership joins two listed actors, with a trust in (0, 1].
    let actor_ids: BTreeSet<&String> = actors.iter().map(|a| &a.id).collect();
    for p in &partnerships {
        assert!(
            actor_ids.contains(&p.actor_a) && actor_ids.contains(&p.actor_b),
            "{p:?}"
        );
        assert!(p.trust > 0.0 && p.trust <= 1.0, "{p:?}");
    }
}

#[tokio::test]
async fn the_puebla_process_links_its_members() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start_demo(dir.path()).await;
    let actors = hub.all_actors(ListActorsRequest::default()).await;
    let puebla = actors
        .iter()
        .find(|a| a.name.contains("Puebla Process"))
        .expect("the Puebla Process is in the demo world");
    assert_eq!(puebla.kind(), ActorKind::RegionalProcess);

    let links = hub
        .all_partnerships(ListPartnershipsRequest {
            actor_id: puebla.id.clone(),
            page_size: 4,
            ..Default::default()
        })
        .await;
    assert!(links.len() >= 11, "the Puebla Process has {} partnerships", links.len());
    for link in &links {
        assert!(
            link.actor_a == puebla.id || link.actor_b == puebla.id,
            "ListPartnerships(actor_id) returned {link:?}"
        );
    }
}

#[tokio::test]
async fn nearly_every_demo_need_gets_explained_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start_demo(dir.path()).await;
    let needs = hub.all_needs(ListNeedsRequest::default()).await;
    assert!(needs.len() >= 5, "{} needs", needs.len());

    let mut served = 0;
    for need in &needs {
        let candidates = hub.find_matches(&need.id).await;
        for candidate in &candidates {
            assert!((0.0..=1.0).contains(&candidate.score), "{}", candidate.score);
            assert_ne!(
                candidate.provider.as_ref().unwrap().id,
                need.requester_id,
                "a requester is offered its own offer"
            );
        }
        if candidates
            .first()
            .and_then(|c| c.explanation.as_ref())
            .is_some_and(|e| !e.summary.is_empty())
        {
            served += 1;
        }
    }
    assert!(
        served >= 4,
        "only {served} of {} demo needs get an explained candidate",
        needs.len()
    );
}

/// No RPC serves practices yet, so the hub is read directly: every practice of the world file is
/// published, titled, themed and by actors of the hub.
#[tokio::test]
async fn the_demo_practices_load_with_their_authors_and_partners() {
    let world: serde_json::Value = serde_json::from_str(include_str!("../src/demo/world.json")).unwrap();
    let in_file = world["practices"]
        .as_array()
        .expect("the world file lists practices")
        .len();
    assert!(in_file >= 30, "{in_file} practices in world.json");

    let dir = tempfile::tempdir().unwrap();
    let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
    let summary = capacity_hub::demo::load(&hub).await.unwrap();
    assert_eq!(summary.practices, in_file);
    assert!(
        summary.to_string().ends_with(&format!("{in_file} practices")),
        "{summary}"
    );

    let mut practices = Vec::new();
    let mut page = PageRequest { after: None, limit: 7 };
    loop {
        let listed = hub.list_practices(&PracticeFilter::default(), &page).unwrap();
        practices.extend(listed.records);
        match listed.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    let ids: BTreeSet<&String> = practices.iter().map(|p| &p.id).collect();
    assert_eq!(ids.len(), practices.len(), "a practice listed twice");
    assert_eq!(practices.len(), summary.practices);
    let one_page = hub
        .list_practices(
            &PracticeFilter::default(),
            &PageRequest {
                after: None,
                limit: MAX_PAGE_SIZE,
            },
        )
        .unwrap();
    assert_eq!(ids, one_page.records.iter().map(|p| &p.id).collect());

    for practice in &practices {
        let spec = &practice.spec;
        assert!(!spec.title.trim().is_empty(), "{practice:?}");
        assert!(!spec.description.trim().is_empty(), "{practice:?}");
        assert!(!spec.themes.is_empty(), "{} has no theme", spec.title);
        assert!(
            practice.is_published() && practice.completed_match().is_none(),
            "{practice:?}"
        );
        assert!(hub.get_actor(&practice.author_id).is_ok(), "{}: no author", spec.title);
        for partner in &spec.partner_ids {
            assert_ne!(
                partner, &practice.author_id,
                "{} names its author as partner",
                spec.title
            );
            assert!(hub.get_actor(partner).is_ok(), "{}: no partner {partner}", spec.title);
        }
        let by_author = hub
            .list_practices(
                &PracticeFilter {
                    actor_id: Some(practice.author_id.clone()),
                    ..PracticeFilter::default()
                },
                &PageRequest {
                    after: None,
                    limit: MAX_PAGE_SIZE,
                },
            )
            .unwrap();
        assert!(
            by_author.records.iter().any(|p| p.id == practice.id),
            "{} is not listed for its author",
            spec.title
        );
    }
}
