//! Actors: the States, cities, UN entities, NGOs, companies and diaspora groups that use the hub.

use serde::{Deserialize, Serialize};

use super::UnixMillis;
use super::geography;
use super::taxonomy::ActorKind;
use super::validation::{MAX_DESCRIPTION_CHARS, MAX_NOTE_CHARS, MAX_TITLE_CHARS, Violations};

/// What an actor says about itself; everything the actor may edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorProfile {
    /// Display name, unique in spirit but not enforced (two ministries may share a name).
    pub name: String,
    pub kind: ActorKind,
    /// ISO 3166-1 alpha-3; `None` for global and regional bodies.
    pub country: Option<String>,
    /// ISO 639-1 codes the actor works in; offers default to these.
    pub languages: Vec<String>,
    pub description: String,
    /// Private: shown only to the actor itself and admins.
    pub contact: String,
}

impl ActorProfile {
    /// Checks every field's rule.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut violations = Violations::default();
        violations.text("name", &self.name, MAX_TITLE_CHARS, true);
        if let Some(country) = &self.country {
            violations.country("country", country);
        }
        violations.languages("languages", &self.languages);
        violations.distinct("languages", &self.languages);
        violations.text("description", &self.description, MAX_DESCRIPTION_CHARS, false);
        violations.text("contact", &self.contact, MAX_NOTE_CHARS, false);
        violations.into_result()
    }

    /// The UN M49 region and sub-region of the actor's country, if it has one.
    pub fn region(&self) -> Option<(&'static str, &'static str)> {
        let country = geography::country(self.country.as_deref()?)?;
        Some((country.region, country.sub_region))
    }
}

/// A registered actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// Server-assigned id.
    pub id: String,
    pub profile: ActorProfile,
    /// SHA-256 of the actor's API token, hex; the token itself is never stored.
    pub token_sha256: String,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> ActorProfile {
        ActorProfile {
            name: "Guatemala".into(),
            kind: ActorKind::NationalGovernment,
            country: Some("GTM".into()),
            languages: vec!["es".into()],
            description: String::new(),
            contact: String::new(),
        }
    }

    #[test]
    fn region_comes_from_the_country() {
        assert_eq!(
            profile().region(),
            Some(("americas", "latin_america_and_the_caribbean"))
        );
    }

    #[test]
    fn unknown_country_and_blank_name_are_refused() {
        let mut bad = profile();
        bad.name = String::new();
        bad.country = Some("GUA".into());
        let message = bad.validate().unwrap_err().to_string();
        assert!(
            message.contains("name: must not be empty") && message.contains("country: 'GUA'"),
            "{message}"
        );
    }
}
