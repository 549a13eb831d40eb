//! The taxonomy of DOMAIN.md: GCM objectives, modalities and their resource types, levels of
//! governance, actor kinds, urgency, partnership kinds and date windows. Codes (`training`,
//! `un_entity`) are the snake_case words of DOMAIN.md, used by the CLI, the demo world and JSON.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Declares a closed vocabulary: the enum, its list, its DOMAIN.md code and parsing from the code.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The DOMAIN.md code of this value.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(code: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|value| value.code() == code).ok_or_else(|| {
                    let known: Vec<&str> = $name::ALL.iter().map(|value| value.code()).collect();
                    format!("'{code}' is not {}; use one of {}", $what, known.join(", "))
                })
            }
        }
    };
}

vocabulary!(
    /// How capacity is delivered.
    Modality, "a modality" {
        /// Courses, joint training of officials.
        Training => "training",
        OnlineCourse => "online_course",
        /// Policy, legal drafting, procedures.
        TechnicalAdvice => "technical_advice",
        /// Study visits, sharing practice between peers.
        PeerExchange => "peer_exchange",
        /// Sustained institution-to-institution partnership.
        Twinning => "twinning",
        /// Short-term staff exchange.
        Secondment => "secondment",
        /// Toolboxes, indicators, information systems.
        DataAndTools => "data_and_tools",
        Research => "research",
        /// Grants, start-up financing.
        Funding => "funding",
    }
);

vocabulary!(
    /// The GCM resource types that modalities deliver.
    ResourceType, "a resource type" {
        Technical => "technical",
        Human => "human",
        Financial => "financial",
    }
);

impl Modality {
    /// The GCM resource type this modality delivers.
    pub fn resource_type(self) -> ResourceType {
        match self {
            Modality::Training
            | Modality::OnlineCourse
            | Modality::TechnicalAdvice
            | Modality::DataAndTools
            | Modality::Research => ResourceType::Technical,
            Modality::PeerExchange | Modality::Twinning | Modality::Secondment => ResourceType::Human,
            Modality::Funding => ResourceType::Financial,
        }
    }
}

vocabulary!(
    /// Level of governance.
    Level, "a level of governance" {
        Local => "local",
        National => "national",
        Regional => "regional",
        Global => "global",
    }
);

vocabulary!(
    /// What kind of body an actor is.
    ActorKind, "an actor kind" {
        NationalGovernment => "national_government",
        LocalAuthority => "local_authority",
        UnEntity => "un_entity",
        /// AU, ECOWAS, Council of Europe, EU.
        RegionalBody => "regional_body",
        /// Regional consultative processes such as the Puebla Process.
        RegionalProcess => "regional_process",
        CivilSociety => "civil_society",
        PrivateSector => "private_sector",
        Academia => "academia",
        DiasporaOrganization => "diaspora_organization",
        MigrantOrganization => "migrant_organization",
        /// Foundations and funds.
        Philanthropy => "philanthropy",
        TradeUnion => "trade_union",
        Parliament => "parliament",
        YouthNetwork => "youth_network",
    }
);

vocabulary!(
    /// How soon a need must be met.
    Urgency, "an urgency" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Critical => "critical",
    }
);

vocabulary!(
    /// Why two actors are linked in the partnership graph.
    PartnershipKind, "a partnership kind" {
        BilateralAgreement => "bilateral_agreement",
        RegionalProcessMembership => "regional_process_membership",
        JointProgramme => "joint_programme",
        Memorandum => "memorandum",
        NetworkMembership => "network_membership",
        Funding => "funding",
        Hosting => "hosting",
        /// Made by the hub itself when a match completes.
        PastCollaboration => "past_collaboration",
    }
);

vocabulary!(
    /// The six dimensions of the Migration Governance Indicators, against which outcomes are
    /// reported.
    MgiDimension, "a Migration Governance Indicators dimension" {
        MigrantsRights => "migrants_rights",
        WholeOfGovernment => "whole_of_government",
        Partnerships => "partnerships",
        WellbeingOfMigrants => "wellbeing_of_migrants",
        MobilityDimensionsOfCrises => "mobility_dimensions_of_crises",
        SafeOrderlyDignifiedMigration => "safe_orderly_dignified_migration",
    }
);

