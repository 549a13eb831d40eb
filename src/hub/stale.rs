//! Stale listings: the sweep tells an owner once when its open need or active offer has gone
//! without an update for the stale-after period (a STALE event, remembered in the store by the
//! `updated_at` it was said for), and the owner confirms the listing is still current, which
//! counts as an update.

use super::{Hub, HubError};
use crate::domain::{EventKind, HubEvent, Need, NeedStatus, Offer, OfferStatus, Staleness, UnixMillis};
use crate::domain::{Reason, Refusal};
use crate::store::{Record, Store, WriteSet, records};

/// A record that can go stale: an open need or an active offer.
pub(super) trait Listing: Record + Clone {
    /// What the listing is called in messages ("need", "offer").
    const NOUN: &'static str;
    /// The status a listing must be in to go stale, in words ("open", "active").
    const LIVE: &'static str;
    /// Its staleness at `now`.
    fn staleness(&self, now: UnixMillis, after_days: u32) -> Staleness;
    /// Whether it is in the status that can go stale, or else its status in words.
    fn live(&self) -> Result<(), &'static str>;
    /// When it was last updated.
    fn updated_at(&self) -> UnixMillis;
    /// The same listing, updated at `now`.
    fn touched(&self, now: UnixMillis) -> Self;
    /// The STALE event telling its owner.
    fn stale_event(&self, now: UnixMillis, days: u32) -> HubEvent;
}

/// "need need-3 has not been updated for 180 days: confirm it is still current, update it or
/// withdraw it".
fn stale_summary(noun: &str, id: &str, days: u32) -> String {
    format!("{noun} {id} has not been updated for {days} days: confirm it is still current, update it or withdraw it")
}

impl Listing for Need {
    const NOUN: &'static str = "need";
    const LIVE: &'static str = "open";

    fn staleness(&self, now: UnixMillis, after_days: u32) -> Staleness {
        Need::staleness(self, now, after_days)
    }

    fn live(&self) -> Result<(), &'static str> {
        match self.status {
            NeedStatus::Open => Ok(()),
            status => Err(status.word()),
        }
    }

    fn updated_at(&self) -> UnixMillis {
        self.updated_at
    }

    fn touched(&self, now: UnixMillis) -> Need {
        Need {
            updated_at: now,
            ..self.clone()
        }
    }

    fn stale_event(&self, now: UnixMillis, days: u32) -> HubEvent {
        self.event(EventKind::Stale, now, None, stale_summary(Self::NOUN, &self.id, days))
    }
}

impl Listing for Offer {
    const NOUN: &'static str = "offer";
    const LIVE: &'static str = "active";

    fn staleness(&self, now: UnixMillis, after_days: u32) -> Staleness {
        Offer::staleness(self, now, after_days)
    }

    fn live(&self) -> Result<(), &'static str> {
        match self.status {
            OfferStatus::Active => Ok(()),
            status => Err(status.word()),
        }
    }

    fn updated_at(&self) -> UnixMillis {
        self.updated_at
    }

    fn touched(&self, now: UnixMillis) -> Offer {
        Offer {
            updated_at: now,
            ..self.clone()
        }
    }

    fn stale_event(&self, now: UnixMillis, days: u32) -> HubEvent {
        let mut event = HubEvent::new(EventKind::Stale, now, stale_summary(Self::NOUN, &self.id, days));
        event.offer_id = Some(self.id.clone());
        event.actor_ids = vec![self.provider_id.clone()];
        event
    }
}

impl Hub {
    /// Whether `listing` is stale at `now` and its owner has not been told for this staleness
    /// (for the `updated_at` it has now). A notice that cannot be read counts as not told: the
    /// owner is told again rather than never.
    pub(super) fn stale_untold<L: Listing>(&self, listing: &L, now: UnixMillis) -> bool {
        if !listing.staleness(now, self.stale_after_days).is_stale() {
            return false;
        }
        let told = records::id_number::<L>(listing.id()).and_then(|number| self.store.stale_notice(number));
        match told {
            Ok(told) => told != Some(listing.updated_at()),
            Err(error) => {
                tracing::warn!(%error, id = listing.id(), "stale notice unreadable; told again");
                true
            }
        }
    }

    /// Tells the owners of the listings found stale and untold that still are, one STALE event
    /// each, and remembers it in the same write.
    pub(super) fn tell_stale<L: Listing>(
        &self,
        store: &Store,
        found: &[L],
        is_due: impl Fn(&L) -> bool,
    ) -> Result<(WriteSet, usize), HubError> {
        let now = self.now();
        let mut writes = WriteSet::default();
        let mut told = 0;
        for found in found {
            let Some(listing) = Self::still_due(store, found, &is_due)? else {
                continue;
            };
            let Staleness::Stale { days } = listing.staleness(now, self.stale_after_days) else {
                continue;
            };
            writes.record_event(listing.stale_event(now, days));
            writes.note_stale(records::id_number::<L>(listing.id())?, listing.updated_at())?;
            told += 1;
        }
        Ok((writes, told))
    }

    /// The owner says an open need is still current: it counts as an update.
    pub async fn confirm_need_still_current(&self, id: &str) -> Result<Need, HubError> {
        self.confirm_still_current::<Need>(id).await
    }

    /// The owner says an active offer is still current: it counts as an update.
    pub async fn confirm_offer_still_current(&self, id: &str) -> Result<Offer, HubError> {
        self.confirm_still_current::<Offer>(id).await
    }

    /// Bumps a live listing's `updated_at` and forgets that it was said to be stale;
    /// FAILED_PRECONDITION for one that is not live.
    async fn confirm_still_current<L: Listing>(&self, id: &str) -> Result<L, HubError> {
        let change = |_: &Store| {
            let old: L = self.load("id", id)?;
            if let Err(status) = old.live() {
                return Err(HubError::Refused(Refusal::new(
                    Reason::ListingNotLive,
                    format!(
                        "{} {id} is {status}; only an {} {} can be confirmed still current",
                        L::NOUN,
                        L::LIVE,
                        L::NOUN
                    ),
                )));
            }
            let listing = old.touched(self.now());
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &listing)?;
            writes.forget_stale(records::id_number::<L>(id)?);
            Ok((writes, listing))
        };
        self.write(change, |_| {}).await
    }
}
