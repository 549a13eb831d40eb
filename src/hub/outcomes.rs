//! Completing matches: the outcome is recorded (failures too), capacity returns to the offer, the
//! need is fulfilled or opens again, and the parties' `past_collaboration` partnership is created
//! or moved towards the trust the outcome earned, so the next FindMatches learns from it at once.

use std::sync::PoisonError;

use super::needs::cancel_pending;
use super::{Hub, HubError};
use crate::domain::lifecycle::Lifecycle;
use crate::domain::{
    ActingFor, EventKind, Match, MatchStatus, MgiDimension, Need, NeedStatus, Offer, OfferStatus, Outcome, Partnership,
    PartnershipKind, PartnershipSpec, Party, Practice, Violations,
};
use crate::store::{Store, TreeName, WriteSet};

/// What a party reports when an engagement ends.
#[derive(Debug, Clone)]
pub struct OutcomeReport {
    pub rating: u32,
    pub mgi_dimensions: Vec<MgiDimension>,
    pub lessons_learned: String,
}

/// The records a completion changed, for the in-memory follow-ups.
struct Completion {
    record: Match,
    previous_collaboration: Option<String>,
    collaboration: Partnership,
}

impl Hub {
    /// Completes a confirmed match with its outcome, reported by one of its parties.
    pub async fn complete_match<'a>(
        &self,
        match_id: &str,
        party: impl Into<ActingFor<'a>>,
        report: OutcomeReport,
    ) -> Result<Match, HubError> {
        let acting = party.into();
        let actor_id = acting.party;
        let OutcomeReport {
            rating,
            mgi_dimensions,
            lessons_learned,
        } = report;
        let outcome = Outcome {
            reported_by: actor_id.to_string(),
            rating,
            mgi_dimensions,
            lessons_learned,
            completed_at: self.now(),
        };
        outcome.validate()?;
        let change = |store: &Store| self.record_completion(store, match_id, outcome, acting);
        let completion = self
            .write(change, |completion| {
                let mut graph = self.graph_mut();
                if let Some(previous) = &completion.previous_collaboration {
                    graph.remove_partnership(previous);
                }
                graph.add_partnership(&completion.collaboration);
                let mut records = self.track_records.write().unwrap_or_else(PoisonError::into_inner);
                records.record(&completion.record.provider_id, rating);
            })
            .await?;
        Ok(completion.record)
    }

    fn record_completion(
        &self,
        store: &Store,
        match_id: &str,
        outcome: Outcome,
        acting: ActingFor<'_>,
    ) -> Result<(WriteSet, Completion), HubError> {
        let old: Match = self.load("match_id", match_id)?;
        if old.party(&outcome.reported_by) == Some(Party::Provider) {
            let rule = format!(
                "only the requester ({}) reports the outcome of match {match_id}: a provider cannot rate its own work",
                old.requester_id
            );
            return Err(Violations::single("actor_id", rule).into());
        }
        if old.party(&outcome.reported_by).is_none() {
            let rule = format!(
                "{} is neither the requester nor the provider of match {match_id}",
                outcome.reported_by
            );
            return Err(Violations::single("actor_id", rule).into());
        }
        let now = outcome.completed_at;
        let mut writes = WriteSet::default();
        self.release_capacity(&old, &mut writes, now)?;
        self.settle_need(store, &old, outcome.succeeded(), &mut writes, now)?;
        let (previous_collaboration, collaboration) = self.collaboration_after(store, &old, &outcome, &mut writes)?;
        let summary = format!(
            "{} completed match {match_id} with rating {}",
            acting.named(),
            outcome.rating
        );
        let record = Match {
            outcome: Some(outcome),
            ..Hub::moved(&old, MatchStatus::Completed, now)?
        };
        writes.put(Some(&old), &record)?;
        writes.record_event(record.event(EventKind::MatchCompleted, now, acting.by(), summary));
        self.publish_lessons(store, &record, acting, &mut writes)?;
        Ok((
            writes,
            Completion {
                record,
                previous_collaboration,
                collaboration,
            },
        ))
    }

    /// Publishes a completed match's lessons learned, if it has any, as a practice of its two
    /// actors (see [`Practice::of_completed_match`]).
    fn publish_lessons(
        &self,
        store: &Store,
        completed: &Match,
        acting: ActingFor<'_>,
        writes: &mut WriteSet,
    ) -> Result<(), HubError> {
        let Some(outcome) = completed.outcome.as_ref().filter(|outcome| outcome.has_lessons()) else {
            return Ok(());
        };
        let need: Need = self.load("need_id", &completed.need_id)?;
        if let Some(practice) = Practice::of_completed_match(store.next_id("practice")?, completed, &need, outcome) {
            writes.put(None, &practice)?;
            writes.record_event(practice.event(EventKind::PracticeSubmitted, outcome.completed_at, acting));
        }
        Ok(())
    }

    /// Gives the engagement's unit of capacity back to the offer.
    pub(super) fn release_capacity(&self, record: &Match, writes: &mut WriteSet, now: i64) -> Result<(), HubError> {
        let old: Offer = self.load("offer_id", &record.offer_id)?;
        let mut offer = match old.status {
            OfferStatus::Exhausted => Hub::moved(&old, OfferStatus::Active, now)?,
            _ => Offer {
                updated_at: now,
                ..old.clone()
            },
        };
        offer.remaining_capacity = (offer.remaining_capacity + 1).min(offer.spec.capacity);
        Ok(writes.put(Some(&old), &offer)?)
    }

    /// A successful engagement fulfils the need; a failed one opens it again unless another
    /// confirmed match still serves it.
    pub(super) fn settle_need(
        &self,
        store: &Store,
        record: &Match,
        succeeded: bool,
        writes: &mut WriteSet,
        now: i64,
    ) -> Result<(), HubError> {
        let old: Need = self.load("need_id", &record.need_id)?;
        let status = if succeeded {
            NeedStatus::Fulfilled
        } else if old.status == NeedStatus::Matched && !self.other_confirmed(store, record)? {
            NeedStatus::Open
        } else {
            old.status
        };
        // A need withdrawn while its engagement ran stays withdrawn: final states are final.
        if old.status.allows(status) {
            writes.put(Some(&old), &Hub::moved(&old, status, now)?)?;
        }
        if status == NeedStatus::Fulfilled {
            // Proposals still waiting on a fulfilled need would only hold up scarce capacity.
            let because = format!("{} was fulfilled", record.need_id);
            cancel_pending(store, writes, TreeName::MatchesByNeed, &record.need_id, &because, now)?;
        }
        Ok(())
    }

    fn other_confirmed(&self, store: &Store, record: &Match) -> Result<bool, HubError> {
        for number in store.ids_in_index(TreeName::MatchesByNeed, &record.need_id) {
            let Some(other) = store.get_by_number::<Match>(number?)? else {
                continue;
            };
            if other.id != record.id && other.status == MatchStatus::Confirmed {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The parties' past collaboration after this outcome, replacing the previous one if any.
    fn collaboration_after(
        &self,
        store: &Store,
        record: &Match,
        outcome: &Outcome,
        writes: &mut WriteSet,
    ) -> Result<(Option<String>, Partnership), HubError> {
        let spec = PartnershipSpec {
            actor_a: record.requester_id.clone(),
            actor_b: record.provider_id.clone(),
            kind: PartnershipKind::PastCollaboration,
            trust: outcome.earned_trust(),
            since: None,
            note: format!("match {} completed with rating {}", record.id, outcome.rating),
            claimed_by: None,
        };
        let previous = self.partnership_like(store, &spec)?;
        let trust = outcome.updated_trust(previous.as_ref().map(|p| p.spec.trust));
        let collaboration = match &previous {
            Some(old) => Partnership {
                spec: PartnershipSpec {
                    trust,
                    note: spec.note,
                    ..old.spec.clone()
                },
                ..old.clone()
            },
            None => Partnership {
                id: store.next_id("partnership")?,
                spec: PartnershipSpec { trust, ..spec },
                created_at: outcome.completed_at,
            },
        };
        writes.put(previous.as_ref(), &collaboration)?;
        Ok((previous.map(|p| p.id), collaboration))
    }
}
