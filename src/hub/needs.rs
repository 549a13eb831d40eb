//! Submitting, reading, editing and withdrawing needs.

use std::sync::Arc;

use super::{Hub, HubError, Page, PageRequest};
use crate::domain::validation::MAX_NOTE_CHARS;
use crate::domain::{
    ActingFor, Actor, EventKind, Match, MatchStatus, Need, NeedSpec, NeedStatus, Objective, Violations,
};
use crate::domain::{Reason, Refusal};
use crate::store::{FlushTicket, Scan, StatusKey, Store, TreeName, WriteSet};

/// Filters of ListNeeds; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct NeedFilter {
    pub requester_id: Option<String>,
    pub status: Option<NeedStatus>,
    pub theme: Option<Objective>,
    pub country: Option<String>,
    /// A UN M49 area slug.
    pub area: Option<String>,
}

impl NeedFilter {
    fn keeps(&self, need: &Need) -> bool {
        self.requester_id.as_ref().is_none_or(|id| &need.requester_id == id)
            && self.status.is_none_or(|status| need.status == status)
            && self.theme.is_none_or(|theme| need.spec.themes.contains(&theme))
            && self
                .country
                .as_ref()
                .is_none_or(|country| need.spec.countries.contains(country))
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
    /// Submits a need for `requester_id`. Empty `countries` default to the requester's country.
    pub async fn submit_need<'a>(
        &self,
        requester: impl Into<ActingFor<'a>>,
        spec: NeedSpec,
        request_id: &str,
    ) -> Result<Need, HubError> {
        let (need, ticket) = self
            .submit_need_unacknowledged(requester.into(), spec, request_id)
            .await?;
        self.store.durable(ticket).await?;
        Ok(need)
    }

