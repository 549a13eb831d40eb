//! Watching the event log. A watcher first reads what the log already holds after its sequence,
//! then waits for the hub to announce newly durable events and reads those. The hub only ever
//! bumps a `watch` value, so a slow or stalled watcher never blocks a write; it just falls behind
//! and catches up from the log, losing nothing.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Hub, HubError};
use crate::domain::{Explanation, HubEvent};
use crate::domain::{Reason, Refusal};

/// Events read from the log per batch, so no store iterator is held across an await.
const BATCH: usize = 256;
/// Events buffered per watcher before its task waits for the client.
const WATCH_BUFFER: usize = 64;

/// An event and how far the log had got when it was sent.
#[derive(Debug, Clone)]
pub struct WatchedEvent {
    pub event: HubEvent,
    /// The newest durable sequence at send time.
    pub head_sequence: u64,
    /// For an offer's watcher: the offer's score for the event's need, and why.
    pub fit: Option<(f64, Explanation)>,
}

/// What a watcher does with an event.
#[derive(Debug, Clone)]
pub enum Delivery {
    Skip,
    Send,
    /// Send, with the watched offer's score for the event's need and why.
    Scored(f64, Explanation),
}

/// Which events a watcher wants; it may look records up in the hub.
pub type EventFilter = Box<dyn Fn(&Hub, &HubEvent) -> Delivery + Send + Sync>;

impl Hub {
    /// Ends every watch stream (their clients see the stream finish and resume with their last
    /// sequence elsewhere), so a graceful shutdown is not held open by watchers.
    pub fn close_watchers(&self) {
        self.closing.send_replace(true);
    }

    /// The newest event sequence known to be durable.
    pub fn event_head(&self) -> u64 {
        *self.store.durable_events().borrow()
    }

    /// Streams the events after `after_sequence` that pass `keep`, old ones first, then new ones
    /// as they become durable. The stream ends when the receiver is dropped.
    pub fn watch(
        self: &Arc<Self>,
        after_sequence: u64,
        keep: EventFilter,
    ) -> Result<mpsc::Receiver<Result<WatchedEvent, HubError>>, HubError> {
        let permit = Arc::clone(&self.watchers).try_acquire_owned().map_err(|_| {
            HubError::Refused(Refusal::new(
                Reason::TooManyWatchers,
                "too many watch streams are open on this hub; retry later",
            ))
        })?;
        let (sender, receiver) = mpsc::channel(WATCH_BUFFER);
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            hub.feed_watcher(after_sequence, keep, sender).await;
            drop(permit);
        });
        Ok(receiver)
    }

    async fn feed_watcher(
        &self,
        mut cursor: u64,
        keep: EventFilter,
        sender: mpsc::Sender<Result<WatchedEvent, HubError>>,
    ) {
        let mut horizon = self.store.durable_events();
        let mut closing = self.closing.subscribe();
        loop {
            let head = *horizon.borrow_and_update();
            while cursor < head {
                let batch = match self.read_events(cursor, head) {
                    Ok(batch) => batch,
                    Err(error) => {
                        let _ = sender.send(Err(error)).await;
                        return;
                    }
                };
                let Some(last) = batch.last() else { break };
                cursor = last.sequence;
                for event in batch {
                    let fit = match keep(self, &event) {
                        Delivery::Skip => continue,
                        Delivery::Send => None,
                        Delivery::Scored(score, explanation) => Some((score, explanation)),
                    };
                    let watched = WatchedEvent {
                        event,
                        head_sequence: head,
                        fit,
                    };
                    if sender.send(Ok(watched)).await.is_err() {
                        return;
                    }
                }
            }
            if *closing.borrow_and_update() {
                return;
            }
            tokio::select! {
                changed = horizon.changed() => if changed.is_err() { return },
                () = sender.closed() => return,
                _ = closing.changed() => return,
            }
        }
    }

    fn read_events(&self, after: u64, through: u64) -> Result<Vec<HubEvent>, HubError> {
        let mut batch = Vec::with_capacity(BATCH);
        for event in self.store.events_after(after).take(BATCH) {
            let event = event?;
            if event.sequence > through {
                break;
            }
            batch.push(event);
        }
        Ok(batch)
    }
}

