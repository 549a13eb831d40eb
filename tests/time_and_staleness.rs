//! Time seen from a need and an offer, under tokio's paused clock: listings not updated for the
//! stale-after period are stale (shown, told once, ranked with a penalty) until an update or a
//! confirmation; and a need's expected time to match is the median of similar needs' recent ones.

mod common;

use std::sync::Arc;
use std::time::Duration;

use capacity_hub::domain::{
    Coverage, DateWindow, EventKind, HubEvent, Level, Modality, NeedSpec, Objective, OfferSpec, Staleness, Urgency,
};
use capacity_hub::hub::{Delivery, Hub, HubError, HubSettings};
use common::{DAY, register_government};

fn need_spec(theme: u32, country: &str) -> NeedSpec {
    NeedSpec {
        title: "Alternatives to detention for migrant children".into(),
        description: String::new(),
        themes: vec![Objective::new(theme).unwrap()],
        modalities: vec![Modality::TechnicalAdvice],
        level: Level::National,
        countries: vec![country.into()],
        languages: vec!["es".into()],
        budget_usd: None,
        urgency: Urgency::High,
        window: DateWindow::default(),
    }
}

fn offer_spec(themes: &[u32]) -> OfferSpec {
    OfferSpec {
        title: "Guidance on alternatives to detention".into(),
        description: String::new(),
        themes: themes.iter().map(|&n| Objective::new(n).unwrap()).collect(),
        modalities: vec![Modality::TechnicalAdvice],
        levels: Vec::new(),
        coverage: Coverage {
            countries: Vec::new(),
            areas: Vec::new(),
            worldwide: true,
        },
        languages: vec!["es".into()],
        capacity: 100,
        funding_usd: None,
        window: DateWindow::default(),
    }
}

/// Every event in the log so far.
async fn events(hub: &Arc<Hub>) -> Vec<HubEvent> {
    let head = hub.event_head();
    let mut watcher = hub.watch(0, Box::new(|_, _| Delivery::Send)).unwrap();
    let mut seen = Vec::new();
    while seen.last().is_none_or(|event: &HubEvent| event.sequence < head) {
        seen.push(watcher.recv().await.unwrap().unwrap().event);
    }
    seen
}