    /// [`Hub::submit_need`] with the need's related items counted ([`Hub::related_count`]) while
    /// its write is flushed, rather than after: SubmitNeed's reply carries the count, and at tier
    /// L the flush and the count take a few milliseconds each. The count reads the search index,
    /// which shows a write only after its next commit, and leaves the need itself out anyway, so
    /// counting before the flush ends counts the same. A count that fails is logged and reported
    /// as none: the need is stored all the same.
    pub async fn submit_need_counting_related<'a>(
        self: &Arc<Hub>,
        requester: impl Into<ActingFor<'a>>,
        spec: NeedSpec,
        request_id: &str,
    ) -> Result<(Need, usize), HubError> {
        let (need, ticket) = self
            .submit_need_unacknowledged(requester.into(), spec, request_id)
            .await?;
        let hub = Arc::clone(self);
        let submitted = need.clone();
        // CPU work of a few milliseconds: on the blocking pool, off the async workers.
        let counting = tokio::task::spawn_blocking(move || hub.related_count(&submitted));
        self.store.durable(ticket).await?;
        let counted = match counting.await {
            Ok(counted) => counted.map_err(|error| error.to_string()),
            Err(stopped) => Err(stopped.to_string()),
        };
        let related = counted.unwrap_or_else(|error| {
            tracing::error!(%error, need = %need.id, "related items not counted");
            0
        });
        Ok((need, related))
    }

    /// Applies a need's submission, returning it with the ticket that says when it is durable.
    async fn submit_need_unacknowledged(
        &self,
        acting: ActingFor<'_>,
        mut spec: NeedSpec,
        request_id: &str,
    ) -> Result<(Need, FlushTicket), HubError> {
        let requester: Actor = self.load("requester_id", acting.party)?;
        if spec.countries.is_empty() {
            spec.countries.extend(requester.profile.country.clone());
        }
        spec.validate()?;
        // Idempotency keys are the owner's own: another caller reusing a key gets its own record.
        let scope = format!("SubmitNeed/{}", requester.id);
        let change = |store: &Store| {
            if let Some(need) = self.replay::<Need>(&scope, request_id)? {
                return Ok((WriteSet::default(), need));
            }
            let now = self.now();
            let need = Need {
                id: store.next_id("need")?,
                requester_id: requester.id.clone(),
                spec,
                status: NeedStatus::Open,
                created_at: now,
                updated_at: now,
            };
            let mut writes = WriteSet::default();
            writes.put(None, &need)?;
            let summary = format!("{} submitted need {}: {}", acting.named(), need.id, need.spec.title);
            writes.record_event(need.event(EventKind::NeedSubmitted, now, acting.by(), summary));
            if !request_id.is_empty() {
                writes.remember_request(&scope, request_id, &need.id);
            }
            Ok((writes, need))
        };
        self.write_unacknowledged(change, |_| {}).await
    }

    /// Other open or matched needs of the same requester that resemble `need` (same objectives,
    /// a common country): likely duplicates, reported so the requester can withdraw one.
    pub fn similar_needs_of_requester(&self, need: &Need) -> Result<Vec<String>, HubError> {
        let mut similar = Vec::new();
        for number in self.store.ids_in_index(TreeName::NeedsByRequester, &need.requester_id) {
            let Some(other) = self.store.get_by_number::<Need>(number?)? else {
                continue;
            };
            let live = matches!(other.status, NeedStatus::Open | NeedStatus::Matched);
            if other.id != need.id && live && other.spec.resembles(&need.spec) {
                similar.push(other.id);
            }
        }
        Ok(similar)
    }

    /// The need with this id.
    pub fn get_need(&self, id: &str) -> Result<Need, HubError> {
        self.load("id", id)
    }

    /// A page of needs.
    pub fn list_needs(&self, filter: &NeedFilter, page: &PageRequest) -> Result<Page<Need>, HubError> {
        filter.validate()?;
        let theme = filter.theme.map(|theme| theme.to_string());
        let status = filter.status.map(StatusKey::index_key);
        let scan = if let Some(id) = &filter.requester_id {
            Scan::Index(TreeName::NeedsByRequester, id)
        } else if let Some(country) = &filter.country {
            Scan::Index(TreeName::NeedsByCountry, country)
        } else if let Some(area) = &filter.area {
            Scan::Index(TreeName::NeedsByArea, area)
        } else if let Some(theme) = &theme {
            Scan::Index(TreeName::NeedsByTheme, theme)
        } else if let Some(status) = &status {
            Scan::Index(TreeName::NeedsByStatus, status)
        } else {
            Scan::All
        };
        let in_area = |need: &Need| {
            filter.area.as_ref().is_none_or(|area| {
                need.spec
                    .countries
                    .iter()
                    .filter_map(|c| crate::domain::geography::country(c))
                    .any(|c| c.area_fit(area).is_some())
            })
        };
        self.list(scan, page, |need: &Need| filter.keeps(need) && in_area(need))
    }

    /// Edits an open need with `edit`, which may refuse with field violations.
    pub async fn update_need(
        &self,
        id: &str,
        edit: impl FnOnce(&mut NeedSpec) -> Result<(), Violations>,
    ) -> Result<Need, HubError> {
        let change = |_: &Store| {
            let old: Need = self.load("need.id", id)?;
            if old.status != NeedStatus::Open {
                return Err(HubError::Refused(Refusal::new(
                    Reason::NeedNotOpen,
                    format!("need {id} is {}; only open needs can be edited", old.status.word()),
                )));
            }
            let mut need = old.clone();
            edit(&mut need.spec)?;
            need.spec.validate().map_err(|violations| violations.within("need."))?;
            need.updated_at = self.now();
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &need)?;
            Ok((writes, need))
        };
        self.write(change, |_| {}).await
    }

    /// Withdraws a need for its requester; its matches still awaiting an answer are cancelled.
    pub async fn withdraw_need(&self, id: &str, reason: &str) -> Result<Need, HubError> {
        self.withdraw_need_as(id, reason, false).await
    }

    /// [`Hub::withdraw_need`] by the admin, who acts as no actor.
    pub async fn withdraw_need_by_admin(&self, id: &str, reason: &str) -> Result<Need, HubError> {
        self.withdraw_need_as(id, reason, true).await
    }

    async fn withdraw_need_as(&self, id: &str, reason: &str, by_admin: bool) -> Result<Need, HubError> {
        withdrawal_reason(reason)?;
        let change = |store: &Store| {
            let old: Need = self.load("id", id)?;
            let now = self.now();
            let need = Hub::moved(&old, NeedStatus::Withdrawn, now)?;
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &need)?;
            let acting = ActingFor {
                party: &need.requester_id,
                by_admin,
            };
            let summary = with_reason(format!("{} withdrew need {id}", acting.named()), reason);
            writes.record_event(need.event(EventKind::NeedWithdrawn, now, acting.by(), summary));
            let because = with_reason(format!("{id} was withdrawn"), reason);
            cancel_pending(store, &mut writes, TreeName::MatchesByNeed, id, &because, now)?;
            Ok((writes, need))
        };
        self.write(change, |_| {}).await
    }
}

/// Checks the reason a requester or provider gives for withdrawing: optional, at most
/// [`MAX_NOTE_CHARS`] characters.
pub(super) fn withdrawal_reason(reason: &str) -> Result<(), HubError> {
    let mut violations = crate::domain::Violations::default();
    violations.text("reason", reason, MAX_NOTE_CHARS, false);
    Ok(violations.into_result()?)
}

/// An event's summary with the reason its actor gave, if any: the record of why.
pub(super) fn with_reason(summary: String, reason: &str) -> String {
    match reason.trim() {
        "" => summary,
        reason => format!("{summary}: {reason}"),
    }
}

/// Cancels every match filed under `value` in `index` that still awaits an answer; `because`
/// says why in each cancellation's event ("need-7 expired").
pub(super) fn cancel_pending(
    store: &Store,
    writes: &mut WriteSet,
    index: TreeName,
    value: &str,
    because: &str,
    now: i64,
) -> Result<(), HubError> {
    for number in store.ids_in_index(index, value) {
        let Some(old) = store.get_by_number::<Match>(number?)? else {
            continue;
        };
        if old.status.awaits_answer() {
            let cancelled = Hub::moved(&old, MatchStatus::Cancelled, now)?;
            writes.put(Some(&old), &cancelled)?;
            let summary = format!("match {} cancelled: {because}", cancelled.id);
            writes.record_event(cancelled.event(EventKind::MatchCancelled, now, None, summary));
        }
    }
    Ok(())
}
