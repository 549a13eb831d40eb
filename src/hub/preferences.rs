//! The parties' marks on need-offer pairs: setting and clearing them, and reading them for
//! ranking, proposing and allocating. A declined pair is left out wherever pairs are made.

use rustc_hash::FxHashSet;

use super::{Hub, HubError};
use crate::domain::preference::validate_reason;
use crate::domain::{Need, Offer, PairPreference, Preference, PreferenceSide, Violations};
use crate::domain::{Reason, Refusal};
use crate::store::{Store, TreeName, WriteSet};

/// A party's request to mark a pair: what SetPreference carries.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferenceChange {
    pub need_id: String,
    pub offer_id: String,
    /// The need's requester or the offer's provider.
    pub actor_id: String,
    /// [`Preference::None`] clears the party's mark.
    pub preference: Preference,
    /// Why; at most [`crate::domain::preference::MAX_PREFERENCE_REASON_CHARS`] characters,
    /// ignored when clearing.
    pub reason: String,
}

impl Hub {
    /// Sets `actor_id`'s mark on the pair (need, offer), or clears it with [`Preference::None`].
    /// `actor_id` must be the need's requester or the offer's provider. Setting the mark and
    /// reason the party already has changes nothing and logs nothing; otherwise the change and
    /// its `PreferenceSet` event are one write. Returns the mark as kept (for a clear: the pair
    /// with `Preference::None`, an empty id and reason, and the time of the clear).
    pub async fn set_preference(&self, change: &PreferenceChange) -> Result<PairPreference, HubError> {
        let PreferenceChange {
            need_id,
            offer_id,
            actor_id,
            preference,
            reason,
        } = change;
        let (need_id, offer_id, actor_id, preference) =
            (need_id.as_str(), offer_id.as_str(), actor_id.as_str(), *preference);
        let reason = if preference == Preference::None { "" } else { reason };
        validate_reason(reason)?;
        let change = |store: &Store| {
            let need: Need = self.load("need_id", need_id)?;
            let offer: Offer = self.load("offer_id", offer_id)?;
            let side = party_side(&need, &offer, actor_id)?;
            let old = self.preference_of(store, need_id, offer_id, actor_id)?;
            let now = self.now();
            let mut writes = WriteSet::default();
            let kept = match (&old, preference) {
                (None, Preference::None) => PairPreference {
                    id: String::new(),
                    need_id: need.id.clone(),
                    offer_id: offer.id.clone(),
                    actor_id: actor_id.to_string(),
                    side,
                    preference,
                    reason: String::new(),
                    set_at: now,
                },
                (Some(old), _) if old.preference == preference && old.reason == reason => old.clone(),
                (Some(old), Preference::None) => {
                    writes.delete(old)?;
                    PairPreference {
                        id: String::new(),
                        preference,
                        reason: String::new(),
                        set_at: now,
                        ..old.clone()
                    }
                }
                (old, _) => {
                    let id = match old {
                        Some(old) => old.id.clone(),
                        None => store.next_id("preference")?,
                    };
                    let new = PairPreference {
                        id,
                        need_id: need.id.clone(),
                        offer_id: offer.id.clone(),
                        actor_id: actor_id.to_string(),
                        side,
                        preference,
                        reason: reason.to_string(),
                        set_at: now,
                    };
                    writes.put(old.as_ref(), &new)?;
                    new
                }
            };
            let unchanged = old.as_ref() == Some(&kept) || (old.is_none() && preference == Preference::None);
            if !unchanged {
                writes.record_event(kept.event(now, &need.requester_id, &offer.provider_id));
            }
            Ok((writes, kept))
        };
        self.write(change, |_| {}).await
    }

    /// Offer ids declined for this need by either party: one prefix scan of the need's marks,
    /// read once per query.
    pub fn declined_offers(&self, need_id: &str) -> Result<FxHashSet<String>, HubError> {
        self.declined_in(TreeName::PreferencesByNeed, need_id, |mark| mark.offer_id)
    }

    /// Need ids declined for this offer by either party.
    pub fn declined_needs(&self, offer_id: &str) -> Result<FxHashSet<String>, HubError> {
        self.declined_in(TreeName::PreferencesByOffer, offer_id, |mark| mark.need_id)
    }

    /// `other_end` of each declined mark filed under `value` in `index`.
    fn declined_in(
        &self,
        index: TreeName,
        value: &str,
        other_end: fn(PairPreference) -> String,
    ) -> Result<FxHashSet<String>, HubError> {
        Ok(self
            .marks_in(index, value)?
            .into_iter()
            .filter(PairPreference::is_declined)
            .map(other_end)
            .collect())
    }

    /// Both parties' marks on a pair (none, one or two), requester's first: what explains why a
    /// pair is refused or ranked as it is.
    pub fn pair_preferences(&self, need_id: &str, offer_id: &str) -> Result<Vec<PairPreference>, HubError> {
        let mut marks: Vec<PairPreference> = self
            .marks_in(TreeName::PreferencesByNeed, need_id)?
            .into_iter()
            .filter(|mark| mark.offer_id == offer_id)
            .collect();
        marks.sort_by_key(|mark| mark.side != PreferenceSide::Requester);
        Ok(marks)
    }

