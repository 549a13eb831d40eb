//! Offers: what capacity a provider can give, where, in which languages and how much of it.

use serde::{Deserialize, Serialize};

use super::UnixMillis;
use super::geography::{self, AreaFit};
use super::taxonomy::{DateWindow, Level, Modality, Objective};
use super::validation::{MAX_DESCRIPTION_CHARS, MAX_SHORT_LIST, MAX_TITLE_CHARS, Violations};

/// Most concurrent engagements one offer may declare.
pub const MAX_CAPACITY: u32 = 10_000;

/// Where an offer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OfferStatus {
    /// Matched to needs while it has remaining capacity.
    Active,
    Paused,
    /// Every unit of capacity is reserved by confirmed matches.
    Exhausted,
    Withdrawn,
    Expired,
}

impl OfferStatus {
    /// The status in words, for messages.
    pub fn word(self) -> &'static str {
        match self {
            OfferStatus::Active => "active",
            OfferStatus::Paused => "paused",
            OfferStatus::Exhausted => "exhausted",
            OfferStatus::Withdrawn => "withdrawn",
            OfferStatus::Expired => "expired",
        }
    }
}

/// Where an offer is delivered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// ISO alpha-3 codes.
    pub countries: Vec<String>,
    /// UN M49 area slugs.
    pub areas: Vec<String>,
    /// Serves anywhere.
    pub worldwide: bool,
}

/// How precisely an offer's coverage names a country, best first in `Ord` terms (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GeographicFit {
    Worldwide,
    Area(AreaFit),
    Country,
}

impl Coverage {
    /// How well this coverage reaches `country`, or `None` when it does not reach it at all.
    pub fn fit(&self, country: &str) -> Option<GeographicFit> {
        if self.countries.iter().any(|c| c == country) {
            return Some(GeographicFit::Country);
        }
        let area_fit = geography::country(country)
            .and_then(|known| self.areas.iter().filter_map(|area| known.area_fit(area)).max());
        match area_fit {
            Some(fit) => Some(GeographicFit::Area(fit)),
            None if self.worldwide => Some(GeographicFit::Worldwide),
            None => None,
        }
    }

    fn validate(&self, violations: &mut Violations) {
        violations.countries("countries", &self.countries);
        violations.areas("regions", &self.areas);
        violations.check(
            self.worldwide || !self.countries.is_empty() || !self.areas.is_empty(),
            "countries",
            "name the countries or regions served, or set worldwide",
        );
    }
}

/// What the provider offers; everything the provider may edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferSpec {
    pub title: String,
    pub description: String,
    pub themes: Vec<Objective>,
    pub modalities: Vec<Modality>,
    /// Levels of governance served; empty serves all.
    pub levels: Vec<Level>,
    pub coverage: Coverage,
    /// ISO 639-1 codes the capacity is delivered in.
    pub languages: Vec<String>,
    /// Concurrent engagements the provider can take on.
    pub capacity: u32,
    /// Money available, for offers with the funding modality, in whole US dollars.
    pub funding_usd: Option<i64>,
    pub window: DateWindow,
}

impl OfferSpec {
    /// Checks every field's rule.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut violations = Violations::default();
        violations.text("title", &self.title, MAX_TITLE_CHARS, true);
        violations.text("description", &self.description, MAX_DESCRIPTION_CHARS, false);
        violations.check(
            !self.themes.is_empty(),
            "themes",
            "name at least one GCM objective (1-23)",
        );
        violations.distinct("themes", &self.themes);
        violations.check(!self.modalities.is_empty(), "modalities", "name at least one modality");
        violations.distinct("modalities", &self.modalities);
        violations.list_len("modalities", &self.modalities, MAX_SHORT_LIST);
        violations.distinct("levels", &self.levels);
        self.coverage.validate(&mut violations);
        violations.languages("languages", &self.languages);
        violations.check(
            (1..=MAX_CAPACITY).contains(&self.capacity),
            "capacity",
            format!(
                "{} must be between 1 and {MAX_CAPACITY} concurrent engagements",
                self.capacity
            ),
        );
        if let Some(funding) = self.funding_usd {
            violations.check(
                funding > 0,
                "funding_usd",
                format!("{funding} must be a positive number of US dollars"),
            );
            violations.check(
                self.modalities.contains(&Modality::Funding),
                "funding_usd",
                "is only for offers with the funding modality",
            );
        }
        violations.into_result()
    }
}

/// A registered offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub id: String,
    pub provider_id: String,
    pub spec: OfferSpec,
    /// Capacity not reserved by confirmed matches.
    pub remaining_capacity: u32,
    pub status: OfferStatus,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// Share of an offer's capacity the needs of one region may hold at once (rounded up, at least
/// one): a region cannot drain a scarce provider, in one allocation run or over several.
const REGION_SHARE: f64 = 0.5;

impl Offer {
    /// True when the offer can take on another engagement.
    pub fn is_available(&self) -> bool {
        self.status == OfferStatus::Active && self.remaining_capacity > 0
    }

    /// The most needs of one region the offer's live matches may hold when allocation runs
    /// pair them: half its capacity, rounded up; no cap for an offer of one seat.
    pub fn region_cap(&self) -> Option<u32> {
        let whole = self.spec.capacity;
        (whole >= 2).then(|| ((f64::from(whole) * REGION_SHARE).ceil() as u32).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_prefers_the_most_precise_fit() {
        let coverage = Coverage {
            countries: vec!["SLV".into()],
            areas: vec!["central_america".into(), "americas".into()],
            worldwide: true,
        };
        assert_eq!(coverage.fit("SLV"), Some(GeographicFit::Country));
        assert_eq!(coverage.fit("GTM"), Some(GeographicFit::Area(AreaFit::Intermediate)));
        assert_eq!(coverage.fit("BRA"), Some(GeographicFit::Area(AreaFit::Region)));
        assert_eq!(coverage.fit("SLE"), Some(GeographicFit::Worldwide));
        assert_eq!(Coverage::default().fit("SLE"), None);
    }
}
