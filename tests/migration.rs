//! A store written by the release before the store's version 3 opens after migration with every
//! record and every index intact. The fixture in `tests/fixtures/store-v2` was written by that
//! release (commit 1a12803, whose status index entries were the variants' debug names) with
//! `tests/fixtures/make_store_v2.py`: the demo world with needs, offers and matches taken through
//! every status, and `manifest.json`, every record's id and status as that release listed them.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// (id, status name) pairs of one kind of record.
type Listed = BTreeSet<(String, String)>;

struct Manifest {
    actors: Listed,
    needs: Listed,
    offers: Listed,
    matches: Listed,
    practices: Listed,
}

impl Manifest {
    fn read() -> Manifest {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2/manifest.json");
        let text = std::fs::read_to_string(path).expect("the fixture's manifest");
        let json: serde_json::Value = serde_json::from_str(&text).expect("a JSON manifest");
        let kind = |name: &str| -> Listed {
            json[name]
                .as_array()
                .expect("a list per kind")
                .iter()
                .map(|pair| {
                    let id = pair[0].as_str().expect("an id").to_string();
                    let status = pair[1].as_str().expect("a status").to_string();
                    (id, status)
                })
                .collect()
        };
        Manifest {
            actors: kind("actors"),
            needs: kind("needs"),
            offers: kind("offers"),
            matches: kind("matches"),
            practices: kind("practices"),
        }
    }

    fn with_status(listed: &Listed, status: &str) -> BTreeSet<String> {
        listed
            .iter()
            .filter(|(_, named)| named == status)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Copies the fixture's data directory into `to`, so the test never changes the fixture.
fn copy_fixture(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2/data");
    copy_dir(&from, to);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> &str) -> BTreeSet<String> {
    records.iter().map(|record| id(record).to_string()).collect()
}

/// Checks every record against the manifest, and every status index against the records.
async fn check_against(hub: &TestHub, manifest: &Manifest) {
    let actors = hub.all_actors(ListActorsRequest::default()).await;
    let listed: Listed = actors.iter().map(|a| (a.id.clone(), String::new())).collect();
    assert_eq!(listed, manifest.actors, "actors");

    let needs = hub.all_needs(ListNeedsRequest::default()).await;
    let listed: Listed = needs
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                NeedStatus::try_from(n.status).unwrap().as_str_name().into(),
            )
        })
        .collect();
    assert_eq!(listed, manifest.needs, "needs");
    for status in NeedStatus::iter_known() {
        let filter = ListNeedsRequest {
            status: status as i32,
            ..ListNeedsRequest::default()
        };
        let found = ids(&hub.all_needs(filter).await, |n| &n.id);
        assert_eq!(
            found,
            Manifest::with_status(&manifest.needs, status.as_str_name()),
            "needs listed by the status index as {status:?}"
        );
    }
    for need in &needs {
        let filter = ListNeedsRequest {
            requester_id: need.requester_id.clone(),
            ..ListNeedsRequest::default()
        };
        assert!(
            ids(&hub.all_needs(filter).await, |n| &n.id).contains(&need.id),
            "{} by requester",
            need.id
        );
    }

    let offers = hub.all_offers(ListOffersRequest::default()).await;
    let listed: Listed = offers
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                OfferStatus::try_from(o.status).unwrap().as_str_name().into(),
            )
        })
        .collect();
    assert_eq!(listed, manifest.offers, "offers");
    for status in OfferStatus::iter_known() {
        let filter = ListOffersRequest {
            status: status as i32,
            ..ListOffersRequest::default()
        };
        let found = ids(&hub.all_offers(filter).await, |o| &o.id);
        assert_eq!(
            found,
            Manifest::with_status(&manifest.offers, status.as_str_name()),
            "offers listed by the status index as {status:?}"
        );
    }

    let matches = hub.all_matches(ListMatchesRequest::default()).await;
    let listed: Listed = matches
        .iter()
        .map(|m| {
            (
                m.id.clone(),
                MatchStatus::try_from(m.status).unwrap().as_str_name().into(),
            )
        })
        .collect();
    assert_eq!(listed, manifest.matches, "matches");
    for status in MatchStatus::iter_known() {
        let filter = ListMatchesRequest {
            status: status as i32,
            ..ListMatchesRequest::default()
        };
        let found = ids(&hub.all_matches(filter).await, |m| &m.id);
        assert_eq!(
            found,
            Manifest::with_status(&manifest.matches, status.as_str_name()),
            "matches listed by the status index as {status:?}"
        );
    }
    for record in &matches {
        let filter = ListMatchesRequest {
            need_id: record.need_id.clone(),
            ..ListMatchesRequest::default()
        };
        assert!(
            ids(&hub.all_matches(filter).await, |m| &m.id).contains(&record.id),
            "{} by need",
            record.id
        );
    }

    // Practices are listed from the index of published ones.
    let practices = hub.all_practices(ListPracticesRequest::default()).await;
    let listed: Listed = practices
        .iter()
        .map(|p| {
            (
                p.id.clone(),
                PracticeStatus::try_from(p.status).unwrap().as_str_name().into(),
            )
        })
        .collect();
    assert_eq!(listed, manifest.practices, "published practices");
}

/// The statuses a record can be in (without UNSPECIFIED).
trait KnownStatuses: Sized + Copy {
    fn iter_known() -> Vec<Self>;
}

macro_rules! known_statuses {
    ($status:ident) => {
        impl KnownStatuses for $status {
            fn iter_known() -> Vec<$status> {
                (1..).map_while(|number| $status::try_from(number).ok()).collect()
            }
        }
    };
}

known_statuses!(NeedStatus);
known_statuses!(OfferStatus);
known_statuses!(MatchStatus);

#[tokio::test]
async fn a_store_of_the_previous_release_opens_with_every_record_and_index() {
    let manifest = Manifest::read();
    assert!(
        manifest.needs.len() >= 5 && manifest.matches.len() >= 5,
        "the fixture holds needs and matches through their statuses"
    );
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let mut hub = TestHub::start(dir.path()).await;
    check_against(&hub, &manifest).await;

    // Writes after the migration file their records under the new index values: withdraw an
    // open need without matches (withdrawing one with proposals would cancel them too).
    let mut withdrawn_now = None;
    for need in Manifest::with_status(&manifest.needs, NeedStatus::Open.as_str_name()) {
        let filter = ListMatchesRequest {
            need_id: need.clone(),
            ..ListMatchesRequest::default()
        };
        if hub.all_matches(filter).await.is_empty() {
            withdrawn_now = Some(need);
        }
    }
    let withdrawn_now = withdrawn_now.expect("the fixture holds an open need without matches");
    hub.needs()
        .withdraw_need(WithdrawNeedRequest {
            id: withdrawn_now.clone(),
            ..WithdrawNeedRequest::default()
        })
        .await
        .expect("an open need can be withdrawn");
    let mut after = Manifest::read();
    after
        .needs
        .remove(&(withdrawn_now.clone(), NeedStatus::Open.as_str_name().into()));
    after
        .needs
        .insert((withdrawn_now, NeedStatus::Withdrawn.as_str_name().into()));
    check_against(&hub, &after).await;

    // A second open finds the store current and changes nothing.
    hub.restart().await;
    check_against(&hub, &after).await;
}