/// The STALE events in the log, as (need or offer id, actors).
async fn stale_events(hub: &Arc<Hub>) -> Vec<(String, Vec<String>)> {
    events(hub)
        .await
        .into_iter()
        .filter(|event| event.kind == EventKind::Stale)
        .map(|event| {
            assert_eq!(event.by, None, "the hub says it, not an actor");
            assert!(event.summary.contains("has not been updated for"), "{}", event.summary);
            (event.need_id.or(event.offer_id).unwrap(), event.actor_ids)
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn listings_go_stale_are_told_once_ranked_lower_and_come_back_when_confirmed_or_updated() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(Hub::open(dir.path(), HubSettings::default()).unwrap());
    let requester = register_government(&hub, "Guatemala", "GTM", "es").await;
    let old_provider = register_government(&hub, "Costa Rica", "CRI", "es").await;
    let new_provider = register_government(&hub, "Mexico", "MEX", "es").await;
    let need = hub.submit_need(&requester.id, need_spec(13, "GTM"), "").await.unwrap();
    let old = hub
        .register_offer(&old_provider.id, offer_spec(&[13]), "")
        .await
        .unwrap();
    tokio::time::advance(100 * DAY).await;
    // The same offer from another provider, registered later: it scores exactly as the first.
    let new = hub
        .register_offer(&new_provider.id, offer_spec(&[13]), "")
        .await
        .unwrap();

    tokio::time::advance(79 * DAY).await;
    let sweep = hub.expire_due().await.unwrap();
    assert_eq!(
        (sweep.stale_needs, sweep.stale_offers),
        (0, 0),
        "179 days are not yet stale"
    );
    let ranked = hub.find_matches(&need.id, 10).unwrap();
    assert_eq!(ranked[0].offer.id, old.id, "a tie goes to the older offer");
    assert_eq!(ranked[0].score, ranked[1].score);
    let fresh_score = ranked[0].score;

    tokio::time::advance(DAY).await;
    let need_now = hub.get_need(&need.id).unwrap();
    assert_eq!(hub.need_staleness(&need_now), Staleness::Stale { days: 180 });
    let old_now = hub.get_offer(&old.id).unwrap();
    assert!(hub.offer_staleness(&old_now).is_stale());
    assert!(!hub.offer_staleness(&hub.get_offer(&new.id).unwrap()).is_stale());
    let sweep = hub.expire_due().await.unwrap();
    assert_eq!((sweep.stale_needs, sweep.stale_offers), (1, 1));
    assert_eq!(
        stale_events(&hub).await,
        [
            (need.id.clone(), vec![requester.id.clone()]),
            (old.id.clone(), vec![old_provider.id.clone()])
        ]
    );
    tokio::time::advance(DAY).await;
    let sweep = hub.expire_due().await.unwrap();
    assert_eq!(
        (sweep.stale_needs, sweep.stale_offers),
        (0, 0),
        "told once per staleness"
    );
    assert_eq!(stale_events(&hub).await.len(), 2);

    // The stale offer now ranks after the current one, with the penalty and the warning.
    let ranked = hub.find_matches(&need.id, 10).unwrap();
    assert_eq!(ranked[0].offer.id, new.id);
    assert_eq!(ranked[1].offer.id, old.id);
    assert!((ranked[0].score - fresh_score).abs() < 1e-12);
    assert!(
        (ranked[1].score - 0.9 * fresh_score).abs() < 1e-12,
        "{}",
        ranked[1].score
    );
    assert!(ranked[1].staleness.is_stale() && !ranked[0].staleness.is_stale());
    let summary = &ranked[1].explanation.summary;
    assert!(
        summary.ends_with("; listing not updated for 181 days: confirm with the provider"),
        "{summary}"
    );
    assert!(!ranked[0].explanation.summary.contains("not updated"));

    // Confirming makes both current again, and the offer ranks as before.
    let confirmed = hub.confirm_need_still_current(&need.id).await.unwrap();
    assert!(!hub.need_staleness(&confirmed).is_stale());
    assert!(confirmed.updated_at > need_now.updated_at);
    let confirmed = hub.confirm_offer_still_current(&old.id).await.unwrap();
    assert!(!hub.offer_staleness(&confirmed).is_stale());
    let ranked = hub.find_matches(&need.id, 10).unwrap();
    assert_eq!(ranked[0].offer.id, old.id);
    assert!((ranked[0].score - fresh_score).abs() < 1e-12);

    // A new staleness is told again; an update ends it as a confirmation does.
    tokio::time::advance(180 * DAY).await;
    let sweep = hub.expire_due().await.unwrap();
    assert_eq!((sweep.stale_needs, sweep.stale_offers), (1, 2));
    assert_eq!(stale_events(&hub).await.len(), 5);
    let updated = hub
        .update_need(&need.id, |spec| {
            spec.title = "Alternatives to detention for children and families".into();
            Ok(())
        })
        .await
        .unwrap();
    assert!(!hub.need_staleness(&updated).is_stale());
    let updated = hub
        .update_offer(&new.id, |spec| {
            spec.capacity = 90;
            Ok(())
        })
        .await
        .unwrap();
    assert!(!hub.offer_staleness(&updated).is_stale());

    // Only an open need or an active offer can be confirmed current.
    hub.withdraw_offer(&new.id, "").await.unwrap();
    let refused = hub.confirm_offer_still_current(&new.id).await.unwrap_err();
    assert!(
        matches!(&refused, HubError::Refused(why) if why.reason == capacity_hub::domain::Reason::ListingNotLive && why.words.contains("only an active offer")),
        "{refused}"
    );
    assert!(
        !hub.offer_staleness(&hub.get_offer(&new.id).unwrap()).is_stale(),
        "withdrawn is not stale"
    );
    hub.withdraw_need(&need.id, "").await.unwrap();
    let refused = hub.confirm_need_still_current(&need.id).await.unwrap_err();
    assert!(matches!(refused, HubError::Refused(_)), "{refused}");
}

/// Submits a need and confirms a match of it with `offer` after `days`.
async fn matched_after(hub: &Hub, requester: &str, provider: &str, offer: &str, spec: NeedSpec, days: u32) -> String {
    let need = hub.submit_need(requester, spec, "").await.unwrap();
    tokio::time::advance(days * DAY).await;
    let proposed = hub.propose_match(&need.id, offer, "", None).await.unwrap();
    hub.respond_to_match(&proposed.id, requester, true, "").await.unwrap();
    let confirmed = hub.respond_to_match(&proposed.id, provider, true, "").await.unwrap();
    assert!(confirmed.confirmed_at().is_some());
    need.id
}

#[tokio::test(start_paused = true)]
async fn the_expected_time_to_match_is_the_median_of_similar_needs_matched_in_the_last_year() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
    let start = hub.now();
    let guatemala = register_government(&hub, "Guatemala", "GTM", "es").await;
    let honduras = register_government(&hub, "Honduras", "HND", "es").await;
    let brazil = register_government(&hub, "Brazil", "BRA", "es").await;
    let provider = register_government(&hub, "IOM", "CHE", "es").await;
    let detention = hub.register_offer(&provider.id, offer_spec(&[13]), "").await.unwrap();
    let trafficking = hub.register_offer(&provider.id, offer_spec(&[10]), "").await.unwrap();
    let (g, p) = (guatemala.id.as_str(), provider.id.as_str());

    // Matched more than a year before the question: not counted.
    matched_after(&hub, g, p, &detention.id, need_spec(13, "GTM"), 2).await;
    tokio::time::advance(370 * DAY).await;
    // Similar: objective 13 in Central America (Guatemala, Honduras).
    matched_after(&hub, g, p, &detention.id, need_spec(13, "GTM"), 10).await;
    let h = honduras.id.as_str();
    matched_after(&hub, h, p, &detention.id, need_spec(13, "HND"), 30).await;
    let twenty = matched_after(&hub, g, p, &detention.id, need_spec(13, "GTM"), 20).await;
    // Not similar: another region, another objective.
    matched_after(&hub, &brazil.id, p, &detention.id, need_spec(13, "BRA"), 1).await;
    matched_after(&hub, g, p, &trafficking.id, need_spec(10, "GTM"), 1).await;
    // Confirmed, then cancelled: no longer matched.
    let cancelled = hub.submit_need(g, need_spec(13, "GTM"), "").await.unwrap();
    tokio::time::advance(DAY).await;
    let proposed = hub.propose_match(&cancelled.id, &detention.id, "", None).await.unwrap();
    hub.respond_to_match(&proposed.id, g, true, "").await.unwrap();
    hub.respond_to_match(&proposed.id, p, true, "").await.unwrap();
    hub.respond_to_match(&proposed.id, p, false, "").await.unwrap();

    let asked = hub.submit_need(g, need_spec(13, "GTM"), "").await.unwrap();
    let expected = hub.time_to_match(&asked);
    assert!(
        expected.expected_days.is_some_and(|days| (days - 20.0).abs() < 0.01),
        "{expected:?}"
    );
    assert_eq!((expected.similar_matched, expected.offers_available), (3, 1));
    assert_eq!(
        expected.basis,
        "median 20 days over 3 similar needs matched in Central America in the last year; 1 offer could serve it now"
    );
    // A matched need is not its own history.
    let own = hub.time_to_match(&hub.get_need(&twenty).unwrap());
    assert!(
        own.expected_days.is_some_and(|days| (days - 20.0).abs() < 0.01),
        "{own:?}"
    );
    assert_eq!(own.similar_matched, 2);

    // Nothing similar matched yet.
    let sierra_leone = register_government(&hub, "Sierra Leone", "SLE", "es").await;
    let lonely = hub
        .submit_need(&sierra_leone.id, need_spec(5, "SLE"), "")
        .await
        .unwrap();
    let none = hub.time_to_match(&lonely);
    assert_eq!(
        (none.expected_days, none.similar_matched, none.offers_available),
        (None, 0, 0)
    );
    assert_eq!(
        none.basis,
        "no history yet: no need sharing an objective in Western Africa was matched in the last year; no offer could serve it now"
    );

    // Opening again reads the same history from the store (the clock moved on as before).
    let elapsed = Duration::from_millis(u64::try_from(hub.now() - start).unwrap());
    hub.close().await.unwrap();
    drop(hub);
    hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
    tokio::time::advance(elapsed).await;
    let reread = hub.time_to_match(&hub.get_need(&asked.id).unwrap());
    assert_eq!(reread, expected);

    // Past the year, the old history no longer counts.
    tokio::time::advance(400 * DAY).await;
    let later = hub.time_to_match(&hub.get_need(&asked.id).unwrap());
    assert_eq!((later.expected_days, later.similar_matched), (None, 0));
    assert!(later.basis.starts_with("no history yet"), "{}", later.basis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_carry_the_time_to_match_and_staleness_over_grpc() {
    use common::{Coverage as Covering, GetNeedRequest, ListNeedsRequest, TestHub, need_request, offer_request};
    use common::{FindMatchesRequest, Modality as Mode};
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub
        .register("Guatemala", common::ActorKind::NationalGovernment, "GTM")
        .await;
    let provider = hub.register("IOM", common::ActorKind::UnEntity, "CHE").await;
    hub.offer(offer_request(
        &provider.id,
        &[13],
        &[Mode::Training],
        Covering::Worldwide,
    ))
    .await;
    let submitted = hub
        .submit(need_request(&requester.id, &[13], &[Mode::Training], &[]))
        .await;
    let no_history = "no history yet: no need sharing an objective in Central America was matched in the last year; 1 offer could serve it now";
    let time = submitted.expected_days_to_match.expect("SubmitNeed's reply carries it");
    assert_eq!(
        (time.expected_days, time.offers_available, time.basis.as_str()),
        (None, 1, no_history)
    );
    assert!(!submitted.stale);
    let got = hub
        .needs()
        .get_need(GetNeedRequest {
            id: submitted.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        got.expected_days_to_match.map(|t| t.basis),
        Some(no_history.to_string())
    );
    let listed = hub.all_needs(ListNeedsRequest::default()).await;
    assert!(
        listed.iter().all(|need| need.expected_days_to_match.is_none()),
        "not on lists"
    );
    let found = hub
        .matches()
        .find_matches(FindMatchesRequest {
            need_id: submitted.id.clone(),
            limit: 10,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.expected_days_to_match.map(|t| t.offers_available), Some(1));
    assert!(
        found
            .candidates
            .iter()
            .all(|c| c.offer.as_ref().is_some_and(|o| !o.stale))
    );
}
