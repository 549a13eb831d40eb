//! Property test of the core: random sequences of operations (submit, register, propose,
//! answer, complete, withdraw, edit capacity, let time pass) through the hub, with the
//! invariants checked after every step.

use std::collections::HashMap;
use std::time::Duration;

use capacity_hub::domain::lifecycle::Lifecycle;
use capacity_hub::domain::{
    ActorKind, ActorProfile, Coverage, DateWindow, Level, Match, MatchStatus, Modality, NeedSpec, NeedStatus,
    Objective, OfferSpec, OfferStatus, Urgency,
};
use capacity_hub::hub::{Delivery, Hub, HubSettings, MatchFilter, NeedFilter, OfferFilter, OutcomeReport, PageRequest};
use proptest::prelude::*;

const ACTORS: usize = 4;

#[derive(Debug, Clone)]
enum Operation {
    SubmitNeed { requester: usize, theme: u32 },
    RegisterOffer { provider: usize, theme: u32, capacity: u32 },
    Propose { need: usize, offer: usize },
    Answer { of: usize, by_provider: bool, accept: bool },
    Complete { of: usize, rating: u32 },
    WithdrawNeed { need: usize },
    WithdrawOffer { offer: usize },
    SetCapacity { offer: usize, capacity: u32 },
    LetDaysPass { days: u64 },
}

fn operation() -> impl Strategy<Value = Operation> {
    // Weighted so that engagements often get as far as completion.
    prop_oneof![
        3 => (0..ACTORS, 13u32..15).prop_map(|(requester, theme)| Operation::SubmitNeed { requester, theme }),
        3 => (0..ACTORS, 13u32..15, 1u32..4).prop_map(|(provider, theme, capacity)| Operation::RegisterOffer {
            provider,
            theme,
            capacity
        }),
        4 => (0..8usize, 0..8usize).prop_map(|(need, offer)| Operation::Propose { need, offer }),
        8 => (0..8usize, any::<bool>(), prop::bool::weighted(0.85)).prop_map(|(of, by_provider, accept)| Operation::Answer {
            of,
            by_provider,
            accept
        }),
        3 => (0..8usize, 1u32..6).prop_map(|(of, rating)| Operation::Complete { of, rating }),
        1 => (0..8usize).prop_map(|need| Operation::WithdrawNeed { need }),
        1 => (0..8usize).prop_map(|offer| Operation::WithdrawOffer { offer }),
        1 => (0..8usize, 1u32..4).prop_map(|(offer, capacity)| Operation::SetCapacity { offer, capacity }),
        1 => (1u64..10).prop_map(|days| Operation::LetDaysPass { days }),
    ]
}

fn window_of(hub: &Hub, days: u64) -> DateWindow {
    let today = chrono::DateTime::from_timestamp_millis(hub.now()).unwrap().date_naive();
    DateWindow {
        start: None,
        end: Some(today + chrono::Days::new(days)),
    }
}

/// The hub under test and the ids it handed out, so operations can refer to records by index.
struct World {
    hub: Hub,
    actors: Vec<String>,
    needs: Vec<String>,
    offers: Vec<String>,
    matches: Vec<String>,
    /// Statuses seen so far, to check that final ones stay final.
    seen_needs: HashMap<String, NeedStatus>,
    seen_offers: HashMap<String, OfferStatus>,
    seen_matches: HashMap<String, MatchStatus>,
}

fn pick(ids: &[String], index: usize) -> Option<&String> {
    (!ids.is_empty()).then(|| &ids[index % ids.len()])
}

impl World {
    async fn new(dir: &std::path::Path) -> World {
        let settings = HubSettings {
            proposal_ttl: Duration::from_secs(5 * 24 * 3600),
            ..HubSettings::default()
        };
        let hub = Hub::open(dir, settings).unwrap();
        let mut actors = Vec::new();
        for (name, country) in [
            ("Guatemala", "GTM"),
            ("Costa Rica", "CRI"),
            ("Mexico", "MEX"),
            ("Honduras", "HND"),
        ] {
            let profile = ActorProfile {
                name: name.into(),
                kind: ActorKind::NationalGovernment,
                country: Some(country.into()),
                languages: vec!["es".into()],
                description: String::new(),
                contact: String::new(),
            };
            actors.push(hub.register_actor(profile, "").await.unwrap().0.id);
        }
        World {
            hub,
            actors,
            needs: Vec::new(),
            offers: Vec::new(),
            matches: Vec::new(),
            seen_needs: HashMap::new(),
            seen_offers: HashMap::new(),
            seen_matches: HashMap::new(),
        }
    }

    /// The matches whose status passes `keep`, so answers and completions target live ones.
    fn matches_in(&self, keep: impl Fn(MatchStatus) -> bool) -> Vec<String> {
        self.matches
            .iter()
            .filter(|id| keep(self.hub.get_match(id).unwrap().status))
            .cloned()
            .collect()
    }

