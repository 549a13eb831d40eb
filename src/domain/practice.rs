//! Practices: what an actor did, what came of it and what it learned, shared in the hub's
//! repository of practices so that others can find it (paragraph 43's knowledge platform; the
//! 2018 workshops asked for the sharing of lessons, "even the sharing of failures is valuable").
//! A completed match with lessons learned is published as a practice of its two actors.

use serde::{Deserialize, Serialize};

use super::UnixMillis;
use super::engagement::{Match, Outcome};
use super::event::{ActingFor, EventKind, HubEvent};
use super::need::Need;
use super::taxonomy::{MgiDimension, Objective};
use super::validation::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, Violations};

/// The most links a practice carries.
pub const MAX_LINKS: usize = 10;
/// The longest link, in characters.
pub const MAX_LINK_CHARS: usize = 500;
/// The most partners a practice names.
pub const MAX_PARTNERS: usize = 50;

/// Whether a practice is in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PracticeStatus {
    /// Listed, searchable and offered as related to new needs.
    Published,
    /// Taken out by its author; still readable by id.
    Withdrawn,
}

/// What the author shares; everything the author may edit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PracticeSpec {
    pub title: String,
    /// What was done, for whom, how.
    pub description: String,
    /// GCM objectives, at least one.
    pub themes: Vec<Objective>,
    /// Where it took place (ISO alpha-3); may be empty for a global practice.
    pub countries: Vec<String>,
    /// Other actors who took part.
    pub partner_ids: Vec<String>,
    pub mgi_dimensions: Vec<MgiDimension>,
    /// What came of it.
    pub results: String,
    /// What worked and what did not.
    pub lessons_learned: String,
    /// Web addresses of reports and material.
    pub links: Vec<String>,
    /// Languages it is written in (ISO 639-1); empty means unknown.
    pub languages: Vec<String>,
}

impl PracticeSpec {
    /// Checks every field's rule for a practice of `author_id`, whose partners are the others
    /// who took part (that partners exist is the hub's to check).
    pub fn validate(&self, author_id: &str) -> Result<(), Violations> {
        let mut violations = Violations::default();
        violations.text("title", &self.title, MAX_TITLE_CHARS, true);
        violations.text("description", &self.description, MAX_DESCRIPTION_CHARS, true);
        violations.text("results", &self.results, MAX_DESCRIPTION_CHARS, false);
        violations.text("lessons_learned", &self.lessons_learned, MAX_DESCRIPTION_CHARS, false);
        violations.check(
            !self.themes.is_empty(),
            "themes",
            "name at least one GCM objective (1-23)",
        );
        violations.distinct("themes", &self.themes);
        violations.countries("countries", &self.countries);
        violations.distinct("countries", &self.countries);
        violations.list_len("partner_ids", &self.partner_ids, MAX_PARTNERS);
        violations.distinct("partner_ids", &self.partner_ids);
        for (at, partner) in self.partner_ids.iter().enumerate() {
            violations.check(
                partner != author_id,
                &format!("partner_ids[{at}]"),
                "is the practice's author; partners are the other actors who took part",
            );
        }
        violations.distinct("mgi_dimensions", &self.mgi_dimensions);
        violations.list_len("links", &self.links, MAX_LINKS);
        for (i, link) in self.links.iter().enumerate() {
            violations.check(
                is_web_address(link),
                &format!("links[{i}]"),
                format!("'{link}' is not an http or https address of at most {MAX_LINK_CHARS} characters"),
            );
        }
        violations.languages("languages", &self.languages);
        violations.into_result()
    }

