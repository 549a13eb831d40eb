//! Time: needs and offers past their window expire, proposals nobody answered within the
//! proposal time-to-live are released, and owners of listings gone stale are told (see
//! [`super::stale`]). A background task sweeps periodically; each sweep's work shows in the
//! event log (NEED_EXPIRED, OFFER_EXPIRED, MATCH_EXPIRED, MATCH_CANCELLED, STALE).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};

use super::needs::cancel_pending;
use super::{Hub, HubError};
use crate::domain::{DateWindow, EventKind, HubEvent, Match, MatchStatus, Need, NeedStatus, Offer, OfferStatus};
use crate::store::{Record, StatusKey, Store, TreeName, WriteSet};

/// What one sweep expired, and which stale listings' owners it told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpirySweep {
    pub needs: usize,
    pub offers: usize,
    pub proposals: usize,
    /// Open needs found stale, their requesters told.
    pub stale_needs: usize,
    /// Active offers found stale, their providers told.
    pub stale_offers: usize,
}

impl ExpirySweep {
    /// True when the sweep changed nothing.
    pub fn is_empty(&self) -> bool {
        *self == ExpirySweep::default()
    }
}

/// Records one transaction of a sweep writes at most. A sweep after days of downtime may find
/// thousands due; in chunks, no transaction stages them all, and writers waiting for the lock
/// get their turn between chunks. A record and the proposals it cancels are always written
/// together.
const SWEEP_CHUNK: usize = 256;

fn ended_before(window: &DateWindow, today: NaiveDate) -> bool {
    window.end.is_some_and(|end| end < today)
}

