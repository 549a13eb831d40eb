//! The repository of practices: submitting, reading, listing, editing and withdrawing them.

use super::{Hub, HubError, Page, PageRequest};
use crate::domain::{
    ActingFor, Actor, EventKind, Objective, Practice, PracticeSource, PracticeSpec, PracticeStatus, Violations,
    geography,
};
use crate::domain::{Reason, Refusal};
use crate::store::{Scan, StatusKey, Store, TreeName, WriteSet};

/// Filters of ListPractices; `None` does not filter. Only published practices are listed.
#[derive(Debug, Clone, Default)]
pub struct PracticeFilter {
    /// Practices of this actor: as author or as a partner.
    pub actor_id: Option<String>,
    pub theme: Option<Objective>,
    pub country: Option<String>,
    /// A UN M49 area slug.
    pub area: Option<String>,
}

impl PracticeFilter {
    fn keeps(&self, practice: &Practice) -> bool {
        let spec = &practice.spec;
        practice.is_published()
            && self
                .actor_id
                .as_ref()
                .is_none_or(|id| &practice.author_id == id || spec.partner_ids.contains(id))
            && self.theme.is_none_or(|theme| spec.themes.contains(&theme))
            && self
                .country
                .as_ref()
                .is_none_or(|country| spec.countries.contains(country))
            && self
                .area
                .as_ref()
                .is_none_or(|area| geography::areas_of(&spec.countries).contains(&area.as_str()))
    }

    fn validate(&self) -> Result<(), Violations> {
        let mut violations = Violations::default();
        if let Some(country) = &self.country {
            violations.country("country", country);
        }
        if let Some(area) = &self.area {
            violations.area("region", area);
        }
        violations.into_result()
    }
}

impl Hub {
    /// Publishes a practice of its author (`author`'s party). Empty `countries` default to the
    /// author's country; every partner must be an actor of the hub.
    pub async fn submit_practice<'a>(
        &self,
        author: impl Into<ActingFor<'a>>,
        mut spec: PracticeSpec,
        request_id: &str,
    ) -> Result<Practice, HubError> {
        let acting = author.into();
        let author: Actor = self.load("author_id", acting.party)?;
        if spec.countries.is_empty() {
            spec.countries.extend(author.profile.country.clone());
        }
        spec.validate(&author.id)?;
        self.check_partners(&spec, "partner_ids")?;
        let scope = format!("SubmitPractice/{}", author.id);
        let change = |store: &Store| {
            if let Some(practice) = self.replay::<Practice>(&scope, request_id)? {
                return Ok((WriteSet::default(), practice));
            }
            let now = self.now();
            let practice = Practice {
                id: store.next_id("practice")?,
                author_id: author.id.clone(),
                spec,
                source: PracticeSource::Submitted,
                status: PracticeStatus::Published,
                created_at: now,
                updated_at: now,
            };
            let mut writes = WriteSet::default();
            writes.put(None, &practice)?;
            writes.record_event(practice.event(EventKind::PracticeSubmitted, now, acting));
            if !request_id.is_empty() {
                writes.remember_request(&scope, request_id, &practice.id);
            }
            Ok((writes, practice))
        };
        self.write(change, |_| {}).await
    }

    /// NOT_FOUND naming `field` for a partner that is not an actor of the hub.
    fn check_partners(&self, spec: &PracticeSpec, field: &'static str) -> Result<(), HubError> {
        for partner in &spec.partner_ids {
            self.load::<Actor>(field, partner)?;
        }
        Ok(())
    }

    /// The practice with this id, published or withdrawn.
    pub fn get_practice(&self, id: &str) -> Result<Practice, HubError> {
        self.load("id", id)
    }

    /// A page of published practices.
    pub fn list_practices(&self, filter: &PracticeFilter, page: &PageRequest) -> Result<Page<Practice>, HubError> {
        filter.validate()?;
        let theme = filter.theme.map(|theme| theme.to_string());
        let published = PracticeStatus::Published.index_key();
        let scan = if let Some(id) = &filter.actor_id {
            Scan::Index(TreeName::PracticesByActor, id)
        } else if let Some(country) = &filter.country {
            Scan::Index(TreeName::PracticesByCountry, country)
        } else if let Some(area) = &filter.area {
            Scan::Index(TreeName::PracticesByArea, area)
        } else if let Some(theme) = &theme {
            Scan::Index(TreeName::PracticesByTheme, theme)
        } else {
            Scan::Index(TreeName::PracticesByStatus, published)
        };
        self.list(scan, page, |practice: &Practice| filter.keeps(practice))
    }

    /// Edits a published practice with `edit`, which may refuse with field violations.
    pub async fn update_practice(
        &self,
        id: &str,
        edit: impl FnOnce(&mut PracticeSpec) -> Result<(), Violations>,
    ) -> Result<Practice, HubError> {
        let change = |_: &Store| {
            let old: Practice = self.load("practice.id", id)?;
            if !old.is_published() {
                return Err(HubError::Refused(Refusal::new(
                    Reason::PracticeWithdrawn,
                    format!("practice {id} is withdrawn; only published practices can be edited"),
                )));
            }
            let mut practice = old.clone();
            edit(&mut practice.spec)?;
            practice
                .spec
                .validate(&practice.author_id)
                .map_err(|violations| violations.within("practice."))?;
            self.check_partners(&practice.spec, "practice.partner_ids")?;
            practice.updated_at = self.now();
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &practice)?;
            Ok((writes, practice))
        };
        self.write(change, |_| {}).await
    }

    /// Takes a published practice out of lists, search and related items; `by` is who asked,
    /// and `reason` (at most 1,000 characters, may be empty) why, said in its event.
    pub async fn withdraw_practice<'a>(
        &self,
        id: &str,
        by: impl Into<ActingFor<'a>>,
        reason: &str,
    ) -> Result<Practice, HubError> {
        let by = by.into();
        super::needs::withdrawal_reason(reason)?;
        let change = |_: &Store| {
            let old: Practice = self.load("id", id)?;
            if !old.is_published() {
                return Err(HubError::Refused(Refusal::new(
                    Reason::PracticeWithdrawn,
                    format!("practice {id} is already withdrawn"),
                )));
            }
            let now = self.now();
            let practice = Practice {
                status: PracticeStatus::Withdrawn,
                updated_at: now,
                ..old.clone()
            };
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &practice)?;
            let mut event = practice.event(EventKind::PracticeWithdrawn, now, by);
            event.summary = super::needs::with_reason(event.summary, reason);
            writes.record_event(event);
            Ok((writes, practice))
        };
        self.write(change, |_| {}).await
    }
}
