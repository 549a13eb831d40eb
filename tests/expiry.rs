//! Expiry under tokio's paused clock: the hub's time follows tokio's, so days pass in a test.

mod common;

use std::time::Duration;

use capacity_hub::domain::{
    Coverage, DateWindow, EventKind, Level, MatchStatus, Modality, NeedSpec, NeedStatus, Objective, OfferSpec,
    OfferStatus, Urgency,
};
use capacity_hub::hub::{Hub, HubSettings};
use common::{DAY, register_government};

fn window_ending_in(hub: &Hub, days: i64) -> DateWindow {
    let today = chrono::DateTime::from_timestamp_millis(hub.now()).unwrap().date_naive();
    DateWindow {
        start: None,
        end: Some(today + chrono::Days::new(days as u64)),
    }
}

fn need_spec(window: DateWindow) -> NeedSpec {
    NeedSpec {
        title: "Alternatives to detention for migrant children".into(),
        description: String::new(),
        themes: vec![Objective::new(13).unwrap()],
        modalities: vec![Modality::TechnicalAdvice],
        level: Level::National,
        countries: vec!["GTM".into()],
        languages: vec!["es".into()],
        budget_usd: None,
        urgency: Urgency::High,
        window,
    }
}

fn offer_spec(window: DateWindow) -> OfferSpec {
    OfferSpec {
        title: "Guidance on alternatives to detention".into(),
        description: String::new(),
        themes: vec![Objective::new(13).unwrap()],
        modalities: vec![Modality::TechnicalAdvice],
        levels: Vec::new(),
        coverage: Coverage {
            countries: Vec::new(),
            areas: Vec::new(),
            worldwide: true,
        },
        languages: Vec::new(),
        capacity: 2,
        funding_usd: None,
        window,
    }
}

async fn open_hub(dir: &std::path::Path) -> Hub {
    let settings = HubSettings {
        proposal_ttl: 3 * DAY,
        ..HubSettings::default()
    };
    Hub::open(dir, settings).unwrap()
}

#[tokio::test(start_paused = true)]
async fn needs_and_offers_expire_after_their_window_ends() {
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub(dir.path()).await;
    let requester = register_government(&hub, "Guatemala", "GTM", "es").await;
    let provider = register_government(&hub, "Costa Rica", "CRI", "es").await;
    let need = hub
        .submit_need(&requester.id, need_spec(window_ending_in(&hub, 2)), "")
        .await
        .unwrap();
    let lasting_need = hub
        .submit_need(&requester.id, need_spec(window_ending_in(&hub, 30)), "")
        .await
        .unwrap();
    let offer = hub
        .register_offer(&provider.id, offer_spec(window_ending_in(&hub, 5)), "")
        .await
        .unwrap();

    tokio::time::advance(2 * DAY).await;
    assert!(
        hub.expire_due().await.unwrap().is_empty(),
        "the last day of a window still counts"
    );

    tokio::time::advance(DAY).await;
    let sweep = hub.expire_due().await.unwrap();
    assert_eq!((sweep.needs, sweep.offers), (1, 0));
    assert_eq!(hub.get_need(&need.id).unwrap().status, NeedStatus::Expired);
    assert_eq!(hub.get_need(&lasting_need.id).unwrap().status, NeedStatus::Open);

    tokio::time::advance(3 * DAY).await;
    let sweep = hub.expire_due().await.unwrap();
    assert_eq!((sweep.needs, sweep.offers), (0, 1));
    assert_eq!(hub.get_offer(&offer.id).unwrap().status, OfferStatus::Expired);
    assert!(
        hub.find_matches(&lasting_need.id, 10).unwrap().is_empty(),
        "an expired offer is never matched"
    );
}

#[tokio::test(start_paused = true)]
async fn unanswered_proposals_are_released_and_say_so_in_events() {
    let dir = tempfile::tempdir().unwrap();
    let hub = std::sync::Arc::new(open_hub(dir.path()).await);
    let requester = register_government(&hub, "Guatemala", "GTM", "es").await;
    let provider = register_government(&hub, "Costa Rica", "CRI", "es").await;
    let need = hub
        .submit_need(&requester.id, need_spec(DateWindow::default()), "")
        .await
        .unwrap();
    let offer = hub
        .register_offer(&provider.id, offer_spec(DateWindow::default()), "")
        .await
        .unwrap();
    let silent = hub.propose_match(&need.id, &offer.id, "", None).await.unwrap();
    hub.respond_to_match(&silent.id, &requester.id, true, "").await.unwrap();

    tokio::time::advance(3 * DAY - Duration::from_secs(60)).await;
    assert_eq!(hub.expire_due().await.unwrap().proposals, 0);
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(hub.expire_due().await.unwrap().proposals, 1);
    assert_eq!(hub.get_match(&silent.id).unwrap().status, MatchStatus::Expired);
    let refused = hub
        .respond_to_match(&silent.id, &provider.id, true, "")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("expired"), "{refused}");

    let mut events = hub.watch_matches(&provider.id, 0).unwrap();
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        kinds.push(events.recv().await.unwrap().unwrap().event.kind);
    }
    assert_eq!(
        kinds,
        [
            EventKind::MatchProposed,
            EventKind::MatchAccepted,
            EventKind::MatchExpired
        ]
    );
    assert_eq!(
        hub.get_offer(&offer.id).unwrap().remaining_capacity,
        2,
        "an expired proposal held no capacity"
    );
}