impl Hub {
    /// Sweeps at the configured interval, forever: the server aborts the task at shutdown. Each
    /// sweep runs on the blocking pool: finding what is due reads every open record (200,000
    /// needs at tier L), work that must not hold an async worker the calls need.
    pub async fn run_expiry(self: Arc<Self>) {
        let mut ticker = tokio::time::interval(self.sweep_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let hub = Arc::clone(&self);
            let runtime = tokio::runtime::Handle::current();
            let swept = tokio::task::spawn_blocking(move || runtime.block_on(hub.expire_due())).await;
            match swept {
                Ok(Ok(sweep)) if !sweep.is_empty() => tracing::info!(?sweep, "expired what was due"),
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "expiry sweep failed"),
                Err(error) => tracing::error!(%error, "expiry sweep stopped"),
            }
        }
    }

    /// Expires what is due now: needs and offers whose window ended before today, and proposals
    /// older than the proposal time-to-live; and tells the owners of open needs and active
    /// offers that went stale since they were last told.
    pub async fn expire_due(&self) -> Result<ExpirySweep, HubError> {
        // The server stops the sweeps before it closes the hub, but a sweep already running on
        // the blocking pool goes on: one that finds the hub closing writes nothing.
        if *self.closing.borrow() {
            return Ok(ExpirySweep::default());
        }
        let (ttl, today, now) = (self.proposal_ttl_millis(), self.today(), self.now());
        let offer_statuses = [OfferStatus::Active, OfferStatus::Paused, OfferStatus::Exhausted];
        let match_statuses = MatchStatus::AWAITING_ANSWER;
        let needs_due = |need: &Need| need.status == NeedStatus::Open && ended_before(&need.spec.window, today);
        let offers_due =
            |offer: &Offer| offer_statuses.contains(&offer.status) && ended_before(&offer.spec.window, today);
        let proposals_due =
            |record: &Match| match_statuses.contains(&record.status) && record.created_at.saturating_add(ttl) <= now;
        // Finding what is due reads every open record: done without the writer lock, so writes
        // go on meanwhile. Under the lock each found record is read again and expired only if
        // it is still due.
        // Expiry goes first: a listing both stale and due to expire is only expired.
        let needs_stale = |need: &Need| !needs_due(need) && self.stale_untold(need, now);
        let offers_stale = |offer: &Offer| !offers_due(offer) && self.stale_untold(offer, now);
        // One read of the open needs and live offers finds both.
        let (needs, stale_needs): (Vec<Need>, Vec<Need>) = self
            .due(TreeName::NeedsByStatus, &[NeedStatus::Open], |n| {
                needs_due(n) || needs_stale(n)
            })?
            .into_iter()
            .partition(needs_due);
        let needs = self
            .write_in_chunks(&needs, |store, chunk| self.expire_needs(store, chunk, needs_due))
            .await?;
        let stale_needs = self
            .write_in_chunks(&stale_needs, |store, chunk| self.tell_stale(store, chunk, needs_stale))
            .await?;
        let (offers, stale_offers): (Vec<Offer>, Vec<Offer>) = self
            .due(TreeName::OffersByStatus, &offer_statuses, |o| {
                offers_due(o) || offers_stale(o)
            })?
            .into_iter()
            .partition(offers_due);
        let offers = self
            .write_in_chunks(&offers, |store, chunk| self.expire_offers(store, chunk, offers_due))
            .await?;
        let stale_offers = self
            .write_in_chunks(&stale_offers, |store, chunk| {
                self.tell_stale(store, chunk, offers_stale)
            })
            .await?;
        let proposals = self.due(TreeName::MatchesByStatus, &match_statuses, proposals_due)?;
        let proposals = self
            .write_in_chunks(&proposals, |store, chunk| {
                self.expire_proposals(store, chunk, proposals_due)
            })
            .await?;
        Ok(ExpirySweep {
            needs,
            offers,
            proposals,
            stale_needs,
            stale_offers,
        })
    }

    /// Writes what `write` makes of the records `found`, [`SWEEP_CHUNK`] of them per
    /// transaction, and waits until the last is durable (a flush covers every write before
    /// it): how many records `write` changed. Chunks written before one that fails stay
    /// written (each is whole: a record with what it cancels), are made durable by the next
    /// flush like any write, and are no longer due at the next sweep. A hub that starts closing
    /// meanwhile gets no further chunk.
    async fn write_in_chunks<R>(
        &self,
        found: &[R],
        write: impl Fn(&Store, &[R]) -> Result<(WriteSet, usize), HubError>,
    ) -> Result<usize, HubError> {
        let mut changed = 0;
        let mut last = None;
        for chunk in found.chunks(SWEEP_CHUNK) {
            if *self.closing.borrow() {
                break;
            }
            let (count, ticket) = self.write_unacknowledged(|store| write(store, chunk), |_| {}).await?;
            changed += count;
            last = Some(ticket);
        }
        if let Some(ticket) = last {
            self.store.durable(ticket).await?;
        }
        Ok(changed)
    }

    fn proposal_ttl_millis(&self) -> i64 {
        i64::try_from(self.proposal_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// The records filed under one of `statuses` for which `is_due` holds, read one at a time so
    /// a sweep holds only what it expires; each once, though a record that changed status during
    /// the scan may be filed under two of them.
    fn due<R: Record>(
        &self,
        index: TreeName,
        statuses: &[impl StatusKey],
        is_due: impl Fn(&R) -> bool,
    ) -> Result<Vec<R>, HubError> {
        let mut due = BTreeMap::new();
        for status in statuses {
            for number in self.store.ids_in_index(index, status.index_key()) {
                let number = number?;
                if let Some(record) = self.store.get_by_number::<R>(number)?.filter(|record| is_due(record)) {
                    due.insert(number, record);
                }
            }
        }
        Ok(due.into_values().collect())
    }

    /// The record as stored now, if it is still due.
    pub(super) fn still_due<R: Record>(
        store: &Store,
        found: &R,
        is_due: &impl Fn(&R) -> bool,
    ) -> Result<Option<R>, HubError> {
        Ok(store.get::<R>(found.id())?.filter(|record| is_due(record)))
    }

    fn today(&self) -> NaiveDate {
        DateTime::from_timestamp_millis(self.now())
            .unwrap_or_default()
            .date_naive()
    }

    /// Expires the needs found due that still are.
    fn expire_needs(
        &self,
        store: &Store,
        found: &[Need],
        is_due: impl Fn(&Need) -> bool,
    ) -> Result<(WriteSet, usize), HubError> {
        let now = self.now();
        let mut writes = WriteSet::default();
        let mut expired = 0;
        for found in found {
            let Some(old) = Self::still_due(store, found, &is_due)? else {
                continue;
            };
            let need = Hub::moved(&old, NeedStatus::Expired, now)?;
            writes.put(Some(&old), &need)?;
            let summary = format!("need {} expired: its window ended", need.id);
            writes.record_event(need.event(EventKind::NeedExpired, now, None, summary));
            let because = format!("{} expired", need.id);
            cancel_pending(store, &mut writes, TreeName::MatchesByNeed, &need.id, &because, now)?;
            expired += 1;
        }
        Ok((writes, expired))
    }

    /// Expires the offers found due that still are.
    fn expire_offers(
        &self,
        store: &Store,
        found: &[Offer],
        is_due: impl Fn(&Offer) -> bool,
    ) -> Result<(WriteSet, usize), HubError> {
        let now = self.now();
        let mut writes = WriteSet::default();
        let mut expired = 0;
        for found in found {
            let Some(old) = Self::still_due(store, found, &is_due)? else {
                continue;
            };
            let offer = Hub::moved(&old, OfferStatus::Expired, now)?;
            writes.put(Some(&old), &offer)?;
            let summary = format!("offer {} expired: its window ended", offer.id);
            let mut event = HubEvent::new(EventKind::OfferExpired, now, summary);
            event.offer_id = Some(offer.id.clone());
            event.actor_ids = vec![offer.provider_id.clone()];
            writes.record_event(event);
            let because = format!("{} expired", offer.id);
            cancel_pending(store, &mut writes, TreeName::MatchesByOffer, &offer.id, &because, now)?;
            expired += 1;
        }
        Ok((writes, expired))
    }

    /// Expires the proposals found due that still are.
    fn expire_proposals(
        &self,
        store: &Store,
        found: &[Match],
        is_due: impl Fn(&Match) -> bool,
    ) -> Result<(WriteSet, usize), HubError> {
        let now = self.now();
        let mut writes = WriteSet::default();
        let mut expired = 0;
        for found in found {
            let Some(old) = Self::still_due(store, found, &is_due)? else {
                continue;
            };
            let record = Hub::moved(&old, MatchStatus::Expired, now)?;
            writes.put(Some(&old), &record)?;
            let summary = format!("match {} expired: not answered within the proposal time", record.id);
            writes.record_event(record.event(EventKind::MatchExpired, now, None, summary));
            expired += 1;
        }
        Ok((writes, expired))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ActorKind, ActorProfile, Level, Modality, NeedSpec, Objective, Urgency};
    use crate::hub::HubSettings;

    /// 600 needs due at once are written in three transactions of at most 256: every one
    /// expires, a need not due stays open, and the next sweep finds nothing left.
    #[tokio::test(start_paused = true)]
    async fn a_sweep_writes_what_is_due_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        let profile = ActorProfile {
            name: "Government of Guatemala".into(),
            kind: ActorKind::NationalGovernment,
            country: Some("GTM".into()),
            languages: vec!["es".into()],
            description: String::new(),
            contact: String::new(),
        };
        let (requester, _) = hub.register_actor(profile, "").await.unwrap();
        let need_ending_in = |days: u64| {
            let spec = NeedSpec {
                title: "Alternatives to detention for migrant children".into(),
                description: String::new(),
                themes: vec![Objective::new(13).unwrap()],
                modalities: vec![Modality::TechnicalAdvice],
                level: Level::National,
                countries: vec!["GTM".into()],
                languages: vec!["es".into()],
                budget_usd: None,
                urgency: Urgency::High,
                window: DateWindow {
                    start: None,
                    end: Some(hub.today() + chrono::Days::new(days)),
                },
            };
            hub.submit_need(&requester.id, spec, "")
        };
        let mut due = Vec::new();
        for _ in 0..600 {
            due.push(need_ending_in(0).await.unwrap().id);
        }
        let lasting = need_ending_in(30).await.unwrap();

        tokio::time::advance(std::time::Duration::from_secs(2 * 86_400)).await;
        let before = hub.store.writes_applied();
        assert_eq!(hub.expire_due().await.unwrap().needs, 600);
        assert_eq!(
            hub.store.writes_applied() - before,
            600usize.div_ceil(SWEEP_CHUNK) as u64
        );
        for id in &due {
            assert_eq!(hub.get_need(id).unwrap().status, NeedStatus::Expired, "{id}");
        }
        assert_eq!(hub.get_need(&lasting.id).unwrap().status, NeedStatus::Open);
        assert!(hub.expire_due().await.unwrap().is_empty());
    }
}