/// What new needs a provider wants to hear about; empty lists match everything.
#[derive(Debug, Clone, Default)]
pub struct NeedInterest {
    pub themes: Vec<crate::domain::Objective>,
    /// M49 area slugs.
    pub areas: Vec<String>,
    pub modalities: Vec<crate::domain::Modality>,
}

impl NeedInterest {
    fn covers(&self, need: &crate::domain::Need) -> bool {
        let spec = &need.spec;
        let theme = self.themes.is_empty() || spec.themes.iter().any(|t| self.themes.contains(t));
        let modality = self.modalities.is_empty() || spec.modalities.iter().any(|m| self.modalities.contains(m));
        let area = self.areas.is_empty()
            || spec
                .countries
                .iter()
                .filter_map(|c| crate::domain::geography::country(c))
                .any(|country| self.areas.iter().any(|area| country.area_fit(area).is_some()));
        theme && modality && area
    }
}

impl Hub {
    /// Match events concerning `actor_id`.
    pub fn watch_matches(
        self: &Arc<Self>,
        actor_id: &str,
        after_sequence: u64,
    ) -> Result<mpsc::Receiver<Result<WatchedEvent, HubError>>, HubError> {
        self.load::<crate::domain::Actor>("actor_id", actor_id)?;
        let actor_id = actor_id.to_string();
        let keep: EventFilter =
            Box::new(move |_, event| Delivery::sent_if(event.kind.is_match_event() && event.concerns(&actor_id)));
        self.watch(after_sequence, keep)
    }

    /// Newly submitted needs that `interest` covers; with an offer in `for_offer`, only those
    /// the offer can serve with at least its least score, scored.
    pub fn watch_needs(
        self: &Arc<Self>,
        interest: NeedInterest,
        for_offer: Option<OfferWatch>,
        after_sequence: u64,
    ) -> Result<mpsc::Receiver<Result<WatchedEvent, HubError>>, HubError> {
        let mut violations = crate::domain::Violations::default();
        violations.areas("regions", &interest.areas);
        if let Some(watch) = &for_offer {
            violations.check(
                (0.0..=1.0).contains(&watch.min_score),
                "min_score",
                format!("{} must be between 0 and 1", watch.min_score),
            );
        }
        violations.into_result()?;
        if let Some(watch) = &for_offer {
            self.load::<crate::domain::Offer>("offer_id", &watch.offer_id)?;
        }
        let keep: EventFilter = Box::new(move |hub, event| {
            if event.kind != crate::domain::EventKind::NeedSubmitted {
                return Delivery::Skip;
            }
            let need = event
                .need_id
                .as_deref()
                .and_then(|id| hub.store.get::<crate::domain::Need>(id).ok().flatten());
            // A need no longer open when its event is sent can be served by nobody.
            let open = |need: &crate::domain::Need| need.status == crate::domain::NeedStatus::Open;
            let Some(need) = need.filter(|need| open(need) && interest.covers(need)) else {
                return Delivery::Skip;
            };
            match &for_offer {
                None => Delivery::Send,
                Some(watch) => match hub.offer_fit(&need, &watch.offer_id) {
                    Ok(Some((score, explanation))) if score >= watch.min_score => Delivery::Scored(score, explanation),
                    Ok(_) => Delivery::Skip,
                    Err(error) => {
                        tracing::warn!(%error, need = %need.id, offer = %watch.offer_id, "need not scored for a watcher; left out");
                        Delivery::Skip
                    }
                },
            }
        });
        self.watch(after_sequence, keep)
    }
}

impl Delivery {
    /// Send when `wanted`, else skip.
    fn sent_if(wanted: bool) -> Delivery {
        if wanted { Delivery::Send } else { Delivery::Skip }
    }
}

/// Which offer a needs watcher scores new needs for, and the least score it wants.
#[derive(Debug, Clone)]
pub struct OfferWatch {
    pub offer_id: String,
    /// In [0, 1].
    pub min_score: f64,
}
