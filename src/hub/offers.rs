//! Registering, reading, editing and withdrawing offers.

use super::needs::{cancel_pending, with_reason, withdrawal_reason};
use super::{Hub, HubError, Page, PageRequest};
use crate::domain::{
    ActingFor, Actor, EventKind, HubEvent, Modality, Objective, Offer, OfferSpec, OfferStatus, Violations,
};
use crate::domain::{Reason, Refusal};
use crate::store::{Scan, StatusKey, Store, TreeName, WriteSet};

/// Filters of ListOffers; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    pub provider_id: Option<String>,
    pub status: Option<OfferStatus>,
    pub theme: Option<Objective>,
    pub modality: Option<Modality>,
}

impl OfferFilter {
    fn keeps(&self, offer: &Offer) -> bool {
        self.provider_id.as_ref().is_none_or(|id| &offer.provider_id == id)
            && self.status.is_none_or(|status| offer.status == status)
            && self.theme.is_none_or(|theme| offer.spec.themes.contains(&theme))
            && self
                .modality
                .is_none_or(|modality| offer.spec.modalities.contains(&modality))
    }
}

impl Hub {
    /// Registers an offer for `provider_id`. Empty `languages` default to the provider's.
    pub async fn register_offer(
        &self,
        provider_id: &str,
        mut spec: OfferSpec,
        request_id: &str,
    ) -> Result<Offer, HubError> {
        let provider: Actor = self.load("provider_id", provider_id)?;
        if spec.languages.is_empty() {
            spec.languages.clone_from(&provider.profile.languages);
        }
        spec.validate()?;
        // Idempotency keys are the owner's own: another caller reusing a key gets its own record.
        let scope = format!("RegisterOffer/{}", provider.id);
        let change = |store: &Store| {
            if let Some(offer) = self.replay::<Offer>(&scope, request_id)? {
                return Ok((WriteSet::default(), offer));
            }
            let now = self.now();
            let offer = Offer {
                id: store.next_id("offer")?,
                provider_id: provider.id.clone(),
                remaining_capacity: spec.capacity,
                spec,
                status: OfferStatus::Active,
                created_at: now,
                updated_at: now,
            };
            let mut writes = WriteSet::default();
            writes.put(None, &offer)?;
            if !request_id.is_empty() {
                writes.remember_request(&scope, request_id, &offer.id);
            }
            Ok((writes, offer))
        };
        self.write(change, |_| {}).await
    }

    /// The offer with this id.
    pub fn get_offer(&self, id: &str) -> Result<Offer, HubError> {
        self.load("id", id)
    }

    /// A page of offers.
    pub fn list_offers(&self, filter: &OfferFilter, page: &PageRequest) -> Result<Page<Offer>, HubError> {
        let theme = filter.theme.map(|theme| theme.to_string());
        let status = filter.status.map(StatusKey::index_key);
        let scan = if let Some(id) = &filter.provider_id {
            Scan::Index(TreeName::OffersByProvider, id)
        } else if let Some(theme) = &theme {
            Scan::Index(TreeName::OffersByTheme, theme)
        } else if let Some(modality) = filter.modality {
            Scan::Index(TreeName::OffersByModality, modality.code())
        } else if let Some(status) = &status {
            Scan::Index(TreeName::OffersByStatus, status)
        } else {
            Scan::All
        };
        self.list(scan, page, |offer: &Offer| filter.keeps(offer))
    }

    /// Edits an offer with `edit`. Capacity may not drop below what confirmed matches reserve;
    /// the remaining capacity moves with it.
    pub async fn update_offer(
        &self,
        id: &str,
        edit: impl FnOnce(&mut OfferSpec) -> Result<(), Violations>,
    ) -> Result<Offer, HubError> {
        let change = |_: &Store| {
            let old: Offer = self.load("offer.id", id)?;
            if matches!(old.status, OfferStatus::Withdrawn | OfferStatus::Expired) {
                return Err(HubError::Refused(Refusal::new(
                    Reason::OfferClosed,
                    format!("offer {id} is {}; it can no longer be edited", old.status.word()),
                )));
            }
            let mut offer = old.clone();
            edit(&mut offer.spec)?;
            offer
                .spec
                .validate()
                .map_err(|violations| violations.within("offer."))?;
            let reserved = old.spec.capacity - old.remaining_capacity;
            if offer.spec.capacity < reserved {
                return Err(HubError::Refused(Refusal::new(
                    Reason::CapacityBelowConfirmed,
                    format!(
                        "capacity: {reserved} confirmed engagements hold offer {id}; capacity cannot drop below that"
                    ),
                )));
            }
            offer.remaining_capacity = offer.spec.capacity - reserved;
            let status = match (old.status, offer.remaining_capacity) {
                (OfferStatus::Active | OfferStatus::Exhausted, 0) => OfferStatus::Exhausted,
                (OfferStatus::Active | OfferStatus::Exhausted, _) => OfferStatus::Active,
                (status, _) => status,
            };
            let now = self.now();
            if status != old.status {
                offer = Offer {
                    spec: offer.spec,
                    remaining_capacity: offer.remaining_capacity,
                    ..Hub::moved(&old, status, now)?
                };
            }
            offer.updated_at = now;
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &offer)?;
            Ok((writes, offer))
        };
        self.write(change, |_| {}).await
    }

    /// Withdraws an offer for its provider; its matches still awaiting an answer are cancelled,
    /// confirmed ones keep their reservation.
    pub async fn withdraw_offer(&self, id: &str, reason: &str) -> Result<Offer, HubError> {
        self.withdraw_offer_as(id, reason, false).await
    }

    /// [`Hub::withdraw_offer`] by the admin, who acts as no actor.
    pub async fn withdraw_offer_by_admin(&self, id: &str, reason: &str) -> Result<Offer, HubError> {
        self.withdraw_offer_as(id, reason, true).await
    }

    async fn withdraw_offer_as(&self, id: &str, reason: &str, by_admin: bool) -> Result<Offer, HubError> {
        withdrawal_reason(reason)?;
        let change = |store: &Store| {
            let old: Offer = self.load("id", id)?;
            let now = self.now();
            let offer = Hub::moved(&old, OfferStatus::Withdrawn, now)?;
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &offer)?;
            let acting = ActingFor {
                party: &offer.provider_id,
                by_admin,
            };
            let summary = with_reason(format!("{} withdrew offer {id}", acting.named()), reason);
            let mut event = HubEvent::new(EventKind::OfferWithdrawn, now, summary);
            event.offer_id = Some(offer.id.clone());
            event.actor_ids = vec![offer.provider_id.clone()];
            event.by = acting.by().map(str::to_string);
            writes.record_event(event);
            let because = with_reason(format!("{id} was withdrawn"), reason);
            cancel_pending(store, &mut writes, TreeName::MatchesByOffer, id, &because, now)?;
            Ok((writes, offer))
        };
        self.write(change, |_| {}).await
    }
}
