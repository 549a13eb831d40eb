//! Needs: the primary record of the hub. A need says what capacity a requester lacks, where, and
//! how soon; offers are matched to it, not the other way round.

use serde::{Deserialize, Serialize};

use super::UnixMillis;
use super::event::{EventKind, HubEvent};
use super::taxonomy::{DateWindow, Level, Modality, Objective, Urgency};
use super::validation::{MAX_DESCRIPTION_CHARS, MAX_SHORT_LIST, MAX_TITLE_CHARS, Violations};

/// Where a need is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NeedStatus {
    /// Waiting for a provider.
    Open,
    /// At least one match is confirmed.
    Matched,
    InProgress,
    Fulfilled,
    Withdrawn,
    Expired,
}

impl NeedStatus {
    /// The status in words, for messages.
    pub fn word(self) -> &'static str {
        match self {
            NeedStatus::Open => "open",
            NeedStatus::Matched => "matched",
            NeedStatus::InProgress => "in progress",
            NeedStatus::Fulfilled => "fulfilled",
            NeedStatus::Withdrawn => "withdrawn",
            NeedStatus::Expired => "expired",
        }
    }
}

/// What the requester asks for; everything the requester may edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedSpec {
    pub title: String,
    pub description: String,
    /// GCM objectives, at least one.
    pub themes: Vec<Objective>,
    /// Ways the capacity may be delivered, at least one.
    pub modalities: Vec<Modality>,
    pub level: Level,
    /// Where help is delivered (ISO alpha-3), at least one.
    pub countries: Vec<String>,
    /// Working languages (ISO 639-1); empty means any.
    pub languages: Vec<String>,
    /// What the requester can contribute or needs financed, in whole US dollars.
    pub budget_usd: Option<i64>,
    pub urgency: Urgency,
    pub window: DateWindow,
}

impl NeedSpec {
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
        violations.check(
            !self.countries.is_empty(),
            "countries",
            "name at least one country where help is delivered",
        );
        violations.countries("countries", &self.countries);
        violations.distinct("countries", &self.countries);
        violations.languages("languages", &self.languages);
        violations.list_len("modalities", &self.modalities, MAX_SHORT_LIST);
        if let Some(budget) = self.budget_usd {
            violations.check(
                budget > 0,
                "budget_usd",
                format!("{budget} must be a positive number of US dollars"),
            );
        }
        violations.into_result()
    }
}

impl Need {
    /// The M49 region slug of the need's first known country ("" when none is known): where a
    /// run counts the need for an offer's regional cap and for its equity report.
    pub fn region(&self) -> &'static str {
        self.spec
            .countries
            .iter()
            .find_map(|c| super::geography::country(c))
            .map_or("", |c| c.region)
    }

    /// True when any of the need's countries is least developed or a small island developing
    /// State: a run weighs such a need higher (the Compact asks to prioritise them), and its
    /// equity report counts it in the "ldc_or_sids" group.
    pub fn in_ldc_or_sids(&self) -> bool {
        self.spec
            .countries
            .iter()
            .filter_map(|c| super::geography::country(c))
            .any(|c| c.least_developed || c.small_island_developing)
    }

    /// An event about this need, concerning its requester; `by` is who acted (the requester, or
    /// no one for the admin and the hub).
    pub fn event(&self, kind: EventKind, at: UnixMillis, by: Option<&str>, summary: String) -> HubEvent {
        HubEvent {
            need_id: Some(self.id.clone()),
            actor_ids: vec![self.requester_id.clone()],
            by: by.map(str::to_string),
            ..HubEvent::new(kind, at, summary)
        }
    }
}

impl NeedSpec {
    /// True when the two needs ask for the same objectives in at least one common country: the
    /// same requester posting both is probably posting twice.
    pub fn resembles(&self, other: &NeedSpec) -> bool {
        let same_themes =
            self.themes.len() == other.themes.len() && self.themes.iter().all(|t| other.themes.contains(t));
        same_themes && self.shares_a_country(other)
    }

    /// True when the two needs share an objective and a country: providers working on one should
    /// coordinate with those working on the other.
    pub fn overlaps(&self, other: &NeedSpec) -> bool {
        self.themes.iter().any(|t| other.themes.contains(t)) && self.shares_a_country(other)
    }

    fn shares_a_country(&self, other: &NeedSpec) -> bool {
        self.countries.iter().any(|c| other.countries.contains(c))
    }
}

/// A submitted need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Need {
    pub id: String,
    /// The actor who needs the capacity.
    pub requester_id: String,
    pub spec: NeedSpec,
    pub status: NeedStatus,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}