    async fn run(&mut self, operation: &Operation) {
        let hub = &self.hub;
        match *operation {
            Operation::SubmitNeed { requester, theme } => {
                let spec = NeedSpec {
                    title: "need".into(),
                    description: String::new(),
                    themes: vec![Objective::new(theme).unwrap()],
                    modalities: vec![Modality::Training],
                    level: Level::National,
                    countries: vec!["GTM".into()],
                    languages: Vec::new(),
                    budget_usd: None,
                    urgency: Urgency::Normal,
                    window: window_of(hub, 12),
                };
                if let Ok(need) = hub.submit_need(&self.actors[requester], spec, "").await {
                    self.needs.push(need.id);
                }
            }
            Operation::RegisterOffer {
                provider,
                theme,
                capacity,
            } => {
                let spec = OfferSpec {
                    title: "offer".into(),
                    description: String::new(),
                    themes: vec![Objective::new(theme).unwrap()],
                    modalities: vec![Modality::Training],
                    levels: Vec::new(),
                    coverage: Coverage {
                        countries: Vec::new(),
                        areas: vec!["americas".into()],
                        worldwide: false,
                    },
                    languages: Vec::new(),
                    capacity,
                    funding_usd: None,
                    window: window_of(hub, 20),
                };
                if let Ok(offer) = hub.register_offer(&self.actors[provider], spec, "").await {
                    self.offers.push(offer.id);
                }
            }
            Operation::Propose { need, offer } => {
                if let (Some(need), Some(offer)) = (pick(&self.needs, need), pick(&self.offers, offer))
                    && let Ok(record) = hub.propose_match(need, offer, "", None).await
                {
                    self.matches.push(record.id);
                }
            }
            Operation::Answer {
                of,
                by_provider,
                accept,
            } => {
                // Confirmed engagements too: declining one cancels it and returns its capacity.
                let waiting = self.matches_in(|status| status.awaits_answer() || status == MatchStatus::Confirmed);
                if let Some(id) = pick(&waiting, of) {
                    let record = hub.get_match(id).unwrap();
                    // The party still to answer answers, so engagements often get confirmed.
                    let provider_turn = match record.status {
                        MatchStatus::AcceptedByRequester => true,
                        MatchStatus::AcceptedByProvider => false,
                        _ => by_provider,
                    };
                    let actor = if provider_turn {
                        &record.provider_id
                    } else {
                        &record.requester_id
                    };
                    let _ = hub.respond_to_match(id, actor, accept, "").await;
                }
            }
            Operation::Complete { of, rating } => {
                let confirmed = self.matches_in(|status| status == MatchStatus::Confirmed);
                if let Some(id) = pick(&confirmed, of) {
                    let record = hub.get_match(id).unwrap();
                    let report = OutcomeReport {
                        rating,
                        mgi_dimensions: Vec::new(),
                        lessons_learned: String::new(),
                    };
                    let _ = hub.complete_match(id, &record.requester_id, report).await;
                }
            }
            Operation::WithdrawNeed { need } => {
                if let Some(id) = pick(&self.needs, need) {
                    let _ = hub.withdraw_need(id).await;
                }
            }
            Operation::WithdrawOffer { offer } => {
                if let Some(id) = pick(&self.offers, offer) {
                    let _ = hub.withdraw_offer(id).await;
                }
            }
            Operation::SetCapacity { offer, capacity } => {
                if let Some(id) = pick(&self.offers, offer) {
                    let set_capacity = |spec: &mut OfferSpec| {
                        spec.capacity = capacity;
                        Ok(())
                    };
                    let _ = hub.update_offer(id, set_capacity).await;
                }
            }
            Operation::LetDaysPass { days } => {
                tokio::time::advance(Duration::from_secs(days * 24 * 3600)).await;
                hub.expire_due().await.unwrap();
            }
        }
    }

    fn check(&mut self) -> Result<(), TestCaseError> {
        let all = PageRequest {
            after: None,
            limit: 500,
        };
        let matches = self.hub.list_matches(&MatchFilter::default(), &all).unwrap().records;
        let needs = self.hub.list_needs(&NeedFilter::default(), &all).unwrap().records;
        let offers = self.hub.list_offers(&OfferFilter::default(), &all).unwrap().records;
        for offer in &offers {
            let confirmed = matches
                .iter()
                .filter(|m| m.offer_id == offer.id && m.status == MatchStatus::Confirmed)
                .count();
            let reserved = offer.spec.capacity - offer.remaining_capacity;
            prop_assert_eq!(
                reserved as usize,
                confirmed,
                "offer {} reserves what its confirmed matches hold",
                offer.id
            );
        }
        for need in needs.iter().filter(|n| n.status == NeedStatus::Fulfilled) {
            let completed = matches
                .iter()
                .any(|m: &Match| m.need_id == need.id && m.status == MatchStatus::Completed);
            prop_assert!(completed, "fulfilled need {} has a completed match", need.id);
        }
        for need in &needs {
            stays_final(&mut self.seen_needs, &need.id, need.status)?;
        }
        for offer in &offers {
            stays_final(&mut self.seen_offers, &offer.id, offer.status)?;
        }
        for record in &matches {
            stays_final(&mut self.seen_matches, &record.id, record.status)?;
        }
        Ok(())
    }
}

fn stays_final<S: Lifecycle>(seen: &mut HashMap<String, S>, id: &str, now: S) -> Result<(), TestCaseError> {
    if let Some(before) = seen.insert(id.to_string(), now) {
        prop_assert!(
            !before.is_final() || before == now,
            "{id} left final status {before:?} for {now:?}"
        );
    }
    Ok(())
}

async fn check_events(hub: &std::sync::Arc<Hub>) -> Result<(), TestCaseError> {
    let mut watcher = hub.watch(0, Box::new(|_, _| Delivery::Send)).unwrap();
    let mut expected = 1;
    let head = hub.event_head();
    while expected <= head {
        let event = watcher.recv().await.unwrap().unwrap().event;
        prop_assert_eq!(event.sequence, expected, "events are gap-free and in order");
        expected += 1;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_every_operation(operations in prop::collection::vec(operation(), 1..80)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut world = World::new(dir.path()).await;
            for operation in &operations {
                world.run(operation).await;
                world.check()?;
            }
            let hub = std::sync::Arc::new(world.hub);
            check_events(&hub).await
        })?;
    }
}