    /// The words a reader searches: everything but the title, one paragraph each.
    pub fn body(&self) -> String {
        [&self.description, &self.results, &self.lessons_learned]
            .into_iter()
            .filter(|part| !part.trim().is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// An absolute http(s) address with a host and no spaces.
fn is_web_address(link: &str) -> bool {
    let rest = link.strip_prefix("https://").or_else(|| link.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && link.chars().count() <= MAX_LINK_CHARS && !link.chars().any(char::is_whitespace)
    })
}

/// Where a practice came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PracticeSource {
    /// Submitted by its author.
    Submitted,
    /// Published when match `match_id` was completed with lessons learned, rated `rating`.
    CompletedMatch { match_id: String, rating: u32 },
}

/// A practice in the repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practice {
    pub id: String,
    /// Who shares it, and may edit or withdraw it.
    pub author_id: String,
    pub spec: PracticeSpec,
    pub source: PracticeSource,
    pub status: PracticeStatus,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Practice {
    /// Whether readers find it in lists, search and related items.
    pub fn is_published(&self) -> bool {
        self.status == PracticeStatus::Published
    }

    /// The completed match it was published from and the rating given, if it was.
    pub fn completed_match(&self) -> Option<(&str, u32)> {
        match &self.source {
            PracticeSource::Submitted => None,
            PracticeSource::CompletedMatch { match_id, rating } => Some((match_id, *rating)),
        }
    }

    /// What a completed match publishes, when its outcome has lessons learned: the need's
    /// title, description, objectives, countries and languages, the outcome's dimensions and
    /// lessons, and the rating in words, with the requester as author and the provider as
    /// partner. Nothing private: all of it is already open data.
    pub fn of_completed_match(id: String, completed: &Match, need: &Need, outcome: &Outcome) -> Option<Practice> {
        if !outcome.has_lessons() {
            return None;
        }
        let spec = PracticeSpec {
            title: need.spec.title.clone(),
            description: need.spec.description.clone(),
            themes: need.spec.themes.clone(),
            countries: need.spec.countries.clone(),
            partner_ids: vec![completed.provider_id.clone()],
            mgi_dimensions: outcome.mgi_dimensions.clone(),
            results: format!(
                "Rated {} of 5 by the requester when match {} was completed.",
                outcome.rating, completed.id
            ),
            lessons_learned: outcome.lessons_learned.clone(),
            links: Vec::new(),
            languages: need.spec.languages.clone(),
        };
        Some(Practice {
            id,
            author_id: completed.requester_id.clone(),
            spec,
            source: PracticeSource::CompletedMatch {
                match_id: completed.id.clone(),
                rating: outcome.rating,
            },
            status: PracticeStatus::Published,
            created_at: outcome.completed_at,
            updated_at: outcome.completed_at,
        })
    }

    /// An event about this practice, concerning its author (and its partners, who appear in it),
    /// caused by `acting`.
    pub fn event(&self, kind: EventKind, at: UnixMillis, acting: ActingFor<'_>) -> HubEvent {
        let verb = match kind {
            EventKind::PracticeWithdrawn => "withdrew",
            _ => "published",
        };
        let mut actor_ids = vec![self.author_id.clone()];
        actor_ids.extend(self.spec.partner_ids.iter().cloned());
        HubEvent {
            actor_ids,
            by: acting.by().map(str::to_string),
            ..HubEvent::new(
                kind,
                at,
                format!("{} {verb} practice {} '{}'", acting.named(), self.id, self.spec.title),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PracticeSpec {
        PracticeSpec {
            title: "One-stop shop for returning migrants".into(),
            description: "Municipal office that helps returnees with papers, jobs and health.".into(),
            themes: vec![Objective::new(21).unwrap()],
            countries: vec!["MEX".into()],
            links: vec!["https://example.org/report.pdf".into()],
            ..PracticeSpec::default()
        }
    }

    #[test]
    fn a_complete_practice_passes_and_each_broken_rule_names_its_field() {
        assert!(spec().validate("actor-1").is_ok());
        let broken = PracticeSpec {
            title: " ".into(),
            description: String::new(),
            themes: Vec::new(),
            countries: vec!["XXX".into()],
            links: vec!["ftp://example.org".into(), "https://".into(), "https://a b".into()],
            partner_ids: vec!["actor-2".into(), "actor-1".into()],
            ..spec()
        };
        let violations = broken.validate("actor-1").unwrap_err();
        let fields: Vec<&str> = violations.as_slice().iter().map(|v| v.field.as_str()).collect();
        for field in ["title", "description", "themes", "countries", "links", "partner_ids[1]"] {
            assert!(
                fields.iter().any(|named| named.starts_with(field)),
                "{field} missing from {violations}"
            );
        }
        assert_eq!(fields.iter().filter(|f| f.starts_with("links[")).count(), 3);
    }

    #[test]
    fn too_many_languages_are_told_once() {
        let practice = PracticeSpec {
            languages: "ar bn de en es fa fr hi it ja ko nl pt ru sw tr zh"
                .split(' ')
                .map(String::from)
                .collect(),
            ..spec()
        };
        let violations = practice.validate("actor-1").unwrap_err();
        let fields: Vec<&str> = violations.as_slice().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["languages"], "{violations}");
    }

    #[test]
    fn the_body_joins_the_parts_that_say_something() {
        let practice = PracticeSpec {
            results: "  ".into(),
            lessons_learned: "Start with the registry.".into(),
            ..spec()
        };
        assert_eq!(
            practice.body(),
            "Municipal office that helps returnees with papers, jobs and health.\n\nStart with the registry."
        );
    }
}
