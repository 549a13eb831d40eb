//! Time: needs and offers past their window expire, and proposals nobody answered within the
//! proposal time-to-live are released. A background task sweeps periodically; each sweep's work
//! shows in the event log (NEED_EXPIRED, OFFER_EXPIRED, MATCH_EXPIRED, MATCH_CANCELLED).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};

use super::needs::cancel_pending;
use super::{Hub, HubError};
use crate::domain::{DateWindow, EventKind, HubEvent, Match, MatchStatus, Need, NeedStatus, Offer, OfferStatus};
use crate::store::{Record, Store, TreeName, WriteSet};

/// What one sweep expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpirySweep {
    pub needs: usize,
    pub offers: usize,
    pub proposals: usize,
}

impl ExpirySweep {
    /// True when the sweep changed nothing.
    pub fn is_empty(&self) -> bool {
        *self == ExpirySweep::default()
    }
}

fn ended_before(window: &DateWindow, today: NaiveDate) -> bool {
    window.end.is_some_and(|end| end < today)
}

impl Hub {
    /// Sweeps at the configured interval, forever: the server aborts the task at shutdown.
    pub async fn run_expiry(self: Arc<Self>) {
        let mut ticker = tokio::time::interval(self.sweep_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match self.expire_due().await {
                Ok(sweep) if !sweep.is_empty() => tracing::info!(?sweep, "expired what was due"),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "expiry sweep failed"),
            }
        }
    }

    /// Expires what is due now: needs and offers whose window ended before today, and proposals
    /// older than the proposal time-to-live.
    pub async fn expire_due(&self) -> Result<ExpirySweep, HubError> {
        let needs = self.write(|store| self.expire_needs(store), |_| {}).await?;
        let offers = self.write(|store| self.expire_offers(store), |_| {}).await?;
        let proposals = self.write(|store| self.expire_proposals(store), |_| {}).await?;
        Ok(ExpirySweep {
            needs,
            offers,
            proposals,
        })
    }

    fn today(&self) -> NaiveDate {
        DateTime::from_timestamp_millis(self.now())
            .unwrap_or_default()
            .date_naive()
    }

    /// The records filed under any of `statuses` in `index`.
    fn in_statuses<R: Record>(store: &Store, index: TreeName, statuses: &[String]) -> Result<Vec<R>, HubError> {
        let mut records = Vec::new();
        for status in statuses {
            for number in store.ids_in_index(index, status) {
                records.extend(store.get_by_number::<R>(number?)?);
            }
        }
        Ok(records)
    }

    fn expire_needs(&self, store: &Store) -> Result<(WriteSet, usize), HubError> {
        let (now, today) = (self.now(), self.today());
        let mut writes = WriteSet::default();
        let mut expired = 0;
        for old in Self::in_statuses::<Need>(store, TreeName::NeedsByStatus, &[format!("{:?}", NeedStatus::Open)])? {
            if ended_before(&old.spec.window, today) {
                let need = Hub::moved(&old, NeedStatus::Expired, now)?;
                writes.put(Some(&old), &need)?;
                let summary = format!("need {} expired: its window ended", need.id);
                writes.record_event(HubEvent {
                    by: None,
                    ..need.event(EventKind::NeedExpired, now, summary)
                });
                cancel_pending(store, &mut writes, TreeName::MatchesByNeed, &need.id, now)?;
                expired += 1;
            }
        }
        Ok((writes, expired))
    }

    fn expire_offers(&self, store: &Store) -> Result<(WriteSet, usize), HubError> {
        let (now, today) = (self.now(), self.today());
        let statuses = [OfferStatus::Active, OfferStatus::Paused, OfferStatus::Exhausted].map(|s| format!("{s:?}"));
        let mut writes = WriteSet::default();
        let mut expired = 0;
        for old in Self::in_statuses::<Offer>(store, TreeName::OffersByStatus, &statuses)? {
            if ended_before(&old.spec.window, today) {
                let offer = Hub::moved(&old, OfferStatus::Expired, now)?;
                writes.put(Some(&old), &offer)?;
                let summary = format!("offer {} expired: its window ended", offer.id);
                let mut event = HubEvent::new(EventKind::OfferExpired, now, summary);
                event.offer_id = Some(offer.id.clone());
                event.actor_ids = vec![offer.provider_id.clone()];
                writes.record_event(event);
                cancel_pending(store, &mut writes, TreeName::MatchesByOffer, &offer.id, now)?;
                expired += 1;
            }
        }
        Ok((writes, expired))
    }

    fn expire_proposals(&self, store: &Store) -> Result<(WriteSet, usize), HubError> {
        let now = self.now();
        let ttl = i64::try_from(self.proposal_ttl.as_millis()).unwrap_or(i64::MAX);
        let statuses = [
            MatchStatus::Proposed,
            MatchStatus::AcceptedByRequester,
            MatchStatus::AcceptedByProvider,
        ]
        .map(|s| format!("{s:?}"));
        let mut writes = WriteSet::default();
        let mut expired = 0;
        for old in Self::in_statuses::<Match>(store, TreeName::MatchesByStatus, &statuses)? {
            if old.created_at.saturating_add(ttl) <= now {
                let record = Hub::moved(&old, MatchStatus::Expired, now)?;
                writes.put(Some(&old), &record)?;
                let summary = format!("match {} expired: not answered within the proposal time", record.id);
                writes.record_event(record.event(EventKind::MatchExpired, now, None, summary));
                expired += 1;
            }
        }
        Ok((writes, expired))
    }
}
