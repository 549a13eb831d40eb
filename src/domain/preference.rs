//! A party's mark on a need-offer pair: the requester marks offers for its need, the provider
//! marks needs for its offer, each as preferred or declined. Demand comes first, but neither side
//! is made to work with a partner it has refused: a declined pair is never ranked, proposed or
//! allocated again, and a stable allocation ranks a preferred pair above unmarked ones.

use serde::{Deserialize, Serialize};

use super::{EventKind, HubEvent, UnixMillis, Violations};

/// Longest reason a party may give for its mark.
pub const MAX_PREFERENCE_REASON_CHARS: usize = 500;

/// What a party says about a pair. `None` is never stored: setting it clears the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Preference {
    /// No mark (what clearing sets).
    None,
    /// The party would rather have this pair than an unmarked one.
    Preferred,
    /// The party does not want this pair.
    Declined,
}

impl Preference {
    /// The mark as a verb in the past tense, for events and refusals.
    pub fn verb(self) -> &'static str {
        match self {
            Preference::None => "cleared its mark on",
            Preference::Preferred => "preferred",
            Preference::Declined => "declined",
        }
    }
}

/// Which party of the pair a mark is from: the side of the market whose ranking it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PreferenceSide {
    /// The need's requester, marking an offer for its need.
    Requester,
    /// The offer's provider, marking a need for its offer.
    Provider,
}

impl PreferenceSide {
    /// The party in words ("the provider").
    pub fn word(self) -> &'static str {
        match self {
            PreferenceSide::Requester => "the requester",
            PreferenceSide::Provider => "the provider",
        }
    }
}

/// One party's stored mark on one pair: at most one per (need, offer, actor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairPreference {
    /// `preference-N`, server-assigned; empty on the answer to a clear (nothing is stored then).
    pub id: String,
    pub need_id: String,
    pub offer_id: String,
    /// The party whose mark this is.
    pub actor_id: String,
    /// Whether `actor_id` is the need's requester or the offer's provider.
    pub side: PreferenceSide,
    /// The mark; `None` only on the answer to a clear.
    pub preference: Preference,
    /// Why, as the party put it (may be empty).
    pub reason: String,
    /// When the mark was last set or changed.
    pub set_at: UnixMillis,
}

/// Checks a reason against its cap, naming `reason`.
pub fn validate_reason(reason: &str) -> Result<(), Violations> {
    let mut violations = Violations::default();
    violations.text("reason", reason, MAX_PREFERENCE_REASON_CHARS, false);
    violations.into_result()
}

impl PairPreference {
    /// The mark in words, from its party's side: "the provider declined need-7 for offer-3:
    /// `<reason>`" (what a refused proposal and ExplainMatch say).
    pub fn describe(&self) -> String {
        let (marked, for_what) = self.marked_and_for();
        let mut words = format!(
            "{} {} {marked} for {for_what}",
            self.side.word(),
            self.preference.verb()
        );
        self.append_reason(&mut words);
        words
    }

    /// Whether this is a refusal of the pair.
    pub fn is_declined(&self) -> bool {
        self.preference == Preference::Declined
    }

    /// The record the party marks, then the record it is marked for: a requester marks an offer
    /// for its need, a provider a need for its offer.
    fn marked_and_for(&self) -> (&str, &str) {
        match self.side {
            PreferenceSide::Requester => (&self.offer_id, &self.need_id),
            PreferenceSide::Provider => (&self.need_id, &self.offer_id),
        }
    }

    fn append_reason(&self, words: &mut String) {
        if !self.reason.is_empty() {
            words.push_str(": ");
            words.push_str(&self.reason);
        }
    }

    /// The log's event for setting (or clearing) this mark, concerning both parties.
    pub fn event(&self, at: UnixMillis, requester_id: &str, provider_id: &str) -> HubEvent {
        let (marked, for_what) = self.marked_and_for();
        let mut summary = format!("{} {} {marked} for {for_what}", self.actor_id, self.preference.verb());
        self.append_reason(&mut summary);
        HubEvent {
            need_id: Some(self.need_id.clone()),
            offer_id: Some(self.offer_id.clone()),
            actor_ids: vec![requester_id.to_string(), provider_id.to_string()],
            by: Some(self.actor_id.clone()),
            ..HubEvent::new(EventKind::PreferenceSet, at, summary)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(side: PreferenceSide, preference: Preference, reason: &str) -> PairPreference {
        PairPreference {
            id: "preference-1".into(),
            need_id: "need-7".into(),
            offer_id: "offer-3".into(),
            actor_id: "actor-12".into(),
            side,
            preference,
            reason: reason.into(),
            set_at: 0,
        }
    }

    #[test]
    fn marks_read_from_their_party_side() {
        let declined = mark(PreferenceSide::Provider, Preference::Declined, "no staff in March");
        assert_eq!(
            declined.describe(),
            "the provider declined need-7 for offer-3: no staff in March"
        );
        let event = mark(PreferenceSide::Requester, Preference::Declined, "too far").event(5, "actor-12", "actor-2");
        assert_eq!(event.summary, "actor-12 declined offer-3 for need-7: too far");
        assert_eq!(event.actor_ids, ["actor-12", "actor-2"]);
        assert_eq!(event.by.as_deref(), Some("actor-12"));
        let cleared = mark(PreferenceSide::Requester, Preference::None, "").event(5, "actor-12", "actor-2");
        assert_eq!(cleared.summary, "actor-12 cleared its mark on offer-3 for need-7");
    }

    #[test]
    fn a_reason_is_capped() {
        assert!(validate_reason(&"x".repeat(MAX_PREFERENCE_REASON_CHARS)).is_ok());
        let too_long = validate_reason(&"x".repeat(MAX_PREFERENCE_REASON_CHARS + 1)).unwrap_err();
        assert!(too_long.to_string().starts_with("reason:"), "{too_long}");
    }
}
