//! Partnerships: who already works with whom, the edges of the partnership graph.

use chrono::NaiveDate;
use compact_str::CompactString;
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
        effective_trust(self.trust, self.claimed_by.is_some())
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

/// A stated trust, capped while only one side claims the partnership: the trust the graph uses.
pub fn effective_trust(trust: f64, claimed: bool) -> f64 {
    if claimed { trust.min(MAX_CLAIMED_TRUST) } else { trust }
}

/// A recorded partnership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partnership {
    pub id: String,
    pub spec: PartnershipSpec,
    pub created_at: UnixMillis,
}

/// What the partnership graph needs of a partnership. Actor and partnership ids fit inline
/// (`CompactString`), so rebuilding the graph from a million stored partnerships allocates
/// nothing per partnership (read through [`StoredPartnership`]), where decoding each whole
/// allocated five strings.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnershipEnds {
    pub id: CompactString,
    pub actor_a: CompactString,
    pub actor_b: CompactString,
    pub kind: PartnershipKind,
    /// [`PartnershipSpec::effective_trust`].
    pub trust: f64,
}

impl From<&Partnership> for PartnershipEnds {
    fn from(partnership: &Partnership) -> PartnershipEnds {
        let Partnership {
            id,
            spec,
            created_at: _,
        } = partnership;
        PartnershipEnds {
            id: CompactString::from(id),
            actor_a: CompactString::from(&spec.actor_a),
            actor_b: CompactString::from(&spec.actor_b),
            kind: spec.kind,
            trust: spec.effective_trust(),
        }
    }
}

impl<'a> From<StoredPartnership<'a>> for PartnershipEnds {
    fn from(stored: StoredPartnership<'a>) -> PartnershipEnds {
        let StoredPartnership { id, spec, _created_at } = stored;
        let StoredSpec {
            actor_a,
            actor_b,
            kind,
            trust,
            _since,
            _note,
            claimed_by,
        } = spec;
        PartnershipEnds {
            id: CompactString::from(id),
            actor_a: CompactString::from(actor_a),
            actor_b: CompactString::from(actor_b),
            kind,
            trust: effective_trust(trust, claimed_by.is_some()),
        }
    }
}

/// A [`Partnership`] as stored, its strings borrowed from the stored bytes: the store decodes
/// a record's fields in order, so this names [`Partnership`]'s and [`PartnershipSpec`]'s fields
/// in theirs, every one, so that a record cut short is refused as when read whole (a test holds
/// the two in step).
#[derive(Debug, Deserialize)]
pub struct StoredPartnership<'a> {
    #[serde(borrow)]
    id: &'a str,
    #[serde(borrow)]
    spec: StoredSpec<'a>,
    /// Read only to check it is there.
    _created_at: UnixMillis,
}

#[derive(Debug, Deserialize)]
struct StoredSpec<'a> {
    actor_a: &'a str,
    actor_b: &'a str,
    kind: PartnershipKind,
    trust: f64,
    /// Read only to get past it.
    _since: Option<NaiveDate>,
    /// Read only to get past it.
    _note: &'a str,
    claimed_by: Option<&'a str>,
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

    #[test]
    fn the_stored_view_reads_what_the_whole_record_holds() {
        for (since, note, claimed_by) in [
            (None, "", None),
            (
                NaiveDate::from_ymd_opt(2018, 12, 10),
                "a note of some length, with é",
                Some("actor-7"),
            ),
        ] {
            let partnership = Partnership {
                id: "partnership-1234567".into(),
                spec: PartnershipSpec {
                    actor_a: "actor-7".into(),
                    actor_b: "actor-100000".into(),
                    kind: PartnershipKind::JointProgramme,
                    trust: 0.9,
                    since,
                    note: note.into(),
                    claimed_by: claimed_by.map(String::from),
                },
                created_at: 1_543_000_000_000,
            };
            let bytes = postcard::to_allocvec(&partnership).unwrap();
            let stored: StoredPartnership = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(PartnershipEnds::from(stored), PartnershipEnds::from(&partnership));
            // Cut short, it is refused as the whole record is.
            let short = &bytes[..bytes.len() - 1];
            assert!(postcard::from_bytes::<Partnership>(short).is_err());
            assert!(postcard::from_bytes::<StoredPartnership>(short).is_err());
        }
    }
}
