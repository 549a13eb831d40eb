//! Partnerships: who already works with whom, the edges of the partnership graph.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::UnixMillis;
use super::taxonomy::PartnershipKind;
use super::validation::{MAX_NOTE_CHARS, Violations};

/// What a partnership states; given when it is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnershipSpec {
    pub actor_a: String,
    pub actor_b: String,
    pub kind: PartnershipKind,
    /// In (0, 1]: how well the link carries a new collaboration.
    pub trust: f64,
    /// When the partnership began, if known.
    pub since: Option<NaiveDate>,
    pub note: String,
    /// The one actor who has claimed this partnership, until the other confirms it by adding the
    /// same partnership; `None` once confirmed, or when the admin or the hub recorded it.
    pub claimed_by: Option<String>,
}

/// Highest trust an unconfirmed claim carries: one side alone cannot make itself a close partner
/// (and climb every ranking) by asserting it.
pub const MAX_CLAIMED_TRUST: f64 = 0.5;

impl PartnershipSpec {
    /// Checks every field's rule that needs no lookup.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut violations = Violations::default();
        violations.check(!self.actor_a.is_empty(), "actor_a", "must name an actor");
        violations.check(!self.actor_b.is_empty(), "actor_b", "must name an actor");
        violations.check(self.actor_a != self.actor_b, "actor_b", "must differ from actor_a");
        violations.check(
            self.trust > 0.0 && self.trust <= 1.0,
            "trust",
            format!("{} must be in (0, 1]", self.trust),
        );
        violations.text("note", &self.note, MAX_NOTE_CHARS, false);
        violations.into_result()
    }

    /// True when both partnerships link the same two actors, in either order.
    pub fn links_same_pair(&self, other: &PartnershipSpec) -> bool {
        (self.actor_a == other.actor_a && self.actor_b == other.actor_b)
            || (self.actor_a == other.actor_b && self.actor_b == other.actor_a)
    }

    /// The trust the graph uses: the stated trust, capped while only one side claims it.
    pub fn effective_trust(&self) -> f64 {
        match self.claimed_by {
            Some(_) => self.trust.min(MAX_CLAIMED_TRUST),
            None => self.trust,
        }
    }

    /// The other end of the partnership, seen from `actor_id`.
    pub fn partner_of(&self, actor_id: &str) -> &str {
        if self.actor_a == actor_id {
            &self.actor_b
        } else {
            &self.actor_a
        }
    }
}

/// A recorded partnership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partnership {
    pub id: String,
    pub spec: PartnershipSpec,
    pub created_at: UnixMillis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_must_be_in_the_half_open_unit_interval() {
        let mut spec = PartnershipSpec {
            actor_a: "actor-1".into(),
            actor_b: "actor-2".into(),
            kind: PartnershipKind::JointProgramme,
            trust: 1.0,
            since: None,
            note: String::new(),
            claimed_by: None,
        };
        assert!(spec.validate().is_ok());
        for bad in [0.0, -0.5, 1.01, f64::NAN] {
            spec.trust = bad;
            assert!(spec.validate().unwrap_err().to_string().starts_with("trust:"), "{bad}");
        }
        spec.trust = 0.9;
        spec.claimed_by = Some("actor-1".into());
        assert_eq!(spec.effective_trust(), MAX_CLAIMED_TRUST);
    }
}