/// Short titles of the 23 GCM objectives, indexed by number - 1.
const OBJECTIVE_TITLES: [&str; 23] = [
    "accurate and disaggregated data for evidence-based policy",
    "minimize adverse drivers that compel people to leave",
    "accurate and timely information at all stages of migration",
    "proof of legal identity and adequate documentation",
    "availability and flexibility of pathways for regular migration",
    "fair and ethical recruitment, decent work",
    "address and reduce vulnerabilities in migration",
    "save lives; coordinated efforts on missing migrants",
    "transnational response to smuggling of migrants",
    "prevent, combat and eradicate trafficking in persons",
    "integrated, secure and coordinated border management",
    "certainty and predictability in migration procedures",
    "detention only as a last resort; alternatives to detention",
    "consular protection, assistance and cooperation",
    "access to basic services for migrants",
    "inclusion and social cohesion",
    "eliminate discrimination; evidence-based public discourse",
    "skills development; mutual recognition of skills and qualifications",
    "migrants and diasporas contributing to sustainable development",
    "faster, safer, cheaper remittances; financial inclusion",
    "safe and dignified return, readmission and sustainable reintegration",
    "portability of social security entitlements",
    "international cooperation and global partnerships",
];

/// A GCM objective, the theme of a need or offer: a number from 1 to 23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Objective(u8);

impl Objective {
    /// The objective with this number, if it is one of the 23.
    pub fn new(number: u32) -> Result<Objective, String> {
        match u8::try_from(number) {
            Ok(n @ 1..=23) => Ok(Objective(n)),
            _ => Err(format!("{number} is not a GCM objective (1-23)")),
        }
    }

    /// The objective's number, 1-23.
    pub fn number(self) -> u32 {
        u32::from(self.0)
    }

    /// The objective's short title.
    pub fn title(self) -> &'static str {
        OBJECTIVE_TITLES[usize::from(self.0) - 1]
    }

    /// All 23 objectives.
    pub fn all() -> impl Iterator<Item = Objective> {
        (1..=23).map(Objective)
    }
}

impl TryFrom<u32> for Objective {
    type Error = String;

    fn try_from(number: u32) -> Result<Self, String> {
        Objective::new(number)
    }
}

impl From<Objective> for u32 {
    fn from(objective: Objective) -> u32 {
        objective.number()
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A span of calendar days, both ends inclusive; a missing end is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateWindow {
    /// First day, or open.
    pub start: Option<NaiveDate>,
    /// Last day, or open.
    pub end: Option<NaiveDate>,
}

impl DateWindow {
    /// Parses ISO 8601 dates; empty strings are open ends.
    pub fn parse(start: &str, end: &str) -> Result<DateWindow, (&'static str, String)> {
        let day = |field: &'static str, text: &str| match text {
            "" => Ok(None),
            _ => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| (field, format!("'{text}' is not a date (YYYY-MM-DD)"))),
        };
        let window = DateWindow {
            start: day("start_date", start)?,
            end: day("end_date", end)?,
        };
        match (window.start, window.end) {
            (Some(start), Some(end)) if end < start => Err(("end_date", format!("{end} is before start_date {start}"))),
            _ => Ok(window),
        }
    }

    /// True when the two windows share at least one day.
    pub fn overlaps(&self, other: &DateWindow) -> bool {
        let starts_before_other_ends = match (self.start, other.end) {
            (Some(start), Some(end)) => start <= end,
            _ => true,
        };
        let other_starts_before_end = match (other.start, self.end) {
            (Some(start), Some(end)) => start <= end,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_end
    }

    /// The dates as ISO 8601 text, empty where open.
    pub fn to_strings(&self) -> (String, String) {
        let text = |day: Option<NaiveDate>| day.map(|d| d.to_string()).unwrap_or_default();
        (text(self.start), text(self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_are_one_to_twenty_three() {
        assert!(Objective::new(0).is_err());
        assert!(Objective::new(24).is_err());
        assert_eq!(
            Objective::new(13).map(Objective::title),
            Ok("detention only as a last resort; alternatives to detention")
        );
        assert_eq!(Objective::all().count(), 23);
    }

    #[test]
    fn codes_round_trip() {
        for modality in Modality::ALL {
            assert_eq!(modality.code().parse::<Modality>(), Ok(*modality));
        }
        assert!("teaching".parse::<Modality>().unwrap_err().contains("training"));
        assert_eq!(Modality::Funding.resource_type(), ResourceType::Financial);
    }

    #[test]
    fn windows_overlap_inclusively() {
        let january = DateWindow::parse("2026-01-01", "2026-01-31").unwrap();
        let february = DateWindow::parse("2026-01-31", "").unwrap();
        let march = DateWindow::parse("2026-03-01", "2026-03-31").unwrap();
        assert!(january.overlaps(&february));
        assert!(!january.overlaps(&march));
        assert!(DateWindow::default().overlaps(&march));
        assert!(DateWindow::parse("2026-02-01", "2026-01-01").is_err());
    }
}