    /// FAILED_PRECONDITION naming the first party's refusal of the pair, if either declined it.
    pub(super) fn check_not_declined(&self, need_id: &str, offer_id: &str) -> Result<(), HubError> {
        match self
            .pair_preferences(need_id, offer_id)?
            .into_iter()
            .find(PairPreference::is_declined)
        {
            Some(declined) => Err(HubError::Refused(Refusal::new(
                Reason::PairDeclined,
                declined.describe(),
            ))),
            None => Ok(()),
        }
    }

    /// Every mark in the store: an allocation run reads them once.
    pub(super) fn all_preferences(&self) -> Result<Vec<PairPreference>, HubError> {
        Ok(self.store.all::<PairPreference>().collect::<Result<_, _>>()?)
    }

    /// The marks filed under `value` in `index`.
    fn marks_in(&self, index: TreeName, value: &str) -> Result<Vec<PairPreference>, HubError> {
        let mut marks = Vec::new();
        for number in self.store.ids_in_index(index, value) {
            marks.extend(self.store.get_by_number::<PairPreference>(number?)?);
        }
        Ok(marks)
    }

    /// `actor_id`'s stored mark on the pair, if any.
    fn preference_of(
        &self,
        store: &Store,
        need_id: &str,
        offer_id: &str,
        actor_id: &str,
    ) -> Result<Option<PairPreference>, HubError> {
        for number in store.ids_in_index(TreeName::PreferencesByNeed, need_id) {
            if let Some(mark) = store.get_by_number::<PairPreference>(number?)?
                && mark.offer_id == offer_id
                && mark.actor_id == actor_id
            {
                return Ok(Some(mark));
            }
        }
        Ok(None)
    }
}

/// Which party `actor_id` is, or INVALID_ARGUMENT naming `actor_id` when it is neither.
fn party_side(need: &Need, offer: &Offer, actor_id: &str) -> Result<PreferenceSide, HubError> {
    if need.requester_id == actor_id {
        Ok(PreferenceSide::Requester)
    } else if offer.provider_id == actor_id {
        Ok(PreferenceSide::Provider)
    } else {
        Err(Violations::single(
            "actor_id",
            format!(
                "{actor_id} is neither the requester of {} nor the provider of {}",
                need.id, offer.id
            ),
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, HubEvent};
    use crate::hub::HubSettings;
    use crate::synthetic::{Tier, generate};

    fn change(need: &Need, offer: &Offer, actor_id: &str, preference: Preference, reason: &str) -> PreferenceChange {
        PreferenceChange {
            need_id: need.id.clone(),
            offer_id: offer.id.clone(),
            actor_id: actor_id.to_string(),
            preference,
            reason: reason.to_string(),
        }
    }

    fn preference_events(hub: &Hub) -> Vec<HubEvent> {
        hub.store
            .events_after(0)
            .map(Result::unwrap)
            .filter(|event| event.kind == EventKind::PreferenceSet)
            .collect()
    }

    /// Each change is one event naming the pair and both parties; a repeat records none; a
    /// clear deletes the record; the declined sets and the pair's marks follow.
    #[tokio::test]
    async fn marks_are_logged_once_and_read_from_both_ends() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        generate(&hub, Tier::S, 5, |_| {}).await.unwrap();
        let need: Need = hub.store.all::<Need>().next().unwrap().unwrap();
        let offer: Offer = hub
            .store
            .all::<Offer>()
            .map(Result::unwrap)
            .find(|offer| offer.provider_id != need.requester_id)
            .unwrap();
        let provider = offer.provider_id.clone();
        let declined = change(&need, &offer, &provider, Preference::Declined, "no staff in March");
        let kept = hub.set_preference(&declined).await.unwrap();
        assert_eq!(
            hub.set_preference(&declined).await.unwrap(),
            kept,
            "a repeat changes nothing"
        );
        let events = preference_events(&hub);
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].summary,
            format!("{provider} declined {} for {}: no staff in March", need.id, offer.id)
        );
        assert_eq!(events[0].actor_ids, [need.requester_id.clone(), provider.clone()]);
        assert_eq!(events[0].by.as_deref(), Some(provider.as_str()));
        assert!(hub.declined_offers(&need.id).unwrap().contains(&offer.id));
        assert!(hub.declined_needs(&offer.id).unwrap().contains(&need.id));
        let preferred = change(&need, &offer, &need.requester_id, Preference::Preferred, "");
        hub.set_preference(&preferred).await.unwrap();
        let marks = hub.pair_preferences(&need.id, &offer.id).unwrap();
        let sides: Vec<_> = marks.iter().map(|mark| (mark.side, mark.preference)).collect();
        assert_eq!(
            sides,
            [
                (PreferenceSide::Requester, Preference::Preferred),
                (PreferenceSide::Provider, Preference::Declined)
            ]
        );
        hub.set_preference(&change(&need, &offer, &provider, Preference::None, ""))
            .await
            .unwrap();
        hub.set_preference(&change(&need, &offer, &provider, Preference::None, ""))
            .await
            .unwrap();
        assert_eq!(
            preference_events(&hub).len(),
            3,
            "set, preferred, cleared; the second clear is no change"
        );
        assert!(hub.declined_offers(&need.id).unwrap().is_empty());
        assert_eq!(hub.pair_preferences(&need.id, &offer.id).unwrap().len(), 1);
    }
}
